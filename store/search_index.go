package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The trigram index of search keys (search_fts, migration 0009) is filled
// in the background, a second's worth of keys in one transaction, rather
// than by a trigger in every write transaction: each commit that adds to
// an FTS5 index writes a segment and merges, which made a first
// notification's writer cost about 1.5 times. A fragment search reads the
// keys not yet indexed directly (searchTailSQL), so it misses nothing.
//
// On PostgreSQL none of this exists: the pg_trgm GIN index on search_keys
// is kept by every write (migrations/postgres/0009_search.sql).

// searchIndexBatch is the most keys one indexing transaction adds.
const searchIndexBatch = 20000

// WithSearchIndexEvery sets how often pending search keys are added to the
// trigram index (default 1 s); 0 never does it in the background (tests
// call IndexSearchKeys).
func WithSearchIndexEvery(d time.Duration) Option {
	return func(s *Store) { s.indexEvery = d }
}

// searchIndexer runs IndexSearchKeys every indexEvery until Close. An error
// (a full disk) is retried on the next round; searches stay complete.
func (s *Store) searchIndexer() {
	defer close(s.indexDone)
	if s.pg {
		return
	}
	// The trigram counts that order a fragment search's lists
	// (search_trigrams.go): a read of both whole indexes, once, at start
	// (about 2 s each at 1,000,000 payments); until it is done fragments
	// read search_fts by the position of their trigrams.
	_ = s.loadTrigramStats(context.Background())
	if s.indexEvery <= 0 {
		return
	}
	t := time.NewTicker(s.indexEvery)
	defer t.Stop()
	merge := true // a database from before migration 0017 has levels to merge
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			// A failure (a full disk, a lock) is retried on the next tick;
			// searches read the keys not yet indexed meanwhile.
			n, err := s.IndexSearchKeys(context.Background())
			if err == nil && (n > 0 || merge) {
				more, err := s.mergeSearchIndexes(context.Background(), searchMergePages, searchMergeSteps)
				merge = more || err != nil
			}
		}
	}
}

// The indexer's merging of the FTS5 segments (migration 0017): a round
// writes at most searchMergeSteps × searchMergePages pages per index, each
// step its own write transaction of about 10 ms, so the webhook's batches
// wait at most that long for one. A database seeded or upgraded with many
// segments converges over minutes; one kept up to date merges only what
// the last second added.
const (
	searchMergePages = 16
	searchMergeSteps = 4
)

// mergeSearchIndexes runs up to steps "merge" steps of pages pages on each
// fragment index, stopping early on an index once a step finds no two
// segments on one level to merge, and reports whether work may remain.
func (s *Store) mergeSearchIndexes(ctx context.Context, pages, steps int) (more bool, err error) {
	if s.pg {
		return false, nil
	}
	for _, table := range []string{"search_fts", "search_grams"} {
		for i := 0; i < steps; i++ {
			did := false
			err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
				// FTS5's documented test of whether a merge did anything: the
				// connection's total changes grow by 2 or more.
				var before, after int64
				if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+table+", rank) VALUES ('merge', ?)", pages); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
					return err
				}
				did = after-before >= 2
				return nil
			})
			if err != nil {
				return true, fmt.Errorf("store: merge %s: %w", table, err)
			}
			if !did {
				break
			}
			if i == steps-1 {
				more = true
			}
		}
	}
	return more, nil
}

// IndexSearchKeys adds the search keys written since the last call to the
// trigram index, searchIndexBatch per write transaction, and returns how
// many it added. With nothing pending it only reads. On PostgreSQL there
// is nothing to add: it returns 0.
func (s *Store) IndexSearchKeys(ctx context.Context) (int, error) {
	if s.pg {
		return 0, nil
	}
	// One indexer at a time, and search_grams's counts read before it adds
	// to them (see indexGrams).
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if err := s.loadGramStatsLocked(ctx); err != nil {
		return 0, fmt.Errorf("store: search index: %w", err)
	}
	total := 0
	for {
		var upto, top int64
		if err := s.rdb.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_fts_indexed WHERE id = 1), (SELECT coalesce(max(id), 0) FROM search_keys)").Scan(&upto, &top); err != nil {
			return total, fmt.Errorf("store: search index: %w", err)
		}
		if top <= upto {
			return total, s.gramsBackfill(ctx)
		}
		var n int
		var lo, hi int64
		var moved bool
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			n, moved = 0, false
			// Read again inside the transaction: another call may have run,
			// and a write may have removed the highest key since the read
			// above (its rowid would then be given again, below a mark set
			// past it, and never indexed).
			var top, gupto int64
			if err := tx.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_fts_indexed WHERE id = 1), (SELECT coalesce(max(id), 0) FROM search_keys), (SELECT upto FROM search_grams_indexed WHERE id = 1)").Scan(&upto, &top, &gupto); err != nil {
				return err
			}
			lo, hi = upto, min(top, upto+searchIndexBatch)
			if hi <= upto {
				return nil
			}
			res, err := tx.ExecContext(ctx, "INSERT INTO search_fts (rowid, key) SELECT id, key FROM search_keys WHERE id > ? AND id <= ? ORDER BY id", upto, hi)
			if err != nil {
				return err
			}
			added, _ := res.RowsAffected()
			n, moved = int(added), true
			if _, err = tx.ExecContext(ctx, "UPDATE search_fts_indexed SET upto = ? WHERE id = 1", hi); err != nil {
				return err
			}
			// search_grams follows in the same transaction once it has
			// caught up (gramsBackfill fills it before that).
			if gupto == upto {
				err = indexGrams(ctx, tx, upto, hi, &s.grams)
			}
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: search index: %w", err)
		}
		total += n
		if moved && n > 0 {
			// The counts follow the index; a failure leaves them a little
			// low, which orders a choice and loses no match.
			_ = s.countTrigrams(ctx, s.rdb, lo, hi)
		}
		if !moved {
			return total, s.gramsBackfill(ctx)
		}
	}
}

// gramsBackfillBatch is the most keys one backfill transaction adds to
// search_grams: its texts are made in Go, one insert each, so a batch
// holds the writer for tens of milliseconds.
const gramsBackfillBatch = 2000

// gramsBackfill adds the keys search_fts holds and search_grams does not
// yet (a database migrated to 0016 with keys) to search_grams, a batch
// per write transaction. Until it has caught up, fragment searches read
// search_fts alone.
func (s *Store) gramsBackfill(ctx context.Context) error {
	for {
		done := false
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			done = false
			var upto, gupto int64
			if err := tx.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_fts_indexed WHERE id = 1), (SELECT upto FROM search_grams_indexed WHERE id = 1)").Scan(&upto, &gupto); err != nil {
				return err
			}
			if gupto >= upto {
				done = true
				return nil
			}
			return indexGrams(ctx, tx, gupto, min(upto, gupto+gramsBackfillBatch), &s.grams)
		})
		if err != nil {
			return fmt.Errorf("store: search grams: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-s.quit:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
	}
}
