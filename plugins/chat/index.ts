import { definePlugin } from '../../server/plugins/manifest.js';
import { action } from '../../server/plugins/hooks.js';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import './schema.js';
import { chatSettings } from './settings.js';
import { ChatService, type Ctx } from './service.js';
import { syncPlaceRooms } from './rooms.js';
import { chatRoutes } from './routes.js';
import { chatSockets } from './socket.js';
import { purgeOlderThan } from './messages.js';
import { seedDemoConversation } from './demo.js';

/**
 * Chat: rooms by département and académie (from the profile), topic rooms, private groups and
 * direct messages, live over socket.io, readable without JavaScript. See docs/chat.md.
 */

// One service per running app (tests start several in one process); hooks fire before start.
const services = new WeakMap<Ctx, ChatService>();
let current: ChatService | null = null;

function serviceFor(ctx: Ctx): ChatService {
  let service = services.get(ctx);
  if (!service) {
    service = new ChatService(ctx);
    services.set(ctx, service);
  }
  current = service;
  return service;
}

async function sync(user: SessionUser): Promise<void> {
  if (current) await syncPlaceRooms(current.ctx.db, user);
}

export default definePlugin({
  name: 'chat',
  version: '1.0.0',
  title: 'Discussions',
  description: 'Salons par département et académie, salons thématiques, groupes privés et messages directs, en temps réel.',
  settings: chatSettings,
  capabilities: [{ name: 'chat:moderate', description: 'Modérer les salons de discussion (signalements, sourdine, verrouillage)', roles: ['dane'] }],
  nav: [
    { id: 'chat', label: 'Salons', href: '/chat', can: 'authenticated', order: 30, section: 'Discussions' },
    { id: 'chat-moderation', label: 'Modération', href: '/chat/moderation', can: 'chat:moderate', order: 31, section: 'Discussions' },
  ],
  hooks: [
    action('user:created', ({ user }) => sync(user)),
    action('user:loggedIn', ({ user }) => sync(user)),
    action('user:updated', ({ user, changed }) => (changed.includes('place') ? sync(user) : undefined)),
  ],
  sockets: [{ namespace: '/chat', can: 'authenticated', setup: (nsp, ctx) => chatSockets(nsp, serviceFor(ctx as Ctx)) }],
  routes(router, ctx) {
    const service = serviceFor(ctx);
    ctx.notifications.declareKind({ id: 'chat:mention', label: 'Mentions dans les discussions', defaultEmail: 'daily' });
    ctx.notifications.declareKind({ id: 'chat:direct', label: 'Messages directs', defaultEmail: 'immediate' });
    ctx.notifications.declareKind({ id: 'chat:invited', label: 'Invitations à un groupe de discussion', defaultEmail: 'never' });
    ctx.jobs.define(
      'chat:purge',
      async () => {
        if (ctx.settings.retentionDays > 0) {
          const count = await purgeOlderThan(ctx.db, ctx.settings.retentionDays);
          if (count) ctx.log.info({ count }, 'messages purgés (durée de conservation)');
        }
      },
      { concurrency: 1, schedule: { cron: ctx.settings.purgeCron } },
    );
    chatRoutes(router, service);
  },
  async start(ctx) {
    serviceFor(ctx);
    if (ctx.mode !== 'test') await seedDemoConversation(ctx.db);
  },
  stop(ctx) {
    if (current === services.get(ctx)) current = null;
  },
});
