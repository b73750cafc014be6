package sim_test

import (
	"testing"
	"time"

	"paydesk/antom/sim"
)

func TestScaledClock(t *testing.T) {
	t.Parallel()
	c := sim.NewScaledClock(3600) // one simulated hour per real second
	t0 := c.Now()
	<-c.After(time.Minute) // about 17 ms of real time
	if d := c.Now().Sub(t0); d < time.Minute {
		t.Errorf("After(1m) returned after %v of simulated time", d)
	}
	if c.Scale() != 3600 {
		t.Errorf("Scale() = %v", c.Scale())
	}
	for _, bad := range []float64{0, -1} {
		if got := sim.NewScaledClock(bad).Scale(); got != 1 {
			t.Errorf("NewScaledClock(%v).Scale() = %v, want 1", bad, got)
		}
	}
}

func TestManualClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := sim.NewManualClock(start)
	ch := c.After(time.Minute)
	now := c.After(0)
	select {
	case <-now:
	default:
		t.Error("After(0) did not fire at once")
	}
	c.Advance(59 * time.Second)
	select {
	case <-ch:
		t.Fatal("fired before its deadline")
	default:
	}
	c.Set(start) // backwards: ignored
	if !c.Now().Equal(start.Add(59 * time.Second)) {
		t.Errorf("Set moved the clock backwards to %v", c.Now())
	}
	until := c.Until(start.Add(time.Minute))
	c.Advance(time.Second)
	select {
	case <-until:
	default:
		t.Error("Until did not fire when the clock reached its time")
	}
	select {
	case got := <-ch:
		if !got.Equal(start.Add(time.Minute)) {
			t.Errorf("fired with %v", got)
		}
	default:
		t.Fatal("did not fire at its deadline")
	}
}
