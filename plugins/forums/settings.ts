import { z } from 'zod';

/** Settings of the forums, read from PLUGIN_FORUMS_* environment variables. */
export const forumSettings = z.object({
  /** The académie whose départements get a category each (PLUGIN_FORUMS_ACADEMY). */
  academy: z.string().min(1).default('poitiers'),
  /** Posts per topic page (PLUGIN_FORUMS_PAGE_SIZE). */
  pageSize: z.coerce.number().int().min(5).max(200).default(50),
  /** Longest post, in characters (PLUGIN_FORUMS_MAX_POST_CHARS). */
  maxPostChars: z.coerce.number().int().min(100).max(200_000).default(20_000),
  /** Distinct @mentions allowed in one post (PLUGIN_FORUMS_MAX_MENTIONS). */
  maxMentions: z.coerce.number().int().min(0).max(100).default(10),
  /** Posts one person may publish per minute; moderators are not limited (PLUGIN_FORUMS_POSTS_PER_MINUTE). */
  postsPerMinute: z.coerce.number().int().min(1).max(10_000).default(5),
  /** Posts of people without any approved post wait for a moderator (PLUGIN_FORUMS_APPROVE_FIRST_POSTS). */
  approveFirstPosts: z.stringbool().default(false),
  /**
   * A search first looks among this many newest posts, and in the whole archive when they hold
   * less than a page of results or when the reader asks; 0 always searches everything
   * (PLUGIN_FORUMS_SEARCH_RECENT_POSTS). Those posts have a table of their own, refilled at a
   * start that brings another number: every process on one database must have the same.
   */
  searchRecentPosts: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
});

export type ForumSettings = z.output<typeof forumSettings>;
