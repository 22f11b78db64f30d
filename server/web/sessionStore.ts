import session from 'express-session';
import type { DB } from '../db/schema.js';

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * express-session store on Maillon's database, so sessions survive a restart and are shared
 * by several processes on either engine (connect-pg-simple needs a `pg` pool, which the
 * embedded engine does not have).
 *
 * Each request would otherwise write its session back just to push the expiry forward:
 * `touch` only writes when the stored expiry is more than a minute old.
 */
export class DbSessionStore extends session.Store {
  private readonly knownExpiry = new Map<string, number>();
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(private readonly db: DB, pruneEveryMs = 15 * 60_000) {
    super();
    this.pruneTimer = setInterval(() => void this.prune().catch(() => {}), pruneEveryMs);
    this.pruneTimer.unref();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('sid', '=', sid)
      .where('expires_at', '>', new Date())
      .executeTakeFirst()
      .then((row) => {
        if (!row) return callback(null, null);
        this.remember(sid, row.expires_at.getTime());
        callback(null, row.data as unknown as session.SessionData);
      }, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const expires = expiryOf(data);
    const userId = userIdOf(data);
    const json = JSON.stringify(data);
    this.db
      .insertInto('sessions')
      .values({ sid, data: json, user_id: userId, expires_at: expires })
      .onConflict((oc) => oc.column('sid').doUpdateSet({ data: json, user_id: userId, expires_at: expires }))
      .execute()
      .then(() => {
        this.remember(sid, expires.getTime());
        callback?.();
      }, (err) => callback?.(err));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const expires = expiryOf(data);
    const known = this.knownExpiry.get(sid);
    if (known !== undefined && expires.getTime() - known < 60_000) return callback?.();
    this.db
      .updateTable('sessions')
      .set({ expires_at: expires })
      .where('sid', '=', sid)
      .execute()
      .then(() => {
        this.remember(sid, expires.getTime());
        callback?.();
      }, (err) => callback?.(err));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.knownExpiry.delete(sid);
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(() => callback?.(), (err) => callback?.(err));
  }

  /** Ends every session of a user (suspension, role removal by an admin). */
  async destroyForUser(userId: number): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    this.knownExpiry.clear();
  }

  async prune(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<=', new Date()).execute();
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }

  private remember(sid: string, expiresAt: number): void {
    // Bounded: forgetting only costs one extra write.
    if (this.knownExpiry.size > 50_000) this.knownExpiry.clear();
    this.knownExpiry.set(sid, expiresAt);
  }
}

function expiryOf(data: session.SessionData): Date {
  const expires = data.cookie?.expires;
  if (expires) return new Date(expires);
  return new Date(Date.now() + (data.cookie?.originalMaxAge ?? 24 * 3600_000));
}

function userIdOf(data: session.SessionData): number | null {
  const user = (data as { passport?: { user?: unknown } }).passport?.user;
  return typeof user === 'number' ? user : null;
}
