import { sql } from 'kysely';
import { ROLES, isRole } from '../../server/auth/roles.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { Tx } from '../../server/db/schema.js';
import { canReadCategory, isModerator, type Ctx, type ModerationScope } from './access.js';

export const KIND_MENTION = 'forums:mention';
export const KIND_WATCHED = 'forums:watched';
export const KIND_FLAG = 'forums:flag';
export const KIND_MODERATED = 'forums:moderated';

/** Where a flag's notice leads: its card in the moderation queue. */
export const flagUrl = (flagId: number) => `/forums/moderation#flag-${flagId}`;

export function declareNotificationKinds(ctx: Ctx): void {
  ctx.notifications.declareKind({ id: KIND_MENTION, label: 'Forums : quand on me mentionne avec @', defaultEmail: 'immediate' });
  ctx.notifications.declareKind({ id: KIND_WATCHED, label: 'Forums : nouveaux messages des discussions et catégories suivies', defaultEmail: 'daily' });
  ctx.notifications.declareKind({ id: KIND_FLAG, label: 'Forums : messages signalés dans les catégories que je modère', defaultEmail: 'daily' });
  ctx.notifications.declareKind({ id: KIND_MODERATED, label: 'Forums : quand la modération masque, refuse, approuve ou rétablit un de mes messages', defaultEmail: 'immediate' });
}

/**
 * Tells a post's author what a moderator did to it, with the reasons it was flagged for: a
 * post that vanished without a word reads as censorship, and the author may mend it. Nobody
 * hears of what they did to their own post.
 */
export async function notifyAuthorOfModeration(
  ctx: Ctx,
  trx: Tx,
  input: { postId: number; authorId: number | null; moderatorId: number; topicTitle: string; action: 'hidden' | 'refused' | 'approved' | 'restored'; reasons?: string[] },
): Promise<void> {
  if (!input.authorId || input.authorId === input.moderatorId) return;
  const what = {
    hidden: 'a été masqué par la modération',
    refused: "n'a pas été approuvé par la modération",
    approved: 'a été approuvé : il est visible de tous',
    restored: 'est de nouveau visible',
  }[input.action];
  const reasons = [...new Set(input.reasons ?? [])];
  const body = input.action === 'hidden' || input.action === 'refused'
    ? [
      // A reason's own final stop would double the sentence's.
      reasons.length ? `Motif${reasons.length > 1 ? 's' : ''} des signalements : ${reasons.map((r) => `« ${r.trim().replace(/[\s.…]+$/, '')} »`).join(', ')}.` : '',
      'Vous seul et les modérateurs le voyez encore, dans la discussion. Vous pouvez le modifier ; pour en parler, répondez dans la discussion ou écrivez à la DANE.',
    ].filter(Boolean).join('\n\n')
    : '';
  await ctx.notifications.notify([input.authorId], { kind: KIND_MODERATED, title: `Votre message dans « ${input.topicTitle} » ${what}`, body, url: `/forums/p/${input.postId}` }, { trx });
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

/** Active accounts that moderate a category (see isModerator) and may read it. */
async function categoryModerators(ctx: Ctx, trx: Tx, category: ModerationScope & { readRoles: string[] }): Promise<SessionUser[]> {
  const moderatingRoles = ROLES.filter((role) => ctx.permissions.can({ roles: [role] } as unknown as SessionUser, 'forums:moderate'));
  const rows = await trx
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .select([
      'u.id', 'u.email', 'u.given_name', 'u.family_name', 'u.department_code', 'd.name as department_name',
      sql<string[]>`coalesce((select array_agg(r.role) from user_roles r where r.user_id = u.id), '{}')`.as('roles'),
    ])
    .where('u.status', '=', 'active')
    .where((eb) => eb.exists(eb.selectFrom('user_roles as r').select('r.user_id').whereRef('r.user_id', '=', 'u.id').where('r.role', 'in', moderatingRoles)))
    .execute();
  return rows
    .map((r): SessionUser => ({
      id: r.id,
      email: r.email,
      givenName: r.given_name,
      familyName: r.family_name,
      displayName: `${r.given_name} ${r.family_name}`,
      roles: r.roles.filter(isRole),
      academy: null,
      department: r.department_code && r.department_name ? { code: r.department_code, name: r.department_name } : null,
      establishments: [],
    }))
    .filter((user) => isModerator(ctx, user, category) && canReadCategory(user, category.readRoles));
}

/**
 * Tells the moderators of a flagged post's category that the flag waits in their queue, in the
 * flag's transaction: one notification each per flag, none to the reporter.
 */
export async function notifyFlag(
  ctx: Ctx,
  trx: Tx,
  input: { flagId: number; topic: ModerationScope & { title: string; categoryTitle: string; readRoles: string[] }; reporter: SessionUser; reason: string },
): Promise<void> {
  const moderators = (await categoryModerators(ctx, trx, input.topic)).map((m) => m.id).filter((id) => id !== input.reporter.id);
  if (!moderators.length) return;
  await ctx.notifications.notify(
    moderators,
    {
      kind: KIND_FLAG,
      title: `${input.reporter.displayName} a signalé un message dans « ${input.topic.title} »`,
      body: `Catégorie ${input.topic.categoryTitle}. Raison du signalement : ${input.reason}`,
      url: flagUrl(input.flagId),
    },
    { trx },
  );
}
