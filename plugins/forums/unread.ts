import { sql } from 'kysely';
import type { DB } from '../../server/db/schema.js';

/*
 * Unread topics are those whose last post is newer than the person's read mark (a topic never
 * opened counts as unread), minus what they muted: a mute on the topic wins over its
 * category's choice, as for notifications, and a muted category keeps its topics out unless
 * one of them is followed. Queries that count or list them join, on topic `t`, the reader's
 * read mark `r`, watch of the topic `wt` and watch of its category `wc`.
 */
export const unreadSql = sql<boolean>`(t.last_post_id > coalesce(r.last_post_id, 0) and coalesce(wt.level, wc.level) is distinct from 'mute')`;

/** Marks every topic of these categories read up to its last post, in one statement. */
export async function markCategoriesRead(db: DB, userId: number, categoryIds: number[]): Promise<void> {
  if (!categoryIds.length) return;
  await sql`
    insert into forum_reads (user_id, topic_id, last_post_id)
    select ${userId}::int, t.id, t.last_post_id from forum_topics t
    left join forum_reads r on r.topic_id = t.id and r.user_id = ${userId}::int
    where t.category_id = any(${`{${categoryIds.join(',')}}`}::int[]) and t.last_post_id > coalesce(r.last_post_id, 0)
    on conflict (user_id, topic_id) do update set last_post_id = greatest(forum_reads.last_post_id, excluded.last_post_id)`.execute(db);
}
