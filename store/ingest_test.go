package store

import (
	"fmt"
	"sync"
	"testing"

	"paydesk/antom"
)

func TestIngestDedupe(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	var results []*DeliveryResult
	for i := 0; i < 3; i++ {
		results = append(results, deliver(t, s, body))
	}
	if results[0].Outcome != OutcomeApplied {
		t.Errorf("first copy: got %s, want applied", results[0].Outcome)
	}
	for _, r := range results[1:] {
		if r.Outcome != OutcomeDuplicate || r.DuplicateOf != results[0].DeliveryID {
			t.Errorf("later copy: got %s of #%d, want duplicate of #%d", r.Outcome, r.DuplicateOf, results[0].DeliveryID)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM deliveries"); got != 3 {
		t.Errorf("got %d deliveries, want 3", got)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusSuccess || d.PaymentID != "2025000001" || d.CardBrand != "VISA" || d.CardLast4 != "0768" {
		t.Errorf("got %s %s %s %s", d.Status, d.PaymentID, d.CardBrand, d.CardLast4)
	}
	if d.PaidAt.IsZero() {
		t.Error("paymentTime not recorded")
	}
	// One state change: SESSION_READY → SUCCESS, recorded once.
	var changes int
	for _, e := range d.Timeline {
		if e.Kind == EventNotification && e.DeliveryID == results[0].DeliveryID {
			changes++
		}
	}
	if changes != 1 {
		t.Errorf("got %d timeline events for the applied delivery, want 1", changes)
	}
	if got := count(t, s, "SELECT count(*) FROM events WHERE kind = 'notification'"); got != 3 {
		t.Errorf("got %d notification events, want 3 (each delivery on the timeline)", got)
	}
	dl, err := s.GetDelivery(ctx, results[2].DeliveryID)
	if err != nil {
		t.Fatal(err)
	}
	if string(dl.Body) != body || dl.Headers["Client-Id"][0] != "SANDBOX_1" || dl.Outcome != OutcomeDuplicate ||
		dl.PaymentRequestID != p.PaymentRequestID || dl.ResponseBody != antom.AckBody || dl.Verdict != VerdictOK {
		t.Errorf("stored delivery: %+v", dl)
	}
}

func TestIngestRejectedChangesNothing(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	n, _ := antom.ParseNotification([]byte(body))
	before := mustGet(t, s, p.PaymentRequestID)
	for _, v := range []Verdict{VerdictBad, VerdictMissing, VerdictUnverifiable} {
		res, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Body: []byte(body),
			Verdict: v, Notification: n, ResponseStatus: 401, ResponseBody: `{"error":"bad signature"}`})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != OutcomeRejected || res.PaymentRequestID != "" {
			t.Errorf("%s: got %+v, want rejected and unlinked", v, res)
		}
	}
	// Verified but malformed.
	res, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Body: []byte("{not json"),
		Verdict: VerdictOK, ParseError: "not JSON", ResponseStatus: 400})
	if err != nil || res.Outcome != OutcomeRejected {
		t.Fatalf("malformed: got %+v, %v", res, err)
	}
	after := mustGet(t, s, p.PaymentRequestID)
	if after.Status != StatusSessionReady || after.Version != before.Version || len(after.Timeline) != len(before.Timeline) {
		t.Errorf("rejected deliveries changed the payment: %s v%d → v%d", after.Status, before.Version, after.Version)
	}
	if got := count(t, s, "SELECT count(*) FROM deliveries WHERE outcome = 'rejected'"); got != 4 {
		t.Errorf("got %d rejected deliveries, want 4", got)
	}
	if _, err := s.IngestNotification(ctx, DeliveryInput{Verdict: "maybe"}); err == nil {
		t.Error("an unknown verdict was accepted")
	}
}

// CAPTURE_RESULT before PAYMENT_RESULT, with the payment's paymentId known
// (here from an inquiry that said PROCESSING).
func TestIngestCaptureBeforePayment(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, `{"notifyType":"PAYMENT_PENDING","result":{"resultStatus":"S","resultCode":"SUCCESS"},"paymentRequestId":"`+p.PaymentRequestID+`","paymentId":"PID-1","paymentAmount":{"currency":"SGD","value":"4200"}}`)
	if got := mustGet(t, s, p.PaymentRequestID); got.Status != StatusProcessing || got.PaymentID != "PID-1" {
		t.Fatalf("after PAYMENT_PENDING: got %s %q", got.Status, got.PaymentID)
	}
	cr := deliver(t, s, captureResult("PID-1", "auto-cap-1", "CAP-1", "S", 4200))
	if cr.Outcome != OutcomeOutOfOrder {
		t.Errorf("capture: got %s, want out_of_order", cr.Outcome)
	}
	mid := mustGet(t, s, p.PaymentRequestID)
	if mid.Status != StatusSuccess || mid.CapturedMinor != 4200 || mid.CaptureState != CaptureFull || len(mid.Captures) != 1 {
		t.Fatalf("after capture: got %s captured %d state %s captures %d", mid.Status, mid.CapturedMinor, mid.CaptureState, len(mid.Captures))
	}
	pr := deliver(t, s, paymentResult(p.PaymentRequestID, "PID-1", "S", "SUCCESS", 4200))
	if pr.Outcome != OutcomeApplied {
		t.Errorf("late payment result: got %s, want applied (consistent)", pr.Outcome)
	}
	end := mustGet(t, s, p.PaymentRequestID)
	if end.Status != StatusSuccess || end.Flags != 0 || !end.Settled || end.ResultCode != "SUCCESS" {
		t.Errorf("end: got %s flags %s settled %v code %s", end.Status, end.Flags, end.Settled, end.ResultCode)
	}
	c := end.Captures[0]
	if c.CaptureID != "CAP-1" || c.Status != TxnSuccess || c.Actor != "antom" || c.AcquirerRef != "ACQ-CAP-1" || c.CapturedAt.IsZero() {
		t.Errorf("capture: %+v", c)
	}
}

// CAPTURE_RESULT before anything told us the paymentId: kept as
// unknown_payment, applied when the PAYMENT_RESULT reveals the paymentId.
func TestIngestCaptureBeforePaymentUnknownID(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	cr := deliver(t, s, captureResult("PID-7", "auto-cap-7", "CAP-7", "S", 4200))
	if cr.Outcome != OutcomeUnknownPayment {
		t.Fatalf("early capture: got %s, want unknown_payment", cr.Outcome)
	}
	pr := deliver(t, s, paymentResult(p.PaymentRequestID, "PID-7", "S", "SUCCESS", 4200))
	if pr.Outcome != OutcomeApplied {
		t.Errorf("payment result: got %s, want applied", pr.Outcome)
	}
	end := mustGet(t, s, p.PaymentRequestID)
	if end.Status != StatusSuccess || end.CapturedMinor != 4200 || !end.Settled || len(end.Captures) != 1 {
		t.Fatalf("end: got %s captured %d settled %v", end.Status, end.CapturedMinor, end.Settled)
	}
	dl, _ := s.GetDelivery(ctx, cr.DeliveryID)
	if dl.Outcome != OutcomeOutOfOrder || dl.PaymentRequestID != p.PaymentRequestID {
		t.Errorf("parked delivery after replay: got %s linked to %q", dl.Outcome, dl.PaymentRequestID)
	}
	// A retry of the same capture notification is now a duplicate.
	if again := deliver(t, s, captureResult("PID-7", "auto-cap-7", "CAP-7", "S", 4200)); again.Outcome != OutcomeDuplicate {
		t.Errorf("capture retry: got %s, want duplicate", again.Outcome)
	}
}

func TestIngestContradiction(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-2", "S", "SUCCESS", 4200))
	res := deliver(t, s, paymentResult(p.PaymentRequestID, "PID-2", "F", "PROCESS_FAIL", 4200))
	if res.Outcome != OutcomeContradiction || !res.NeedsInquiry {
		t.Fatalf("got %+v, want contradiction needing an inquiry", res)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusSuccess || !d.Flags.Has(FlagContradiction) || d.ResultCode != "SUCCESS" {
		t.Errorf("got %s flags %s code %s; want SUCCESS kept, flagged", d.Status, d.Flags, d.ResultCode)
	}
	if d.Settled || d.NextPollAt.IsZero() {
		t.Errorf("a contradiction should keep the payment live and polled: settled=%v next=%v", d.Settled, d.NextPollAt)
	}
	// The inquiry agrees with the ledger: the contradiction is resolved.
	q, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
		Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"}, PaymentStatus: "SUCCESS", PaymentID: "PID-2"}, "poller")
	if err != nil {
		t.Fatal(err)
	}
	if q.Flags.Has(FlagContradiction) || q.Status != StatusSuccess {
		t.Errorf("after agreeing inquiry: got %s flags %s", q.Status, q.Flags)
	}

	// F then S, the other way round.
	p2 := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "order-2" })
	deliver(t, s, paymentResult(p2.PaymentRequestID, "PID-3", "F", "DO_NOT_HONOR", 4200))
	if res := deliver(t, s, paymentResult(p2.PaymentRequestID, "PID-3", "S", "SUCCESS", 4200)); res.Outcome != OutcomeContradiction {
		t.Errorf("F then S: got %s", res.Outcome)
	}
	if d := mustGet(t, s, p2.PaymentRequestID); d.Status != StatusFail || !d.Flags.Has(FlagContradiction) {
		t.Errorf("F then S: got %s flags %s", d.Status, d.Flags)
	}
}

func TestIngestUnknownPaymentKept(t *testing.T) {
	s, _ := newTestStore(t)
	res := deliver(t, s, paymentResult("never-seen", "PID-X", "S", "SUCCESS", 100))
	if res.Outcome != OutcomeUnknownPayment || res.PaymentRequestID != "" {
		t.Fatalf("got %+v, want unknown_payment", res)
	}
	again := deliver(t, s, paymentResult("never-seen", "PID-X", "S", "SUCCESS", 100))
	if again.Outcome != OutcomeUnknownPayment || again.DuplicateOf != res.DeliveryID {
		t.Errorf("second copy: got %+v", again)
	}
	page, err := s.ListDeliveries(ctx, DeliveryFilter{Outcome: OutcomeUnknownPayment})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("got %d unknown deliveries, %v; want 2", len(page.Items), err)
	}
	if page.Items[0].PaymentID != "PID-X" || page.Items[0].NotifyType != "PAYMENT_RESULT" || page.Items[0].Body != nil {
		t.Errorf("list row: %+v", page.Items[0])
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != 0 {
		t.Errorf("an unknown payment created %d payments", got)
	}
}

func TestIngestAmountMismatchFlagged(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	res := deliver(t, s, paymentResult(p.PaymentRequestID, "PID-4", "S", "SUCCESS", 1))
	if !res.NeedsInquiry {
		t.Error("a wrong amount should ask for an inquiry")
	}
	if d := mustGet(t, s, p.PaymentRequestID); !d.Flags.Has(FlagAmountMismatch) {
		t.Errorf("got flags %s, want amount_mismatch", d.Flags)
	}
}

func TestIngestRefund(t *testing.T) {
	s, _ := newTestStore(t)
	p := capturedPayment(t, s, 4200)
	r, err := beginRefund(s, p.PaymentRequestID, 1000, "customer asked", "user:op@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res := deliver(t, s, refundResult(r.RefundRequestID, "REF-1", "SUCCESS", 1000)); res.Outcome != OutcomeApplied {
		t.Errorf("refund result: got %s", res.Outcome)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.RefundedMinor != 1000 || d.Refunds[0].Status != TxnSuccess || d.Refunds[0].RefundID != "REF-1" || !d.Settled {
		t.Errorf("got refunded %d refund %+v settled %v", d.RefundedMinor, d.Refunds[0], d.Settled)
	}
	// A refund result for a refund nobody knows is kept.
	if res := deliver(t, s, refundResult("ref-unknown", "REF-9", "SUCCESS", 5)); res.Outcome != OutcomeUnknownPayment {
		t.Errorf("unknown refund: got %s", res.Outcome)
	}
}

// Many concurrent webhook deliveries: every one is stored and applied, and
// the writer groups them into fewer commits than deliveries.
func TestIngestConcurrent(t *testing.T) {
	s, _ := newTestStore(t)
	const n = 64
	ps := make([]*Payment, n)
	for i := range ps {
		ps[i] = mustReady(t, s, func(np *NewPayment) { np.ReferenceOrderID = fmt.Sprintf("order-%d", i) })
	}
	release := holdWriter(t, s)
	before := s.commits.Load()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := tryDeliver(s, paymentResult(ps[i].PaymentRequestID, fmt.Sprintf("PID-%d", i), "S", "SUCCESS", 4200)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	if got := count(t, s, "SELECT count(*) FROM deliveries WHERE outcome = 'applied'"); got != n {
		t.Errorf("got %d applied deliveries, want %d", got, n)
	}
	if got := count(t, s, "SELECT count(*) FROM payments WHERE status = 'SUCCESS'"); got != n {
		t.Errorf("got %d SUCCESS payments, want %d", got, n)
	}
	if got := s.commits.Load() - before; got > 3 {
		t.Errorf("got %d commits for %d queued deliveries, want them grouped (≤ 3)", got, n)
	}
	// And with no help from a held writer, plain concurrency still loses nothing.
	var wg2 sync.WaitGroup
	for i := 0; i < n; i++ {
		wg2.Add(1)
		go func(i int) {
			defer wg2.Done()
			if _, err := tryDeliver(s, captureResult(fmt.Sprintf("PID-%d", i), fmt.Sprintf("cap-%d", i), fmt.Sprintf("CAP-%d", i), "S", 4200)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg2.Wait()
	if got := count(t, s, "SELECT count(*) FROM captures WHERE status = 'SUCCESS'"); got != n {
		t.Errorf("got %d captures, want %d", got, n)
	}
}
