package handlers

import (
	"sync"
	"time"
)

// throttle counts failures per key in a sliding window: after limit
// failures within window the key waits until the oldest one leaves the
// window. It is in memory: a restart forgets, which only helps a user.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

// throttleMaxKeys bounds memory under a flood of distinct keys; beyond it
// stale keys are swept on the next failure.
const throttleMaxKeys = 10000

func newThrottle(limit int, window time.Duration) *throttle {
	return &throttle{limit: limit, window: window, fails: map[string][]time.Time{}}
}

// wait returns how long key must wait before its next attempt (0: now).
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.prune(key, now)
	if len(f) < t.limit {
		return 0
	}
	return f[len(f)-t.limit].Add(t.window).Sub(now)
}

// fail records a failed attempt for key.
func (t *throttle) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= throttleMaxKeys {
		for k := range t.fails {
			t.prune(k, now)
		}
	}
	f := append(t.prune(key, now), now)
	if len(f) > t.limit {
		f = f[len(f)-t.limit:]
	}
	t.fails[key] = f
}

// reset forgets key's failures (after a successful login).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.fails, key)
	t.mu.Unlock()
}

// prune drops key's failures older than the window; t.mu must be held.
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
