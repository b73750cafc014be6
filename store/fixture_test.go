package store

import (
	"encoding/json"
	"testing"
	"time"

	"paydesk/antom"
)

// The fixture must look like the ledger wrote it: searchable by every ID,
// consistent orders and captures, and open payments that notifications apply to.
func TestSeedFixture(t *testing.T) {
	s, _ := newTestStore(t)
	f, err := s.SeedFixture(ctx, FixtureSpec{Payments: 41, Open: 5, End: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("SeedFixture: %v", err)
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != 41 {
		t.Fatalf("payments: got %d, want 41", got)
	}
	if got := count(t, s, "SELECT count(*) FROM orders"); got != 21 {
		t.Errorf("orders: got %d, want 21 (two attempts each, the last alone)", got)
	}
	if seq, err := s.LatestSeq(ctx); err != nil || seq != 41 {
		t.Errorf("LatestSeq: got %d, %v; want 41", seq, err)
	}

	t.Run("search by every ID", func(t *testing.T) {
		p := f.Payment(10) // SUCCESS in the status cycle
		if p.Status != StatusSuccess || p.Open {
			t.Fatalf("payment 10: status %s open %v, want SUCCESS and not open", p.Status, p.Open)
		}
		for _, id := range []string{p.PaymentRequestID, p.PaymentID, p.ReferenceOrderID, p.BuyerID, p.CaptureID, p.CaptureRequestID} {
			hits, err := s.FindPayment(ctx, id)
			if err != nil {
				t.Fatalf("FindPayment(%q): %v", id, err)
			}
			found := false
			for _, h := range hits {
				found = found || h.PaymentRequestID == p.PaymentRequestID
			}
			if !found {
				t.Errorf("FindPayment(%q) did not find %s", id, p.PaymentRequestID)
			}
		}
		d, err := s.GetPayment(ctx, p.PaymentRequestID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Captures) != 1 || d.CaptureState != CaptureFull || !d.Settled || len(d.Timeline) != 2 {
			t.Errorf("detail: %d captures, capture state %s, settled %v, %d events; want 1, CAPTURED, true, 2",
				len(d.Captures), d.CaptureState, d.Settled, len(d.Timeline))
		}
	})

	t.Run("cursor", func(t *testing.T) {
		page, err := s.ListPayments(ctx, PaymentFilter{Cursor: f.Cursor(20), Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 3 || page.Items[0].PaymentRequestID != f.Payment(19).PaymentRequestID {
			t.Fatalf("page after payment 20 starts with %v, want payment 19", page.Items)
		}
	})

	t.Run("open payments take notifications", func(t *testing.T) {
		p := f.Payment(40)
		if !p.Open || p.Status != StatusSessionReady {
			t.Fatalf("payment 40: status %s open %v, want SESSION_READY and open", p.Status, p.Open)
		}
		amount := &antom.Amount{Currency: p.Currency, Value: antom.FormatValue(p.AmountMinor)}
		for _, n := range []*antom.Notification{
			{NotifyType: antom.NotifyPaymentResult, Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
				PaymentRequestID: p.PaymentRequestID, PaymentID: p.PaymentID, PaymentAmount: amount},
			{NotifyType: antom.NotifyCaptureResult, Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
				PaymentID: p.PaymentID, CaptureRequestID: p.CaptureRequestID, CaptureID: p.CaptureID, CaptureAmount: amount},
		} {
			body, _ := json.Marshal(n)
			res, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Body: body,
				Verdict: VerdictOK, Notification: n, ResponseStatus: 200, ResponseBody: antom.AckBody})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != OutcomeApplied {
				t.Errorf("%s: outcome %s, want applied", n.NotifyType, res.Outcome)
			}
		}
		d, err := s.GetPayment(ctx, p.PaymentRequestID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != StatusSuccess || d.CaptureState != CaptureFull || !d.Settled || d.Flags != 0 {
			t.Errorf("after the notifications: %s, %s, settled %v, flags %v; want SUCCESS, CAPTURED, settled, none",
				d.Status, d.CaptureState, d.Settled, d.Flags)
		}
		o, err := s.GetOrder(ctx, p.ReferenceOrderID)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != OrderPaid {
			t.Errorf("order state %s, want PAID", o.State)
		}
	})

	t.Run("a second seeding does not collide", func(t *testing.T) {
		f2, err := s.SeedFixture(ctx, FixtureSpec{Payments: 3})
		if err != nil {
			t.Fatalf("second SeedFixture: %v", err)
		}
		if f2.Tag == f.Tag {
			t.Fatalf("both seedings have tag %s", f.Tag)
		}
		if got := count(t, s, "SELECT count(*) FROM payments"); got != 44 {
			t.Errorf("payments: got %d, want 44", got)
		}
	})

	if _, err := s.SeedFixture(ctx, FixtureSpec{Payments: 2, Open: 3}); err == nil {
		t.Error("SeedFixture with more open payments than payments: no error")
	}
}
