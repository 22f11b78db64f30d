-- Academic SSO (SAML 2.0): outstanding requests, replay guard, last attributes per identity.

-- Requests Maillon sent to an IdP (AuthnRequest, LogoutRequest), until answered or expired.
-- In the database so that any process, before or after a restart, recognises the answer once.
create table saml_requests (
  id text primary key,
  idp_id text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index saml_requests_expires on saml_requests (expires_at);

-- Every assertion and logout request accepted, kept until it could no longer be valid, so the
-- same message is never accepted twice.
create table saml_seen_messages (
  idp_id text not null,
  message_id text not null,
  expires_at timestamptz not null,
  primary key (idp_id, message_id)
);
create index saml_seen_messages_expires on saml_seen_messages (expires_at);

-- What the IdP said at the last login of each identity: shown on the admin test page, and the
-- NameID that an IdP-initiated logout names.
create table saml_identities (
  provider text not null,
  subject text not null,
  name_id text not null,
  name_id_format text,
  session_index text,
  attributes jsonb not null default '{}',
  received_at timestamptz not null default now(),
  primary key (provider, subject),
  foreign key (provider, subject) references user_identities (provider, subject) on delete cascade
);
create index saml_identities_name_id on saml_identities (provider, name_id);
