-- Hits per client and limiter (login, SAML, unsubscribe), shared by every process on the
-- database: with several processes an in-memory count would let each one grant the whole limit.
create table rate_limit_hits (
  key text primary key,
  hits integer not null,
  reset_at timestamptz not null
);
create index rate_limit_hits_reset on rate_limit_hits (reset_at);
