-- Search filters posts by the categories a reader may see. Joining topics for that cost a
-- quarter of a broad search (a hash of every topic), so each post carries its topic's category.
-- Triggers keep it true whatever writes the post or moves the topic (moderation, split, imports).
alter table forum_posts add column category_id integer;
update forum_posts p set category_id = t.category_id from forum_topics t where t.id = p.topic_id;
alter table forum_posts alter column category_id set not null;

create function forum_posts_take_category() returns trigger language plpgsql as $$
begin
  select t.category_id into new.category_id from forum_topics t where t.id = new.topic_id;
  return new;
end
$$;
create trigger forum_posts_category before insert or update of topic_id on forum_posts
  for each row execute function forum_posts_take_category();

create function forum_topics_move_posts() returns trigger language plpgsql as $$
begin
  update forum_posts set category_id = new.category_id where topic_id = new.id;
  return null;
end
$$;
create trigger forum_topics_category after update of category_id on forum_topics
  for each row when (old.category_id is distinct from new.category_id) execute function forum_topics_move_posts();

-- GIN's fast update parks new entries in a pending list that every search then reads in full
-- (up to 4 MB: 7 to 8 ms per search in bench/forums). Posts arrive at a human pace, so each
-- write updates the index itself and searches never pay for it. What waits already goes in now.
alter index forum_posts_search set (fastupdate = off);
select gin_clean_pending_list('forum_posts_search'::regclass);
