package store

import (
	"testing"
	"time"
)

// TestReleaseOnlyWhileTheClaimIsHeld: a claim given back is due at once
// and uncounted; one whose operation or poll moved on since (an answer
// recorded, another claim) is left alone.
func TestReleaseOnlyWhileTheClaimIsHeld(t *testing.T) {
	s, clk := newTestStore(t)
	p := authorizedPayment(t, s, 4200)
	due := clk.Now().Add(time.Minute)
	if _, err := s.BeginCancel(ctx, p.PaymentRequestID, AuditContext{Actor: "user:op"}, due); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimDueOperations(ctx, due, 10, time.Hour)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	op := claimed[0]
	if ok, err := s.ReleaseOperation(ctx, op); err != nil || !ok {
		t.Fatalf("release of a held claim: %v, %v", ok, err)
	}
	got := onlyOp(t, s, p.PaymentRequestID)
	if !got.NextAttemptAt.Equal(due) || got.Attempts != op.Attempts-1 {
		t.Errorf("released: next %v attempts %d; want %v, %d", got.NextAttemptAt, got.Attempts, due, op.Attempts-1)
	}
	if ok, _ := s.ReleaseOperation(ctx, op); ok {
		t.Error("released the same claim twice")
	}
	// Claimed again, then its answer recorded: a late release changes nothing.
	claimed, _ = s.ClaimDueOperations(ctx, due, 10, time.Hour)
	if len(claimed) != 1 {
		t.Fatalf("claimed again: %d", len(claimed))
	}
	next := due.Add(10 * time.Second)
	if _, err := s.RescheduleOperation(ctx, op.ID, next, false, "test: answered"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReleaseOperation(ctx, claimed[0]); err != nil || ok {
		t.Errorf("release after the answer was recorded: %v, %v; want nothing done", ok, err)
	}
	if got := onlyOp(t, s, p.PaymentRequestID); !got.NextAttemptAt.Equal(next) {
		t.Errorf("a late release moved the next attempt to %v, want %v", got.NextAttemptAt, next)
	}

	// Polls: a held claim is given back; a recorded inquiry is not undone.
	q := mustReady(t, s)
	at := mustGet(t, s, q.PaymentRequestID).NextPollAt
	polls, err := s.PaymentsToPoll(ctx, at, 10)
	if err != nil || len(polls) != 1 {
		t.Fatalf("poll claim: %d, %v", len(polls), err)
	}
	if ok, err := s.ReleasePoll(ctx, polls[0]); err != nil || !ok {
		t.Fatalf("release of a held poll: %v, %v", ok, err)
	}
	if got := mustGet(t, s, q.PaymentRequestID).NextPollAt; !got.Equal(at) {
		t.Errorf("released poll due at %v, want %v", got, at)
	}
	polls, _ = s.PaymentsToPoll(ctx, at, 10)
	if _, err := s.RecordInquiryError(ctx, q.PaymentRequestID, unknownAnswer(), "poller"); err != nil {
		t.Fatal(err)
	}
	after := mustGet(t, s, q.PaymentRequestID).NextPollAt
	if ok, _ := s.ReleasePoll(ctx, polls[0]); ok {
		t.Error("released a poll whose inquiry was recorded")
	}
	if got := mustGet(t, s, q.PaymentRequestID).NextPollAt; !got.Equal(after) {
		t.Errorf("a late poll release moved the next poll to %v, want %v", got, after)
	}
}
