package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Password-attempt throttles (migrations/0012_shared_state.sql), shared by
// every replica on the database: the check and the count happen in one
// write transaction, which the writer serialises (SQLite) or the write
// lock does (PostgreSQL), so simultaneous attempts on any replicas are
// counted one after the other and at most the limit of them is admitted.

// pruneBatch bounds how many expired attempt rows one reservation deletes:
// each reservation adds a row per key, so pruning a batch keeps the table
// at about one window's attempts without ever making one login slow.
const pruneBatch = 200

// Throttle is a sliding-window limit on password attempts: after Limit
// attempts that failed (or are still being checked) within Window, a key
// waits until the oldest of them leaves the window.
type Throttle struct {
	Limit  int
	Window time.Duration
}

// AttemptReservation is what ReserveAttempts counted: one row per key,
// forgiven by ReleaseAttempts when the password was right.
type AttemptReservation struct {
	ids []int64
}

// ReserveAttempts counts an attempt at now on every key, atomically and
// across replicas: either every key is under th's limit and each records the
// attempt, or none does and the longest wait is returned (with a nil
// reservation). Expired attempts of any key are pruned on the way.
func (s *Store) ReserveAttempts(ctx context.Context, th Throttle, now time.Time, keys ...string) (*AttemptReservation, time.Duration, error) {
	if th.Limit < 1 || th.Window <= 0 {
		return nil, 0, fmt.Errorf("store: throttle: limit %d and window %s must be positive", th.Limit, th.Window)
	}
	keys = boundedKeys(keys)
	var res *AttemptReservation
	var wait time.Duration
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, wait = nil, 0
		nowMS := now.UnixMilli()
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_attempts WHERE id IN
			(SELECT id FROM auth_attempts WHERE expires_at <= ? LIMIT ?)`, nowMS, pruneBatch); err != nil {
			return fmt.Errorf("store: prune attempts: %w", err)
		}
		// Only attempts still in the window count: now - at < window.
		since := now.Add(-th.Window).UnixMilli()
		for _, k := range keys {
			// The limit-th most recent attempt in the window: when there
			// is one, the key is at its limit until it leaves the window.
			var at int64
			err := tx.QueryRowContext(ctx, `SELECT attempted_at FROM auth_attempts
				WHERE throttle_key = ? AND attempted_at > ? ORDER BY attempted_at DESC LIMIT 1 OFFSET ?`,
				k, since, th.Limit-1).Scan(&at)
			switch {
			case err == sql.ErrNoRows:
			case err != nil:
				return fmt.Errorf("store: count attempts: %w", err)
			default:
				wait = max(wait, time.UnixMilli(at).Add(th.Window).Sub(now))
			}
		}
		if wait > 0 {
			return nil
		}
		r := &AttemptReservation{}
		for _, k := range keys {
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO auth_attempts (throttle_key, attempted_at, expires_at)
				VALUES (?, ?, ?) RETURNING id`, k, nowMS, now.Add(th.Window).UnixMilli()).Scan(&id); err != nil {
				return fmt.Errorf("store: count attempt: %w", err)
			}
			r.ids = append(r.ids, id)
		}
		res = r
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return res, wait, nil
}

// maxThrottleKey bounds a stored throttle key: the keys hold what people
// type (an email in the login form), and a longer one is stored as its
// SHA-256, which counts it just as well.
const maxThrottleKey = 128

func boundedKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if len(k) > maxThrottleKey {
			sum := sha256.Sum256([]byte(k))
			k = "sha256:" + hex.EncodeToString(sum[:])
		}
		out[i] = k
	}
	return out
}

// ReleaseAttempts forgives a reservation whose password was right (nil:
// nothing to forgive).
func (s *Store) ReleaseAttempts(ctx context.Context, r *AttemptReservation) error {
	if r == nil || len(r.ids) == 0 {
		return nil
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range r.ids {
			if _, err := tx.ExecContext(ctx, "DELETE FROM auth_attempts WHERE id = ?", id); err != nil {
				return fmt.Errorf("store: forgive attempt: %w", err)
			}
		}
		return nil
	})
}

// countAttempts is how many attempt rows key has (tests).
func (s *Store) countAttempts(ctx context.Context, key string) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM auth_attempts WHERE throttle_key = ?", key).Scan(&n)
	return n, err
}
