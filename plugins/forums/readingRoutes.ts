import type { GuardedRouter } from '../../server/plugins/router.js';
import { notFound } from '../../server/web/errors.js';
import { pageParam, stringParam } from '../../server/web/validate.js';
import type { Ctx } from './access.js';
import { readableCategories, readableCategory } from './categories.js';
import { searchPosts } from './search.js';
import { postsQuery, toPostView } from './topicPage.js';

const ARCHIVE_PAGE = 100;
const FEED_ENTRIES = 30;

function dateParam(value: unknown): string {
  const v = stringParam(value, 10);
  // The round trip refuses days a month does not have (30 February would become 2 March).
  const day = /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : null;
  return day && !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === v ? v : '';
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Search, the archive of a category read as a discussion list, and Atom feeds of public categories. */
export function readingRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/recherche', 'authenticated', async (req, res) => {
    const q = ctx.search.cleanQuery(req.query.q);
    const categories = await readableCategories(ctx.db, req.user);
    const slug = stringParam(req.query.categorie, 100);
    const category = categories.find((c) => c.slug === slug) ?? null;
    const author = stringParam(req.query.auteur, 100).trim();
    let from = dateParam(req.query.depuis);
    let to = dateParam(req.query.jusqua);
    // A filter that cannot apply says so, rather than silently finding nothing or everything.
    const notices: string[] = [];
    for (const [raw, kept, label] of [[req.query.depuis, from, 'de début'], [req.query.jusqua, to, 'de fin']] as const) {
      const typed = stringParam(raw, 40).trim();
      if (typed && !kept) notices.push(`La date ${label} « ${typed} » n'est pas une date valide : ce filtre est ignoré.`);
    }
    if (from && to && from > to) {
      [from, to] = [to, from];
      notices.push('Les dates étaient inversées : la recherche va de la plus ancienne à la plus récente.');
    }
    const page = pageParam(req.query.page, 50);
    const found = q && categories.length
      ? await searchPosts(ctx, { q, categoryIds: category ? [category.id] : categories.map((c) => c.id), author, from, to, page, everything: req.query.tout === '1' })
      : { hits: [], hasNext: false, recentSince: null, wholeArchive: false };
    await ctx.views.page(req, res, 'search', {
      title: q ? `Recherche : ${q}` : 'Rechercher dans les forums',
      q,
      categories,
      filters: { categorie: category?.slug ?? '', auteur: author, depuis: from, jusqua: to },
      notices,
      results: found.hits,
      page,
      hasNext: found.hasNext,
      recentSince: found.recentSince,
      everything: found.wholeArchive,
    });
  });

  router.get('/c/:slug/archive', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    const page = pageParam(req.query.page);
    const rows = await postsQuery(ctx.db, req.user!.id)
      .innerJoin('forum_topics as t', 't.id', 'p.topic_id')
      .select('t.title as topic_title')
      .where('t.category_id', '=', category.id)
      .where('p.state', '=', 'visible')
      .orderBy('p.created_at').orderBy('p.id')
      .limit(ARCHIVE_PAGE + 1).offset((page - 1) * ARCHIVE_PAGE)
      .execute();
    await ctx.views.page(req, res, 'archive', {
      title: `Archive — ${category.title}`, category, page, hasNext: rows.length > ARCHIVE_PAGE,
      posts: rows.slice(0, ARCHIVE_PAGE).map((r) => ({ ...toPostView(ctx, r), topicTitle: r.topic_title })),
    });
  });

  // Feeds are public, and exist only for categories everyone signed in may read.
  router.get('/c/:slug/flux.atom', 'public', async (req, res) => {
    const category = await ctx.db.selectFrom('forum_categories').select(['id', 'slug', 'title', 'description', 'read_roles']).where('slug', '=', String(req.params.slug)).executeTakeFirst();
    if (!category || category.read_roles.length) throw notFound("Cette catégorie n'existe pas ou n'a pas de flux public.");
    const rows = await ctx.db
      .selectFrom('forum_posts as p')
      .innerJoin('forum_topics as t', 't.id', 'p.topic_id')
      .leftJoin('users as u', 'u.id', 'p.author_id')
      .select(['p.id', 'p.body', 'p.created_at', 'p.edited_at', 'p.heading', 't.title', 'u.given_name', 'u.family_name'])
      .where('t.category_id', '=', category.id)
      .where('p.state', '=', 'visible')
      .orderBy('p.id', 'desc')
      .limit(FEED_ENTRIES)
      .execute();
    const base = ctx.baseUrl.replace(/\/$/, '');
    const updated = (rows[0]?.edited_at ?? rows[0]?.created_at ?? new Date()).toISOString();
    const entries = rows.map((r) => {
      const author = r.given_name ? `${r.given_name} ${r.family_name}` : 'Compte supprimé';
      // The first post carries the topic's title; a reply says whose it is.
      const title = r.heading !== null ? r.title : `Réponse de ${author} : ${r.title}`;
      return `  <entry>
    <id>${xml(`${base}/forums/p/${r.id}`)}</id>
    <title>${xml(title)}</title>
    <link rel="alternate" type="text/html" href="${xml(`${base}/forums/p/${r.id}`)}"/>
    <author><name>${xml(author)}</name></author>
    <published>${r.created_at.toISOString()}</published>
    <updated>${(r.edited_at ?? r.created_at).toISOString()}</updated>
    <content type="html">${xml(feedHtml(ctx, r.body, base))}</content>
  </entry>`;
    });
    res.type('application/atom+xml; charset=utf-8').send(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <id>${xml(`${base}/forums/c/${category.slug}`)}</id>
  <title>${xml(`Forums Maillon — ${category.title}`)}</title>
  <subtitle>${xml(category.description)}</subtitle>
  <link rel="self" href="${xml(`${base}/forums/c/${category.slug}/flux.atom`)}"/>
  <link rel="alternate" type="text/html" href="${xml(`${base}/forums/c/${category.slug}`)}"/>
  <updated>${updated}</updated>
${entries.join('\n')}
</feed>
`);
  });
}

/**
 * A post for feed readers, which open links from elsewhere and without a session: Maillon's
 * own paths become absolute, and images (readable only once signed in) become links.
 */
function feedHtml(ctx: Ctx, body: string, base: string): string {
  const source = body.replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_m, alt: string, url: string) => `[Image : ${alt || 'sans description'}](${url})`);
  return ctx.markdown.render(source, { images: false }).replace(/(href|src)="\/(?!\/)/g, `$1="${base}/`);
}
