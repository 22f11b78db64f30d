import { sql, type Expression, type RawBuilder } from 'kysely';

/**
 * French full-text search on both engines. Migration 003 creates the `maillon_fr` text search
 * configuration (unaccent + French stemming: « ecole » finds « École », « enseignants » finds
 * « enseignant ») and `maillon_search_vector(a, b, c)`, a weighted vector for generated columns
 * in plugin migrations:
 *
 *   search tsvector generated always as (maillon_search_vector(title, body)) stored,
 *   create index forum_posts_search on forum_posts using gin (search);
 *
 * People's input goes through websearch_to_tsquery, which accepts anything (quotes, « ou »,
 * a leading minus) and never raises a syntax error.
 */
export const SEARCH_CONFIG = 'maillon_fr';
const MAX_QUERY_LENGTH = 200;
// Markers that cannot come from stored text: removed from the document before ts_headline.
const START = '\u0002';
const STOP = '\u0003';

/** Trims and bounds a search box's value; an empty string means « no search ». */
export function cleanQuery(input: unknown): string {
  const value = typeof input === 'string' ? input : Array.isArray(input) && typeof input[0] === 'string' ? input[0] : '';
  return value.replace(/[\u0000-\u001f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY_LENGTH);
}

/** The tsquery of what a person typed. */
export function toTsQuery(input: string): RawBuilder<unknown> {
  return sql`websearch_to_tsquery(${sql.lit(SEARCH_CONFIG)}::regconfig, ${cleanQuery(input)})`;
}

/** `vector @@ query`, for a where clause. */
export function matches(vector: Expression<unknown> | RawBuilder<unknown>, input: string): RawBuilder<boolean> {
  return sql<boolean>`${vector} @@ ${toTsQuery(input)}`;
}

/** Relevance of a row, higher first (cover density, damped by document length). */
export function rank(vector: Expression<unknown> | RawBuilder<unknown>, input: string): RawBuilder<number> {
  return sql<number>`ts_rank_cd(${vector}, ${toTsQuery(input)}, 1)`;
}

/** A vector computed on the fly (tables without a stored column, small lists). */
export function vectorOf(...texts: (Expression<unknown> | RawBuilder<unknown>)[]): RawBuilder<unknown> {
  const parts = texts.map((t) => sql`coalesce(${t}::text, '')`);
  return sql`to_tsvector(${sql.lit(SEARCH_CONFIG)}::regconfig, ${sql.join(parts, sql` || ' ' || `)})`;
}

/**
 * An excerpt of a text around the matched words, with markers around them; turn it into
 * HTML with `headlineToHtml`, which escapes everything else. With `markdown`, the text's
 * Markdown marks are taken out first, so the excerpt reads as prose (`markdownMarksRemoved`).
 */
export function headline(text: Expression<unknown> | RawBuilder<unknown>, input: string, options: { words?: number; markdown?: boolean } = {}): RawBuilder<string> {
  const max = Math.max(5, Math.min(options.words ?? 30, 100));
  const min = Math.max(3, Math.floor(max / 2));
  const settings = `StartSel=${START}, StopSel=${STOP}, MaxWords=${max}, MinWords=${min}, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
  const source = sql`translate(coalesce(${text}::text, ''), ${START + STOP}, '')`;
  return sql<string>`ts_headline(${sql.lit(SEARCH_CONFIG)}::regconfig, ${options.markdown ? markdownMarksRemoved(source) : source}, ${toTsQuery(input)}, ${settings})`;
}

// Applied in order, each to the whole text. Links and images keep their text; HTML tags go;
// heading, quote and list marks go at line starts; then bold, strike and code marks; then a
// single * or _ around words (not inside one: « mot_de_passe », « @prenom_nom » stay); lines
// become one.
const MARKDOWN_MARKS: [pattern: string, replacement: string][] = [
  ['!?\\[([^\\]]*)\\]\\([^)]*\\)', '\\1'],
  ['<[^>]*>', ''],
  // Line marks, several in a row: a list inside a quote (« > - item ») loses both.
  ['(^|\\n)(?:[ \\t]{0,3}(?:>|(?:#{1,6}|[-*+]|\\d{1,9}[.)])[ \\t]))+[ \\t]*', '\\1'],
  ['\\*\\*|__|~~|`+', ''],
  ['(^|[^\\w*])[*_]([^\\s*_][^*_\\n]*?)[*_](?![\\w*])', '\\1\\2'],
  ['\\s+', ' '],
];

/**
 * A Markdown text with its marks taken out, in SQL, for excerpts that ts_headline cuts from
 * the stored source (the renderer's `toText` cannot run there). Approximate: a nested
 * construct may keep a mark, which is only cosmetic.
 */
function markdownMarksRemoved(text: RawBuilder<unknown>): RawBuilder<unknown> {
  return MARKDOWN_MARKS.reduce((t, [pattern, replacement]) => sql`regexp_replace(${t}, ${sql.lit(pattern)}, ${sql.lit(replacement)}, 'g')`, text);
}

/** Escapes a headline and turns its markers into <mark>: safe to print unescaped (`<%-`). */
export function headlineToHtml(value: string | null | undefined): string {
  const escaped = (value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return escaped.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/**
 * Accounts (aliased `u`) whose name, in either order, or e-mail contains what was typed,
 * accents and case forgiven; `%` and `_` are letters. For the admin's search, and for plugins
 * that let people find each other (`ctx.search.personMatches`).
 */
export function personMatches(typed: string): RawBuilder<boolean> {
  const pattern = `%${typed.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`(unaccent(lower(u.given_name || ' ' || u.family_name)) like unaccent(lower(${pattern}))
    or unaccent(lower(u.family_name || ' ' || u.given_name)) like unaccent(lower(${pattern}))
    or lower(u.email) like ${pattern.toLowerCase()})`;
}
