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
	"paydesk/views/components"
	"paydesk/views/pages"
)

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
	now := h.viewerNow(c)
	switch {
	case op.State == store.OpSucceeded:
		h.flash(c, flashSuccess, operationDone(op)+".")
	case op.State == store.OpFailed:
		h.flash(c, flashError, "Antom refused the "+lowerFirst(op.Title())+": "+resultText("F", op.ResultCode, op.ResultMessage))
	case res.Waiting:
		h.flash(c, flashInfo, op.Title()+" sent to Antom at "+clock(op.LastAttemptAt, now)+", waiting for Antom's answer; this page updates when it comes.")
	default:
		h.flash(c, flashInfo, op.Title()+" sent to Antom at "+clock(op.LastAttemptAt, now)+"; its answer was not definitive ("+op.LastAnswer+
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

// operationState says in plain words where an operation is, at now:
//
//	Capture of 42.00 SGD sent 12:04:10 UTC, Antom's answer unknown, asking Antom for the outcome (attempt 3, next 12:05:40 UTC).
//	Capture of 42.00 SGD sent 12:04:10 UTC, Antom's answer unknown and Antom has no record of it, re-sending with the same request ID (attempt 2, next 12:04:14 UTC).
//	Cancel confirmed by Antom 12:06:02 UTC.
//	Refund of 5.00 SGD refused by Antom 12:06:02 UTC: REFUND_AMOUNT_EXCEED.
//
// A pending operation past Antom's window also says whom to ask.
func operationState(op *store.Operation, now time.Time) string {
	switch op.State {
	case store.OpSucceeded:
		return fmt.Sprintf("%s confirmed by Antom %s.", op.Title(), clock(op.ResolvedAt, now))
	case store.OpFailed:
		return fmt.Sprintf("%s refused by Antom %s: %s.", op.Title(), clock(op.ResolvedAt, now), firstNonEmpty(op.ResultCode, "no reason given"))
	}
	s := fmt.Sprintf("%s sent %s", op.Title(), clock(op.CreatedAt, now))
	switch {
	case !op.Unknown:
		s += ", waiting for Antom's answer"
	case op.Mode == store.OpInquire:
		s += ", Antom's answer unknown, asking Antom for the outcome"
	default:
		// An inquiry found that Antom does not have it (or has not
		// processed it): it is sent again, which Antom is idempotent on.
		s += ", Antom's answer unknown and " + notHeld(op) + ", re-sending with the same request ID"
	}
	if op.Unknown || op.Attempts > 1 {
		s += fmt.Sprintf(" (attempt %d", op.Attempts)
		if !op.NextAttemptAt.IsZero() {
			if now.Before(op.NextAttemptAt) {
				s += ", next " + clock(op.NextAttemptAt, now)
			} else {
				s += ", next due now"
			}
		}
		s += ")"
	}
	s += "."
	if op.Overdue {
		s += " It is past Antom's window: contact Antom with request ID " + op.RequestID + "."
	}
	return s
}

// operationNotice is the notice a pending operation puts at the top of its
// payment's page: what is not final yet and what Paydesk is doing about it.
// The Operations section has the attempts and times.
func operationNotice(op *store.Operation) pages.Notice {
	what := "The " + lowerFirst(op.Title())
	switch {
	case op.Overdue:
		return pages.Notice{Tone: pages.ToneBad, Text: what + " is still unconfirmed past Antom's window: contact Antom with request ID " +
			op.RequestID + ". Paydesk keeps asking."}
	case !op.Unknown:
		return pages.Notice{Tone: pages.ToneInfo, Text: what + " was sent to Antom and awaits its answer; this page updates when it comes."}
	case op.Mode == store.OpInquire:
		return pages.Notice{Tone: pages.ToneInfo, Text: what + " is not confirmed yet: Antom's answer was unknown, so Paydesk is asking Antom for the outcome. This page updates when Antom answers."}
	}
	return pages.Notice{Tone: pages.ToneInfo, Text: what + " is not confirmed yet: " + notHeld(op) + ", so Paydesk is sending it again with the same request ID. This page updates when Antom answers."}
}

// notHeld is what the reconciler's inquiry found about an operation it
// sends again: a capture or refund Antom has no record of; a payment Antom
// has not cancelled.
func notHeld(op *store.Operation) string {
	if op.Kind == store.OpCancel {
		return "Antom has not cancelled the payment"
	}
	return "Antom has no record of it"
}

// operationBadge is an operation's state: pending, confirmed, refused, or
// overdue (pending past Antom's window).
func operationBadge(op *store.Operation) pages.Badge {
	switch {
	case op.State == store.OpSucceeded:
		return pages.Badge{Label: "confirmed", Tone: pages.ToneOK}
	case op.State == store.OpFailed:
		return pages.Badge{Label: "refused", Tone: pages.ToneBad}
	case op.Overdue:
		return pages.Badge{Label: "overdue", Tone: pages.ToneBad, Title: "Still unconfirmed past Antom's window"}
	case op.Unknown:
		return pages.Badge{Label: "pending", Tone: pages.ToneInfo, Title: "Antom's answer unknown; Paydesk keeps asking"}
	}
	return pages.Badge{Label: "pending", Tone: pages.ToneInfo}
}

// operationLastAnswer is what the last attempt of a pending operation
// learnt, when its outcome is not known: U, no answer, an HTTP 5xx, or
// what the reconciler's inquiry found ("inquiry: Antom has no record of
// this capture").
func operationLastAnswer(op *store.Operation) string {
	if op.State != store.OpPending || !op.Unknown {
		return ""
	}
	return op.LastAnswer
}

// clock is an instant as staff read it in a sentence at now, the viewer's
// clock: "12:04:10 +08" on the viewer's current day, the full date otherwise.
func clock(t, now time.Time) string {
	if t.IsZero() {
		return "(not yet)"
	}
	return components.FormatClock(t, now, now.Location())
}

// lowerFirst lower-cases the first letter only, so a title reads inside a
// sentence and its currency code stays as it is: "capture of 42.00 SGD".
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// stepUpFailed renders a money route's step-up refusal inline on the
// confirmation panel it came from (the route table's money() guard calls
// it), with the values typed kept; other routes get the error as it is.
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
		forms.Capture = pages.MoneyForm{Amount: amount, Confirming: true, StepUpError: msg}
	case strings.HasSuffix(c.Path(), "/refund"):
		forms.Refund = pages.MoneyForm{Amount: amount, Reason: reason, Confirming: true, StepUpError: msg}
	case strings.HasSuffix(c.Path(), "/cancel"):
		forms.Cancel = pages.ActionForm{Confirming: true, StepUpError: msg}
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
