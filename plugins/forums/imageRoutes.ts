import type { GuardedRouter } from '../../server/plugins/router.js';
import type { Ctx } from './access.js';

/**
 * Images in posts: uploaded from the editor (public/forums.js inserts the Markdown at the
 * cursor), or without JavaScript from a page of their own that gives the Markdown to paste.
 * A post can move between categories, so an image is readable by anyone signed in; its address
 * holds 144 random bits.
 */
export function imageRoutes(router: GuardedRouter, ctx: Ctx): void {
  ctx.files.setAccess((_file, user) => user !== null);

  router.get('/images/nouvelle', 'authenticated', async (req, res) => {
    await ctx.views.page(req, res, 'image', { title: 'Ajouter une image à un message', markdown: null });
  });

  router.post('/images', { can: 'authenticated', body: ctx.files.upload({ fields: ['image'], accept: 'images' }) }, async (req, res) => {
    const { markdown } = await ctx.files.saveImage(req);
    if (req.accepts(['html', 'json']) === 'json') return void res.status(201).json({ markdown });
    await ctx.views.page(req, res, 'image', { title: 'Ajouter une image à un message', markdown }, 201);
  });
}
