package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/views/pages"
	"paydesk/views/paths"
)

// PaymentCancel handles the "POST /payments/:id/cancel" route (operator and
// admin): without the confirmation field, ask for confirmation, changing
// nothing. Confirmed (the route table demands the password every time
// then), the operations layer checks that the payment may be cancelled (store.Allowed), persists
// the cancel as an operation, calls Antom and keeps re-sending it with the
// same parameters until Antom answers definitively; say what is known.
func (h *Handlers) PaymentCancel(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		if r := d.Allowed(h.viewerNow(c)).CancelRefusal; r != "" {
			return h.actionFailed(c, id, http.StatusConflict, paymentForms{Cancel: pages.ActionForm{FormError: sentence(r)}})
		}
		return h.askConfirmation(c, id, paymentForms{Cancel: pages.ActionForm{Confirming: true}})
	}
	res, err := h.Operations.Cancel(ctx, id, h.auditContext(c))
	if err != nil {
		_, msg, status, ok := storeRefusal(err)
		if !ok {
			return err
		}
		forms := paymentForms{}
		forms.Cancel.FormError = msg
		return h.actionFailed(c, id, status, forms)
	}
	h.flashOperation(c, res)
	return redirect(c, paths.Payment(id))
}
