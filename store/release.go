package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Giving back claims a replica will not work on (graceful shutdown): the
// work becomes due again at once for the other replicas instead of after
// its lease. A claim is given back only while it is still the one the
// claimer took (the same attempt, the same lease), so a release can never
// undo a later claim or an answer already recorded; and only work whose
// Antom call never started may be given back — one in flight keeps its
// lease, so no call is ever made twice at once for one operation.

// ReleaseOperation gives back an operation claimed by ClaimDueOperations
// whose attempt was not started: it is due again when it was claimed, and
// the attempt the claim counted is uncounted. It reports whether the claim
// was still held (false: the operation moved on, and nothing changed).
func (s *Store) ReleaseOperation(ctx context.Context, o Operation) (bool, error) {
	var released bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE operations SET next_attempt_at = ?, attempts = attempts - 1, updated_at = ?
			WHERE id = ? AND state = 'pending' AND attempts = ? AND next_attempt_at = ?`,
			ms(o.LastAttemptAt), s.now().UnixMilli(), o.ID, o.Attempts, ms(o.NextAttemptAt))
		if err != nil {
			return fmt.Errorf("store: release operation: %w", err)
		}
		n, err := res.RowsAffected()
		released = n == 1
		return err
	})
	return released, err
}

// ReleasePoll gives back a payment claimed by PaymentsToPoll whose inquiry
// was not started: its next poll is when it was claimed, so it is due at
// once. It reports whether the claim was still held (false: the payment's
// poll was recorded or rescheduled since, and nothing changed).
func (s *Store) ReleasePoll(ctx context.Context, p Payment) (bool, error) {
	if p.NextPollAt.IsZero() {
		return false, nil
	}
	var released bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE payments SET next_poll_at = ? WHERE id = ? AND next_poll_at = ?",
			ms(p.NextPollAt.Add(-pollLease)), p.ID, ms(p.NextPollAt))
		if err != nil {
			return fmt.Errorf("store: release poll: %w", err)
		}
		n, err := res.RowsAffected()
		released = n == 1
		return err
	})
	return released, err
}
