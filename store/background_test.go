package store

import (
	"testing"
	"time"

	"paydesk/antom"
)

func TestPollInterval(t *testing.T) {
	for _, tc := range []struct {
		elapsed time.Duration
		want    time.Duration
	}{
		{0, 2 * time.Second},
		{2 * time.Minute, 2 * time.Second},
		{5 * time.Minute, 10 * time.Second},
		{20 * time.Minute, time.Minute},
		{3 * time.Hour, 10 * time.Minute},
		{26 * time.Hour, 0},
	} {
		if got := PollInterval(tc.elapsed); got != tc.want {
			t.Errorf("PollInterval(%v) = %v, want %v", tc.elapsed, got, tc.want)
		}
	}
}

func TestPollerScheduleAndStuck(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	if due, _ := s.PaymentsToPoll(ctx, clk.Now(), 10); len(due) != 0 {
		t.Fatalf("polled before the first interval: %d", len(due))
	}
	clk.Add(2 * time.Second)
	due, err := s.PaymentsToPoll(ctx, clk.Now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("after 2 s: got %d, %v; want 1", len(due), err)
	}
	// Claimed: not offered again until the lease runs out.
	if again, _ := s.PaymentsToPoll(ctx, clk.Now(), 10); len(again) != 0 {
		t.Errorf("claimed payment offered again")
	}
	inquire := func() *Payment {
		t.Helper()
		q, err := s.ApplyInquiry(ctx, p.PaymentRequestID, &antom.InquiryPaymentResponse{
			Result: antom.Result{ResultStatus: "S"}, PaymentStatus: "PROCESSING"}, "poller")
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := inquire()
	if q.Status != StatusSessionReady || !q.NextPollAt.Equal(clk.Now().Add(2*time.Second)) || q.PollCount != 1 {
		t.Errorf("PROCESSING on an unpaid session: got %s next %v count %d", q.Status, q.NextPollAt, q.PollCount)
	}
	// Later the schedule backs off.
	clk.Add(5 * time.Minute)
	q = inquire()
	if got := q.NextPollAt.Sub(clk.Now()); got != 10*time.Second {
		t.Errorf("after 5 min: next in %v, want 10s", got)
	}
	// The buyer submits; nothing final for 15 minutes: stuck.
	deliver(t, s, `{"notifyType":"PAYMENT_PENDING","result":{"resultStatus":"S","resultCode":"SUCCESS"},"paymentRequestId":"`+
		p.PaymentRequestID+`","paymentId":"PID-S","paymentAmount":{"currency":"SGD","value":"4200"}}`)
	clk.Add(15 * time.Minute)
	n, err := s.MarkStuck(ctx, clk.Now())
	if err != nil || n != 1 {
		t.Fatalf("MarkStuck: %d, %v; want 1", n, err)
	}
	if d := mustGet(t, s, p.PaymentRequestID); !d.Flags.Has(FlagStuck) {
		t.Errorf("got flags %s, want stuck", d.Flags)
	}
	if n, _ := s.MarkStuck(ctx, clk.Now()); n != 0 {
		t.Errorf("MarkStuck flagged %d again", n)
	}
	stuck, _ := s.ListPayments(ctx, PaymentFilter{NeedsAttention: true})
	if len(stuck.Items) != 1 {
		t.Errorf("needs attention: got %d", len(stuck.Items))
	}
	// The final result clears it and stops polling.
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-S", "F", "ORDER_IS_CLOSED", 4200))
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusFail || d.Flags != 0 || !d.NextPollAt.IsZero() || !d.Settled {
		t.Errorf("after F: got %s flags %s next %v settled %v", d.Status, d.Flags, d.NextPollAt, d.Settled)
	}
}

func TestMarkStuckOrphanedCreate(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustCreate(t, s)
	if n, _ := s.MarkStuck(ctx, clk.Now()); n != 0 {
		t.Errorf("a fresh CREATED payment was flagged")
	}
	clk.Add(2 * time.Minute)
	if n, err := s.MarkStuck(ctx, clk.Now()); err != nil || n != 1 {
		t.Fatalf("MarkStuck: %d, %v", n, err)
	}
	due, _ := s.PaymentsToPoll(ctx, clk.Now(), 10)
	if len(due) != 1 || due[0].PaymentRequestID != p.PaymentRequestID || !due[0].Flags.Has(FlagUnknownOutcome) {
		t.Errorf("orphaned CREATED payment not offered for a retry: %+v", due)
	}
}

func TestExpireSessions(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	paid := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "paid" })
	deliver(t, s, paymentResult(paid.PaymentRequestID, "PID-P", "S", "SUCCESS", 4200))
	clk.Add(59 * time.Minute)
	if n, _ := s.ExpireSessions(ctx, clk.Now()); n != 0 {
		t.Errorf("expired %d before the expiry", n)
	}
	clk.Add(time.Minute)
	n, err := s.ExpireSessions(ctx, clk.Now())
	if err != nil || n != 1 {
		t.Fatalf("ExpireSessions: %d, %v; want 1", n, err)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if d.Status != StatusExpired || !d.Settled || !d.NextPollAt.IsZero() || d.Timeline[len(d.Timeline)-1].Kind != EventExpired {
		t.Errorf("got %s settled %v next %v", d.Status, d.Settled, d.NextPollAt)
	}
	if got := mustGet(t, s, paid.PaymentRequestID).Status; got != StatusSuccess {
		t.Errorf("paid payment became %s", got)
	}
	// Antom's word still counts after our expiry: a late success moves it on.
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-L", "S", "SUCCESS", 4200))
	if got := mustGet(t, s, p.PaymentRequestID).Status; got != StatusSuccess {
		t.Errorf("late success after expiry: got %s", got)
	}
}
