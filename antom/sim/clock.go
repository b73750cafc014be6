package sim

import (
	"math"
	"sync"
	"time"
)

// Clock is the simulator's source of time. Every simulated timestamp (API
// times, request-time of notifications, the retry schedule, order close,
// session and authorization expiry) comes from it.
type Clock interface {
	// Now returns the current simulated time.
	Now() time.Time
	// After returns a channel that receives once at least d of simulated
	// time has passed.
	After(d time.Duration) <-chan time.Time
}

// realClock is wall-clock time.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ScaledClock is simulated time that starts at the real time of its creation
// and passes scale times faster than real time. It is immutable after
// creation and so safe for concurrent use.
type ScaledClock struct {
	start     time.Time // real (and simulated) time at creation, with its monotonic reading
	scale     float64
	simOrigin time.Time // start without the monotonic reading, so results print plainly
}

// NewScaledClock returns a clock whose time passes scale times faster than
// real time: with scale 3600 one simulated hour takes one real second.
// A scale of 0 or less, NaN or infinity is treated as 1.
func NewScaledClock(scale float64) *ScaledClock {
	if !(scale > 0) || math.IsInf(scale, 0) {
		scale = 1
	}
	now := time.Now()
	return &ScaledClock{start: now, scale: scale, simOrigin: now.Round(0)}
}

// Scale returns how many times faster than real time the clock runs.
func (c *ScaledClock) Scale() float64 { return c.scale }

// Now returns the simulated time.
func (c *ScaledClock) Now() time.Time {
	real := time.Since(c.start)
	return c.simOrigin.Add(time.Duration(float64(real) * c.scale))
}

// After waits for d of simulated time, that is d/scale of real time,
// rounded up so that the simulated time has passed when the channel fires.
func (c *ScaledClock) After(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return time.After(0)
	}
	realWait := time.Duration(math.Ceil(float64(d)/c.scale)) + 1
	ch := make(chan time.Time, 1)
	time.AfterFunc(realWait, func() { ch <- c.Now() })
	return ch
}

// ManualClock is simulated time that moves only when told to. Tests use it
// to step through the retry schedule exactly. It is safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
}

type manualWaiter struct {
	deadline time.Time
	ch       chan time.Time
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives when the clock has been advanced by
// at least d; for d <= 0 it receives at once.
func (c *ManualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, manualWaiter{deadline: c.now.Add(d), ch: ch})
	return ch
}

// Until returns a channel that receives once the clock reaches t; for a t
// not after the current time it receives at once. Unlike After it needs no
// reading of Now first, so a concurrent Advance cannot be missed.
func (c *ManualClock) Until(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, manualWaiter{deadline: t, ch: ch})
	return ch
}

// untilClock is a Clock that can wait for an absolute time.
type untilClock interface {
	Until(t time.Time) <-chan time.Time
}

// waitUntil waits for t on any Clock, without a race where the clock can
// wait for an absolute time.
func waitUntil(c Clock, t time.Time) <-chan time.Time {
	if uc, ok := c.(untilClock); ok {
		return uc.Until(t)
	}
	return c.After(t.Sub(c.Now()))
}

// Advance moves the clock forward by d and wakes every waiter whose
// deadline has been reached.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the clock to t if t is later than the current time, and wakes
// every waiter whose deadline has been reached. An earlier t is ignored:
// simulated time never runs backwards.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.setLocked(t)
	}
}

func (c *ManualClock) setLocked(t time.Time) {
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.deadline.After(t) {
			w.ch <- t
			continue
		}
		kept = append(kept, w)
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}
