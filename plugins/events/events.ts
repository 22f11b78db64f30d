import type { Selectable } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { DB, Schema, Tx } from '../../server/db/schema.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { HttpError, notFound } from '../../server/web/errors.js';
import { departmentOfUai } from '../../server/geography/geography.js';
import { audienceFilter, isForUser, organiseRefusal, organiserScope } from './audience.js';
import type { EventInput } from './eventForm.js';
import { lockEvent, promoteWaiting } from './registrations.js';
import { eventCalendarAttachment } from './ical.js';
import { formatRange } from './time.js';
import './schema.js';

export type EventRow = Selectable<Schema['events']>;

export async function loadEvent(db: DB | Tx, id: number): Promise<EventRow | undefined> {
  return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether this person organises or oversees the event (edit, attendance, export). */
export function canManage(user: SessionUser | null | undefined, event: EventRow): boolean {
  if (!user) return false;
  if (event.organiser_id === user.id) return true;
  const scope = organiserScope(user);
  if (!scope || scope.kind === 'establishments') return false;
  const uaiDept = event.audience_kind === 'etablissement' ? (departmentOfUai(event.audience_code)?.code ?? null) : null;
  return organiseRefusal(scope, event.kind, { kind: event.audience_kind, code: event.audience_code, role: event.audience_role }, uaiDept) === null;
}

/** Whether this person may see the event page (its audience, its organisers, its registrants). */
export async function canSee(db: DB, user: SessionUser, event: EventRow): Promise<boolean> {
  if (canManage(user, event) || isForUser({ kind: event.audience_kind, code: event.audience_code, role: event.audience_role }, user)) return true;
  const r = await db.selectFrom('event_registrations').select('user_id').where('event_id', '=', event.id).where('user_id', '=', user.id).executeTakeFirst();
  return Boolean(r);
}

export async function visibleEventOr404(db: DB, user: SessionUser, rawId: unknown): Promise<EventRow> {
  const id = Number(rawId);
  const event = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await loadEvent(db, id) : undefined;
  if (!event || !(await canSee(db, user, event))) throw notFound("Cet événement n'existe pas ou ne vous est pas destiné.");
  return event;
}

export type ListedEvent = EventRow & { my_state: string | null; registered_count: number };

/** Events of a period meant for this person, or that they organise or joined. */
export async function eventsFor(db: DB, user: SessionUser, range: { from: Date; to?: Date }, limit = 200): Promise<ListedEvent[]> {
  let q = db
    .selectFrom('events as e')
    .leftJoin('event_registrations as mine', (j) => j.onRef('mine.event_id', '=', 'e.id').on('mine.user_id', '=', user.id))
    .selectAll('e')
    .select((eb) => [
      'mine.state as my_state',
      eb.selectFrom('event_registrations as r').whereRef('r.event_id', '=', 'e.id').where('r.state', '=', 'registered').select((x) => x.fn.countAll<string>().as('n')).as('registered_count'),
    ])
    .where('e.ends_at', '>', range.from)
    .where((eb) => eb.or([audienceFilter(user), eb('e.organiser_id', '=', user.id), eb('mine.user_id', 'is not', null)]));
  if (range.to) q = q.where('e.starts_at', '<', range.to);
  const rows = await q.orderBy('e.starts_at').orderBy('e.id').limit(limit).execute();
  return rows.map((r) => ({ ...r, registered_count: Number(r.registered_count ?? 0) }) as ListedEvent);
}

const unprocessable = (message: string, field?: string) => new HttpError(422, message, { field });

/** The columns a form fills, the same on creation and on edit. */
function columnsOf(input: EventInput) {
  return {
    title: input.title,
    description: input.description,
    kind: input.kind,
    starts_at: input.startsAt,
    ends_at: input.endsAt,
    audience_kind: input.audience.kind,
    audience_code: input.audience.code,
    audience_role: input.audience.role,
    capacity: input.capacity,
    place: input.place,
    visio_kind: input.visioKind,
    visio_url: input.visioUrl,
    registration_opens_at: input.opensAt,
    registration_closes_at: input.closesAt,
  };
}

export async function createEvent(trx: Tx, input: EventInput, organiserId: number): Promise<number> {
  const row = await trx
    .insertInto('events')
    .values({ ...columnsOf(input), organiser_id: organiserId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Saves an edited event under its row lock. Capacity below the seats already taken is refused
 * (422). A new time or place raises SEQUENCE (calendars update), resets the reminders and tells
 * the registrants; a larger capacity moves people up from the waiting list.
 */
export async function updateEvent(ctx: PluginContext, trx: Tx, id: number, input: EventInput): Promise<{ moved: boolean }> {
  const before = await lockEvent(trx, id);
  if (!before) throw notFound("Cet événement n'existe plus.");
  if (before.status === 'cancelled') throw new HttpError(409, 'Cet événement est annulé : il ne peut plus être modifié.');
  if (input.capacity !== null) {
    const taken = await trx.selectFrom('event_registrations').select((eb) => eb.fn.countAll<string>().as('n')).where('event_id', '=', id).where('state', '=', 'registered').executeTakeFirstOrThrow();
    if (Number(taken.n) > input.capacity) {
      throw unprocessable(`Le nombre de places (${input.capacity}) est inférieur au nombre de personnes déjà inscrites (${taken.n}).`, 'capacity');
    }
  }
  const moved = before.starts_at.getTime() !== input.startsAt.getTime() || before.ends_at.getTime() !== input.endsAt.getTime();
  const placeChanged = before.place !== input.place || before.visio_url !== input.visioUrl;
  const after = await trx
    .updateTable('events')
    .set({
      ...columnsOf(input),
      sequence: before.sequence + (moved || placeChanged || before.title !== input.title ? 1 : 0),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (moved) {
    await trx.updateTable('event_registrations').set({ reminded_day_at: null, reminded_hour_at: null }).where('event_id', '=', id).execute();
    await notifyRegistrants(ctx, trx, after, {
      title: `Changement d'horaire : « ${after.title} »`,
      body: `L'événement a lieu désormais le ${formatRange(after.starts_at, after.ends_at)}. Votre agenda se met à jour s'il suit votre flux Maillon.`,
    });
  }
  await promoteWaiting(ctx, trx, after);
  return { moved };
}

/** Cancels an event and tells its registrants, with the organiser's message when there is one. */
export async function cancelEvent(ctx: PluginContext, trx: Tx, id: number, organiserMessage = ''): Promise<EventRow | null> {
  const before = await lockEvent(trx, id);
  if (!before || before.status === 'cancelled') return null;
  const after = await trx
    .updateTable('events')
    .set({ status: 'cancelled', sequence: before.sequence + 1, updated_at: new Date(), cancellation_message: organiserMessage })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await notifyRegistrants(ctx, trx, after, {
    title: `Événement annulé : « ${after.title} »`,
    body: `L'événement prévu le ${formatRange(after.starts_at, after.ends_at)} est annulé.${organiserMessage ? `\n\nMessage de l'organisation :\n\n${quoted(organiserMessage)}` : ''}`,
  });
  return after;
}

/** A Markdown quote of free text, so that it reads as the organiser's words. */
function quoted(text: string): string {
  return text.split(/\r?\n/).map((line) => `> ${line}`.trimEnd()).join('\n');
}

export async function registrantIds(db: DB | Tx, eventId: number, states: ('registered' | 'waiting')[] = ['registered', 'waiting']): Promise<number[]> {
  const rows = await db.selectFrom('event_registrations').select('user_id').where('event_id', '=', eventId).where('state', 'in', states).execute();
  return rows.map((r) => r.user_id);
}

/**
 * Tells an event's registrants what changed. Those with a seat also get the event's .ics as it
 * now stands (same UID, higher SEQUENCE), so a calendar that imported it follows a move or a
 * cancellation; `calendar: false` for news that changes nothing there (a replay added).
 */
export async function notifyRegistrants(
  ctx: PluginContext,
  trx: Tx,
  event: EventRow,
  message: { title: string; body: string; calendar?: boolean },
  states: ('registered' | 'waiting')[] = ['registered', 'waiting'],
): Promise<number> {
  let told = 0;
  for (const state of states) {
    const ids = await registrantIds(trx, event.id, [state]);
    if (!ids.length) continue;
    const attachments = state === 'registered' && message.calendar !== false ? [eventCalendarAttachment(ctx, event)] : undefined;
    told += await ctx.notifications.notify(ids, { kind: 'events:update', title: message.title, body: message.body, url: `/events/${event.id}`, attachments }, { trx });
  }
  return told;
}
