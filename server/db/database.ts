import fs from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { preparingPool } from './preparedStatements.js';
import pg from 'pg';
import { PGliteDialect } from './pgliteDialect.js';
import type { DB } from './schema.js';

export type Engine = 'pglite' | 'postgres';

export interface DatabaseOptions {
  /** postgres:// URL: use a real server. */
  url?: string | null;
  /** PGlite data directory; absent means in memory. */
  dataDir?: string | null;
  /** PGlite only: start from a dumped data directory (tests use a migrated template). */
  template?: Blob;
  poolSize?: number;
}

export interface Database {
  engine: Engine;
  db: DB;
  /** Round trip to the engine, in milliseconds; throws when it does not answer. */
  ping(): Promise<number>;
  close(): Promise<void>;
  /** PGlite only: the whole data directory as a tarball. */
  dump(): Promise<Blob>;
  /** The underlying client, for the few features Kysely does not cover (LISTEN/NOTIFY). */
  raw: { kind: 'pglite'; pglite: PGlite } | { kind: 'postgres'; pool: pg.Pool };
}

// Both engines return the same JavaScript types: counts as numbers, dates as 'YYYY-MM-DD'.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const parsers: Record<number, (value: string) => unknown> = {
  [INT8]: (v) => Number(v),
  [NUMERIC]: (v) => Number(v),
  [DATE]: (v) => v,
};

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? Number(process.env.PG_POOL ?? 10)) : openPGlite(options);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const prepare = process.env.PG_PREPARED_STATEMENTS !== 'false';
  const db: DB = new Kysely({ dialect: new PostgresDialect({ pool: prepare ? preparingPool(pool) : pool }) });
  await sql`create extension if not exists unaccent`.execute(db).catch(() => {
    // Not fatal: search falls back to plain French stemming without a superuser.
  });
  return {
    engine: 'postgres',
    db,
    ping: () => timed(() => sql`select 1`.execute(db)),
    close: () => db.destroy(),
    dump: () => Promise.reject(new Error('dump: PGlite seulement')),
    raw: { kind: 'postgres', pool },
  };
}

async function openPGlite(options: DatabaseOptions): Promise<Database> {
  if (options.dataDir) await fs.mkdir(path.dirname(options.dataDir), { recursive: true });
  // Loaded only for the embedded engine: importing PGlite alone costs a process on PostgreSQL about 48 MiB.
  const [{ PGlite }, { unaccent }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/contrib/unaccent')]);
  const pglite = await PGlite.create({
    dataDir: options.dataDir ?? undefined,
    loadDataDir: options.template,
    extensions: { unaccent },
    parsers,
    // The embedded engine serves one small instance: a smaller buffer pool keeps memory low.
    postgresqlconf: ['shared_buffers=32MB'],
  });
  await pglite.exec('create extension if not exists unaccent');
  const db: DB = new Kysely({ dialect: new PGliteDialect(pglite) });
  return {
    engine: 'pglite',
    db,
    ping: () => timed(() => sql`select 1`.execute(db)),
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
    dump: () => pglite.dumpDataDir('none'),
    raw: { kind: 'pglite', pglite },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return Math.round((performance.now() - start) * 100) / 100;
}
