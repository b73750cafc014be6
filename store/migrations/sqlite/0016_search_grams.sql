-- Fragment search, second index (issue 14). A trigram cannot tell how long
-- a run of one character is, nor which digits stand together: at 1,000,000
-- payments the fragment "…b0000000000000000093" of a zero-padded number
-- shares every trigram ("000", "009", "093") with some 46,000 keys, and the
-- search checked each. search_grams indexes, for every search key, a text
-- the application derives from it (store/search_grams.go): runs of 3 or
-- more of one character written as the character and a mark of the run's
-- length, then each pair of neighbouring characters as one character, so
-- a trigram of this text stands for 4 characters of the key with the exact
-- length of the runs between them. A fragment's text is made the same way
-- from its inside (its first and last runs may be longer in the key), and
-- the GLOB on the key still checks every candidate: the index chooses
-- candidates, never a match.
--
-- The text is made in Go, so the table is contentless (the key is in
-- search_keys) and keys are added by Store.IndexSearchKeys with those of
-- search_fts; upto is how far it is complete. An existing database fills it
-- in the background from 0 after this migration; until it has caught up
-- with search_fts, fragments use search_fts alone.
-- contentless_delete lets a deleted key leave by its rowid; it needs the
-- per-row sizes (search_grams_docsize) that search_fts does without.
CREATE VIRTUAL TABLE search_grams USING fts5 (g, content = '', contentless_delete = 1,
	tokenize = 'trigram case_sensitive 1', detail = 'none');
CREATE VIRTUAL TABLE search_grams_vocab USING fts5vocab(search_grams, 'row');
CREATE TABLE search_grams_indexed (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	upto INTEGER NOT NULL  -- search_keys.id up to which search_grams is complete
);
INSERT INTO search_grams_indexed (id, upto) VALUES (1, 0);

-- A deleted key (an ID changed) leaves this index too, and upto comes down
-- with the highest rowid as for search_fts (migration 0009).
CREATE TRIGGER search_keys_ad_grams AFTER DELETE ON search_keys
WHEN old.id <= (SELECT upto FROM search_grams_indexed WHERE id = 1) BEGIN
	DELETE FROM search_grams WHERE rowid = old.id;
	UPDATE search_grams_indexed SET upto = (SELECT coalesce(max(id), 0) FROM search_keys)
	WHERE id = 1 AND upto > (SELECT coalesce(max(id), 0) FROM search_keys);
END;
