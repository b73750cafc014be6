package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// maxRefundReason is refundReason's limit (String(256), protocol section 5.5).
const maxRefundReason = 256

// PaymentRefund handles the "POST /payments/:id/refund" route (operator and
// admin): parse the amount and reason; without the confirmation field,
// check them and ask for confirmation, changing nothing. Confirmed (the
// route table demands the password every time then), ask the operations
// layer, which checks the amount against
// what is captured and not yet refunded (store.Allowed), persists the
// refund and its operation before calling Antom, and keeps at it until
// Antom answers; say what is known.
func (h *Handlers) PaymentRefund(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	form := pages.MoneyForm{Amount: strings.TrimSpace(c.FormValue("amount")), Reason: strings.TrimSpace(c.FormValue("reason"))}
	fail := func(status int) error { return h.actionFailed(c, id, status, paymentForms{Refund: form}) }
	minor, err := antom.ParseMajor(form.Amount, d.Currency)
	if err != nil {
		form.Error = sentence(err.Error())
		return fail(http.StatusUnprocessableEntity)
	}
	if utf8.RuneCountInString(form.Reason) > maxRefundReason {
		form.FormError = "The reason is longer than 256 characters."
		return fail(http.StatusUnprocessableEntity)
	}
	if !confirmed(c) {
		a := d.Allowed(h.viewerNow(c))
		var status int
		if form.Error, form.FormError, status = preflight(a.RefundRefusal, a.Refundable, minor, d.Currency, "refunded"); status != 0 {
			return fail(status)
		}
		form.Confirming = true
		return h.askConfirmation(c, id, paymentForms{Refund: form})
	}
	res, err := h.Operations.Refund(ctx, id, minor, form.Reason, h.auditContext(c))
	if err != nil {
		forms := paymentForms{Refund: form}
		return h.moneyRefused(c, id, err, &forms, &forms.Refund)
	}
	h.flashOperation(c, res)
	return redirect(c, paths.Payment(id))
}
