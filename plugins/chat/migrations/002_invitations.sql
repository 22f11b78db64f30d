-- Invitations to private groups: a person joins only once they accept (as in Tchap).
create table chat_invitations (
  room_id integer not null references chat_rooms (id) on delete cascade,
  user_id integer not null references users (id) on delete cascade,
  invited_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  primary key (room_id, user_id)
);
create index chat_invitations_user on chat_invitations (user_id);
