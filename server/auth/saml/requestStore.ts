import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { DB } from '../../db/schema.js';

/** How long a user may take at the IdP's login page before Maillon forgets its request. */
export const REQUEST_LIFETIME_MS = 30 * 60_000;

/**
 * node-saml's cache of outstanding request ids, kept in the database so an answer is
 * recognised by any process and after a restart. One instance per HTTP request and IdP: a
 * request made to one IdP cannot be answered by another, and `consumed` tells whether this
 * request really removed the row (two replays racing: only one removes it).
 */
export class SamlRequestStore implements CacheProvider {
  consumed = false;

  constructor(private readonly db: DB, private readonly idpId: string) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const createdAt = Date.now();
    await this.db
      .insertInto('saml_requests')
      .values({ id: key, idp_id: this.idpId, created_at: new Date(createdAt), expires_at: new Date(createdAt + REQUEST_LIFETIME_MS) })
      .execute();
    return { value, createdAt };
  }

  async getAsync(key: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('saml_requests')
      .select('created_at')
      .where('id', '=', key)
      .where('idp_id', '=', this.idpId)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    return row ? new Date(row.created_at).toISOString() : null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (!key) return null;
    const row = await this.db
      .deleteFrom('saml_requests')
      .where('id', '=', key)
      .where('idp_id', '=', this.idpId)
      .returning('id')
      .executeTakeFirst();
    if (row) this.consumed = true;
    return row?.id ?? null;
  }
}

/**
 * Records a message id (assertion, logout request) as used. False when it was already
 * used: the unique key makes this hold across processes, whatever the timing.
 */
export async function markMessageUsed(db: DB, idpId: string, messageId: string, expiresAt: Date): Promise<boolean> {
  const row = await db
    .insertInto('saml_seen_messages')
    .values({ idp_id: idpId, message_id: messageId, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['idp_id', 'message_id']).doNothing())
    .returning('message_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets requests and message ids that can no longer be valid. */
export async function pruneSamlState(db: DB): Promise<void> {
  const now = new Date();
  await db.deleteFrom('saml_requests').where('expires_at', '<=', now).execute();
  await db.deleteFrom('saml_seen_messages').where('expires_at', '<=', now).execute();
}
