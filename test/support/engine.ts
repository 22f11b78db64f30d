import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { openDatabase, type Database } from '../../server/db/database.js';

/**
 * The engine under test: PGlite by default, PostgreSQL when TEST_DATABASE_URL names a server
 * (each test app then gets a database of its own, dropped when it closes).
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || null;
export const ENGINE = TEST_DATABASE_URL ? 'postgres' : 'pglite';

/**
 * A PostgreSQL server for the tests that need several processes on one database (PGlite lives
 * inside one process), whatever the engine under test: TEST_DATABASE_URL, else
 * TEST_POSTGRES_URL. `.ci/run` sets the latter in both passes.
 */
export const POSTGRES_SERVER_URL = TEST_DATABASE_URL || process.env.TEST_POSTGRES_URL || null;

/** The server URL, or a skip with a message on a developer's machine; under CI=true a failure. */
export function requirePostgresServer(context: Mocha.Context): string {
  if (POSTGRES_SERVER_URL) return POSTGRES_SERVER_URL;
  if (process.env.CI === 'true') throw new Error('TEST_POSTGRES_URL manquant : les tests à plusieurs processus ne peuvent pas être ignorés en CI');
  console.warn('  (tests à plusieurs processus ignorés : ni TEST_DATABASE_URL ni TEST_POSTGRES_URL)');
  context.skip();
}

let template: Promise<Blob> | null = null;
let counter = 0;

/** initdb is the slow part of PGlite: done once per test process, then each database starts from a copy. */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const pglite = await PGlite.create({ extensions: { unaccent }, postgresqlconf: ['shared_buffers=32MB'] });
    await pglite.exec('create extension if not exists unaccent');
    const dump = await pglite.dumpDataDir('none');
    await pglite.close();
    return dump;
  })();
  return template;
}

export interface TestDatabase {
  database: Database;
  /** postgres:// URL of this database (PostgreSQL only), for a second process. */
  url: string | null;
  drop(): Promise<void>;
}

/** A new empty PostgreSQL database for a spawned process; null on PGlite unless a server is named. */
export async function createScratchDatabase(serverUrl: string | null = TEST_DATABASE_URL): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (!serverUrl) return null;
  const name = `maillon_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A database on the engine under test, or on the PostgreSQL server when `postgresServer` is given. */
export async function createTestDatabase(postgresServer: string | null = null): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL && !postgresServer) {
    const database = await openDatabase({ template: await pgliteTemplate() });
    return { database, url: null, drop: () => database.close() };
  }
  const scratch = (await createScratchDatabase(postgresServer ?? TEST_DATABASE_URL))!;
  const database = await openDatabase({ url: scratch.url, poolSize: 5 });
  return {
    database,
    url: scratch.url,
    async drop() {
      await database.close();
      await scratch.drop();
    },
  };
}
