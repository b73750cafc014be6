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

// TimeLayout is how absolute times are shown.
const TimeLayout = "2006-01-02 15:04:05 UTC"

// FormatTime renders t in UTC, or "—" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(TimeLayout)
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
		return t.UTC().Format("2006-01-02")
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
