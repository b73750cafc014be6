package handlers

import (
	"testing"
	"time"

	"paydesk/store"
)

func TestTimelineFoldIsBounded(t *testing.T) {
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var events []store.Event
	for i := range 30 {
		events = append(events, store.Event{ID: int64(i + 1), Kind: store.EventInquiry, Actor: "system", At: at.Add(time.Duration(i) * 3 * time.Second),
			Summary: "Inquiry failed: U UNKNOWN_EXCEPTION"})
	}
	events = append(events, store.Event{ID: 31, Kind: store.EventStaffAction, Actor: "user:a", At: at.Add(time.Minute + 30*time.Second), Summary: "Capture asked"})
	got := timeline(events, nil, false, at.Add(time.Hour))
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2 (one folded line, one staff action)", len(got))
	}
	f := got[0]
	if f.Key != "ev-30" || f.Fold != "30 inquiries 12:00:00–12:01:27 UTC, all failed: U UNKNOWN_EXCEPTION" {
		t.Errorf("folded line %s %q, want ev-30 with the count, range and result", f.Key, f.Fold)
	}
	if len(f.Folded) != timelineFoldShown || f.Folded[0].Key != "ev-29" || f.FoldedMore != "9 earlier inquiries not listed" {
		t.Errorf("folded %d (first %s), more %q; want %d newest first and 9 not listed", len(f.Folded), f.Folded[0].Key, f.FoldedMore, timelineFoldShown)
	}
	if f.Standout || !got[1].Standout {
		t.Errorf("standout: inquiries %v, staff action %v; want false, true", f.Standout, got[1].Standout)
	}
}
