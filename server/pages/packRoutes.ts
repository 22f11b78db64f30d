import path from 'node:path';
import type { GuardedRouter } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { notFound } from '../web/errors.js';

/** Files of a pack's `assets/` folder (images of lessons, documents to download); nothing else of the pack. */
export function packRoutes(router: GuardedRouter, core: CoreServices): void {
  router.get('/packs/:packId/assets/*file', 'authenticated', async (req, res, next) => {
    const source = await core.packs.sourceOf(String(req.params.packId));
    const segments = (req.params as unknown as { file: string[] }).file;
    if (!source || !Array.isArray(segments) || segments.some((s) => s.startsWith('.'))) throw notFound();
    res.sendFile(segments.join('/'), {
      root: path.join(source, 'assets'),
      dotfiles: 'deny',
      maxAge: core.config.mode === 'production' ? '1h' : 0,
      headers: { 'X-Content-Type-Options': 'nosniff' },
    }, (err) => {
      if (err) next(notFound("Ce fichier n'existe pas."));
    });
  });
}
