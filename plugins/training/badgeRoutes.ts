import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { notFound } from '../../server/web/errors.js';
import { assertionJson, badgeClassJson, badgeSvg, badgeUrls, issuerJson, loadBadge, OB_CONTENT_TYPE, verifyAssertion } from './badges.js';
import { loadPath } from './paths.js';
import type { TrainingSettings } from './settings.js';

type Ctx = PluginContext<TrainingSettings>;

/** Open Badges documents are public: backpacks and verifiers fetch them from anywhere. */
function sendBadgeJson(res: Response, body: unknown, status = 200): void {
  res.status(status).set({ 'Content-Type': OB_CONTENT_TYPE, 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' }).send(JSON.stringify(body, null, 2));
}

async function requiredModuleTitles(ctx: Ctx, pathId: number): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('training_path_modules as pm')
    .innerJoin('content_modules as m', (j) => j.onRef('m.pack_id', '=', 'pm.pack_id').onRef('m.module_id', '=', 'pm.module_id'))
    .select('m.title')
    .where('pm.path_id', '=', pathId)
    .where('pm.optional', '=', false)
    .orderBy('pm.position')
    .execute();
  return rows.map((r) => r.title);
}

/**
 * Fetches a document of this instance over HTTP through the address the current request came
 * in on: the verification reads what the server really hosts at the assertion's path, the way
 * a backpack would, even when BASE_URL names a proxy in front.
 */
function selfFetcher(ctx: Ctx, req: Request) {
  const address = req.socket.localAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  const origin = `http://${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort}`;
  return async (url: string) => {
    const { pathname } = new URL(url);
    if (!url.startsWith(`${ctx.baseUrl}/`)) throw new Error('adresse hors de cette plateforme');
    const res = await fetch(`${origin}${pathname}`, { headers: { accept: 'application/ld+json, application/json' }, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the verifier reports it.
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
  };
}

export function badgeRoutes(router: GuardedRouter, ctx: Ctx): void {

  router.get('/openbadges/issuer', 'public', (_req, res) =>
    sendBadgeJson(res, issuerJson(ctx.baseUrl, { name: ctx.settings.issuerName, url: ctx.settings.issuerUrl ?? ctx.baseUrl, email: ctx.settings.issuerEmail ?? null })),
  );

  router.get('/openbadges/badges/:slug', 'public', async (req, res) => {
    const path = await loadPath(ctx.db, { slug: String(req.params.slug) });
    if (!path) return sendBadgeJson(res, { error: "Ce badge n'existe pas." }, 404);
    sendBadgeJson(res, badgeClassJson(ctx.baseUrl, path, await requiredModuleTitles(ctx, path.id)));
  });

  router.get('/openbadges/badges/:slug/image.svg', 'public', async (req, res) => {
    const path = await loadPath(ctx.db, { slug: String(req.params.slug) });
    if (!path) throw notFound("Ce badge n'existe pas.");
    res.set({ 'Content-Type': 'image/svg+xml; charset=utf-8', 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=3600' }).send(badgeSvg(path.title));
  });

  router.get('/openbadges/assertions/:id', 'public', async (req, res) => {
    const badge = await loadBadge(ctx.db, String(req.params.id));
    if (!badge) return sendBadgeJson(res, { error: "Cette assertion n'existe pas." }, 404);
    // A revoked assertion answers 410 Gone with revoked: true, as Open Badges 2.0 asks.
    sendBadgeJson(res, assertionJson(ctx.baseUrl, badge), badge.revokedAt ? 410 : 200);
  });

  router.get('/badges/:id', 'public', async (req, res) => {
    const badge = await loadBadge(ctx.db, String(req.params.id));
    if (!badge) throw notFound("Ce badge n'existe pas.");
    const urls = badgeUrls(ctx.baseUrl);
    const verification = await verifyAssertion(
      { assertionUrl: urls.assertion(badge.id), recipientHash: badge.recipientHash, badgeClassUrl: urls.badgeClass(badge.path.slug), issuerUrl: urls.issuer },
      selfFetcher(ctx, req),
    );
    await ctx.views.page(req, res, 'badge', {
      title: `Badge « ${badge.path.title} »`,
      badge,
      verification,
      urls: { assertion: urls.assertion(badge.id), badgeClass: urls.badgeClass(badge.path.slug), issuer: urls.issuer, image: `/training/openbadges/badges/${badge.path.slug}/image.svg`, page: urls.page(badge.id) },
      isOwner: req.user?.id === badge.userId,
      modules: await requiredModuleTitles(ctx, badge.path.id),
    });
  });
}
