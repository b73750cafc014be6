// Package components holds the small templ pieces pages share (status
// badges, amounts, form fields, pagination, empty states) and the tested Go
// helpers that format what they show.
package components

import (
	"strconv"
	"strings"
	"time"

	"paydesk/antom"
)

// FormatAmount renders minor units in the currency's decimals with its code:
// (420000, "SGD") → "4,200.00 SGD", (1000, "JPY") → "1,000 JPY".
func FormatAmount(minor int64, currency string) string {
	return antom.FormatMinor(minor, currency) + " " + currency
}

// TimeLayout is how absolute times are shown, everywhere staff see one: to
// the second, in the viewer's zone, with the zone's abbreviation ("UTC",
// "PDT", "+08", "+0545": the zone database's own, never invented).
const TimeLayout = "2006-01-02 15:04:05 MST"

// ClockLayout is the short form of TimeLayout for an instant on the
// viewer's current day: "14:02:11 +08".
const ClockLayout = "15:04:05 MST"

// Zone is the location times are shown in: loc, or UTC for nil and for
// time.Local (the server's own zone is never a viewer's).
func Zone(loc *time.Location) *time.Location {
	if loc == nil || loc == time.Local {
		return time.UTC
	}
	return loc
}

// FormatTime renders t in loc (see Zone) with TimeLayout, or "—" for the
// zero time: (2026-12-04T06:02:11Z, Asia/Singapore) → "2026-12-04 14:02:11 +08".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Zone(loc)).Format(TimeLayout)
}

// FormatClock renders t as ClockLayout when it falls on the same day as now
// in loc, else as FormatTime; "—" for the zero time.
func FormatClock(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	loc = Zone(loc)
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format(ClockLayout)
	}
	return lt.Format(TimeLayout)
}

// ZoneLabel names a zone for labels: "Asia/Singapore (+08)", "UTC".
func ZoneLabel(loc *time.Location, now time.Time) string {
	loc = Zone(loc)
	abbr := now.In(loc).Format("MST")
	if loc.String() == abbr {
		return abbr
	}
	return loc.String() + " (" + abbr + ")"
}

// RelativeTime renders t relative to now: "just now", "45 s ago",
// "3 min ago", "2 h ago", "5 d ago", "in 4 min"; beyond 30 days the date.
func RelativeTime(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		s = strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		s = strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		s = strconv.Itoa(int(d/time.Hour)) + " h"
	case d < 30*24*time.Hour:
		s = strconv.Itoa(int(d/(24*time.Hour))) + " d"
	default:
		return t.In(Zone(now.Location())).Format("2006-01-02")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// StatusTone maps a status or result word to a badge tone: "ok", "bad",
// "pending", "warn" or "neutral".
func StatusTone(status string) string {
	switch strings.ToUpper(status) {
	case "SUCCESS", "S", "PAID", "CAPTURED", "OK", "ACTIVE", "VERIFIED":
		return "ok"
	case "FAIL", "FAILED", "F", "SESSION_FAILED", "BAD", "REVOKED", "DISABLED", "MISSING":
		return "bad"
	case "PROCESSING", "PENDING", "CREATED", "SESSION_READY", "U", "IN_PROGRESS", "UNKNOWN":
		return "pending"
	case "CANCELLED", "EXPIRED", "UNPAID", "STUCK", "DUPLICATE", "NEEDS_ATTENTION":
		return "warn"
	}
	return "neutral"
}

// Humanize turns an UPPER_SNAKE status into "Upper snake" for display.
func Humanize(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToLower(strings.ReplaceAll(s, "_", " "))
	return strings.ToUpper(s[:1]) + s[1:]
}

// Truncate cuts s to n runes, adding "…" when it was longer.
func Truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
