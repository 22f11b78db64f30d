import { z } from 'zod';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { logIn, logOut } from '../auth/login.js';
import { DEMO_PROVIDER, listDemoLogins } from '../demo/demoData.js';
import { limitRequests } from '../web/rateLimits.js';
import { safeLocalPath } from '../web/safeRedirect.js';
import { parseInput } from '../web/validate.js';
import { HttpError } from '../web/errors.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import path from 'node:path';
import { parse as parseCookies } from 'cookie';
import { IDP_COOKIE } from './samlRoutes.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, `${name}.ejs`);

export function authRoutes(router: GuardedRouter, core: CoreServices): void {
  const loginLimit = limitRequests(core.db, {
    name: 'login',
    windowMs: 5 * 60_000,
    limit: core.config.loginRateLimit,
    message: 'Trop de tentatives de connexion depuis votre poste. Patientez quelques minutes avant de réessayer.',
  });

  router.get('/login', 'public', async (req, res) => {
    const next = safeLocalPath(req.query.next);
    if (req.user) return res.redirect(303, next);
    const remembered = parseCookies(req.get('cookie') ?? '')[IDP_COOKIE];
    const usable = core.saml.registry.usable().sort((a, b) => a.config.name.localeCompare(b.config.name, 'fr'));
    await core.renderer.page(req, res, view('login'), {
      title: 'Connexion',
      next,
      devLogin: core.config.mode !== 'production',
      identityProviders: usable.map((s) => ({ id: s.config.id, name: s.config.name, selected: s.config.id === remembered })),
    });
  });

  router.post('/logout', 'authenticated', async (req, res) => {
    // Single Logout: the IdP's session ends too when it offers it (the Maillon one ends first).
    const sloUrl = await core.saml.logoutUrl(req.session.saml).catch((error: unknown) => {
      core.log.warn({ err: error }, 'demande de déconnexion SAML impossible');
      return null;
    });
    await logOut(req, core);
    // The session is gone, so no flash: the landing page reads the query to say it is done.
    res.redirect(303, sloUrl ?? '/?deconnexion=1');
  });

  if (core.config.mode === 'production') return;

  // Development login: never mounted in production, where these paths answer 404.
  router.get('/auth/dev', 'public', async (req, res) => {
    const accounts = await listDemoLogins(core.db);
    await core.renderer.page(req, res, view('dev-login'), {
      title: 'Comptes de démonstration',
      next: safeLocalPath(req.query.next),
      featured: accounts.filter((a) => a.featured),
      others: accounts.filter((a) => !a.featured),
    });
  });

  router.post('/auth/dev', { can: 'public', before: [loginLimit] }, async (req, res) => {
    const input = parseInput(z.object({ account: z.string().min(1).max(100), next: z.string().optional() }), req.body, {
      account: 'Compte',
    });
    const user = await core.users.byIdentity(DEMO_PROVIDER, input.account);
    if (!user) throw new HttpError(400, "Ce compte de démonstration n'existe pas ou a été désactivé.", { field: 'account' });
    await logIn(req, user, 'demo', core, { provider: DEMO_PROVIDER, subject: input.account });
    res.redirect(303, safeLocalPath(input.next));
  });
}
