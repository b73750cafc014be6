package store

// Applying Antom's word (notifications, inquiry results, API answers) to a
// loaded payment inside a write transaction. The caller saves the payment.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"paydesk/antom"
)

// txnReport is what Antom said about one capture or refund.
type txnReport struct {
	RequestID   string // captureRequestId / refundRequestId
	ID          string // captureId / refundId
	Amount      *antom.Amount
	Event       TxnEvent
	Result      antom.Result
	Time        string // captureTime / refundTime
	AcquirerRef string
	Details     txnDetailsReport // acquirer, settlement; a refund's ARN, RRN, actualRefundAmount
	// FromInquiry: the report is an inquiry's answer, which Paydesk asked
	// for, rather than a notification.
	FromInquiry bool
}

// txnKind is what differs between captures and refunds where one piece
// of code handles both.
type txnKind struct {
	name       string // "capture", "refund"
	requestKey string // the request ID's JSON name
	apply      func(s *Store, ctx context.Context, tx *sql.Tx, p *Payment, rep txnReport) (txnOutcome, error)
}

var (
	captureKind = txnKind{name: "capture", requestKey: "captureRequestId", apply: (*Store).applyCapture}
	refundKind  = txnKind{name: "refund", requestKey: "refundRequestId", apply: (*Store).applyRefund}
)

// bookedAmount is the amount to book for a capture or refund Paydesk did
// not ask for (an automatic capture, or one made elsewhere), first heard of
// in rep: the reported amount, but never more than avail (what the payment
// can still take). clamped says the report asked for more.
func (rep txnReport) bookedAmount(kind string, avail int64) (minor int64, clamped bool, err error) {
	minor, err = rep.unknownTxnAmount(kind)
	if err != nil {
		return 0, false, err
	}
	if minor > avail && avail > 0 {
		return avail, true, nil
	}
	return minor, false, nil
}

// correctAmount applies an inquiry's amount to a capture or refund that
// was booked from a report (the callers check both: never to one Paydesk
// asked for, whose request's amount is the truth), bounded by avail plus
// what it already holds. It reports whether the booked amount changed.
func (rep txnReport) correctAmount(booked *int64, currency string, avail int64) bool {
	if rep.Amount == nil || rep.Amount.Currency != currency {
		return false
	}
	m, err := rep.Amount.Minor()
	if err != nil || m <= 0 || m == *booked {
		return false
	}
	*booked = min(m, *booked+max(avail, 0))
	return true
}

// unknownTxnAmount is the amount of a capture or refund (kind) that Paydesk
// did not know before the report: the report must carry a positive one.
func (rep txnReport) unknownTxnAmount(kind string) (int64, error) {
	if rep.Amount == nil {
		return 0, fmt.Errorf("store: %s %s is unknown and the report has no amount", kind, nonEmpty(rep.ID, rep.RequestID))
	}
	minor, err := rep.Amount.Minor()
	if err != nil || minor <= 0 {
		return 0, fmt.Errorf("store: %s amount %q: %w", kind, rep.Amount.Value, errors.Join(err, errors.New("not positive")))
	}
	return minor, nil
}

// amountDiffers reports whether the report names an amount other than minor
// in currency (an unreadable amount differs).
func (rep txnReport) amountDiffers(minor int64, currency string) bool {
	if rep.Amount == nil {
		return false
	}
	m, err := rep.Amount.Minor()
	return err != nil || m != minor || rep.Amount.Currency != currency
}

// txnOutcome is what applying a txnReport did.
type txnOutcome struct {
	Effect     Effect    // of the capture/refund machine
	From, To   TxnStatus // the capture's/refund's status before and after
	OutOfOrder bool      // a capture success moved the payment to SUCCESS before its payment result
	PaymentEff Effect    // of the payment machine, for a capture success
	Created    bool      // the capture/refund was not known before (automatic capture, or made elsewhere)
	Mismatch   bool      // amount or currency differs from ours
	Corrected  bool      // an inquiry corrected the amount booked from a report
}

// applyCapture applies a capture report to p's capture (creating it for an
// automatic capture) and, for a success, the implied authorization success
// to p.
func (s *Store) applyCapture(ctx context.Context, tx *sql.Tx, p *Payment, rep txnReport) (txnOutcome, error) {
	var out txnOutcome
	c, err := captureBy(ctx, tx, "capture_request_id", rep.RequestID)
	if errors.Is(err, ErrNotFound) {
		c, err = captureBy(ctx, tx, "capture_id", rep.ID)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return out, err
		}
		minor, clamped, err := rep.bookedAmount("capture", p.AmountMinor-t.captured-t.capturing)
		if err != nil {
			return out, err
		}
		c = &Capture{CaptureRequestID: nonEmpty(rep.RequestID, "antom:"+rep.ID), CaptureID: rep.ID,
			AmountMinor: minor, Currency: rep.Amount.Currency, Status: TxnProcessing, Actor: "antom"}
		if err := s.insertCapture(ctx, tx, p, c); err != nil {
			return out, err
		}
		out.Created = true
		if clamped {
			out.Mismatch = true
			p.Flags |= FlagAmountMismatch
		}
	case err != nil:
		return out, err
	case c.paymentFK != p.ID:
		return out, fmt.Errorf("store: capture %s belongs to another payment", c.CaptureRequestID)
	}
	if !out.Created && rep.FromInquiry && c.Actor == "antom" {
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return out, err
		}
		if rep.correctAmount(&c.AmountMinor, c.Currency, p.AmountMinor-t.captured-t.capturing) {
			out.Corrected = true
		}
	}
	if rep.amountDiffers(c.AmountMinor, c.Currency) {
		out.Mismatch = true
		p.Flags |= FlagAmountMismatch
	}
	tr := NextTxnStatus(c.Status, rep.Event)
	out.Effect, out.From, out.To = tr.Effect, tr.From, tr.To
	// Details are facts about the capture, kept from any report that is not
	// a contradiction (a late PROCESSING may still name the acquirer).
	detailed := tr.Effect != EffectContradiction && c.Details.merge(rep.Details)
	switch tr.Effect {
	case EffectApply, EffectSame:
		c.Status = tr.To
		if rep.Result.ResultStatus != "" {
			c.ResultStatus, c.ResultCode, c.ResultMessage = rep.Result.ResultStatus, rep.Result.ResultCode, rep.Result.ResultMessage
		}
		if c.CaptureID == "" {
			c.CaptureID = rep.ID
		}
		c.AcquirerRef = nonEmpty(rep.AcquirerRef, c.AcquirerRef)
		if t, err := parseAntomTime(rep.Time); err == nil {
			c.CapturedAt = t
		}
		if err := s.saveCapture(ctx, tx, c); err != nil {
			return out, err
		}
	case EffectContradiction:
		p.Flags |= FlagContradiction
	}
	if (out.Corrected || detailed) && tr.Effect != EffectApply && tr.Effect != EffectSame {
		if err := s.saveCapture(ctx, tx, c); err != nil {
			return out, err
		}
	}
	if c.Status == TxnSuccess && rep.Event == TxnEvSucceeded {
		ptr := NextPaymentStatus(p.Status, EvCaptured)
		out.PaymentEff = ptr.Effect
		switch ptr.Effect {
		case EffectApply:
			// Capture before payment result: the authorization succeeded;
			// the late PAYMENT_RESULT S will then be consistent.
			p.Status = ptr.To
			out.OutOfOrder = true
		case EffectContradiction:
			p.Flags |= FlagContradiction
		}
	}
	return out, nil
}

// applyRefund applies a refund report to p's refund (creating it when the
// refund was made outside Paydesk).
func (s *Store) applyRefund(ctx context.Context, tx *sql.Tx, p *Payment, rep txnReport) (txnOutcome, error) {
	var out txnOutcome
	r, err := refundBy(ctx, tx, "refund_request_id", rep.RequestID)
	if errors.Is(err, ErrNotFound) {
		r, err = refundBy(ctx, tx, "refund_id", rep.ID)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return out, err
		}
		minor, clamped, err := rep.bookedAmount("refund", t.captured-t.refunded-t.refunding)
		if err != nil {
			return out, err
		}
		r = &Refund{RefundRequestID: nonEmpty(rep.RequestID, "antom:"+rep.ID), RefundID: rep.ID,
			AmountMinor: minor, Currency: rep.Amount.Currency, Status: TxnProcessing, Actor: "antom"}
		if err := s.insertRefund(ctx, tx, p, r); err != nil {
			return out, err
		}
		out.Created = true
		if clamped {
			out.Mismatch = true
			p.Flags |= FlagAmountMismatch
		}
	case err != nil:
		return out, err
	case r.paymentFK != p.ID:
		return out, fmt.Errorf("store: refund %s belongs to another payment", r.RefundRequestID)
	}
	if !out.Created && rep.FromInquiry && r.Actor == "antom" {
		t, err := loadTotals(ctx, tx, p.ID)
		if err != nil {
			return out, err
		}
		if rep.correctAmount(&r.AmountMinor, r.Currency, t.captured-t.refunded-t.refunding) {
			out.Corrected = true
		}
	}
	if rep.amountDiffers(r.AmountMinor, r.Currency) {
		out.Mismatch = true
		p.Flags |= FlagAmountMismatch
	}
	tr := NextTxnStatus(r.Status, rep.Event)
	out.Effect, out.From, out.To = tr.Effect, tr.From, tr.To
	detailed := false
	if tr.Effect != EffectContradiction {
		detailed = r.Details.merge(rep.Details)
		detailed = keep(&r.ARN, rep.Details.ARN) || detailed
		detailed = keep(&r.RRN, rep.Details.RRN) || detailed
	}
	switch tr.Effect {
	case EffectApply, EffectSame:
		r.Status = tr.To
		if rep.Result.ResultStatus != "" {
			r.ResultStatus, r.ResultCode, r.ResultMessage = rep.Result.ResultStatus, rep.Result.ResultCode, rep.Result.ResultMessage
		}
		if r.RefundID == "" {
			r.RefundID = rep.ID
		}
		r.AcquirerRef = nonEmpty(rep.AcquirerRef, r.AcquirerRef)
		if t, err := parseAntomTime(rep.Time); err == nil {
			r.RefundedAt = t
		}
		if err := s.saveRefund(ctx, tx, r); err != nil {
			return out, err
		}
	case EffectContradiction:
		p.Flags |= FlagContradiction
	}
	if (out.Corrected || detailed) && tr.Effect != EffectApply && tr.Effect != EffectSame {
		if err := s.saveRefund(ctx, tx, r); err != nil {
			return out, err
		}
	}
	return out, nil
}

// paymentFacts is what a notification or inquiry says about the payment itself.
type paymentFacts struct {
	PaymentID     string
	Amount        *antom.Amount
	PaymentTime   string
	AuthExpiry    string
	MethodType    string
	AcquirerRef   string
	ResultInfo    *antom.PaymentResultInfo
	Result        antom.Result // the payment's result (notification result, or inquiry paymentResult*)
	ResultIsFinal bool         // Result describes the payment's outcome (not just a call's)

	Details *antom.PaymentDetails // cardInfo, acquirerInfo, settlement, pspCustomerInfo
}

// paymentOutcome is what applying a payment event did.
type paymentOutcome struct {
	Transition
	LearnedPaymentID bool
	Mismatch         bool
}

// applyPaymentEvent moves p by ev and records the facts that came with it.
// A paymentId different from the one already known is a contradiction.
func applyPaymentEvent(p *Payment, ev PaymentEvent, f paymentFacts) paymentOutcome {
	var out paymentOutcome
	if f.PaymentID != "" && p.PaymentID != "" && f.PaymentID != p.PaymentID {
		p.Flags |= FlagContradiction
		out.Transition = Transition{From: p.Status, To: p.Status, Effect: EffectContradiction}
		return out
	}
	if f.Amount != nil {
		if m, err := f.Amount.Minor(); err != nil || m != p.AmountMinor || f.Amount.Currency != p.Currency {
			out.Mismatch = true
			p.Flags |= FlagAmountMismatch
		}
	}
	tr := Transition{From: p.Status, To: p.Status, Effect: EffectSame}
	if ev != "" {
		tr = NextPaymentStatus(p.Status, ev)
	}
	out.Transition = tr
	switch tr.Effect {
	case EffectContradiction:
		p.Flags |= FlagContradiction
		return out
	case EffectIgnore:
		return out
	}
	p.Status = tr.To
	if p.PaymentID == "" && f.PaymentID != "" {
		p.PaymentID = f.PaymentID
		out.LearnedPaymentID = true
	}
	if f.ResultIsFinal && f.Result.ResultStatus != "" {
		p.ResultStatus, p.ResultCode, p.ResultMessage = f.Result.ResultStatus, f.Result.ResultCode, f.Result.ResultMessage
	}
	if t, err := parseAntomTime(f.PaymentTime); err == nil {
		p.PaidAt = t
	}
	if t, err := parseAntomTime(f.AuthExpiry); err == nil {
		p.AuthExpiresAt = t
	}
	p.PaymentMethod = nonEmpty(f.MethodType, p.PaymentMethod)
	p.AcquirerRef = nonEmpty(f.AcquirerRef, p.AcquirerRef)
	// Card, authorisation, acquirer, settlement and buyer details: merged
	// field by field, so an answer without them erases nothing.
	mergePaymentDetails(p, f.ResultInfo, f.Details)
	if tr.Effect == EffectApply && tr.To != StatusCreated {
		p.Flags &^= FlagUnknownOutcome
	}
	return out
}
