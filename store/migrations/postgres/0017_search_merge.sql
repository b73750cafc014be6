-- SQLite only (store/migrations/sqlite/0017_search_merge.sql): how its
-- FTS5 indexes merge their segments. PostgreSQL's GIN index has none.
SELECT 1;
