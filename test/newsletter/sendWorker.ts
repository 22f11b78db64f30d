/**
 * A Maillon process that only runs background jobs, for the crash test of the newsletter:
 * `node --import tsx sendWorker.ts <database url> <smtp url>`. It tells its parent when it is
 * ready, then sends whatever newsletter job is due until it is killed.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { loadConfig } from '../../server/config.js';
import { createMaillon } from '../../server/app.js';
import { createLogger } from '../../server/log.js';

const [databaseUrl, smtpUrl] = process.argv.slice(2) as [string, string];
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'maillon-send-worker-'));
const env = {
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  SMTP_URL: smtpUrl,
  SEED_DEMO: 'false',
  LOG_LEVEL: 'silent',
  JOBS_POLL_MS: '50',
  PLUGIN_NEWSLETTER_RATE_PER_SECOND: '80',
  PLUGIN_NEWSLETTER_BATCH_SIZE: '50',
};
const config = loadConfig(env);
config.pluginDirs = [path.join(import.meta.dirname, '..', '..', 'plugins', 'newsletter')];
await createMaillon(config, { env, logger: createLogger('silent') });
process.send?.({ ready: true });
