import { sql } from 'kysely';
import type { DB, JobState, Tx } from '../db/schema.js';

/** A job as pages and the admin see it. */
export interface JobView {
  id: number;
  kind: string;
  state: JobState;
  payload: unknown;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  progress: { done: number; total: number } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface EnqueueOptions {
  /** Not before this time (default: now). */
  runAt?: Date;
  /** Enqueueing twice with the same key returns the first job instead of adding one. */
  uniqueKey?: string;
  /** Overrides the kind's maxAttempts for this job. */
  maxAttempts?: number;
  /** Enqueue inside the caller's transaction, so the job exists only if the change commits. */
  trx?: Tx;
}

export interface EnqueueResult {
  id: number;
  /** False when a job with the same uniqueKey already existed. */
  created: boolean;
}

/** Adds a job to the queue; idempotent with a uniqueKey. */
export async function jobEnqueuer(
  db: DB | Tx,
  props: { kind: string; payload: unknown; runAt?: Date; uniqueKey?: string | null; maxAttempts: number },
): Promise<EnqueueResult> {
  const inserted = await db
    .insertInto('jobs')
    .values({
      kind: props.kind,
      payload: JSON.stringify(props.payload ?? {}),
      run_at: props.runAt ?? sql<Date>`now()`,
      unique_key: props.uniqueKey ?? null,
      max_attempts: props.maxAttempts,
    })
    .onConflict((oc) => oc.column('unique_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: Number(inserted.id), created: true };
  const existing = await db.selectFrom('jobs').select('id').where('unique_key', '=', props.uniqueKey!).executeTakeFirstOrThrow();
  return { id: Number(existing.id), created: false };
}

export async function jobProgressRecorder(db: DB, props: { id: number; done: number; total: number }): Promise<void> {
  const done = Math.max(0, Math.floor(props.done));
  const total = Math.max(done, Math.floor(props.total));
  await db
    .updateTable('jobs')
    .set({ progress_done: done, progress_total: total, updated_at: sql`now()` })
    .where('id', '=', props.id)
    .execute();
}

/** Puts a failed job back in the queue, with one more attempt allowed. False if it was not failed. */
export async function jobRetrier(db: DB | Tx, id: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({
      state: 'queued',
      run_at: sql`now()`,
      max_attempts: sql`greatest(max_attempts, attempts + 1)`,
      finished_at: null,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

const COLUMNS = [
  'id',
  'kind',
  'state',
  'payload',
  'run_at',
  'attempts',
  'max_attempts',
  'last_error',
  'progress_done',
  'progress_total',
  'created_at',
  'started_at',
  'finished_at',
] as const;

type JobRow = { [K in (typeof COLUMNS)[number]]: DBRow[K] };
type DBRow = import('kysely').Selectable<import('../db/schema.js').Schema['jobs']>;

/** Decides which fields of a job leave the server. */
export function presentJob(row: JobRow): JobView {
  return {
    id: Number(row.id),
    kind: row.kind,
    state: row.state,
    payload: row.payload,
    runAt: row.run_at,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    progress: row.progress_total !== null ? { done: row.progress_done ?? 0, total: row.progress_total } : null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export async function findJob(db: DB, where: { id: number } | { uniqueKey: string }): Promise<JobView | null> {
  let query = db.selectFrom('jobs').select(COLUMNS);
  query = 'id' in where ? query.where('id', '=', where.id) : query.where('unique_key', '=', where.uniqueKey);
  const row = await query.executeTakeFirst();
  return row ? presentJob(row) : null;
}

export async function listJobs(
  db: DB,
  filter: { state?: JobState; kind?: string; page: number; perPage: number },
): Promise<{ total: number; items: JobView[]; counts: Record<JobState, number> }> {
  let query = db.selectFrom('jobs');
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  const [{ total }, rows, counts] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    query
      .select(COLUMNS)
      // Failed and running first: that is what an admin comes for.
      .orderBy(sql`case state when 'running' then 0 when 'failed' then 1 when 'queued' then 2 else 3 end`)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.perPage)
      .offset((filter.page - 1) * filter.perPage)
      .execute(),
    db.selectFrom('jobs').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
  ]);
  const byState: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
  for (const c of counts) byState[c.state] = Number(c.n);
  return { total: Number(total), items: rows.map(presentJob), counts: byState };
}

/** Finished jobs are kept a while for the admin page, then removed. */
export async function jobPruner(db: DB, olderThanDays: number): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('state', '=', 'done')
    .where('finished_at', '<', sql<Date>`now() - make_interval(days => ${olderThanDays})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
