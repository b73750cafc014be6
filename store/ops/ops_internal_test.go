package ops

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	o := &Ops{cfg: Config{}.withDefaults()}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for i, w := range want {
		if got := o.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := o.backoff(40); got != 10*time.Minute {
		t.Errorf("backoff(40) = %v, want the 10 min cap", got)
	}
}

// TestDispatchTakesDueWorkAsFastAsItEnds: the dispatcher keeps at most
// Concurrency pieces of work running, claims more as soon as one ends (not
// on the next idle tick), and waits for what it started when ctx ends.
func TestDispatchTakesDueWorkAsFastAsItEnds(t *testing.T) {
	o := &Ops{cfg: Config{Concurrency: 3, Idle: time.Hour}.withDefaults()}
	const total = 60
	var (
		mu               sync.Mutex
		left             = total
		running, maxSeen atomic.Int64
		done             atomic.Int64
	)
	claim := func(_ context.Context, limit int) ([]func(context.Context), error) {
		mu.Lock()
		defer mu.Unlock()
		n := min(limit, left)
		left -= n
		work := make([]func(context.Context), n)
		for i := range work {
			work[i] = func(context.Context) {
				r := running.Add(1)
				for {
					m := maxSeen.Load()
					if r <= m || maxSeen.CompareAndSwap(m, r) {
						break
					}
				}
				time.Sleep(2 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
			}
		}
		return work, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { o.dispatch(ctx, "test", claim); close(stopped) }()
	deadline := time.Now().Add(10 * time.Second)
	for done.Load() < total && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-stopped
	if got := done.Load(); got != total {
		t.Fatalf("%d of %d done: the dispatcher waited for its idle tick instead of claiming when a slot freed", got, total)
	}
	if m := maxSeen.Load(); m > 3 || m < 2 {
		t.Errorf("at most %d ran at once, want up to the concurrency of 3", m)
	}
	if r := running.Load(); r != 0 {
		t.Errorf("%d still running after dispatch returned", r)
	}
}
