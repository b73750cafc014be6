package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// BrowserZoneField is the hidden login-form field app.js fills with the
// browser's IANA time zone (Intl.DateTimeFormat().resolvedOptions()).
const BrowserZoneField = "browser_time_zone"

// AccountTimeZone handles "POST /account/time-zone": save one's own time
// zone, in which every page then shows times. A name the zone database
// does not know is an inline error and changes nothing.
func (h *Handlers) AccountTimeZone(c echo.Context) error {
	u := currentUser(c)
	name := c.FormValue("time_zone")
	_, err := h.Store.SetUserTimeZone(c.Request().Context(), u.ID, name, false, h.auditContext(c))
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return h.renderAccountZone(c, http.StatusUnprocessableEntity, nil, pages.ZoneForm{Value: truncateRunes(name, 100), Error: fe.Message})
	}
	if err != nil {
		return err
	}
	canonical, _, _ := store.ValidateTimeZone(name)
	h.flash(c, flashSuccess, "Time zone saved: times are now shown in "+canonical+".")
	return redirect(c, paths.Account)
}

// defaultTimeZone saves the browser's zone (the login form's hidden field)
// as u's preference at sign-in when u has none yet. A missing or unknown
// name is ignored: the user keeps UTC and can choose on the Account page.
// A failure to save is logged, never a failed sign-in: it is a preference.
func (h *Handlers) defaultTimeZone(c echo.Context, u *store.User) {
	name := c.FormValue(BrowserZoneField)
	if u.TimeZone != "" || name == "" {
		return
	}
	if _, _, err := store.ValidateTimeZone(name); err != nil {
		return
	}
	if _, err := h.Store.SetUserTimeZone(c.Request().Context(), u.ID, name, true, h.auditContextFor(c, u)); err != nil {
		h.Log.Warn("saving the browser's time zone failed", "request_id", requestID(c), "err", err.Error())
	}
}
