-- Chat: rooms by place (département, académie), topic rooms, private groups and direct messages.

create table chat_rooms (
  id integer generated always as identity primary key,
  kind text not null check (kind in ('departement', 'academie', 'topic', 'group', 'dm')),
  -- Stable key of the rooms Maillon creates itself: 'departement:86', 'academie:poitiers', 'topic:pix', 'dm:3:7'.
  slug text unique,
  name text not null,
  description text not null default '',
  locked boolean not null default false,
  created_by integer references users (id) on delete set null,
  created_at timestamptz not null default now()
);

create table chat_members (
  room_id integer not null references chat_rooms (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  muted boolean not null default false,
  -- The last message this person has seen in the room (0: none).
  last_read_id bigint not null default 0,
  joined_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
create index chat_members_user on chat_members (user_id);

create table chat_messages (
  id bigint generated always as identity primary key,
  room_id integer not null references chat_rooms (id) on delete cascade,
  author_id integer references users (id) on delete set null,
  -- Chosen by the sending client: a retry with the same id is the same message.
  client_id text not null,
  body text not null,
  reply_to bigint references chat_messages (id) on delete set null,
  created_at timestamptz not null default now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  deleted_by integer references users (id) on delete set null,
  search tsvector generated always as (maillon_search_vector(body)) stored,
  unique (author_id, client_id)
);
create index chat_messages_room on chat_messages (room_id, id);
create index chat_messages_created on chat_messages (created_at);
create index chat_messages_search on chat_messages using gin (search);

create table chat_reactions (
  message_id bigint not null references chat_messages (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  emoji text not null,
  primary key (message_id, user_id, emoji)
);

create table chat_reports (
  id integer generated always as identity primary key,
  message_id bigint not null references chat_messages (id) on delete cascade,
  reporter_id integer references users (id) on delete set null,
  reason text not null default '',
  created_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by integer references users (id) on delete set null,
  outcome text check (outcome in ('removed', 'dismissed')),
  unique (message_id, reporter_id)
);
create index chat_reports_open on chat_reports (created_at) where resolved_at is null;

insert into chat_rooms (kind, slug, name, description) values
  ('topic', 'topic:tablettes', 'Tablettes', 'Déploiement, gestion de flotte et usages des tablettes en classe.'),
  ('topic', 'topic:ent', 'ENT', 'L''espace numérique de travail : comptes, services, accompagnement des collègues.'),
  ('topic', 'topic:pix', 'Pix', 'Campagnes Pix, certification des élèves et Pix+ Édu.'),
  ('topic', 'topic:rgpd', 'RGPD', 'Données personnelles, registre de traitement et choix des outils.'),
  ('topic', 'topic:gar', 'GAR', 'Gestionnaire d''accès aux ressources : affectations et ressources numériques.');
