import type { Request } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { badRequest, notFound } from '../../server/web/errors.js';
import { stringParam } from '../../server/web/validate.js';
import { audienceLabel, organiserScope } from './audience.js';
import { canManage, eventsFor, visibleEventOr404, type EventRow } from './events.js';
import { calendar, calendarDescription, eventCalendar, eventCalendarFilename } from './ical.js';
import { counts, registerUser, registrationClosedReason, registrationOf, unregisterUser, waitingRank } from './registrations.js';
import { feedOwner, feedToken, regenerateFeed, revokeFeed } from './feeds.js';
import { KIND_LABELS, VISIO_LABELS } from './schema.js';
import type { EventsSettings } from './settings.js';
import { formatRange, formatTime, parisDayKey, parisMonthBounds, parisParts } from './time.js';

type Ctx = PluginContext<EventsSettings>;

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

async function establishmentName(ctx: Ctx, event: EventRow): Promise<string | null> {
  if (event.audience_kind !== 'etablissement') return null;
  return (await ctx.db.selectFrom('establishments').select('name').where('uai', '=', event.audience_code).executeTakeFirst())?.name ?? null;
}


/** From when the visio link is shown to registered people, and until when. */
export function visioWindow(event: EventRow, settings: EventsSettings): { from: Date; to: Date } {
  return { from: new Date(event.starts_at.getTime() - settings.visioLeadMinutes * 60_000), to: event.ends_at };
}

function monthParam(req: Request): { year: number; month: number } {
  const raw = stringParam(req.query.mois, 7);
  const m = /^(\d{4})-(\d{2})$/.exec(raw);
  if (m && +m[2]! >= 1 && +m[2]! <= 12 && +m[1]! >= 2000 && +m[1]! <= 2100) return { year: +m[1]!, month: +m[2]! };
  const now = parisParts(new Date());
  return { year: now.year, month: now.month };
}

export function userRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/', 'authenticated', async (req, res) => {
    const events = await eventsFor(ctx.db, req.user!, { from: new Date() }, 100);
    await ctx.views.page(req, res, 'list', {
      title: 'Événements et webinaires',
      events: events.map((e) => ({ ...e, when: formatRange(e.starts_at, e.ends_at), kindLabel: KIND_LABELS[e.kind] })),
      canCreate: organiserScope(req.user) !== null,
    });
  });

  router.get('/calendrier', 'authenticated', async (req, res) => {
    const { year, month } = monthParam(req);
    const { start, end } = parisMonthBounds(year, month);
    const events = await eventsFor(ctx.db, req.user!, { from: start, to: end }, 500);
    // Weeks of the month grid, Monday first; days outside the month stay empty.
    const firstWeekday = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7;
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const byDay = new Map<string, { id: number; title: string; time: string; cancelled: boolean }[]>();
    for (const e of events) {
      const key = parisDayKey(e.starts_at);
      byDay.set(key, [...(byDay.get(key) ?? []), { id: e.id, title: e.title, time: formatTime(e.starts_at), cancelled: e.status === 'cancelled' }]);
    }
    const cells: ({ day: number; key: string; events: { id: number; title: string; time: string; cancelled: boolean }[] } | null)[] = [];
    for (let i = 0; i < firstWeekday; i++) cells.push(null);
    for (let d = 1; d <= days; d++) {
      const key = `${year}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      cells.push({ day: d, key, events: byDay.get(key) ?? [] });
    }
    while (cells.length % 7) cells.push(null);
    const weeks = Array.from({ length: cells.length / 7 }, (_, i) => cells.slice(i * 7, i * 7 + 7));
    const shift = (delta: number) => {
      const m = month + delta;
      const y = year + Math.floor((m - 1) / 12);
      return `${y}-${String(((m - 1 + 12) % 12) + 1).padStart(2, '0')}`;
    };
    const today = parisDayKey(new Date());
    await ctx.views.page(req, res, 'month', {
      title: `Calendrier — ${MONTHS[month - 1]} ${year}`,
      weeks,
      today,
      previous: shift(-1),
      next: shift(1),
      monthLabel: `${MONTHS[month - 1]} ${year}`,
    });
  });

  router.get('/mon-agenda', 'authenticated', async (req, res) => {
    const token = await feedToken(ctx.db, req.user!.id);
    await ctx.views.page(req, res, 'feed', {
      title: 'Mon agenda dans mon calendrier',
      feedUrl: token ? `${ctx.baseUrl}/events/flux/${token}.ics` : null,
    });
  });

  router.post('/mon-agenda/regenerer', 'authenticated', async (req, res) => {
    const had = await feedToken(ctx.db, req.user!.id);
    await regenerateFeed(ctx.db, req.user!.id);
    await ctx.audit({ action: 'events.feed.regenerate', req, targetType: 'user', targetId: req.user!.id });
    ctx.flash(req, 'success', had ? "Nouvelle adresse créée : l'ancienne ne fonctionne plus. Abonnez votre calendrier à la nouvelle." : 'Adresse créée : abonnez-y votre calendrier.');
    res.redirect(303, '/events/mon-agenda');
  });

  router.post('/mon-agenda/revoquer', 'authenticated', async (req, res) => {
    await revokeFeed(ctx.db, req.user!.id);
    await ctx.audit({ action: 'events.feed.revoke', req, targetType: 'user', targetId: req.user!.id });
    ctx.flash(req, 'success', 'Adresse révoquée : plus aucun calendrier ne peut lire votre agenda.');
    res.redirect(303, '/events/mon-agenda');
  });

  // Calendar applications subscribe without a session: the secret token is the key.
  router.get('/flux/:file', 'public', async (req, res) => {
    const file = String(req.params.file);
    const userId = file.endsWith('.ics') ? await feedOwner(ctx.db, file.slice(0, -4)) : null;
    if (!userId) throw notFound("Ce flux d'agenda n'existe pas ou a été révoqué.");
    // Events this person registered to (cancelled ones too, so calendars remove them), from 90 days back.
    const events = await ctx.db
      .selectFrom('events as e')
      .innerJoin('event_registrations as r', 'r.event_id', 'e.id')
      .selectAll('e')
      .where('r.user_id', '=', userId)
      .where('r.state', '=', 'registered')
      .where('e.ends_at', '>', new Date(Date.now() - 90 * 24 * 3600_000))
      .orderBy('e.starts_at')
      .limit(1000)
      .execute();
    res.set('Content-Type', 'text/calendar; charset=utf-8');
    res.set('Cache-Control', 'private, max-age=300');
    res.send(calendar(events, { baseUrl: ctx.baseUrl, includeVisio: false, describe: calendarDescription((markdown) => ctx.markdown.toText(markdown)), name: 'Mes événements Maillon' }));
  });

  router.get('/:id/evenement.ics', 'authenticated', async (req, res) => {
    const event = await visibleEventOr404(ctx.db, req.user!, req.params.id);
    res.set('Content-Type', 'text/calendar; charset=utf-8');
    res.attachment(eventCalendarFilename(event));
    res.send(eventCalendar(event, ctx.baseUrl, (markdown) => ctx.markdown.toText(markdown)));
  });

  router.get('/:id', 'authenticated', async (req, res) => {
    const event = await visibleEventOr404(ctx.db, req.user!, req.params.id);
    const now = new Date();
    const [mine, tally, documents, estName] = await Promise.all([
      registrationOf(ctx.db, event.id, req.user!.id),
      counts(ctx.db, event.id),
      ctx.db
        .selectFrom('event_documents as d')
        .innerJoin('files as f', 'f.id', 'd.file_id')
        .select(['d.title', 'f.id', 'f.name', 'f.size'])
        .where('d.event_id', '=', event.id)
        .orderBy('d.added_at')
        .execute(),
      establishmentName(ctx, event),
    ]);
    const rank = mine?.state === 'waiting' ? await waitingRank(ctx.db, event.id, req.user!.id) : null;
    const visio = visioWindow(event, ctx.settings);
    const registered = mine?.state === 'registered';
    await ctx.views.page(req, res, 'event', {
      title: event.title,
      event,
      descriptionHtml: ctx.markdown.render(event.description),
      cancellationHtml: event.status === 'cancelled' && event.cancellation_message ? ctx.markdown.render(event.cancellation_message) : '',
      started: event.starts_at <= new Date(),
      when: formatRange(event.starts_at, event.ends_at),
      kindLabel: KIND_LABELS[event.kind],
      visioLabel: event.visio_kind ? VISIO_LABELS[event.visio_kind] : null,
      audience: audienceLabel({ kind: event.audience_kind, code: event.audience_code, role: event.audience_role }, estName),
      mine: mine ?? null,
      rank,
      tally,
      seatsLeft: event.capacity === null ? null : Math.max(0, event.capacity - tally.registered),
      closedReason: registrationClosedReason(event, now),
      showVisio: registered && event.status === 'scheduled' && Boolean(event.visio_url) && now >= visio.from && now < visio.to,
      visioFrom: visio.from,
      past: event.ends_at <= now,
      canManage: canManage(req.user, event),
      documents: documents.map((d) => ({ ...d, url: ctx.files.url(d) })),
    });
  });

  router.post('/:id/inscription', 'authenticated', async (req, res) => {
    const event = await visibleEventOr404(ctx.db, req.user!, req.params.id);
    const user = req.user!;
    const state = await ctx.db.transaction().execute((trx) => registerUser(ctx, trx, event.id, { id: user.id, email: user.email, displayName: user.displayName }));
    ctx.jobs.nudge();
    ctx.flash(
      req,
      'success',
      state === 'registered'
        ? 'Vous êtes inscrit·e. Un courriel de confirmation vous est envoyé.'
        : "L'événement est complet : vous êtes sur la liste d'attente. Vous serez prévenu·e si une place se libère.",
    );
    res.redirect(303, `/events/${event.id}`);
  });

  router.post('/:id/desinscription', 'authenticated', async (req, res) => {
    const event = await visibleEventOr404(ctx.db, req.user!, req.params.id);
    if (event.starts_at <= new Date()) throw badRequest("L'événement a commencé : la désinscription n'est plus possible.");
    const was = await ctx.db.transaction().execute((trx) => unregisterUser(ctx, trx, event.id, req.user!.id));
    ctx.jobs.nudge();
    ctx.flash(req, 'success', was === 'waiting' ? "Vous avez quitté la liste d'attente." : was ? 'Vous êtes désinscrit·e.' : "Vous n'étiez pas inscrit·e.");
    res.redirect(303, `/events/${event.id}`);
  });
}
