import { definePlugin } from '../../server/plugins/manifest.js';
import { action } from '../../server/plugins/hooks.js';
import type { PluginContext } from '../../server/plugins/context.js';
import './schema.js';
import { trainingSettings, type TrainingSettings } from './settings.js';
import { defaultPath, defaultPathSeeder, nextSteps } from './paths.js';
import { enrolmentAssigner, refreshEnrolments } from './enrolments.js';
import { learnerRoutes, myPaths } from './learnerRoutes.js';
import { BADGE_KIND, badgeAnnouncer } from './badges.js';
import { badgeRoutes } from './badgeRoutes.js';
import { daneRoutes } from './daneRoutes.js';
import { IDLE_DAYS, cachedFollowUpFigures } from './followUp.js';

/**
 * Training: the onboarding path of new RUPNs and the modules of the content packs — lessons,
 * quizzes, prerequisites, completion, Open Badges and attestations — the catalogue, and the
 * DANE's paths, cohorts and follow-up. See docs/training.md.
 */

// Hooks fire before start (packs load and demo accounts are created first): keep the context at once.
let context: PluginContext<TrainingSettings> | null = null;

async function seedDefaultPath(ctx: PluginContext<TrainingSettings>): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await defaultPathSeeder(trx, ctx.settings.defaultPacks);
    await badgeAnnouncer(trx, ctx.notifications);
  });
}

/** A new RUPN's enrolment; modules done before may already complete the path, which is then announced. */
async function enrol(ctx: PluginContext<TrainingSettings>, userId: number): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await enrolmentAssigner(trx, { userId });
    await badgeAnnouncer(trx, ctx.notifications);
  });
}

export default definePlugin({
  name: 'training',
  version: '1.1.0',
  title: 'Parcours de formation',
  description: "Parcours d'entrée dans la fonction, modules et quiz, badges, catalogue et suivi par la DANE.",
  settings: trainingSettings,
  capabilities: [
    { name: 'training:follow', description: 'Suivre la progression des parcours (par département, établissement, personne)', roles: ['dane'] },
    { name: 'training:manage', description: 'Définir les parcours et les affecter aux cohortes de nouveaux RUPN', roles: ['dane'] },
  ],
  // The « Formation » link of the main bar leads to the first entry one may open: the DANE's
  // entries come first, so that its members land on the follow-up (they follow no path), and a
  // learner, who cannot open them, still lands on « Mon parcours ».
  nav: [
    { id: 'follow', label: 'Suivi des parcours', href: '/training/suivi', can: 'training:follow', order: 10, section: 'Formation' },
    { id: 'paths', label: 'Parcours et cohortes', href: '/training/parcours', can: 'training:manage', order: 11, section: 'Formation' },
    { id: 'my-path', label: 'Mon parcours', href: '/training/mon-parcours', can: 'authenticated', order: 12, section: 'Formation' },
    { id: 'catalogue', label: 'Catalogue', href: '/training/catalogue', can: 'authenticated', order: 13, section: 'Formation' },
  ],
  widgets: [
    {
      id: 'my-path',
      title: 'Mon parcours',
      can: 'authenticated',
      order: 5,
      wide: true,
      render: async ({ user, partial }, ctx) => {
        const views = await myPaths(ctx, user);
        return views.length ? partial('widget', { views, nextSteps }) : null;
      },
    },
    {
      // The DANE's desk: where the new RUPN of its département stand, from the follow-up's cache.
      id: 'follow-up',
      title: 'Suivi des nouveaux RUPN',
      can: 'training:follow',
      order: 6,
      render: async ({ user, partial }, ctx) => {
        const path = await defaultPath(ctx.db);
        if (!path) return null;
        const departmentCode = user.department?.code ?? '';
        const figures = await cachedFollowUpFigures(ctx.db, { pathId: path.id, departmentCode: departmentCode || undefined }, ctx.settings.followCacheSeconds);
        return partial('follow-widget', { path, totals: figures.totals, department: user.department, idleDays: IDLE_DAYS, query: `parcours=${path.id}&departement=${encodeURIComponent(departmentCode)}` });
      },
    },
  ],
  hooks: [
    action('pack:installed', async ({ packId }) => {
      if (!context) return;
      const ctx = context;
      await ctx.db.transaction().execute(async (trx) => {
        if (ctx.settings.defaultPacks.includes(packId)) await defaultPathSeeder(trx, ctx.settings.defaultPacks);
        // Modules may have gone with the update: every learner's summary is read again.
        await refreshEnrolments(trx, {});
        await badgeAnnouncer(trx, ctx.notifications);
      });
    }),
    action('user:created', async ({ user }) => {
      if (!context || !user.roles.includes('rupn')) return;
      await enrol(context, user.id);
    }),
    action('user:rolesChanged', async ({ user, before, after }) => {
      if (!context || before.includes('rupn') || !after.includes('rupn')) return;
      await enrol(context, user.id);
    }),
  ],
  async routes(router, ctx) {
    context = ctx;
    ctx.notifications.declareKind({ id: BADGE_KIND, label: 'Parcours de formation terminé : badge et attestation', defaultEmail: 'immediate' });
    // The default path exists before the first pack or account arrives.
    await seedDefaultPath(ctx);
    learnerRoutes(router, ctx);
    badgeRoutes(router, ctx);
    daneRoutes(router, ctx);
  },
  async start(ctx) {
    context = ctx;
    await seedDefaultPath(ctx);
  },
  stop(ctx) {
    if (context === ctx) context = null;
  },
});
