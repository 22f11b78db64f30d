import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { mentionedKeys } from './mentions.js';

/** Messages: stored before anyone is told, idempotent by (author, client id), read by pages. */

export class ChatError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
  }
}

export interface Author {
  id: number;
  name: string;
  department: string | null;
}

export interface ChatMessage {
  id: number;
  roomId: number;
  clientId: string;
  author: Author | null;
  body: string;
  html: string;
  replyTo: number | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  /** Who reacted, in the same order in `users` and `names`. */
  reactions: Reaction[];
  parent: { id: number; author: string; excerpt: string } | null;
  /** The `prenom.nom` handles the message mentions (mentions.ts), to mark it for those people. */
  mentions: string[];
}

export interface Reaction {
  emoji: string;
  users: number[];
  names: string[];
}

export interface NewMessage {
  roomId: number;
  authorId: number;
  clientId: string;
  body: string;
  replyTo?: number | null;
}

export interface Stored {
  id: number;
  createdAt: Date;
  /** True when this client id had already been stored: the earlier message is returned. */
  duplicate: boolean;
  replyTo: number | null;
}

/**
 * One statement stores the message only if its author may post there (member, not muted, room
 * not locked, reply in the same room); a retry with the same client id changes nothing. Only
 * when nothing was written do we look for the reason, so the common case is one round trip.
 */
export async function storeMessage(db: DB, m: NewMessage): Promise<Stored> {
  const replyTo = m.replyTo ?? null;
  const { rows } = await sql<{ id: number; created_at: Date; reply_to: number | null }>`
    insert into chat_messages (room_id, author_id, client_id, body, reply_to)
    select ${m.roomId}, ${m.authorId}, ${m.clientId}, ${m.body},
           (select coalesce(p.reply_to, p.id) from chat_messages p where p.id = ${replyTo}::bigint and p.room_id = ${m.roomId} and p.deleted_at is null)
    where exists (select 1 from chat_members cm join chat_rooms r on r.id = cm.room_id
                  where cm.room_id = ${m.roomId} and cm.user_id = ${m.authorId} and not cm.muted and not r.locked)
      and (${replyTo}::bigint is null or exists (select 1 from chat_messages p where p.id = ${replyTo}::bigint and p.room_id = ${m.roomId} and p.deleted_at is null))
    on conflict (author_id, client_id) do nothing
    returning id, created_at, reply_to`.execute(db);
  if (rows[0]) return { id: Number(rows[0].id), createdAt: new Date(rows[0].created_at), duplicate: false, replyTo: rows[0].reply_to === null ? null : Number(rows[0].reply_to) };
  return explainRefusal(db, m);
}

async function explainRefusal(db: DB, m: NewMessage): Promise<Stored> {
  const earlier = await db
    .selectFrom('chat_messages')
    .select(['id', 'room_id', 'created_at', 'reply_to'])
    .where('author_id', '=', m.authorId)
    .where('client_id', '=', m.clientId)
    .executeTakeFirst();
  if (earlier) {
    if (earlier.room_id !== m.roomId) throw new ChatError(409, 'Cet identifiant de message a déjà servi dans un autre salon.');
    return { id: Number(earlier.id), createdAt: new Date(earlier.created_at), duplicate: true, replyTo: earlier.reply_to === null ? null : Number(earlier.reply_to) };
  }
  const member = await db
    .selectFrom('chat_members as cm')
    .innerJoin('chat_rooms as r', 'r.id', 'cm.room_id')
    .select(['cm.muted', 'r.locked'])
    .where('cm.room_id', '=', m.roomId)
    .where('cm.user_id', '=', m.authorId)
    .executeTakeFirst();
  if (!member) throw new ChatError(404, "Ce salon n'existe pas ou vous n'en êtes pas membre.");
  if (member.locked) throw new ChatError(423, 'Ce salon est verrouillé : personne ne peut y écrire pour le moment.');
  if (member.muted) throw new ChatError(403, 'Vous ne pouvez plus écrire dans ce salon : un modérateur vous a mis en sourdine.');
  throw new ChatError(422, "Le message auquel vous répondez n'existe pas dans ce salon.");
}

type Renderer = (body: string) => string;

interface Row {
  id: number;
  room_id: number;
  client_id: string;
  author_id: number | null;
  given_name: string | null;
  family_name: string | null;
  department: string | null;
  body: string;
  reply_to: number | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  reactions: Reaction[] | string | null;
  parent_author: string | null;
  parent_body: string | null;
}

function selectMessages(db: DB) {
  return db
    .selectFrom('chat_messages as m')
    .leftJoin('users as u', 'u.id', 'm.author_id')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .leftJoin('chat_messages as p', 'p.id', 'm.reply_to')
    .leftJoin('users as pu', 'pu.id', 'p.author_id')
    .select([
      'm.id', 'm.room_id', 'm.client_id', 'm.author_id', 'u.given_name', 'u.family_name', 'd.name as department',
      'm.body', 'm.reply_to', 'm.created_at', 'm.edited_at', 'm.deleted_at',
      sql<string | null>`concat_ws(' ', pu.given_name, pu.family_name)`.as('parent_author'),
      sql<string | null>`case when p.deleted_at is null then p.body end`.as('parent_body'),
      sql<Row['reactions']>`(select json_agg(json_build_object('emoji', g.emoji, 'users', g.users, 'names', g.names)) from (
        select r.emoji, json_agg(r.user_id order by r.user_id) as users, json_agg(concat_ws(' ', ru.given_name, ru.family_name) order by r.user_id) as names
        from chat_reactions r join users ru on ru.id = r.user_id where r.message_id = m.id group by r.emoji order by r.emoji) g)`.as('reactions'),
    ]);
}

export function toView(r: Row, render: Renderer, toText: (s: string) => string): ChatMessage {
  const reactions = typeof r.reactions === 'string' ? JSON.parse(r.reactions) : (r.reactions ?? []);
  const deleted = r.deleted_at !== null;
  return {
    id: Number(r.id),
    roomId: r.room_id,
    clientId: r.client_id,
    author: r.author_id === null ? null : { id: r.author_id, name: `${r.given_name ?? ''} ${r.family_name ?? ''}`.trim(), department: r.department },
    body: deleted ? '' : r.body,
    html: deleted ? '' : render(r.body),
    replyTo: r.reply_to === null ? null : Number(r.reply_to),
    createdAt: new Date(r.created_at).toISOString(),
    editedAt: r.edited_at ? new Date(r.edited_at).toISOString() : null,
    deleted,
    reactions,
    parent: r.reply_to === null ? null : { id: Number(r.reply_to), author: r.parent_author ?? '', excerpt: r.parent_body ? toText(r.parent_body).slice(0, 120) : 'message supprimé' },
    mentions: deleted ? [] : mentionedKeys(r.body),
  };
}

export interface Page {
  messages: ChatMessage[];
  /** An older page exists before the first message. */
  hasOlder: boolean;
  /** Newer messages exist after the last one (a page around a message, `around`). */
  hasNewer?: boolean;
}

/** A page of a room's history in reading order: the latest, or those before / after / around an id. */
export async function historyPage(
  db: DB,
  roomId: number,
  options: { before?: number; after?: number; around?: number; limit: number; thread?: number },
  render: Renderer,
  toText: (s: string) => string,
): Promise<Page> {
  let q = selectMessages(db).where('m.room_id', '=', roomId);
  if (options.thread) q = q.where((eb) => eb.or([eb('m.id', '=', options.thread!), eb('m.reply_to', '=', options.thread!)]));
  if (options.after !== undefined) {
    const rows = (await q.where('m.id', '>', options.after).orderBy('m.id', 'asc').limit(options.limit).execute()) as Row[];
    return { messages: rows.map((r) => toView(r, render, toText)), hasOlder: false };
  }
  if (options.around !== undefined) {
    // The message in the middle of its page: what came just before it, and just after.
    const after = Math.floor(options.limit / 2);
    const upTo = options.limit - after;
    const [older, newer] = await Promise.all([
      q.where('m.id', '<=', options.around).orderBy('m.id', 'desc').limit(upTo + 1).execute() as Promise<Row[]>,
      q.where('m.id', '>', options.around).orderBy('m.id', 'asc').limit(after + 1).execute() as Promise<Row[]>,
    ]);
    const rows = [...older.slice(0, upTo).reverse(), ...newer.slice(0, after)];
    return { messages: rows.map((r) => toView(r, render, toText)), hasOlder: older.length > upTo, hasNewer: newer.length > after };
  }
  if (options.before !== undefined) q = q.where('m.id', '<', options.before);
  const rows = (await q.orderBy('m.id', 'desc').limit(options.limit + 1).execute()) as Row[];
  const hasOlder = rows.length > options.limit;
  // A page of older history always has newer messages after it (at least the one it stops before).
  return { messages: rows.slice(0, options.limit).reverse().map((r) => toView(r, render, toText)), hasOlder, hasNewer: options.before !== undefined };
}

/** The next number of the changes sequence, for a message being changed. */
const nextChange = sql<number>`nextval('chat_message_changes')`;

/**
 * The messages of a room changed after `changeId` among those up to `upTo` (later ones reach the
 * client as new messages), in the order of their changes, and where the next call starts from.
 */
export async function changedSince(
  db: DB,
  roomId: number,
  options: { changeId: number; upTo: number; limit: number },
  render: Renderer,
  toText: (s: string) => string,
): Promise<{ messages: ChatMessage[]; changeId: number }> {
  const rows = (await selectMessages(db)
    .select('m.change_id')
    .where('m.room_id', '=', roomId)
    .where('m.change_id', '>', options.changeId)
    .where('m.id', '<=', options.upTo)
    .orderBy('m.change_id', 'asc')
    .limit(options.limit)
    .execute()) as (Row & { change_id: number | string })[];
  return { messages: rows.map((r) => toView(r, render, toText)), changeId: rows.length ? Number(rows.at(-1)!.change_id) : options.changeId };
}

/** Where a client that loads a room now starts asking for changes. */
export async function lastChange(db: DB, roomId: number): Promise<number> {
  const row = await db.selectFrom('chat_messages').select((eb) => eb.fn.max('change_id').as('last')).where('room_id', '=', roomId).where('change_id', 'is not', null).executeTakeFirst();
  return Number(row?.last ?? 0);
}

export async function messageById(db: DB, id: number, render: Renderer, toText: (s: string) => string): Promise<ChatMessage | null> {
  const row = (await selectMessages(db).where('m.id', '=', id).executeTakeFirst()) as Row | undefined;
  return row ? toView(row, render, toText) : null;
}

export async function editMessage(db: DB, id: number, authorId: number, body: string): Promise<number> {
  const row = await db
    .updateTable('chat_messages')
    .set({ body, edited_at: new Date(), change_id: nextChange })
    .where('id', '=', id)
    .where('author_id', '=', authorId)
    .where('deleted_at', 'is', null)
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('chat_members as cm').innerJoin('chat_rooms as r', 'r.id', 'cm.room_id').select('cm.user_id')
        .whereRef('cm.room_id', '=', 'chat_messages.room_id').where('cm.user_id', '=', authorId).where('cm.muted', '=', false).where('r.locked', '=', false)),
    )
    .returning('room_id')
    .executeTakeFirst();
  if (!row) throw new ChatError(404, "Ce message n'existe pas, a été supprimé, ou vous ne pouvez pas le modifier.");
  return row.room_id;
}

/** Soft delete: the text goes at once (RGPD), the place in the conversation stays. */
export async function deleteMessage(db: DB, id: number, byUserId: number): Promise<void> {
  await db.updateTable('chat_messages').set({ body: '', deleted_at: new Date(), deleted_by: byUserId, change_id: nextChange }).where('id', '=', id).where('deleted_at', 'is', null).execute();
  await db.deleteFrom('chat_reactions').where('message_id', '=', id).execute();
}

export async function messageMeta(db: DB, id: number): Promise<{ id: number; roomId: number; authorId: number | null; deleted: boolean; body: string } | null> {
  const row = await db.selectFrom('chat_messages').select(['id', 'room_id', 'author_id', 'deleted_at', 'body']).where('id', '=', id).executeTakeFirst();
  return row ? { id: Number(row.id), roomId: row.room_id, authorId: row.author_id, deleted: row.deleted_at !== null, body: row.body } : null;
}

/** Adds the reaction, or takes it back when it was there. */
export async function toggleReaction(db: DB, messageId: number, userId: number, emoji: string): Promise<boolean> {
  const removed = await db.deleteFrom('chat_reactions').where('message_id', '=', messageId).where('user_id', '=', userId).where('emoji', '=', emoji).executeTakeFirst();
  const added = Number(removed.numDeletedRows) === 0;
  if (added) await db.insertInto('chat_reactions').values({ message_id: messageId, user_id: userId, emoji }).onConflict((oc) => oc.doNothing()).execute();
  await db.updateTable('chat_messages').set({ change_id: nextChange }).where('id', '=', messageId).execute();
  return added;
}

export async function reactionsOf(db: DB, messageId: number): Promise<{ emoji: string; users: number[] }[]> {
  const rows = await db.selectFrom('chat_reactions').select(['emoji', 'user_id']).where('message_id', '=', messageId).orderBy('emoji').orderBy('user_id').execute();
  const map = new Map<string, number[]>();
  for (const r of rows) map.set(r.emoji, [...(map.get(r.emoji) ?? []), r.user_id]);
  return [...map].map(([emoji, users]) => ({ emoji, users }));
}

/** Deletes the messages older than the retention period; returns how many went. */
export async function purgeOlderThan(db: DB, days: number): Promise<number> {
  const result = await db.deleteFrom('chat_messages').where('created_at', '<', new Date(Date.now() - days * 86_400_000)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
