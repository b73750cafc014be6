package store

// The change sequence (change_seq) orders every change of a payment: a
// list page that saw N asks "anything since N?", and PaymentsChangedSince
// pages by it. Bumping its one row per saved payment cost an UPDATE …
// RETURNING per notification; the writer instead reads it once per batch,
// hands out the following values from memory, and writes the last one back
// once, just before the commit, in the same transaction. Each change still
// gets a value of its own, greater than every committed one:
//
//   - the batch's transaction holds the write lock (BEGIN IMMEDIATE on
//     SQLite, the advisory lock on PostgreSQL, postgres.go) from the read to
//     the commit, so no other writer, here or on another replica, can take
//     the same values;
//   - a write rolled back to its savepoint leaves a gap, never a reuse: the
//     counter only moves forward and the write-back stores its highest value;
//   - a batch rolled back as a whole rolls back the write-back too, and the
//     next batch reads the stored value afresh.

import (
	"context"
	"database/sql"
	"fmt"
)

// seqBatch is the change sequence of one batch transaction.
type seqBatch struct {
	tx     *sql.Tx
	loaded bool
	value  int64 // the last value handed out (or read)
	stored int64 // the value in change_seq

	// The batch's other in-memory state (claims.go): the request
	// running, and the claims learned, kept once they commit.
	req    int
	claims []pendingClaim
}

// next hands out the next value, reading the stored one on first use.
func (b *seqBatch) next(ctx context.Context) (int64, error) {
	if !b.loaded {
		if err := b.tx.QueryRowContext(ctx, "SELECT value FROM change_seq WHERE id = 1").Scan(&b.value); err != nil {
			return 0, fmt.Errorf("store: change sequence: %w", err)
		}
		b.stored, b.loaded = b.value, true
	}
	b.value++
	return b.value, nil
}

// flush writes the highest value handed out back to change_seq.
func (b *seqBatch) flush(ctx context.Context) error {
	if !b.loaded || b.value == b.stored {
		return nil
	}
	if _, err := b.tx.ExecContext(ctx, "UPDATE change_seq SET value = ? WHERE id = 1", b.value); err != nil {
		return fmt.Errorf("store: change sequence: %w", err)
	}
	b.stored = b.value
	return nil
}
