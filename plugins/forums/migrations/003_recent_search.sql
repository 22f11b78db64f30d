-- Search looks among the newest posts first (PLUGIN_FORUMS_SEARCH_RECENT_POSTS). Intersecting
-- the index of every post with a range of ids still read the whole archive's entries of each
-- word: on common words, most of a search's time. The newest posts' vectors, with what search
-- filters on, get a table and an index of their own, about a tenth of the size.
create table forum_search_recent (
  id integer primary key references forum_posts (id) on delete cascade,
  state text not null,
  category_id integer not null,
  search tsvector not null
);
create index forum_search_recent_search on forum_search_recent using gin (search) with (fastupdate = off);
-- Each new post deletes the oldest row, and searches read deleted rows' index entries until a
-- vacuum: every 500 posts rather than the default fifth of the table (4,000 rows).
alter table forum_search_recent set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);

-- How many posts the table keeps: written by the plugin at start from its setting, which then
-- refills the table if the number changed. 0 keeps none (search always reads the archive).
create table forum_search_window (
  only_row boolean primary key default true check (only_row),
  posts integer not null
);
insert into forum_search_window (posts) values (0);

-- Triggers keep the table true whatever writes posts: new posts come in and push the oldest out;
-- a change of state (hidden, deleted), category (a moved topic, a split) or text follows.
-- Statements on the table are planned at each run (EXECUTE): a plan kept from when the table was
-- a page long scans it whole, and made a bulk import quadratic. New posts are taken per
-- statement, so that an import of many posts writes only those that stay.
create function forum_posts_recent_insert() returns trigger language plpgsql as $$
declare
  keep integer;
  edge integer;
begin
  select posts into keep from forum_search_window;
  if keep is null or keep = 0 then
    return null;
  end if;
  select max(id) - keep into edge from inserted;
  insert into forum_search_recent (id, state, category_id, search)
    select id, state, category_id, search from inserted where id > edge;
  execute 'delete from forum_search_recent where id <= $1' using edge;
  return null;
end
$$;
create trigger forum_posts_recent_insert after insert on forum_posts
  referencing new table as inserted for each statement execute function forum_posts_recent_insert();

create function forum_posts_recent_update() returns trigger language plpgsql as $$
begin
  execute 'update forum_search_recent set state = $1, category_id = $2, search = $3 where id = $4'
    using new.state, new.category_id, new.search, new.id;
  return null;
end
$$;
create trigger forum_posts_recent_update after update on forum_posts
  for each row when (old.state is distinct from new.state or old.category_id is distinct from new.category_id or old.search is distinct from new.search)
  execute function forum_posts_recent_update();
