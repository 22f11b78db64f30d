import type { Request, Response } from 'express';
import type { GuardedRouter } from '../../server/plugins/router.js';
import { HttpError, badRequest, forbidden, notFound } from '../../server/web/errors.js';
import { idParam, pageParam, stringParam } from '../../server/web/validate.js';
import { isModerator, type Ctx } from './access.js';
import { categoryStats, readableCategories, readableCategory, type Category } from './categories.js';
import {
  EditConflict, checkBody, listedForSql, checkTitle, createTopic, deleteOwnPost, editPost, markRead, readablePost, readableTopic, readableTopicForViewer, reply, toggleLike, toggleSolution,
  type TopicRecord, type TopicViewer,
} from './posting.js';
import { moderationQueueCount } from './moderationRoutes.js';
import { actionBar, onePost, pageOfPost, quoteOf, topicPosts, type ActionBarContext, type PostView } from './topicPage.js';
import { sql } from 'kysely';
import { markCategoriesRead, unreadSql } from './unread.js';
import { revisionDiffHtml } from './revisionDiff.js';

function postUrl(topicId: number, page: number, postId: number): string {
  return `/forums/t/${topicId}${page > 1 ? `?page=${page}` : ''}#p-${postId}`;
}

async function watchLevel(ctx: Ctx, userId: number, where: { topicId: number } | { categoryId: number }): Promise<'watch' | 'mute' | 'none'> {
  const row = await ctx.db
    .selectFrom('forum_watches')
    .select('level')
    .where('user_id', '=', userId)
    .$if('topicId' in where, (q) => q.where('topic_id', '=', (where as { topicId: number }).topicId))
    .$if('categoryId' in where, (q) => q.where('category_id', '=', (where as { categoryId: number }).categoryId))
    .executeTakeFirst();
  return row?.level ?? 'none';
}

async function setWatch(ctx: Ctx, userId: number, where: { topicId: number } | { categoryId: number }, level: string): Promise<void> {
  if (!['watch', 'mute', 'none'].includes(level)) throw badRequest('Choix de suivi inconnu : suivre, ignorer ou ne rien faire.', 'level');
  const topicId = 'topicId' in where ? where.topicId : null;
  const categoryId = 'categoryId' in where ? where.categoryId : null;
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('forum_watches').where('user_id', '=', userId).where(topicId ? 'topic_id' : 'category_id', '=', (topicId ?? categoryId)!).execute();
    if (level !== 'none') await trx.insertInto('forum_watches').values({ user_id: userId, topic_id: topicId, category_id: categoryId, level: level as 'watch' | 'mute' }).execute();
  });
}

export function topicRoutes(router: GuardedRouter, ctx: Ctx): void {
  const pageSize = () => ctx.settings.pageSize;

  router.get('/', 'authenticated', async (req, res) => {
    const categories = await readableCategories(ctx.db, req.user);
    const stats = await categoryStats(ctx.db, req.user!.id);
    const groups = [
      { title: "L'académie", items: categories.filter((c) => c.kind === 'academy') },
      { title: 'Les départements', items: categories.filter((c) => c.kind === 'department') },
      { title: 'Les thèmes', items: categories.filter((c) => c.kind === 'theme') },
    ].filter((g) => g.items.length);
    await ctx.views.page(req, res, 'index', { title: 'Forums', groups, stats, moderationQueue: await moderationQueueCount(ctx, req.user) });
  });

  router.get('/c/:slug', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    const page = pageParam(req.query.page);
    const size = 30;
    const topics = await ctx.db
      .selectFrom('forum_topics as t')
      .leftJoin('users as u', 'u.id', 't.author_id')
      .leftJoin('forum_reads as r', (j) => j.onRef('r.topic_id', '=', 't.id').on('r.user_id', '=', req.user!.id))
      .leftJoin('forum_watches as wt', (j) => j.onRef('wt.topic_id', '=', 't.id').on('wt.user_id', '=', req.user!.id))
      .leftJoin('forum_watches as wc', (j) => j.onRef('wc.category_id', '=', 't.category_id').on('wc.user_id', '=', req.user!.id))
      .select(['t.id', 't.title', 't.is_question', 't.solved_post_id', 't.locked', 't.pinned', 't.post_count', 't.last_post_at', 'u.given_name', 'u.family_name',
        unreadSql.as('unread'), sql<boolean>`r.user_id is not null`.as('seen'), sql<string | null>`coalesce(wt.level, wc.level)`.as('watch'), 'wt.level as topic_watch'])
      .where('t.category_id', '=', category.id)
      // A topic whose first post awaits approval stays out of sight, but for its author and moderators.
      .$if(!isModerator(ctx, req.user, category), (q) =>
        q.where(listedForSql(req.user!.id)),
      )
      .orderBy('t.pinned', 'desc').orderBy('t.last_post_at', 'desc').orderBy('t.id', 'desc')
      .limit(size + 1).offset((page - 1) * size)
      .execute();
    await ctx.views.page(req, res, 'category', {
      title: category.title, category, topics: topics.slice(0, size), page, hasNext: topics.length > size,
      watch: await watchLevel(ctx, req.user!.id, { categoryId: category.id }),
    });
  });

  router.post('/c/:slug/lu', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    await markCategoriesRead(ctx.db, req.user!.id, [category.id]);
    ctx.flash(req, 'success', `Toutes les discussions de « ${category.title} » sont marquées comme lues.`);
    res.redirect(303, `/forums/c/${category.slug}`);
  });

  router.post('/c/:slug/suivi', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    await setWatch(ctx, req.user!.id, { categoryId: category.id }, stringParam(req.body?.level, 10));
    ctx.flash(req, 'success', 'Votre choix de suivi de la catégorie est enregistré.');
    res.redirect(303, `/forums/c/${category.slug}`);
  });

  async function compose(req: Request, res: Response, category: Category, values: { title: string; body: string; isQuestion: boolean }, error: HttpError | null) {
    if (error?.details.retryAfterSeconds) res.setHeader('Retry-After', String(error.details.retryAfterSeconds));
    await ctx.views.page(req, res, 'compose', { title: `Nouvelle discussion — ${category.title}`, category, values, error, maxChars: ctx.settings.maxPostChars }, error?.status ?? 200);
  }

  router.get('/c/:slug/nouveau', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    await compose(req, res, category, { title: '', body: '', isQuestion: req.query.question === '1' }, null);
  });

  router.post('/c/:slug/nouveau', 'authenticated', async (req, res) => {
    const category = await readableCategory(ctx.db, req.user, { slug: String(req.params.slug) });
    const values = { title: stringParam(req.body?.title, 1000), body: stringParam(req.body?.body, 10_000_000), isQuestion: req.body?.isQuestion === 'on' };
    try {
      const title = checkTitle(values.title);
      const body = checkBody(ctx, values.body);
      const created = await createTopic(ctx, req.user!, { categoryId: category.id, title, body, isQuestion: values.isQuestion });
      if (created.state === 'pending') ctx.flash(req, 'warning', 'Votre discussion attend la validation d\'un modérateur : elle sera visible de tous après son accord.');
      res.redirect(303, `/forums/t/${created.topicId}`);
    } catch (error) {
      if (error instanceof HttpError) return compose(req, res, category, values, error);
      throw error;
    }
  });

  async function topicPage(req: Request, res: Response, topic: TopicRecord, extra: { draft?: string; error?: HttpError | null; viewer?: TopicViewer } = {}) {
    const user = req.user!;
    const pages = Math.max(1, Math.ceil(topic.postCount / pageSize()));
    const page = Math.min(pageParam(req.query.page), pages);
    const viewer = extra.viewer ?? (await readableTopicForViewer(ctx.db, user, topic.id)).viewer;
    const posts = await topicPosts(ctx, user, topic.id, page);
    const moderator = isModerator(ctx, user, topic);
    const firstPostId = page === 1 ? posts[0]?.id : undefined;
    // The solution is often on the page already: no second read then.
    const solution = topic.solvedPostId ? (posts.find((p) => p.id === topic.solvedPostId) ?? (await onePost(ctx, user, topic.solvedPostId))) : null;
    // Written only when the page shows something new: reading again costs no write.
    const lastShown = posts[posts.length - 1]?.id;
    if (lastShown && lastShown > (viewer.readUpTo ?? 0)) await markRead(ctx.db, user.id, topic.id, lastShown);
    let draft = extra.draft ?? '';
    let quoted = false;
    const quoteId = Number(req.query.citer);
    if (!draft && Number.isInteger(quoteId)) {
      const post = posts.find((p) => p.id === quoteId) ?? (await onePost(ctx, user, quoteId));
      if (post && post.topicId === topic.id && post.state === 'visible') {
        draft = quoteOf(post);
        quoted = true;
      }
    }
    const categories = moderator ? (await readableCategories(ctx.db, user)).filter((c) => isModerator(ctx, user, c)) : [];
    const canReply = !topic.locked || moderator;
    const bars: ActionBarContext = {
      topicId: topic.id, page, firstPostId, isQuestion: topic.isQuestion, solvedPostId: topic.solvedPostId, topicAuthorId: topic.authorId, viewerId: user.id, moderator, canReply,
    };
    await ctx.views.page(req, res, 'topic', {
      title: topic.title, maxChars: ctx.settings.maxPostChars, topic, posts, page, pages, firstPostId, solution, moderator, draft, quoted, categories,
      error: extra.error ?? null,
      watch: viewer.watch ?? 'none',
      canReply,
      actionBar: (post: PostView, csrf: string) => actionBar(bars, post, csrf),
    }, extra.error?.status ?? 200);
  }

  router.get('/t/:id', 'authenticated', async (req, res) => {
    const { topic, viewer } = await readableTopicForViewer(ctx.db, req.user!, idParam(req.params.id));
    if (viewer.awaitingApproval && topic.authorId !== req.user!.id && !isModerator(ctx, req.user, topic)) {
      throw notFound("Cette discussion attend la validation d'un modérateur.");
    }
    await topicPage(req, res, topic, { viewer });
  });

  router.get('/t/:id/non-lu', 'authenticated', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    const read = await ctx.db.selectFrom('forum_reads').select('last_post_id').where('user_id', '=', req.user!.id).where('topic_id', '=', topic.id).executeTakeFirst();
    const next = await ctx.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topic.id).where('id', '>', read?.last_post_id ?? 0).orderBy('id').limit(1).executeTakeFirst();
    const target = next ?? (await ctx.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topic.id).orderBy('id', 'desc').limit(1).executeTakeFirst());
    if (!target) return res.redirect(303, `/forums/t/${topic.id}`);
    res.redirect(303, postUrl(topic.id, await pageOfPost(ctx.db, topic.id, target.id, pageSize()), target.id));
  });

  router.post('/t/:id/suivi', 'authenticated', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    await setWatch(ctx, req.user!.id, { topicId: topic.id }, stringParam(req.body?.level, 10));
    ctx.flash(req, 'success', 'Votre choix de suivi de la discussion est enregistré.');
    res.redirect(303, `/forums/t/${topic.id}`);
  });

  router.post('/t/:id/reponses', 'authenticated', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    const draft = stringParam(req.body?.body, 10_000_000);
    try {
      const body = checkBody(ctx, draft);
      const created = await reply(ctx, req.user!, topic, body);
      if (created.state === 'pending') ctx.flash(req, 'warning', 'Votre réponse attend la validation d\'un modérateur : elle sera visible de tous après son accord.');
      const page = await pageOfPost(ctx.db, topic.id, created.postId, pageSize());
      res.redirect(303, postUrl(topic.id, page, created.postId));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      // The page comes back with the text in the reply box: nothing typed is lost.
      if (error.details.retryAfterSeconds) res.setHeader('Retry-After', String(error.details.retryAfterSeconds));
      req.query.page = String(Math.ceil(topic.postCount / pageSize()));
      await topicPage(req, res, topic, { draft, error });
    }
  });

  router.get('/p/:id', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    res.redirect(303, postUrl(topic.id, await pageOfPost(ctx.db, topic.id, post.id, pageSize()), post.id));
  });

  // « Citer » with JavaScript: the quote goes into the reply being written instead of replacing it.
  router.get('/p/:id/citation', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    if (post.state !== 'visible') throw notFound("Ce message n'est pas visible : il ne peut pas être cité.");
    if (topic.locked && !isModerator(ctx, req.user, topic)) throw new HttpError(409, 'Cette discussion est verrouillée : on ne peut plus y répondre.');
    const view = (await onePost(ctx, req.user!, post.id))!;
    res.json({ markdown: quoteOf(view, stringParam(req.query.extrait, ctx.settings.maxPostChars)) });
  });

  router.get('/p/:id/modifier', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    if (post.authorId !== req.user!.id && !isModerator(ctx, req.user, topic)) throw forbidden('Vous ne pouvez modifier que vos propres messages.');
    const isFirst = await isFirstPost(post.id, topic.id);
    await ctx.views.page(req, res, 'edit', { title: 'Modifier le message', maxChars: ctx.settings.maxPostChars, topic, post, body: post.body, version: post.version, titleValue: isFirst ? topic.title : null, conflict: null, error: null });
  });

  async function isFirstPost(postId: number, topicId: number): Promise<boolean> {
    const first = await ctx.db.selectFrom('forum_posts').select('id').where('topic_id', '=', topicId).orderBy('id').limit(1).executeTakeFirst();
    return first?.id === postId;
  }

  router.post('/p/:id/modifier', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    const moderator = isModerator(ctx, req.user, topic);
    if (post.authorId !== req.user!.id && !moderator) throw forbidden('Vous ne pouvez modifier que vos propres messages.');
    if (post.state === 'deleted') throw new HttpError(409, 'Ce message a été supprimé : il ne peut plus être modifié.');
    const isFirst = await isFirstPost(post.id, topic.id);
    const body = stringParam(req.body?.body, 10_000_000);
    const titleValue = isFirst ? stringParam(req.body?.title, 1000) : null;
    const version = Number(req.body?.version);
    const render = (status: number, locals: Record<string, unknown>) =>
      ctx.views.page(req, res, 'edit', { title: 'Modifier le message', maxChars: ctx.settings.maxPostChars, topic, post, body, version, titleValue, conflict: null, error: null, ...locals }, status);
    try {
      if (!Number.isInteger(version) || version < 1) throw badRequest('La version du message manque : rechargez la page de modification.', 'version');
      const checked = checkBody(ctx, body);
      const title = titleValue === null ? undefined : checkTitle(titleValue);
      await editPost(ctx, req.user!, post.id, { body: checked, version, title });
      if (post.authorId !== req.user!.id) {
        await ctx.audit({ action: 'forums.post.edit', req, targetType: 'forum_post', targetId: post.id, details: { topicId: topic.id, version } });
      }
      ctx.flash(req, 'success', 'Le message est modifié ; la version précédente reste dans son historique.');
      res.redirect(303, `/forums/p/${post.id}`);
    } catch (error) {
      if (error instanceof EditConflict) {
        // Both texts are shown: the one saved meanwhile and the one just typed, ready to send again on top of the new version.
        return render(409, { conflict: { html: ctx.markdown.render(error.current.body, { mentions: true }), body: error.current.body }, version: error.current.version });
      }
      if (error instanceof HttpError) return render(error.status, { error });
      throw error;
    }
  });

  router.get('/p/:id/historique', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    if (post.state === 'deleted' && !isModerator(ctx, req.user, topic)) throw new HttpError(404, "Ce message a été supprimé par son auteur.");
    const revisions = await ctx.db
      .selectFrom('forum_post_revisions as r')
      .leftJoin('users as u', 'u.id', 'r.edited_by')
      .select(['r.version', 'r.body', 'r.replaced_at', 'u.given_name', 'u.family_name'])
      .where('r.post_id', '=', post.id)
      .orderBy('r.version', 'desc')
      .execute();
    await ctx.views.page(req, res, 'history', {
      title: 'Historique du message', topic, post, currentHtml: ctx.markdown.render(post.body, { mentions: true }),
      // Newest first: each version is compared with the one that replaced it.
      revisions: revisions.map((r, i) => ({
        version: r.version, html: ctx.markdown.render(r.body, { mentions: true }), replacedAt: r.replaced_at, editor: r.given_name ? `${r.given_name} ${r.family_name}` : 'Compte supprimé',
        changes: revisionDiffHtml(r.body, i === 0 ? post.body : revisions[i - 1]!.body),
      })),
    });
  });

  router.post('/p/:id/supprimer', 'authenticated', async (req, res) => {
    const { post } = await readablePost(ctx, req.user!, idParam(req.params.id));
    await deleteOwnPost(ctx, req.user!, post);
    ctx.flash(req, 'success', 'Votre message est supprimé.');
    res.redirect(303, `/forums/p/${post.id}`);
  });

  // Who likes a post: the action bar only counts them (it is shared by readers).
  router.get('/p/:id/aime', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    const people = await ctx.db
      .selectFrom('forum_likes as l')
      .innerJoin('users as u', 'u.id', 'l.user_id')
      .select(['u.given_name', 'u.family_name'])
      .where('l.post_id', '=', post.id)
      .orderBy('u.family_name').orderBy('u.given_name')
      .execute();
    await ctx.views.page(req, res, 'likes', { title: 'Qui aime ce message', topic, post, people: people.map((p) => `${p.given_name} ${p.family_name}`) });
  });

  router.post('/p/:id/aimer', 'authenticated', async (req, res) => {
    const { post } = await readablePost(ctx, req.user!, idParam(req.params.id));
    await toggleLike(ctx, req.user!, post);
    res.redirect(303, `/forums/p/${post.id}`);
  });

  router.post('/p/:id/solution', 'authenticated', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    const solved = await toggleSolution(ctx, req.user!, post, topic);
    if (topic.authorId !== req.user!.id) {
      await ctx.audit({ action: solved ? 'forums.topic.solve' : 'forums.topic.unsolve', req, targetType: 'forum_topic', targetId: topic.id, details: { postId: post.id } });
    }
    ctx.flash(req, 'success', solved ? 'Cette réponse est marquée comme solution.' : "Cette réponse n'est plus marquée comme solution.");
    res.redirect(303, `/forums/t/${topic.id}`);
  });

  // The live preview: the same renderer as the published post.
  router.post('/apercu', 'authenticated', async (req, res) => {
    const body = typeof req.body?.body === 'string' ? req.body.body : '';
    if (body.length > ctx.settings.maxPostChars) throw new HttpError(413, `Le message est trop long : ${ctx.settings.maxPostChars} caractères au plus.`);
    res.json({ html: ctx.markdown.render(body, { mentions: true }) });
  });
}
