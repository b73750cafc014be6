package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"paydesk/views/pages"
)

// PaymentLive handles the "GET /payments/:id/live?v=<version>" route, the
// detail page's poll. Unchanged and in flight: 204 from one indexed read,
// nothing rendered. Changed: the live region with the new version. Settled
// (final, nothing in flight): the live region with status 286, which tells
// htmx to stop polling.
func (h *Handlers) PaymentLive(c echo.Context) error {
	id := idParam(c, "id")
	seen, err := strconv.ParseInt(c.QueryParam("v"), 10, 64)
	if err != nil {
		return errInvalid("v", "v must be the version the page shows")
	}
	version, final, err := h.Store.PaymentVersion(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if version == seen && !final {
		return c.NoContent(http.StatusNoContent)
	}
	vm, err := h.paymentDetail(c, id, paymentForms{})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if vm.Live.PollURL == "" {
		status = StatusStopPolling
	}
	markSearchHit(&vm.Live, c.QueryParam("highlight")) // a search hit stays marked
	return render(c, status, pages.PaymentLiveRegion(vm.Live))
}
