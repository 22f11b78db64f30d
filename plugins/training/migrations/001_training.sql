-- Training: paths of modules, cohorts, enrolments, what each learner did, badges.
-- Everything a learner did on a module references content_modules (pack_id, module_id) with
-- ON DELETE CASCADE: a pack update keeps it while the module exists and drops it with the module.

create table training_paths (
  id integer generated always as identity primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  title text not null,
  description text not null default '',
  -- The path seeded from the packs named in the settings; its modules follow those packs
  -- while auto_sync holds, until a DANE member edits its list.
  is_default boolean not null default false,
  auto_sync boolean not null default false,
  created_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index training_paths_one_default on training_paths (is_default) where is_default;

create table training_path_modules (
  path_id integer not null references training_paths (id) on delete cascade,
  pack_id text not null,
  module_id text not null,
  position integer not null,
  optional boolean not null default false,
  primary key (path_id, pack_id, module_id),
  foreign key (pack_id, module_id) references content_modules (pack_id, module_id) on delete cascade
);
create index training_path_modules_module on training_path_modules (pack_id, module_id);

-- New RUPNs of a school year, in an académie or a département, follow a path.
create table training_cohorts (
  id integer generated always as identity primary key,
  path_id integer not null references training_paths (id) on delete cascade,
  school_year integer not null check (school_year between 2000 and 2100),
  academy_code text references academies (code),
  department_code text references departments (code),
  created_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  check ((academy_code is null) <> (department_code is null))
);
create unique index training_cohorts_scope on training_cohorts (school_year, coalesce(academy_code, ''), coalesce(department_code, ''));

-- Who follows which path, with a summary kept up to date on every step so that the DANE
-- follow-up reads one row per learner instead of every lesson and attempt.
create table training_enrolments (
  user_id integer not null references users (id) on delete cascade,
  path_id integer not null references training_paths (id) on delete cascade,
  cohort_id integer references training_cohorts (id) on delete set null,
  enrolled_at timestamptz not null default now(),
  started_at timestamptz,
  last_activity_at timestamptz,
  required_count integer not null default 0,
  completed_count integer not null default 0,
  -- First required module not completed yet, in path order: where the learner stands.
  current_pack_id text,
  current_module_id text,
  completed_at timestamptz,
  primary key (user_id, path_id)
);
create index training_enrolments_path on training_enrolments (path_id, completed_at);

create table training_module_progress (
  user_id integer not null references users (id) on delete cascade,
  pack_id text not null,
  module_id text not null,
  started_at timestamptz not null default now(),
  last_lesson_id text,
  last_seen_at timestamptz not null default now(),
  attempts integer not null default 0,
  best_score integer,
  passed_at timestamptz,
  completed_at timestamptz,
  primary key (user_id, pack_id, module_id),
  foreign key (pack_id, module_id) references content_modules (pack_id, module_id) on delete cascade
);
create index training_module_progress_recent on training_module_progress (user_id, last_seen_at desc);
create index training_module_progress_module on training_module_progress (pack_id, module_id);

create table training_lesson_views (
  user_id integer not null references users (id) on delete cascade,
  pack_id text not null,
  module_id text not null,
  lesson_id text not null,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (user_id, pack_id, module_id, lesson_id),
  foreign key (pack_id, module_id) references content_modules (pack_id, module_id) on delete cascade
);
create index training_lesson_views_module on training_lesson_views (pack_id, module_id);

create table training_quiz_attempts (
  id integer generated always as identity primary key,
  user_id integer not null references users (id) on delete cascade,
  pack_id text not null,
  module_id text not null,
  score integer not null check (score between 0 and 100),
  pass_mark integer not null,
  passed boolean not null,
  -- Each question's given answer, whether it was right and its share of the score.
  answers jsonb not null,
  submitted_at timestamptz not null default now(),
  foreign key (pack_id, module_id) references content_modules (pack_id, module_id) on delete cascade
);
create index training_quiz_attempts_learner on training_quiz_attempts (user_id, pack_id, module_id);
create index training_quiz_attempts_module on training_quiz_attempts (pack_id, module_id);

-- Open Badges 2.0 assertions: one per learner and completed path, hosted at a stable URL.
create table training_badges (
  id uuid primary key,
  user_id integer not null references users (id) on delete cascade,
  path_id integer not null references training_paths (id) on delete restrict,
  recipient_salt text not null,
  recipient_hash text not null,
  issued_at timestamptz not null default now(),
  revoked_at timestamptz,
  revocation_reason text,
  unique (user_id, path_id)
);
