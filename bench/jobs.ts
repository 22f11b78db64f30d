/**
 * Background jobs and mail benchmark, on PGlite and PostgreSQL:
 *   - jobs: N no-op jobs enqueued one by one, then run by the runner (concurrency 8);
 *   - mail: N mails of a list rendered into the outbox by batches of 500, then delivered by `mail:send` jobs over SMTP to a
 *     local sink (smtp-server on 127.0.0.1, in a process of its own), MAIL_RATE_PER_SECOND=0 (no limit).
 * Prints enqueues/s, jobs/s, mails queued/s, mails sent/s and the resident memory.
 *
 *   npm run bench:jobs                                  # both engines, 10,000 of each
 *   npm run bench:jobs -- --engine pglite --jobs 5000 --mails 2000
 */
import { loadConfig } from '../server/config.js';
import { createMaillon, type Maillon } from '../server/app.js';
import { createLogger } from '../server/log.js';
import { ADMIN_URL, arg, enginesToRun, freshTarget, startSinkProcess, type Sink } from './support.js';

const JOBS = Number(arg('jobs', '10000'));
const MAILS = Number(arg('mails', '10000'));

interface Figures {
  engine: string;
  enqueuePerSecond: number;
  jobsPerSecond: number;
  mailsQueuedPerSecond: number;
  mailsSentPerSecond: number;
  rssMiB: number;
}

const rss = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30 * 60_000): Promise<void> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > timeoutMs) throw new Error(`délai dépassé : ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function countDone(maillon: Maillon, kind: string): Promise<number> {
  const row = await maillon.core.db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', kind)
    .where('state', '=', 'done')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function benchEngine(engine: 'pglite' | 'postgres', sink: Sink): Promise<Figures> {
  const target = await freshTarget(engine, ADMIN_URL);
  const config = loadConfig({
    ...target.env,
    NODE_ENV: 'test',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
    SMTP_URL: sink.url,
    MAIL_RATE_PER_SECOND: '0',
    JOBS_POLL_MS: '200',
  });
  config.pluginDirs = [];
  const maillon = await createMaillon(config, { logger: createLogger('silent') });
  try {
    const { jobs, mail } = maillon.core;
    jobs.define('bench', 'bench:noop', async () => {}, { concurrency: 8 });
    mail.declareList('bench', { id: 'bench:line', label: 'La LINE' });

    // Jobs: enqueue with the runner stopped, then let it run them all.
    await jobs.stop();
    let start = performance.now();
    for (let i = 0; i < JOBS; i++) await jobs.enqueue('bench:noop', { i });
    const enqueueMs = performance.now() - start;
    start = performance.now();
    jobs.start();
    await until(async () => (await countDone(maillon, 'bench:noop')) >= JOBS, 'tâches');
    const jobsMs = performance.now() - start;

    // Mail: render and queue with the runner stopped, then deliver to the sink.
    await jobs.stop();
    const before = await sink.count();
    start = performance.now();
    // As a newsletter would: batches of 500, each mail on the list with its unsubscribe link.
    for (let i = 0; i < MAILS; i += 500) {
      await mail.sendMany(
        Array.from({ length: Math.min(500, MAILS - i) }, (_, n) => ({
          to: `referent${i + n}@ac-poitiers.example`,
          subject: 'La LINE de juin',
          markdown: `Bonjour,\n\nVoici **la lettre** du mois, pour le référent n° ${i + n}.`,
          list: 'bench:line',
        })),
      );
    }
    const queueMs = performance.now() - start;
    start = performance.now();
    jobs.start();
    await until(async () => (await sink.count()) - before >= MAILS, 'courriels');
    const sendMs = performance.now() - start;
    return {
      engine,
      enqueuePerSecond: perSecond(JOBS, enqueueMs),
      jobsPerSecond: perSecond(JOBS, jobsMs),
      mailsQueuedPerSecond: perSecond(MAILS, queueMs),
      mailsSentPerSecond: perSecond(MAILS, sendMs),
      rssMiB: rss(),
    };
  } finally {
    await maillon.close();
    await target.cleanup();
  }
}

const engines = await enginesToRun();
const sink = await startSinkProcess();
const rows: Figures[] = [];
for (const engine of engines) {
  console.log(`… ${engine} : ${JOBS} tâches, ${MAILS} courriels`);
  rows.push(await benchEngine(engine, sink));
}
await sink.stop();
console.log('\nTâches de fond et courriels (un processus Maillon, puits SMTP local dans un autre)');
console.table(
  rows.map((r) => ({
    moteur: r.engine,
    'ajouts/s': r.enqueuePerSecond,
    'tâches/s': r.jobsPerSecond,
    'courriels mis en file/s': r.mailsQueuedPerSecond,
    'courriels envoyés/s': r.mailsSentPerSecond,
    'RSS (Mio)': r.rssMiB,
  })),
);
console.log(JSON.stringify(rows));
