import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { CronExpressionParser } from 'cron-parser';
import type { DB } from '../db/schema.js';
import type { Logger } from '../log.js';
import { jobEnqueuer, jobProgressRecorder, type EnqueueOptions, type EnqueueResult } from './jobQueue.js';

/** What a handler receives for one attempt of one job. */
export interface JobRun<P = unknown> {
  id: number;
  kind: string;
  payload: P;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the process stops: a long job should stop early and throw (it is requeued). */
  signal: AbortSignal;
  /** Records progress that pages can read (`done` of `total`); also renews the lease. */
  progress(done: number, total: number): Promise<void>;
}

export type JobHandler<P = unknown> = (job: JobRun<P>) => Promise<void>;

export interface Backoff {
  type: 'exponential' | 'fixed';
  /** Delay before the second attempt; exponential doubles it at each further attempt. */
  delayMs: number;
  maxDelayMs?: number;
}

export interface JobOptions<P = unknown> {
  /** Jobs of this kind run at the same time in one process (default 1). */
  concurrency?: number;
  /** Attempts before the job is marked failed (default 5). */
  maxAttempts?: number;
  backoff?: Backoff;
  /** A recurring job: enqueued at every occurrence of a cron expression (Europe/Paris by default). */
  schedule?: { cron: string; timezone?: string; payload?: P };
  /** Told once when a job of this kind ends failed (attempts exhausted or permanent error). */
  onFailed?(payload: P, error: string): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (a malformed address): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

interface Definition {
  kind: string;
  owner: string;
  handler: JobHandler<any>;
  concurrency: number;
  maxAttempts: number;
  backoff: Backoff;
  schedule: { cron: string; timezone: string; payload: unknown } | null;
  onFailed?(payload: unknown, error: string): Promise<void>;
}

interface ClaimedRow {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

const DEFAULT_BACKOFF: Backoff = { type: 'exponential', delayMs: 30_000, maxDelayMs: 3_600_000 };
const KIND = /^[a-z][a-z0-9-]*(:[a-zA-Z][a-zA-Z0-9-]*)+$/;

export interface JobRunnerOptions {
  pollMs: number;
  /** How long a claimed job stays ours without a heartbeat (default 60 s). */
  leaseMs?: number;
  /** How long stop() waits for running jobs before leaving them to lease expiry (default 8 s). */
  graceMs?: number;
}

/**
 * Durable background work in the `jobs` table. Several processes (or one, on PGlite) share
 * the queue: due jobs are claimed with FOR UPDATE SKIP LOCKED and held under a lease that a
 * heartbeat renews; a job whose worker died comes back when its lease expires. A job is
 * finished only by the worker holding its lease, so a unit of work never runs twice at once.
 */
export class JobRunner {
  readonly workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly definitions = new Map<string, Definition>();
  private readonly running = new Map<number, { kind: string; controller: AbortController; done: Promise<void> }>();
  private readonly scheduled = new Map<string, string>();
  private readonly leaseMs: number;
  private readonly graceMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private lastHousekeeping = 0;
  private started = false;
  private stopping = false;

  constructor(private readonly db: DB, private readonly log: Logger, private readonly options: JobRunnerOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.graceMs = options.graceMs ?? 8_000;
  }

  define<P>(owner: string, kind: string, handler: JobHandler<P>, options: JobOptions<P> = {}): void {
    if (!KIND.test(kind)) throw new Error(`nom de tâche invalide « ${kind} » (attendu : extension:nom)`);
    if (owner !== 'core' && !kind.startsWith(`${owner}:`)) throw new Error(`la tâche « ${kind} » doit commencer par « ${owner}: »`);
    if (this.definitions.has(kind)) throw new Error(`la tâche « ${kind} » est déclarée deux fois`);
    const schedule = options.schedule
      ? { cron: options.schedule.cron, timezone: options.schedule.timezone ?? 'Europe/Paris', payload: options.schedule.payload ?? {} }
      : null;
    if (schedule) nextOccurrence(schedule.cron, schedule.timezone, new Date()); // throws on a bad expression
    this.definitions.set(kind, {
      kind,
      owner,
      handler: handler as JobHandler<any>,
      concurrency: Math.max(1, Math.floor(options.concurrency ?? 1)),
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 5)),
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      schedule,
      onFailed: options.onFailed as Definition['onFailed'],
    });
  }

  /** Forgets the kinds of an owner (a plugin that failed to start); their jobs wait in the queue. */
  forgetOwner(owner: string): void {
    for (const [kind, def] of this.definitions) if (def.owner === owner) this.definitions.delete(kind);
  }

  isDefined(kind: string): boolean {
    return this.definitions.has(kind);
  }

  kinds(): string[] {
    return [...this.definitions.keys()].sort();
  }

  async enqueue(kind: string, payload: unknown, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const def = this.definitions.get(kind);
    if (!def) throw new Error(`tâche inconnue « ${kind} » : déclarez-la avec jobs.define avant de l'ajouter`);
    const result = await jobEnqueuer(options.trx ?? this.db, {
      kind,
      payload,
      runAt: options.runAt,
      uniqueKey: options.uniqueKey,
      maxAttempts: options.maxAttempts ?? def.maxAttempts,
    });
    if (result.created && !options.trx) this.wake();
    return result;
  }

  progress(id: number, done: number, total: number): Promise<void> {
    return jobProgressRecorder(this.db, { id, done, total });
  }

  /** Starts polling; enqueueing in this process wakes the runner at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    this.pollTimer = setInterval(() => this.wake(), this.options.pollMs);
    this.pollTimer.unref();
    this.heartbeatTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.heartbeatTimer.unref();
    this.wake();
  }

  /** Stops claiming, asks running jobs to stop, waits for them a little, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    if (this.pumping) await this.pumping.catch(() => {});
    const inFlight = [...this.running.values()];
    const settled = Promise.all(inFlight.map((r) => r.done));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.graceMs).unref());
    await Promise.race([settled, grace]);
    if (this.running.size) {
      for (const r of this.running.values()) r.controller.abort();
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    clearInterval(this.heartbeatTimer);
    this.started = false;
  }

  /**
   * One deterministic round, for tests and benchmarks: recovers expired leases, enqueues due
   * schedules, claims what is due and waits for those jobs to finish. Returns how many ran.
   */
  async runOnce(): Promise<number> {
    await this.housekeeping();
    const claimed = await this.claim();
    await Promise.all(claimed.map((row) => this.execute(row)));
    return claimed.length;
  }

  /** Runs rounds until no job is due. */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.runOnce();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  /** Looks for due jobs now (after a commit that enqueued some). */
  nudge(): void {
    this.wake();
  }

  private wake(): void {
    if (!this.started || this.stopping) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error) => this.log.error({ err: error }, 'file des tâches : tour en erreur'))
      .finally(() => {
        this.pumping = null;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  /** Claims what fits in the free slots and starts it without waiting; a finished job wakes the loop. */
  private async pump(): Promise<void> {
    await this.housekeeping();
    if (this.stopping) return;
    const claimed = await this.claim();
    for (const row of claimed) void this.execute(row).finally(() => this.wake());
  }

  private async housekeeping(): Promise<void> {
    // Cheap enough every round, but once a second is plenty when jobs flow fast.
    if (Date.now() - this.lastHousekeeping < 1000 && this.started) return;
    this.lastHousekeeping = Date.now();
    await this.recoverExpiredLeases();
    await this.enqueueSchedules();
  }

  private async claim(): Promise<ClaimedRow[]> {
    const kinds: string[] = [];
    const limits: number[] = [];
    for (const def of this.definitions.values()) {
      let busy = 0;
      for (const r of this.running.values()) if (r.kind === def.kind) busy++;
      // Claim in small batches rather than one query per finished job.
      const free = def.concurrency - busy;
      if (free >= Math.max(1, Math.floor(def.concurrency / 4))) {
        kinds.push(def.kind);
        limits.push(free);
      }
    }
    if (kinds.length === 0) return [];
    const { rows } = await sql<ClaimedRow>`
      update jobs j
      set state = 'running', attempts = j.attempts + 1, locked_by = ${this.workerId},
          locked_until = now() + make_interval(secs => ${this.leaseMs / 1000}),
          started_at = now(), updated_at = now()
      from (
        select picked.id
        from unnest(${kinds}::text[], ${limits}::int[]) as wanted(kind, n)
        cross join lateral (
          select id from jobs
          where state = 'queued' and kind = wanted.kind and run_at <= now()
          order by run_at, id
          limit wanted.n
          for update skip locked
        ) picked
      ) due
      where j.id = due.id
      returning j.id, j.kind, j.payload, j.attempts, j.max_attempts`.execute(this.db);
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  private execute(row: ClaimedRow): Promise<void> {
    const def = this.definitions.get(row.kind)!;
    const controller = new AbortController();
    const run: JobRun = {
      id: row.id,
      kind: row.kind,
      payload: row.payload,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      signal: controller.signal,
      progress: (done, total) => jobProgressRecorder(this.db, { id: row.id, done, total }),
    };
    const done = (async () => {
      try {
        await def.handler(run);
        await this.finish(row.id);
      } catch (error) {
        await this.fail(def, row, error, controller.signal.aborted).catch((e) =>
          this.log.error({ err: e, job: row.id }, "échec d'une tâche non enregistré"),
        );
      } finally {
        this.running.delete(row.id);
      }
    })();
    this.running.set(row.id, { kind: row.kind, controller, done });
    return done;
  }

  private async finish(id: number): Promise<void> {
    await sql`
      update jobs set state = 'done', finished_at = now(), updated_at = now(), locked_by = null, locked_until = null,
        progress_done = coalesce(progress_total, progress_done)
      where id = ${id} and locked_by = ${this.workerId} and state = 'running'`.execute(this.db);
  }

  private async fail(def: Definition, row: ClaimedRow, error: unknown, aborted: boolean): Promise<void> {
    const message = describeError(error);
    if (aborted) {
      // Stopped by a shutdown, not by its own fault: back in the queue without using an attempt.
      await sql`
        update jobs set state = 'queued', attempts = greatest(attempts - 1, 0), run_at = now(), updated_at = now(),
          locked_by = null, locked_until = null
        where id = ${row.id} and locked_by = ${this.workerId} and state = 'running'`.execute(this.db);
      return;
    }
    const permanent = error instanceof PermanentJobError;
    const last = permanent || row.attempts >= row.max_attempts;
    if (last) {
      const { rows } = await sql<{ id: number }>`
        update jobs set state = 'failed', last_error = ${message}, finished_at = now(), updated_at = now(),
          locked_by = null, locked_until = null
        where id = ${row.id} and locked_by = ${this.workerId} and state = 'running'
        returning id`.execute(this.db);
      this.log.warn({ job: row.id, kind: row.kind, attempts: row.attempts, error: message }, 'tâche en échec définitif');
      if (rows.length && def.onFailed) await def.onFailed(row.payload, message);
      return;
    }
    const delay = backoffDelay(def.backoff, row.attempts);
    await sql`
      update jobs set state = 'queued', last_error = ${message}, updated_at = now(), locked_by = null, locked_until = null,
        run_at = now() + make_interval(secs => ${delay / 1000})
      where id = ${row.id} and locked_by = ${this.workerId} and state = 'running'`.execute(this.db);
  }

  private async renewLeases(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    await sql`
      update jobs set locked_until = now() + make_interval(secs => ${this.leaseMs / 1000})
      where id = any(${ids}::bigint[]) and locked_by = ${this.workerId} and state = 'running'`
      .execute(this.db)
      .catch((error) => this.log.warn({ err: error }, 'bail des tâches non renouvelé'));
  }

  /** Jobs whose worker stopped renewing its lease (a crash) go back to the queue, or fail when out of attempts. */
  private async recoverExpiredLeases(): Promise<void> {
    const { rows } = await sql<{ id: number; kind: string; payload: unknown; state: string }>`
      update jobs set
        state = case when attempts >= max_attempts then 'failed' else 'queued' end,
        finished_at = case when attempts >= max_attempts then now() else null end,
        last_error = 'Interrompue : le processus qui l’exécutait s’est arrêté avant la fin.',
        run_at = now(), updated_at = now(), locked_by = null, locked_until = null
      where state = 'running' and locked_until < now()
      returning id, kind, payload, state`.execute(this.db);
    for (const row of rows) {
      this.log.warn({ job: row.id, kind: row.kind, state: row.state }, 'tâche reprise après expiration de son bail');
      const def = this.definitions.get(row.kind);
      if (row.state === 'failed' && def?.onFailed) await def.onFailed(row.payload, 'Interrompue trop de fois.');
    }
  }

  /** Each recurring kind has its next occurrence in the queue; the unique key makes every process agree. */
  private async enqueueSchedules(): Promise<void> {
    const now = new Date();
    for (const def of this.definitions.values()) {
      if (!def.schedule) continue;
      const next = nextOccurrence(def.schedule.cron, def.schedule.timezone, now);
      const key = `schedule:${def.kind}:${next.toISOString()}`;
      if (this.scheduled.get(def.kind) === key) continue;
      await jobEnqueuer(this.db, { kind: def.kind, payload: def.schedule.payload, runAt: next, uniqueKey: key, maxAttempts: def.maxAttempts });
      this.scheduled.set(def.kind, key);
    }
  }
}

export function nextOccurrence(cron: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: after }).next().toDate();
}

export function backoffDelay(backoff: Backoff, attempt: number): number {
  const base = backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(base, backoff.maxDelayMs ?? Number.POSITIVE_INFINITY);
}

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message || 'erreur sans message').slice(0, 2000);
}
