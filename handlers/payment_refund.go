package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// maxRefundReason is refundReason's limit (String(256), protocol section 5.5).
const maxRefundReason = 256

// PaymentRefund handles the "POST /payments/:id/refund" route (operator and
// admin; step-up password): check the amount against what is captured and
// not yet refunded (in the store), persist the refundRequestId before
// calling Antom, call refund, record the answer and audit. A U answer leaves
// the refund PROCESSING until the notification or an inquiry settles it.
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
	if err := h.requireRecentPassword(c); err != nil {
		msg, status, ok := stepUpRefusal(err)
		if !ok {
			return err
		}
		form.StepUpError = msg
		return fail(status)
	}
	actor := h.auditContext(c).Actor
	rf, err := h.Store.BeginRefund(ctx, id, minor, form.Reason, actor)
	if err != nil {
		field, msg, status, ok := storeRefusal(err)
		if !ok {
			return err
		}
		if field == "amount" {
			form.Error = msg
		} else {
			form.FormError = msg
		}
		return fail(status)
	}
	if err := h.auditPayment(c, "payment.refund", id, nil, map[string]any{
		"refundRequestId": rf.RefundRequestID, "amount": antom.NewAmount(minor, d.Currency), "reason": form.Reason}); err != nil {
		return err
	}
	actx, cancel := antomContext(detached(c))
	defer cancel()
	resp, callErr := h.Antom.Refund(actx, &antom.RefundRequest{
		RefundRequestID: rf.RefundRequestID,
		PaymentID:       d.PaymentID,
		RefundAmount:    antom.NewAmount(minor, d.Currency),
		RefundReason:    form.Reason,
		RefundNotifyURL: d.NotifyURL,
	})
	rf, err = h.Store.ApplyRefundResponse(actx, rf.RefundRequestID, resp, callErr)
	if err != nil {
		return err
	}
	switch rf.Status {
	case store.TxnSuccess:
		h.flash(c, flashSuccess, "Refunded "+money(rf.AmountMinor, rf.Currency)+".")
	case store.TxnFail:
		h.flash(c, flashError, "Antom refused the refund: "+resultText(rf.ResultStatus, rf.ResultCode, rf.ResultMessage))
	default:
		// Said in the past tense: the page shows whether it is still in flight.
		h.flash(c, flashInfo, "Refund of "+money(rf.AmountMinor, rf.Currency)+" sent to Antom; its answer was not final.")
	}
	return redirect(c, paths.Payment(id))
}
