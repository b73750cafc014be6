package handlers

import (
	"fmt"
	"testing"
	"time"

	"paydesk/store"
)

func TestRefusedLimiter(t *testing.T) {
	l := newRefusedLimiter(WebhookConfig{RefusedPerAddress: 3, RefusedOverall: 5, RefusedPerDay: 8}.withDefaults())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	allow := func(src string, at time.Time) bool {
		ok, wait := l.allow(src, at)
		if ok != (wait == 0) {
			t.Fatalf("allow(%s) = %v with wait %v", src, ok, wait)
		}
		return ok
	}
	for i := range 3 {
		if !allow("a", t0) {
			t.Fatalf("a's refused delivery %d refused within the burst", i+1)
		}
	}
	if ok, wait := l.allow("a", t0); ok || wait <= 0 || wait > 20*time.Second {
		t.Errorf("a's 4th: %v, wait %v; want refused, a token in 20 s (3 a minute)", ok, wait)
	}
	// Another address has its own bucket, until the overall limit.
	if !allow("b", t0) || !allow("b", t0) || allow("c", t0) {
		t.Error("b and c: want two of b's stored, then the overall limit of 5")
	}
	// Tokens come back with time: 3 a minute for a, 5 a minute overall.
	if !allow("a", t0.Add(21*time.Second)) {
		t.Error("a after 21 s: want a token back")
	}
	// The daily cap: 8 a day, whatever the minute limits.
	for i := range 10 {
		allow(fmt.Sprintf("d%d", i), t0.Add(time.Duration(i+1)*time.Minute))
	}
	if allow("e", t0.Add(15*time.Minute)) {
		t.Error("past the daily cap of 8: want refused")
	}
}

func TestRefusedLimiterBoundsItsMemory(t *testing.T) {
	l := newRefusedLimiter(WebhookConfig{RefusedOverall: 1 << 30, RefusedPerDay: 1 << 30}.withDefaults())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxLimitedAddresses + 500 {
		l.allow(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), t0)
	}
	if len(l.addrs) > maxLimitedAddresses+1 {
		t.Errorf("%d address buckets, want at most %d", len(l.addrs), maxLimitedAddresses+1)
	}
	// Buckets at rest are forgotten to make room.
	l.allow("192.0.2.1", t0.Add(2*time.Minute))
	if len(l.addrs) > 2 {
		t.Errorf("%d address buckets after all rested, want them pruned", len(l.addrs))
	}
	for i := range store.MaxDropSourcesPerDay + 10 {
		l.drop(fmt.Sprintf("10.0.%d.%d", i>>8, i&255), t0)
	}
	drops := l.takeDrops()
	if len(drops) != store.MaxDropSourcesPerDay+1 {
		t.Errorf("%d pending sources, want %d and one for the rest", len(drops), store.MaxDropSourcesPerDay+1)
	}
	var total int64
	for _, d := range drops {
		total += d.Count
	}
	if total != int64(store.MaxDropSourcesPerDay+10) || len(l.takeDrops()) != 0 {
		t.Errorf("counted %d, want %d, and nothing pending after", total, store.MaxDropSourcesPerDay+10)
	}
}

func TestSourceOf(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"":                     "unknown",
		"not an address":       "not an address",
	} {
		if got := sourceOf(in); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", in, got, want)
		}
	}
}
