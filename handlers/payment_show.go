package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/views/layout"
	"paydesk/views/pages"
)

// PaymentShow handles the "GET /payments/:id" route: one payment with its
// order, session, captures, refunds, merged timeline and the actions its
// state allows. :id is the paymentRequestId.
func (h *Handlers) PaymentShow(c echo.Context) error {
	id := idParam(c, "id")
	vm, err := h.paymentDetail(c, id, paymentForms{})
	if err != nil {
		return paymentNotFound(err, id)
	}
	markSearchHit(&vm.Live, c.QueryParam("highlight")) // search_hit.go
	return h.renderPaymentShow(c, http.StatusOK, vm)
}

// renderPaymentShow renders the detail page, or only its live region for an
// htmx request (a form posted with htmx). The flashes are about the action
// that led here ("Session created.", "Capture … requested"), so they are
// shown inside the live region: the first poll that brings a newer state
// replaces them along with the state they described.
func (h *Handlers) renderPaymentShow(c echo.Context, status int, vm pages.PaymentDetailPage) error {
	if isHTMX(c) {
		return render(c, status, pages.PaymentLiveRegion(vm.Live))
	}
	p := h.page(c, vm.PaymentRequestID, layout.NavPayments)
	vm.Live.Flashes, p.Flashes = p.Flashes, nil
	return render(c, status, pages.PaymentShow(p, vm))
}
