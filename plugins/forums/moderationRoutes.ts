import type { Request } from 'express';
import { sql } from 'kysely';
import type { SessionUser } from '../../server/auth/sessionUser.js';
import type { DB } from '../../server/db/schema.js';
import type { GuardedRouter } from '../../server/plugins/router.js';
import { HttpError, badRequest, conflict, forbidden } from '../../server/web/errors.js';
import { idParam, stringParam } from '../../server/web/validate.js';
import { isModerator, type Ctx, type ModerationScope } from './access.js';
import { readableCategories, readableCategory } from './categories.js';
import { checkTitle, mentionedHandles, readablePost, readableTopic } from './posting.js';
import { flagUrl, notifyAuthorOfModeration, notifyFlag, notifyNewPost } from './notify.js';
import { onePost, postsQuery, toPostView } from './topicPage.js';

/** The categories whose queue a moderator works: those they read and moderate ([0] for none, so `in` stays valid). */
async function moderatedCategoryIds(ctx: Ctx, user: SessionUser): Promise<number[]> {
  const ids = (await readableCategories(ctx.db, user)).filter((c) => isModerator(ctx, user, c)).map((c) => c.id);
  return ids.length ? ids : [0];
}

// The queue and its count on the forums' index filter alike.
const openFlags = (db: DB, categoryIds: number[]) =>
  db.selectFrom('forum_flags as f').innerJoin('forum_posts as p', 'p.id', 'f.post_id').where('f.resolved_at', 'is', null).where('p.category_id', 'in', categoryIds);

/** How many open flags and pending posts wait for this person; null for someone who moderates nowhere. */
export async function moderationQueueCount(ctx: Ctx, user: SessionUser | undefined): Promise<number | null> {
  if (!user || !isModerator(ctx, user)) return null;
  const ids = await moderatedCategoryIds(ctx, user);
  const flags = await openFlags(ctx.db, ids).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const pending = await ctx.db
    .selectFrom('forum_posts as p')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('p.state', '=', 'pending')
    .where('p.category_id', 'in', ids)
    .executeTakeFirstOrThrow();
  return Number(flags.n) + Number(pending.n);
}

/** Where a moderation action ends: back in the queue when it came from there (a fixed path, never a URL from the form). */
const fromQueue = (req: Request) => req.body?.back === 'queue';

/** Flags by anyone; the queue and every moderation action for forums:moderate, each written to the audit log. */
export function moderationRoutes(router: GuardedRouter, ctx: Ctx): void {
  // The route's capability says the person moderates somewhere; this says here.
  const assertModerates = (user: Express.User | undefined, scope: ModerationScope) => {
    if (!isModerator(ctx, user, scope)) throw forbidden('Cette catégorie est modérée par la DANE de son département : vous ne pouvez pas y agir.');
  };

  /** The post to flag, readable and someone else's, still visible. */
  async function flaggable(user: Express.User, postId: number) {
    const { post, topic } = await readablePost(ctx, user, postId);
    if (post.authorId === user.id) throw forbidden('Vous ne pouvez pas signaler votre propre message : modifiez-le ou supprimez-le.');
    if (post.state !== 'visible') throw conflict("Ce message n'est plus visible : il n'y a rien à signaler.");
    return { post: (await onePost(ctx, user, post.id))!, topic };
  }

  /** The person's own flag of this post still waiting for the moderators, if any. */
  const openFlagOf = (userId: number, postId: number) =>
    ctx.db.selectFrom('forum_flags').select(['created_at as createdAt', 'reason']).where('post_id', '=', postId).where('user_id', '=', userId).where('resolved_at', 'is', null).executeTakeFirst();

  // Flagging is rare: its form lives on a page of its own rather than under every post.
  router.get('/p/:id/signaler', 'authenticated', async (req, res) => {
    const { post, topic } = await flaggable(req.user!, idParam(req.params.id));
    const already = await openFlagOf(req.user!.id, post.id);
    await ctx.views.page(req, res, 'report', { title: already ? 'Message déjà signalé' : 'Signaler un message', topic, post, already: already ?? null, reason: '', error: null });
  });

  router.post('/p/:id/signaler', 'authenticated', async (req, res) => {
    const { post, topic } = await flaggable(req.user!, idParam(req.params.id));
    // A refused reason comes back as typed (up to 20,000 characters); a stored one has its spaces collapsed.
    const typed = stringParam(req.body?.reason, 20_000);
    const reason = typed.replace(/\s+/g, ' ').trim();
    try {
      if (reason.length < 3) throw new HttpError(422, 'Indiquez la raison du signalement (3 caractères au moins).', { field: 'reason' });
      if (reason.length > 500) throw new HttpError(413, 'La raison du signalement doit compter au plus 500 caractères.', { field: 'reason' });
    } catch (error) {
      // The page comes back with what was typed, and says what to change.
      return ctx.views.page(req, res, 'report', { title: 'Signaler un message', topic, post, already: null, reason: typed, error }, (error as HttpError).status);
    }
    const inserted = await ctx.db.transaction().execute(async (trx) => {
      const flag = await trx
        .insertInto('forum_flags')
        .values({ post_id: post.id, user_id: req.user!.id, reason })
        .onConflict((oc) => oc.columns(['post_id', 'user_id']).where('resolved_at', 'is', null).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (flag) await notifyFlag(ctx, trx, { flagId: flag.id, topic, reporter: req.user!, reason });
      return flag;
    });
    if (!inserted) {
      // A second tab or a double click: the page says when the first flag was made.
      const already = await openFlagOf(req.user!.id, post.id);
      const error = conflict('Vous avez déjà signalé ce message : les modérateurs vont l\'examiner, inutile de le signaler de nouveau.');
      return ctx.views.page(req, res, 'report', { title: 'Message déjà signalé', topic, post, already: already ?? null, reason: typed, error }, error.status);
    }
    ctx.jobs.nudge();
    ctx.flash(req, 'success', 'Merci : le message est signalé aux modérateurs.');
    res.redirect(303, `/forums/p/${post.id}`);
  });

  router.get('/moderation', 'forums:moderate', async (req, res) => {
    const ids = await moderatedCategoryIds(ctx, req.user!);
    const flags = await openFlags(ctx.db, ids)
      .innerJoin('forum_topics as t', 't.id', 'p.topic_id')
      .innerJoin('forum_categories as c', 'c.id', 'p.category_id')
      .leftJoin('users as u', 'u.id', 'f.user_id')
      .leftJoin('users as a', 'a.id', 'p.author_id')
      .select([
        'f.id', 'f.reason', 'f.created_at', 'f.post_id', 'p.state', 'p.body', 't.title as topic_title', 't.id as topic_id', 'c.title as category_title', 'c.slug as category_slug',
        'u.given_name', 'u.family_name', 'a.given_name as author_given_name', 'a.family_name as author_family_name',
      ])
      .orderBy('f.created_at')
      .limit(200)
      .execute();
    const pending = await postsQuery(ctx.db, req.user!.id)
      .innerJoin('forum_topics as t', 't.id', 'p.topic_id')
      .innerJoin('forum_categories as c', 'c.id', 'p.category_id')
      .select(['t.title as topic_title', 'c.title as category_title', 'c.slug as category_slug'])
      .where('p.state', '=', 'pending')
      .where('p.category_id', 'in', ids)
      .orderBy('p.id')
      .limit(200)
      .execute();
    const nameOf = (given: string | null, family: string | null) => (given ? `${given} ${family}` : 'Compte supprimé');
    await ctx.views.page(req, res, 'moderation', {
      title: 'File de modération',
      flags: flags.map((f) => ({
        ...f,
        html: ctx.markdown.render(f.body),
        flagger: nameOf(f.given_name, f.family_name),
        authorName: nameOf(f.author_given_name, f.author_family_name),
      })),
      pending: pending.map((r) => ({ ...toPostView(ctx, r), topicTitle: r.topic_title, categoryTitle: r.category_title, categorySlug: r.category_slug })),
    });
  });

  router.post('/signalements/:id/classer', 'forums:moderate', async (req, res) => {
    const id = idParam(req.params.id);
    const flag = await ctx.db.selectFrom('forum_flags').select(['id', 'post_id']).where('id', '=', id).where('resolved_at', 'is', null).executeTakeFirst();
    if (!flag) throw conflict('Ce signalement est déjà traité.');
    const { topic } = await readablePost(ctx, req.user!, flag.post_id);
    assertModerates(req.user, topic);
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('forum_flags').set({ resolved_at: new Date(), resolved_by: req.user!.id, resolution: 'dismissed' }).where('id', '=', id).execute();
      // Settled: the other moderators' notices of it would lead to an empty queue.
      await ctx.notifications.withdraw(flagUrl(id), { trx });
    });
    await ctx.audit({ action: 'forums.flag.dismiss', req, targetType: 'forum_post', targetId: flag.post_id, details: { flagId: id } });
    ctx.flash(req, 'success', 'Signalement classé sans suite.');
    res.redirect(303, '/forums/moderation');
  });

  router.post('/p/:id/masquer', 'forums:moderate', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    assertModerates(req.user, topic);
    if (post.state === 'deleted') throw conflict('Ce message a été supprimé par son auteur.');
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('forum_posts').set({ state: 'hidden' }).where('id', '=', post.id).execute();
      const settled = await trx.updateTable('forum_flags').set({ resolved_at: new Date(), resolved_by: req.user!.id, resolution: 'hidden' })
        .where('post_id', '=', post.id).where('resolved_at', 'is', null).returning(['id', 'reason']).execute();
      for (const flag of settled) await ctx.notifications.withdraw(flagUrl(flag.id), { trx });
      if (topic.solvedPostId === post.id) await trx.updateTable('forum_topics').set({ solved_post_id: null }).where('id', '=', topic.id).execute();
      // What was hidden must not stay readable in the bells and digests it reached.
      await ctx.notifications.withdraw(`/forums/p/${post.id}`, { trx });
      if (post.state !== 'hidden') {
        await notifyAuthorOfModeration(ctx, trx, {
          postId: post.id, authorId: post.authorId, moderatorId: req.user!.id, topicTitle: topic.title,
          action: post.state === 'pending' ? 'refused' : 'hidden', reasons: settled.map((f) => f.reason),
        });
      }
    });
    await ctx.audit({ action: 'forums.post.hide', req, targetType: 'forum_post', targetId: post.id, details: { topicId: topic.id, previousState: post.state } });
    ctx.flash(req, 'success', post.state === 'pending' ? 'Le message est refusé et reste masqué.' : 'Le message est masqué.');
    res.redirect(303, fromQueue(req) ? '/forums/moderation' : `/forums/p/${post.id}`);
  });

  // Approves a pending post or shows a hidden one again.
  router.post('/p/:id/publier', 'forums:moderate', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    assertModerates(req.user, topic);
    if (post.state !== 'pending' && post.state !== 'hidden') throw conflict('Ce message est déjà visible, ou a été supprimé par son auteur.');
    // Read outside the transaction: the core's user loader has its own connection.
    const author = post.state === 'pending' && post.authorId ? await ctx.users.byId(post.authorId) : null;
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('forum_posts').set({ state: 'visible' }).where('id', '=', post.id).execute();
      await notifyAuthorOfModeration(ctx, trx, {
        postId: post.id, authorId: post.authorId, moderatorId: req.user!.id, topicTitle: topic.title, action: post.state === 'pending' ? 'approved' : 'restored',
      });
      if (author) {
        const first = await trx.selectFrom('forum_posts').select(sql<number>`min(id)`.as('id')).where('topic_id', '=', topic.id).executeTakeFirstOrThrow();
        await notifyNewPost(ctx, trx, { postId: post.id, topicId: topic.id, author, handles: mentionedHandles(post.body), isNewTopic: first.id === post.id });
      }
    });
    ctx.jobs.nudge();
    await ctx.audit({ action: post.state === 'pending' ? 'forums.post.approve' : 'forums.post.unhide', req, targetType: 'forum_post', targetId: post.id, details: { topicId: topic.id } });
    ctx.flash(req, 'success', post.state === 'pending' ? 'Le message est approuvé et visible de tous.' : 'Le message est de nouveau visible.');
    res.redirect(303, fromQueue(req) ? '/forums/moderation' : `/forums/p/${post.id}`);
  });

  router.post('/t/:id/verrouiller', 'forums:moderate', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    assertModerates(req.user, topic);
    await ctx.db.updateTable('forum_topics').set({ locked: !topic.locked }).where('id', '=', topic.id).execute();
    await ctx.audit({ action: topic.locked ? 'forums.topic.unlock' : 'forums.topic.lock', req, targetType: 'forum_topic', targetId: topic.id });
    ctx.flash(req, 'success', topic.locked ? 'La discussion est rouverte.' : 'La discussion est verrouillée.');
    res.redirect(303, `/forums/t/${topic.id}`);
  });

  router.post('/t/:id/epingler', 'forums:moderate', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    assertModerates(req.user, topic);
    await ctx.db.updateTable('forum_topics').set({ pinned: !topic.pinned }).where('id', '=', topic.id).execute();
    await ctx.audit({ action: topic.pinned ? 'forums.topic.unpin' : 'forums.topic.pin', req, targetType: 'forum_topic', targetId: topic.id });
    ctx.flash(req, 'success', topic.pinned ? 'La discussion n\'est plus épinglée.' : 'La discussion est épinglée en tête de sa catégorie.');
    res.redirect(303, `/forums/t/${topic.id}`);
  });

  router.post('/t/:id/deplacer', 'forums:moderate', async (req, res) => {
    const topic = await readableTopic(ctx.db, req.user, idParam(req.params.id));
    assertModerates(req.user, topic);
    const targetId = Number(req.body?.category);
    if (!Number.isInteger(targetId)) throw badRequest('Choisissez la catégorie de destination.', 'category');
    const target = await readableCategory(ctx.db, req.user, { id: targetId });
    assertModerates(req.user, target);
    await ctx.db.updateTable('forum_topics').set({ category_id: target.id }).where('id', '=', topic.id).execute();
    await ctx.audit({ action: 'forums.topic.move', req, targetType: 'forum_topic', targetId: topic.id, details: { from: topic.categorySlug, to: target.slug } });
    ctx.flash(req, 'success', `La discussion est déplacée dans « ${target.title} ».`);
    res.redirect(303, `/forums/t/${topic.id}`);
  });

  // Splits a topic: this post and every later one start a new topic in the same category.
  router.post('/p/:id/scinder', 'forums:moderate', async (req, res) => {
    const { post, topic } = await readablePost(ctx, req.user!, idParam(req.params.id));
    assertModerates(req.user, topic);
    const title = checkTitle(req.body?.title);
    const newId = await ctx.db.transaction().execute(async (trx) => {
      const first = await trx.selectFrom('forum_posts').select(sql<number>`min(id)`.as('id')).where('topic_id', '=', topic.id).executeTakeFirstOrThrow();
      if (first.id === post.id) throw conflict('Le premier message ne peut pas être détaché de sa discussion : déplacez plutôt la discussion.');
      await trx.selectFrom('forum_topics').select('id').where('id', '=', topic.id).forUpdate().execute();
      const created = await trx.insertInto('forum_topics').values({ category_id: topic.categoryId, title, author_id: post.authorId }).returning('id').executeTakeFirstOrThrow();
      await trx.updateTable('forum_posts').set({ topic_id: created.id }).where('topic_id', '=', topic.id).where('id', '>=', post.id).execute();
      await trx.updateTable('forum_posts').set({ heading: title }).where('id', '=', post.id).execute();
      if (topic.solvedPostId && topic.solvedPostId >= post.id) await trx.updateTable('forum_topics').set({ solved_post_id: null }).where('id', '=', topic.id).execute();
      // Both topics' counters come from their posts again.
      for (const id of [topic.id, created.id]) {
        await trx
          .updateTable('forum_topics')
          .set({
            post_count: sql<number>`(select count(*) from forum_posts where topic_id = ${id})`,
            last_post_id: sql<number>`(select max(id) from forum_posts where topic_id = ${id})`,
            last_post_at: sql<Date>`(select max(created_at) from forum_posts where topic_id = ${id})`,
          })
          .where('id', '=', id)
          .execute();
      }
      return created.id;
    });
    await ctx.audit({ action: 'forums.topic.split', req, targetType: 'forum_topic', targetId: topic.id, details: { fromPostId: post.id, newTopicId: newId } });
    ctx.flash(req, 'success', `Les messages sont déplacés dans la nouvelle discussion « ${title} ».`);
    res.redirect(303, `/forums/t/${newId}`);
  });
}
