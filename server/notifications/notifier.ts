import { LRUCache } from 'lru-cache';
import { sql } from 'kysely';
import type { DB, EmailPreference, MailAttachment, Tx } from '../db/schema.js';
import type { JobRun, JobRunner } from '../jobs/jobRunner.js';
import { isValidAddress, type Mailer } from '../mail/mailer.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { renderMarkdown } from '../web/markdown.js';
import { safeLocalPath } from '../web/safeRedirect.js';

export interface NotificationKind {
  /** Prefixed by the declaring plugin: `forums:reply`. */
  id: string;
  /** French, shown in the preferences: « Réponses à mes discussions ». */
  label: string;
  /** E-mail for people who did not choose (in-app notifications are always kept). */
  defaultEmail: EmailPreference;
}

export interface NotificationInput {
  kind: string;
  /** One line, shown in the list and as the e-mail subject. */
  title: string;
  /** Markdown, rendered by the one sanitising renderer. */
  body?: string;
  /** A path of Maillon (`/forums/t/12#p3`) opened from the notification. */
  url?: string | null;
  /** Files for the e-mail sent at once (an event's .ics); the daily digest carries none. */
  attachments?: MailAttachment[];
}

export interface NotificationView {
  id: number;
  kind: string;
  kindLabel: string;
  title: string;
  bodyHtml: string;
  url: string | null;
  createdAt: Date;
  read: boolean;
}

export const EMAIL_PREFERENCES: { value: EmailPreference; label: string }[] = [
  { value: 'immediate', label: 'Immédiatement' },
  { value: 'daily', label: 'Résumé quotidien' },
  { value: 'never', label: 'Jamais' },
];

export const DIGEST_JOB = 'notifications:digest';
export const DIGEST_LIST = 'notifications:digest';
const listOf = (kind: string) => `notifications:${kind}`;
const DIGEST_MAX_ITEMS = 50;

/**
 * In-app notifications (the bell and its page) and their e-mails, following each person's
 * choice per kind: at once, in the daily digest, or never. Kinds are declared by plugins.
 */
export class Notifier {
  private readonly kindsById = new Map<string, NotificationKind & { owner: string }>();
  private readonly unread = new LRUCache<number, number>({ max: 20_000, ttl: 10_000 });

  constructor(private readonly deps: { db: DB; jobs: JobRunner; mailer: Mailer; baseUrl: string; digestCron: string }) {
    deps.mailer.declareList('core', { id: DIGEST_LIST, label: 'Résumé quotidien des notifications' });
    deps.jobs.define('core', DIGEST_JOB, (job) => this.sendDigests(job), {
      schedule: { cron: deps.digestCron, timezone: 'Europe/Paris' },
      maxAttempts: 3,
      backoff: { type: 'fixed', delayMs: 5 * 60_000 },
    });
  }

  declareKind(owner: string, kind: NotificationKind): void {
    if (!kind.id.startsWith(`${owner}:`)) throw new Error(`le type de notification « ${kind.id} » doit commencer par « ${owner}: »`);
    if (this.kindsById.has(kind.id)) throw new Error(`le type de notification « ${kind.id} » est déclaré deux fois`);
    if (!EMAIL_PREFERENCES.some((p) => p.value === kind.defaultEmail)) throw new Error(`préférence inconnue « ${kind.defaultEmail} »`);
    this.kindsById.set(kind.id, { ...kind, owner });
    this.deps.mailer.declareList('core', { id: listOf(kind.id), label: `Notifications : ${kind.label}` });
  }

  forgetOwner(owner: string): void {
    for (const [id, kind] of this.kindsById) if (kind.owner === owner) this.kindsById.delete(id);
  }

  kinds(): NotificationKind[] {
    return [...this.kindsById.values()].sort((a, b) => a.label.localeCompare(b.label, 'fr'));
  }

  /**
   * Notifies people: an in-app notification each, and an e-mail now or in tomorrow's digest
   * according to their preference. Inactive accounts are skipped. With `trx`, everything
   * lands with the caller's change or not at all. Returns how many were notified.
   */
  async notify(userIds: number[], input: NotificationInput, options: { trx?: Tx } = {}): Promise<number> {
    const kind = this.kindsById.get(input.kind);
    if (!kind) throw new Error(`type de notification inconnu « ${input.kind} » : déclarez-le avec notifications.declareKind`);
    const title = input.title.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (!title) throw new Error('une notification a besoin d’un titre');
    const body = (input.body ?? '').slice(0, 20_000);
    const url = input.url ? safeLocalPath(input.url, '') || null : null;
    const ids = [...new Set(userIds.filter((id) => Number.isInteger(id) && id > 0))];
    if (ids.length === 0) return 0;

    const work = async (trx: Tx) => {
      const people = await trx
        .selectFrom('users as u')
        .leftJoin('notification_preferences as p', (join) => join.onRef('p.user_id', '=', 'u.id').on('p.kind', '=', kind.id))
        .select(['u.id', 'u.email', 'p.email as preference'])
        .where('u.id', 'in', ids)
        .where('u.status', '=', 'active')
        .execute();
      if (people.length === 0) return 0;
      const choice = (p: (typeof people)[number]) => (p.preference as EmailPreference | null) ?? kind.defaultEmail;
      await trx
        .insertInto('notifications')
        .values(people.map((p) => ({ user_id: p.id, kind: kind.id, title, body, url, digest_pending: choice(p) === 'daily' })))
        .execute();
      const bodyHtml = renderMarkdown(body);
      const link = url ? `${this.deps.baseUrl}${url}` : `${this.deps.baseUrl}/notifications`;
      await this.deps.mailer.sendMany(
        people
          .filter((p) => choice(p) === 'immediate' && isValidAddress(p.email))
          .map((p) => ({ to: p.email, userId: p.id, subject: title, template: 'notification', locals: { title, bodyHtml, link }, list: listOf(kind.id), attachments: input.attachments })),
        { trx, viewsDir: CORE_VIEWS_DIR },
      );
      return people.length;
    };
    const count = options.trx ? await work(options.trx) : await this.deps.db.transaction().execute(work);
    for (const id of ids) this.unread.delete(id);
    if (!options.trx) this.deps.jobs.nudge();
    return count;
  }

  /**
   * Takes back an owner's notifications that point at `url` (a post deleted or hidden): they
   * leave the bell, the list and tomorrow's digest. E-mails already sent stay sent.
   */
  async withdraw(owner: string, url: string, options: { trx?: Tx } = {}): Promise<number> {
    const gone = await (options.trx ?? this.deps.db)
      .deleteFrom('notifications')
      .where('url', '=', url)
      .where('kind', 'like', `${owner.replace(/[\\%_]/g, '\\$&')}:%`)
      .returning('user_id')
      .execute();
    for (const { user_id } of gone) this.unread.delete(user_id);
    return gone.length;
  }

  /** The bell's figure; cached a few seconds per person because every page shows it. */
  async unreadCount(userId: number): Promise<number> {
    const cached = this.unread.get(userId);
    if (cached !== undefined) return cached;
    const { n } = await this.deps.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    this.unread.set(userId, Number(n));
    return Number(n);
  }

  async list(userId: number, page: number, perPage: number): Promise<{ total: number; items: NotificationView[] }> {
    const base = this.deps.db.selectFrom('notifications').where('user_id', '=', userId);
    const [{ total }, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      base
        .select(['id', 'kind', 'title', 'body', 'url', 'created_at', 'read_at'])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute(),
    ]);
    return {
      total: Number(total),
      items: rows.map((r) => ({
        id: Number(r.id),
        kind: r.kind,
        kindLabel: this.kindsById.get(r.kind)?.label ?? r.kind,
        title: r.title,
        bodyHtml: renderMarkdown(r.body),
        url: r.url,
        createdAt: r.created_at,
        read: r.read_at !== null,
      })),
    };
  }

  /** Marks one notification read and returns where it leads; null when it is not this person's. */
  async markRead(userId: number, id: number): Promise<{ url: string | null } | null> {
    const row = await this.deps.db
      .updateTable('notifications')
      .set({ read_at: sql`coalesce(read_at, now())`, digest_pending: false })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .returning('url')
      .executeTakeFirst();
    this.unread.delete(userId);
    return row ? { url: row.url } : null;
  }

  async markAllRead(userId: number): Promise<number> {
    const result = await this.deps.db
      .updateTable('notifications')
      .set({ read_at: sql`now()`, digest_pending: false })
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    this.unread.delete(userId);
    return Number(result.numUpdatedRows);
  }

  async preferences(userId: number): Promise<{ kind: string; label: string; email: EmailPreference; isDefault: boolean }[]> {
    const rows = await this.deps.db.selectFrom('notification_preferences').select(['kind', 'email']).where('user_id', '=', userId).execute();
    const chosen = new Map(rows.map((r) => [r.kind, r.email]));
    return this.kinds().map((k) => ({ kind: k.id, label: k.label, email: chosen.get(k.id) ?? k.defaultEmail, isDefault: !chosen.has(k.id) }));
  }

  /** Saves choices for declared kinds; choosing e-mail again undoes an earlier one-click unsubscribe. */
  async setPreferences(user: { id: number; email: string }, choices: Record<string, EmailPreference>): Promise<void> {
    const entries = Object.entries(choices).filter(([kind]) => this.kindsById.has(kind));
    if (entries.length === 0) return;
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('notification_preferences')
        .values(entries.map(([kind, email]) => ({ user_id: user.id, kind, email })))
        .onConflict((oc) => oc.columns(['user_id', 'kind']).doUpdateSet({ email: (eb) => eb.ref('excluded.email'), updated_at: sql`now()` }))
        .execute();
      for (const [kind, email] of entries) {
        if (email === 'immediate') await this.deps.mailer.resubscribe(user.email, listOf(kind), trx);
        if (email === 'daily') await this.deps.mailer.resubscribe(user.email, DIGEST_LIST, trx);
        if (email !== 'daily') {
          // Waiting for a digest this person no longer wants.
          await trx.updateTable('notifications').set({ digest_pending: false }).where('user_id', '=', user.id).where('kind', '=', kind).where('digest_pending', '=', true).execute();
        }
      }
    });
  }

  /** A one-click unsubscribe from a notification mail turns that e-mail off (the in-app bell stays). */
  async applyUnsubscribe(userId: number | null, list: string): Promise<void> {
    if (!userId || !list.startsWith('notifications:')) return;
    const kinds =
      list === DIGEST_LIST
        ? (await this.preferences(userId)).filter((p) => p.email === 'daily').map((p) => p.kind)
        : [list.slice('notifications:'.length)].filter((k) => this.kindsById.has(k));
    if (kinds.length === 0) return;
    await this.deps.db
      .insertInto('notification_preferences')
      .values(kinds.map((kind) => ({ user_id: userId, kind, email: 'never' as const })))
      .onConflict((oc) => oc.columns(['user_id', 'kind']).doUpdateSet({ email: 'never', updated_at: sql`now()` }))
      .execute();
    await this.deps.db.updateTable('notifications').set({ digest_pending: false }).where('user_id', '=', userId).where('kind', 'in', kinds).execute();
  }

  /**
   * The daily digest: one mail per person listing their unread notifications of the « daily »
   * kinds. Each person is handled in one transaction (mail queued and notifications cleared
   * together), so a retried digest never sends the same summary twice.
   */
  private async sendDigests(job: JobRun): Promise<void> {
    const { db } = this.deps;
    // Read since they were notified: nothing left to summarise.
    await db.updateTable('notifications').set({ digest_pending: false }).where('digest_pending', '=', true).where('read_at', 'is not', null).execute();
    const users = await db.selectFrom('notifications').select('user_id').distinct().where('digest_pending', '=', true).execute();
    let done = 0;
    for (const { user_id: userId } of users) {
      if (job.signal.aborted) throw new Error('arrêt demandé');
      await db.transaction().execute(async (trx) => {
        const person = await trx.selectFrom('users').select(['email', 'status']).where('id', '=', userId).executeTakeFirst();
        const items = await trx
          .selectFrom('notifications')
          .select(['id', 'kind', 'title', 'url', 'created_at'])
          .where('user_id', '=', userId)
          .where('digest_pending', '=', true)
          .orderBy('created_at', 'desc')
          .execute();
        if (items.length === 0) return;
        await trx.updateTable('notifications').set({ digest_pending: false }).where('id', 'in', items.map((i) => i.id)).execute();
        if (!person || person.status !== 'active' || !isValidAddress(person.email)) return;
        const shown = items.slice(0, DIGEST_MAX_ITEMS).map((i) => ({
          title: i.title,
          kindLabel: this.kindsById.get(i.kind)?.label ?? i.kind,
          link: `${this.deps.baseUrl}${i.url ?? '/notifications'}`,
          createdAt: i.created_at,
        }));
        await this.deps.mailer.send(
          {
            to: person.email,
            userId,
            subject: items.length > 1 ? `Maillon : ${items.length} notifications depuis hier` : 'Maillon : une notification depuis hier',
            template: 'digest',
            locals: { items: shown, more: items.length - shown.length, all: `${this.deps.baseUrl}/notifications`, preferences: `${this.deps.baseUrl}/notifications/preferences` },
            list: DIGEST_LIST,
          },
          { trx, viewsDir: CORE_VIEWS_DIR },
        );
      });
      await job.progress(++done, users.length);
    }
    this.deps.jobs.nudge();
  }
}
