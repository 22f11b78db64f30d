-- Shared core services: background jobs, the mail outbox, notifications, uploaded files and
-- French full-text search.

-- Jobs: durable background work. A job is claimed with FOR UPDATE SKIP LOCKED and a lease
-- (locked_until) so several processes share the queue and a crashed worker's job comes back.
create table jobs (
  id bigint generated always as identity primary key,
  kind text not null,
  payload jsonb not null default '{}',
  state text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
  -- Enqueueing twice with the same key is a no-op for as long as the job row is kept.
  unique_key text unique,
  run_at timestamptz not null default now(),
  attempts integer not null default 0,
  max_attempts integer not null default 5 check (max_attempts >= 1),
  last_error text,
  locked_by text,
  locked_until timestamptz,
  progress_done integer,
  progress_total integer,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create index jobs_ready on jobs (kind, run_at, id) where state = 'queued';
create index jobs_leases on jobs (locked_until) where state = 'running';
create index jobs_state on jobs (state, updated_at desc);

-- Every e-mail goes through the outbox and is sent (or, without SMTP_URL, kept) by a job.
create table mail_outbox (
  id bigint generated always as identity primary key,
  to_address text not null,
  user_id integer references users (id) on delete set null,
  subject text not null,
  html text not null,
  text text not null,
  headers jsonb not null default '{}',
  -- The list a mail belongs to (newsletter, a notification kind): its unsubscribe link.
  list text,
  state text not null default 'queued' check (state in ('queued', 'sent', 'kept', 'failed')),
  attempts integer not null default 0,
  last_error text,
  message_id text not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index mail_outbox_recent on mail_outbox (created_at desc);
create index mail_outbox_state on mail_outbox (state, created_at desc);
create index mail_outbox_user on mail_outbox (user_id);

create table mail_unsubscribes (
  email text not null,
  list text not null,
  user_id integer references users (id) on delete cascade,
  at timestamptz not null default now(),
  primary key (email, list)
);

-- In-app notifications; digest_pending marks those waiting for the daily e-mail summary.
create table notifications (
  id bigint generated always as identity primary key,
  user_id integer not null references users (id) on delete cascade,
  kind text not null,
  title text not null,
  body text not null default '',
  url text,
  created_at timestamptz not null default now(),
  read_at timestamptz,
  digest_pending boolean not null default false
);
create index notifications_user on notifications (user_id, created_at desc);
create index notifications_unread on notifications (user_id) where read_at is null;
create index notifications_digest on notifications (user_id) where digest_pending;

create table notification_preferences (
  user_id integer not null references users (id) on delete cascade,
  kind text not null,
  email text not null check (email in ('immediate', 'daily', 'never')),
  updated_at timestamptz not null default now(),
  primary key (user_id, kind)
);

-- Uploaded files; the bytes live under DATA_DIR/files, named by their SHA-256.
create table files (
  id text primary key check (id ~ '^[A-Za-z0-9_-]{16,64}$'),
  owner text not null,
  user_id integer references users (id) on delete set null,
  name text not null,
  mime text not null,
  category text not null check (category in ('image', 'document')),
  size integer not null check (size >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now()
);
create index files_sha256 on files (sha256);
create index files_owner on files (owner, created_at desc);

-- French full-text search that forgives accents: « ecole » finds « École », and French
-- stemming makes « enseignants » find « enseignant ». Without the unaccent extension (a
-- PostgreSQL server where it cannot be installed) the configuration is plain French.
do $$
begin
  create text search configuration maillon_fr (copy = french);
  if exists (select 1 from pg_ts_dict where dictname = 'unaccent') then
    alter text search configuration maillon_fr
      alter mapping for hword, hword_part, word with unaccent, french_stem;
  end if;
end
$$;

-- For plugin migrations: a weighted search vector (A, B, C) that can feed a generated column:
--   search tsvector generated always as (maillon_search_vector(title, body)) stored
create function maillon_search_vector(a text, b text default '', c text default '')
returns tsvector
language sql immutable parallel safe
as $$
  select setweight(to_tsvector('maillon_fr'::regconfig, coalesce(a, '')), 'A')
      || setweight(to_tsvector('maillon_fr'::regconfig, coalesce(b, '')), 'B')
      || setweight(to_tsvector('maillon_fr'::regconfig, coalesce(c, '')), 'C')
$$;
