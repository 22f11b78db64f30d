import { sql } from 'kysely';
import type { DB, Tx } from '../../server/db/schema.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { RoomKind } from './schema.js';

/** Rooms and who is in them: place rooms kept in sync with profiles, topics, groups, DMs. */

type Db = DB | Tx;

export interface RoomRow {
  id: number;
  kind: RoomKind;
  slug: string | null;
  name: string;
  description: string;
  locked: boolean;
}

export interface Membership {
  role: 'owner' | 'member';
  muted: boolean;
  lastReadId: number;
}

export const PRIVATE_KINDS: RoomKind[] = ['group', 'dm'];

/** Creates a room by its stable slug once, whoever asks first (concurrent logins agree). */
async function roomBySlug(db: Db, slug: string, kind: RoomKind, name: string): Promise<number> {
  await db.insertInto('chat_rooms').values({ kind, slug, name }).onConflict((oc) => oc.column('slug').doNothing()).execute();
  const row = await db.selectFrom('chat_rooms').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * The person is in the rooms of their département and académie, and only those: a move to
 * another département takes them out of the old room and into the new one.
 */
export async function syncPlaceRooms(db: DB, user: Pick<SessionUser, 'id' | 'department' | 'academy'>): Promise<void> {
  const wanted: number[] = [];
  if (user.department) wanted.push(await roomBySlug(db, `departement:${user.department.code}`, 'departement', user.department.name));
  if (user.academy) wanted.push(await roomBySlug(db, `academie:${user.academy.code}`, 'academie', `Académie de ${user.academy.name}`));
  await db.transaction().execute(async (trx) => {
    let stale = trx
      .deleteFrom('chat_members')
      .where('user_id', '=', user.id)
      .where('room_id', 'in', trx.selectFrom('chat_rooms').select('id').where('kind', 'in', ['departement', 'academie']));
    if (wanted.length) stale = stale.where('room_id', 'not in', wanted);
    await stale.execute();
    if (wanted.length) {
      await trx
        .insertInto('chat_members')
        .values(wanted.map((room_id) => ({ room_id, user_id: user.id })))
        .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
        .execute();
    }
  });
}

export async function roomById(db: Db, id: number): Promise<RoomRow | null> {
  return (await db.selectFrom('chat_rooms').select(['id', 'kind', 'slug', 'name', 'description', 'locked']).where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function membershipOf(db: Db, roomId: number, userId: number): Promise<Membership | null> {
  const row = await db
    .selectFrom('chat_members')
    .select(['role', 'muted', 'last_read_id'])
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? { role: row.role, muted: row.muted, lastReadId: Number(row.last_read_id) } : null;
}

export async function roomIdsOf(db: Db, userId: number): Promise<number[]> {
  const rows = await db.selectFrom('chat_members').select('room_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.room_id);
}

export interface RoomSummary extends RoomRow {
  unread: number;
  lastMessageAt: Date | null;
  /** For a DM, the other person. */
  label: string;
}

/** The rooms a person is in, with their unread counts, place rooms first. */
export async function roomsOf(db: DB, userId: number): Promise<RoomSummary[]> {
  const rows = await db
    .selectFrom('chat_members as m')
    .innerJoin('chat_rooms as r', 'r.id', 'm.room_id')
    .select([
      'r.id', 'r.kind', 'r.slug', 'r.name', 'r.description', 'r.locked',
      sql<number>`(select count(*) from chat_messages x where x.room_id = r.id and x.id > m.last_read_id and x.deleted_at is null and x.author_id is distinct from m.user_id)`.as('unread'),
      sql<Date | null>`(select max(x.created_at) from chat_messages x where x.room_id = r.id)`.as('last_at'),
      sql<string | null>`(select concat_ws(' ', u.given_name, u.family_name) from chat_members o join users u on u.id = o.user_id where r.kind = 'dm' and o.room_id = r.id and o.user_id <> m.user_id limit 1)`.as('other'),
    ])
    .where('m.user_id', '=', userId)
    .execute();
  const order: Record<RoomKind, number> = { departement: 0, academie: 1, topic: 2, group: 3, dm: 4 };
  return rows
    .map((r) => ({
      id: r.id, kind: r.kind, slug: r.slug, name: r.name, description: r.description, locked: r.locked,
      unread: Number(r.unread), lastMessageAt: r.last_at ? new Date(r.last_at) : null,
      label: r.kind === 'dm' ? (r.other ?? r.name) : r.name,
    }))
    .sort((a, b) => order[a.kind] - order[b.kind] || a.label.localeCompare(b.label, 'fr'));
}

export async function topicDirectory(db: DB, userId: number): Promise<(RoomRow & { joined: boolean; members: number })[]> {
  const rows = await db
    .selectFrom('chat_rooms as r')
    .select([
      'r.id', 'r.kind', 'r.slug', 'r.name', 'r.description', 'r.locked',
      sql<boolean>`exists (select 1 from chat_members m where m.room_id = r.id and m.user_id = ${userId})`.as('joined'),
      sql<number>`(select count(*) from chat_members m where m.room_id = r.id)`.as('members'),
    ])
    .where('r.kind', '=', 'topic')
    .orderBy('r.name')
    .execute();
  return rows.map((r) => ({ ...r, members: Number(r.members) }));
}

export async function joinRoom(db: Db, roomId: number, userId: number, role: 'owner' | 'member' = 'member'): Promise<void> {
  await db
    .insertInto('chat_members')
    .values({ room_id: roomId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
    .execute();
}

export async function leaveRoom(db: DB, roomId: number, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('chat_members').where('room_id', '=', roomId).where('user_id', '=', userId).returning('role').executeTakeFirst();
    // A group is never left without an owner: the longest-standing member takes over.
    if (gone?.role === 'owner') {
      const owners = await trx.selectFrom('chat_members').select('user_id').where('room_id', '=', roomId).where('role', '=', 'owner').execute();
      if (!owners.length) {
        const next = await trx.selectFrom('chat_members').select('user_id').where('room_id', '=', roomId).orderBy('joined_at').orderBy('user_id').limit(1).executeTakeFirst();
        if (next) await trx.updateTable('chat_members').set({ role: 'owner' }).where('room_id', '=', roomId).where('user_id', '=', next.user_id).execute();
      }
    }
  });
}

export async function createGroup(db: DB, name: string, ownerId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const room = await trx.insertInto('chat_rooms').values({ kind: 'group', name, created_by: ownerId }).returning('id').executeTakeFirstOrThrow();
    await joinRoom(trx, room.id, ownerId, 'owner');
    return room.id;
  });
}

/** The one DM room between two people, created on first use. */
export async function directRoom(db: DB, a: number, b: number): Promise<number> {
  const [low, high] = a < b ? [a, b] : [b, a];
  return db.transaction().execute(async (trx) => {
    const id = await roomBySlug(trx, `dm:${low}:${high}`, 'dm', 'Message direct');
    await joinRoom(trx, id, low);
    if (high !== low) await joinRoom(trx, id, high);
    return id;
  });
}

export interface MemberView {
  userId: number;
  name: string;
  department: string | null;
  role: 'owner' | 'member';
  muted: boolean;
}

export async function membersOf(db: DB, roomId: number): Promise<MemberView[]> {
  const rows = await db
    .selectFrom('chat_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .leftJoin('departments as d', 'd.code', 'u.department_code')
    .select(['m.user_id', 'u.given_name', 'u.family_name', 'd.name as department', 'm.role', 'm.muted'])
    .where('m.room_id', '=', roomId)
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: `${r.given_name} ${r.family_name}`.trim(), department: r.department, role: r.role, muted: r.muted }));
}

export async function markRead(db: Db, roomId: number, userId: number, messageId: number): Promise<void> {
  await db
    .updateTable('chat_members')
    .set({ last_read_id: sql<number>`greatest(last_read_id, ${messageId})` })
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .execute();
}
