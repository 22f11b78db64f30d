-- The forums' index shows each moderator how many posts wait for approval: without this index
-- every visit read the whole table. Pending posts are few, so the index stays tiny.
create index forum_posts_pending on forum_posts (category_id) where state = 'pending';
