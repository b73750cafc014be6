package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"paydesk/antom"
)

// A redelivery is recorded the same whether the writer remembers its
// notification's claim (SQLite) or asks the database: a duplicate of the
// first delivery, on the payment's timeline, the version bumped, nothing
// else changed; for a payment result and for a capture result.
func TestRedeliveryRecognised(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	pay := paymentResult(p.PaymentRequestID, "PID-R1", "S", "SUCCESS", 4200)
	capture := captureResult("PID-R1", "capreq-R1", "CAP-R1", "S", 4200)
	first := deliver(t, s, pay)
	firstCap := deliver(t, s, capture)
	if first.Outcome != OutcomeApplied || firstCap.Outcome != OutcomeApplied {
		t.Fatalf("first deliveries: %s, %s", first.Outcome, firstCap.Outcome)
	}
	if !s.pg && len(s.claims) != 2 {
		t.Errorf("the writer remembers %d claims, want 2", len(s.claims))
	}
	before := mustGet(t, s, p.PaymentRequestID)
	for i := 0; i < 2; i++ {
		for _, tc := range []struct {
			body  string
			first int64
		}{{pay, first.DeliveryID}, {capture, firstCap.DeliveryID}} {
			res := deliver(t, s, tc.body)
			if res.Outcome != OutcomeDuplicate || res.DuplicateOf != tc.first || res.PaymentRequestID != p.PaymentRequestID {
				t.Errorf("redelivery: %+v, want a duplicate of %d", res, tc.first)
			}
		}
	}
	after := mustGet(t, s, p.PaymentRequestID)
	if after.Version != before.Version+4 || after.Seq <= before.Seq {
		t.Errorf("version %d → %d, seq %d → %d: want 4 bumps", before.Version, after.Version, before.Seq, after.Seq)
	}
	if after.Status != before.Status || after.CapturedMinor != before.CapturedMinor || after.Flags != before.Flags ||
		after.PaymentID != before.PaymentID || after.NextPollAt != before.NextPollAt || after.CaptureState != before.CaptureState {
		t.Errorf("a duplicate changed the payment:\nbefore %+v\nafter  %+v", before.Payment, after.Payment)
	}
	dups := 0
	for _, e := range after.Timeline {
		if strings.Contains(e.Summary, "duplicate of delivery #") {
			dups++
		}
	}
	if dups != 4 {
		t.Errorf("%d duplicate events on the timeline, want 4", dups)
	}
}

// A claim made by a write that then failed is not remembered: the next
// delivery of that notification is its first and is applied.
func TestRolledBackClaimIsForgotten(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	body := paymentResult(p.PaymentRequestID, "PID-R2", "S", "SUCCESS", 4200)
	n, err := antom.ParseNotification([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("failed after claiming")
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.claimNotification(ctx, tx, n.DedupeKey(), 1<<40); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("write: %v", err)
	}
	if _, ok := s.claims[n.DedupeKey()]; ok {
		t.Fatal("the claim of a rolled-back write is remembered")
	}
	if res := deliver(t, s, body); res.Outcome != OutcomeApplied {
		t.Errorf("first delivery after the rolled-back claim: %s, want applied", res.Outcome)
	}
}
