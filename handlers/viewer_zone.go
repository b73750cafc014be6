package handlers

import (
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// viewerZone is the signed-in user's time zone (their Account preference),
// UTC for a user with none, for no user, or for a saved name the zone
// database no longer knows. Locations are cached: a page renders many
// times and each load parses the zone file.
func (h *Handlers) viewerZone(c echo.Context) *time.Location {
	u := currentUser(c)
	if u == nil || u.TimeZone == "" {
		return time.UTC
	}
	if loc, ok := h.zones.Load(u.TimeZone); ok {
		return loc.(*time.Location)
	}
	_, loc, err := store.ValidateTimeZone(u.TimeZone)
	if err != nil {
		loc = time.UTC // cached too: a name that does not load is not loaded again on every call
	}
	h.zones.Store(u.TimeZone, loc)
	return loc
}

// viewerNow is the viewer's clock: h.Now() in the viewer's zone. Pages show
// every time in the location of the now they are given (stampOf, clock,
// components.Time), so building a page at viewerNow is what puts its times
// in the viewer's zone; comparisons are unaffected.
func (h *Handlers) viewerNow(c echo.Context) time.Time {
	return h.Now().In(h.viewerZone(c))
}

// rfc3339In finds the RFC 3339 instants the store writes into timeline
// summaries ("Session created, expires 2026-12-04T06:02:11Z").
var rfc3339In = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})`)

// localTimes rewrites the RFC 3339 instants in a summary the store wrote
// into the one format staff see, in the zone of now (the viewer's clock;
// clock): a timeline never mixes "…T19:28:12Z" with "19:28:12 UTC". Only
// our own summaries go through it; raw payloads and details are shown as
// they came.
func localTimes(s string, now time.Time) string {
	if !strings.Contains(s, "T") {
		return s
	}
	return rfc3339In.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339Nano, m)
		if err != nil {
			return m
		}
		return clock(t, now)
	})
}
