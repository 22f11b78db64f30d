import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { existsSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import { htmlToText } from 'html-to-text';
import { sql } from 'kysely';
import { z } from 'zod';
import type { DB, MailAttachment, Tx } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { HookBus } from '../plugins/hooks.js';
import { recordAudit } from '../audit/auditLog.js';
import { HttpError } from '../web/errors.js';
import { renderMarkdown } from '../web/markdown.js';
import { CORE_VIEWS_DIR, type Renderer } from '../web/render.js';
import { PermanentJobError, type JobRunner } from '../jobs/jobRunner.js';
import { jobRetrier } from '../jobs/jobQueue.js';
import { UnsubscribeTokens, type UnsubscribeTarget } from './unsubscribeToken.js';
import { parseSender, rawMime } from './rawMime.js';

/** A malformed recipient: refused before anything is stored, with a message a person can read. */
export class InvalidAddressError extends HttpError {
  constructor(address: string) {
    super(400, `L'adresse électronique « ${address.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200)} » n'est pas valide.`, { field: 'to' });
  }
}

export interface MailMessage {
  /** One bare address: `prenom.nom@ac-poitiers.fr`. */
  to: string;
  /** The account it is for, when there is one (kept with the message for the outbox). */
  userId?: number | null;
  subject: string;
  /** The body, one of: Markdown (through the one renderer), an EJS template of the sender, or ready HTML. */
  markdown?: string;
  template?: string;
  locals?: Record<string, unknown>;
  html?: string;
  /** Plain-text version; derived from the HTML when absent. */
  text?: string;
  /** A declared list: adds the one-click unsubscribe link and headers, and skips unsubscribed people. */
  list?: string;
  /** Text files sent with it (an event's .ics): 1 MB at most in all. */
  attachments?: MailAttachment[];
}

export interface SendResult {
  /** Outbox id, null when skipped. */
  id: number | null;
  state: 'queued' | 'skipped';
}

/** A message rendered as it will leave (`Mailer.render`). */
export type RenderedMail = Awaited<ReturnType<Mailer['render']>>;

export const MAIL_SEND_JOB = 'mail:send';
const MAIL_MAX_ATTEMPTS = 8;

const addressSchema = z.email();

/** Whether an address would be accepted by `send` (to skip, rather than refuse, a bad one in a list). */
export function isValidAddress(address: string): boolean {
  return addressSchema.safeParse(address.trim()).success;
}

/**
 * Every mail goes through the `mail_outbox` table and is delivered by a `mail:send` job: with
 * SMTP_URL through nodemailer (pooled, throttled, retried with the reason kept), without it
 * kept in the outbox for an admin to read. A message already sent is never sent again.
 */
export class Mailer {
  private readonly transport: Transporter | null;
  private readonly lists = new Map<string, { label: string; owner: string }>();
  readonly tokens: UnsubscribeTokens;
  private readonly host: string;
  private readonly spacingMs: number;
  private nextSlot = 0;

  constructor(
    private readonly deps: {
      db: DB;
      log: Logger;
      jobs: JobRunner;
      hooks: HookBus;
      renderer: Renderer;
      baseUrl: string;
      from: string;
      smtpUrl: string | null;
      ratePerSecond: number;
      secret: string;
    },
  ) {
    this.tokens = new UnsubscribeTokens(deps.secret);
    this.host = new URL(deps.baseUrl).hostname;
    this.transport = deps.smtpUrl ? createSmtpTransport(deps.smtpUrl) : null;
    this.spacingMs = deps.ratePerSecond > 0 ? 1000 / deps.ratePerSecond : 0;
    deps.jobs.define('core', MAIL_SEND_JOB, (job) => this.deliver((job.payload as { id: number }).id), {
      // Sending is mostly waiting for the SMTP server: several messages travel at once.
      concurrency: 16,
      maxAttempts: MAIL_MAX_ATTEMPTS,
      backoff: { type: 'exponential', delayMs: 60_000, maxDelayMs: 6 * 3600_000 },
      onFailed: async (payload, error) => {
        await this.deps.db
          .updateTable('mail_outbox')
          .set({ state: 'failed', last_error: error })
          .where('id', '=', (payload as { id: number }).id)
          .where('state', '=', 'queued')
          .execute();
      },
    });
  }

  get mode(): 'smtp' | 'outbox' {
    return this.transport ? 'smtp' : 'outbox';
  }

  /** A list people can leave in one click; ids are prefixed by their owner (`newsletter:line`). */
  declareList(owner: string, list: { id: string; label: string }): void {
    if (owner !== 'core' && !list.id.startsWith(`${owner}:`)) throw new Error(`la liste « ${list.id} » doit commencer par « ${owner}: »`);
    this.lists.set(list.id, { label: list.label, owner });
  }

  listLabel(id: string): string {
    return this.lists.get(id)?.label ?? id;
  }

  /**
   * Renders and queues one mail. `viewsDir` is where the sender's templates live. Inside a
   * transaction (`trx`) the mail exists only if the change that caused it commits.
   */
  async send(message: MailMessage, options: { trx?: Tx; viewsDir?: string } = {}): Promise<SendResult> {
    return (await this.sendMany([message], options))[0]!;
  }

  /**
   * Queues many mails (a newsletter, a notification to a whole département): every address is
   * checked first — one malformed address refuses the whole batch, naming it — then the
   * messages and their delivery jobs are written in statements of 500. Results follow the
   * order of `messages`.
   */
  async sendMany(messages: MailMessage[], options: { trx?: Tx; viewsDir?: string } = {}): Promise<SendResult[]> {
    for (const message of messages) this.check(message);
    const db = options.trx ?? this.deps.db;
    const results: SendResult[] = messages.map(() => ({ id: null, state: 'skipped' }));
    let queued = 0;
    for (let i = 0; i < messages.length; i += 500) {
      const batch = messages.slice(i, i + 500);
      const unsubscribed = await this.unsubscribedAmong(batch, db);
      const chunk = batch
        .map((message, n) => ({ message, index: i + n }))
        .filter(({ message }) => !unsubscribed.has(`${message.list}\n${message.to.trim().toLowerCase()}`));
      if (chunk.length === 0) continue;
      queued += chunk.length;
      const rows = await Promise.all(chunk.map(({ message }) => this.compose(message, options.viewsDir)));
      // One statement writes the messages and the jobs that deliver them: atomic without a transaction.
      const inserted = await db
        .with('message', (q) => q.insertInto('mail_outbox').values(rows).returning(['id', 'message_id']))
        .with('job', (q) =>
          q
            .insertInto('jobs')
            .columns(['kind', 'payload', 'unique_key', 'max_attempts'])
            .expression((eb) =>
              eb
                .selectFrom('message')
                .select([
                  sql.lit(MAIL_SEND_JOB).as('kind'),
                  sql<string>`jsonb_build_object('id', message.id)`.as('payload'),
                  sql<string>`'mail:' || message.id`.as('unique_key'),
                  sql.lit(MAIL_MAX_ATTEMPTS).as('max_attempts'),
                ]),
            ),
        )
        .selectFrom('message')
        .select(['id', 'message_id'])
        .execute();
      const ids = new Map(inserted.map((r) => [r.message_id, Number(r.id)]));
      chunk.forEach(({ index }, n) => (results[index] = { id: ids.get(rows[n]!.message_id)!, state: 'queued' }));
    }
    if (!options.trx && queued) this.deps.jobs.nudge();
    return results;
  }

  /**
   * A message as it would leave, without storing it: previews, and senders that keep their own
   * per-recipient state (a newsletter) and call `deliverNow`.
   */
  async render(message: MailMessage, options: { viewsDir?: string; messageId?: string } = {}) {
    this.check(message);
    const row = await this.compose(message, options.viewsDir);
    return {
      ...row,
      message_id: options.messageId ?? row.message_id,
      headers: JSON.parse(row.headers) as Record<string, string>,
      attachments: JSON.parse(row.attachments) as MailAttachment[],
    };
  }

  /** Refuses, before anything is stored, a bad address (a person's input) or a sender's mistake. */
  private check(message: MailMessage): void {
    if (!isValidAddress(message.to)) throw new InvalidAddressError(message.to);
    if (message.list && !this.lists.has(message.list)) throw new Error(`liste de diffusion inconnue « ${message.list} »`);
    const attachments = message.attachments ?? [];
    for (const a of attachments) {
      // Both end up in MIME headers: nothing that could break out of them.
      if (!/^[\w.-]{1,100}$/.test(a.filename)) throw new Error(`nom de pièce jointe refusé « ${a.filename.slice(0, 100)} »`);
      if (!/^[\w.+-]+\/[\w.+-]+(; *[\w-]+=[\w.-]+)*$/.test(a.contentType)) throw new Error(`type de pièce jointe refusé « ${a.contentType.slice(0, 100)} »`);
    }
    if (attachments.reduce((n, a) => n + Buffer.byteLength(a.content), 0) > 1_000_000) throw new Error('pièces jointes de plus de 1 Mo');
  }

  /**
   * Sends one message now, outside the outbox, for senders that keep their own per-recipient
   * state (claimed, sent, failed) and their own pace: no throttle and no unsubscribe check
   * here, the caller does both. Without SMTP_URL the message is written to the outbox as
   * « conservé », so nothing is silently dropped. Rejects with the SMTP error (`responseCode`).
   */
  async deliverNow(message: MailMessage, options: { viewsDir?: string; messageId?: string } = {}): Promise<'sent' | 'kept'> {
    const mail = await this.render(message, options);
    if (!this.transport) {
      await this.deps.db.insertInto('mail_outbox').values({ ...mail, headers: JSON.stringify(mail.headers), attachments: JSON.stringify(mail.attachments), state: 'kept' }).execute();
      return 'kept';
    }
    // One prebuilt string: most of the cost of a message is nodemailer building its parts.
    const raw = rawMime({ from: this.deps.from, to: mail.to_address, subject: mail.subject, messageId: mail.message_id, html: mail.html, text: mail.text, headers: mail.headers, attachments: mail.attachments });
    await this.transport.sendMail({ envelope: { from: parseSender(this.deps.from).address, to: [mail.to_address] }, raw });
    return 'sent';
  }

  /** The outbox row of one message: the French HTML layout, a text version, the unsubscribe headers. */
  private async compose(message: MailMessage, viewsDir?: string) {
    const to = message.to.trim();
    const unsubscribeUrl = message.list
      ? `${this.deps.baseUrl}/unsubscribe/${this.tokens.sign({ email: to, list: message.list, userId: message.userId ?? null })}`
      : null;
    const body = await this.renderBody(message, viewsDir);
    const html = await this.deps.renderer.partial(path.join(CORE_VIEWS_DIR, 'mail', 'layout.ejs'), {
      subject: message.subject,
      body,
      baseUrl: this.deps.baseUrl,
      unsubscribeUrl,
      listLabel: message.list ? this.listLabel(message.list) : null,
    });
    let text = message.text ?? htmlToText(body, { wordwrap: 78, selectors: [{ selector: 'img', format: 'skip' }] });
    if (unsubscribeUrl) text += `\n\n--\nVous recevez ce courriel au titre de la liste « ${this.listLabel(message.list!)} ».\nSe désabonner : ${unsubscribeUrl}\n`;
    const headers: Record<string, string> = unsubscribeUrl
      ? { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
      : {};
    return {
      to_address: to,
      user_id: message.userId ?? null,
      subject: message.subject.replace(/[\r\n]+/g, ' ').slice(0, 300),
      html,
      text,
      headers: JSON.stringify(headers),
      attachments: JSON.stringify(message.attachments ?? []),
      list: message.list ?? null,
      message_id: `<${randomUUID()}@${this.host}>`,
    };
  }

  /** `list\nemail` of the recipients who left the list their message belongs to. */
  private async unsubscribedAmong(messages: MailMessage[], db: DB | Tx): Promise<Set<string>> {
    const listed = messages.filter((m) => m.list);
    if (listed.length === 0) return new Set();
    const rows = await db
      .selectFrom('mail_unsubscribes')
      .select(['email', 'list'])
      .where('list', 'in', [...new Set(listed.map((m) => m.list!))])
      .where('email', 'in', [...new Set(listed.map((m) => m.to.trim().toLowerCase()))])
      .execute();
    return new Set(rows.map((r) => `${r.list}\n${r.email}`));
  }

  async isUnsubscribed(email: string, list: string, db: DB | Tx = this.deps.db): Promise<boolean> {
    const row = await db
      .selectFrom('mail_unsubscribes')
      .select('list')
      .where('email', '=', email.trim().toLowerCase())
      .where('list', '=', list)
      .executeTakeFirst();
    return Boolean(row);
  }

  /** Records that someone left a list (idempotent) and tells the owner of the list through `mail:unsubscribed`. */
  async unsubscribe(target: UnsubscribeTarget, ip: string | null): Promise<void> {
    const email = target.email.toLowerCase();
    const inserted = await this.deps.db
      .insertInto('mail_unsubscribes')
      .values({ email, list: target.list, user_id: target.userId })
      .onConflict((oc) => oc.columns(['email', 'list']).doNothing())
      .returning('list')
      .executeTakeFirst();
    if (!inserted) return;
    await recordAudit(this.deps.db, {
      action: 'mail.unsubscribe',
      actorId: null,
      targetType: target.userId ? 'user' : null,
      targetId: target.userId,
      ip,
      details: { list: target.list },
    });
    await this.deps.hooks.doAction('mail:unsubscribed', { email, list: target.list, userId: target.userId });
  }

  async resubscribe(email: string, list: string, db: DB | Tx = this.deps.db): Promise<void> {
    await db.deleteFrom('mail_unsubscribes').where('email', '=', email.trim().toLowerCase()).where('list', '=', list).execute();
  }

  /** Queues a failed message again (admin « Réessayer »). False if it was not failed. */
  async retry(id: number): Promise<boolean> {
    return this.deps.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('mail_outbox')
        .set({ state: 'queued' })
        .where('id', '=', id)
        .where('state', '=', 'failed')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      const job = await trx.selectFrom('jobs').select('id').where('unique_key', '=', `mail:${id}`).executeTakeFirst();
      if (job) await jobRetrier(trx, Number(job.id));
      else await this.deps.jobs.enqueue(MAIL_SEND_JOB, { id }, { uniqueKey: `mail:${id}`, trx });
      return true;
    });
  }

  close(): void {
    this.transport?.close();
  }

  /** The `mail:send` job: one outbox message, sent once. */
  private async deliver(id: number): Promise<void> {
    // Counts the attempt and reads the message at once; a message already sent or kept is left alone.
    const row = await this.deps.db
      .updateTable('mail_outbox')
      .set({ attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .where('state', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (!row) return;
    if (!this.transport) {
      await this.deps.db.updateTable('mail_outbox').set({ state: 'kept', last_error: null }).where('id', '=', id).execute();
      return;
    }
    await this.throttle();
    try {
      await this.transport.sendMail({
        from: this.deps.from,
        to: row.to_address,
        subject: row.subject,
        html: row.html,
        text: row.text,
        messageId: row.message_id,
        headers: row.headers as Record<string, string>,
        attachments: row.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      });
    } catch (error) {
      const e = error as Error & { responseCode?: number };
      const reason = `${e.responseCode ? `${e.responseCode} ` : ''}${e.message}`.slice(0, 2000);
      await this.deps.db.updateTable('mail_outbox').set({ last_error: reason }).where('id', '=', id).execute();
      // A 5xx answer about this message will not change by retrying; anything else (server unreachable) may.
      if (e.responseCode && e.responseCode >= 500) throw new PermanentJobError(reason);
      throw error;
    }
    await this.deps.db
      .updateTable('mail_outbox')
      .set({ state: 'sent', sent_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** MAIL_RATE_PER_SECOND: sends are spaced evenly, whatever the number of jobs running at once. */
  private async throttle(): Promise<void> {
    if (!this.spacingMs) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.spacingMs;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }

  private async renderBody(message: MailMessage, viewsDir?: string): Promise<string> {
    if (message.markdown !== undefined) return renderMarkdown(message.markdown);
    if (message.template) {
      if (!viewsDir) throw new Error('modèle de courriel sans dossier de vues');
      const file = path.join(viewsDir, 'mail', `${message.template}.ejs`);
      if (!existsSync(file)) throw new Error(`modèle de courriel introuvable : mail/${message.template}.ejs`);
      return this.deps.renderer.partial(file, { ...message.locals, baseUrl: this.deps.baseUrl });
    }
    if (message.html !== undefined) return message.html;
    if (message.text !== undefined) return `<p>${escapeHtml(message.text).replace(/\n/g, '<br>')}</p>`;
    throw new Error('courriel sans contenu (markdown, template, html ou text)');
  }
}

function createSmtpTransport(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    pool: true,
    maxConnections: 8,
    maxMessages: 1000,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
