import path from 'node:path';
import { action, filter, type HookRegistration } from '../plugins/hooks.js';
import { CORE_VIEWS_DIR, type Renderer } from '../web/render.js';
import { EMAIL_PREFERENCES, type Notifier } from './notifier.js';

/**
 * How notifications show up on every page, through the same hooks plugins use: the bell in
 * the header, a section of the profile page, and one-click unsubscribes turning an e-mail off.
 */
export function coreServiceHooks(notifications: Notifier, renderer: Renderer): HookRegistration[] {
  return [
    filter(
      'layout:page',
      async (parts, { user }) => {
        if (!user) return parts;
        const unread = await notifications.unreadCount(user.id);
        const bell = { id: 'notifications', label: 'Notifications', href: '/notifications', badge: unread || undefined };
        return { ...parts, headerItems: [bell, ...parts.headerItems] };
      },
      5,
    ),
    filter('profile:sections', async (sections, { user }) => {
      const preferences = await notifications.preferences(user.id);
      const labels = Object.fromEntries(EMAIL_PREFERENCES.map((p) => [p.value, p.label]));
      const html = await renderer.partial(path.join(CORE_VIEWS_DIR, 'notifications', '_profile-section.ejs'), { preferences, labels });
      return [...sections, { id: 'notifications', title: 'Préférences de notification', html }];
    }),
    action('mail:unsubscribed', ({ userId, list }) => notifications.applyUnsubscribe(userId, list)),
  ];
}
