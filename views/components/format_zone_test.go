package components

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below must load whatever the host has
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func TestFormatTimeInZones(t *testing.T) {
	for _, tc := range []struct {
		name string
		zone string // "" is nil: UTC
		at   time.Time
		want string
	}{
		{"no preference is UTC", "", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-04 06:02:11 UTC"},
		{"Singapore, +08", "Asia/Singapore", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-04 14:02:11 +08"},
		{"a new day in the viewer's zone", "Asia/Singapore", time.Date(2026, 12, 4, 19, 30, 0, 0, time.UTC), "2026-12-05 03:30:00 +08"},
		{"India, 30-minute offset", "Asia/Kolkata", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-04 11:32:11 IST"},
		{"Nepal, 45-minute offset", "Asia/Kathmandu", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-04 11:47:11 +0545"},
		{"Chatham, 45-minute offset with DST", "Pacific/Chatham", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-04 19:47:11 +1345"},
		{"Los Angeles in winter", "America/Los_Angeles", time.Date(2026, 12, 4, 6, 2, 11, 0, time.UTC), "2026-12-03 22:02:11 PST"},
		{"Los Angeles in summer", "America/Los_Angeles", time.Date(2026, 7, 4, 6, 2, 11, 0, time.UTC), "2026-07-03 23:02:11 PDT"},
		// 2026-03-08 02:00 PST clocks jump to 03:00 PDT (10:00 UTC).
		{"a second before the spring-forward", "America/Los_Angeles", time.Date(2026, 3, 8, 9, 59, 59, 0, time.UTC), "2026-03-08 01:59:59 PST"},
		{"the spring-forward", "America/Los_Angeles", time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC), "2026-03-08 03:00:00 PDT"},
		// 2026-11-01 02:00 PDT clocks fall back to 01:00 PST: 01:30 happens twice.
		{"the first 01:30 of the fall-back", "America/Los_Angeles", time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC), "2026-11-01 01:30:00 PDT"},
		{"the second 01:30 of the fall-back", "America/Los_Angeles", time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), "2026-11-01 01:30:00 PST"},
		{"Berlin summer time", "Europe/Berlin", time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), "2026-07-01 14:00:00 CEST"},
		{"an instant carried in another zone", "UTC", time.Date(2026, 3, 1, 20, 4, 5, 0, time.FixedZone("x", -8*3600)), "2026-03-02 04:04:05 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var loc *time.Location
			if tc.zone != "" {
				loc = mustZone(t, tc.zone)
			}
			if got := FormatTime(tc.at, loc); got != tc.want {
				t.Errorf("FormatTime(%s, %q) = %q, want %q", tc.at.UTC().Format(time.RFC3339), tc.zone, got, tc.want)
			}
		})
	}
	if got := FormatTime(time.Time{}, time.UTC); got != "—" {
		t.Errorf("FormatTime(zero) = %q, want —", got)
	}
}

func TestZoneNeverServerLocal(t *testing.T) {
	if Zone(time.Local) != time.UTC || Zone(nil) != time.UTC {
		t.Errorf("Zone(Local), Zone(nil) = %v, %v; want UTC", Zone(time.Local), Zone(nil))
	}
	sg := mustZone(t, "Asia/Singapore")
	if Zone(sg) != sg {
		t.Errorf("Zone(Singapore) = %v", Zone(sg))
	}
}

func TestFormatClock(t *testing.T) {
	sg := mustZone(t, "Asia/Singapore")
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC) // 23:00 +08
	for _, tc := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC), sg, "23:30:00 +08"},
		// 16:30 UTC is the same UTC day but the next day in Singapore.
		{time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC), sg, "2026-12-05 00:30:00 +08"},
		{time.Date(2026, 12, 4, 16, 30, 0, 0, time.UTC), nil, "16:30:00 UTC"},
		{time.Time{}, sg, "—"},
	} {
		if got := FormatClock(tc.at, now, tc.loc); got != tc.want {
			t.Errorf("FormatClock(%v, %v) = %q, want %q", tc.at, tc.loc, got, tc.want)
		}
	}
}

func TestZoneLabel(t *testing.T) {
	now := time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)
	for zone, want := range map[string]string{
		"UTC":                 "UTC",
		"Asia/Singapore":      "Asia/Singapore (+08)",
		"America/Los_Angeles": "America/Los_Angeles (PST)",
	} {
		if got := ZoneLabel(mustZone(t, zone), now); got != want {
			t.Errorf("ZoneLabel(%s) = %q, want %q", zone, got, want)
		}
	}
	if got := ZoneLabel(nil, now); got != "UTC" {
		t.Errorf("ZoneLabel(nil) = %q, want UTC", got)
	}
}

func TestRelativeTimeDateInViewerZone(t *testing.T) {
	sg := mustZone(t, "Asia/Singapore")
	now := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC).In(sg)
	// 40 days earlier at 20:00 UTC is already the next day in Singapore.
	if got := RelativeTime(time.Date(2026, 1, 20, 20, 0, 0, 0, time.UTC), now); got != "2026-01-21" {
		t.Errorf("RelativeTime beyond 30 d in Singapore = %q, want 2026-01-21", got)
	}
}

// BenchmarkFormatTime compares the one time format in UTC and in a zone
// with DST (a list page formats 50 of them).
func BenchmarkFormatTime(b *testing.B) {
	at := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("UTC", func(b *testing.B) {
		for b.Loop() {
			_ = FormatTime(at, time.UTC)
		}
	})
	b.Run("America/Los_Angeles", func(b *testing.B) {
		for b.Loop() {
			_ = FormatTime(at, la)
		}
	})
}
