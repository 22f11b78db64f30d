import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';

/**
 * What machines ask without a session: /healthz for load balancers and monitoring (200 when the
 * database answers, 503 otherwise), and /favicon.ico.
 */
export function healthRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/healthz', 'public', async (_req, res) => {
    const base = { version: core.version, uptimeSeconds: Math.round((Date.now() - core.startedAt.getTime()) / 1000) };
    try {
      const latencyMs = await core.database.ping();
      res.set('Cache-Control', 'no-store').json({ status: 'ok', ...base, database: { engine: core.database.engine, status: 'up', latencyMs } });
    } catch (error) {
      core.log.error({ err: error }, 'base de données injoignable');
      res.status(503).set('Cache-Control', 'no-store').json({
        status: 'degraded',
        ...base,
        database: { engine: core.database.engine, status: 'down', error: 'la base de données ne répond pas' },
      });
    }
  });

  // Browsers, feed readers and bookmarks ask for /favicon.ico whatever the page declares.
  router.get('/favicon.ico', 'public', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').redirect(301, '/static/img/maillon.svg');
  });
}
