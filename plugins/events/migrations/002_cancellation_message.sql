-- The organiser's word on a cancellation, shown on the event's page as well as in the notice.
alter table events add column cancellation_message text not null default '';
