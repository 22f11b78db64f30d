import { randomBytes } from 'node:crypto';
import type { DB } from '../../server/db/schema.js';

/** Personal calendar feeds: one secret token per person, regenerated or revoked from « Mon agenda ». */

export async function feedToken(db: DB, userId: number): Promise<string | null> {
  return (await db.selectFrom('event_feeds').select('token').where('user_id', '=', userId).executeTakeFirst())?.token ?? null;
}

export async function regenerateFeed(db: DB, userId: number): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await db
    .insertInto('event_feeds')
    .values({ user_id: userId, token })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ token, created_at: new Date() }))
    .execute();
  return token;
}

export async function revokeFeed(db: DB, userId: number): Promise<void> {
  await db.deleteFrom('event_feeds').where('user_id', '=', userId).execute();
}

export async function feedOwner(db: DB, token: string): Promise<number | null> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  return (await db.selectFrom('event_feeds').select('user_id').where('token', '=', token).executeTakeFirst())?.user_id ?? null;
}
