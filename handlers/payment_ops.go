package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/pages"
)

// operations is the operations layer (store/ops).
func (h *Handlers) operations() *ops.Ops { return h.Operations }

// moneyRefused shows a store refusal of a capture or refund inline: on the
// amount field when it is about the amount, else on the form. Other errors
// are returned as they are.
func (h *Handlers) moneyRefused(c echo.Context, id string, err error, forms *paymentForms, form *pages.MoneyForm) error {
	field, msg, status, ok := storeRefusal(err)
	if !ok {
		return err
	}
	if field == "amount" {
		form.Error = msg
	} else {
		form.FormError = msg
	}
	return h.actionFailed(c, id, status, *forms)
}

// flashOperation says what is known of an operation a person just started:
// confirmed, refused, or sent and waiting — never a bare error for an
// answer that is only late.
func (h *Handlers) flashOperation(c echo.Context, res ops.Result) {
	op := res.Op
	switch {
	case op.State == store.OpSucceeded:
		h.flash(c, flashSuccess, operationDone(op)+".")
	case op.State == store.OpFailed:
		h.flash(c, flashError, "Antom refused the "+strings.ToLower(op.Title())+": "+resultText("F", op.ResultCode, op.ResultMessage))
	case res.Waiting:
		h.flash(c, flashInfo, op.Title()+" sent to Antom at "+clock(op.LastAttemptAt)+", waiting for Antom's answer; this page updates when it comes.")
	default:
		h.flash(c, flashInfo, op.Title()+" sent to Antom at "+clock(op.LastAttemptAt)+"; its answer was not definitive ("+op.LastAnswer+
			"), so Paydesk asks Antom for the outcome and sends it again, with the same request ID, only if Antom does not have it. This page updates when Antom answers.")
	}
}

// operationDone is the past tense of a confirmed operation.
func operationDone(op *store.Operation) string {
	switch op.Kind {
	case store.OpCapture:
		return "Captured " + money(op.AmountMinor, op.Currency)
	case store.OpRefund:
		return "Refunded " + money(op.AmountMinor, op.Currency)
	}
	return "Payment cancelled"
}

// operationState says in plain words where an operation is: "Capture of
// 42.00 SGD sent 12:04:10, Antom's answer unknown, re-sending (attempt 3,
// next 12:05:40)"; "Cancel confirmed by Antom 12:06:02".
func operationState(op *store.Operation, now time.Time) string {
	switch op.State {
	case store.OpSucceeded:
		return fmt.Sprintf("%s confirmed by Antom %s.", op.Title(), clock(op.ResolvedAt))
	case store.OpFailed:
		return fmt.Sprintf("%s refused by Antom %s: %s.", op.Title(), clock(op.ResolvedAt), nonEmptyText(op.ResultCode, "refused"))
	}
	s := fmt.Sprintf("%s sent %s", op.Title(), clock(op.CreatedAt))
	if !op.Unknown {
		return s + ", waiting for Antom's answer."
	}
	next := "re-sending with the same request ID"
	if op.Mode == store.OpInquire {
		next = "asking Antom for the outcome"
	}
	s += fmt.Sprintf(", Antom's answer unknown (%s), %s (attempt %d", op.LastAnswer, next, op.Attempts)
	if !op.NextAttemptAt.IsZero() {
		at := clock(op.NextAttemptAt)
		if !now.Before(op.NextAttemptAt) {
			at += ", due now"
		}
		s += ", next " + at
	}
	s += ")."
	if op.Overdue {
		s += " It is past Antom's window: contact Antom with request ID " + op.RequestID + "."
	}
	return s
}

// clock is an instant as staff read it in a sentence: "12:04:10 UTC" today
// or the full date otherwise.
func clock(t time.Time) string {
	if t.IsZero() {
		return "(not yet)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func nonEmptyText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// stepUpFailed renders a money route's step-up refusal inline on the form
// it came from (the route table's money() guard calls it), with the values
// typed kept; other routes get the error as it is.
func (h *Handlers) stepUpFailed(c echo.Context, err error) error {
	msg, status, ok := stepUpRefusal(err)
	if !ok {
		return err
	}
	id := idParam(c, "id")
	var forms paymentForms
	amount, reason := strings.TrimSpace(c.FormValue("amount")), strings.TrimSpace(c.FormValue("reason"))
	switch {
	case strings.HasSuffix(c.Path(), "/capture"):
		forms.Capture = pages.MoneyForm{Amount: amount, StepUpError: msg}
	case strings.HasSuffix(c.Path(), "/refund"):
		forms.Refund = pages.MoneyForm{Amount: amount, Reason: reason, StepUpError: msg}
	case strings.HasSuffix(c.Path(), "/cancel"):
		forms.Cancel.StepUpError = msg
	default:
		return err
	}
	if status == 0 {
		status = http.StatusForbidden
	}
	return h.actionFailed(c, id, status, forms)
}

// antomOf is the operations layer's Antom: the handlers' client, read at
// each call (tests put a hostile proxy in front of the simulator). Without
// a client every call fails as a transport failure would, and is recorded
// so.
type antomOf struct{ h *Handlers }

var errNoAntom = &antom.TransportError{API: "antom", Err: errors.New("no Antom client is configured on this server")}

func (a antomOf) CreatePaymentSession(ctx context.Context, r *antom.CreatePaymentSessionRequest) (*antom.CreatePaymentSessionResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.CreatePaymentSession(ctx, r)
}

func (a antomOf) InquiryPayment(ctx context.Context, r *antom.InquiryPaymentRequest) (*antom.InquiryPaymentResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.InquiryPayment(ctx, r)
}

func (a antomOf) Capture(ctx context.Context, r *antom.CaptureRequest) (*antom.CaptureResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.Capture(ctx, r)
}

func (a antomOf) Cancel(ctx context.Context, r *antom.CancelRequest) (*antom.CancelResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.Cancel(ctx, r)
}

func (a antomOf) Refund(ctx context.Context, r *antom.RefundRequest) (*antom.RefundResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.Refund(ctx, r)
}

func (a antomOf) InquiryRefund(ctx context.Context, r *antom.InquiryRefundRequest) (*antom.InquiryRefundResponse, error) {
	if a.h.Antom == nil {
		return nil, errNoAntom
	}
	return a.h.Antom.InquiryRefund(ctx, r)
}
