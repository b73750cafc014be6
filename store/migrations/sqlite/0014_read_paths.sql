-- Issue 14, fast read paths.
--
-- The vocabulary of the trigram index: how many search keys hold each
-- trigram. A fragment search reads the lists of its rarest trigrams
-- (store/search_trigrams.go); the counts are read once at start. A
-- virtual table over search_fts: it stores nothing.
CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row');
