-- Forums: categories, topics, posts with their edit history, likes, read marks, watches and flags.

create table forum_categories (
  id integer generated always as identity primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  title text not null,
  description text not null default '',
  -- academy: the whole académie; department: one département; theme: ENT, Pix, RGPD…
  kind text not null check (kind in ('academy', 'department', 'theme')),
  department_code text references departments (code),
  -- Roles that may read the category; empty means every signed-in person (and its feed is public).
  read_roles text[] not null default '{}',
  position integer not null default 0,
  created_at timestamptz not null default now()
);

create table forum_topics (
  id integer generated always as identity primary key,
  category_id integer not null references forum_categories (id),
  title text not null,
  author_id integer references users (id) on delete set null,
  is_question boolean not null default false,
  solved_post_id integer,
  locked boolean not null default false,
  pinned boolean not null default false,
  -- Posts of every state (pages show placeholders), the last one and its time: lists read them without counting.
  post_count integer not null default 0,
  last_post_id integer,
  last_post_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);
create index forum_topics_category on forum_topics (category_id, pinned desc, last_post_at desc);

create table forum_posts (
  id integer generated always as identity primary key,
  topic_id integer not null references forum_topics (id) on delete cascade,
  author_id integer references users (id) on delete set null,
  -- The topic's title, on its first post only, so that search finds titles with one index.
  heading text,
  body text not null,
  version integer not null default 1,
  -- visible | pending (awaiting approval) | hidden (by a moderator) | deleted (by its author)
  state text not null default 'visible' check (state in ('visible', 'pending', 'hidden', 'deleted')),
  like_count integer not null default 0,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  search tsvector generated always as (maillon_search_vector(heading, body)) stored
);
create index forum_posts_topic on forum_posts (topic_id, id);
create index forum_posts_author on forum_posts (author_id, created_at);
create index forum_posts_search on forum_posts using gin (search);
alter table forum_topics add constraint forum_topics_solved foreign key (solved_post_id) references forum_posts (id) on delete set null;

-- Every earlier text of an edited post, with who replaced it.
create table forum_post_revisions (
  id integer generated always as identity primary key,
  post_id integer not null references forum_posts (id) on delete cascade,
  version integer not null,
  body text not null,
  edited_by integer references users (id) on delete set null,
  replaced_at timestamptz not null default now(),
  unique (post_id, version)
);

create table forum_likes (
  post_id integer not null references forum_posts (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (post_id, user_id)
);

-- The last post id a person has seen in a topic: unread topics and the first unread post.
create table forum_reads (
  user_id integer not null references users (id) on delete cascade,
  topic_id integer not null references forum_topics (id) on delete cascade,
  last_post_id integer not null,
  primary key (user_id, topic_id)
);

-- watch: notified of new posts; mute: never notified, even when watching the category.
create table forum_watches (
  user_id integer not null references users (id) on delete cascade,
  category_id integer references forum_categories (id) on delete cascade,
  topic_id integer references forum_topics (id) on delete cascade,
  level text not null check (level in ('watch', 'mute')),
  check ((category_id is null) <> (topic_id is null))
);
create unique index forum_watches_category on forum_watches (user_id, category_id) where category_id is not null;
create unique index forum_watches_topic on forum_watches (user_id, topic_id) where topic_id is not null;
create index forum_watches_topic_lookup on forum_watches (topic_id) where topic_id is not null;
create index forum_watches_category_lookup on forum_watches (category_id) where category_id is not null;

create table forum_flags (
  id integer generated always as identity primary key,
  post_id integer not null references forum_posts (id) on delete cascade,
  user_id integer references users (id) on delete set null,
  reason text not null,
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by integer references users (id) on delete set null,
  resolution text
);
create unique index forum_flags_open on forum_flags (post_id, user_id) where resolved_at is null;
