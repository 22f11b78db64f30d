import { htmlToText } from 'html-to-text';
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { academies } from '../../server/geography/geography.js';
import { forbidden, HttpError, notFound } from '../../server/web/errors.js';
import { idParam, parseInput, stringParam } from '../../server/web/validate.js';
import { de, longDate } from '../../server/web/viewHelpers.js';
import { AboveRecommendationError, activeDesignations, designate, endDesignation, pastDesignations, staffOf } from './designations.js';
import { acknowledge, lettersOfEstablishment, lettersOfReferent, loadLetter, periodErrors, referentErrors, referentsOf, saveLetter, type LetterError, type ReferentInput } from './letters.js';
import { letterPdf } from './letterPdf.js';
import { directory } from './directory.js';
import {
  defaultPeriod,
  formatDay,
  formatEuros,
  heldMissions,
  IMP_MAX,
  IMP_MIN,
  missionLabel,
  MISSION_KEYS,
  MISSIONS,
  RECOMMENDED_MAX_REFERENTS,
  schoolYearLabel,
  schoolYearOf,
  toolTaskLabel,
  TOOL_TASK_KEYS,
  TOOL_TASKS,
  type ToolTaskKey,
} from './missions.js';

type Ctx = PluginContext<unknown>;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const today = () => new Date().toISOString().slice(0, 10);
const helpers = { formatDay, formatEuros, heldMissions, missionLabel, toolTaskLabel, schoolYearLabel, MISSIONS, TOOL_TASKS, IMP_MIN, IMP_MAX, RECOMMENDED_MAX_REFERENTS };

/** The establishment of the URL, if the chef at the keyboard belongs to it; 403 otherwise. */
async function chefEstablishment(ctx: Ctx, req: Request) {
  const uai = stringParam(req.params.uai, 8).toUpperCase();
  const establishment = await ctx.db.selectFrom('establishments').select(['uai', 'name', 'city', 'department_code']).where('uai', '=', uai).executeTakeFirst();
  if (!establishment) throw notFound("Cet établissement n'existe pas.");
  if (!req.user!.establishments.some((e) => e.uai === uai)) throw forbidden("Seul le chef de cet établissement peut désigner ses RUPN et rédiger leur lettre de mission.");
  return establishment;
}

function isChefOf(ctx: Ctx, user: SessionUser, uai: string): boolean {
  return ctx.permissions.can(user, 'mission:designate') && user.establishments.some((e) => e.uai === uai);
}

async function establishmentPage(ctx: Ctx, req: Request, res: Response, establishment: { uai: string; name: string; city: string }, extra: Record<string, unknown> = {}, status = 200) {
  const [active, past, staff, letters] = await Promise.all([
    activeDesignations(ctx.db, establishment.uai),
    pastDesignations(ctx.db, establishment.uai),
    staffOf(ctx.db, establishment.uai),
    lettersOfEstablishment(ctx.db, establishment.uai),
  ]);
  const year = schoolYearOf();
  await ctx.views.page(
    req,
    res,
    'establishment',
    { title: `RUPN du ${establishment.name}`, establishment, active, past, staff, letters, year, nextYear: year + 1, today: today(), confirm: null, ...helpers, ...extra },
    status,
  );
}

/** The letter form's rows: the designated referents, with what was typed or what is stored. */
function formRows(
  active: { userId: number; givenName: string; familyName: string }[],
  source: { body?: Record<string, unknown>; stored?: Map<number, { timeSplit: Record<string, number>; toolTasks: string[]; impAmount: number; acknowledgedAt: Date | null }> },
) {
  return active.map((d) => {
    const stored = source.stored?.get(d.userId);
    const field = (name: string) => (source.body ? stringParam(source.body[name], 20) : '');
    const toolsRaw = source.body?.[`outils-${d.userId}`];
    return {
      userId: d.userId,
      name: `${d.givenName} ${d.familyName}`,
      split: Object.fromEntries(MISSION_KEYS.map((k) => [k, source.body ? field(`temps-${d.userId}-${k}`) : String(stored?.timeSplit[k] ?? '')])),
      imp: source.body ? field(`imp-${d.userId}`) : stored ? String(stored.impAmount) : '',
      tools: source.body ? (Array.isArray(toolsRaw) ? toolsRaw : toolsRaw ? [toolsRaw] : []).map(String) : (stored?.toolTasks ?? []),
      acknowledgedAt: stored?.acknowledgedAt ?? null,
    };
  });
}

const letterHead = z.object({
  annee: z.coerce.number().int().min(2000).max(2100),
  debut: z.string().regex(DAY, 'date attendue (AAAA-MM-JJ)'),
  fin: z.string().regex(DAY, 'date attendue (AAAA-MM-JJ)'),
  notes: z.string().max(5000).default(''),
});
const LETTER_LABELS = { annee: 'Année scolaire', debut: 'Début de la période', fin: 'Fin de la période', notes: 'Précisions' };

function editableYears(): number[] {
  const year = schoolYearOf();
  return [year, year + 1];
}

/** Who may read a letter: the chef of its establishment, its referents, the DANE. */
async function readableLetter(ctx: Ctx, req: Request) {
  const letter = await loadLetter(ctx.db, { id: idParam(req.params.id) });
  if (!letter) throw notFound("Cette lettre de mission n'existe pas.");
  const referents = (await referentsOf(ctx.db, [letter.id])).get(letter.id) ?? [];
  const user = req.user!;
  const mine = referents.find((r) => r.userId === user.id) ?? null;
  const chef = isChefOf(ctx, user, letter.uai);
  if (!mine && !chef && !ctx.permissions.can(user, 'mission:oversee')) throw forbidden("Cette lettre de mission concerne d'autres personnes.");
  return { letter, referents, mine, chef };
}

export function missionRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/', 'authenticated', async (req, res) => {
    const user = req.user!;
    const chefOf = ctx.permissions.can(user, 'mission:designate') ? user.establishments : [];
    const letters = await lettersOfReferent(ctx.db, user.id);
    // « Mes lettres » is for referents: a chef who holds no letter is not told that none names her.
    const showLetters = letters.length > 0 || user.roles.includes('rupn');
    await ctx.views.page(req, res, 'index', { title: 'Mission RUPN', chefOf, letters, showLetters, canDirectory: ctx.permissions.can(user, 'mission:directory'), ...helpers });
  });

  router.get('/etablissements/:uai', 'mission:designate', async (req, res) => {
    await establishmentPage(ctx, req, res, await chefEstablishment(ctx, req));
  });

  router.post('/etablissements/:uai/designations', 'mission:designate', async (req, res) => {
    const establishment = await chefEstablishment(ctx, req);
    const input = parseInput(z.object({ userId: z.coerce.number().int().positive().max(2 ** 31 - 1), confirmer: z.string().optional() }), req.body, { userId: 'Personne' });
    try {
      const { activeAfter } = await designate(ctx, { uai: establishment.uai, userId: input.userId, actor: req.user!, confirmAboveRecommendation: input.confirmer === 'oui', ip: req.ip });
      const person = await ctx.users.byId(input.userId);
      ctx.flash(req, 'success', `Désignation enregistrée : ${person?.displayName ?? 'la personne'} devient RUPN de l'établissement ; le rôle, le parcours d'entrée dans la fonction et les salons de son département lui sont ouverts.`);
      if (activeAfter > RECOMMENDED_MAX_REFERENTS) ctx.flash(req, 'warning', `${activeAfter} RUPN sont désignés : la DANE recommande de ne pas dépasser ${RECOMMENDED_MAX_REFERENTS} référents par établissement.`);
      res.redirect(303, `/mission/etablissements/${establishment.uai}`);
    } catch (err) {
      if (!(err instanceof AboveRecommendationError)) throw err;
      const person = await ctx.users.byId(input.userId);
      await establishmentPage(ctx, req, res, establishment, { confirm: { userId: input.userId, name: person?.displayName ?? '', message: err.publicMessage } }, 409);
    }
  });

  router.post('/etablissements/:uai/designations/:id/fin', 'mission:designate', async (req, res) => {
    const establishment = await chefEstablishment(ctx, req);
    const input = parseInput(z.object({ fin: z.string().regex(DAY, 'date attendue (AAAA-MM-JJ)').optional().or(z.literal('')) }), req.body, { fin: 'Date de fin' });
    const endedOn = input.fin || today();
    if (endedOn > today()) throw new HttpError(422, '« Date de fin » : une désignation se termine aujourd’hui ou à une date passée.', { field: 'fin' });
    const { userId } = await endDesignation(ctx, { uai: establishment.uai, designationId: idParam(req.params.id), endedOn, actor: req.user!, ip: req.ip });
    const person = await ctx.users.byId(userId);
    ctx.flash(req, 'success', `La désignation ${person ? de(person.displayName) : 'de cette personne'} est terminée : elle quitte l'annuaire des RUPN.`);
    res.redirect(303, `/mission/etablissements/${establishment.uai}`);
  });

  router.get('/etablissements/:uai/lettre', 'mission:designate', async (req, res) => {
    const establishment = await chefEstablishment(ctx, req);
    const years = editableYears();
    const year = Number(stringParam(req.query.annee, 4)) || years[0]!;
    if (!years.includes(year)) throw notFound("Seules les lettres de l'année en cours et de la suivante se rédigent ; les précédentes restent consultables.");
    const [active, letter] = await Promise.all([activeDesignations(ctx.db, establishment.uai), loadLetter(ctx.db, { uai: establishment.uai, schoolYear: year })]);
    const stored = letter ? new Map(((await referentsOf(ctx.db, [letter.id])).get(letter.id) ?? []).map((r) => [r.userId, r])) : undefined;
    const period = letter ? { start: letter.periodStart, end: letter.periodEnd } : defaultPeriod(year);
    await ctx.views.page(req, res, 'letter-edit', {
      title: `Lettre de mission ${schoolYearLabel(year)}`,
      establishment,
      year,
      years,
      letter,
      period,
      notes: letter?.notes ?? '',
      rows: formRows(active, { stored }),
      error: null,
      errors: [],
      ...helpers,
    });
  });

  router.post('/etablissements/:uai/lettre', 'mission:designate', async (req, res) => {
    const establishment = await chefEstablishment(ctx, req);
    const head = parseInput(letterHead, req.body, LETTER_LABELS);
    if (!editableYears().includes(head.annee)) throw new HttpError(422, "« Année scolaire » : seules les lettres de l'année en cours et de la suivante se rédigent.", { field: 'annee' });
    const active = await activeDesignations(ctx.db, establishment.uai);
    const existing = await loadLetter(ctx.db, { uai: establishment.uai, schoolYear: head.annee });
    const body = req.body as Record<string, unknown>;
    // Every mistake of the form at once, each tied to its field.
    const errors: LetterError[] = [];
    try {
      if (!active.length) throw new HttpError(409, "Désignez d'abord au moins un RUPN : la lettre de mission nomme les référents désignés.");
      errors.push(...periodErrors(head.annee, head.debut, head.fin));
      const referents: ReferentInput[] = formRows(active, { body }).map((row) => {
        const input: ReferentInput = {
          userId: row.userId,
          timeSplit: Object.fromEntries(MISSION_KEYS.map((k) => [k, row.split[k]!.trim() === '' ? 0 : Number(row.split[k])])) as ReferentInput['timeSplit'],
          toolTasks: TOOL_TASK_KEYS.filter((k) => row.tools.includes(k)),
          impAmount: row.imp.trim() === '' ? NaN : Number(row.imp.replace(/\s|€/g, '')),
        };
        if (row.tools.some((t) => !(TOOL_TASK_KEYS as string[]).includes(t))) throw new HttpError(400, `Missions ${de(row.name)} : tâche inconnue.`);
        errors.push(...referentErrors(input, row.name));
        return input;
      });
      if (errors.length) throw new HttpError(422, errors.map((e) => e.message).join(' '));
      const saved = await saveLetter(ctx.db, { uai: establishment.uai, schoolYear: head.annee, periodStart: head.debut, periodEnd: head.fin, notes: head.notes, referents, actorId: req.user!.id });
      await ctx.audit({ action: 'mission.letterSaved', req, targetType: 'mission_letter', targetId: saved.id, details: { uai: establishment.uai, schoolYear: head.annee } });
      await ctx.notifications.notify(
        referents.map((r) => r.userId),
        { kind: 'mission:letter', title: `Lettre de mission ${schoolYearLabel(head.annee)} à lire et à accuser`, body: `${establishment.name} a ${existing ? 'modifié' : 'rédigé'} votre lettre de mission.`, url: `/mission/lettres/${saved.id}` },
      );
      ctx.flash(req, 'success', saved.hadAcknowledgements ? 'Lettre de mission enregistrée. Elle a changé : les référents doivent à nouveau en accuser réception.' : 'Lettre de mission enregistrée : les référents sont invités à en accuser réception.');
      res.redirect(303, `/mission/lettres/${saved.id}`);
    } catch (err) {
      if (!(err instanceof HttpError) || ![400, 409, 422].includes(err.status)) throw err;
      const stored = existing ? new Map(((await referentsOf(ctx.db, [existing.id])).get(existing.id) ?? []).map((r) => [r.userId, r])) : undefined;
      const rows = formRows(active, { body }).map((row) => ({ ...row, acknowledgedAt: stored?.get(row.userId)?.acknowledgedAt ?? null }));
      await ctx.views.page(
        req,
        res,
        'letter-edit',
        { title: `Lettre de mission ${schoolYearLabel(head.annee)}`, establishment, year: head.annee, years: editableYears(), letter: existing ?? null, period: { start: head.debut, end: head.fin }, notes: head.notes, rows, error: errors.length ? null : err.publicMessage, errors, ...helpers },
        err.status,
      );
    }
  });

  router.get('/lettres/:id', 'authenticated', async (req, res) => {
    const { letter, referents, mine, chef } = await readableLetter(ctx, req);
    await ctx.views.page(req, res, 'letter', {
      title: `Lettre de mission ${schoolYearLabel(letter.schoolYear)}`,
      letter,
      referents,
      mine,
      chef,
      editable: chef && editableYears().includes(letter.schoolYear),
      notesHtml: ctx.markdown.render(letter.notes),
      ...helpers,
    });
  });

  router.get('/lettres/:id/lettre-de-mission.pdf', 'authenticated', async (req, res) => {
    const { letter, referents } = await readableLetter(ctx, req);
    // The notes keep their paragraphs and list items in the PDF (toText would run them into one line).
    const notes = htmlToText(ctx.markdown.render(letter.notes, { images: false }), { wordwrap: false, selectors: [{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] });
    const pdf = await letterPdf(letter, referents, notes.replace(/\n{3,}/g, '\n\n'));
    res.set('Content-Type', 'application/pdf');
    res.attachment(`lettre-de-mission-${letter.uai}-${schoolYearLabel(letter.schoolYear)}.pdf`);
    res.send(pdf);
  });

  router.post('/lettres/:id/accuser', 'authenticated', async (req, res) => {
    const id = idParam(req.params.id);
    const input = parseInput(z.object({ version: z.coerce.number().int().positive() }), req.body, { version: 'Version' });
    const at = await acknowledge(ctx.db, { letterId: id, userId: req.user!.id, revision: input.version });
    await ctx.audit({ action: 'mission.letterAcknowledged', req, targetType: 'mission_letter', targetId: id, details: { revision: input.version } });
    ctx.flash(req, 'success', `Réception de la lettre de mission accusée le ${longDate(at)}.`);
    res.redirect(303, `/mission/lettres/${id}`);
  });

  router.get('/annuaire', 'mission:directory', async (req, res) => {
    const user = req.user!;
    const query = stringParam(req.query.q, 100).trim();
    const academyCode = user.academy?.code ?? null;
    const academy = academies.find((a) => a.code === academyCode) ?? null;
    const known = academy ? academy.departments.map((d) => d.code) : null;
    // First visit: one's own département (a short page); a search or « Tous » spans the académie.
    const ownDepartment = user.department?.code ?? user.establishments[0]?.departmentCode ?? '';
    const departmentCode = 'departement' in req.query ? stringParam(req.query.departement, 3) : query || !known?.includes(ownDepartment) ? '' : ownDepartment;
    if (departmentCode && (!/^(\d{2,3}|2[AB])$/.test(departmentCode) || (known && !known.includes(departmentCode)))) throw new HttpError(400, '« Département » : code de département inconnu.', { field: 'departement' });
    const departments = await directory(ctx.db, { academyCode, departmentCode: departmentCode || undefined, query, schoolYear: schoolYearOf() });
    await ctx.views.page(req, res, 'directory', {
      title: 'Annuaire des RUPN',
      departments,
      choices: academy ? academy.departments : [],
      departmentCode,
      query,
      resultCount: departments.reduce((n, d) => n + d.establishments.reduce((m, e) => m + e.referents.length, 0), 0),
      year: schoolYearOf(),
      ...helpers,
    });
  });
}

export type { ToolTaskKey };
