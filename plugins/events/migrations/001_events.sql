-- Events and webinars: the events, who registered (or waits), documents added afterwards,
-- and the secret tokens of personal calendar feeds.

create table events (
  id integer generated always as identity primary key,
  title text not null,
  description text not null default '',
  kind text not null check (kind in ('webinaire', 'atelier', 'regroupement', 'cafe')),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  -- Who the event is for: the whole académie, a département or one establishment, optionally
  -- narrowed to one role.
  audience_kind text not null check (audience_kind in ('academie', 'departement', 'etablissement')),
  audience_code text not null,
  audience_role text,
  -- null: no limit.
  capacity integer check (capacity is null or capacity > 0),
  place text not null default '',
  visio_kind text check (visio_kind in ('classe-virtuelle', 'bigbluebutton', 'jitsi', 'autre')),
  visio_url text,
  registration_opens_at timestamptz,
  registration_closes_at timestamptz,
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
  -- iCalendar SEQUENCE: raised when the time, the place or the status changes.
  sequence integer not null default 0,
  replay_url text,
  organiser_id integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
create index events_starts_at on events (starts_at);

create table event_registrations (
  event_id integer not null references events (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  state text not null check (state in ('registered', 'waiting')),
  -- Order of the waiting list (and of registration).
  registered_at timestamptz not null default clock_timestamp(),
  promoted_at timestamptz,
  attended boolean,
  -- Reminder marks, set in the transaction that queues the mail: each is sent once.
  reminded_day_at timestamptz,
  reminded_hour_at timestamptz,
  primary key (event_id, user_id)
);
create index event_registrations_user on event_registrations (user_id);
create index event_registrations_waiting on event_registrations (event_id, registered_at) where state = 'waiting';

create table event_documents (
  event_id integer not null references events (id) on delete cascade,
  file_id text not null references files (id) on delete cascade,
  title text not null,
  added_at timestamptz not null default now(),
  primary key (event_id, file_id)
);
create index event_documents_file on event_documents (file_id);

create table event_feeds (
  user_id integer primary key references users (id) on delete cascade,
  token text not null unique,
  created_at timestamptz not null default now()
);
