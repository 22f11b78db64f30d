import { z } from 'zod';
import type { Request } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { badRequest, conflict, notFound } from '../../server/web/errors.js';
import { pageParam, parseInput, stringParam } from '../../server/web/validate.js';
import { academyOf } from '../../server/web/viewHelpers.js';
import { listModules, moduleKey } from './modules.js';
import { defaultPath, defaultPathSeeder, loadPath, pathCreator, pathDeleter, pathModulesSetter, pathView, type PathModuleInput, type PathRow } from './paths.js';
import { cachedFollowUpFigures, csvHeader, csvRow, forgetFollowUpFigures, learnerBatches, learners, summary, IDLE_DAYS, type FollowUpScope } from './followUp.js';
import { completionChart, frenchDay } from './chart.js';
import { cohortEnroller, schoolYearLabel, schoolYearOf } from './enrolments.js';
import { badgeAnnouncer } from './badges.js';
import { academiesFirst, academyCodeOf, departmentGroups } from './places.js';
import { departmentByCode } from '../../server/geography/geography.js';
import type { TrainingSettings } from './settings.js';

type Ctx = PluginContext<TrainingSettings>;
const PER_PAGE = 50;

async function allPaths(ctx: Ctx) {
  return ctx.db
    .selectFrom('training_paths as p')
    .select((eb) => [
      'p.id',
      'p.slug',
      'p.title',
      'p.is_default',
      'p.auto_sync',
      eb.selectFrom('training_path_modules as pm').whereRef('pm.path_id', '=', 'p.id').select((e) => e.fn.countAll<number>().as('n')).as('module_count'),
      eb.selectFrom('training_enrolments as e').whereRef('e.path_id', '=', 'p.id').select((e) => e.fn.countAll<number>().as('n')).as('learner_count'),
    ])
    .orderBy('p.is_default', 'desc')
    .orderBy('p.title')
    .execute();
}

async function pathOr404(ctx: Ctx, raw: unknown): Promise<PathRow> {
  const id = Number(raw);
  const path = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await loadPath(ctx.db, { id }) : null;
  if (!path) throw notFound("Ce parcours n'existe pas.");
  return path;
}

/**
 * The follow-up scope of a request: the chosen path (the default one otherwise) and département.
 * Without a choice, a coordinator sees her own département; « Tous les départements » is an
 * explicit empty choice (`departement=`).
 */
async function scopeOf(ctx: Ctx, req: Request): Promise<{ path: PathRow; scope: FollowUpScope; departmentCode: string }> {
  const raw = stringParam(req.query.parcours, 12);
  const path = raw ? await pathOr404(ctx, raw) : await defaultPath(ctx.db).then((p) => (p ? loadPath(ctx.db, { id: p.id }) : null));
  if (!path) throw notFound("Aucun parcours n'est encore défini.");
  const departmentCode = req.query.departement === undefined ? (req.user!.department?.code ?? '') : stringParam(req.query.departement, 3);
  // Well-formed is not enough: « 999 » would show an empty follow-up as if nobody were enrolled.
  if (departmentCode && !departmentByCode(departmentCode)) throw badRequest('« Département » : code de département inconnu.', 'departement');
  return { path, scope: { pathId: path.id, departmentCode: departmentCode || undefined }, departmentCode };
}

const scopeQuery = (pathId: number, departmentCode: string) => `parcours=${pathId}&departement=${encodeURIComponent(departmentCode)}`;

export function daneRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/suivi', 'training:follow', async (req, res) => {
    const { path, scope, departmentCode } = await scopeOf(ctx, req);
    const page = pageParam(req.query.page);
    const [paths, figures] = await Promise.all([
      ctx.db.selectFrom('training_paths').select(['id', 'title']).orderBy('is_default', 'desc').orderBy('title').execute(),
      cachedFollowUpFigures(ctx.db, scope, ctx.settings.followCacheSeconds),
    ]);
    const pageCount = Math.max(1, Math.ceil(figures.establishments.length / PER_PAGE));
    await ctx.views.page(req, res, 'follow', {
      title: ctx.t('follow.title'),
      path,
      paths,
      departmentGroups: departmentGroups(academyCodeOf(req.user!)),
      departmentCode,
      ...figures,
      establishments: figures.establishments.slice((page - 1) * PER_PAGE, page * PER_PAGE),
      establishmentCount: figures.establishments.length,
      page: Math.min(page, pageCount),
      pageCount,
      chart: completionChart(figures.timeline),
      frenchDay,
      idleDays: IDLE_DAYS,
      query: scopeQuery(path.id, departmentCode),
      pathQuery: `parcours=${path.id}`,
    });
  });

  router.get('/suivi/export.csv', 'training:follow', async (req, res) => {
    const { path, scope, departmentCode } = await scopeOf(ctx, req);
    await ctx.audit({ action: 'training.export', req, targetType: 'training_path', targetId: path.id, details: { departement: departmentCode || null } });
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.attachment(`suivi-${path.slug}${departmentCode ? `-${departmentCode}` : ''}.csv`);
    res.write(csvHeader());
    for await (const batch of learnerBatches(ctx.db, scope)) res.write(batch.map(csvRow).join(''));
    res.end();
  });

  router.get('/suivi/etablissements/:uai', 'training:follow', async (req, res) => {
    const { path } = await scopeOf(ctx, req);
    const establishment = await ctx.db
      .selectFrom('establishments as e')
      .leftJoin('departments as d', 'd.code', 'e.department_code')
      .select(['e.uai', 'e.name', 'e.city', 'e.department_code', 'd.name as department_name'])
      .where('e.uai', '=', String(req.params.uai).slice(0, 8))
      .executeTakeFirst();
    if (!establishment) throw notFound("Cet établissement n'existe pas.");
    const scope = { pathId: path.id, uai: establishment.uai };
    const [totals, rows] = await Promise.all([summary(ctx.db, scope), learners(ctx.db, scope, { limit: 500, offset: 0 })]);
    await ctx.views.page(req, res, 'follow-establishment', {
      title: establishment.name,
      establishment,
      path,
      totals,
      learners: rows,
      // Suivi des parcours (whole académie) › its département › the establishment.
      allQuery: scopeQuery(path.id, ''),
      departmentQuery: establishment.department_code ? scopeQuery(path.id, establishment.department_code) : null,
    });
  });

  router.get('/suivi/apprenants/:userId', 'training:follow', async (req, res) => {
    const id = Number(req.params.userId);
    const learner = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await ctx.users.byId(id) : null;
    if (!learner) throw notFound("Ce compte n'existe pas.");
    const enrolled = await ctx.db
      .selectFrom('training_enrolments as e')
      .innerJoin('training_paths as p', 'p.id', 'e.path_id')
      .select(['p.id', 'e.enrolled_at', 'e.last_activity_at'])
      .where('e.user_id', '=', learner.id)
      .orderBy('e.enrolled_at')
      .execute();
    const views = await Promise.all(enrolled.map(async (e) => ({ ...(await pathView(ctx.db, learner.id, (await loadPath(ctx.db, { id: e.id }))!)), enrolledAt: e.enrolled_at, lastActivityAt: e.last_activity_at })));
    const attempts = await ctx.db
      .selectFrom('training_quiz_attempts as a')
      .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'a.pack_id').onRef('m.module_id', '=', 'a.module_id'))
      .select(['a.id', 'm.title', 'a.score', 'a.pass_mark', 'a.passed', 'a.submitted_at'])
      .where('a.user_id', '=', learner.id)
      .orderBy('a.submitted_at', 'desc')
      .limit(100)
      .execute();
    await ctx.views.page(req, res, 'follow-learner', { title: learner.displayName, learner, views, attempts });
  });

  router.get('/parcours', 'training:manage', async (req, res) => {
    await ctx.views.page(req, res, 'paths', { title: ctx.t('paths.title'), paths: await allPaths(ctx) });
  });

  router.post('/parcours', 'training:manage', async (req, res) => {
    const input = parseInput(pathFields, req.body, pathLabels);
    const id = await ctx.db.transaction().execute((trx) => pathCreator(trx, { ...input, createdBy: req.user!.id }));
    await ctx.audit({ action: 'training.path.create', req, targetType: 'training_path', targetId: id, details: { title: input.title } });
    ctx.flash(req, 'success', `Parcours « ${input.title} » créé : choisissez ses modules.`);
    res.redirect(303, `/training/parcours/${id}`);
  });

  router.get('/parcours/:id', 'training:manage', async (req, res) => {
    const path = await pathOr404(ctx, req.params.id);
    const [modules, current, cohorts] = await Promise.all([
      listModules(ctx.db),
      ctx.db.selectFrom('training_path_modules').select(['pack_id', 'module_id', 'position', 'optional']).where('path_id', '=', path.id).execute(),
      ctx.db
        .selectFrom('training_cohorts as c')
        .leftJoin('academies as a', 'a.code', 'c.academy_code')
        .leftJoin('departments as d', 'd.code', 'c.department_code')
        .select((eb) => [
          'c.id',
          'c.school_year',
          'a.name as academy',
          'd.name as department',
          'd.code as department_code',
          eb.selectFrom('training_enrolments as e').whereRef('e.cohort_id', '=', 'c.id').select((e) => e.fn.countAll<number>().as('n')).as('learners'),
        ])
        .where('c.path_id', '=', path.id)
        .orderBy('c.school_year', 'desc')
        .execute(),
    ]);
    const inPath = new Map(current.map((c) => [moduleKey({ packId: c.pack_id, moduleId: c.module_id }), c]));
    const year = schoolYearOf();
    await ctx.views.page(req, res, 'path-edit', {
      title: `Parcours « ${path.title} »`,
      path,
      modules: modules
        .map((m) => ({ ...m, key: moduleKey(m), entry: inPath.get(moduleKey(m)) ?? null }))
        .sort((a, b) => (a.entry && b.entry ? a.entry.position - b.entry.position : a.entry ? -1 : b.entry ? 1 : 0)),
      cohorts,
      years: [year - 1, year, year + 1].map((y) => ({ value: y, label: schoolYearLabel(y), selected: y === year })),
      academies: academiesFirst(academyCodeOf(req.user!)),
      ownAcademy: academyCodeOf(req.user!),
      schoolYearLabel,
    });
  });

  router.post('/parcours/:id', 'training:manage', async (req, res) => {
    const path = await pathOr404(ctx, req.params.id);
    const body = req.body as Record<string, unknown>;
    const input = parseInput(pathFields.extend({ autoSync: z.literal('on').optional() }), body, pathLabels);
    const known = new Map((await listModules(ctx.db)).map((m) => [moduleKey(m), m]));
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
    const chosen = list(body.modules);
    const unknown = chosen.find((k) => !known.has(k));
    if (unknown) throw badRequest(`« Modules » : module inconnu (${unknown.slice(0, 80)}).`, 'modules');
    const optional = new Set(list(body.optional));
    const order = (key: string, fallback: number) => {
      const n = Number(list(body[`position-${key}`])[0]);
      if (list(body[`position-${key}`]).length && (!Number.isInteger(n) || n < 1 || n > 999)) throw badRequest(`« Ordre » de « ${known.get(key)!.title} » : un nombre entier de 1 à 999.`, `position-${key}`);
      return Number.isInteger(n) && n >= 1 ? n : fallback;
    };
    const modules: PathModuleInput[] = chosen
      .map((key, i) => ({ key, rank: order(key, 1000 + i), i }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map(({ key }) => ({ packId: known.get(key)!.packId, moduleId: known.get(key)!.moduleId, optional: optional.has(key) }));
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('training_paths')
        .set({ title: input.title, description: input.description, auto_sync: path.isDefault && input.autoSync === 'on' })
        .where('id', '=', path.id)
        .execute();
      if (path.isDefault && input.autoSync === 'on') await defaultPathSeeder(trx, ctx.settings.defaultPacks);
      else await pathModulesSetter(trx, path.id, modules);
      // Fewer required modules may complete some learners' path.
      await badgeAnnouncer(trx, ctx.notifications);
    });
    forgetFollowUpFigures(ctx.db, path.id);
    await ctx.audit({ action: 'training.path.update', req, targetType: 'training_path', targetId: path.id, details: { modules: modules.length } });
    ctx.flash(req, 'success', `Parcours « ${input.title} » enregistré (${modules.length} module${modules.length > 1 ? 's' : ''}).`);
    res.redirect(303, `/training/parcours/${path.id}`);
  });

  router.post('/parcours/:id/supprimer', 'training:manage', async (req, res) => {
    const path = await pathOr404(ctx, req.params.id);
    await ctx.db.transaction().execute((trx) => pathDeleter(trx, path.id));
    await ctx.audit({ action: 'training.path.delete', req, targetType: 'training_path', targetId: path.id, details: { title: path.title } });
    ctx.flash(req, 'success', `Parcours « ${path.title} » supprimé.`);
    res.redirect(303, '/training/parcours');
  });

  router.post('/parcours/:id/cohortes', 'training:manage', async (req, res) => {
    const path = await pathOr404(ctx, req.params.id);
    const input = parseInput(
      z.object({
        schoolYear: z.coerce.number().int().min(2000).max(2100),
        scope: z.string().regex(/^(academie|departement):[0-9A-Za-z-]{1,20}$/, 'choisissez une académie ou un département'),
      }),
      req.body,
      { schoolYear: 'Année scolaire', scope: 'Académie ou département' },
    );
    const [kind, code] = input.scope.split(':') as ['academie' | 'departement', string];
    const place = kind === 'academie'
      ? await ctx.db.selectFrom('academies').select(['code', 'name']).where('code', '=', code).executeTakeFirst()
      : await ctx.db.selectFrom('departments').select(['code', 'name']).where('code', '=', code).executeTakeFirst();
    if (!place) throw badRequest('« Académie ou département » : lieu inconnu.', 'scope');
    // « de l'académie de Poitiers », « du département 86 (Vienne) »: no article to guess for a département.
    const placeLabel = kind === 'academie' ? `de l'${academyOf(place.name)}` : `du département ${place.code} (${place.name})`;
    const added = await ctx.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('training_cohorts')
        .select('id')
        .where('school_year', '=', input.schoolYear)
        .where(kind === 'academie' ? 'academy_code' : 'department_code', '=', place.code)
        .executeTakeFirst();
      if (taken) throw conflict(`Les nouveaux RUPN ${placeLabel} pour ${schoolYearLabel(input.schoolYear)} ont déjà un parcours : retirez d'abord cette affectation.`);
      const { id } = await trx
        .insertInto('training_cohorts')
        .values({ path_id: path.id, school_year: input.schoolYear, academy_code: kind === 'academie' ? place.code : null, department_code: kind === 'departement' ? place.code : null, created_by: req.user!.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      const enrolled = await cohortEnroller(trx, id);
      await badgeAnnouncer(trx, ctx.notifications);
      return enrolled;
    });
    forgetFollowUpFigures(ctx.db, path.id);
    await ctx.audit({ action: 'training.cohort.create', req, targetType: 'training_path', targetId: path.id, details: { schoolYear: input.schoolYear, scope: input.scope, enrolled: added } });
    ctx.flash(req, 'success', `Parcours affecté aux nouveaux RUPN ${placeLabel} (${schoolYearLabel(input.schoolYear)}) : ${added} inscription${added > 1 ? 's' : ''} ajoutée${added > 1 ? 's' : ''}.`);
    res.redirect(303, `/training/parcours/${path.id}#cohortes`);
  });

  router.post('/cohortes/:id/supprimer', 'training:manage', async (req, res) => {
    const id = Number(req.params.id);
    const cohort = Number.isInteger(id) && id > 0 && id < 2 ** 31 ? await ctx.db.selectFrom('training_cohorts').select(['id', 'path_id']).where('id', '=', id).executeTakeFirst() : null;
    if (!cohort) throw notFound("Cette affectation n'existe pas.");
    // Learners already enrolled keep their path and progress; only future designations change.
    await ctx.db.deleteFrom('training_cohorts').where('id', '=', cohort.id).execute();
    await ctx.audit({ action: 'training.cohort.delete', req, targetType: 'training_cohort', targetId: cohort.id });
    ctx.flash(req, 'success', 'Affectation retirée : les personnes déjà inscrites gardent leur parcours.');
    res.redirect(303, `/training/parcours/${cohort.path_id}#cohortes`);
  });
}

const pathFields = z.object({
  title: z.string().trim().min(3, 'au moins 3 caractères').max(200, '200 caractères au plus'),
  description: z.string().trim().max(2000, '2 000 caractères au plus').default(''),
});
const pathLabels = { title: 'Titre', description: 'Description' };
