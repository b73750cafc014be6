package store

import (
	"fmt"
	"time"

	"paydesk/antom"
)

// Allowed is which money actions a payment allows now, and how much: the
// one rule the pages offer the actions by and the store enforces on submit.
// A refusal is a sentence for a person; "" means allowed.
type Allowed struct {
	Capturable     int64 // what may still be captured: authorized minus captured and in flight
	Refundable     int64 // what may still be refunded: captured minus refunded and in flight
	CaptureRefusal string
	CancelRefusal  string
	RefundRefusal  string
}

// CanCapture, CanCancel and CanRefund report whether the action is allowed.
func (a Allowed) CanCapture() bool { return a.CaptureRefusal == "" }

// CanCancel reports whether a cancel is allowed.
func (a Allowed) CanCancel() bool { return a.CancelRefusal == "" }

// CanRefund reports whether a refund is allowed.
func (a Allowed) CanRefund() bool { return a.RefundRefusal == "" }

// Allowed is what the loaded payment allows at now.
func (d *PaymentDetail) Allowed(now time.Time) Allowed {
	var t txnTotals
	for _, c := range d.Captures {
		switch c.Status {
		case TxnSuccess:
			t.captured += c.AmountMinor
		case TxnProcessing:
			t.capturing += c.AmountMinor
		}
	}
	for _, r := range d.Refunds {
		switch r.Status {
		case TxnSuccess:
			t.refunded += r.AmountMinor
		case TxnProcessing:
			t.refunding += r.AmountMinor
		}
	}
	for _, o := range d.Operations {
		if o.State == OpPending && o.Kind == OpCancel {
			t.cancelPending++
		}
	}
	return allowedOf(&d.Payment, t, now)
}

func allowedOf(p *Payment, t txnTotals, now time.Time) Allowed {
	a := Allowed{
		Capturable: max(p.AmountMinor-t.captured-t.capturing, 0),
		Refundable: max(t.captured-t.refunded-t.refunding, 0),
	}
	authExpired := !p.AuthExpiresAt.IsZero() && !now.Before(p.AuthExpiresAt)
	switch {
	case p.Status != StatusSuccess:
		a.CaptureRefusal = fmt.Sprintf("payment is %s; only an authorized (SUCCESS) payment can be captured", p.Status)
	case p.CaptureMode != antom.CaptureManual:
		a.CaptureRefusal = "payment uses automatic capture; Antom captures it"
	case p.PaymentID == "":
		a.CaptureRefusal = "Antom's paymentId is not known yet; run an inquiry first"
	case authExpired:
		// In now's zone (the handlers pass the viewer's clock); UTC for
		// the server's own zone.
		loc := now.Location()
		if loc == time.Local {
			loc = time.UTC
		}
		a.CaptureRefusal = "the authorization expired at " + p.AuthExpiresAt.In(loc).Format("2006-01-02 15:04:05 MST")
	case t.cancelPending > 0:
		a.CaptureRefusal = "a cancel is in progress; wait for Antom's answer"
	case t.capturing > 0:
		a.CaptureRefusal = "a capture is already in progress; wait for its result"
	case a.Capturable <= 0:
		a.CaptureRefusal = "payment is fully captured"
	}
	switch {
	case p.Status != StatusSuccess:
		a.RefundRefusal = fmt.Sprintf("payment is %s; only a successful payment can be refunded", p.Status)
	case p.PaymentID == "":
		a.RefundRefusal = "Antom's paymentId is not known yet; run an inquiry first"
	case t.captured == 0 && t.capturing > 0:
		a.RefundRefusal = "the capture is not confirmed yet; refund once Antom confirms it"
	case t.captured == 0:
		a.RefundRefusal = "nothing is captured yet, so there is nothing to refund; cancel the authorization instead"
	case t.refunding > 0:
		a.RefundRefusal = "a refund is already in progress; wait for its result"
	case a.Refundable <= 0:
		a.RefundRefusal = "payment is fully refunded"
	}
	switch p.Status {
	case StatusSessionReady, StatusProcessing, StatusSuccess:
		switch {
		case t.captured > 0:
			a.CancelRefusal = "payment has a capture; refund it instead of cancelling"
		case t.capturing > 0:
			a.CancelRefusal = "a capture is in progress; once Antom confirms it, refund instead of cancelling"
		case t.cancelPending > 0:
			a.CancelRefusal = "a cancel is already in progress; wait for Antom's answer"
		case p.Status == StatusSuccess && !p.PaidAt.IsZero() && !now.Before(p.PaidAt.Add(AuthorizationWindow)):
			a.CancelRefusal = "Antom's 7-day cancel window has passed; an uncaptured authorization is released by the card network"
		}
	default:
		a.CancelRefusal = fmt.Sprintf("payment is %s and cannot be cancelled", p.Status)
	}
	return a
}
