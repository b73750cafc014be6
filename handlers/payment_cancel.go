package handlers

import (
	"github.com/labstack/echo/v4"

	"paydesk/views/paths"
)

// PaymentCancel handles the "POST /payments/:id/cancel" route (operator and
// admin; the route table demands the password step-up): the operations
// layer checks that the payment may be cancelled (store.Allowed), persists
// the cancel as an operation, calls Antom and keeps re-sending it with the
// same parameters until Antom answers definitively; say what is known.
func (h *Handlers) PaymentCancel(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	res, err := h.operations().Cancel(ctx, id, h.auditContext(c).Actor)
	if err != nil {
		_, msg, status, ok := storeRefusal(err)
		if !ok {
			return err
		}
		forms := paymentForms{}
		forms.Cancel.FormError = msg
		return h.actionFailed(c, id, status, forms)
	}
	if err := h.auditPayment(c, "payment.cancel", id, map[string]any{"status": d.Status}, nil); err != nil {
		return err
	}
	h.flashOperation(c, res)
	return redirect(c, paths.Payment(id))
}
