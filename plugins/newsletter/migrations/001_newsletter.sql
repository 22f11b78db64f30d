-- The LINE newsletter: issues written by the DANE, explicit subscribers (RUPNs are in by
-- default), and one delivery row per issue and recipient, the ledger that makes a send resumable.

create table newsletter_issues (
  id integer generated always as identity primary key,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]*$'),
  title text not null,
  summary text not null default '',
  body text not null default '',
  -- RUPNs of this académie receive it by default (null: every RUPN).
  academy_code text,
  state text not null default 'draft' check (state in ('draft', 'scheduled', 'sending', 'sent', 'paused')),
  scheduled_at timestamptz,
  -- Each send or resume gets a new run: a job of an older run finds nothing to do.
  send_run integer not null default 0,
  -- Recipients are written once, when sending starts.
  filled_at timestamptz,
  recipient_count integer not null default 0,
  last_error text,
  started_at timestamptz,
  sent_at timestamptz,
  created_by integer references users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index newsletter_issues_archive on newsletter_issues (sent_at desc) where state = 'sent';

-- People who asked for the LINE (RUPNs need not): leaving is the mail service's one-click list.
create table newsletter_subscribers (
  user_id integer primary key references users (id) on delete cascade,
  subscribed_at timestamptz not null default now()
);

create table newsletter_deliveries (
  id bigint generated always as identity primary key,
  issue_id integer not null references newsletter_issues (id) on delete cascade,
  email text not null,
  user_id integer references users (id) on delete set null,
  -- claimed: taken by the running job, not yet handed to the SMTP server; sending: handed to
  -- it, answer not recorded yet; kept: no SMTP server, written to the outbox.
  state text not null default 'pending' check (state in ('pending', 'claimed', 'sending', 'sent', 'kept', 'failed', 'bounced', 'skipped')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz,
  -- Nobody receives the same issue twice: one row per issue and address.
  unique (issue_id, email)
);
create index newsletter_deliveries_due on newsletter_deliveries (issue_id, next_attempt_at, id) where state = 'pending';
create index newsletter_deliveries_state on newsletter_deliveries (issue_id, state);
