import { sql } from 'kysely';
import type { PluginContext } from '../../server/plugins/context.js';
import { formatRange } from './time.js';

/**
 * Reminder mails, the day before (24 h) and one hour before. A scheduled job looks every five
 * minutes for registrations due a reminder; each batch is marked and its mails queued in one
 * transaction, so a reminder goes once per registration even if the job runs again or the
 * server restarts in between.
 */

const HOUR = 3600_000;
const BATCH = 500;

type Which = 'day' | 'hour';

async function remindBatch(ctx: PluginContext, which: Which, now: Date): Promise<number> {
  const column = which === 'day' ? 'reminded_day_at' : 'reminded_hour_at';
  // Day reminder: starts within 24 h but more than an hour from now (the hour one covers the rest).
  const from = which === 'day' ? new Date(now.getTime() + HOUR) : now;
  const to = new Date(now.getTime() + (which === 'day' ? 24 : 1) * HOUR);
  return ctx.db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('event_registrations as r')
      .innerJoin('events as e', 'e.id', 'r.event_id')
      .innerJoin('users as u', 'u.id', 'r.user_id')
      .select(['r.event_id', 'r.user_id', 'u.email', 'u.given_name', 'e.title', 'e.starts_at', 'e.ends_at', 'e.place', 'e.visio_url'])
      .where('r.state', '=', 'registered')
      .where(`r.${column}`, 'is', null)
      .where('e.status', '=', 'scheduled')
      .where('u.status', '=', 'active')
      .where('e.starts_at', '>', from)
      .where('e.starts_at', '<=', to)
      .orderBy('r.event_id')
      .orderBy('r.user_id')
      .limit(BATCH)
      .forUpdate('r')
      .skipLocked()
      .execute();
    if (!due.length) return 0;
    await trx
      .updateTable('event_registrations')
      .set({ [column]: now })
      .where(sql<boolean>`(event_id, user_id) in (${sql.join(due.map((d) => sql`(${d.event_id}, ${d.user_id})`))})`)
      .execute();
    await ctx.mail.sendMany(
      due.map((d) => ({
        to: d.email,
        userId: d.user_id,
        subject: which === 'day' ? `Demain : ${d.title}` : `Dans une heure : ${d.title}`,
        template: 'reminder',
        locals: { which, givenName: d.given_name, title: d.title, when: formatRange(d.starts_at, d.ends_at), place: d.place, url: `${ctx.baseUrl}/events/${d.event_id}`, hasVisio: Boolean(d.visio_url) },
      })),
      { trx },
    );
    return due.length;
  });
}

export async function sendDueReminders(ctx: PluginContext, now = new Date()): Promise<{ day: number; hour: number }> {
  const sent = { day: 0, hour: 0 };
  for (const which of ['hour', 'day'] as const) {
    for (;;) {
      const n = await remindBatch(ctx, which, now);
      sent[which] += n;
      if (n < BATCH) break;
    }
  }
  return sent;
}
