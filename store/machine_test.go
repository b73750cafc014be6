package store

import (
	"strings"
	"testing"
)

// The expected payment machine, written out for every status × every event.
// "→X" applies (moves to X), "=" confirms, "-" ignores, "!" contradiction.
var wantPayment = map[PaymentStatus]map[PaymentEvent]string{
	StatusCreated: {
		EvSessionCreated: "→SESSION_READY", EvSessionFailed: "→SESSION_FAILED", EvPending: "→PROCESSING",
		EvSucceeded: "→SUCCESS", EvFailed: "→FAIL", EvCancelled: "→CANCELLED", EvCaptured: "→SUCCESS",
		EvSessionExpired: "-",
	},
	StatusSessionReady: {
		EvSessionCreated: "=", EvSessionFailed: "-", EvPending: "→PROCESSING",
		EvSucceeded: "→SUCCESS", EvFailed: "→FAIL", EvCancelled: "→CANCELLED", EvCaptured: "→SUCCESS",
		EvSessionExpired: "→EXPIRED",
	},
	StatusSessionFailed: {
		EvSessionCreated: "-", EvSessionFailed: "=", EvPending: "→PROCESSING",
		EvSucceeded: "→SUCCESS", EvFailed: "→FAIL", EvCancelled: "→CANCELLED", EvCaptured: "→SUCCESS",
		EvSessionExpired: "-",
	},
	StatusProcessing: {
		EvSessionCreated: "-", EvSessionFailed: "-", EvPending: "=",
		EvSucceeded: "→SUCCESS", EvFailed: "→FAIL", EvCancelled: "→CANCELLED", EvCaptured: "→SUCCESS",
		EvSessionExpired: "-",
	},
	StatusSuccess: {
		EvSessionCreated: "-", EvSessionFailed: "-", EvPending: "-",
		EvSucceeded: "=", EvFailed: "!", EvCancelled: "→CANCELLED", EvCaptured: "=",
		EvSessionExpired: "-",
	},
	StatusFail: {
		EvSessionCreated: "-", EvSessionFailed: "-", EvPending: "-",
		EvSucceeded: "!", EvFailed: "=", EvCancelled: "-", EvCaptured: "!",
		EvSessionExpired: "-",
	},
	StatusCancelled: {
		EvSessionCreated: "-", EvSessionFailed: "-", EvPending: "-",
		EvSucceeded: "-", EvFailed: "-", EvCancelled: "=", EvCaptured: "!",
		EvSessionExpired: "-",
	},
	StatusExpired: {
		EvSessionCreated: "-", EvSessionFailed: "-", EvPending: "→PROCESSING",
		EvSucceeded: "→SUCCESS", EvFailed: "→FAIL", EvCancelled: "→CANCELLED", EvCaptured: "→SUCCESS",
		EvSessionExpired: "=",
	},
}

func render(t Transition) string {
	switch t.Effect {
	case EffectApply:
		return "→" + string(t.To)
	case EffectSame:
		return "="
	case EffectIgnore:
		return "-"
	case EffectContradiction:
		return "!"
	}
	return "?" + string(t.Effect)
}

func TestNextPaymentStatusExhaustive(t *testing.T) {
	if len(wantPayment) != len(PaymentStatuses) {
		t.Fatalf("table covers %d statuses, want %d", len(wantPayment), len(PaymentStatuses))
	}
	for _, from := range PaymentStatuses {
		for _, ev := range PaymentEvents {
			t.Run(string(from)+"/"+string(ev), func(t *testing.T) {
				want, ok := wantPayment[from][ev]
				if !ok {
					t.Fatalf("expected table has no entry for %s × %s", from, ev)
				}
				got := NextPaymentStatus(from, ev)
				if render(got) != want {
					t.Errorf("got %s, want %s", render(got), want)
				}
				if got.From != from {
					t.Errorf("got From %s, want %s", got.From, from)
				}
				if got.Effect != EffectApply && got.To != from {
					t.Errorf("effect %s moved status to %s", got.Effect, got.To)
				}
			})
		}
	}
}

// Antom's verdicts never move back to a non-final status, and the only move
// out of SUCCESS is CANCELLED.
func TestNextPaymentStatusForwardOnly(t *testing.T) {
	for _, from := range []PaymentStatus{StatusSuccess, StatusFail, StatusCancelled} {
		for _, ev := range PaymentEvents {
			got := NextPaymentStatus(from, ev)
			if got.Effect != EffectApply {
				continue
			}
			if !got.To.IsFinal() {
				t.Errorf("%s × %s moved back to non-final %s", from, ev, got.To)
			}
			if !(from == StatusSuccess && got.To == StatusCancelled) {
				t.Errorf("%s × %s moved to %s", from, ev, got.To)
			}
		}
	}
	// An unknown status or event changes nothing.
	if got := NextPaymentStatus("BOGUS", EvSucceeded); got.Effect != EffectIgnore || got.To != "BOGUS" {
		t.Errorf("unknown status: got %+v", got)
	}
	if got := NextPaymentStatus(StatusProcessing, "bogus"); got.Effect != EffectIgnore {
		t.Errorf("unknown event: got %+v", got)
	}
}

var wantTxn = map[TxnStatus]map[TxnEvent]string{
	TxnProcessing: {TxnEvSucceeded: "→SUCCESS", TxnEvFailed: "→FAIL", TxnEvPending: "="},
	TxnSuccess:    {TxnEvSucceeded: "=", TxnEvFailed: "!", TxnEvPending: "-"},
	TxnFail:       {TxnEvSucceeded: "!", TxnEvFailed: "=", TxnEvPending: "-"},
}

func TestNextTxnStatusExhaustive(t *testing.T) {
	for _, from := range TxnStatuses {
		for _, ev := range TxnEvents {
			t.Run(string(from)+"/"+string(ev), func(t *testing.T) {
				want, ok := wantTxn[from][ev]
				if !ok {
					t.Fatalf("expected table has no entry for %s × %s", from, ev)
				}
				got := NextTxnStatus(from, ev)
				r := render(Transition{From: PaymentStatus(got.From), To: PaymentStatus(got.To), Effect: got.Effect})
				if r != want {
					t.Errorf("got %s, want %s", r, want)
				}
				if got.Effect != EffectApply && got.To != from {
					t.Errorf("effect %s moved status to %s", got.Effect, got.To)
				}
			})
		}
	}
}

func TestTxnEventOf(t *testing.T) {
	for in, want := range map[string]TxnEvent{"S": TxnEvSucceeded, "SUCCESS": TxnEvSucceeded, "F": TxnEvFailed,
		"FAIL": TxnEvFailed, "U": TxnEvPending, "PROCESSING": TxnEvPending, "PENDING": TxnEvPending} {
		if got, ok := txnEventOf(in); !ok || got != want {
			t.Errorf("txnEventOf(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := txnEventOf("CANCELLED"); ok {
		t.Error("txnEventOf(CANCELLED) ok, want not ok")
	}
}

func TestFlagNames(t *testing.T) {
	f := FlagContradiction | FlagStuck
	if got := f.String(); got != "contradiction,stuck" {
		t.Errorf("got %q, want contradiction,stuck", got)
	}
	if !f.Has(FlagStuck) || f.Has(FlagUnknownOutcome) || f.Has(0) {
		t.Error("Has is wrong")
	}
	var all Flag
	for _, n := range flagNames {
		all |= n.f
	}
	if strings.Count(all.String(), ",")+1 != len(flagNames) {
		t.Errorf("every flag needs a distinct name: %q", all.String())
	}
}
