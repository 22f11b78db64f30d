import type { GuardedRouter, RouteHandler } from '../plugins/router.js';
import type { CoreServices } from '../services.js';
import { HttpError, forbidden, notFound } from '../web/errors.js';

/**
 * Uploaded files, behind the owning plugin's access check. Served with their checked type,
 * never sniffed, documents as downloads, under a CSP that forbids running anything.
 */
export function fileRoutes(router: GuardedRouter, core: CoreServices): void {
  const serve: RouteHandler = async (req, res) => {
    const file = await core.files.get(String(req.params.id));
    if (!file) throw notFound("Ce fichier n'existe pas ou a été supprimé.");
    if (!(await core.files.canRead(file, req.user ?? null))) {
      if (!req.user) throw new HttpError(401, 'Connectez-vous pour ouvrir ce fichier.');
      throw forbidden("Vous n'avez pas accès à ce fichier.");
    }
    res.set({
      'Content-Type': file.mime,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=3600',
      ETag: `"${file.sha256}"`,
    });
    res.attachment(file.name);
    if (file.category === 'image') res.set('Content-Disposition', res.get('Content-Disposition')!.replace(/^attachment/, 'inline'));
    if (req.fresh) return res.status(304).end();
    res.sendFile(core.files.blobPath(file.sha256), { etag: false, lastModified: false, cacheControl: false, headers: { 'Content-Type': file.mime } });
  };
  router.get('/files/:id', 'public', serve);
  router.get('/files/:id/:name', 'public', serve);
}
