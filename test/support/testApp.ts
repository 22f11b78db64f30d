import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../server/config.js';
import { createMaillon, type Maillon } from '../../server/app.js';
import { createTestDatabase, type TestDatabase } from './engine.js';
import type { Logger } from '../../server/log.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface TestAppOptions {
  /** Plugin folders or roots; default: the real plugins of the repository. */
  pluginDirs?: string[];
  /** Content packs folder; default: an empty folder. */
  contentDir?: string;
  seedDemo?: boolean;
  env?: Record<string, string>;
  logger?: Logger;
  /** Run on this PostgreSQL server whatever the engine under test (multi-process tests). */
  postgresServer?: string;
}

export interface TestApp {
  maillon: Maillon;
  config: Config;
  url: string;
  testDb: TestDatabase;
  /** A new cookie-keeping HTTP client. */
  agent(): supertest.Agent;
  /** A client logged in through the development login as the demo account `key`. */
  loginAs(key: string): Promise<supertest.Agent>;
  close(): Promise<void>;
}

/** Starts the whole platform on a fresh database and an ephemeral port: real HTTP, real engine. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-test-'));
  let contentDir = options.contentDir;
  if (!contentDir) {
    contentDir = path.join(dataDir, 'content');
    await fs.mkdir(contentDir);
  }
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    CONTENT_DIR: contentDir,
    SEED_DEMO: String(options.seedDemo ?? true),
    LOGIN_RATE_LIMIT: '1000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...options.env,
  };
  const config = loadConfig(env);
  if (options.pluginDirs) config.pluginDirs = options.pluginDirs;
  const testDb = await createTestDatabase(options.postgresServer ?? null);
  const maillon = await createMaillon(config, { database: testDb.database, env, logger: options.logger });
  await new Promise<void>((resolve) => maillon.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(maillon.server.address() as AddressInfo).port}`;
  // The public URL is only known once listening (SAML endpoints are built from it).
  if (!options.env?.BASE_URL) config.baseUrl = url;
  const agent = () => supertest.agent(url);
  return {
    maillon,
    config,
    url,
    testDb,
    agent,
    async loginAs(key) {
      const client = agent();
      const page = await client.get('/auth/dev').expect(200);
      const res = await client.post('/auth/dev').type('form').send({ _csrf: csrfFrom(page.text), account: key, next: '/' });
      if (res.status !== 303) throw new Error(`connexion de ${key} refusée : ${res.status} ${res.text.slice(0, 200)}`);
      return client;
    },
    async close() {
      await maillon.close();
      await testDb.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The CSRF token of the first form of a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('aucun jeton CSRF dans la page');
  return match[1]!;
}
