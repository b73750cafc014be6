-- Fragment search, fewer segments (issue 14). An FTS5 index is a set of
-- b-trees (segments): each indexing transaction (a second's new keys)
-- writes one, and FTS5 merges them only once 4 sit on one level. A term's
-- lookup seeks in every segment: at 1,000,000 payments that was 42% of a
-- fragment search's CPU. With usermerge 2, the indexer's "merge" steps
-- (Store.mergeSearchIndexes) merge any two segments of one level, so each
-- level keeps one (store level, 1,000,000 payments: 0.47 → 0.29–0.34 ms
-- at the median).
INSERT INTO search_fts (search_fts, rank) VALUES ('usermerge', 2);
INSERT INTO search_grams (search_grams, rank) VALUES ('usermerge', 2);
