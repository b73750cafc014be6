package antom

import (
	"sort"
	"time"
)

// NotifyMaxAttempts is how many times Antom sends a notification that is not
// acknowledged (section 6.4).
const NotifyMaxAttempts = 8

// NotifyRetryIntervals are the waits before each of Antom's at most eight
// sends of a notification (section 6.4): 0, 2m, 10m, 10m, 1h, 2h, 6h, 15h,
// each from the previous send.
func NotifyRetryIntervals() []time.Duration {
	return []time.Duration{0, 2 * time.Minute, 10 * time.Minute, 10 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 15 * time.Hour}
}

// NotifyRetryOffset is attempt n's (1-based) scheduled offset from the
// first: 0, 2m, 12m, 22m, 1h22m, 3h22m, 9h22m, 24h22m.
func NotifyRetryOffset(n int) time.Duration {
	iv := NotifyRetryIntervals()
	var d time.Duration
	for i := 1; i < n && i < len(iv); i++ {
		d += iv[i]
	}
	return d
}

// Arrival is one delivery of a notification as the receiver saw it.
type Arrival struct {
	ID    int64 // the receiver's delivery ID
	At    time.Time
	Acked bool // answered with the acknowledgement, so Antom stops
}

// AttemptState says what became of one of Antom's scheduled attempts.
type AttemptState string

// Attempt states.
const (
	AttemptArrived     AttemptState = "arrived"     // matched to an arrival
	AttemptMissing     AttemptState = "missing"     // due while unacknowledged, never arrived
	AttemptExpected    AttemptState = "expected"    // not yet due
	AttemptUnscheduled AttemptState = "unscheduled" // an arrival no scheduled attempt explains (a manual resend, a duplicate)
)

// Attempt is one row of an attempt report.
type Attempt struct {
	N        int // 1..NotifyMaxAttempts; 0 for an unscheduled arrival
	Expected time.Time
	State    AttemptState
	Arrival  *Arrival
}

// AttemptReport matches the arrivals of one notification to Antom's retry
// schedule.
type AttemptReport struct {
	Attempts []Attempt
	Acked    bool
	// Next is when Antom's next attempt is expected while the notification
	// is not acknowledged; zero when acknowledged or when Antom has given up.
	Next      time.Time
	Remaining int  // attempts Antom has left after the last one due
	GaveUp    bool // unacknowledged and past the last attempt
	// LostAcks counts acknowledged arrivals Antom sent again after: the
	// acknowledgement did not reach Antom.
	LostAcks int
	// Start is the estimated time of Antom's first attempt.
	Start time.Time
}

// MatchAttempts matches the arrivals of one notification to Antom's retry
// schedule at now. The schedule starts at the earliest of the first arrival
// and firstSent (the event's own time from the body, e.g. paymentTime, when
// within the schedule before it), so attempts that never reached the
// receiver show as missing. An arrival is matched to the scheduled attempt
// nearest to it that is later than the previous match, when within a
// tolerance of a quarter of the interval before it (at least a minute);
// others are unscheduled. A scheduled attempt missing before the last
// arrival was sent but never arrived; the notification counts as
// acknowledged when its last scheduled arrival was, and an acknowledged
// arrival followed by another attempt is a lost acknowledgement.
func MatchAttempts(arrivals []Arrival, firstSent, now time.Time) AttemptReport {
	var r AttemptReport
	if len(arrivals) == 0 {
		return r
	}
	as := append([]Arrival(nil), arrivals...)
	sort.SliceStable(as, func(i, j int) bool { return as[i].At.Before(as[j].At) })
	start := as[0].At
	if !firstSent.IsZero() && firstSent.Before(start) && start.Sub(firstSent) <= NotifyRetryOffset(NotifyMaxAttempts)+tolerance(NotifyMaxAttempts) {
		start = firstSent
	}
	r.Start = start
	expected := func(n int) time.Time { return start.Add(NotifyRetryOffset(n)) }

	matched := make(map[int]*Arrival)
	last := 0 // the last scheduled attempt matched
	var extra []Attempt
	for i := range as {
		a := &as[i]
		best, bestDist := 0, time.Duration(-1)
		for n := last + 1; n <= NotifyMaxAttempts; n++ {
			d := a.At.Sub(expected(n)).Abs()
			if d <= tolerance(n) && (bestDist < 0 || d < bestDist) {
				best, bestDist = n, d
			}
		}
		if best == 0 {
			extra = append(extra, Attempt{State: AttemptUnscheduled, Arrival: a})
			continue
		}
		if prev := matched[last]; prev != nil && prev.Acked {
			// Acknowledged, and Antom sent again: the acknowledgement
			// never reached it.
			r.LostAcks++
		}
		matched[best], last = a, best
	}
	if last > 0 {
		r.Acked = matched[last].Acked
	}
	// The schedule: a gap before the last arrival is an attempt Antom
	// made that never arrived; after it, attempts follow until the
	// acknowledgement.
	for n := 1; n <= NotifyMaxAttempts; n++ {
		at := expected(n)
		if a := matched[n]; a != nil {
			r.Attempts = append(r.Attempts, Attempt{N: n, Expected: at, State: AttemptArrived, Arrival: a})
			continue
		}
		if n < last || (!r.Acked && now.After(at.Add(tolerance(n)))) {
			r.Attempts = append(r.Attempts, Attempt{N: n, Expected: at, State: AttemptMissing})
			continue
		}
		if !r.Acked {
			r.Next = at
			r.Remaining = NotifyMaxAttempts - n + 1
		}
		break
	}
	if !r.Acked && r.Next.IsZero() {
		r.GaveUp = true
	}
	// Unscheduled arrivals in time order among the rest.
	r.Attempts = append(r.Attempts, extra...)
	sort.SliceStable(r.Attempts, func(i, j int) bool { return attemptTime(r.Attempts[i]).Before(attemptTime(r.Attempts[j])) })
	return r
}

func attemptTime(a Attempt) time.Time {
	if a.Arrival != nil {
		return a.Arrival.At
	}
	return a.Expected
}

// tolerance is how far from attempt n's scheduled time an arrival may be and
// still be that attempt: a quarter of the wait before it, at least a minute.
func tolerance(n int) time.Duration {
	iv := NotifyRetryIntervals()
	t := time.Minute
	if n >= 2 && n <= len(iv) {
		if q := iv[n-1] / 4; q > t {
			t = q
		}
	}
	return t
}
