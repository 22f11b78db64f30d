import { z } from 'zod';
import type { Request } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import { CRCN_DOMAINS, crcnCompetence } from '../../server/content/crcn.js';
import { forbidden, notFound } from '../../server/web/errors.js';
import { parseInput, stringParam } from '../../server/web/validate.js';
import { lessonUrl, listModules, loadModule, moduleKey, moduleUrl, type ModuleRecord } from './modules.js';
import { learnerState, lessonViewRecorder, quizAttemptRecorder, type LearnerModuleState } from './progress.js';
import { presentQuiz, readAnswers, reviewAttempt, scoreQuiz, fieldName } from './quiz.js';
import { learnerPaths, pathView, type PathView } from './paths.js';
import { enrolmentAssigner } from './enrolments.js';
import { badgeAnnouncer, loadBadge } from './badges.js';
import type { TrainingSettings } from './settings.js';

type Ctx = PluginContext<TrainingSettings>;

/** The paths a learner follows; a RUPN who follows none yet gets the path of their cohort. */
export async function myPaths(ctx: Ctx, user: SessionUser): Promise<PathView[]> {
  let paths = await learnerPaths(ctx.db, user.id);
  if (!paths.length && user.roles.includes('rupn')) {
    await ctx.db.transaction().execute(async (trx) => {
      await enrolmentAssigner(trx, { userId: user.id });
      await badgeAnnouncer(trx, ctx.notifications);
    });
    paths = await learnerPaths(ctx.db, user.id);
  }
  return Promise.all(paths.map((p) => pathView(ctx.db, user.id, p)));
}

async function moduleOr404(ctx: Ctx, req: Request): Promise<ModuleRecord> {
  const module = await loadModule(ctx.db, { packId: String(req.params.packId), moduleId: String(req.params.moduleId) });
  if (!module) throw notFound("Ce module n'existe pas ou a été retiré de son parcours de contenu.");
  return module;
}

function lockedMessage(state: LearnerModuleState): string {
  const names = state.missing.map((m) => `« ${m.title} »`).join(', ');
  return `Ce module s'ouvrira quand vous aurez terminé ${state.missing.length > 1 ? 'les modules' : 'le module'} ${names}.`;
}

async function unlockedModule(ctx: Ctx, req: Request) {
  const module = await moduleOr404(ctx, req);
  const state = await learnerState(ctx.db, req.user!.id, module);
  if (state.locked) throw forbidden(lockedMessage(state));
  return { module, state };
}

/** The one trail of a module's pages: from « Mon parcours » for a step of a path the learner follows, from the catalogue otherwise. */
async function trailOf(ctx: Ctx, userId: number, module: ModuleRecord): Promise<{ label: string; href: string }> {
  const step = await ctx.db
    .selectFrom('training_path_modules as pm')
    .innerJoin('training_enrolments as e', 'e.path_id', 'pm.path_id')
    .select('pm.path_id')
    .where('e.user_id', '=', userId)
    .where('pm.pack_id', '=', module.packId)
    .where('pm.module_id', '=', module.moduleId)
    .executeTakeFirst();
  return step ? { label: 'Mon parcours', href: '/training/mon-parcours' } : { label: 'Catalogue des modules', href: '/training/catalogue' };
}

export function learnerRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/', 'authenticated', (_req, res) => res.redirect(303, '/training/mon-parcours'));

  router.get('/mon-parcours', 'authenticated', async (req, res) => {
    const views = await myPaths(ctx, req.user!);
    await ctx.views.page(req, res, 'my-paths', { title: ctx.t('my-path.title'), views });
  });

  router.get('/catalogue', 'authenticated', async (req, res) => {
    const all = await listModules(ctx.db);
    const themes = [...new Set(all.flatMap((m) => m.themes))].sort((a, b) => a.localeCompare(b, 'fr'));
    const filter = parseInput(
      z.object({
        theme: z.union([z.literal(''), z.enum(themes.length ? (themes as [string, ...string[]]) : ['-'], { message: 'thème inconnu' })]).optional(),
        competence: z.union([z.literal(''), z.string().refine((c) => crcnCompetence(c) !== undefined, 'compétence inconnue (1.1 à 5.2)')]).optional(),
      }),
      { theme: stringParam(req.query.theme, 64) || undefined, competence: stringParam(req.query.competence, 8) || undefined },
      { theme: 'Thème', competence: 'Compétence du CRCN' },
    );
    const modules = all.filter((m) => (!filter.theme || m.themes.includes(filter.theme)) && (!filter.competence || m.competences.includes(filter.competence)));
    const done = new Set(
      (
        await ctx.db.selectFrom('training_module_progress').select(['pack_id', 'module_id', 'completed_at']).where('user_id', '=', req.user!.id).execute()
      ).map((r) => `${moduleKey({ packId: r.pack_id, moduleId: r.module_id })}:${r.completed_at ? 'done' : 'started'}`),
    );
    await ctx.views.page(req, res, 'catalogue', {
      title: ctx.t('catalogue.title'),
      modules: modules.map((m) => ({ ...m, href: moduleUrl(m), state: done.has(`${moduleKey(m)}:done`) ? 'done' : done.has(`${moduleKey(m)}:started`) ? 'in-progress' : 'todo' })),
      total: all.length,
      themes,
      domains: CRCN_DOMAINS,
      filter: { theme: filter.theme ?? '', competence: filter.competence ?? '' },
      competenceName: (code: string) => crcnCompetence(code)?.name ?? code,
    });
  });

  router.get('/modules/:packId/:moduleId', 'authenticated', async (req, res) => {
    const module = await moduleOr404(ctx, req);
    const state = await learnerState(ctx.db, req.user!.id, module);
    await ctx.views.page(req, res, 'module', {
      title: module.title,
      module,
      state,
      lockedMessage: state.locked ? lockedMessage(state) : null,
      missingLinks: state.missing.map((m) => ({ title: m.title, href: moduleUrl(m) })),
      lessonHref: (id: string) => lessonUrl(module, id),
      moduleHref: moduleUrl(module),
      trail: await trailOf(ctx, req.user!.id, module),
      competenceName: (code: string) => crcnCompetence(code)?.name ?? code,
    });
  });

  router.get('/modules/:packId/:moduleId/lecons/:lessonId', 'authenticated', async (req, res) => {
    const { module } = await unlockedModule(ctx, req);
    const index = module.lessons.findIndex((l) => l.id === req.params.lessonId);
    if (index < 0) throw notFound("Cette leçon n'existe pas (elle a peut-être été renommée dans une nouvelle version du parcours).");
    const lesson = module.lessons[index]!;
    await ctx.db.transaction().execute(async (trx) => {
      await lessonViewRecorder(trx, { userId: req.user!.id, module, lessonId: lesson.id });
      await badgeAnnouncer(trx, ctx.notifications);
    });
    const state = await learnerState(ctx.db, req.user!.id, module);
    await ctx.views.page(req, res, 'lesson', {
      title: `${lesson.title} — ${module.title}`,
      module,
      lesson,
      index,
      state,
      html: ctx.markdown.render(lesson.markdown),
      previous: index > 0 ? { title: module.lessons[index - 1]!.title, href: lessonUrl(module, module.lessons[index - 1]!.id) } : null,
      next: index < module.lessons.length - 1 ? { title: module.lessons[index + 1]!.title, href: lessonUrl(module, module.lessons[index + 1]!.id) } : null,
      lessonHref: (id: string) => lessonUrl(module, id),
      moduleHref: moduleUrl(module),
      trail: await trailOf(ctx, req.user!.id, module),
    });
  });

  router.get('/modules/:packId/:moduleId/quiz', 'authenticated', async (req, res) => {
    const { module, state } = await unlockedModule(ctx, req);
    if (!module.quiz) throw notFound("Ce module n'a pas de quiz.");
    await ctx.views.page(req, res, 'quiz', {
      title: `Quiz — ${module.title}`,
      module,
      quiz: module.quiz,
      state,
      questions: state.attemptsLeft === 0 ? [] : presentQuiz(module.quiz),
      fieldName,
      moduleHref: moduleUrl(module),
      trail: await trailOf(ctx, req.user!.id, module),
    });
  });

  router.post('/modules/:packId/:moduleId/quiz', 'authenticated', async (req, res) => {
    const { module } = await unlockedModule(ctx, req);
    if (!module.quiz) throw notFound("Ce module n'a pas de quiz.");
    const result = scoreQuiz(module.quiz, readAnswers(module.quiz, req.body as Record<string, unknown>));
    const attemptId = await ctx.db.transaction().execute(async (trx) => {
      const id = await quizAttemptRecorder(trx, { userId: req.user!.id, module, result });
      await badgeAnnouncer(trx, ctx.notifications);
      return id;
    });
    res.redirect(303, `${moduleUrl(module)}/quiz/tentatives/${attemptId}`);
  });

  router.get('/modules/:packId/:moduleId/quiz/tentatives/:attemptId', 'authenticated', async (req, res) => {
    const module = await moduleOr404(ctx, req);
    const attemptId = Number(req.params.attemptId);
    const attempt = Number.isInteger(attemptId) && attemptId > 0 && attemptId < 2 ** 31
      ? await ctx.db
          .selectFrom('training_quiz_attempts')
          .selectAll()
          .where('id', '=', attemptId)
          .where('user_id', '=', req.user!.id)
          .where('pack_id', '=', module.packId)
          .where('module_id', '=', module.moduleId)
          .executeTakeFirst()
      : undefined;
    if (!attempt || !module.quiz) throw notFound("Cette tentative n'existe pas.");
    const state = await learnerState(ctx.db, req.user!.id, module);
    await ctx.views.page(req, res, 'attempt', {
      title: `Résultat du quiz — ${module.title}`,
      module,
      attempt,
      state,
      results: reviewAttempt(module.quiz, attempt.answers),
      // The right answers are shown once they can no longer help to pass.
      showExpected: state.passed || state.attemptsLeft === 0,
      moduleHref: moduleUrl(module),
      trail: await trailOf(ctx, req.user!.id, module),
    });
  });

  router.get('/attestations/:badgeId', 'authenticated', async (req, res) => {
    const badge = await loadBadge(ctx.db, String(req.params.badgeId));
    if (!badge) throw notFound("Cette attestation n'existe pas.");
    if (badge.userId !== req.user!.id && !ctx.permissions.can(req.user, 'training:follow')) throw forbidden("Cette attestation est celle d'une autre personne.");
    const modules = await ctx.db
      .selectFrom('training_path_modules as pm')
      .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'pm.pack_id').onRef('m.module_id', '=', 'pm.module_id'))
      .leftJoin('training_module_progress as mp', (j) => j.onRef('mp.pack_id', '=', 'pm.pack_id').onRef('mp.module_id', '=', 'pm.module_id').on('mp.user_id', '=', badge.userId))
      .select(['m.title', 'm.duration_minutes', 'pm.optional', 'mp.completed_at', 'mp.best_score'])
      .where('pm.path_id', '=', badge.path.id)
      .orderBy('pm.position')
      .execute();
    await ctx.views.page(req, res, 'attestation', { title: ctx.t('attestation.title'), badge, modules, issuerName: ctx.settings.issuerName });
  });
}
