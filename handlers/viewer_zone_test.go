package handlers

import (
	"testing"
	"time"
)

func TestLocalTimesInSummaries(t *testing.T) {
	sg, err := time.LoadLocation("Asia/Singapore")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC).In(sg)
	for _, tc := range []struct{ in, want string }{
		{"Session created, expires 2026-12-04T06:30:00Z", "Session created, expires 14:30:00 +08"},
		{"Session expired unpaid at 2026-12-03T22:30:00-08:00", "Session expired unpaid at 14:30:00 +08"},
		{"asking Antom for its outcome at 2026-12-05T06:30:00.250Z", "asking Antom for its outcome at 2026-12-05 14:30:00 +08"},
		{"Inquiry: Antom confirms PROCESSING", "Inquiry: Antom confirms PROCESSING"},
		{"not a time 2026-13-45T99:00:00Z", "not a time 2026-13-45T99:00:00Z"},
	} {
		if got := localTimes(tc.in, now); got != tc.want {
			t.Errorf("localTimes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStampOfInViewerZone(t *testing.T) {
	ktm, err := time.LoadLocation("Asia/Kathmandu")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC)
	s := stampOf(at, at.Add(time.Minute).In(ktm))
	if s.Text != "2026-12-04 11:47:11 +0545" || s.ISO != "2026-12-04T06:02:11Z" || s.Ago != "1 min ago" {
		t.Errorf("stampOf in Kathmandu = %+v", s)
	}
	if got := stampOf(at, at.Add(time.Minute)).Text; got != "2026-12-04 06:02:11 UTC" {
		t.Errorf("stampOf at a UTC now = %q", got)
	}
}
