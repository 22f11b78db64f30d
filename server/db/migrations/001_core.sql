-- Core schema: places, people, sessions, audit, plugins and content packs.

create table app_state (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

create table academies (
  code text primary key,
  name text not null,
  region text not null
);

create table departments (
  code text primary key,
  name text not null,
  academy_code text not null references academies (code),
  uai_prefix text not null unique check (uai_prefix ~ '^[0-9]{3}$')
);
create index departments_academy on departments (academy_code);

create table establishments (
  uai text primary key check (uai ~ '^[0-9]{7}[A-Z]$'),
  name text not null,
  kind text not null default '',
  city text not null default '',
  department_code text not null references departments (code),
  created_at timestamptz not null default now()
);
create index establishments_department on establishments (department_code);

create table users (
  id integer generated always as identity primary key,
  -- Not unique on purpose: the same address coming from two identity providers is two
  -- accounts until an admin decides otherwise.
  email text not null,
  given_name text not null default '',
  family_name text not null default '',
  academy_code text references academies (code),
  department_code text references departments (code),
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz
);
create index users_email on users (lower(email));
create index users_department on users (department_code);
create index users_name on users (lower(family_name), lower(given_name));

create table user_roles (
  user_id integer not null references users (id) on delete cascade,
  role text not null check (role in ('rupn', 'enseignant', 'chef', 'dane', 'admin')),
  granted_at timestamptz not null default now(),
  granted_by integer references users (id) on delete set null,
  primary key (user_id, role)
);
create index user_roles_role on user_roles (role);

create table user_establishments (
  user_id integer not null references users (id) on delete cascade,
  uai text not null references establishments (uai),
  function text,
  is_primary boolean not null default false,
  primary key (user_id, uai)
);
create index user_establishments_uai on user_establishments (uai);

create table user_identities (
  provider text not null,
  subject text not null,
  user_id integer not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_login_at timestamptz,
  primary key (provider, subject)
);
create index user_identities_user on user_identities (user_id);

create table sessions (
  sid text primary key,
  data jsonb not null,
  user_id integer references users (id) on delete cascade,
  expires_at timestamptz not null
);
create index sessions_expires on sessions (expires_at);
create index sessions_user on sessions (user_id);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_id integer references users (id) on delete set null,
  action text not null,
  target_type text,
  target_id text,
  ip text,
  details jsonb not null default '{}'
);
create index audit_log_at on audit_log (at desc);
create index audit_log_action on audit_log (action, at desc);

create table plugins (
  name text primary key,
  version text not null,
  installed_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table content_packs (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]*$'),
  title text not null,
  version text not null,
  description text not null default '',
  checksum text not null,
  source text not null,
  manifest jsonb not null,
  installed_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table content_modules (
  pack_id text not null references content_packs (id) on delete cascade,
  module_id text not null,
  position integer not null,
  title text not null,
  summary text not null default '',
  themes jsonb not null default '[]',
  competences jsonb not null default '[]',
  requires jsonb not null default '[]',
  duration_minutes integer,
  lessons jsonb not null,
  quiz jsonb,
  resources jsonb not null default '[]',
  completion jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (pack_id, module_id)
);

-- The last validation of each pack source, valid or not, so the admin sees why a pack is refused.
create table content_pack_reports (
  source text primary key,
  pack_id text,
  state text not null check (state in ('valid', 'invalid')),
  version text,
  errors jsonb not null default '[]',
  checked_at timestamptz not null default now()
);
