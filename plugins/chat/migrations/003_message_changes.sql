-- Every change to a stored message (edit, deletion, removal by a moderator, reaction) takes the
-- next number of one sequence: a client that was disconnected asks for the messages changed after
-- the last number it knows, and shows their current state.
create sequence chat_message_changes;
alter table chat_messages add column change_id bigint;
create index chat_messages_changes on chat_messages (room_id, change_id) where change_id is not null;
