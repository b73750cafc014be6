package handlers

import (
	"fmt"
	"sync"
	"time"
)

// throttle counts password attempts per key in a sliding window: after
// limit attempts that failed (or are still being checked) within window,
// the key waits until the oldest one leaves the window. An attempt is
// reserved before the password is hashed (reserve) and forgiven only when
// it succeeds (release), so N simultaneous guesses are evaluated at most
// limit times: there is no gap between the check and the count. It is in
// memory: a restart forgets, which only helps a user.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

// throttleMaxKeys bounds memory under a flood of distinct keys; beyond it
// stale keys are swept on the next attempt.
const throttleMaxKeys = 10000

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, fails: map[string][]time.Time{}}
}

// reservation is attempts reserved on one or more keys; release forgives
// them when the password was right.
type reservation struct {
	t    *throttle
	at   time.Time
	keys []string
}

// reserve counts an attempt now for every key, atomically: either all keys
// are under their limit and each records the attempt, or none does and
// the longest wait is returned.
func (t *throttle) reserve(now time.Time, keys ...string) (*reservation, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= throttleMaxKeys {
		for k := range t.fails {
			t.prune(k, now)
		}
	}
	var wait time.Duration
	for _, k := range keys {
		if f := t.prune(k, now); len(f) >= t.limit {
			wait = max(wait, f[len(f)-t.limit].Add(t.window).Sub(now))
		}
	}
	if wait > 0 {
		return nil, wait
	}
	for _, k := range keys {
		t.fails[k] = append(t.fails[k], now)
	}
	return &reservation{t: t, at: now, keys: keys}, 0
}

// release forgives a reserved attempt that succeeded (nil: nothing).
func (r *reservation) release() {
	if r == nil {
		return
	}
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range r.keys {
		f := t.fails[k]
		for i := len(f) - 1; i >= 0; i-- {
			if f[i].Equal(r.at) {
				f = append(f[:i], f[i+1:]...)
				break
			}
		}
		if len(f) == 0 {
			delete(t.fails, k)
		} else {
			t.fails[k] = f
		}
	}
}

// prune drops key's attempts older than the window; t.mu must be held.
func (t *throttle) prune(key string, now time.Time) []time.Time {
	f := t.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= t.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = f
	return f
}

// selfKeys are the throttle keys of a signed-in user confirming their own
// password (step-up, password change): their staff session and their
// account's own attempts. Anonymous login failures for the same e-mail
// count under other keys, so they cannot lock a signed-in user out.
func selfKeys(userID int64, sessionHash string) []string {
	return []string{fmt.Sprintf("self:user:%d", userID), "self:session:" + sessionHash}
}
