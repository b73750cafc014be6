package handlers

import (
	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// PaymentCancel handles the "POST /payments/:id/cancel" route (operator and
// admin; step-up password): the store checks that nothing is captured and
// records the request, then Antom's cancel is called and its answer
// recorded. On U the call is retried with identical parameters by the
// client; a still-unknown outcome waits for an inquiry.
func (h *Handlers) PaymentCancel(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	var form pages.ActionForm
	fail := func(status int) error { return h.actionFailed(c, id, status, paymentForms{Cancel: form}) }
	if err := h.requireRecentPassword(c); err != nil {
		msg, status, ok := stepUpRefusal(err)
		if !ok {
			return err
		}
		form.StepUpError = msg
		return fail(status)
	}
	actor := h.auditContext(c).Actor
	p, err := h.Store.BeginCancel(ctx, id, actor)
	if err != nil {
		_, msg, status, ok := storeRefusal(err)
		if !ok {
			return err
		}
		form.FormError = msg
		return fail(status)
	}
	if err := h.auditPayment(c, "payment.cancel", id, map[string]any{"status": p.Status}, nil); err != nil {
		return err
	}
	actx, cancel := antomContext(detached(c))
	defer cancel()
	resp, callErr := h.Antom.Cancel(actx, &antom.CancelRequest{PaymentID: p.PaymentID, PaymentRequestID: p.PaymentRequestID})
	o := store.OutcomeOf(callErr)
	if _, err := h.Store.ApplyCancelResponse(actx, id, resp, callErr); err != nil {
		return err
	}
	switch o.Status {
	case antom.StatusSuccess:
		h.flash(c, flashSuccess, "Payment cancelled.")
	case antom.StatusFail:
		h.flash(c, flashError, "Antom refused the cancel: "+resultText(o.Status, o.Code, o.Message))
	default:
		h.flash(c, flashInfo, "Cancel sent to Antom; its answer was not final, so an inquiry will settle it.")
	}
	return redirect(c, paths.Payment(id))
}
