package handlers

import (
	"errors"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// notFoundPathShown bounds how much of an unknown URL the 404 repeats.
const notFoundPathShown = 200

// NotFound handles every URL no route matches (Echo's "route not found"
// route, "/*"): a 404 that names the path asked for. The route loads the
// staff session for browser GETs, so a signed-in user gets the page inside
// the normal layout, not the signed-out one.
func (h *Handlers) NotFound(c echo.Context) error {
	return errNotFound("No page at %s.", abbreviate(c.Request().URL.Path, notFoundPathShown))
}

// paymentNotFound is the detail pages' 404 for an unknown paymentRequestId,
// naming the ID asked for; other errors pass through.
func paymentNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound("No payment with ID %s.", abbreviate(id, notFoundPathShown))
	}
	return err
}
