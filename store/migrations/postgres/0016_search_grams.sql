-- SQLite only (store/migrations/sqlite/0016_search_grams.sql): a second
-- FTS5 index for fragment search. On PostgreSQL the pg_trgm GIN index of
-- migration 0009 answers LIKE '%fragment%' itself; nothing to add.
SELECT 1;
