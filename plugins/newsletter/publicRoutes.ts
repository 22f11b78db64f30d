import type { GuardedRouter } from '../../server/plugins/router.js';
import type { PluginContext } from '../../server/plugins/context.js';
import { notFound } from '../../server/web/errors.js';
import { pageParam, stringParam } from '../../server/web/validate.js';
import { loadIssue, renderIssue } from './issues.js';
import { subscriber, subscriptionOf, unsubscriber } from './subscribers.js';
import type { NewsletterSettings } from './settings.js';

/** The archive of sent issues (public, like the mails it keeps), its RSS feed, and subscribing. */

type Ctx = PluginContext<NewsletterSettings>;
const PER_PAGE = 20;

async function sentIssues(ctx: Ctx, limit: number, offset = 0) {
  return ctx.db
    .selectFrom('newsletter_issues')
    .select(['id', 'slug', 'title', 'summary', 'body', 'sent_at'])
    .where('state', '=', 'sent')
    .orderBy('sent_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

export function publicRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/', 'public', async (req, res) => {
    const page = pageParam(req.query.page);
    const [issues, { n }] = await Promise.all([
      sentIssues(ctx, PER_PAGE, (page - 1) * PER_PAGE),
      ctx.db.selectFrom('newsletter_issues').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'sent').executeTakeFirstOrThrow(),
    ]);
    await ctx.views.page(req, res, 'archive', {
      title: 'La LINE, lettre de la DANE',
      issues,
      page,
      pageCount: Math.max(1, Math.ceil(Number(n) / PER_PAGE)),
      subscription: req.user ? await subscriptionOf(ctx.db, req.user) : null,
    });
  });

  router.get('/rss.xml', 'public', async (_req, res) => {
    const issues = await sentIssues(ctx, 20);
    const base = ctx.baseUrl;
    const items = issues
      .map((i) => {
        const link = `${base}/newsletter/numeros/${i.slug}`;
        return `<item><title>${xml(i.title)}</title><link>${xml(link)}</link><guid isPermaLink="true">${xml(link)}</guid><pubDate>${new Date(i.sent_at!).toUTCString()}</pubDate><description>${xml(i.summary || ctx.markdown.toText(i.body).slice(0, 300))}</description></item>`;
      })
      .join('');
    res.type('application/rss+xml; charset=utf-8').send(
      `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>La LINE, lettre de la DANE</title><link>${xml(`${base}/newsletter`)}</link><atom:link href="${xml(`${base}/newsletter/rss.xml`)}" rel="self" type="application/rss+xml"/><description>Les numéros de la lettre d'information de la DANE aux référents numériques.</description><language>fr</language>${items}</channel></rss>\n`,
    );
  });

  router.get('/numeros/:slug', 'public', async (req, res) => {
    const issue = await loadIssue(ctx.db, { slug: stringParam(req.params.slug, 120) });
    // Unsent issues exist only for their editors (who preview them from the editing page).
    if (!issue || issue.state !== 'sent') throw notFound("Ce numéro de la LINE n'existe pas ou n'est pas encore paru.");
    await ctx.views.page(req, res, 'issue', { title: issue.title, issue, ...renderIssue(ctx, issue), preview: false });
  });

  router.get('/abonnement', 'authenticated', async (req, res) => {
    await ctx.views.page(req, res, 'subscription', { title: 'Mon abonnement à la LINE', subscription: await subscriptionOf(ctx.db, req.user!) });
  });

  router.post('/abonnement', 'authenticated', async (req, res) => {
    await subscriber(ctx.db, req.user!, ctx.mail.resubscribe);
    await ctx.audit({ action: 'newsletter.subscribe', req, targetType: 'user', targetId: req.user!.id });
    ctx.flash(req, 'success', 'Vous êtes abonné·e à la LINE : vous recevrez les prochains numéros.');
    res.redirect(303, backTo(req.body));
  });

  router.post('/desabonnement', 'authenticated', async (req, res) => {
    await unsubscriber(ctx.db, req.user!);
    await ctx.audit({ action: 'newsletter.unsubscribe', req, targetType: 'user', targetId: req.user!.id });
    ctx.flash(req, 'success', 'Vous ne recevrez plus la LINE. Vous pouvez vous réabonner à tout moment.');
    res.redirect(303, backTo(req.body));
  });
}

/** Back to the profile or the subscription page, never elsewhere. */
function backTo(body: unknown): string {
  const next = stringParam((body as Record<string, unknown>)?.next, 40);
  return next === '/profile' ? '/profile' : '/newsletter/abonnement';
}
