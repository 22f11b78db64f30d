import path from 'node:path';
import { z } from 'zod';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { CORE_VIEWS_DIR } from '../web/render.js';
import { flash } from '../web/flash.js';
import { notFound } from '../web/errors.js';
import { idParam, pageParam, parseInput } from '../web/validate.js';
import { EMAIL_PREFERENCES } from '../notifications/notifier.js';

const view = (name: string) => path.join(CORE_VIEWS_DIR, 'notifications', `${name}.ejs`);
const PER_PAGE = 20;

export function notificationRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/notifications', 'authenticated', async (req, res) => {
    const page = pageParam(req.query.page);
    const result = await core.notifications.list(req.user!.id, page, PER_PAGE);
    await core.renderer.page(req, res, view('index'), {
      title: 'Notifications',
      result,
      page,
      pageCount: Math.max(1, Math.ceil(result.total / PER_PAGE)),
      unread: await core.notifications.unreadCount(req.user!.id),
    });
  });

  router.post('/notifications/read-all', 'authenticated', async (req, res) => {
    const count = await core.notifications.markAllRead(req.user!.id);
    flash(req, 'success', count ? `${count > 1 ? `${count} notifications marquées` : 'Une notification marquée'} comme lue${count > 1 ? 's' : ''}.` : 'Aucune notification non lue.');
    res.redirect(303, '/notifications');
  });

  router.get('/notifications/preferences', 'authenticated', async (req, res) => {
    await core.renderer.page(req, res, view('preferences'), {
      title: 'Préférences de notification',
      preferences: await core.notifications.preferences(req.user!.id),
      choices: EMAIL_PREFERENCES,
    });
  });

  router.post('/notifications/preferences', 'authenticated', async (req, res) => {
    const kinds = core.notifications.kinds();
    const schema = z.object(Object.fromEntries(kinds.map((k) => [k.id, z.enum(['immediate', 'daily', 'never'])])));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = parseInput(schema, Object.fromEntries(kinds.map((k) => [k.id, body[k.id]])), Object.fromEntries(kinds.map((k) => [k.id, k.label])));
    await core.notifications.setPreferences(req.user!, input as Record<string, 'immediate' | 'daily' | 'never'>);
    flash(req, 'success', 'Vos préférences de notification sont enregistrées.');
    res.redirect(303, '/notifications/preferences');
  });

  // Opening a notification marks it read and follows its link.
  router.get('/notifications/:id', 'authenticated', async (req, res) => {
    const found = await core.notifications.markRead(req.user!.id, idParam(req.params.id));
    if (!found) throw notFound("Cette notification n'existe pas.");
    res.redirect(303, found.url ?? '/notifications');
  });

  router.post('/notifications/:id/read', 'authenticated', async (req, res) => {
    const found = await core.notifications.markRead(req.user!.id, idParam(req.params.id));
    if (!found) throw notFound("Cette notification n'existe pas.");
    flash(req, 'success', 'Notification marquée comme lue.');
    res.redirect(303, '/notifications');
  });
}
