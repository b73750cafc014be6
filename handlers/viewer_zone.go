package handlers

import (
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
		return time.UTC
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
