import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import { joinRoom } from './rooms.js';

/**
 * Invitations to private groups. The owner invites; the group stays invisible to the invited
 * person, who sees only its name and who invited them, until they accept (then they are a
 * member) or decline. Inviting a member, or someone already invited, changes nothing.
 */

export interface InvitationView {
  roomId: number;
  roomName: string;
  invitedBy: string | null;
  createdAt: Date;
}

export interface PendingInvitee {
  userId: number;
  name: string;
}

export type InviteOutcome = 'invited' | 'already-invited' | 'already-member';

export async function invite(db: DB, roomId: number, userId: number, invitedBy: number): Promise<InviteOutcome> {
  const member = await db.selectFrom('chat_members').select('user_id').where('room_id', '=', roomId).where('user_id', '=', userId).executeTakeFirst();
  if (member) return 'already-member';
  const row = await db
    .insertInto('chat_invitations')
    .values({ room_id: roomId, user_id: userId, invited_by: invitedBy })
    .onConflict((oc) => oc.columns(['room_id', 'user_id']).doNothing())
    .returning('room_id')
    .executeTakeFirst();
  return row ? 'invited' : 'already-invited';
}

/** Accepting makes the person a member; false when there was no invitation (or it was withdrawn). */
export async function accept(db: DB, roomId: number, userId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const gone = await trx.deleteFrom('chat_invitations').where('room_id', '=', roomId).where('user_id', '=', userId).returning('room_id').executeTakeFirst();
    if (!gone) return false;
    await joinRoom(trx, roomId, userId);
    return true;
  });
}

/** Declined by the person, or withdrawn by an owner: false when there was nothing to remove. */
export async function removeInvitation(db: DB, roomId: number, userId: number): Promise<boolean> {
  const gone = await db.deleteFrom('chat_invitations').where('room_id', '=', roomId).where('user_id', '=', userId).returning('room_id').executeTakeFirst();
  return !!gone;
}

export async function invitationsFor(db: DB, userId: number): Promise<InvitationView[]> {
  const rows = await db
    .selectFrom('chat_invitations as i')
    .innerJoin('chat_rooms as r', 'r.id', 'i.room_id')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .select(['i.room_id', 'r.name', 'i.created_at', sql<string | null>`concat_ws(' ', u.given_name, u.family_name)`.as('inviter')])
    .where('i.user_id', '=', userId)
    .orderBy('i.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ roomId: r.room_id, roomName: r.name, invitedBy: r.inviter || null, createdAt: new Date(r.created_at) }));
}

export async function pendingInvitees(db: DB, roomId: number): Promise<PendingInvitee[]> {
  const rows = await db
    .selectFrom('chat_invitations as i')
    .innerJoin('users as u', 'u.id', 'i.user_id')
    .select(['i.user_id', 'u.given_name', 'u.family_name'])
    .where('i.room_id', '=', roomId)
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: `${r.given_name} ${r.family_name}`.trim() }));
}
