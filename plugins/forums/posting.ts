import { sql } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { DB, Tx } from '../../server/db/schema.js';
import { HttpError, badRequest, conflict, forbidden, notFound } from '../../server/web/errors.js';
import { canReadCategory, isModerator, type Ctx } from './access.js';
import type { PostState } from './schema.js';
import { notifyNewPost } from './notify.js';

/** What a person typed, checked: empty and oversized texts are refused with a message that says why. */
export function checkBody(ctx: Ctx, raw: unknown): string {
  const body = typeof raw === 'string' ? raw.replace(/\r\n/g, '\n') : '';
  // Invisible characters alone (zero-width spaces…) would publish a blank post.
  if (!visible(body)) throw new HttpError(422, 'Le message est vide : écrivez quelque chose avant de publier.', { field: 'body' });
  if (body.length > ctx.settings.maxPostChars) {
    throw new HttpError(413, `Le message est trop long : ${body.length.toLocaleString('fr-FR')} caractères pour ${ctx.settings.maxPostChars.toLocaleString('fr-FR')} au plus. Découpez-le en plusieurs messages.`, { field: 'body' });
  }
  return body;
}

export function checkTitle(raw: unknown): string {
  const title = typeof raw === 'string' ? raw.replace(/\s+/g, ' ').trim() : '';
  if (title.replace(/\p{Cf}/gu, '').trim().length < 3) throw new HttpError(422, 'Le titre doit compter au moins 3 caractères.', { field: 'title' });
  if (title.length > 200) throw new HttpError(413, 'Le titre doit compter au plus 200 caractères.', { field: 'title' });
  return title;
}

function visible(text: string): string {
  return text.replace(/[\s\p{Cf}]+/gu, '');
}

const MENTION = /(^|[^\p{L}\p{N}._@/-])@([a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?)/giu;

/**
 * Distinct handles (the part of an e-mail address before @) mentioned outside code and quotes:
 * quoting a post must not call again the people it mentioned.
 */
export function mentionedHandles(body: string): string[] {
  const text = body.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ').replace(/^[ \t]{0,3}>.*$/gm, ' ');
  return [...new Set([...text.matchAll(MENTION)].map((m) => m[2]!.toLowerCase()))];
}

export function checkMentions(ctx: Ctx, body: string): string[] {
  const handles = mentionedHandles(body);
  if (handles.length > ctx.settings.maxMentions) {
    throw new HttpError(422, `Trop de mentions : ${handles.length} personnes citées avec @ pour ${ctx.settings.maxMentions} au plus par message.`, { field: 'body' });
  }
  return handles;
}

/** Posting too fast is refused across processes: the count comes from the posts themselves. */
async function checkRate(ctx: Ctx, trx: Tx, user: SessionUser): Promise<void> {
  if (isModerator(ctx, user)) return;
  const { n } = await trx
    .selectFrom('forum_posts')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('author_id', '=', user.id)
    .where('created_at', '>', sql<Date>`now() - interval '1 minute'`)
    .executeTakeFirstOrThrow();
  if (n >= ctx.settings.postsPerMinute) {
    throw new HttpError(429, `Vous publiez trop vite : ${ctx.settings.postsPerMinute} messages par minute au plus. Attendez une minute, votre texte est conservé ci-dessous.`, { retryAfterSeconds: 60 });
  }
}

/** First posts of people who have none published yet wait for a moderator when the setting asks. */
async function initialState(ctx: Ctx, trx: Tx, user: SessionUser): Promise<PostState> {
  if (!ctx.settings.approveFirstPosts || isModerator(ctx, user)) return 'visible';
  const published = await trx.selectFrom('forum_posts').select('id').where('author_id', '=', user.id).where('state', '=', 'visible').limit(1).executeTakeFirst();
  return published ? 'visible' : 'pending';
}

export interface TopicRecord {
  id: number;
  categoryId: number;
  title: string;
  authorId: number | null;
  isQuestion: boolean;
  solvedPostId: number | null;
  locked: boolean;
  pinned: boolean;
  postCount: number;
  readRoles: string[];
  categorySlug: string;
  categoryTitle: string;
  /** The category's département, if any: its coordinator moderates the topic. */
  departmentCode: string | null;
}

function topicQuery(db: DB | Tx, topicId: number) {
  return db
    .selectFrom('forum_topics as t')
    .innerJoin('forum_categories as c', 'c.id', 't.category_id')
    .select(['t.id', 't.category_id', 't.title', 't.author_id', 't.is_question', 't.solved_post_id', 't.locked', 't.pinned', 't.post_count', 'c.read_roles', 'c.slug', 'c.title as category_title', 'c.department_code'])
    .where('t.id', '=', topicId);
}

type TopicRow = NonNullable<Awaited<ReturnType<ReturnType<typeof topicQuery>['executeTakeFirst']>>>;

function toTopicRecord(r: TopicRow): TopicRecord {
  return {
    id: r.id, categoryId: r.category_id, title: r.title, authorId: r.author_id, isQuestion: r.is_question, solvedPostId: r.solved_post_id,
    locked: r.locked, pinned: r.pinned, postCount: r.post_count, readRoles: r.read_roles, categorySlug: r.slug, categoryTitle: r.category_title,
    departmentCode: r.department_code,
  };
}

export async function loadTopic(db: DB | Tx, topicId: number): Promise<TopicRecord | null> {
  const r = await topicQuery(db, topicId).executeTakeFirst();
  return r ? toTopicRecord(r) : null;
}

/** What the topic page needs to know of the reader, beside the topic itself. */
export interface TopicViewer {
  watch: 'watch' | 'mute' | null;
  /** The last post the reader has seen, if any. */
  readUpTo: number | null;
  /** The first post awaits approval: the topic is not public yet. */
  awaitingApproval: boolean;
}

/** On a topic aliased `t`: its first post awaits a moderator's approval, so the topic is not public yet. */
export const awaitingApprovalSql = sql<boolean>`exists (select 1 from forum_posts fp where fp.topic_id = t.id and fp.heading is not null and fp.state = 'pending')`;

/** On a topic aliased `t`: the person may see it in lists (not awaiting approval, or theirs). */
export const listedForSql = (userId: number) => sql<boolean>`(t.author_id = ${userId} or not ${awaitingApprovalSql})`;

/**
 * The topic and the reader's state in it (watch, read marker, approval), in one round trip:
 * the topic page is the forums' most requested page.
 */
export async function readableTopicForViewer(db: DB | Tx, user: SessionUser, topicId: number): Promise<{ topic: TopicRecord; viewer: TopicViewer }> {
  const r = await topicQuery(db, topicId)
    .select([
      sql<'watch' | 'mute' | null>`(select w.level from forum_watches w where w.user_id = ${user.id} and w.topic_id = t.id)`.as('watch'),
      sql<number | null>`(select r.last_post_id from forum_reads r where r.user_id = ${user.id} and r.topic_id = t.id)`.as('read_up_to'),
      awaitingApprovalSql.as('awaiting_approval'),
    ])
    .executeTakeFirst();
  if (!r || !canReadCategory(user, r.read_roles)) throw notFound("Cette discussion n'existe pas ou vous n'y avez pas accès.");
  return { topic: toTopicRecord(r), viewer: { watch: r.watch, readUpTo: r.read_up_to, awaitingApproval: r.awaiting_approval } };
}

/** The topic if the person may read it; otherwise a 404 that does not tell a private topic exists. */
export async function readableTopic(db: DB | Tx, user: SessionUser | null | undefined, topicId: number): Promise<TopicRecord> {
  const topic = await loadTopic(db, topicId);
  if (!topic || !canReadCategory(user, topic.readRoles)) throw notFound("Cette discussion n'existe pas ou vous n'y avez pas accès.");
  return topic;
}

export interface PostRecord {
  id: number;
  topicId: number;
  authorId: number | null;
  body: string;
  version: number;
  state: PostState;
  createdAt: Date;
}

export async function loadPost(db: DB | Tx, postId: number): Promise<PostRecord | null> {
  const r = await db.selectFrom('forum_posts').select(['id', 'topic_id', 'author_id', 'body', 'version', 'state', 'created_at']).where('id', '=', postId).executeTakeFirst();
  return r ? { id: r.id, topicId: r.topic_id, authorId: r.author_id, body: r.body, version: r.version, state: r.state, createdAt: r.created_at } : null;
}

/** A post and its topic, readable by the person (hidden and pending posts only by their author and moderators). */
export async function readablePost(ctx: Ctx, user: SessionUser, postId: number): Promise<{ post: PostRecord; topic: TopicRecord }> {
  const post = await loadPost(ctx.db, postId);
  if (!post) throw notFound("Ce message n'existe pas.");
  const topic = await readableTopic(ctx.db, user, post.topicId);
  if (post.state !== 'visible' && post.authorId !== user.id && !isModerator(ctx, user, topic)) throw notFound("Ce message n'existe pas.");
  return { post, topic };
}

async function addPost(ctx: Ctx, trx: Tx, user: SessionUser, topicId: number, body: string, heading: string | null): Promise<{ id: number; state: PostState }> {
  const state = await initialState(ctx, trx, user);
  const post = await trx
    .insertInto('forum_posts')
    .values({ topic_id: topicId, author_id: user.id, heading, body, state })
    .returning(['id', 'state'])
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('forum_topics')
    .set((eb) => ({ post_count: eb('post_count', '+', 1), last_post_id: post.id, last_post_at: sql<Date>`now()` }))
    .where('id', '=', topicId)
    .execute();
  // Writers follow what they wrote in, unless they muted it.
  await trx.insertInto('forum_watches').values({ user_id: user.id, topic_id: topicId, category_id: null, level: 'watch' }).onConflict((oc) => oc.columns(['user_id', 'topic_id']).where('topic_id', 'is not', null).doNothing()).execute();
  await markRead(trx, user.id, topicId, post.id);
  return post;
}

export async function createTopic(
  ctx: Ctx,
  user: SessionUser,
  input: { categoryId: number; title: string; body: string; isQuestion: boolean },
): Promise<{ topicId: number; postId: number; state: PostState }> {
  const handles = checkMentions(ctx, input.body);
  const result = await ctx.db.transaction().execute(async (trx) => {
    await checkRate(ctx, trx, user);
    const topic = await trx
      .insertInto('forum_topics')
      .values({ category_id: input.categoryId, title: input.title, author_id: user.id, is_question: input.isQuestion })
      .returning('id')
      .executeTakeFirstOrThrow();
    const post = await addPost(ctx, trx, user, topic.id, input.body, input.title);
    if (post.state === 'visible') await notifyNewPost(ctx, trx, { postId: post.id, topicId: topic.id, author: user, handles, isNewTopic: true });
    return { topicId: topic.id, postId: post.id, state: post.state };
  });
  ctx.jobs.nudge();
  return result;
}

export async function reply(ctx: Ctx, user: SessionUser, topic: TopicRecord, body: string): Promise<{ postId: number; state: PostState }> {
  if (topic.locked && !isModerator(ctx, user, topic)) throw conflict('Cette discussion est verrouillée : il n\'est plus possible d\'y répondre.');
  const handles = checkMentions(ctx, body);
  const result = await ctx.db.transaction().execute(async (trx) => {
    await checkRate(ctx, trx, user);
    const post = await addPost(ctx, trx, user, topic.id, body, null);
    if (post.state === 'visible') await notifyNewPost(ctx, trx, { postId: post.id, topicId: topic.id, author: user, handles, isNewTopic: false });
    return { postId: post.id, state: post.state };
  });
  ctx.jobs.nudge();
  return result;
}

export class EditConflict extends Error {
  constructor(readonly current: { body: string; version: number }) {
    super('edit conflict');
  }
}

/**
 * Replaces a post's text if nobody changed it since `version` was read; the replaced text is
 * kept as a revision. A stale version raises EditConflict with the current text: both stay.
 */
export async function editPost(ctx: Ctx, user: SessionUser, postId: number, input: { body: string; version: number; title?: string }): Promise<void> {
  const handles = checkMentions(ctx, input.body);
  await ctx.db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('forum_posts').select(['id', 'topic_id', 'body', 'version', 'heading', 'state']).where('id', '=', postId).forUpdate().executeTakeFirst();
    if (!current) throw notFound("Ce message n'existe pas.");
    if (current.version !== input.version) throw new EditConflict({ body: current.body, version: current.version });
    if (current.body === input.body && (input.title === undefined || input.title === current.heading)) return;
    await trx.insertInto('forum_post_revisions').values({ post_id: postId, version: current.version, body: current.body, edited_by: user.id }).execute();
    const heading = current.heading !== null && input.title ? input.title : current.heading;
    await trx.updateTable('forum_posts').set({ body: input.body, heading, version: current.version + 1, edited_at: new Date() }).where('id', '=', postId).execute();
    if (heading !== current.heading && heading) await trx.updateTable('forum_topics').set({ title: heading }).where('id', '=', current.topic_id).execute();
    // Someone mentioned by the edit hears of it; those mentioned before do not hear twice.
    const before = new Set(mentionedHandles(current.body));
    const added = handles.filter((h) => !before.has(h));
    if (added.length && current.state === 'visible') {
      await notifyNewPost(ctx, trx, { postId, topicId: current.topic_id, author: user, handles: added, isNewTopic: false, mentionsOnly: true });
    }
  });
}

export async function deleteOwnPost(ctx: Ctx, user: SessionUser, post: PostRecord): Promise<void> {
  if (post.authorId !== user.id) throw forbidden('Vous ne pouvez supprimer que vos propres messages.');
  if (post.state === 'deleted') return;
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('forum_posts').set({ state: 'deleted' }).where('id', '=', post.id).execute();
    // Its words must not live on in the bells and digests of those it was sent to.
    await ctx.notifications.withdraw(`/forums/p/${post.id}`, { trx });
  });
}

/** Likes or unlikes; one's own posts cannot be liked. */
export async function toggleLike(ctx: Ctx, user: SessionUser, post: PostRecord): Promise<boolean> {
  if (post.authorId === user.id) throw forbidden('Vous ne pouvez pas aimer vos propres messages.');
  if (post.state !== 'visible') throw conflict('Ce message ne peut pas être aimé.');
  return ctx.db.transaction().execute(async (trx) => {
    const removed = await trx.deleteFrom('forum_likes').where('post_id', '=', post.id).where('user_id', '=', user.id).executeTakeFirst();
    const liked = removed.numDeletedRows === 0n;
    if (liked) await trx.insertInto('forum_likes').values({ post_id: post.id, user_id: user.id }).execute();
    await trx.updateTable('forum_posts').set((eb) => ({ like_count: eb('like_count', '+', liked ? 1 : -1) })).where('id', '=', post.id).execute();
    return liked;
  });
}

/** The asker or a moderator marks (or unmarks) the answer that solved a question. */
export async function toggleSolution(ctx: Ctx, user: SessionUser, post: PostRecord, topic: TopicRecord): Promise<boolean> {
  if (!topic.isQuestion) throw conflict("Cette discussion n'est pas une question : elle n'a pas de réponse à marquer.");
  if (topic.authorId !== user.id && !isModerator(ctx, user, topic)) throw forbidden("Seule la personne qui a posé la question, ou un modérateur, peut marquer la réponse qui l'a résolue.");
  if (post.state !== 'visible') throw conflict('Un message masqué ou supprimé ne peut pas être la solution.');
  const first = await ctx.db.selectFrom('forum_posts').select(sql<number>`min(id)`.as('id')).where('topic_id', '=', topic.id).executeTakeFirstOrThrow();
  if (first.id === post.id) throw badRequest('La question elle-même ne peut pas être sa propre solution.');
  const solved = topic.solvedPostId !== post.id;
  await ctx.db.updateTable('forum_topics').set({ solved_post_id: solved ? post.id : null }).where('id', '=', topic.id).execute();
  return solved;
}

/** Moves the read mark forward, never back. */
export async function markRead(db: DB | Tx, userId: number, topicId: number, postId: number): Promise<void> {
  await db
    .insertInto('forum_reads')
    .values({ user_id: userId, topic_id: topicId, last_post_id: postId })
    .onConflict((oc) => oc.columns(['user_id', 'topic_id']).doUpdateSet({ last_post_id: sql<number>`greatest(forum_reads.last_post_id, excluded.last_post_id)` }))
    .execute();
}
