import { rateLimit, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import type { DB } from '../db/schema.js';
import { HttpError } from './errors.js';

/**
 * express-rate-limit's counts on Maillon's database, so that every process serving the same
 * port shares them (`WEB_CONCURRENCY`): with counts in memory, N processes would grant N times
 * the limit, and a restart would forget them. One upsert per limited request: the limited
 * routes (login, SAML, unsubscribe) are rare ones.
 */
export class DbRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(private readonly db: DB, readonly prefix: string) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    // A window that is over starts again at one hit.
    const { rows } = await sql<{ hits: number; reset_at: Date }>`
      insert into rate_limit_hits as r (key, hits, reset_at)
      values (${this.keyOf(key)}, 1, now() + ${this.windowMs}::int * interval '1 millisecond')
      on conflict (key) do update set
        hits = case when r.reset_at <= now() then 1 else r.hits + 1 end,
        reset_at = case when r.reset_at <= now() then excluded.reset_at else r.reset_at end
      returning hits, reset_at`.execute(this.db);
    return { totalHits: rows[0]!.hits, resetTime: rows[0]!.reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.db.updateTable('rate_limit_hits').set({ hits: sql`greatest(hits - 1, 0)` }).where('key', '=', this.keyOf(key)).execute();
  }

  async resetKey(key: string): Promise<void> {
    await this.db.deleteFrom('rate_limit_hits').where('key', '=', this.keyOf(key)).execute();
  }

  private keyOf(key: string): string {
    return `${this.prefix}:${key}`;
  }
}

/** Forgets the counts whose window is over (a scheduled core job). */
export async function pruneRateLimits(db: DB): Promise<number> {
  const result = await db.deleteFrom('rate_limit_hits').where('reset_at', '<=', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * A limit answered with a French 429 page or JSON, like every other error. `name` keeps each
 * limiter's counts apart (a login counts once at the start and once at the ACS).
 */
export function limitRequests(db: DB, options: { name: string; windowMs: number; limit: number; message: string; key?: 'ip' | 'user' }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new DbRateLimitStore(db, options.name),
    keyGenerator: options.key === 'user' ? (req) => `user:${req.user?.id ?? req.ip}` : undefined,
    handler: (_req, _res, next, opts) => {
      next(new HttpError(429, options.message, { retryAfterSeconds: Math.ceil(opts.windowMs / 1000) }));
    },
  });
}
