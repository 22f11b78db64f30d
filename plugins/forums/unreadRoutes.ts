import { sql } from 'kysely';
import type { GuardedRouter } from '../../server/plugins/router.js';
import { pageParam } from '../../server/web/validate.js';
import type { Ctx } from './access.js';
import { readableCategories } from './categories.js';
import { listedForSql } from './posting.js';
import { markCategoriesRead, unreadSql } from './unread.js';

const PAGE_SIZE = 30;

/** « Non lus »: what is new in every category one may read, newest first, and marking it all read. */
export function unreadRoutes(router: GuardedRouter, ctx: Ctx): void {
  router.get('/non-lus', 'authenticated', async (req, res) => {
    const userId = req.user!.id;
    const categories = await readableCategories(ctx.db, req.user);
    const page = pageParam(req.query.page);
    const topics = categories.length
      ? await ctx.db
        .selectFrom('forum_topics as t')
        .innerJoin('forum_categories as c', 'c.id', 't.category_id')
        .leftJoin('users as u', 'u.id', 't.author_id')
        .leftJoin('forum_reads as r', (j) => j.onRef('r.topic_id', '=', 't.id').on('r.user_id', '=', userId))
        .leftJoin('forum_watches as wt', (j) => j.onRef('wt.topic_id', '=', 't.id').on('wt.user_id', '=', userId))
        .leftJoin('forum_watches as wc', (j) => j.onRef('wc.category_id', '=', 't.category_id').on('wc.user_id', '=', userId))
        .select(['t.id', 't.title', 't.is_question', 't.solved_post_id', 't.post_count', 't.last_post_at', 'c.slug as category_slug', 'c.title as category_title',
          'u.given_name', 'u.family_name', sql<boolean>`r.user_id is not null`.as('seen')])
        .where('t.category_id', 'in', categories.map((c) => c.id))
        .where(unreadSql)
        .where(listedForSql(userId))
        .orderBy('t.last_post_at', 'desc').orderBy('t.id', 'desc')
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        .execute()
      : [];
    await ctx.views.page(req, res, 'unread', { title: 'Discussions non lues', topics: topics.slice(0, PAGE_SIZE), page, hasNext: topics.length > PAGE_SIZE });
  });

  router.post('/non-lus/lu', 'authenticated', async (req, res) => {
    const categories = await readableCategories(ctx.db, req.user);
    await markCategoriesRead(ctx.db, req.user!.id, categories.map((c) => c.id));
    ctx.flash(req, 'success', 'Toutes les discussions sont marquées comme lues.');
    res.redirect(303, '/forums/non-lus');
  });
}
