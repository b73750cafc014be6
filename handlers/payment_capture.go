package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// PaymentCapture handles the "POST /payments/:id/capture" route (operator
// and admin): parse the amount; without the confirmation field, check it
// and ask for confirmation, changing nothing. Confirmed (the route table
// demands the password step-up then), ask the operations layer, which checks it (store.Allowed),
// persists the capture and its operation before calling Antom, and keeps
// at it until Antom answers; say what is known.
func (h *Handlers) PaymentCapture(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	form := pages.MoneyForm{Amount: strings.TrimSpace(c.FormValue("amount"))}
	minor, err := antom.ParseMajor(form.Amount, d.Currency)
	if err != nil {
		form.Error = sentence(err.Error())
		return h.actionFailed(c, id, http.StatusUnprocessableEntity, paymentForms{Capture: form})
	}
	if !confirmed(c) {
		a := d.Allowed(h.viewerNow(c))
		var status int
		if form.Error, form.FormError, status = preflight(a.CaptureRefusal, a.Capturable, minor, d.Currency, "captured"); status != 0 {
			return h.actionFailed(c, id, status, paymentForms{Capture: form})
		}
		form.Confirming = true
		return h.askConfirmation(c, id, paymentForms{Capture: form})
	}
	res, err := h.Operations.Capture(ctx, id, minor, h.auditContext(c))
	if err != nil {
		forms := paymentForms{Capture: form}
		return h.moneyRefused(c, id, err, &forms, &forms.Capture)
	}
	h.flashOperation(c, res)
	return redirect(c, paths.Payment(id))
}
