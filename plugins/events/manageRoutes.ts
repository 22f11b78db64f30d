import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { academies, departmentOfUai } from '../../server/geography/geography.js';
import { HttpError, badRequest, forbidden, notFound } from '../../server/web/errors.js';
import { stringParam } from '../../server/web/validate.js';
import { ROLE_AUDIENCE, organiseRefusal, organiserScope } from './audience.js';
import { checkEventForm, formValuesFrom, formValuesOf, FIELD_LABELS, type EventFormValues, type FormErrors } from './eventForm.js';
import { cancelEvent, canManage, createEvent, loadEvent, notifyRegistrants, updateEvent, type EventRow } from './events.js';
import { lockEvent } from './registrations.js';
import { EVENT_KINDS, KIND_LABELS, VISIO_KINDS, VISIO_LABELS } from './schema.js';
import type { EventsSettings } from './settings.js';
import { formatRange } from './time.js';
import { attendanceCsv } from './attendanceCsv.js';

type Ctx = PluginContext<EventsSettings>;

async function managedEventOr404(ctx: Ctx, req: Request): Promise<EventRow> {
  const id = Number(req.params.id);
  const event = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await loadEvent(ctx.db, id) : undefined;
  if (!event) throw notFound("Cet événement n'existe pas.");
  if (!canManage(req.user, event)) throw forbidden("Seuls les organisateurs de l'événement peuvent faire cela.");
  return event;
}

export function manageRoutes(router: GuardedRouter, ctx: Ctx): void {
  async function renderForm(req: Request, res: Response, locals: { event: EventRow | null; values: EventFormValues; errors: FormErrors }, status = 200) {
    const scope = organiserScope(req.user);
    if (!scope) throw forbidden("Vous ne pouvez pas organiser d'événement.");
    const errorList = Object.entries(locals.errors).map(([field, message]) => ({ field, label: FIELD_LABELS[field as keyof EventFormValues], message }));
    await ctx.views.page(
      req,
      res,
      'form',
      {
        title: locals.event ? `Modifier « ${locals.event.title} »` : 'Nouvel événement',
        ...locals,
        errorList,
        scope,
        kinds: (scope.kind === 'establishments' ? ['cafe'] : EVENT_KINDS).map((k) => ({ value: k, label: KIND_LABELS[k as keyof typeof KIND_LABELS] })),
        visioKinds: VISIO_KINDS.map((k) => ({ value: k, label: VISIO_LABELS[k] })),
        academies,
        departments: academies.flatMap((a) => a.departments.map((d) => ({ ...d, academyName: a.name }))).filter((d) => scope.kind === 'anywhere' || (scope.kind === 'department' && d.code === scope.code)),
        establishments: req.user!.establishments,
        roles: Object.entries(ROLE_AUDIENCE).map(([value, label]) => ({ value, label })),
        action: locals.event ? `/events/${locals.event.id}/modifier` : '/events/nouveau',
      },
      status,
    );
  }

  /** Checks the form and the organiser's reach; on error the page comes back filled in. */
  async function checked(req: Request, values: EventFormValues, previous?: EventRow) {
    const { input, errors } = checkEventForm(values, new Date(), previous?.starts_at);
    if (!input) return { input: null, errors, status: 422 };
    if (input.audience.kind === 'etablissement') {
      const known = await ctx.db.selectFrom('establishments').select('uai').where('uai', '=', input.audience.code).executeTakeFirst();
      if (!known) return { input: null, errors: { audienceUai: 'Aucun établissement ne porte ce code UAI.' }, status: 422 };
    }
    const uaiDept = input.audience.kind === 'etablissement' ? (departmentOfUai(input.audience.code)?.code ?? null) : null;
    const refusal = organiseRefusal(organiserScope(req.user), input.kind, input.audience, uaiDept);
    if (refusal) return { input: null, errors: { audienceKind: refusal } as FormErrors, status: 403 };
    return { input, errors, status: 200 };
  }

  router.get('/nouveau', 'authenticated', async (req, res) => {
    const scope = organiserScope(req.user);
    const values = formValuesFrom({});
    if (scope?.kind === 'establishments') Object.assign(values, { kind: 'cafe', audienceKind: 'etablissement', audienceUai: scope.uais[0] });
    else if (scope?.kind === 'department') Object.assign(values, { audienceKind: 'departement', audienceDepartment: scope.code });
    else Object.assign(values, { audienceKind: 'academie', audienceAcademy: req.user!.academy?.code ?? '' });
    await renderForm(req, res, { event: null, values, errors: {} });
  });

  router.post('/nouveau', 'authenticated', async (req, res) => {
    if (!organiserScope(req.user)) throw forbidden("Vous ne pouvez pas organiser d'événement.");
    const values = formValuesFrom(req.body);
    const { input, errors, status } = await checked(req, values);
    if (!input) return renderForm(req, res, { event: null, values, errors }, status);
    const id = await ctx.db.transaction().execute((trx) => createEvent(trx, input, req.user!.id));
    await ctx.audit({ action: 'events.create', req, targetType: 'event', targetId: id, details: { title: input.title } });
    ctx.flash(req, 'success', `Événement « ${input.title} » publié.`);
    res.redirect(303, `/events/${id}`);
  });

  router.get('/:id/modifier', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    await renderForm(req, res, { event, values: formValuesOf(event), errors: {} });
  });

  router.post('/:id/modifier', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    const values = formValuesFrom(req.body);
    const { input, errors, status } = await checked(req, values, event);
    if (!input) return renderForm(req, res, { event, values, errors }, status);
    try {
      await ctx.db.transaction().execute((trx) => updateEvent(ctx, trx, event.id, input));
    } catch (error) {
      if (error instanceof Error && (error as HttpError).status === 422) {
        return renderForm(req, res, { event, values, errors: { capacity: (error as HttpError).publicMessage } }, 422);
      }
      throw error;
    }
    ctx.jobs.nudge();
    await ctx.audit({ action: 'events.update', req, targetType: 'event', targetId: event.id });
    ctx.flash(req, 'success', 'Événement enregistré.');
    res.redirect(303, `/events/${event.id}`);
  });

  router.post('/:id/annuler', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    const message = stringParam(req.body?.message, 1000).trim();
    const done = await ctx.db.transaction().execute((trx) => cancelEvent(ctx, trx, event.id, message));
    ctx.jobs.nudge();
    if (done) await ctx.audit({ action: 'events.cancel', req, targetType: 'event', targetId: event.id });
    ctx.flash(req, 'success', done ? 'Événement annulé : les personnes inscrites sont prévenues.' : 'Cet événement était déjà annulé.');
    res.redirect(303, `/events/${event.id}`);
  });

  router.get('/:id/presences', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    const people = await registrantsOf(ctx, event.id);
    await ctx.views.page(req, res, 'attendance', {
      title: `Participants — ${event.title}`,
      event,
      when: formatRange(event.starts_at, event.ends_at),
      registered: people.filter((p) => p.state === 'registered'),
      waiting: people.filter((p) => p.state === 'waiting'),
      started: event.starts_at <= new Date(),
    });
  });

  router.post('/:id/presences', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    if (event.starts_at > new Date()) throw new HttpError(409, "L'événement n'a pas encore commencé : les présences se notent à partir de son début.");
    const raw = (req.body as Record<string, unknown>).present;
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => Number(v));
    if (list.some((n) => !Number.isInteger(n) || n < 1) || list.length > 100_000) throw badRequest('« Présences » : liste de personnes invalide.', 'present');
    await ctx.db.transaction().execute(async (trx) => {
      await lockEvent(trx, event.id);
      await trx.updateTable('event_registrations').set({ attended: false }).where('event_id', '=', event.id).where('state', '=', 'registered').execute();
      if (list.length) await trx.updateTable('event_registrations').set({ attended: true }).where('event_id', '=', event.id).where('state', '=', 'registered').where('user_id', 'in', list).execute();
    });
    await ctx.audit({ action: 'events.attendance', req, targetType: 'event', targetId: event.id, details: { present: list.length } });
    ctx.flash(req, 'success', `Présences enregistrées (${list.length}).`);
    res.redirect(303, `/events/${event.id}/presences`);
  });

  router.get('/:id/presences.csv', 'authenticated', async (req, res) => {
    const event = await managedEventOr404(ctx, req);
    const people = await registrantsOf(ctx, event.id);
    await ctx.audit({ action: 'events.export', req, targetType: 'event', targetId: event.id });
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.attachment(`participants-evenement-${event.id}.csv`);
    res.send(attendanceCsv(people));
  });

  router.post(
    '/:id/apres',
    { can: 'authenticated', body: ctx.files.upload({ fields: ['document'], accept: 'documents' }) },
    async (req, res) => {
      const event = await managedEventOr404(ctx, req);
      const body = req.body as Record<string, unknown>;
      const replay = stringParam(body.replayUrl, 600).trim();
      const docTitle = stringParam(body.documentTitle, 200).trim();
      if (replay) {
        let ok = false;
        try {
          ok = new URL(replay).protocol === 'https:';
        } catch {
          ok = false;
        }
        if (!ok || replay.length > 500) throw new HttpError(422, '« Lien du replay » : une adresse complète commençant par https://.', { field: 'replayUrl' });
      }
      const upload = req.uploads?.document;
      if (!replay && !upload) throw new HttpError(422, 'Indiquez le lien du replay ou joignez un document.');
      const changes: string[] = [];
      await ctx.db.transaction().execute(async (trx) => {
        const locked = await lockEvent(trx, event.id);
        if (!locked) throw notFound();
        if (replay && replay !== locked.replay_url) {
          await trx.updateTable('events').set({ replay_url: replay, updated_at: new Date() }).where('id', '=', event.id).execute();
          changes.push('le replay');
        }
        if (upload) {
          const file = await ctx.files.save({ buffer: upload.buffer, name: upload.name, userId: req.user!.id }, { accept: 'documents', trx });
          await trx.insertInto('event_documents').values({ event_id: event.id, file_id: file.id, title: docTitle || file.name }).onConflict((oc) => oc.doNothing()).execute();
          changes.push(`le document « ${docTitle || file.name} »`);
        }
        if (changes.length) {
          await notifyRegistrants(ctx, trx, locked, { title: `Après « ${locked.title} » : ${changes.join(' et ')}`, body: `Retrouvez ${changes.join(' et ')} sur la page de l'événement.`, calendar: false }, ['registered']);
        }
      });
      ctx.jobs.nudge();
      ctx.flash(req, 'success', changes.length ? `Ajouté : ${changes.join(' et ')}. Les personnes inscrites sont prévenues.` : 'Rien de nouveau à ajouter.');
      res.redirect(303, `/events/${event.id}`);
    },
  );
}

export async function registrantsOf(ctx: Ctx, eventId: number) {
  return ctx.db
    .selectFrom('event_registrations as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select((eb) => [
      'r.user_id',
      'r.state',
      'r.registered_at',
      'r.attended',
      'u.given_name',
      'u.family_name',
      'u.email',
      eb
        .selectFrom('user_establishments as ue')
        .innerJoin('establishments as es', 'es.uai', 'ue.uai')
        .whereRef('ue.user_id', '=', 'u.id')
        .select((x) => x.fn.coalesce(x.fn.max('es.name'), x.val('')).as('n'))
        .as('establishment'),
    ])
    .where('r.event_id', '=', eventId)
    .orderBy('r.state')
    .orderBy('u.family_name')
    .orderBy('u.given_name')
    .execute();
}
