import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * Kysely sends every query as an unnamed statement, so PostgreSQL parses and plans it anew
 * each time: on the dashboard, planning took as much of the server's CPU as executing. Naming
 * a statement after its text lets each connection parse it once, and lets PostgreSQL keep a
 * generic plan when it is as good as a custom one (plan_cache_mode=auto).
 *
 * Only queries with parameters are named (a script of several statements cannot be), and at
 * most `maxNames` distinct texts: a query built with a varying list would otherwise fill every
 * connection with statements used once. When another process changes a table under a prepared
 * `select *` (a rolling deploy), PostgreSQL refuses the old statement: that text then goes
 * unnamed for the rest of the process's life. Behind a pooler in transaction mode (PgBouncer
 * before 1.21), PG_PREPARED_STATEMENTS=false turns it off.
 */
export function preparingPool(pool: pg.Pool, maxNames = 2000): PostgresPool {
  const names = new Map<string, string | null>();
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  function nameFor(text: string): string | null {
    const known = names.get(text);
    if (known !== undefined) return known;
    // How many rows a full-text query matches depends on its words: a plan made once for any
    // words was three times slower on the forum search. Those are planned every time.
    if (names.size >= maxNames || text.includes('to_tsquery(')) return null;
    const name = `k${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`;
    names.set(text, name);
    return name;
  }

  function wrap(client: pg.PoolClient): PostgresPoolClient {
    return {
      async query(text: unknown, values?: ReadonlyArray<unknown>) {
        const name = typeof text === 'string' && values?.length ? nameFor(text) : null;
        if (!name) return client.query(text as string, values as unknown[]);
        try {
          return await client.query({ name, text: text as string, values: values as unknown[] });
        } catch (error) {
          if ((error as { code?: string }).code !== '0A000') throw error;
          names.set(text as string, null);
          return client.query(text as string, values as unknown[]);
        }
      },
      release: () => client.release(),
    } as unknown as PostgresPoolClient;
  }

  return {
    async connect() {
      const client = await pool.connect();
      let facade = wrapped.get(client);
      if (!facade) wrapped.set(client, (facade = wrap(client)));
      return facade;
    },
    end: () => pool.end(),
  };
}
