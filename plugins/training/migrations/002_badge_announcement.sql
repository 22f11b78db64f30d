-- A finished path is announced to its learner once (in-app and by e-mail): badges issued before
-- this migration count as announced, so nobody receives an old badge's news now.
alter table training_badges add column announced_at timestamptz;
update training_badges set announced_at = issued_at;
create index training_badges_unannounced on training_badges (id) where announced_at is null;
