-- The RUPN mission: designations by the chef d'établissement, lettres de mission per school
-- year with one line per referent, and their acknowledgements.

-- A designation is active while ended_on is null; a person holds at most one active
-- designation per establishment (several establishments are possible).
create table mission_designations (
  id integer generated always as identity primary key,
  user_id integer not null references users (id) on delete cascade,
  uai text not null references establishments (uai) on delete cascade,
  started_on date not null default current_date,
  ended_on date,
  designated_by integer references users (id) on delete set null,
  ended_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  check (ended_on is null or ended_on >= started_on)
);
create unique index mission_designations_one_active on mission_designations (user_id, uai) where ended_on is null;
create index mission_designations_uai on mission_designations (uai);

-- One letter per establishment and school year (school_year 2025 = 2025-2026), kept forever.
create table mission_letters (
  id integer generated always as identity primary key,
  uai text not null references establishments (uai) on delete cascade,
  school_year integer not null check (school_year between 2000 and 2100),
  period_start date not null,
  period_end date not null,
  notes text not null default '',
  revision integer not null default 1,
  created_by integer references users (id) on delete set null,
  updated_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (uai, school_year),
  check (period_end > period_start)
);

-- What each referent holds: time per mission in percent (0 = not held; the sum is 100), the
-- sub-tasks of « gérer les outils », the IMP amount in euros, and the acknowledgement.
create table mission_letter_referents (
  letter_id integer not null references mission_letters (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  position integer not null default 0,
  time_split jsonb not null,
  tool_tasks jsonb not null default '[]',
  imp_amount integer not null check (imp_amount between 1250 and 3750),
  acknowledged_at timestamptz,
  primary key (letter_id, user_id)
);
create index mission_letter_referents_user on mission_letter_referents (user_id);
