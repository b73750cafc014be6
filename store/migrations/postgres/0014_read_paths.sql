-- Issue 14, fast read paths: PostgreSQL twin of
-- migrations/sqlite/0014_read_paths.sql. SQLite's trigram vocabulary
-- (search_fts_vocab) has no counterpart: pg_trgm's GIN index answers
-- fragments with its own statistics.
SELECT 1;
