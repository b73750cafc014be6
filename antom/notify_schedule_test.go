package antom

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNotifyRetryOffset(t *testing.T) {
	want := []time.Duration{0, 2 * time.Minute, 12 * time.Minute, 22 * time.Minute, 82 * time.Minute, 202 * time.Minute, 562 * time.Minute, 1462 * time.Minute}
	for n := 1; n <= NotifyMaxAttempts; n++ {
		if got := NotifyRetryOffset(n); got != want[n-1] {
			t.Errorf("attempt %d: %v, want %v", n, got, want[n-1])
		}
	}
}

func TestMatchAttempts(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	at := func(n int, jitter time.Duration) time.Time { return t0.Add(NotifyRetryOffset(n) + jitter) }
	arr := func(id int64, when time.Time, acked bool) Arrival { return Arrival{ID: id, At: when, Acked: acked} }
	// describe renders a report as "1:arrived#1 2:missing 3:expected…".
	describe := func(r AttemptReport) string {
		var b strings.Builder
		for _, a := range r.Attempts {
			fmt.Fprintf(&b, "%d:%s", a.N, a.State)
			if a.Arrival != nil {
				fmt.Fprintf(&b, "#%d", a.Arrival.ID)
			}
			b.WriteByte(' ')
		}
		if r.Acked {
			b.WriteString("acked")
			if r.LostAcks > 0 {
				fmt.Fprintf(&b, " lost=%d", r.LostAcks)
			}
		} else if r.GaveUp {
			b.WriteString("gave-up")
		} else {
			fmt.Fprintf(&b, "next=+%v remaining=%d", r.Next.Sub(t0), r.Remaining)
		}
		return b.String()
	}
	tests := []struct {
		name      string
		arrivals  []Arrival
		firstSent time.Time
		now       time.Time
		want      string
	}{
		{"acknowledged at once", []Arrival{arr(1, at(1, 0), true)}, time.Time{}, at(1, time.Hour),
			"1:arrived#1 acked"},
		{"failFirst 2: two errors then the acknowledgement", []Arrival{arr(1, at(1, 0), false), arr(2, at(2, 3*time.Second), false), arr(3, at(3, -20*time.Second), true)}, time.Time{}, at(8, 0),
			"1:arrived#1 2:arrived#2 3:arrived#3 acked"},
		{"answered an error, next attempt due", []Arrival{arr(1, at(1, 0), false)}, time.Time{}, at(1, time.Minute),
			"1:arrived#1 next=+2m0s remaining=7"},
		{"an expected attempt never arrived while we answered errors", []Arrival{arr(1, at(1, 0), false), arr(3, at(3, 0), false)}, time.Time{}, at(3, time.Minute),
			"1:arrived#1 2:missing 3:arrived#3 next=+22m0s remaining=5"},
		{"dropFirst 1: the first attempt never reached us (paymentTime says when it was sent)", []Arrival{arr(7, at(2, time.Second), true)}, t0.Add(2 * time.Second), at(4, 0),
			"1:missing 2:arrived#7 acked"},
		{"all eight answered errors: Antom gave up", func() []Arrival {
			var as []Arrival
			for n := 1; n <= 8; n++ {
				as = append(as, arr(int64(n), at(n, 0), false))
			}
			return as
		}(), time.Time{}, at(8, time.Hour),
			"1:arrived#1 2:arrived#2 3:arrived#3 4:arrived#4 5:arrived#5 6:arrived#6 7:arrived#7 8:arrived#8 gave-up"},
		{"failFirst 1: our acknowledgement was lost, Antom sent again", []Arrival{arr(1, at(1, 0), true), arr(2, at(2, 0), true)}, time.Time{}, at(8, 0),
			"1:arrived#1 2:arrived#2 acked lost=1"},
		{"a duplicate sent at once is unscheduled", []Arrival{arr(1, at(1, 0), true), arr(2, at(1, time.Second), true)}, time.Time{}, at(8, 0),
			"1:arrived#1 0:unscheduled#2 acked"},
		{"an arrival between attempts is unscheduled", []Arrival{arr(1, at(1, 0), false), arr(2, at(1, 6*time.Minute), false)}, time.Time{}, at(1, 7*time.Minute),
			"1:arrived#1 2:missing 0:unscheduled#2 next=+12m0s remaining=6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(MatchAttempts(tc.arrivals, tc.firstSent, tc.now))
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if r := MatchAttempts(nil, time.Time{}, t0); len(r.Attempts) != 0 || r.Acked {
		t.Errorf("no arrivals: got %+v", r)
	}
}
