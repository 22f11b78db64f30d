import { sql } from 'kysely';
import type { Tx } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { conflict } from '../../server/web/errors.js';
import type { EventRow } from './events.js';
import { eventCalendarAttachment } from './ical.js';
import { formatRange } from './time.js';
import type { RegistrationState } from './schema.js';

/**
 * Registering, leaving and the waiting list. Every change takes the event's row lock first
 * (SELECT … FOR UPDATE) so that two people never take the last seat and a freed seat goes to
 * exactly one person waiting.
 */

const DAY = 24 * 3600_000;

export async function lockEvent(trx: Tx, eventId: number): Promise<EventRow | undefined> {
  return trx.selectFrom('events').selectAll().where('id', '=', eventId).forUpdate().executeTakeFirst();
}

async function registeredCount(trx: Tx, eventId: number): Promise<number> {
  const row = await trx
    .selectFrom('event_registrations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('event_id', '=', eventId)
    .where('state', '=', 'registered')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Why registration is closed now, or null when it is open. */
export function registrationClosedReason(event: EventRow, now: Date): string | null {
  if (event.status === 'cancelled') return "Pas d'inscription : l'événement est annulé.";
  if (event.registration_opens_at && now < event.registration_opens_at) return 'Les inscriptions ne sont pas encore ouvertes.';
  const closes = event.registration_closes_at ?? event.starts_at;
  if (now >= closes) return 'Les inscriptions sont closes.';
  return null;
}

interface Person {
  id: number;
  email: string;
  displayName: string;
}

export async function registerUser(ctx: PluginContext, trx: Tx, eventId: number, person: Person, now = new Date()): Promise<RegistrationState> {
  const event = await lockEvent(trx, eventId);
  if (!event) throw conflict("Cet événement n'existe plus.");
  const existing = await trx.selectFrom('event_registrations').select('state').where('event_id', '=', eventId).where('user_id', '=', person.id).executeTakeFirst();
  if (existing) return existing.state;
  const closed = registrationClosedReason(event, now);
  if (closed) throw conflict(closed);
  const full = event.capacity !== null && (await registeredCount(trx, eventId)) >= event.capacity;
  const state: RegistrationState = full ? 'waiting' : 'registered';
  await trx
    .insertInto('event_registrations')
    .values({
      event_id: eventId,
      user_id: person.id,
      state,
      // Registering less than a day before: the confirmation stands for the day-before reminder.
      reminded_day_at: event.starts_at.getTime() - now.getTime() < DAY ? now : null,
    })
    .execute();
  await ctx.mail.send(
    {
      to: person.email,
      userId: person.id,
      subject: full ? `Liste d'attente : ${event.title}` : `Inscription confirmée : ${event.title}`,
      template: 'registered',
      locals: { event, person, waiting: full, when: formatRange(event.starts_at, event.ends_at), url: `${ctx.baseUrl}/events/${event.id}` },
      // A seat is worth a calendar entry; a place on the waiting list is not yet.
      attachments: full ? [] : [eventCalendarAttachment(ctx, event)],
    },
    { trx },
  );
  return state;
}

/** Leaves an event (registered or waiting); a freed seat goes to the first person waiting. */
export async function unregisterUser(ctx: PluginContext, trx: Tx, eventId: number, userId: number): Promise<RegistrationState | null> {
  const event = await lockEvent(trx, eventId);
  if (!event) return null;
  const removed = await trx.deleteFrom('event_registrations').where('event_id', '=', eventId).where('user_id', '=', userId).returning('state').executeTakeFirst();
  if (removed?.state === 'registered') await promoteWaiting(ctx, trx, event);
  return removed?.state ?? null;
}

/** Moves people up from the waiting list while there are free seats (the event row is locked by the caller). */
export async function promoteWaiting(ctx: PluginContext, trx: Tx, event: EventRow, now = new Date()): Promise<number[]> {
  if (event.status === 'cancelled' || event.ends_at <= now) return [];
  const free = event.capacity === null ? Number.MAX_SAFE_INTEGER : event.capacity - (await registeredCount(trx, event.id));
  if (free <= 0) return [];
  const promoted = await trx
    .updateTable('event_registrations')
    .set({ state: 'registered', promoted_at: now, reminded_day_at: event.starts_at.getTime() - now.getTime() < DAY ? now : null })
    .where('event_id', '=', event.id)
    .where('user_id', 'in', (eb) =>
      eb
        .selectFrom('event_registrations')
        .select('user_id')
        .where('event_id', '=', event.id)
        .where('state', '=', 'waiting')
        .orderBy('registered_at')
        .orderBy('user_id')
        .limit(Math.min(free, 10_000)),
    )
    .returning('user_id')
    .execute();
  const ids = promoted.map((p) => p.user_id);
  if (ids.length) {
    await ctx.notifications.notify(
      ids,
      {
        kind: 'events:promoted',
        title: `Une place s'est libérée : vous êtes inscrit·e à « ${event.title} »`,
        body: `Vous étiez sur la liste d'attente ; vous avez maintenant une place pour l'événement du ${formatRange(event.starts_at, event.ends_at)}.`,
        url: `/events/${event.id}`,
        attachments: [eventCalendarAttachment(ctx, event)],
      },
      { trx },
    );
  }
  return ids;
}

export async function registrationOf(trx: Tx | PluginContext['db'], eventId: number, userId: number) {
  return trx.selectFrom('event_registrations').selectAll().where('event_id', '=', eventId).where('user_id', '=', userId).executeTakeFirst();
}

/** Rank on the waiting list (1 = next to move up). */
export async function waitingRank(db: PluginContext['db'], eventId: number, userId: number): Promise<number | null> {
  const row = await sql<{ rank: string | null }>`
    select (select count(*) from event_registrations w
             where w.event_id = r.event_id and w.state = 'waiting'
               and (w.registered_at, w.user_id) <= (r.registered_at, r.user_id)) as rank
    from event_registrations r
    where r.event_id = ${eventId} and r.user_id = ${userId} and r.state = 'waiting'`.execute(db);
  const rank = row.rows[0]?.rank;
  return rank === undefined || rank === null ? null : Number(rank);
}

export async function counts(db: PluginContext['db'], eventId: number): Promise<{ registered: number; waiting: number }> {
  const rows = await db
    .selectFrom('event_registrations')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .where('event_id', '=', eventId)
    .groupBy('state')
    .execute();
  const of = (s: RegistrationState) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { registered: of('registered'), waiting: of('waiting') };
}
