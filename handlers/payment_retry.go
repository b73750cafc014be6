package handlers

import (
	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/paths"
)

// PaymentRetry handles the "POST /payments/:id/retry" route: repeat
// createPaymentSession with the same paymentRequestId after an unknown
// outcome.
func (h *Handlers) PaymentRetry(c echo.Context) error {
	id := idParam(c, "id")
	if err := h.auditPayment(c, "payment.session_retry", id, nil, nil); err != nil {
		return err
	}
	p, err := h.Operations.RetrySession(c.Request().Context(), id)
	if err != nil {
		return err
	}
	switch p.Status {
	case store.StatusSessionReady:
		h.flash(c, flashSuccess, "Session created.")
	case store.StatusSessionFailed:
		h.flash(c, flashError, "Antom refused the session: "+resultText(p.ResultStatus, p.ResultCode, p.ResultMessage))
	case store.StatusCreated:
		h.flash(c, flashInfo, "Antom still did not confirm the session; it is retried with the same paymentRequestId.")
	default:
		h.flash(c, flashInfo, "The session was already settled: "+string(p.Status)+".")
	}
	return redirect(c, paths.Payment(id))
}
