package store

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestReserveAttempts(t *testing.T) {
	for _, b := range sharedBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			th := Throttle{Limit: 3, Window: 10 * time.Minute}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			reserve := func(keys ...string) (*AttemptReservation, time.Duration) {
				t.Helper()
				r, w, err := s.ReserveAttempts(ctx, th, now, keys...)
				if err != nil {
					t.Fatalf("ReserveAttempts: %v", err)
				}
				if (r == nil) != (w > 0) {
					t.Fatalf("reservation %v with wait %v", r, w)
				}
				return r, w
			}
			count := func(key string) int {
				t.Helper()
				n, err := s.countAttempts(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			for i := range 3 {
				if _, w := reserve("k"); w != 0 {
					t.Fatalf("attempt %d: wait %v, want 0", i+1, w)
				}
				now = now.Add(time.Minute)
			}
			// Attempts at 0, 1, 2 min; now 3 min: locked until the first leaves the window.
			if _, w := reserve("k"); w != 7*time.Minute {
				t.Errorf("locked: wait %v, want 7m", w)
			}
			if r, w := reserve("other"); w != 0 {
				t.Errorf("another key: wait %v, want 0", w)
			} else if err := s.ReleaseAttempts(ctx, r); err != nil {
				t.Fatal(err)
			}
			if n := count("other"); n != 0 {
				t.Errorf("a released attempt is still counted: %d rows", n)
			}
			// A refused reservation on one key reserves none of the others.
			if _, w := reserve("fresh", "k"); w == 0 {
				t.Error("reserved although k is locked")
			}
			if n := count("fresh"); n != 0 {
				t.Errorf("a refused reservation counted %d attempts on another key", n)
			}
			now = now.Add(7 * time.Minute)
			r, w := reserve("k")
			if w != 0 {
				t.Errorf("after the window: wait %v, want 0", w)
			}
			// A successful attempt is forgiven; the expired one was pruned.
			if err := s.ReleaseAttempts(ctx, r); err != nil {
				t.Fatal(err)
			}
			if got := count("k"); got != 2 {
				t.Errorf("after a release: %d attempts stored, want 2 (the expired one pruned)", got)
			}
			// The table stays bounded: attempts past their window are
			// pruned as new ones arrive, whatever their key.
			for i := range 50 {
				reserve(fmt.Sprint("flood", i))
			}
			now = now.Add(11 * time.Minute)
			reserve("last")
			var n int
			if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM auth_attempts").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d attempt rows after every other left its window, want 1", n)
			}
		})
	}
}

// TestReserveAttemptsBurstAcrossStores: 100 simultaneous attempts through
// two stores on one database (two replicas) are admitted exactly up to the
// limit, on each of both keys.
func TestReserveAttemptsBurstAcrossStores(t *testing.T) {
	for _, b := range sharedBackends(t) {
		t.Run(b.name, func(t *testing.T) {
			stores := []*Store{b.open(t), b.open(t)}
			th := Throttle{Limit: 5, Window: 15 * time.Minute}
			now := time.Now()
			var wg sync.WaitGroup
			var admitted, failed atomic.Int64
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, w, err := stores[i%2].ReserveAttempts(ctx, th, now, "acct", "addr")
					switch {
					case err != nil:
						t.Errorf("ReserveAttempts: %v", err)
						failed.Add(1)
					case w == 0:
						admitted.Add(1)
					}
				}()
			}
			wg.Wait()
			if n := admitted.Load(); n != 5 {
				t.Errorf("%d of 100 simultaneous attempts on two stores admitted, want 5", n)
			}
			for _, k := range []string{"acct", "addr"} {
				if n, err := stores[0].countAttempts(ctx, k); err != nil || n != 5 {
					t.Errorf("%s: %d attempts stored (%v), want 5", k, n, err)
				}
			}
		})
	}
}

// TestReserveAttemptsBoundsKeys: a key as long as a request body allows
// (a pasted email of 100 KB) is counted like any other, and stored as its
// hash, not as itself.
func TestReserveAttemptsBoundsKeys(t *testing.T) {
	s, _ := newTestStore(t)
	long := "login:" + strings.Repeat("a", 100<<10) + "@example.com"
	th := Throttle{Limit: 2, Window: time.Minute}
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		_, wait, err := s.ReserveAttempts(ctx, th, now, long)
		if err != nil {
			t.Fatal(err)
		}
		if (wait > 0) != (i == 2) {
			t.Errorf("attempt %d: wait %s", i+1, wait)
		}
	}
	var longest int
	if err := s.rdb.QueryRowContext(ctx, "SELECT coalesce(max(length(throttle_key)), 0) FROM auth_attempts").Scan(&longest); err != nil {
		t.Fatal(err)
	}
	if longest > maxThrottleKey {
		t.Errorf("a stored throttle key is %d bytes long, want at most %d", longest, maxThrottleKey)
	}
}
