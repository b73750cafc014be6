package handlers

import (
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// A redelivery on the payment's timeline says which of Antom's attempts it
// was; a first attempt stays plain and a duplicate sent at once is marked.
func TestMarkAttemptsOnTheTimeline(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	d := func(id int64, at time.Duration, status int) store.Delivery {
		return store.Delivery{ID: id, ReceivedAt: t0.Add(at), BodySHA256: "same", ResponseStatus: status, NotifyType: antom.NotifyPaymentResult}
	}
	groups := store.DeliveryAttempts([]store.Delivery{
		d(1, 0, 500),
		d(2, antom.NotifyRetryOffset(2), 500),
		d(3, antom.NotifyRetryOffset(3), 200),
		d(4, antom.NotifyRetryOffset(3)+time.Second, 200),
	}, t0.Add(time.Hour))
	entries := []pages.TimelineEntry{
		{DeliveryURL: paths.Notification(1)},
		{DeliveryURL: paths.Notification(2)},
		{DeliveryURL: paths.Notification(3), Folded: []pages.TimelineEntry{{DeliveryURL: paths.Notification(4)}}},
		{Summary: "not a delivery"},
	}
	markAttempts(entries, groups)
	label := func(e pages.TimelineEntry) string {
		if len(e.Badges) == 0 {
			return ""
		}
		return e.Badges[len(e.Badges)-1].Label
	}
	for i, want := range []string{"", "Antom's attempt 2 of 8", "Antom's attempt 3 of 8", ""} {
		if got := label(entries[i]); got != want {
			t.Errorf("entry %d: %q, want %q", i, got, want)
		}
	}
	if got := label(entries[2].Folded[0]); got != "resend, not in Antom's schedule" {
		t.Errorf("the duplicate: %q", got)
	}
}
