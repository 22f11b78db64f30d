import { sql } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { Tx } from '../../server/db/schema.js';
import { canReadCategory, type Ctx } from './access.js';

export const KIND_MENTION = 'forums:mention';
export const KIND_WATCHED = 'forums:watched';

export function declareNotificationKinds(ctx: Ctx): void {
  ctx.notifications.declareKind({ id: KIND_MENTION, label: 'Forums : quand on me mentionne avec @', defaultEmail: 'immediate' });
  ctx.notifications.declareKind({ id: KIND_WATCHED, label: 'Forums : nouveaux messages des discussions et catégories suivies', defaultEmail: 'daily' });
}

const EXCERPT_CHARS = 3000;

/**
 * Tells the people concerned by a new visible post, in the post's transaction: those it
 * mentions (if they may read it), then those who watch its topic or category and did not
 * mute it. Nobody hears twice, and the author never hears of their own post. After an edit,
 * `mentionsOnly` with the handles the edit added.
 */
export async function notifyNewPost(
  ctx: Ctx,
  trx: Tx,
  input: { postId: number; topicId: number; author: SessionUser; handles: string[]; isNewTopic: boolean; mentionsOnly?: boolean },
): Promise<void> {
  const topic = await trx
    .selectFrom('forum_topics as t')
    .innerJoin('forum_categories as c', 'c.id', 't.category_id')
    .innerJoin('forum_posts as p', (j) => j.on('p.id', '=', input.postId))
    .select(['t.title', 't.category_id', 'c.read_roles', 'c.title as category_title', 'p.body'])
    .where('t.id', '=', input.topicId)
    .executeTakeFirstOrThrow();
  const mentioned = input.handles.length
    ? await trx.selectFrom('users').select('id').where(sql<string>`lower(split_part(email, '@', 1))`, 'in', input.handles).where('status', '=', 'active').execute()
    : [];
  // An edit tells only the people it newly mentions: watchers heard of the post already.
  const watches = input.mentionsOnly ? [] : await trx
    .selectFrom('forum_watches')
    .select(['user_id', 'topic_id', 'level'])
    .where((eb) => eb.or([eb('topic_id', '=', input.topicId), eb('category_id', '=', topic.category_id)]))
    .execute();
  const topicLevel = new Map(watches.filter((w) => w.topic_id !== null).map((w) => [w.user_id, w.level]));
  const categoryLevel = new Map(watches.filter((w) => w.topic_id === null).map((w) => [w.user_id, w.level]));
  const watchers = [...new Set([...topicLevel.keys(), ...categoryLevel.keys()])].filter((id) => (topicLevel.get(id) ?? categoryLevel.get(id)) === 'watch');

  const candidates = [...new Set([...mentioned.map((m) => m.id), ...watchers])].filter((id) => id !== input.author.id);
  if (!candidates.length) return;
  const roleRows = await trx.selectFrom('user_roles').select(['user_id', 'role']).where('user_id', 'in', candidates).execute();
  const rolesOf = (id: number) => roleRows.filter((r) => r.user_id === id).map((r) => r.role);
  const mayRead = (id: number) => canReadCategory({ roles: rolesOf(id) } as unknown as SessionUser, topic.read_roles);

  const mentionIds = mentioned.map((m) => m.id).filter((id) => id !== input.author.id && mayRead(id) && topicLevel.get(id) !== 'mute');
  const watcherIds = watchers.filter((id) => id !== input.author.id && mayRead(id) && !mentionIds.includes(id));
  const excerpt = topic.body.length > EXCERPT_CHARS ? `${topic.body.slice(0, EXCERPT_CHARS)}…` : topic.body;
  const url = `/forums/p/${input.postId}`;
  const who = input.author.displayName;
  if (mentionIds.length) {
    await ctx.notifications.notify(mentionIds, { kind: KIND_MENTION, title: `${who} vous a mentionné dans « ${topic.title} »`, body: excerpt, url }, { trx });
  }
  if (watcherIds.length) {
    const title = input.isNewTopic ? `Nouvelle discussion dans ${topic.category_title} : « ${topic.title} »` : `${who} a répondu dans « ${topic.title} »`;
    await ctx.notifications.notify(watcherIds, { kind: KIND_WATCHED, title, body: excerpt, url }, { trx });
  }
}
