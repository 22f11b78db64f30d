import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { JobRun } from '../../server/jobs/jobRunner.js';
import { isValidAddress } from '../../server/mail/mailer.js';
import { issueMail, loadIssue, LIST_ID, type Issue } from './issues.js';
import { deliveriesFiller } from './subscribers.js';
import type { DeliveryState } from './schema.js';
import type { NewsletterSettings } from './settings.js';

/**
 * Sending an issue: one background job per issue and run. Recipients are written once as
 * pending deliveries (unique per issue and address), then claimed in batches, sent through
 * SMTP at the configured pace, and each marked sent as soon as the server accepted it. A
 * stopped or crashed job resumes with what is still pending: nobody gets the issue twice.
 */

type Ctx = PluginContext<NewsletterSettings>;
export const SEND_JOB = 'newsletter:send';
export interface SendPayload {
  issueId: number;
  run: number;
}

export const DELIVERY_STATE_LABELS: Record<DeliveryState, string> = {
  pending: 'En attente',
  claimed: 'En cours',
  sending: 'En cours de remise',
  sent: 'Envoyé',
  kept: 'Conservé (sans serveur SMTP)',
  failed: 'En échec',
  bounced: 'Refusé (adresse inconnue)',
  skipped: 'Ignoré (désabonné)',
};

export const UNCERTAIN = "Interrompu pendant la remise au serveur : peut-être reçu, pas renvoyé pour ne pas l'envoyer deux fois.";

/** The SMTP server itself is out of reach (not this recipient): pause the whole send, keep everyone pending. */
export class ServerUnavailable extends Error {}

function isServerProblem(error: Error & { code?: string; responseCode?: number }): boolean {
  if (error.responseCode === 421) return true;
  if (error.responseCode) return false;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'EAUTH', 'ETLS', 'EPROTOCOL'].includes(error.code ?? '') || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.test(error.message);
}

const reasonOf = (e: Error & { responseCode?: number }) => `${e.responseCode ? `${e.responseCode} ` : ''}${e.message}`.replace(/\s+/g, ' ').slice(0, 500);

/** Evenly spaced sends: `ratePerSecond` whatever the number of messages on their way. */
class Pacer {
  private next = 0;
  constructor(private readonly spacingMs: number) {}
  async wait(): Promise<void> {
    if (!this.spacingMs) return;
    const now = Date.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.spacingMs;
    // Short waits, one per message on its way: the caller checks the stop signal after each.
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Figures of an issue's deliveries, by state. */
export async function deliveryCounts(db: DB, issueId: number): Promise<Record<DeliveryState, number>> {
  const counts: Record<DeliveryState, number> = { pending: 0, claimed: 0, sending: 0, sent: 0, kept: 0, failed: 0, bounced: 0, skipped: 0 };
  const rows = await db
    .selectFrom('newsletter_deliveries')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('issue_id', '=', issueId)
    .groupBy('state')
    .execute();
  for (const r of rows) counts[r.state] = Number(r.n);
  return counts;
}

export const doneOf = (c: Record<DeliveryState, number>) => c.sent + c.kept + c.failed + c.bounced + c.skipped;

interface Claimed {
  id: number;
  email: string;
  user_id: number | null;
  attempts: number;
  unsubscribed: boolean;
}

/** Takes up to `size` due recipients (FOR UPDATE SKIP LOCKED: two workers never share one). */
async function claim(db: DB, issueId: number, size: number): Promise<Claimed[]> {
  const { rows } = await sql<Claimed>`
    with picked as (
      select id from newsletter_deliveries
      where issue_id = ${issueId} and state = 'pending' and next_attempt_at <= now()
      order by id limit ${size}
      for update skip locked
    )
    update newsletter_deliveries d set state = 'claimed', attempts = d.attempts + 1
    from picked where d.id = picked.id
    returning d.id, d.email, d.user_id, d.attempts,
      exists (select 1 from mail_unsubscribes u where u.list = ${LIST_ID} and u.email = d.email) as unsubscribed`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export function defineSendJob(ctx: Ctx): void {
  ctx.jobs.define<SendPayload>(SEND_JOB, (job) => sendIssue(ctx, job), {
    concurrency: 1,
    // Attempts of the job are pauses of the SMTP server; recipients have their own bounded retries.
    maxAttempts: 10,
    backoff: { type: 'exponential', delayMs: 30_000, maxDelayMs: 30 * 60_000 },
    onFailed: async ({ issueId, run }, error) => {
      await ctx.db
        .updateTable('newsletter_issues')
        .set({ state: 'paused', last_error: error.slice(0, 500), updated_at: sql`now()` })
        .where('id', '=', issueId)
        .where('send_run', '=', run)
        .where('state', '=', 'sending')
        .execute();
    },
  });
}

async function sendIssue(ctx: Ctx, job: JobRun<SendPayload>): Promise<void> {
  const { issueId, run } = job.payload;
  const db = ctx.db;
  const issue = await db.transaction().execute(async (trx) => {
    const current = await loadIssue(trx, { id: issueId });
    // Cancelled, rescheduled or already finished: this job belongs to an older run.
    if (!current || current.sendRun !== run || (current.state !== 'scheduled' && current.state !== 'sending')) return null;
    const count = current.filledAt ? current.recipientCount : await deliveriesFiller(trx, current);
    await trx
      .updateTable('newsletter_issues')
      .set({ state: 'sending', filled_at: sql`coalesce(filled_at, now())`, recipient_count: count, started_at: sql`coalesce(started_at, now())`, updated_at: sql`now()` })
      .where('id', '=', issueId)
      .execute();
    return { ...current, recipientCount: count };
  });
  if (!issue) return;
  // What a run that stopped left behind (this job holds the issue's lease: nobody else sends them).
  // Claimed but never handed to the server: pending again. Handed to it without a recorded
  // answer (a crash in that instant): perhaps received, so not sent again, and said so.
  await db.updateTable('newsletter_deliveries').set({ state: 'pending', attempts: sql`greatest(attempts - 1, 0)` }).where('issue_id', '=', issueId).where('state', '=', 'claimed').execute();
  await db
    .updateTable('newsletter_deliveries')
    .set({ state: 'failed', last_error: UNCERTAIN })
    .where('issue_id', '=', issueId)
    .where('state', '=', 'sending')
    .execute();

  const mail = await issueMail(ctx, issue);
  const host = new URL(ctx.baseUrl).hostname;
  const pacer = new Pacer(ctx.settings.ratePerSecond > 0 ? 1000 / ctx.settings.ratePerSecond : 0);
  // Counted once, then followed in memory: no count over the whole list at every batch.
  let done = doneOf(await deliveryCounts(db, issueId));
  const report = () => job.progress(done, issue.recipientCount);
  await report();
  const marker = new SentMarker(db);

  for (;;) {
    if (job.signal.aborted) throw new Error('Arrêt du serveur : envoi repris au redémarrage.');
    const batch = await claim(db, issueId, ctx.settings.batchSize);
    if (batch.length === 0) {
      const next = await db
        .selectFrom('newsletter_deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('at'))
        .where('issue_id', '=', issueId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (!next?.at) break;
      // Temporary refusals wait for their next attempt; the job keeps its lease meanwhile.
      await sleep(Math.max(50, new Date(next.at).getTime() - Date.now()), job.signal);
      continue;
    }
    try {
      await sendBatch(ctx, issue, mail, batch, pacer, host, job.signal, marker, () => done++);
    } catch (error) {
      if (error instanceof ServerUnavailable) {
        await db.updateTable('newsletter_issues').set({ last_error: `Serveur d'envoi injoignable, nouvel essai automatique : ${error.message}`.slice(0, 500) }).where('id', '=', issueId).execute();
      }
      throw error;
    } finally {
      await report();
    }
  }
  await db
    .updateTable('newsletter_issues')
    .set({ state: 'sent', sent_at: sql`now()`, last_error: null, updated_at: sql`now()` })
    .where('id', '=', issueId)
    .where('send_run', '=', run)
    .execute();
  ctx.log.info({ issueId, recipients: issue.recipientCount }, 'LINE envoyée');
}

/**
 * Marks accepted messages sent as soon as possible, in one statement for all those accepted
 * while the previous statement ran (group commit): no wait under low load, far fewer
 * statements under high load. A sender continues only once its row is written.
 */
type Marked = 'sending' | 'sent' | 'kept';
class SentMarker {
  private queue: { id: number; state: Marked; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  constructor(private readonly db: DB) {}

  mark(id: number, state: Marked): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, state, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.queue.length) {
      const group = this.queue.splice(0);
      try {
        for (const state of ['sending', 'sent', 'kept'] as const) {
          const ids = group.filter((g) => g.state === state).map((g) => g.id);
          if (!ids.length) continue;
          const set = state === 'sending' ? { state } : { state, last_error: null, sent_at: sql<Date>`now()` };
          await this.db.updateTable('newsletter_deliveries').set(set).where('id', 'in', ids).execute();
        }
        for (const g of group) g.resolve();
      } catch (error) {
        for (const g of group) g.reject(error);
      }
    }
    this.writing = false;
  }
}

/** Sends one claimed batch, `parallel` messages at a time; every recipient ends the batch in a settled or pending state. */
async function sendBatch(
  ctx: Ctx,
  issue: Issue,
  mail: { subject: string; html: string; text: string },
  batch: Claimed[],
  pacer: Pacer,
  host: string,
  signal: AbortSignal,
  marker: SentMarker,
  settled: () => void,
): Promise<void> {
  const db = ctx.db;
  const settle = async (id: number, state: DeliveryState, lastError: string | null, extra: Record<string, unknown> = {}) => {
    await db.updateTable('newsletter_deliveries').set({ state, last_error: lastError, ...extra }).where('id', '=', id).execute();
    if (state !== 'pending') settled();
  };
  let stop: Error | null = null;
  let next = 0;
  const untried: Claimed[] = [];
  const worker = async () => {
    while (next < batch.length) {
      if (stop || signal.aborted) return;
      const r = batch[next++]!;
      if (r.unsubscribed) {
        await settle(r.id, 'skipped', 'Désabonné de la LINE', { attempts: r.attempts - 1 });
        continue;
      }
      if (!isValidAddress(r.email)) {
        await settle(r.id, 'failed', `Adresse électronique non valide : « ${r.email.slice(0, 200)} »`);
        continue;
      }
      await pacer.wait();
      if (stop || signal.aborted) {
        untried.push(r);
        return;
      }
      await marker.mark(r.id, 'sending');
      try {
        const state = await ctx.mail.deliverNow(
          { to: r.email, userId: r.user_id, subject: mail.subject, html: mail.html, text: mail.text, list: LIST_ID },
          { messageId: `<line-${issue.id}-${r.id}@${host}>` },
        );
        // Marked at once: only a crash in the instant between the answer and this write leaves it
        // « sending », which a resumed run reports as uncertain rather than sending it twice.
        await marker.mark(r.id, state);
        settled();
      } catch (caught) {
        const e = caught as Error & { code?: string; responseCode?: number };
        if (isServerProblem(e)) {
          stop ??= new ServerUnavailable(reasonOf(e));
          await settle(r.id, 'pending', reasonOf(e), { attempts: r.attempts - 1 });
        } else if (e.responseCode && e.responseCode >= 500) {
          // A 5xx on the recipient is a hard bounce; on the message, a failure. Retrying changes neither.
          await settle(r.id, e.code === 'EENVELOPE' ? 'bounced' : 'failed', reasonOf(e));
        } else if (r.attempts >= ctx.settings.maxAttempts) {
          await settle(r.id, 'failed', `${reasonOf(e)} (après ${r.attempts} essais)`);
        } else {
          const delayMs = ctx.settings.retrySeconds * 1000 * 2 ** (r.attempts - 1);
          await settle(r.id, 'pending', reasonOf(e), { next_attempt_at: new Date(Date.now() + delayMs) });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.settings.parallel, batch.length) }, worker));
  // Stopping: what was never handed to the server goes back to pending at once, in one statement.
  const left = [...untried, ...batch.slice(next)];
  if (left.length) {
    await db
      .updateTable('newsletter_deliveries')
      .set({ state: 'pending', attempts: sql`greatest(attempts - 1, 0)` })
      .where('id', 'in', left.map((r) => r.id))
      .where('state', '=', 'claimed')
      .execute();
  }
  if (stop) throw stop;
}
