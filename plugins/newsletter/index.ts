import { definePlugin } from '../../server/plugins/manifest.js';
import { filter } from '../../server/plugins/hooks.js';
import type { PluginContext } from '../../server/plugins/context.js';
import './schema.js';
import { newsletterSettings, type NewsletterSettings } from './settings.js';
import { LIST_ID, LIST_LABEL } from './issues.js';
import { defineSendJob } from './sending.js';
import { adminRoutes } from './adminRoutes.js';
import { publicRoutes } from './publicRoutes.js';
import { subscriptionOf } from './subscribers.js';
import { demoIssuesSeeder } from './demo.js';

/**
 * The LINE, the DANE's newsletter: issues written in Markdown, previewed, tested, sent or
 * scheduled to every RUPN and subscriber by a resumable background job, archived with an RSS
 * feed. See docs/newsletter.md.
 */

// The profile hook fires on requests, after routes(): the context is kept there.
let context: PluginContext<NewsletterSettings> | null = null;

export default definePlugin({
  name: 'newsletter',
  version: '1.0.0',
  title: 'La LINE, lettre de la DANE',
  description: 'Rédaction, envoi suivi et archives de la lettre d’information de la DANE.',
  settings: newsletterSettings,
  capabilities: [{ name: 'newsletter:edit', description: 'Rédiger et envoyer la LINE', roles: ['dane'] }],
  nav: [
    { id: 'line', label: 'Numéros parus', href: '/newsletter', can: 'authenticated', order: 40, section: 'La LINE' },
    { id: 'line-edit', label: 'Rédaction', href: '/newsletter/redaction', can: 'newsletter:edit', order: 41, section: 'La LINE' },
  ],
  hooks: [
    filter('profile:sections', async (sections, { user }) => {
      if (!context) return sections;
      const html = await context.views.partial('_profile-section', { subscription: await subscriptionOf(context.db, user) });
      return [...sections, { id: 'newsletter', title: 'La LINE, lettre de la DANE', html }];
    }),
  ],
  routes(router, ctx) {
    context = ctx;
    ctx.mail.declareList({ id: LIST_ID, label: LIST_LABEL });
    // Images of an issue are read in mail clients, without a Maillon session.
    ctx.files.setAccess(() => true);
    defineSendJob(ctx);
    publicRoutes(router, ctx);
    adminRoutes(router, ctx);
  },
  async start(ctx) {
    context = ctx;
    // Two past issues for the demonstration, once, on a demo database only.
    const seeded = await ctx.db.selectFrom('app_state').select('key').where('key', '=', 'demo:seeded').executeTakeFirst();
    if (seeded && ctx.mode !== 'production') await ctx.db.transaction().execute((trx) => demoIssuesSeeder(trx));
  },
  stop(ctx) {
    if (context === ctx) context = null;
  },
});
