package store

// Staff money actions: capture, refund, cancel. Begin* checks the state and
// the amount (with the same rules the pages offer the actions by: Allowed)
// and persists the request with the request ID we mint, as a pending
// operation (operations.go), before Antom is called. The operations layer
// (store/ops) sends it and records the answers; the reconciler finishes it.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"paydesk/antom"
)

// BeginCapture validates a capture of amountMinor and persists it as
// PROCESSING with a new captureRequestId. The payment must be SUCCESS
// (authorized), in MANUAL capture mode, with a known paymentId, an
// authorization that has not expired, and no other capture in flight; the
// amount must be positive and at most the authorized amount minus what is
// captured or being captured. Refusals are *FieldError (amount) or
// *ConflictError (state) and change nothing.
//
// The operation's first attempt is leased until lease: if no answer is
// recorded by then (a crash), the reconciler sends it again.
func (s *Store) BeginCapture(ctx context.Context, paymentRequestID string, amountMinor int64, by AuditContext, lease time.Time) (*Operation, error) {
	actor := by.Actor
	if amountMinor <= 0 {
		return nil, &FieldError{Field: "amount", Message: "must be greater than zero"}
	}
	var out *Operation
	_, err := s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		out = nil
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		a := allowedOf(p, t, s.now())
		if a.CaptureRefusal != "" {
			return saveOpts{}, conflictf("%s", a.CaptureRefusal)
		}
		if avail := a.Capturable; amountMinor > avail {
			return saveOpts{}, &FieldError{Field: "amount", Message: fmt.Sprintf("exceeds what can still be captured (%s %s)",
				antom.FormatMinor(avail, p.Currency), p.Currency)}
		}
		c := &Capture{CaptureRequestID: s.newID("cap"), AmountMinor: amountMinor, Currency: p.Currency,
			Status: TxnProcessing, Actor: actor}
		if err := s.insertCapture(ctx, tx, p, c); err != nil {
			return saveOpts{}, err
		}
		op := &Operation{Kind: OpCapture, RequestID: c.CaptureRequestID, AmountMinor: amountMinor, Currency: p.Currency, Actor: actor}
		if err := s.insertOperation(ctx, tx, p, op, lease); err != nil {
			return saveOpts{}, err
		}
		// Audited with the intent: what was asked is on the record
		// before Antom is called, whatever happens to the request after.
		if err := s.insertAudit(ctx, tx, by.PaymentEntry("payment.capture", p.PaymentRequestID, nil, map[string]any{
			"captureRequestId": c.CaptureRequestID, "amount": antom.NewAmount(amountMinor, p.Currency)})); err != nil {
			return saveOpts{}, err
		}
		summary := fmt.Sprintf("Capture of %s %s requested (%s)", antom.FormatMinor(amountMinor, p.Currency), p.Currency, c.CaptureRequestID)
		if _, err := s.addEvent(ctx, tx, p, EventStaffAction, actor, summary, map[string]any{
			"action": "capture", "captureRequestId": c.CaptureRequestID, "amount": antom.NewAmount(amountMinor, p.Currency),
		}, 0); err != nil {
			return saveOpts{}, err
		}
		out = op
		return saveOpts{}, nil
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
func (s *Store) BeginRefund(ctx context.Context, paymentRequestID string, amountMinor int64, reason string, by AuditContext, lease time.Time) (*Operation, error) {
	actor := by.Actor
	if amountMinor <= 0 {
		return nil, &FieldError{Field: "amount", Message: "must be greater than zero"}
	}
	if err := checkASCII("reason", reason, maxDescriptionLen, false); err != nil {
		return nil, err
	}
	var out *Operation
	_, err := s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		out = nil
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		a := allowedOf(p, t, s.now())
		if a.RefundRefusal != "" {
			return saveOpts{}, conflictf("%s", a.RefundRefusal)
		}
		if avail := a.Refundable; amountMinor > avail {
			return saveOpts{}, &FieldError{Field: "amount", Message: fmt.Sprintf("exceeds what can still be refunded (%s %s)",
				antom.FormatMinor(avail, p.Currency), p.Currency)}
		}
		r := &Refund{RefundRequestID: s.newID("ref"), AmountMinor: amountMinor, Currency: p.Currency,
			Status: TxnProcessing, Reason: reason, Actor: actor}
		if err := s.insertRefund(ctx, tx, p, r); err != nil {
			return saveOpts{}, err
		}
		op := &Operation{Kind: OpRefund, RequestID: r.RefundRequestID, AmountMinor: amountMinor, Currency: p.Currency, Reason: reason, Actor: actor}
		if err := s.insertOperation(ctx, tx, p, op, lease); err != nil {
			return saveOpts{}, err
		}
		if err := s.insertAudit(ctx, tx, by.PaymentEntry("payment.refund", p.PaymentRequestID, nil, map[string]any{
			"refundRequestId": r.RefundRequestID, "amount": antom.NewAmount(amountMinor, p.Currency), "reason": reason})); err != nil {
			return saveOpts{}, err
		}
		summary := fmt.Sprintf("Refund of %s %s requested (%s)", antom.FormatMinor(amountMinor, p.Currency), p.Currency, r.RefundRequestID)
		if _, err := s.addEvent(ctx, tx, p, EventStaffAction, actor, summary, map[string]any{
			"action": "refund", "refundRequestId": r.RefundRequestID, "amount": antom.NewAmount(amountMinor, p.Currency), "reason": reason,
		}, 0); err != nil {
			return saveOpts{}, err
		}
		out = op
		return saveOpts{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BeginCancel checks that the payment may be cancelled (Allowed: a session
// or a payment without any capture, not final other than an uncaptured
// SUCCESS, no cancel already in flight), records the staff action on the
// timeline and persists the cancel as a pending operation.
func (s *Store) BeginCancel(ctx context.Context, paymentRequestID string, by AuditContext, lease time.Time) (*Operation, error) {
	actor := by.Actor
	var out *Operation
	_, err := s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		out = nil
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return saveOpts{}, err
		}
		if a := allowedOf(p, t, s.now()); a.CancelRefusal != "" {
			return saveOpts{}, conflictf("%s", a.CancelRefusal)
		}
		op := &Operation{Kind: OpCancel, RequestID: p.PaymentRequestID, Currency: p.Currency, Actor: actor}
		if err := s.insertOperation(ctx, tx, p, op, lease); err != nil {
			return saveOpts{}, err
		}
		if err := s.insertAudit(ctx, tx, by.PaymentEntry("payment.cancel", p.PaymentRequestID, map[string]any{"status": p.Status}, nil)); err != nil {
			return saveOpts{}, err
		}
		if _, err := s.addEvent(ctx, tx, p, EventStaffAction, actor, "Cancel requested", map[string]any{"action": "cancel"}, 0); err != nil {
			return saveOpts{}, err
		}
		out = op
		return saveOpts{}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	case (set|clear)&FlagOperationOverdue != 0:
		return nil, &FieldError{Field: "flags", Message: "operation_overdue follows the pending operations; it clears when Antom answers"}
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
