-- Files that travel with a message (an event's .ics with its confirmation). Text only, kept
-- with the message so that a retry or a resend carries them too.
alter table mail_outbox add column attachments jsonb not null default '[]';
