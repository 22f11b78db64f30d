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
 * HTML with `headlineToHtml`, which escapes everything else.
 */
export function headline(text: Expression<unknown> | RawBuilder<unknown>, input: string, options: { words?: number } = {}): RawBuilder<string> {
  const max = Math.max(5, Math.min(options.words ?? 30, 100));
  const min = Math.max(3, Math.floor(max / 2));
  const settings = `StartSel=${START}, StopSel=${STOP}, MaxWords=${max}, MinWords=${min}, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
  return sql<string>`ts_headline(${sql.lit(SEARCH_CONFIG)}::regconfig, translate(coalesce(${text}::text, ''), ${START + STOP}, ''), ${toTsQuery(input)}, ${settings})`;
}

/** Escapes a headline and turns its markers into <mark>: safe to print unescaped (`<%-`). */
export function headlineToHtml(value: string | null | undefined): string {
  const escaped = (value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return escaped.replaceAll(START, '<mark>').replaceAll(STOP, '</mark>').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
