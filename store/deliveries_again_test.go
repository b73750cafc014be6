package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
)

// deliverNotApplied stores body as the webhook does when applying it failed.
func deliverNotApplied(t *testing.T, s *Store, body string, at time.Time) *DeliveryResult {
	t.Helper()
	n, err := antom.ParseNotification([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.IngestNotification(ctx, DeliveryInput{
		ReceivedAt: at, Path: "/webhooks/antom", Body: []byte(body), ClientID: "SANDBOX_1", RequestTime: "1700000000000",
		Verdict: VerdictOK, Notification: n, NotApplied: true, ParseError: "verified, but could not be applied: disk I/O error",
		ResponseStatus: 500, ResponseBody: `{"error":"not_applied"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

var staff = AuditContext{Actor: "user:ops@example.com", ActorUserID: 1, RequestID: "req-1"}

func TestApplyDeliveryAgain(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	na := deliverNotApplied(t, s, body, clk.Now())
	if na.Outcome != OutcomeNotApplied || na.PaymentRequestID != p.PaymentRequestID {
		t.Fatalf("stored as %+v, want not_applied and linked to its payment", na)
	}
	if got := mustGet(t, s, p.PaymentRequestID).Status; got != StatusSessionReady {
		t.Fatalf("a not-applied delivery changed the status to %s", got)
	}
	if n, first, err := s.CountNotApplied(ctx); err != nil || n != 1 || first.IsZero() {
		t.Fatalf("CountNotApplied: %d %v %v", n, first, err)
	}

	// A burst of clicks: one applies, the others change nothing.
	var wg sync.WaitGroup
	results := make([]*ReapplyResult, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = s.ApplyDeliveryAgain(ctx, na.DeliveryID, staff)
		}(i)
	}
	wg.Wait()
	applied := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("click %d: %v", i, errs[i])
		}
		if !r.Already {
			applied++
			if r.Outcome != OutcomeApplied || r.PaymentRequestID != p.PaymentRequestID {
				t.Errorf("applied again: %+v", r)
			}
		}
	}
	if applied != 1 {
		t.Fatalf("%d of 8 simultaneous clicks applied it, want exactly 1", applied)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusSuccess {
		t.Errorf("status %s after applying again, want SUCCESS", d.Status)
	}
	if got := count(t, s, "SELECT count(*) FROM audit_log WHERE action = 'delivery.apply_again' AND payment_request_id = ?", p.PaymentRequestID); got != 1 {
		t.Errorf("%d audit entries, want 1", got)
	}
	dl, err := s.GetDelivery(ctx, na.DeliveryID)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Outcome != OutcomeApplied || dl.ReappliedBy != staff.Actor || dl.ReappliedAt.IsZero() || dl.DedupeKey == "" {
		t.Errorf("delivery after applying again: %+v", dl)
	}
	// Antom's next retry is now a duplicate of it.
	if r := deliver(t, s, body); r.Outcome != OutcomeDuplicate || r.DuplicateOf != na.DeliveryID {
		t.Errorf("Antom's retry: %+v, want a duplicate of #%d", r, na.DeliveryID)
	}
	if n, _, _ := s.CountNotApplied(ctx); n != 0 {
		t.Errorf("%d still not applied", n)
	}
}

func TestApplyDeliveryAgainAfterAntomsRetry(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	na := deliverNotApplied(t, s, body, clk.Now())
	first := deliver(t, s, body) // Antom's retry, applied
	r, err := s.ApplyDeliveryAgain(ctx, na.DeliveryID, staff)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != OutcomeDuplicate || r.DuplicateOf != first.DeliveryID {
		t.Errorf("got %+v, want a duplicate of #%d", r, first.DeliveryID)
	}
	if got := count(t, s, "SELECT count(*) FROM events WHERE kind = 'notification' AND summary LIKE '%duplicate%'"); got != 1 {
		t.Errorf("%d duplicate events, want 1", got)
	}
}

func TestApplyDeliveryAgainRefusesOthers(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	applied := deliver(t, s, paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200))
	bad, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Body: []byte(`{"x":1}`), Verdict: VerdictBad, ResponseStatus: 401})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{applied.DeliveryID, bad.DeliveryID} {
		if _, err := s.ApplyDeliveryAgain(ctx, id, staff); !errors.Is(err, ErrNotReapplicable) {
			t.Errorf("delivery #%d: got %v, want ErrNotReapplicable", id, err)
		}
	}
	if _, err := s.ApplyDeliveryAgain(ctx, 9999, staff); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown delivery: got %v, want ErrNotFound", err)
	}
	if got := count(t, s, "SELECT count(*) FROM audit_log WHERE action = 'delivery.apply_again'"); got != 0 {
		t.Errorf("%d audit entries for refused attempts, want 0", got)
	}
}

func TestApplyAgainSince(t *testing.T) {
	s, clk := newTestStore(t)
	var ids []int64
	var prids []string
	for i := 0; i < 5; i++ {
		p := mustReady(t, s)
		prids = append(prids, p.PaymentRequestID)
		ids = append(ids, deliverNotApplied(t, s, paymentResult(p.PaymentRequestID, "20250000"+string(rune('1'+i)), "S", "SUCCESS", 4200), clk.Now().Add(time.Duration(i)*time.Minute)).DeliveryID)
	}
	since := clk.Now().Add(2 * time.Minute) // the last three
	results, failed, more, err := s.ApplyAgainSince(ctx, since, staff)
	if err != nil || len(failed) != 0 || more {
		t.Fatalf("ApplyAgainSince: %v %v %v", err, failed, more)
	}
	if len(results) != 3 || results[0].DeliveryID != ids[2] {
		t.Fatalf("applied %+v, want deliveries %v", results, ids[2:])
	}
	for i, prid := range prids {
		want := StatusSessionReady
		if i >= 2 {
			want = StatusSuccess
		}
		if got := mustGet(t, s, prid).Status; got != want {
			t.Errorf("payment %d: %s, want %s", i, got, want)
		}
	}
	// Again: nothing left since then.
	if results, _, _, _ := s.ApplyAgainSince(ctx, since, staff); len(results) != 0 {
		t.Errorf("second run applied %d", len(results))
	}
}

func TestDeliveryAttemptsAndSignatureHistory(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	// paymentTime in the body is 2025-03-01T10:00:03Z; Antom's first attempt
	// never arrived, the second was answered 500, the third acknowledged.
	sent := time.Date(2025, 3, 1, 10, 0, 3, 0, time.UTC)
	deliverNotApplied(t, s, body, sent.Add(antom.NotifyRetryOffset(2)+time.Second))
	n, _ := antom.ParseNotification([]byte(body))
	if _, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: sent.Add(antom.NotifyRetryOffset(3) + 2*time.Second), Path: "/webhooks/antom",
		Body: []byte(body), ClientID: "SANDBOX_1", RequestTime: "1", Verdict: VerdictOK, Notification: n, ResponseStatus: 200, ResponseBody: antom.AckBody}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.PaymentDeliveries(ctx, p.PaymentRequestID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("PaymentDeliveries: %d, %v", len(ds), err)
	}
	groups := DeliveryAttempts(ds, clk.Now().Add(time.Hour))
	if len(groups) != 1 {
		t.Fatalf("%d notifications, want 1", len(groups))
	}
	r := groups[0].Report
	if !r.Acked || len(r.Attempts) != 3 || r.Attempts[0].State != antom.AttemptMissing ||
		r.Attempts[1].State != antom.AttemptArrived || r.Attempts[2].Arrival == nil || !r.Attempts[2].Arrival.Acked {
		t.Errorf("report: %+v", r)
	}
	same, err := s.NotificationDeliveries(ctx, &ds[0])
	if err != nil || len(same) != 2 {
		t.Errorf("NotificationDeliveries: %d, %v", len(same), err)
	}

	// Signature history: verified, then every delivery fails from one moment.
	for i := 0; i < 3; i++ {
		if _, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: sent.Add(time.Duration(i+1) * time.Hour), Path: "/webhooks/antom",
			Body: []byte(body), Verdict: VerdictBad, ResponseStatus: 401}); err != nil {
			t.Fatal(err)
		}
	}
	last := count(t, s, "SELECT max(id) FROM deliveries")
	h, err := s.SignatureHistoryAt(ctx, int64(last))
	if err != nil {
		t.Fatal(err)
	}
	if h.FailedSince != 3 || !h.FailingSince.Equal(sent.Add(time.Hour)) || !h.LastVerified.Equal(sent.Add(antom.NotifyRetryOffset(3)+2*time.Second)) {
		t.Errorf("history: %+v", h)
	}
}
