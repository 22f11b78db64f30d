import path from 'node:path';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import type { WidgetSlot } from '../plugins/hooks.js';
import type { SessionUser } from '../auth/sessionUser.js';
import { CORE_VIEWS_DIR } from '../web/render.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, `${name}.ejs`);

export interface RenderedWidget {
  id: string;
  owner: string;
  title: string;
  wide: boolean;
  html: string | null;
  failed: boolean;
}

export function homeRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/', 'public', async (req, res) => {
    if (!req.user) return core.renderer.page(req, res, view('landing'), { title: 'Bienvenue sur Maillon', loggedOut: req.query.deconnexion === '1' });
    const widgets = await renderDashboard(core, req.user);
    await core.renderer.page(req, res, view('dashboard'), { title: `Bonjour ${req.user.givenName || req.user.displayName}`, widgets });
  });

  router.get('/profile', 'authenticated', async (req, res) => {
    const user = req.user!;
    const sections = await core.hooks.applyFilters('profile:sections', [], { user });
    await core.renderer.page(req, res, view('profile'), { title: 'Mon profil', profile: user, sections });
  });
}

/**
 * The dashboard is what plugins put on it: widgets the user may see, passed through the
 * `dashboard:widgets` filter, rendered side by side. A widget that fails shows a short notice
 * instead of taking the page down, and is reported against its plugin.
 */
export async function renderDashboard(core: CoreServices, user: SessionUser): Promise<RenderedWidget[]> {
  const slots: WidgetSlot[] = core.registry.widgets
    .filter((w) => core.permissions.allows(user, w.can))
    .map((w) => ({
      id: w.id,
      owner: w.owner,
      title: w.title,
      order: w.order ?? 100,
      wide: w.wide ?? false,
      render: () => w.render({ user, partial: (name, locals) => core.renderer.partial(path.join(w.viewsDir, `${name}.ejs`), locals) }),
    }));
  const chosen = (await core.hooks.applyFilters('dashboard:widgets', slots, { user })).sort((a, b) => a.order - b.order);
  return Promise.all(
    chosen.map(async (slot) => {
      try {
        const html = await slot.render();
        return { id: slot.id, owner: slot.owner, title: slot.title, wide: slot.wide, html, failed: false };
      } catch (error) {
        core.log.error({ plugin: slot.owner, widget: slot.id, err: error }, 'bloc du tableau de bord en erreur');
        core.plugins.recordHookFailure({ owner: slot.owner, hook: `widget:${slot.id}`, message: (error as Error).message, at: new Date() });
        return { id: slot.id, owner: slot.owner, title: slot.title, wide: slot.wide, html: null, failed: true };
      }
    }),
  ).then((list) => list.filter((w) => w.failed || w.html !== null));
}
