package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"paydesk/store"
)

// throttle counts password attempts per key in a sliding window: after
// limit attempts that failed (or are still being checked) within window,
// the key waits until the oldest one leaves the window. An attempt is
// reserved before the password is hashed (reserve) and forgiven only when
// it succeeds (release), so N simultaneous guesses are evaluated at most
// limit times: there is no gap between the check and the count.
//
// The counts live in the database (store.ReserveAttempts), checked and
// counted in one write transaction, so the limit holds across every
// replica on the database and across restarts.
type throttle struct {
	st     *store.Store
	name   string // prefixes the keys: each throttle counts on its own
	limits store.Throttle
	log    *slog.Logger
}

func newThrottle(st *store.Store, name string, limit int, window time.Duration, log *slog.Logger) *throttle {
	return &throttle{st: st, name: name, limits: store.Throttle{Limit: limit, Window: window}, log: log}
}

// reservation is attempts reserved on one or more keys; release forgives
// them when the password was right.
type reservation struct {
	t *throttle
	r *store.AttemptReservation
}

// reserve counts an attempt now for every key, atomically: either all keys
// are under their limit and each records the attempt, or none does and
// the longest wait is returned. An error (the database did not take the
// write) admits nothing.
func (t *throttle) reserve(ctx context.Context, now time.Time, keys ...string) (*reservation, time.Duration, error) {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = t.name + ":" + k
	}
	r, wait, err := t.st.ReserveAttempts(ctx, t.limits, now, full...)
	if err != nil {
		return nil, 0, fmt.Errorf("handlers: throttle: %w", err)
	}
	if wait > 0 {
		return nil, wait, nil
	}
	return &reservation{t: t, r: r}, 0, nil
}

// release forgives a reserved attempt that succeeded (nil: nothing). It
// runs even if the request was cancelled; when the database does not take
// it, the attempt stays counted (the safe side) and it is logged.
func (r *reservation) release(ctx context.Context) {
	if r == nil {
		return
	}
	if err := r.t.st.ReleaseAttempts(context.WithoutCancel(ctx), r.r); err != nil {
		r.t.log.Warn("a right password stays counted by the throttle", "throttle", r.t.name, "err", err.Error())
	}
}

// selfKeys are the throttle keys of a signed-in user confirming their own
// password (step-up, password change): their staff session and their
// account's own attempts. Anonymous login failures for the same e-mail
// count under other keys, so they cannot lock a signed-in user out.
func selfKeys(userID int64, sessionHash string) []string {
	return []string{fmt.Sprintf("self:user:%d", userID), "self:session:" + sessionHash}
}
