/**
 * The LINE to 30,000 recipients, on PGlite and PostgreSQL: RUPN accounts written in bulk, one
 * issue sent by the `newsletter:send` job (batches claimed with SKIP LOCKED, each recipient
 * marked sent after the SMTP server's answer) to a local SMTP sink in a process of its own,
 * with no pace limit (PLUGIN_NEWSLETTER_RATE_PER_SECOND=0). Prints messages/s and memory.
 *
 *   npm run bench:newsletter                                    # both engines, 30,000 recipients
 *   npm run bench:newsletter -- --engine pglite --recipients 5000 --parallel 16
 */
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../server/config.js';
import { createMaillon } from '../server/app.js';
import { createLogger } from '../server/log.js';
import { ADMIN_URL, ROOT, arg, enginesToRun, freshTarget, startSinkProcess, type Sink } from './support.js';

const RECIPIENTS = Number(arg('recipients', '30000'));
const PARALLEL = arg('parallel', '16');
const BATCH = arg('batch', '200');

interface Figures {
  engine: string;
  recipients: number;
  seconds: number;
  messagesPerSecond: number;
  rssStartMiB: number;
  rssPeakMiB: number;
}

const rss = () => Math.round(process.memoryUsage().rss / 1024 / 1024);

async function benchEngine(engine: 'pglite' | 'postgres', sink: Sink): Promise<Figures> {
  const target = await freshTarget(engine, ADMIN_URL);
  const env = {
    ...process.env,
    ...target.env,
    NODE_ENV: 'test',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
    SMTP_URL: sink.url,
    JOBS_POLL_MS: '100',
    PLUGIN_NEWSLETTER_RATE_PER_SECOND: '0',
    PLUGIN_NEWSLETTER_PARALLEL: PARALLEL,
    PLUGIN_NEWSLETTER_BATCH_SIZE: BATCH,
  };
  const config = loadConfig(env);
  config.pluginDirs = [path.join(ROOT, 'plugins', 'newsletter')];
  const maillon = await createMaillon(config, { env, logger: createLogger('silent') });
  try {
    const db = maillon.core.db;
    await sql`insert into users (email, given_name, family_name) select 'referent' || i || '@ac-poitiers.example', 'Réf', 'N' || i from generate_series(1, ${RECIPIENTS}) as i`.execute(db);
    await sql`insert into user_roles (user_id, role) select id, 'rupn' from users`.execute(db);
    const { id } = await db
      .insertInto('newsletter_issues')
      .values({
        slug: 'bench',
        title: 'La LINE de juin',
        summary: 'Le numéro de mesure',
        body: '## Agenda\n\nLe [webinaire](https://visio.example.org/w) a lieu mardi.\n\n## Ressources\n\nÀ lire **absolument**.',
        state: 'scheduled',
        send_run: 1,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    global.gc?.();
    const rssStart = rss();
    let peak = rssStart;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 200);
    const before = await sink.count();
    const start = performance.now();
    await maillon.core.jobs.enqueue('newsletter:send', { issueId: id, run: 1 }, { uniqueKey: 'bench' });
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const issue = await db.selectFrom('newsletter_issues').select('state').where('id', '=', id).executeTakeFirstOrThrow();
      if (issue.state === 'sent') break;
    }
    const ms = performance.now() - start;
    clearInterval(sampler);
    const received = (await sink.count()) - before;
    if (received !== RECIPIENTS) throw new Error(`${received} courriels reçus sur ${RECIPIENTS}`);
    return { engine, recipients: RECIPIENTS, seconds: Math.round(ms / 100) / 10, messagesPerSecond: Math.round((RECIPIENTS / ms) * 1000), rssStartMiB: rssStart, rssPeakMiB: peak };
  } finally {
    await maillon.close();
    await target.cleanup();
  }
}

const engines = await enginesToRun();
const sink = await startSinkProcess();
const rows: Figures[] = [];
for (const engine of engines) {
  console.log(`… ${engine} : la LINE à ${RECIPIENTS} destinataires`);
  rows.push(await benchEngine(engine, sink));
}
await sink.stop();
console.log('\nLa LINE : envoi par la tâche newsletter:send (un processus Maillon, puits SMTP local dans un autre)');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    destinataires: r.recipients,
    'durée (s)': r.seconds,
    'courriels/s': r.messagesPerSecond,
    'RSS avant (Mio)': r.rssStartMiB,
    'RSS max (Mio)': r.rssPeakMiB,
  })),
);
console.log(JSON.stringify(rows));
