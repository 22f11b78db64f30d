import { definePlugin } from '../../server/plugins/manifest.js';
import { filter } from '../../server/plugins/hooks.js';
import { nextSteps } from './nextSteps.js';
import { networkOf, platformFigures } from './networkSummary.js';

/**
 * The home dashboard's own blocks (welcome, my network, platform figures) and the pages every
 * site needs: help, accessibility statement, personal data.
 */
export default definePlugin({
  name: 'home',
  version: '1.0.0',
  title: 'Accueil',
  description: "Blocs d'accueil du tableau de bord et pages d'aide, d'accessibilité et de données personnelles.",
  nav: [{ id: 'help', label: 'Aide', href: '/home/aide', can: 'authenticated', order: 900 }],
  widgets: [
    {
      id: 'welcome',
      title: 'Pour bien commencer',
      can: 'authenticated',
      order: 0,
      wide: true,
      render: ({ user, partial }) => partial('welcome', { steps: nextSteps(user) }),
    },
    {
      id: 'network',
      title: 'Mon réseau',
      can: 'authenticated',
      order: 50,
      render: async ({ user, partial }, ctx) => partial('network', { network: await networkOf(ctx.db, user) }),
    },
    {
      id: 'platform',
      title: 'La plateforme en chiffres',
      can: 'core:admin',
      order: 90,
      render: async ({ partial }, ctx) => partial('platform', { figures: await platformFigures(ctx.db) }),
    },
  ],
  hooks: [
    filter('layout:page', (parts) => ({
      ...parts,
      footerLinks: [
        ...parts.footerLinks,
        { label: 'Accessibilité : non conforme', href: '/home/accessibilite' },
        { label: 'Données personnelles', href: '/home/donnees-personnelles' },
        { label: 'Aide', href: '/home/aide' },
      ],
    })),
  ],
  routes(router, ctx) {
    router.get('/aide', 'authenticated', (req, res) => ctx.views.page(req, res, 'help', { title: ctx.t('help.title') }));
    router.get('/accessibilite', 'public', (req, res) =>
      ctx.views.page(req, res, 'accessibility', { title: ctx.t('accessibility.title') }),
    );
    router.get('/donnees-personnelles', 'public', (req, res) =>
      ctx.views.page(req, res, 'privacy', { title: ctx.t('privacy.title') }),
    );
  },
});
