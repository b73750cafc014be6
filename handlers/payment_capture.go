package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// PaymentCapture handles the "POST /payments/:id/capture" route (operator
// and admin; step-up password): check the amount, persist the capture
// request (its captureRequestId) before calling Antom, call capture, record
// the answer and audit. A U answer leaves the capture PROCESSING until the
// notification or an inquiry settles it.
func (h *Handlers) PaymentCapture(c echo.Context) error {
	id := idParam(c, "id")
	ctx := c.Request().Context()
	d, err := h.Store.GetPayment(ctx, id)
	if err != nil {
		return err
	}
	form := pages.MoneyForm{Amount: strings.TrimSpace(c.FormValue("amount"))}
	fail := func(status int) error { return h.actionFailed(c, id, status, paymentForms{Capture: form}) }
	minor, err := antom.ParseMajor(form.Amount, d.Currency)
	if err != nil {
		form.Error = sentence(err.Error())
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
	cp, err := h.Store.BeginCapture(ctx, id, minor, actor)
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
	if err := h.auditPayment(c, "payment.capture", id, nil, map[string]any{
		"captureRequestId": cp.CaptureRequestID, "amount": antom.NewAmount(minor, d.Currency)}); err != nil {
		return err
	}
	actx, cancel := antomContext(detached(c))
	defer cancel()
	resp, callErr := h.Antom.Capture(actx, &antom.CaptureRequest{
		CaptureRequestID: cp.CaptureRequestID,
		PaymentID:        d.PaymentID,
		CaptureAmount:    antom.NewAmount(minor, d.Currency),
	})
	cp, err = h.Store.ApplyCaptureResponse(actx, cp.CaptureRequestID, resp, callErr)
	if err != nil {
		return err
	}
	switch cp.Status {
	case store.TxnSuccess:
		h.flash(c, flashSuccess, "Captured "+money(cp.AmountMinor, cp.Currency)+".")
	case store.TxnFail:
		h.flash(c, flashError, "Antom refused the capture: "+resultText(cp.ResultStatus, cp.ResultCode, cp.ResultMessage))
	default:
		// Said in the past tense: the page shows whether it is still in flight.
		h.flash(c, flashInfo, "Capture of "+money(cp.AmountMinor, cp.Currency)+" sent to Antom; its answer was not final.")
	}
	return redirect(c, paths.Payment(id))
}
