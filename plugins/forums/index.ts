import { definePlugin } from '../../server/plugins/manifest.js';
import './schema.js';
import { forumSettings } from './settings.js';
import { seedCategories } from './categories.js';
import { seedDemoTopics } from './demo.js';
import { declareNotificationKinds } from './notify.js';
import { topicRoutes } from './topicRoutes.js';
import { moderationRoutes } from './moderationRoutes.js';
import { readingRoutes } from './readingRoutes.js';
import { imageRoutes } from './imageRoutes.js';
import { mentionRoutes } from './mentionRoutes.js';
import { unreadRoutes } from './unreadRoutes.js';
import { recentSearchVacuum, recentSearchWindowSetter } from './search.js';

/**
 * Forums: categories for the académie, its départements and themes (some private), topics and
 * posts in Markdown with edit history, Q&A with solved answers, likes, unread marks, watches with
 * in-app and e-mail notifications, French search, Atom feeds and moderation. See docs/forums.md.
 */
export default definePlugin({
  name: 'forums',
  version: '1.0.0',
  title: 'Forums',
  description: "Forums de l'académie, des départements et des thèmes : questions et réponses, recherche, abonnements et modération.",
  settings: forumSettings,
  capabilities: [{ name: 'forums:moderate', description: 'Modérer les forums : file des signalements, masquer, modifier, déplacer, scinder, verrouiller, épingler', roles: ['dane'] }],
  nav: [{ id: 'forums', label: 'Forums', href: '/forums', can: 'authenticated', order: 20 }],
  async routes(router, ctx) {
    declareNotificationKinds(ctx);
    await seedCategories(ctx.db, ctx.settings.academy);
    readingRoutes(router, ctx);
    imageRoutes(router, ctx);
    mentionRoutes(router, ctx);
    unreadRoutes(router, ctx);
    moderationRoutes(router, ctx);
    topicRoutes(router, ctx);
    ctx.jobs.define('forums:search-vacuum', () => recentSearchVacuum(ctx.db), { concurrency: 1, schedule: { cron: '40 3 * * *' } });
  },
  async start(ctx) {
    await recentSearchWindowSetter(ctx.db, ctx.settings.searchRecentPosts);
    // Demo accounts exist by now (they are created before plugins start).
    await seedDemoTopics(ctx.db);
  },
});
