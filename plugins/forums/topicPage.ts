import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { DB } from '../../server/db/schema.js';
import { mainRoleLabel, type Ctx } from './access.js';
import type { PostState } from './schema.js';

export interface PostView {
  id: number;
  authorId: number | null;
  authorName: string;
  handle: string | null;
  roleLabel: string;
  departmentName: string | null;
  body: string;
  html: string;
  version: number;
  state: PostState;
  likeCount: number;
  liked: boolean;
  createdAt: Date;
  editedAt: Date | null;
  topicId: number;
  topicTitle?: string;
  /** Names all that a visible post's article shows, for fragment caching (views/_post.ejs). */
  cacheKey: string;
}

/**
 * Posts with what every post shows of its author (name, role, département), in one query.
 * The département is the person's own, else that of their main establishment.
 */
export function postsQuery(db: DB, viewerId: number) {
  return db
    .selectFrom('forum_posts as p')
    .leftJoin('users as u', 'u.id', 'p.author_id')
    // A join, not a subquery per row: the planner then hashes the hundred départements once
    // instead of scanning them for each of the 50 posts (0.45 ms of a page's 0.8 ms in SQL).
    .leftJoin('departments as d', (join) =>
      join.on(sql<boolean>`d.code = coalesce(u.department_code, (select e.department_code from user_establishments ue join establishments e on e.uai = ue.uai where ue.user_id = u.id order by ue.is_primary desc limit 1))`),
    )
    .select([
      'p.id', 'p.topic_id', 'p.author_id', 'p.body', 'p.version', 'p.state', 'p.like_count', 'p.created_at', 'p.edited_at',
      'u.given_name', 'u.family_name', 'u.email',
      'd.name as department_name',
      sql<string[]>`coalesce((select array_agg(r.role) from user_roles r where r.user_id = u.id), '{}')`.as('roles'),
      sql<boolean>`exists (select 1 from forum_likes l where l.post_id = p.id and l.user_id = ${viewerId})`.as('liked'),
    ]);
}

type PostRow = Awaited<ReturnType<ReturnType<typeof postsQuery>['execute']>>[number];

// Rendered posts keyed by post and version: every edit bumps the version (posting.ts), so stale
// HTML is never read. Rendering 50 posts is most of a topic page's cost; each app keeps recent
// ones (one cache per plugin context: ids are only unique within one database). The length
// guards against a body changed by hand in the database.
const renderedByApp = new WeakMap<Ctx, LRUCache<string, string>>();

export function renderPost(ctx: Ctx, post: { id: number; version: number; body: string }): string {
  let rendered = renderedByApp.get(ctx);
  if (!rendered) renderedByApp.set(ctx, (rendered = new LRUCache<string, string>({ max: 20_000 })));
  const key = `${post.id}:${post.version}:${post.body.length}`;
  let html = rendered.get(key);
  if (html === undefined) {
    html = ctx.markdown.render(post.body, { mentions: true });
    rendered.set(key, html);
  }
  return html;
}

export function toPostView(ctx: Ctx, r: PostRow): PostView {
  const authorName = r.given_name ? `${r.given_name} ${r.family_name}` : 'Compte supprimé';
  const handle = r.email ? r.email.split('@')[0]!.toLowerCase() : null;
  const roleLabel = mainRoleLabel(r.roles);
  return {
    id: r.id,
    topicId: r.topic_id,
    authorId: r.author_id,
    authorName,
    handle,
    roleLabel,
    departmentName: r.department_name,
    // An edit bumps the version; the author's name, role or département can change without one.
    cacheKey: [r.id, r.version, r.body.length, authorName, handle, roleLabel, r.department_name].join('\u0001'),
    body: r.body,
    html: renderPost(ctx, r),
    version: r.version,
    state: r.state,
    likeCount: r.like_count,
    liked: r.liked,
    createdAt: r.created_at,
    editedAt: r.edited_at,
  };
}

/** What a topic page's action bars depend on besides the post. */
export interface ActionBarContext {
  topicId: number;
  page: number;
  firstPostId: number | undefined;
  isQuestion: boolean;
  solvedPostId: number | null;
  topicAuthorId: number | null;
  viewerId: number;
  moderator: boolean;
  canReply: boolean;
}

/**
 * A post's action bar (views/_postActions.ejs): its locals and, when it holds no CSRF token
 * (anyone but a moderator), the key it is cached under. The key names everything the bar
 * shows, so readers in the same position (not the author, not liked) share one copy.
 */
export function actionBar(view: ActionBarContext, post: PostView, csrf: string) {
  const mine = post.authorId === view.viewerId;
  const isFirst = post.id === view.firstPostId;
  const isSolution = view.solvedPostId === post.id;
  const canMarkSolution = view.isQuestion && !isFirst && post.state === 'visible' && (view.topicAuthorId === view.viewerId || view.moderator);
  const locals = { post, topicId: view.topicId, page: view.page, canReply: view.canReply, moderator: view.moderator, mine, isFirst, isSolution, canMarkSolution, csrf };
  const cacheKey = view.moderator || post.state !== 'visible'
    ? undefined
    : [post.cacheKey, post.likeCount, post.liked, mine, isSolution, canMarkSolution, view.canReply, view.topicId, view.page].join('\u0002');
  return { locals, cacheKey };
}

/** Which page of its topic a post is on. */
export async function pageOfPost(db: DB, topicId: number, postId: number, pageSize: number): Promise<number> {
  const { n } = await db
    .selectFrom('forum_posts')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('topic_id', '=', topicId)
    .where('id', '<', postId)
    .executeTakeFirstOrThrow();
  return Math.floor(n / pageSize) + 1;
}

export async function topicPosts(ctx: Ctx, user: SessionUser, topicId: number, page: number): Promise<PostView[]> {
  const size = ctx.settings.pageSize;
  const rows = await postsQuery(ctx.db, user.id).where('p.topic_id', '=', topicId).orderBy('p.id').limit(size).offset((page - 1) * size).execute();
  return rows.map((r) => toPostView(ctx, r));
}

export async function onePost(ctx: Ctx, user: SessionUser, postId: number): Promise<PostView | null> {
  const row = await postsQuery(ctx.db, user.id).where('p.id', '=', postId).executeTakeFirst();
  return row ? toPostView(ctx, row) : null;
}

/**
 * A Markdown quote of a post for the reply box: its author, then each line behind « > ». An
 * excerpt (the words the reader selected in the post) is quoted instead of the whole text.
 */
export function quoteOf(post: PostView, excerpt?: string): string {
  const lines = (excerpt?.trim() || post.body.trim()).split('\n').map((l) => `> ${l}`);
  return `> **${post.authorName}** a écrit :\n>\n${lines.join('\n')}\n\n`;
}
