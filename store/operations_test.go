package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

var errTimeout = errors.New("context deadline exceeded")

func unknownAnswer() error {
	return &antom.ResultError{API: "x", Result: antom.Result{ResultStatus: "U", ResultCode: "UNKNOWN_EXCEPTION"}}
}

func onlyOp(t *testing.T, s *Store, prid string) Operation {
	t.Helper()
	ops, err := s.PaymentOperations(ctx, prid)
	if err != nil || len(ops) != 1 {
		t.Fatalf("operations %+v, %v; want one", ops, err)
	}
	return ops[0]
}

// A cancel whose answer was unknown is not cleared by an inquiry that says
// the payment is still SUCCESS: Antom may not have processed it. It stays
// pending, and flagged, until Antom answers the cancel itself.
func TestCancelUnknownNotClearedByInquiry(t *testing.T) {
	s, _ := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	if _, err := s.BeginCancel(ctx, p.PaymentRequestID, AuditContext{Actor: "user:op"}, lease()); err != nil {
		t.Fatal(err)
	}
	if _, err := recordCancel(ctx, s, p, nil, errTimeout); err != nil {
		t.Fatal(err)
	}
	op := onlyOp(t, s, p.PaymentRequestID)
	if op.State != OpPending || op.Mode != OpInquire || !op.Unknown {
		t.Fatalf("after a timeout: %+v; want pending, inquire, unknown", op)
	}
	if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
		Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "SUCCESS", PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"}}, "poller"); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if !d.Flags.Has(FlagUnknownOutcome) || d.Settled || d.Status != StatusSuccess {
		t.Errorf("after an inquiry saying SUCCESS: %s flags %s settled %v; want SUCCESS, unknown_outcome, in flight", d.Status, d.Flags, d.Settled)
	}
	if op := onlyOp(t, s, p.PaymentRequestID); op.State != OpPending {
		t.Errorf("the inquiry settled the cancel: %+v", op)
	}
	// The reconciler sends it again; Antom cancels.
	if _, err := s.RescheduleOperation(ctx, op.ID, time.Now(), true, "inquiry: the payment is SUCCESS, not cancelled"); err != nil {
		t.Fatal(err)
	}
	if op := onlyOp(t, s, p.PaymentRequestID); op.Mode != OpSend {
		t.Fatalf("after an inquiry that does not show the cancel: mode %s, want send", op.Mode)
	}
	if d := mustGet(t, s, p.PaymentRequestID); !timelineHas(d, EventAPIResponse, "not cancelled; sending it again with the same request ID") {
		t.Error("the timeline does not say the cancel is sent again")
	}
	if _, err := recordCancel(ctx, s, p, &antom.CancelResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"}, PaymentID: p.PaymentID}, nil); err != nil {
		t.Fatal(err)
	}
	d = mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusCancelled || d.Flags != 0 || !d.Settled {
		t.Errorf("after Antom's S: %s flags %s settled %v; want CANCELLED, no flags, settled", d.Status, d.Flags, d.Settled)
	}
	if op := onlyOp(t, s, p.PaymentRequestID); op.State != OpSucceeded || op.ResolvedAt.IsZero() {
		t.Errorf("operation %+v, want succeeded", op)
	}
	if !timelineHas(d, EventOperation, "Cancel confirmed by Antom") {
		t.Error("no timeline entry says the cancel was confirmed")
	}
}

func timelineHas(d *PaymentDetail, kind EventKind, text string) bool {
	for _, e := range d.Timeline {
		if e.Kind == kind && strings.Contains(e.Summary, text) {
			return true
		}
	}
	return false
}

// A capture whose answer was lost is settled by whatever tells the ledger
// first: here the notification. The operation ends with it.
func TestCaptureOperationSettledByNotification(t *testing.T) {
	s, _ := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	c, err := beginCapture(s, p.PaymentRequestID, 3000, "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordCapture(ctx, s, c, nil, unknownAnswer()); err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, s, p.PaymentRequestID); !d.Flags.Has(FlagUnknownOutcome) || d.CaptureState != CapturePending {
		t.Fatalf("after U: flags %s state %s", d.Flags, d.CaptureState)
	}
	// A second capture is refused while the first is unknown.
	if _, err := beginCapture(s, p.PaymentRequestID, 1, "user:op"); !errors.Is(err, ErrConflict) {
		t.Errorf("second capture while one is unknown: %v, want conflict", err)
	}
	deliver(t, s, captureResult(p.PaymentID, c.CaptureRequestID, "CAP-1", "S", 3000))
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Flags != 0 || d.CapturedMinor != 3000 || !d.Settled {
		t.Errorf("after the notification: flags %s captured %d settled %v", d.Flags, d.CapturedMinor, d.Settled)
	}
	if op := onlyOp(t, s, p.PaymentRequestID); op.State != OpSucceeded {
		t.Errorf("operation %+v, want succeeded", op)
	}
	// A late answer to the earlier attempt changes nothing.
	if _, err := recordCapture(ctx, s, c, nil, unknownAnswer()); err != nil {
		t.Fatal(err)
	}
	if d := mustGet(t, s, p.PaymentRequestID); d.Flags != 0 || d.CapturedMinor != 3000 {
		t.Errorf("a late U after the settlement: flags %s captured %d", d.Flags, d.CapturedMinor)
	}
}

// An automatic capture reported with one minor unit too much is booked at
// most at the authorized amount, flagged, and an inquiry is due even though
// the payment is otherwise settled; Antom's inquiry clears the flag.
func TestWrongAmountNeverBooksMore(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	pid := "PID-" + p.PaymentRequestID
	deliver(t, s, paymentResult(p.PaymentRequestID, pid, "S", "SUCCESS", 4201))
	deliver(t, s, captureResult(pid, "cap-1", "CAP-1", "S", 4201))
	d := mustGet(t, s, p.PaymentRequestID)
	if d.CapturedMinor != 4200 || !d.Flags.Has(FlagAmountMismatch) {
		t.Fatalf("captured %d flags %s; want 4200 and amount_mismatch", d.CapturedMinor, d.Flags)
	}
	if d.NextPollAt.IsZero() || d.NextPollAt.After(clk.Now()) {
		t.Errorf("no inquiry due for the mismatch (next poll %v)", d.NextPollAt)
	}
	if a := d.Allowed(clk.Now()); a.Refundable != 4200 {
		t.Errorf("refundable %d, want 4200 (never more than Antom holds)", a.Refundable)
	}
	if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
		Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "SUCCESS", PaymentID: pid,
		PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
		Transactions: []antom.Transaction{{TransactionType: "CAPTURE", TransactionStatus: "SUCCESS", TransactionRequestID: "cap-1",
			TransactionID: "CAP-1", TransactionAmount: &antom.Amount{Currency: "SGD", Value: "4200"}}}}, "poller"); err != nil {
		t.Fatal(err)
	}
	d = mustGet(t, s, p.PaymentRequestID)
	if d.Flags != 0 || d.CapturedMinor != 4200 || !d.NextPollAt.IsZero() {
		t.Errorf("after Antom's inquiry: flags %s captured %d next poll %v; want no flags, 4200, no more polls", d.Flags, d.CapturedMinor, d.NextPollAt)
	}
}

// An inquiry corrects an amount that was booked from a report, never one
// Paydesk asked for.
func TestInquiryCorrectsReportedAmountOnly(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	pid := "PID-" + p.PaymentRequestID
	deliver(t, s, paymentResult(p.PaymentRequestID, pid, "S", "SUCCESS", 4200))
	deliver(t, s, captureResult(pid, "cap-1", "CAP-1", "S", 4000)) // the notification under-reports
	inquiry := func(capture string) {
		t.Helper()
		if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
			Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "SUCCESS", PaymentID: pid,
			PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
			Transactions: []antom.Transaction{{TransactionType: "CAPTURE", TransactionStatus: "SUCCESS", TransactionRequestID: "cap-1",
				TransactionID: "CAP-1", TransactionAmount: &antom.Amount{Currency: "SGD", Value: capture}}}}, "poller"); err != nil {
			t.Fatal(err)
		}
	}
	inquiry("4200")
	if d := mustGet(t, s, p.PaymentRequestID); d.CapturedMinor != 4200 || d.Flags != 0 {
		t.Errorf("after the inquiry: captured %d flags %s; want Antom's 4200", d.CapturedMinor, d.Flags)
	}
	// Our own refund: an inquiry-reported different amount is flagged, not booked.
	r, err := beginRefund(s, p.PaymentRequestID, 1000, "", "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordRefund(ctx, s, r, &antom.RefundResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
		RefundID: "R-1", RefundAmount: &antom.Amount{Currency: "SGD", Value: "1001"}}, nil); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.RefundedMinor != 1000 || !d.Flags.Has(FlagAmountMismatch) {
		t.Errorf("our refund answered with another amount: refunded %d flags %s; want 1000 booked and flagged", d.RefundedMinor, d.Flags)
	}
}

// An operation nobody recorded an answer for (a crash between commit and
// send) is offered again once its lease ends, and each claim counts an
// attempt; past Antom's window it is flagged for a person.
func TestOperationLeaseAndOverdue(t *testing.T) {
	s, clk := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	first := clk.Now().Add(time.Minute)
	if _, err := s.BeginCancel(ctx, p.PaymentRequestID, AuditContext{Actor: "user:op"}, first); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimDueOperations(ctx, clk.Now(), 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claimed %d before the first lease ended (%v)", len(got), err)
	}
	got, err := s.ClaimDueOperations(ctx, first, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 || got[0].Kind != OpCancel {
		t.Fatalf("after the lease: %+v, %v; want the cancel, attempt 2", got, err)
	}
	// The first attempt recorded nothing: ask Antom before sending again.
	if got[0].Mode != OpInquire || !got[0].Unknown {
		t.Errorf("an attempt that recorded nothing: mode %s unknown %v; want inquire, unknown", got[0].Mode, got[0].Unknown)
	}
	if d := mustGet(t, s, p.PaymentRequestID); !d.Flags.Has(FlagUnknownOutcome) || d.Operations[0].Mode != OpInquire {
		t.Errorf("stored: flags %s mode %s", d.Flags, d.Operations[0].Mode)
	}
	if again, _ := s.ClaimDueOperations(ctx, first, 10, time.Minute); len(again) != 0 {
		t.Errorf("claimed twice within one lease")
	}
	clk.Add(8 * 24 * time.Hour)
	if _, err := s.MarkStuck(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if !d.Flags.Has(FlagOperationOverdue) || !d.Operations[0].Overdue {
		t.Errorf("past the window: flags %s, operation %+v; want operation_overdue", d.Flags, d.Operations[0])
	}
	// Antom finally refuses it: the flag clears, the refusal is recorded.
	if _, err := recordCancel(ctx, s, p, nil, &antom.ResultError{Result: antom.Result{ResultStatus: "F", ResultCode: "CANCEL_WINDOW_EXCEED"}}); err != nil {
		t.Fatal(err)
	}
	d = mustGet(t, s, p.PaymentRequestID)
	if d.Flags.Has(FlagOperationOverdue) || d.Operations[0].State != OpFailed || d.Operations[0].ResultCode != "CANCEL_WINDOW_EXCEED" {
		t.Errorf("after Antom's F: flags %s, operation %+v", d.Flags, d.Operations[0])
	}
	if d.Status != StatusSuccess {
		t.Errorf("a refused cancel moved the payment to %s", d.Status)
	}
}

// A refund whose send got no definitive answer is asked about with
// inquiryRefund; ORDER_NOT_EXIST sends it again; SUCCESS settles it.
func TestRefundInquiry(t *testing.T) {
	s, _ := newTestStore(t)
	p := capturedPayment(t, s, 4200)
	r, err := beginRefund(s, p.PaymentRequestID, 4200, "", "user:op")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordRefund(ctx, s, r, nil, errTimeout); err != nil {
		t.Fatal(err)
	}
	op, _ := pendingOp(s, p.PaymentRequestID, r.RefundRequestID, OpRefund)
	if op.Mode != OpInquire {
		t.Fatalf("mode %s, want inquire", op.Mode)
	}
	notExist := &antom.ResultError{Result: antom.Result{ResultStatus: "F", ResultCode: "ORDER_NOT_EXIST"}}
	if _, err := s.RecordRefundInquiry(ctx, op.ID, nil, notExist, attemptOf(notExist)); err != nil {
		t.Fatal(err)
	}
	if op, _ := pendingOp(s, p.PaymentRequestID, r.RefundRequestID, OpRefund); op.Mode != OpSend || op.State != OpPending {
		t.Fatalf("after ORDER_NOT_EXIST: %+v; want pending, send", op)
	}
	if _, err := s.RecordRefundInquiry(ctx, op.ID, &antom.InquiryRefundResponse{Result: antom.Result{ResultStatus: "S"}, RefundStatus: "SUCCESS",
		RefundRequestID: r.RefundRequestID, RefundID: "R-9", RefundAmount: &antom.Amount{Currency: "SGD", Value: "4200"}}, nil, attemptOf(nil)); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.RefundedMinor != 4200 || d.Flags != 0 || !d.Settled || d.Operations[0].State != OpSucceeded {
		t.Errorf("after SUCCESS: refunded %d flags %s settled %v op %+v", d.RefundedMinor, d.Flags, d.Settled, d.Operations[0])
	}
}

// TestOperationAuditedWithTheIntent: the audit entry of a capture, refund
// or cancel commits in the same transaction as the operation, before Antom
// is called (so a failure after the send cannot lose it), and a refused
// action writes none.
func TestOperationAuditedWithTheIntent(t *testing.T) {
	s, _ := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	by := AuditContext{Actor: "user:op@example.com", RemoteAddr: "192.0.2.1", RequestID: "req-1"}
	if _, err := s.BeginCapture(ctx, p.PaymentRequestID, 5000, by, lease()); err == nil {
		t.Fatal("an over-capture was accepted")
	}
	op, err := s.BeginCapture(ctx, p.PaymentRequestID, 4200, by, lease())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.AuditForPayment(ctx, p.PaymentRequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "payment.capture" || entries[0].Actor != by.Actor ||
		entries[0].RemoteAddr != by.RemoteAddr || !strings.Contains(string(entries[0].After), op.RequestID) {
		t.Errorf("audit entries %+v, want one payment.capture by %s naming %s", entries, by.Actor, op.RequestID)
	}
}

// TestMismatchIsNotStuck: a payment kept polled because Antom's amount
// disagrees with ours is flagged amount_mismatch, never "stuck" (which
// says Antom did not finish something), however long it lasts.
func TestMismatchIsNotStuck(t *testing.T) {
	s, clk := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	disagree := func() {
		t.Helper()
		if _, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
			Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "SUCCESS", PaymentID: p.PaymentID,
			PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4201"}}, "poller"); err != nil {
			t.Fatal(err)
		}
	}
	disagree()
	clk.Add(20 * time.Minute)
	disagree()
	if _, err := s.MarkStuck(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if !d.Flags.Has(FlagAmountMismatch) || d.Flags.Has(FlagStuck) || d.NextPollAt.IsZero() {
		t.Errorf("flags %s next poll %v; want amount_mismatch, not stuck, still polled", d.Flags, d.NextPollAt)
	}
}
