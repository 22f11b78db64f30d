import type { ColumnType, Generated } from 'kysely';

/** The forums' tables (migrations/001_forums.sql), merged into the one typed schema. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type CategoryKind = 'academy' | 'department' | 'theme';
export type PostState = 'visible' | 'pending' | 'hidden' | 'deleted';
export type WatchLevel = 'watch' | 'mute';

declare module '../../server/db/schema.js' {
  interface Schema {
    forum_categories: {
      id: Generated<number>;
      slug: string;
      title: string;
      description: string;
      kind: CategoryKind;
      department_code: string | null;
      read_roles: ColumnType<string[], string[] | undefined, string[]>;
      position: number;
      created_at: Timestamp;
    };
    forum_topics: {
      id: Generated<number>;
      category_id: number;
      title: string;
      author_id: number | null;
      is_question: ColumnType<boolean, boolean | undefined, boolean>;
      solved_post_id: number | null;
      locked: ColumnType<boolean, boolean | undefined, boolean>;
      pinned: ColumnType<boolean, boolean | undefined, boolean>;
      post_count: ColumnType<number, number | undefined, number>;
      last_post_id: number | null;
      last_post_at: Timestamp;
      created_at: Timestamp;
    };
    forum_posts: {
      id: Generated<number>;
      topic_id: number;
      /** The topic's category, set by a trigger (migration 002). */
      category_id: Generated<number>;
      author_id: number | null;
      heading: string | null;
      body: string;
      version: ColumnType<number, number | undefined, number>;
      state: ColumnType<PostState, PostState | undefined, PostState>;
      like_count: ColumnType<number, number | undefined, number>;
      created_at: Timestamp;
      edited_at: Date | null;
    };
    /** The newest posts' search vectors (migration 003), kept by triggers; `forum_search_window` says how many. */
    forum_search_recent: {
      id: number;
      state: PostState;
      category_id: number;
      search: unknown;
    };
    forum_search_window: {
      only_row: Generated<boolean>;
      posts: number;
    };
    forum_post_revisions: {
      id: Generated<number>;
      post_id: number;
      version: number;
      body: string;
      edited_by: number | null;
      replaced_at: Timestamp;
    };
    forum_likes: { post_id: number; user_id: number; created_at: Timestamp };
    forum_reads: { user_id: number; topic_id: number; last_post_id: number };
    forum_watches: { user_id: number; category_id: number | null; topic_id: number | null; level: WatchLevel };
    forum_flags: {
      id: Generated<number>;
      post_id: number;
      user_id: number | null;
      reason: string;
      created_at: Timestamp;
      resolved_at: Date | null;
      resolved_by: number | null;
      resolution: string | null;
    };
  }
}
