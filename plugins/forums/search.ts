import { sql } from 'kysely';
import type { Ctx } from './access.js';

const SEARCH_PAGE = 20;
/**
 * Matches are ranked among the most recent MAX_CANDIDATES: a broad word can match a large share
 * of 200,000 posts, and ranking them all would cost seconds.
 */
const MAX_CANDIDATES = 2000;

export interface SearchQuery {
  q: string;
  /** Categories the reader may read, already narrowed to the one chosen. */
  categoryIds: number[];
  author: string;
  /** yyyy-mm-dd, or empty. */
  from: string;
  to: string;
  page: number;
  /** The reader asked for the whole archive. */
  everything: boolean;
}

export interface SearchHit {
  id: number;
  topicId: number;
  titleHtml: string;
  excerptHtml: string;
  category: string;
  author: string;
  createdAt: Date;
  isQuestion: boolean;
  solved: boolean;
  isSolution: boolean;
  solutionText: string | null;
  solutionId: number | null;
}

export interface SearchResults {
  hits: SearchHit[];
  hasNext: boolean;
  /** Set when only recent posts were searched: the date of the oldest of them. */
  recentSince: Date | null;
  /** The whole archive was searched: the next pages must say so (`tout=1`) to stay consistent. */
  wholeArchive: boolean;
}

/**
 * French full-text search over the posts a reader may read.
 *
 * Without a date or author filter, a search first looks among the `searchRecentPosts` newest
 * posts, which have a table and an index of their own (`forum_search_recent`, migration 003;
 * bench/forums: a broad query 19 ms over 200,000 posts with a range of ids, 7 ms in the table of
 * the newest 20,000). When the recent posts hold less than a page of results, the search widens
 * to the whole archive by itself; otherwise the page says how far back it looked and offers the
 * whole archive.
 */
export async function searchPosts(ctx: Ctx, query: SearchQuery): Promise<SearchResults> {
  const narrowed = query.everything || !!query.from || !!query.to || !!query.author;
  const recent = narrowed ? null : await recentBoundary(ctx);
  if (recent) {
    const hits = await rankedPage(ctx, query, 'recent');
    if (hits.length >= SEARCH_PAGE || query.page > 1) {
      return { hits: hits.slice(0, SEARCH_PAGE), hasNext: hits.length > SEARCH_PAGE, recentSince: recent.createdAt, wholeArchive: false };
    }
  }
  const hits = await rankedPage(ctx, query, 'archive');
  return { hits: hits.slice(0, SEARCH_PAGE), hasNext: hits.length > SEARCH_PAGE, recentSince: null, wholeArchive: true };
}

/** The newest post left out of the recent ones; null when the archive is no larger than the window. */
async function recentBoundary(ctx: Ctx): Promise<{ id: number; createdAt: Date } | null> {
  if (!ctx.settings.searchRecentPosts) return null;
  const row = await ctx.db
    .selectFrom('forum_posts')
    .select(['id', 'created_at'])
    .where('id', '<', (eb) => eb.selectFrom('forum_search_recent').select((e) => e.fn.min('id').as('oldest')))
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, createdAt: row.created_at } : null;
}

/**
 * Makes `forum_search_recent` hold the `posts` newest posts (at start, from the setting): when
 * the number changed, the table is refilled. Processes that share a database must share the
 * setting.
 */
export async function recentSearchWindowSetter(db: Ctx['db'], posts: number): Promise<void> {
  const refilled = await db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('forum_search_window').select('posts').forUpdate().executeTakeFirstOrThrow();
    if (current.posts === posts) return false;
    await trx.updateTable('forum_search_window').set({ posts }).execute();
    await trx.deleteFrom('forum_search_recent').execute();
    if (posts) {
      await trx
        .insertInto('forum_search_recent')
        .columns(['id', 'state', 'category_id', 'search'])
        .expression((eb) =>
          eb
            .selectFrom('forum_posts')
            .select(['id', 'state', 'category_id', 'search'])
            .where('id', '>', sql<number>`(select coalesce(max(id), 0) - ${posts}::int from forum_posts)`),
        )
        .execute();
    }
    return true;
  });
  if (refilled) await recentSearchVacuum(db);
}

/**
 * Every new post pushes one out, and a deleted row stays in the GIN index, where searches still
 * read it, until a vacuum. PostgreSQL's autovacuum passes every 500 posts (migration 003); the
 * embedded engine has none, so the nightly job `forums:search-vacuum` does it on both.
 */
export async function recentSearchVacuum(db: Ctx['db']): Promise<void> {
  await sql`vacuum (analyze) forum_search_recent`.execute(db);
}

/** One page of hits (and one more, to know whether a next page exists), among the recent posts or all. */
async function rankedPage(ctx: Ctx, query: SearchQuery, among: 'recent' | 'archive'): Promise<SearchHit[]> {
  const { q, author, from, to } = query;
  // Both tables have the columns searched and filtered on. Author and dates are only in the posts
  // table: searchPosts sends a search with them to the archive.
  const candidates = ctx.db
    .selectFrom(among === 'recent' ? 'forum_search_recent as p' : 'forum_posts as p')
    // The author as people name them: either name order, accents forgiven, or the @handle.
    .$if(!!author, (qb) => qb.where(sql<boolean>`exists (select 1 from users u where u.id = p.author_id and ${ctx.search.personMatches(author.replace(/^@/, ''))})`))
    // Ranked here, not after the newest are picked: the sort that picks them then moves ids and
    // ranks instead of whole search vectors (bench/forums: 9-11 ms -> 7 ms for a two-word query
    // with 1,400 matches), and for a word matching more than MAX_CANDIDATES posts the planner
    // walks the newest backwards and still ranks only those it keeps.
    .select(['p.id', ctx.search.rank(sql.ref('p.search'), q).as('rank')])
    .where(ctx.search.matches(sql.ref('p.search'), q))
    .where('p.state', '=', 'visible')
    .where('p.category_id', 'in', query.categoryIds)
    .$if(!!from, (qb) => qb.where('p.created_at', '>=', new Date(`${from}T00:00:00Z`)))
    .$if(!!to, (qb) => qb.where('p.created_at', '<', new Date(new Date(`${to}T00:00:00Z`).getTime() + 86_400_000)))
    .orderBy('p.id', 'desc')
    .limit(MAX_CANDIDATES);
  const ranked = ctx.db
    .selectFrom(candidates.as('m'))
    .select(['m.id', 'm.rank'])
    .orderBy('rank', 'desc')
    .orderBy('m.id', 'desc')
    .limit(SEARCH_PAGE + 1)
    .offset((query.page - 1) * SEARCH_PAGE);
  // Excerpts are computed for the page only.
  const rows = await ctx.db
    .selectFrom(ranked.as('r'))
    .innerJoin('forum_posts as p', 'p.id', 'r.id')
    .innerJoin('forum_topics as t', 't.id', 'p.topic_id')
    .innerJoin('forum_categories as c', 'c.id', 't.category_id')
    .leftJoin('users as u', 'u.id', 'p.author_id')
    .leftJoin('forum_posts as s', 's.id', 't.solved_post_id')
    .select([
      'p.id', 'p.created_at', 't.id as topic_id', 't.title', 't.is_question', 't.solved_post_id', 'c.title as category_title',
      'u.given_name', 'u.family_name', 's.body as solution_body', 'r.rank',
      ctx.search.headline(sql.ref('p.body'), q, { markdown: true }).as('excerpt'),
      ctx.search.headline(sql.ref('t.title'), q, { words: 30 }).as('title_html'),
    ])
    .orderBy('r.rank', 'desc')
    .orderBy('p.id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    topicId: r.topic_id,
    titleHtml: ctx.search.headlineToHtml(r.title_html),
    excerptHtml: ctx.search.headlineToHtml(r.excerpt),
    category: r.category_title,
    author: r.given_name ? `${r.given_name} ${r.family_name}` : 'Compte supprimé',
    createdAt: r.created_at,
    isQuestion: r.is_question,
    solved: !!r.solved_post_id,
    isSolution: r.solved_post_id === r.id,
    solutionText: r.solution_body ? truncate(ctx.markdown.toText(withoutQuotes(r.solution_body)), 240) : null,
    solutionId: r.solved_post_id,
  }));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A post's own words: an answer often opens by quoting the question, which says nothing of the answer. */
function withoutQuotes(body: string): string {
  const own = body.replace(/^[ \t]{0,3}>.*$/gm, '').trim();
  return own || body;
}
