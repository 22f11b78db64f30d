import path from 'node:path';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { HttpError } from '../web/errors.js';
import { limitRequests } from '../web/rateLimits.js';

const view = path.join(CORE_VIEWS_DIR, 'unsubscribe.ejs');

/** One-click unsubscribe (RFC 8058): the signed token is the proof, no login needed. */
export function mailRoutes(router: GuardedRouter, core: CoreServices): void {
  const limit = limitRequests(core.db, { name: 'unsubscribe', windowMs: 60_000, limit: 60, message: 'Trop de demandes de désabonnement depuis votre poste. Réessayez dans une minute.' });
  const target = (token: unknown) => {
    const found = core.mail.tokens.verify(token);
    if (!found) throw new HttpError(400, "Ce lien de désabonnement n'est pas valide. Copiez-le en entier depuis le courriel, ou changez vos préférences depuis votre profil.");
    return found;
  };

  // A GET never unsubscribes: mail scanners open links. It shows a button that posts.
  router.get('/unsubscribe/:token', { can: 'public', before: [limit] }, async (req, res) => {
    const found = target(req.params.token);
    await core.renderer.page(req, res, view, {
      title: 'Se désabonner',
      token: req.params.token,
      email: found.email,
      listLabel: core.mail.listLabel(found.list),
      done: await core.mail.isUnsubscribed(found.email, found.list),
    });
  });

  // csrf: false — mail clients send this POST cross-site (List-Unsubscribe-Post: One-Click),
  // without any cookie or page of ours; the HMAC-signed token is what authorises it.
  router.post('/unsubscribe/:token', { can: 'public', csrf: false, before: [limit] }, async (req, res) => {
    const found = target(req.params.token);
    await core.mail.unsubscribe(found, req.ip ?? null);
    if ((req.body as Record<string, unknown> | undefined)?.['List-Unsubscribe'] === 'One-Click') {
      res.type('text').send('Désabonnement enregistré.');
      return;
    }
    await core.renderer.page(req, res, view, { title: 'Désabonnement enregistré', token: req.params.token, email: found.email, listLabel: core.mail.listLabel(found.list), done: true });
  });
}
