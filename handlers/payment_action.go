package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
)

// The helpers below are shared by the payment action handlers (inquiry,
// retry, capture, cancel, refund): show the page again with inline errors,
// turn step-up and store refusals into those errors, and audit.

// actionFailed renders the detail page again with the forms as typed and
// their inline errors; nothing was changed.
func (h *Handlers) actionFailed(c echo.Context, id string, status int, forms paymentForms) error {
	vm, err := h.paymentDetail(c, id, forms)
	if err != nil {
		return err
	}
	// A refusal about the payment's state (a double submit, a capture after
	// the full capture) comes back to a page that no longer offers the form
	// it was typed in: say it at the top of the page instead.
	a := vm.Live.Actions
	for _, f := range []struct {
		shown bool
		msgs  []string
	}{
		{a.Capture != nil, []string{forms.Capture.Error, forms.Capture.StepUpError, forms.Capture.FormError}},
		{a.Refund != nil, []string{forms.Refund.Error, forms.Refund.StepUpError, forms.Refund.FormError}},
		{a.Cancel != nil, []string{forms.Cancel.StepUpError, forms.Cancel.FormError}},
		{a.Inquiry != nil, []string{forms.Inquiry.StepUpError, forms.Inquiry.FormError}},
		{a.Retry != nil, []string{forms.Retry.StepUpError, forms.Retry.FormError}},
	} {
		for _, m := range f.msgs {
			if !f.shown && m != "" {
				vm.Live.Notices = append([]pages.Notice{{Tone: pages.ToneBad, Text: m}}, vm.Live.Notices...)
			}
		}
	}
	return h.renderPaymentShow(c, status, vm)
}

// stepUpRefusal turns the step-up check's error into an inline message and
// its status; ok is false for errors that are not about the password (they
// are returned as they are).
func stepUpRefusal(err error) (msg string, status int, ok bool) {
	var e *Error
	if !errors.As(err, &e) || e.Kind == KindUnauthorized {
		return "", 0, false
	}
	msg = e.Fields[StepUpField]
	if msg == "" {
		msg = e.publicMessage()
	}
	return msg, e.StatusCode(), true
}

// storeRefusal turns a store validation or conflict error into an inline
// message: field is the input at fault ("" for the form as a whole). ok is
// false for other errors (not found, internal), which are returned as they are.
func storeRefusal(err error) (field, msg string, status int, ok bool) {
	var fe *store.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &fe):
		return fe.Field, sentence(fe.Message), http.StatusUnprocessableEntity, true
	case errors.As(err, &ce):
		return "", sentence(ce.Message), http.StatusConflict, true
	case errors.Is(err, store.ErrConflict):
		return "", "The payment changed meanwhile; reload and try again.", http.StatusConflict, true
	}
	return "", "", 0, false
}

// auditPayment appends an audit entry for a staff action on a payment
// (capture, cancel, refund, session creation, inquiry): who and from where
// come from the request; before and after are any JSON-marshalable values.
func (h *Handlers) auditPayment(c echo.Context, action, paymentRequestID string, before, after any) error {
	return h.Store.AddAudit(c.Request().Context(), h.auditContext(c).PaymentEntry(action, paymentRequestID, before, after))
}
