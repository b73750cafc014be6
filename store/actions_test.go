package store

import (
	"errors"
	"testing"
	"time"

	"paydesk/antom"
)

// authorizedPayment is a MANUAL-capture payment that Antom authorized.
func authorizedPayment(t testing.TB, s *Store, amount int64) *Payment {
	t.Helper()
	p := mustReady(t, s, func(n *NewPayment) { n.CaptureMode = antom.CaptureManual; n.AmountMinor = amount })
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-"+p.PaymentRequestID, "S", "SUCCESS", amount))
	return &mustGet(t, s, p.PaymentRequestID).Payment
}

// capturedPayment is an AUTOMATIC payment, authorized and fully captured.
func capturedPayment(t testing.TB, s *Store, amount int64) *Payment {
	t.Helper()
	p := mustReady(t, s, func(n *NewPayment) { n.AmountMinor = amount })
	pid := "PID-" + p.PaymentRequestID
	deliver(t, s, paymentResult(p.PaymentRequestID, pid, "S", "SUCCESS", amount))
	deliver(t, s, captureResult(pid, "cap-"+pid, "CAP-"+pid, "S", amount))
	return &mustGet(t, s, p.PaymentRequestID).Payment
}

// unchanged checks that a refused action changed nothing.
func unchanged(t *testing.T, s *Store, before *Payment) {
	t.Helper()
	after := mustGet(t, s, before.PaymentRequestID)
	if after.Version != before.Version || after.Status != before.Status || after.CapturedMinor != before.CapturedMinor {
		t.Errorf("refused action changed the payment: v%d→v%d %s→%s", before.Version, after.Version, before.Status, after.Status)
	}
}

func TestCaptureAmountChecks(t *testing.T) {
	s, _ := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	for _, tc := range []struct {
		name   string
		amount int64
	}{{"zero", 0}, {"negative", -5}, {"over-capture", 4201}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := beginCapture(s, p.PaymentRequestID, tc.amount, "user:op")
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "amount" {
				t.Fatalf("got %v, want a FieldError on amount", err)
			}
			unchanged(t, s, p)
		})
	}
	c, err := beginCapture(s, p.PaymentRequestID, 3000, "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != TxnProcessing || c.PaymentID != p.PaymentID || c.CaptureRequestID == "" {
		t.Fatalf("got %+v", c)
	}
	// Another capture while one is in flight is refused.
	if _, err := beginCapture(s, p.PaymentRequestID, 100, "user:op"); !errors.Is(err, ErrConflict) {
		t.Errorf("second capture in flight: got %v, want a conflict", err)
	}
	mid := mustGet(t, s, p.PaymentRequestID)
	if mid.CaptureState != CapturePending || mid.Settled {
		t.Errorf("in flight: got capture state %s settled %v", mid.CaptureState, mid.Settled)
	}
	c, err = recordCapture(ctx, s, c, &antom.CaptureResponse{
		Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"}, CaptureID: "CAP-A",
		CaptureAmount: &antom.Amount{Currency: "SGD", Value: "3000"}, CaptureTime: "2025-03-01T10:00:00Z"}, nil)
	if err != nil || c.Status != TxnSuccess || c.CaptureID != "CAP-A" {
		t.Fatalf("capture response: got %+v, %v", c, err)
	}
	p = &mustGet(t, s, p.PaymentRequestID).Payment
	if p.CapturedMinor != 3000 || p.CaptureState != CapturePartial {
		t.Errorf("got captured %d state %s, want 3000 PARTIAL", p.CapturedMinor, p.CaptureState)
	}
	// Only 1200 left.
	if _, err := beginCapture(s, p.PaymentRequestID, 1201, "user:op"); err == nil {
		t.Error("over-capture of the remainder accepted")
	}
	unchanged(t, s, p)
	c2, err := beginCapture(s, p.PaymentRequestID, 1200, "user:op")
	if err != nil {
		t.Fatal(err)
	}
	// The notification settles it.
	deliver(t, s, captureResult(p.PaymentID, c2.CaptureRequestID, "CAP-B", "S", 1200))
	p = &mustGet(t, s, p.PaymentRequestID).Payment
	if p.CapturedMinor != 4200 || p.CaptureState != CaptureFull || !p.Settled {
		t.Errorf("got captured %d state %s settled %v", p.CapturedMinor, p.CaptureState, p.Settled)
	}
	if _, err := beginCapture(s, p.PaymentRequestID, 1, "user:op"); !errors.Is(err, ErrConflict) {
		t.Errorf("fully captured: got %v, want conflict", err)
	}
}

func TestCaptureStateChecks(t *testing.T) {
	s, clk := newTestStore(t)
	auto := capturedPayment(t, s, 4200)
	if _, err := beginCapture(s, auto.PaymentRequestID, 1, "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("automatic capture mode: got %v", err)
	}
	ready := mustReady(t, s, func(n *NewPayment) { n.CaptureMode = antom.CaptureManual; n.ReferenceOrderID = "o2" })
	if _, err := beginCapture(s, ready.PaymentRequestID, 1, "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("unpaid: got %v", err)
	}
	if _, err := beginCapture(s, "missing", 1, "u"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: got %v", err)
	}
	// Cancelled.
	q := authorizedPayment(t, s, 500)
	if _, err := s.BeginCancel(ctx, q.PaymentRequestID, AuditContext{Actor: "user:op"}, lease()); err != nil {
		t.Fatal(err)
	}
	if _, err := recordCancel(ctx, s, q, &antom.CancelResponse{Result: antom.Result{ResultStatus: "S"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := beginCapture(s, q.PaymentRequestID, 1, "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("cancelled: got %v", err)
	}
	// Authorization expired.
	p := mustReady(t, s, func(n *NewPayment) { n.CaptureMode = antom.CaptureManual; n.ReferenceOrderID = "o3" })
	deliver(t, s, `{"notifyType":"PAYMENT_RESULT","result":{"resultStatus":"S","resultCode":"SUCCESS"},"paymentRequestId":"`+
		p.PaymentRequestID+`","paymentId":"PID-E","paymentAmount":{"currency":"SGD","value":"4200"},"authExpiryTime":"2025-03-08T10:00:00Z"}`)
	clk.Add(8 * 24 * time.Hour)
	if _, err := beginCapture(s, p.PaymentRequestID, 1, "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("expired authorization: got %v", err)
	}
}

func TestCaptureFailureAndUnknown(t *testing.T) {
	s, _ := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	c, _ := beginCapture(s, p.PaymentRequestID, 4200, "user:op")
	// U: stays PROCESSING, the poller is asked.
	c, err := recordCapture(ctx, s, c, nil, &antom.ResultError{Result: antom.Result{ResultStatus: "U", ResultCode: "CAPTURE_IN_PROCESS"}})
	if err != nil || c.Status != TxnProcessing {
		t.Fatalf("U: got %+v, %v", c, err)
	}
	// The reconciler owns it now: pending, asking Antom (CAPTURE_IN_PROCESS
	// must not be re-sent), the payment not settled and flagged unknown.
	op, err := pendingOp(s, p.PaymentRequestID, c.CaptureRequestID, OpCapture)
	if err != nil || op.State != OpPending || op.Mode != OpInquire || !op.Unknown || op.NextAttemptAt.IsZero() {
		t.Fatalf("U capture: operation %+v, %v; want pending, inquire, unknown, scheduled", op, err)
	}
	if d := mustGet(t, s, p.PaymentRequestID); d.Settled || !d.Flags.Has(FlagUnknownOutcome) {
		t.Errorf("U capture: settled %v flags %s; want in flight, unknown_outcome", d.Settled, d.Flags)
	}
	// The inquiry reports the capture failed.
	_, err = s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
		Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "SUCCESS",
		Transactions: []antom.Transaction{{TransactionType: "CAPTURE", TransactionStatus: "FAIL",
			TransactionRequestID: c.CaptureRequestID, TransactionResult: antom.Result{ResultStatus: "F", ResultCode: "PROCESS_FAIL"}}}}, "poller")
	if err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Captures[0].Status != TxnFail || d.CapturedMinor != 0 || !d.Settled {
		t.Errorf("after failed capture: %+v captured %d settled %v", d.Captures[0], d.CapturedMinor, d.Settled)
	}
	// A failed capture frees the amount again.
	if _, err := beginCapture(s, p.PaymentRequestID, 4200, "user:op"); err != nil {
		t.Errorf("capture after a failed one: %v", err)
	}
}

func TestRefundAmountChecks(t *testing.T) {
	s, _ := newTestStore(t)
	auth := authorizedPayment(t, s, 4200)
	if _, err := beginRefund(s, auth.PaymentRequestID, 100, "", "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("nothing captured: got %v, want conflict", err)
	}
	p := capturedPayment(t, s, 4200)
	for _, tc := range []struct {
		name   string
		amount int64
	}{{"zero", 0}, {"negative", -1}, {"over-refund", 4201}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := beginRefund(s, p.PaymentRequestID, tc.amount, "", "u")
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "amount" {
				t.Fatalf("got %v, want a FieldError on amount", err)
			}
			unchanged(t, s, p)
		})
	}
	if _, err := beginRefund(s, p.PaymentRequestID, 10, "raison é", "u"); err == nil {
		t.Error("non-ASCII reason accepted")
	}
	r, err := beginRefund(s, p.PaymentRequestID, 4000, "damaged", "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := beginRefund(s, p.PaymentRequestID, 100, "", "u"); !errors.Is(err, ErrConflict) {
		t.Errorf("refund while one is in flight: got %v", err)
	}
	if _, err := recordRefund(ctx, s, r, &antom.RefundResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"}, RefundID: "R-1"}, nil); err != nil {
		t.Fatal(err)
	}
	p = &mustGet(t, s, p.PaymentRequestID).Payment
	if p.RefundedMinor != 4000 {
		t.Fatalf("refunded %d, want 4000", p.RefundedMinor)
	}
	if _, err := beginRefund(s, p.PaymentRequestID, 201, "", "u"); err == nil {
		t.Error("refund beyond captured − refunded accepted")
	}
	unchanged(t, s, p)
	r2, err := beginRefund(s, p.PaymentRequestID, 200, "", "u")
	if err != nil {
		t.Fatal(err)
	}
	// A refused refund frees its amount.
	if _, err := recordRefund(ctx, s, r2, nil, &antom.ResultError{Result: antom.Result{ResultStatus: "F", ResultCode: "REFUND_WINDOW_EXCEED"}}); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Refunds[1].Status != TxnFail || d.Refunds[1].ResultCode != "REFUND_WINDOW_EXCEED" || d.RefundedMinor != 4000 {
		t.Errorf("refused refund: %+v refunded %d", d.Refunds[1], d.RefundedMinor)
	}
}

func TestCancel(t *testing.T) {
	s, _ := newTestStore(t)
	captured := capturedPayment(t, s, 4200)
	if _, err := s.BeginCancel(ctx, captured.PaymentRequestID, AuditContext{Actor: "u"}, lease()); !errors.Is(err, ErrConflict) {
		t.Errorf("cancel after capture: got %v, want conflict", err)
	}
	created := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "o-created" })
	if _, err := s.BeginCancel(ctx, created.PaymentRequestID, AuditContext{Actor: "u"}, lease()); !errors.Is(err, ErrConflict) {
		t.Errorf("cancel with no session: got %v, want conflict", err)
	}
	p := authorizedPayment(t, s, 900)
	if _, err := s.BeginCancel(ctx, p.PaymentRequestID, AuditContext{Actor: "user:op"}, lease()); err != nil {
		t.Fatal(err)
	}
	u, err := recordCancel(ctx, s, p, nil, errors.New("timeout"))
	if err != nil || !u.Flags.Has(FlagUnknownOutcome) || u.Status != StatusSuccess || u.Settled {
		t.Fatalf("U cancel: got %s flags %s settled %v, %v", u.Status, u.Flags, u.Settled, err)
	}
	c, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "CANCELLED"}, "poller")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusCancelled || c.Flags != 0 || !c.Settled {
		t.Errorf("after inquiry: got %s flags %s settled %v", c.Status, c.Flags, c.Settled)
	}
	var staff int
	for _, e := range mustGet(t, s, p.PaymentRequestID).Timeline {
		if e.Kind == EventStaffAction && e.Actor == "user:op" {
			staff++
		}
	}
	if staff != 1 {
		t.Errorf("got %d staff actions by user:op on the timeline, want 1", staff)
	}
}

func TestSetFlags(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	f, err := s.SetFlags(ctx, p.PaymentRequestID, FlagAmountMismatch, 0, "user:op", "amount looks wrong")
	if err != nil || !f.Flags.Has(FlagAmountMismatch) {
		t.Fatalf("SetFlags: %s, %v", f.Flags, err)
	}
	page, _ := s.ListPayments(ctx, PaymentFilter{NeedsAttention: true})
	if len(page.Items) != 1 {
		t.Errorf("needs attention: got %d, want 1", len(page.Items))
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if last := d.Timeline[len(d.Timeline)-1]; last.Kind != EventFlag || last.Actor != "user:op" || last.Summary != "amount looks wrong" {
		t.Errorf("timeline: %+v", last)
	}
	f, _ = s.SetFlags(ctx, p.PaymentRequestID, 0, FlagAmountMismatch, "user:op", "")
	if f.Flags != 0 {
		t.Errorf("clear: got %s", f.Flags)
	}
	for _, bad := range []struct{ set, clear Flag }{{FlagStuck, FlagStuck}, {FlagSDKSuccessNoNotify, 0}} {
		if _, err := s.SetFlags(ctx, p.PaymentRequestID, bad.set, bad.clear, "u", ""); err == nil {
			t.Errorf("SetFlags(%s, %s) accepted", bad.set, bad.clear)
		}
	}
}
