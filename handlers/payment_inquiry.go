package handlers

import (
	"errors"

	"github.com/labstack/echo/v4"

	"paydesk/antom"

	"paydesk/views/paths"
)

// PaymentInquiry handles the "POST /payments/:id/inquiry" route, "Re-run
// inquiry": ask Antom now (inquiryPayment) and apply the answer. Success or
// failure, the result is on the payment's timeline; the page says which.
func (h *Handlers) PaymentInquiry(c echo.Context) error {
	id := idParam(c, "id")
	a := h.auditContext(c)
	if _, err := h.Store.GetPayment(c.Request().Context(), id); err != nil {
		return err
	}
	if err := h.auditPayment(c, "payment.inquiry", id, nil, nil); err != nil {
		return err
	}
	p, err := h.Operations.Inquire(c.Request().Context(), id, a.Actor)
	if err != nil {
		h.Log.InfoContext(c.Request().Context(), "inquiry failed", "payment", id, "err", err.Error())
		h.flash(c, flashError, "The inquiry did not get an answer: "+inquiryErrorText(err)+". See the timeline.")
		return redirect(c, paths.Payment(id))
	}
	h.flash(c, flashSuccess, "Inquiry done: Antom reports "+string(p.Status)+".")
	return redirect(c, paths.Payment(id))
}

// inquiryErrorText says why an inquiry failed, without internals.
func inquiryErrorText(err error) string {
	var re *antom.ResultError
	var te *antom.TransportError
	switch {
	case errors.As(err, &re):
		return "Antom answered " + resultText(re.Result.ResultStatus, re.Result.ResultCode, re.Result.ResultMessage)
	case errors.As(err, &te):
		return "Antom did not answer"
	}
	return "the answer could not be used"
}
