import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from '../../test/support/testApp.js';
import { ENGINE, requirePostgresServer } from '../../test/support/engine.js';
import { createLogger } from '../log.js';
import { JobRunner, PermanentJobError, backoffDelay, nextOccurrence } from './jobRunner.js';
import { findJob, jobEnqueuer } from './jobQueue.js';

const WORKER = path.join(import.meta.dirname, '..', '..', 'test', 'support', 'jobWorker.ts');

const quiet = createLogger('silent');
const noDelay = { type: 'fixed' as const, delayMs: 0 };

describe('jobs', () => {
  let t: TestApp;
  let runner: JobRunner;
  before(async () => {
    t = await startTestApp({ pluginDirs: [], seedDemo: false, env: { JOBS_RUNNER: 'false' } });
  });
  after(() => t?.close());
  // Each test gets a runner of its own on the same database: a fresh process, as far as jobs go.
  beforeEach(() => {
    runner = new JobRunner(t.maillon.core.db, quiet, { pollMs: 50 });
  });
  afterEach(() => runner.stop());
  const db = () => t.maillon.core.db;

  it('runs an enqueued job once with its payload, and a uniqueKey makes enqueueing idempotent', async () => {
    const seen: unknown[] = [];
    runner.define('test', 'test:echo', async (job) => void seen.push(job.payload));
    const first = await runner.enqueue('test:echo', { word: 'bonjour' }, { uniqueKey: 'echo-1' });
    const again = await runner.enqueue('test:echo', { word: 'encore' }, { uniqueKey: 'echo-1' });
    expect(again).to.deep.equal({ id: first.id, created: false });
    expect(await runner.drain()).to.equal(1);
    expect(await runner.drain()).to.equal(0);
    expect(seen).to.deep.equal([{ word: 'bonjour' }]);
    const job = await findJob(db(), { id: first.id });
    expect(job).to.include({ state: 'done', attempts: 1 });
    // Even after it ran, the key still names the same job: the unit never runs twice.
    expect((await runner.enqueue('test:echo', {}, { uniqueKey: 'echo-1' })).created).to.equal(false);
  });

  it('refuses unknown kinds and kinds outside the owner’s prefix', async () => {
    await runner.enqueue('test:nothing', {}).then(
      () => expect.fail('unknown kind accepted'),
      (e: Error) => expect(e.message).to.contain('tâche inconnue'),
    );
    expect(() => runner.define('forums', 'chat:steal', async () => {})).to.throw(/doit commencer par « forums: »/);
    expect(() => runner.define('forums', 'pas de nom', async () => {})).to.throw(/nom de tâche invalide/);
  });

  it('waits for runAt before running a job', async () => {
    let ran = 0;
    runner.define('test', 'test:later', async () => void ran++);
    const { id } = await runner.enqueue('test:later', {}, { runAt: new Date(Date.now() + 3600_000) });
    expect(await runner.drain()).to.equal(0);
    expect(ran).to.equal(0);
    await db().updateTable('jobs').set({ run_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute(); // an hour later
    expect(await runner.drain()).to.equal(1);
    expect(ran).to.equal(1);
  });

  it('retries a failing job with backoff, keeps the last error, and fails for good after maxAttempts', async () => {
    let calls = 0;
    runner.define('test', 'test:flaky', async () => {
      calls++;
      if (calls < 3) throw new Error(`panne n° ${calls}`);
    }, { maxAttempts: 5, backoff: noDelay });
    const flaky = await runner.enqueue('test:flaky', {});
    await runner.drain();
    expect(await findJob(db(), { id: flaky.id })).to.include({ state: 'done', attempts: 3, lastError: 'panne n° 2' });

    const failures: string[] = [];
    runner.define('test', 'test:broken', async () => {
      throw new Error('serveur injoignable');
    }, { maxAttempts: 2, backoff: { type: 'exponential', delayMs: 3600_000 }, onFailed: async (_p, error) => void failures.push(error) });
    const broken = await runner.enqueue('test:broken', {});
    await runner.drain();
    const waiting = (await findJob(db(), { id: broken.id }))!;
    expect(waiting).to.include({ state: 'queued', attempts: 1, lastError: 'serveur injoignable' });
    expect(waiting.runAt.getTime() - Date.now()).to.be.greaterThan(3000_000); // backoff of an hour
    await db().updateTable('jobs').set({ run_at: new Date() }).where('id', '=', broken.id).execute();
    await runner.drain();
    expect(await findJob(db(), { id: broken.id })).to.include({ state: 'failed', attempts: 2, lastError: 'serveur injoignable' });
    expect(failures).to.deep.equal(['serveur injoignable']);
  });

  it('fails at once on a PermanentJobError', async () => {
    let calls = 0;
    runner.define('test', 'test:hopeless', async () => {
      calls++;
      throw new PermanentJobError('adresse refusée par le serveur');
    }, { maxAttempts: 5, backoff: noDelay });
    const { id } = await runner.enqueue('test:hopeless', {});
    await runner.drain();
    expect(calls).to.equal(1);
    expect(await findJob(db(), { id })).to.include({ state: 'failed', lastError: 'adresse refusée par le serveur' });
  });

  it('takes back the job of a crashed worker once its lease has expired, and leaves live leases alone', async () => {
    const ran: number[] = [];
    runner.define('test', 'test:orphan', async (job) => void ran.push(job.id));
    // What a worker killed in the middle of a job leaves behind: running, lease in the past.
    const orphan = await db()
      .insertInto('jobs')
      .values({ kind: 'test:orphan', payload: '{}', state: 'running', attempts: 1, locked_by: 'mort:1', locked_until: new Date(Date.now() - 1000) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const alive = await db()
      .insertInto('jobs')
      .values({ kind: 'test:orphan', payload: '{}', state: 'running', attempts: 1, locked_by: 'vivant:2', locked_until: new Date(Date.now() + 60_000) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await runner.drain();
    expect(ran).to.deep.equal([Number(orphan.id)]);
    const recovered = (await findJob(db(), { id: Number(orphan.id) }))!;
    expect(recovered).to.include({ state: 'done', attempts: 2 });
    expect(recovered.lastError).to.contain('Interrompue');
    expect(await findJob(db(), { id: Number(alive.id) })).to.include({ state: 'running' });
  });

  it('never runs more jobs of a kind at once than its concurrency', async () => {
    let current = 0;
    let peak = 0;
    runner.define('test', 'test:slow', async () => {
      current++;
      peak = Math.max(peak, current);
      await new Promise((r) => setTimeout(r, 20));
      current--;
    }, { concurrency: 3 });
    for (let i = 0; i < 10; i++) await runner.enqueue('test:slow', { i });
    expect(await runner.drain()).to.equal(10);
    expect(peak).to.equal(3);
  });

  it('reports progress that a page can read while the job runs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    runner.define('test', 'test:long', async (job) => {
      await job.progress(40, 100);
      await gate;
    });
    const { id } = await runner.enqueue('test:long', {});
    const running = runner.runOnce();
    for (let i = 0; i < 200 && (await findJob(db(), { id }))?.progress?.done !== 40; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await findJob(db(), { id })).to.deep.include({ state: 'running', progress: { done: 40, total: 100 } });
    release();
    await running;
    expect(await findJob(db(), { id })).to.deep.include({ state: 'done', progress: { done: 100, total: 100 } });
  });

  it('keeps the next occurrence of a recurring job in the queue, once, at 07:00 in Paris', async () => {
    runner.define('test', 'test:daily', async () => {}, { schedule: { cron: '0 7 * * *' } });
    await runner.runOnce();
    const other = new JobRunner(db(), quiet, { pollMs: 50 }); // a second process agrees on the same occurrence
    other.define('test', 'test:daily', async () => {}, { schedule: { cron: '0 7 * * *' } });
    await other.runOnce();
    const rows = await db().selectFrom('jobs').select(['run_at', 'unique_key']).where('kind', '=', 'test:daily').execute();
    expect(rows).to.have.length(1);
    const paris = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(rows[0]!.run_at);
    expect(paris).to.equal('07:00');
    expect(rows[0]!.run_at.getTime()).to.be.greaterThan(Date.now());
    expect(rows[0]!.unique_key).to.equal(`schedule:test:daily:${rows[0]!.run_at.toISOString()}`);
  });

  it('computes occurrences across the daylight-saving change and backoff delays', () => {
    const beforeChange = new Date('2026-03-28T12:00:00Z'); // Saturday; Paris moves to UTC+2 on Sunday
    expect(nextOccurrence('0 7 * * *', 'Europe/Paris', beforeChange).toISOString()).to.equal('2026-03-29T05:00:00.000Z');
    expect(backoffDelay({ type: 'exponential', delayMs: 1000 }, 1)).to.equal(1000);
    expect(backoffDelay({ type: 'exponential', delayMs: 1000 }, 4)).to.equal(8000);
    expect(backoffDelay({ type: 'exponential', delayMs: 1000, maxDelayMs: 5000 }, 10)).to.equal(5000);
  });

  it('runs jobs in the background once started, and stops cleanly, requeueing an interrupted job without using an attempt', async () => {
    runner = new JobRunner(db(), quiet, { pollMs: 50, graceMs: 50 });
    const done: number[] = [];
    let started!: () => void;
    const isRunning = new Promise<void>((r) => (started = r));
    runner.define('test', 'test:background', async (job) => void done.push(job.id));
    runner.define('test', 'test:endless', async (job) => {
      started();
      await new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('arrêt'))));
    });
    runner.start();
    const { id } = await runner.enqueue('test:background', {});
    for (let i = 0; i < 300 && !done.includes(id); i++) await new Promise((r) => setTimeout(r, 10));
    expect(done).to.deep.equal([id]);

    const endless = await runner.enqueue('test:endless', {});
    await isRunning;
    // Stopping waits a little, then aborts the job, which goes back to the queue.
    await runner.stop();
    expect(await findJob(db(), { id: endless.id })).to.include({ state: 'queued', attempts: 0 });
  });

  describe('several processes on PostgreSQL', function () {
    // PGlite lives inside one process: these run on a PostgreSQL server in both engine passes.
    let shared: TestApp;
    before(async function () {
      const server = requirePostgresServer(this);
      shared = ENGINE === 'postgres' ? t : await startTestApp({ postgresServer: server, pluginDirs: [], seedDemo: false, env: { JOBS_RUNNER: 'false' } });
    });
    after(async () => {
      if (shared && shared !== t) await shared.close();
    });
    const db = () => shared.maillon.core.db;
    const spawnWorker = (name: string, mode: 'drain' | 'hang') =>
      fork(WORKER, [shared.testDb.url!, name, mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = (child: ChildProcess) => new Promise<void>((resolve) => child.once('message', () => resolve()));

    it('shares the queue between two processes: every job runs exactly once', async () => {
      await sql`insert into jobs (kind, payload) select 'test:shared', jsonb_build_object('n', g) from generate_series(1, 300) g`.execute(db());
      const workers = [spawnWorker('a', 'drain'), spawnWorker('b', 'drain')];
      await Promise.all(workers.map(ready));
      for (const w of workers) w.send('go');
      expect(await Promise.all(workers.map(exited))).to.deep.equal([0, 0]);
      const { rows } = await sql<{ n: number; worker: string }>`
        select (details->>'n')::int as n, details->>'worker' as worker from audit_log where action = 'test.run'`.execute(db());
      const byJob = new Map<number, string[]>();
      for (const r of rows) byJob.set(r.n, [...(byJob.get(r.n) ?? []), r.worker]);
      expect(byJob.size).to.equal(300);
      expect([...byJob.entries()].filter(([, w]) => w.length > 1), 'jobs run twice').to.deep.equal([]);
      expect([...new Set(rows.map((r) => r.worker))].sort()).to.deep.equal(['a', 'b']);
    });

    it('takes over the job of a process killed in the middle of it', async () => {
      const { id } = await jobEnqueuer(db(), { kind: 'test:shared', payload: { n: 1000 }, maxAttempts: 3 });
      const doomed = spawnWorker('doomed', 'hang');
      const claimed = await new Promise<number>((resolve) => doomed.once('message', (m: { claimed: number }) => resolve(m.claimed)));
      expect(claimed).to.equal(id);
      doomed.kill('SIGKILL');
      await exited(doomed);
      expect(await findJob(db(), { id })).to.include({ state: 'running' });
      const survivor = spawnWorker('survivor', 'drain'); // runs it once the 600 ms lease has expired
      await ready(survivor);
      survivor.send('go');
      expect(await exited(survivor)).to.equal(0);
      const job = (await findJob(db(), { id }))!;
      expect(job).to.include({ state: 'done', attempts: 2 });
      expect(job.lastError).to.contain('Interrompue');
      const { rows } = await sql<{ worker: string }>`select details->>'worker' as worker from audit_log where action = 'test.run' and (details->>'n')::int = 1000`.execute(db());
      expect(rows.map((r) => r.worker)).to.deep.equal(['survivor']);
    });
  });
});
