import session from 'express-session';
import { sql } from 'kysely';
import type { DB } from '../db/schema.js';
import { sessionUserJson, type RawSessionUser } from '../users/userQueries.js';

declare module 'express-session' {
  interface SessionData {
    /** The session's user as loaded with it; read by Passport, never written back. */
    __user?: RawSessionUser;
  }
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

/**
 * express-session store on Maillon's database, so sessions survive a restart and are shared
 * by several processes on either engine (connect-pg-simple needs a `pg` pool, which the
 * embedded engine does not have).
 *
 * Two costs of every request are cut here. The session and its user come back in one round
 * trip (the user rides along as `__user`, which Passport's deserializer picks up and `set`
 * never stores). And a request would otherwise write its session back just to push the expiry
 * forward: `touch` only writes when the stored expiry is more than a minute old.
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
    sql<{ data: session.SessionData; expires_at: Date; user: RawSessionUser | null }>`
      select s.data, s.expires_at, ${sessionUserJson(sql`s.user_id`)} as user
      from sessions s
      where s.sid = ${sid} and s.expires_at > now()`
      .execute(this.db)
      .then(({ rows }) => {
        const row = rows[0];
        if (!row) return callback(null, null);
        this.remember(sid, row.expires_at.getTime());
        callback(null, row.user ? { ...row.data, __user: row.user } : row.data);
      }, callback);
  }

  /**
   * express-session hashes the session on load and again at the end of every request to see
   * whether it changed, through JSON.stringify: the user riding along would double that work. It
   * is kept on the session as a property that serialising skips (not enumerable).
   */
  override createSession(req: Parameters<session.Store['createSession']>[0], data: session.SessionData) {
    // Taken off `data` itself: express-session hashes that object as the session's first state,
    // and a user found there but not in later hashes would make every request save the session.
    const user = data.__user;
    delete data.__user;
    const created = super.createSession(req, data);
    if (user) Object.defineProperty(created, '__user', { value: user, enumerable: false, writable: true, configurable: true });
    return created;
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const expires = expiryOf(data);
    const userId = userIdOf(data);
    const { __user: _loadedUser, ...stored } = data;
    const json = JSON.stringify(stored);
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
