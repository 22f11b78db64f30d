import { definePlugin } from '../../server/plugins/manifest.js';
import { action } from '../../server/plugins/hooks.js';
import type { PluginContext } from '../../server/plugins/context.js';
import './schema.js';
import { eventsSettings, type EventsSettings } from './settings.js';
import { userRoutes } from './userRoutes.js';
import { manageRoutes } from './manageRoutes.js';
import { sendDueReminders } from './reminders.js';
import { seedDemoEvents } from './demo.js';
import { canSee, eventsFor } from './events.js';
import { formatRange } from './time.js';

/**
 * Events and webinars: creation by the DANE, its départemental coordinators and RUPNs (cafés
 * numériques), registration with a waiting list, reminders, calendars and iCal feeds,
 * attendance, replay and documents. See docs/events.md.
 */

let context: PluginContext<EventsSettings> | null = null;

export default definePlugin({
  name: 'events',
  version: '1.1.0',
  title: 'Événements et webinaires',
  description: 'Webinaires, ateliers, regroupements et cafés numériques : inscriptions, rappels, calendriers iCal, présences.',
  settings: eventsSettings,
  nav: [{ id: 'events', label: 'Événements', href: '/events', can: 'authenticated', order: 30 }],
  widgets: [
    {
      id: 'upcoming',
      title: 'Prochains événements',
      can: 'authenticated',
      order: 20,
      render: async ({ user, partial }, ctx) => {
        const events = (await eventsFor(ctx.db, user, { from: new Date() }, 3)).filter((e) => e.status === 'scheduled');
        return events.length ? partial('widget', { events: events.map((e) => ({ ...e, when: formatRange(e.starts_at, e.ends_at) })) }) : null;
      },
    },
  ],
  hooks: [
    action('app:started', async () => {
      if (context) await seedDemoEvents(context);
    }),
  ],
  routes(router, ctx) {
    context = ctx;
    ctx.notifications.declareKind({ id: 'events:promoted', label: "Place libérée sur une liste d'attente", defaultEmail: 'immediate' });
    ctx.notifications.declareKind({ id: 'events:update', label: 'Changements, annulations, replays des événements où je suis inscrit·e', defaultEmail: 'immediate' });
    ctx.jobs.define('events:reminders', async () => {
      await sendDueReminders(ctx);
    }, { concurrency: 1, schedule: { cron: ctx.settings.reminderCron } });
    // Documents of an event: for whoever may see the event.
    ctx.files.setAccess(async (file, user) => {
      if (!user) return false;
      const doc = await ctx.db.selectFrom('event_documents as d').innerJoin('events as e', 'e.id', 'd.event_id').selectAll('e').where('d.file_id', '=', file.id).executeTakeFirst();
      if (!doc) return file.userId === user.id;
      return canSee(ctx.db, user, doc);
    });
    manageRoutes(router, ctx);
    userRoutes(router, ctx);
  },
  start(ctx) {
    context = ctx;
  },
  stop(ctx) {
    if (context === ctx) context = null;
  },
});
