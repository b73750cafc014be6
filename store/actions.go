package store

// Staff money actions: capture, refund, cancel. Each is two steps: Begin*
// checks the state and the amount and persists the request (with the request
// ID we mint) before Antom is called; Apply*Response records Antom's answer.
// A U answer or a transport failure leaves the capture/refund PROCESSING (or
// the payment flagged unknown_outcome for a cancel) for the notification or
// the poller's inquiry to settle.

import (
	"context"
	"database/sql"
	"fmt"

	"paydesk/antom"
)

// BeginCapture validates a capture of amountMinor and persists it as
// PROCESSING with a new captureRequestId. The payment must be SUCCESS
// (authorized), in MANUAL capture mode, with a known paymentId, an
// authorization that has not expired, and no other capture in flight; the
// amount must be positive and at most the authorized amount minus what is
// captured or being captured. Refusals are *FieldError (amount) or
// *ConflictError (state) and change nothing.
func (s *Store) BeginCapture(ctx context.Context, paymentRequestID string, amountMinor int64, actor string) (*Capture, error) {
	if amountMinor <= 0 {
		return nil, &FieldError{Field: "amount", Message: "must be greater than zero"}
	}
	var out *Capture
	_, err := s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		out = nil
		switch {
		case p.Status != StatusSuccess:
			return saveOpts{}, conflictf("payment is %s; only an authorized (SUCCESS) payment can be captured", p.Status)
		case p.CaptureMode != antom.CaptureManual:
			return saveOpts{}, conflictf("payment uses automatic capture; Antom captures it")
		case p.PaymentID == "":
			return saveOpts{}, conflictf("Antom's paymentId is not known yet; run an inquiry first")
		case !p.AuthExpiresAt.IsZero() && !s.now().Before(p.AuthExpiresAt):
			return saveOpts{}, conflictf("the authorization expired at %s", p.AuthExpiresAt.Format("2006-01-02 15:04 MST"))
		}
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		if t.capturing > 0 {
			return saveOpts{}, conflictf("a capture is already in progress; wait for its result")
		}
		avail := p.AmountMinor - t.captured
		if avail <= 0 {
			return saveOpts{}, conflictf("payment is fully captured")
		}
		if amountMinor > avail {
			return saveOpts{}, &FieldError{Field: "amount", Message: fmt.Sprintf("exceeds what can still be captured (%s %s)",
				antom.FormatMinor(avail, p.Currency), p.Currency)}
		}
		c := &Capture{CaptureRequestID: s.newID("cap"), AmountMinor: amountMinor, Currency: p.Currency,
			Status: TxnProcessing, Actor: actor}
		if err := s.insertCapture(ctx, tx, p, c); err != nil {
			return saveOpts{}, err
		}
		summary := fmt.Sprintf("Capture of %s %s requested (%s)", antom.FormatMinor(amountMinor, p.Currency), p.Currency, c.CaptureRequestID)
		if _, err := s.addEvent(ctx, tx, p, EventStaffAction, actor, summary, map[string]any{
			"action": "capture", "captureRequestId": c.CaptureRequestID, "amount": antom.NewAmount(amountMinor, p.Currency),
		}, 0); err != nil {
			return saveOpts{}, err
		}
		out = c
		return saveOpts{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ApplyCaptureResponse records the answer to the capture call for
// captureRequestID: resp and callErr as the antom client returned them.
func (s *Store) ApplyCaptureResponse(ctx context.Context, captureRequestID string, resp *antom.CaptureResponse, callErr error) (*Capture, error) {
	o := OutcomeOf(callErr)
	var out *Capture
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := captureBy(ctx, tx, "capture_request_id", captureRequestID)
		if err != nil {
			return err
		}
		p, err := paymentByID(ctx, tx, c.paymentFK)
		if err != nil {
			return err
		}
		old := p.Status
		rep := txnReport{RequestID: captureRequestID, Result: antom.Result{ResultStatus: o.Status, ResultCode: o.Code, ResultMessage: o.Message}}
		if callErr == nil && resp != nil {
			rep.ID, rep.Amount, rep.Time, rep.AcquirerRef, rep.Result = resp.CaptureID, resp.CaptureAmount, resp.CaptureTime, resp.AcquirerReferenceNo, resp.Result
		}
		rep.Event, _ = txnEventOf(nonEmpty(rep.Result.ResultStatus, antom.StatusUnknown))
		to, err := s.applyCapture(ctx, tx, p, rep)
		if err != nil {
			return err
		}
		var a applied
		summary := answerSummary("Capture", o) + "; " + s.txnSummary("capture", rep.Event, to, map[string]any{}, &a)
		if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "antom", summary, map[string]any{
			"api": "capture", "captureRequestId": captureRequestID, "outcome": o, "effect": to.Effect,
		}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: a.needsInquiry}); err != nil {
			return err
		}
		out, err = captureBy(ctx, tx, "capture_request_id", captureRequestID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BeginRefund validates a refund of amountMinor and persists it as
// PROCESSING with a new refundRequestId. The payment must be SUCCESS with
// something captured and no other refund in flight; the amount must be
// positive and at most captured minus refunded (or being refunded).
func (s *Store) BeginRefund(ctx context.Context, paymentRequestID string, amountMinor int64, reason, actor string) (*Refund, error) {
	if amountMinor <= 0 {
		return nil, &FieldError{Field: "amount", Message: "must be greater than zero"}
	}
	if err := checkASCII("reason", reason, maxDescriptionLen, false); err != nil {
		return nil, err
	}
	var out *Refund
	_, err := s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		out = nil
		switch {
		case p.Status != StatusSuccess:
			return saveOpts{}, conflictf("payment is %s; only a successful payment can be refunded", p.Status)
		case p.PaymentID == "":
			return saveOpts{}, conflictf("Antom's paymentId is not known yet; run an inquiry first")
		}
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		switch {
		case t.captured == 0:
			return saveOpts{}, conflictf("nothing is captured yet, so there is nothing to refund; cancel the authorization instead")
		case t.refunding > 0:
			return saveOpts{}, conflictf("a refund is already in progress; wait for its result")
		}
		avail := t.captured - t.refunded
		if avail <= 0 {
			return saveOpts{}, conflictf("payment is fully refunded")
		}
		if amountMinor > avail {
			return saveOpts{}, &FieldError{Field: "amount", Message: fmt.Sprintf("exceeds what can still be refunded (%s %s)",
				antom.FormatMinor(avail, p.Currency), p.Currency)}
		}
		r := &Refund{RefundRequestID: s.newID("ref"), AmountMinor: amountMinor, Currency: p.Currency,
			Status: TxnProcessing, Reason: reason, Actor: actor}
		if err := s.insertRefund(ctx, tx, p, r); err != nil {
			return saveOpts{}, err
		}
		summary := fmt.Sprintf("Refund of %s %s requested (%s)", antom.FormatMinor(amountMinor, p.Currency), p.Currency, r.RefundRequestID)
		if _, err := s.addEvent(ctx, tx, p, EventStaffAction, actor, summary, map[string]any{
			"action": "refund", "refundRequestId": r.RefundRequestID, "amount": antom.NewAmount(amountMinor, p.Currency), "reason": reason,
		}, 0); err != nil {
			return saveOpts{}, err
		}
		out = r
		return saveOpts{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ApplyRefundResponse records the answer to the refund call for
// refundRequestID: resp and callErr as the antom client returned them.
func (s *Store) ApplyRefundResponse(ctx context.Context, refundRequestID string, resp *antom.RefundResponse, callErr error) (*Refund, error) {
	o := OutcomeOf(callErr)
	var out *Refund
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := refundBy(ctx, tx, "refund_request_id", refundRequestID)
		if err != nil {
			return err
		}
		p, err := paymentByID(ctx, tx, r.paymentFK)
		if err != nil {
			return err
		}
		old := p.Status
		rep := txnReport{RequestID: refundRequestID, Result: antom.Result{ResultStatus: o.Status, ResultCode: o.Code, ResultMessage: o.Message}}
		if callErr == nil && resp != nil {
			rep.ID, rep.Amount, rep.Time, rep.AcquirerRef, rep.Result = resp.RefundID, resp.RefundAmount, resp.RefundTime, resp.AcquirerReferenceNo, resp.Result
		}
		rep.Event, _ = txnEventOf(nonEmpty(rep.Result.ResultStatus, antom.StatusUnknown))
		to, err := s.applyRefund(ctx, tx, p, rep)
		if err != nil {
			return err
		}
		var a applied
		summary := answerSummary("Refund", o) + "; " + s.txnSummary("refund", rep.Event, to, map[string]any{}, &a)
		if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "antom", summary, map[string]any{
			"api": "refund", "refundRequestId": refundRequestID, "outcome": o, "effect": to.Effect,
		}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: a.needsInquiry}); err != nil {
			return err
		}
		out, err = refundBy(ctx, tx, "refund_request_id", refundRequestID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BeginCancel checks that the payment may be cancelled (a session or a
// payment without any capture, not final other than an uncaptured
// SUCCESS) and records the staff action on the timeline.
func (s *Store) BeginCancel(ctx context.Context, paymentRequestID, actor string) (*Payment, error) {
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		switch p.Status {
		case StatusSessionReady, StatusProcessing, StatusSuccess:
		default:
			return saveOpts{}, conflictf("payment is %s and cannot be cancelled", p.Status)
		}
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		if t.captured > 0 || t.capturing > 0 {
			return saveOpts{}, conflictf("payment has a capture; refund it instead of cancelling")
		}
		_, err = s.addEvent(ctx, tx, p, EventStaffAction, actor, "Cancel requested", map[string]any{"action": "cancel"}, 0)
		return saveOpts{}, err
	})
}

// ApplyCancelResponse records the answer to the cancel call: S cancels the
// payment; F is recorded; U or a transport failure flags the payment
// unknown_outcome and asks the poller for an inquiry.
func (s *Store) ApplyCancelResponse(ctx context.Context, paymentRequestID string, resp *antom.CancelResponse, callErr error) (*Payment, error) {
	o := OutcomeOf(callErr)
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		var opts saveOpts
		summary := answerSummary("Cancel", o)
		switch o.Status {
		case antom.StatusSuccess:
			f := paymentFacts{}
			if resp != nil {
				f.PaymentID = resp.PaymentID
			}
			po := applyPaymentEvent(p, EvCancelled, f)
			summary += "; " + describe(po.Transition)
			if po.LearnedPaymentID {
				if err := s.replayParked(ctx, tx, p); err != nil {
					return opts, err
				}
			}
			opts.pollNow = po.Effect == EffectContradiction
		case antom.StatusFail:
			summary += "; refused, status unchanged"
			if o.Message != "" {
				summary += " (" + o.Message + ")"
			}
		default:
			p.Flags |= FlagUnknownOutcome
			opts.pollNow = true
			summary += "; an inquiry will tell"
		}
		_, err := s.addEvent(ctx, tx, p, EventAPIResponse, "antom", summary, map[string]any{"api": "cancel", "outcome": o}, 0)
		return opts, err
	})
}

// SetFlags sets and clears flags on a payment with a timeline event saying
// why: a person acknowledging a contradiction or an amount mismatch, or a
// check that found one. The SDK disagreement flags are derived from the SDK
// events (sdk_events.go) and cannot be set or cleared here.
func (s *Store) SetFlags(ctx context.Context, paymentRequestID string, set, clear Flag, actor, reason string) (*Payment, error) {
	switch {
	case set&clear != 0:
		return nil, &FieldError{Field: "flags", Message: "a flag cannot be set and cleared at once"}
	case (set|clear)&sdkFlagMask != 0:
		return nil, &FieldError{Field: "flags", Message: "the SDK flags follow the SDK events and the server's truth; they cannot be set by hand"}
	}
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		before := p.Flags
		p.Flags = (p.Flags | set) &^ clear
		if p.Flags == before {
			return saveOpts{}, nil
		}
		summary := reason
		if summary == "" {
			summary = fmt.Sprintf("Flags: %s → %s", nonEmpty(before.String(), "none"), nonEmpty(p.Flags.String(), "none"))
		}
		_, err := s.addEvent(ctx, tx, p, EventFlag, actor, summary, map[string]any{"set": set.Names(), "cleared": clear.Names()}, 0)
		return saveOpts{pollNow: set&FlagContradiction != 0}, err
	})
}
