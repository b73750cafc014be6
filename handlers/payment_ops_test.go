package handlers

import (
	"testing"
	"time"

	"paydesk/store"
	"paydesk/views/pages"
)

// TestOperationWords pins what staff read about an operation in each state:
// the sentence, the badge, the notice at the top of the page, and the last
// answer shown only when it explains the unknown.
func TestOperationWords(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 5, 0, 0, time.UTC)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	capture := store.Operation{Kind: store.OpCapture, AmountMinor: 4200, Currency: "SGD", RequestID: "cap_1",
		State: store.OpPending, Mode: store.OpSend, Attempts: 1, CreatedAt: at("2026-12-04 12:04:10"), NextAttemptAt: at("2026-12-04 12:05:40")}
	unknown := capture
	unknown.Unknown, unknown.Mode, unknown.Attempts, unknown.LastAnswer = true, store.OpInquire, 3, "Antom answered U UNKNOWN_EXCEPTION (unknown exception; call again)"
	resend := unknown
	resend.Mode, resend.LastAnswer, resend.NextAttemptAt = store.OpSend, "inquiry: Antom has no record of this capture", at("2026-12-04 12:04:59")
	overdue := unknown
	overdue.Overdue, overdue.CreatedAt = true, at("2026-11-26 09:00:00")
	cancel := store.Operation{Kind: store.OpCancel, RequestID: "pay_1", State: store.OpSucceeded, Attempts: 1, ResolvedAt: at("2026-12-04 12:06:02")}
	refused := store.Operation{Kind: store.OpRefund, AmountMinor: 500, Currency: "SGD", State: store.OpFailed, Attempts: 1,
		ResultCode: "REFUND_AMOUNT_EXCEED", ResolvedAt: at("2026-12-04 12:06:02")}
	jpy := store.Operation{Kind: store.OpRefund, AmountMinor: 1000, Currency: "JPY", State: store.OpSucceeded, ResolvedAt: at("2026-12-03 23:59:59")}

	cases := []struct {
		name       string
		op         store.Operation
		sentence   string
		badge      string
		lastAnswer string
		notice     string // "" for a settled operation
	}{
		{"first send in flight", capture,
			"Capture of 42.00 SGD sent 12:04:10 UTC, waiting for Antom's answer.", "pending", "",
			"The capture of 42.00 SGD was sent to Antom and awaits its answer; this page updates when it comes."},
		{"unknown, asking", unknown,
			"Capture of 42.00 SGD sent 12:04:10 UTC, Antom's answer unknown, asking Antom for the outcome (attempt 3, next 12:05:40 UTC).", "pending",
			"Antom answered U UNKNOWN_EXCEPTION (unknown exception; call again)",
			"The capture of 42.00 SGD is not confirmed yet: Antom's answer was unknown, so Paydesk is asking Antom for the outcome. This page updates when Antom answers."},
		{"unknown, re-sending, due", resend,
			"Capture of 42.00 SGD sent 12:04:10 UTC, Antom's answer unknown and Antom has no record of it, re-sending with the same request ID (attempt 3, next due now).", "pending",
			"inquiry: Antom has no record of this capture",
			"The capture of 42.00 SGD is not confirmed yet: Antom has no record of it, so Paydesk is sending it again with the same request ID. This page updates when Antom answers."},
		{"past Antom's window", overdue,
			"Capture of 42.00 SGD sent 2026-11-26 09:00:00 UTC, Antom's answer unknown, asking Antom for the outcome (attempt 3, next 12:05:40 UTC). It is past Antom's window: contact Antom with request ID cap_1.",
			"overdue", "Antom answered U UNKNOWN_EXCEPTION (unknown exception; call again)",
			"The capture of 42.00 SGD is still unconfirmed past Antom's window: contact Antom with request ID cap_1. Paydesk keeps asking."},
		{"cancel confirmed", cancel, "Cancel confirmed by Antom 12:06:02 UTC.", "confirmed", "", ""},
		{"refund refused", refused, "Refund of 5.00 SGD refused by Antom 12:06:02 UTC: REFUND_AMOUNT_EXCEED.", "refused", "", ""},
		{"yesterday, no decimals", jpy, "Refund of 1,000 JPY confirmed by Antom 2026-12-03 23:59:59 UTC.", "confirmed", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := tc.op
			if got := operationState(&op, now); got != tc.sentence {
				t.Errorf("sentence\n got %q\nwant %q", got, tc.sentence)
			}
			if got := operationBadge(&op).Label; got != tc.badge {
				t.Errorf("badge %q, want %q", got, tc.badge)
			}
			if got := operationLastAnswer(&op); got != tc.lastAnswer {
				t.Errorf("last answer %q, want %q", got, tc.lastAnswer)
			}
			if tc.notice != "" {
				if got := operationNotice(&op).Text; got != tc.notice {
					t.Errorf("notice\n got %q\nwant %q", got, tc.notice)
				}
			}
		})
	}
}

// TestStateNoticesOneForEachThingInFlight: a pending operation explains
// its capture; a capture no operation owns (an automatic capture) keeps
// its own notice; settled operations say nothing.
func TestStateNoticesOneForEachThingInFlight(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 5, 0, 0, time.UTC)
	d := &store.PaymentDetail{
		Payment: store.Payment{Status: store.StatusSuccess},
		Captures: []store.Capture{
			{CaptureRequestID: "cap_ours", AmountMinor: 4200, Currency: "SGD", Status: store.TxnProcessing},
			{CaptureRequestID: "", AmountMinor: 100, Currency: "SGD", Status: store.TxnProcessing},
		},
		Operations: []store.Operation{
			{Kind: store.OpRefund, AmountMinor: 100, Currency: "SGD", State: store.OpFailed},
			{Kind: store.OpCapture, RequestID: "cap_ours", AmountMinor: 4200, Currency: "SGD", State: store.OpPending, Unknown: true, Mode: store.OpInquire},
		},
	}
	got := stateNotices(d, now)
	want := []pages.Notice{
		{Tone: pages.ToneInfo, Text: "The capture of 42.00 SGD is not confirmed yet: Antom's answer was unknown, so Paydesk is asking Antom for the outcome. This page updates when Antom answers."},
		{Tone: pages.ToneInfo, Text: "A capture of 1.00 SGD awaits Antom's result; this page updates when it arrives."},
	}
	if len(got) != len(want) {
		t.Fatalf("notices %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notice %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestOperationListsAreBounded: a payment page lists its newest operations
// only; lag reads in plain units.
func TestOperationListsAreBounded(t *testing.T) {
	ops := make([]store.Operation, 30)
	for i := range ops {
		ops[i].ID = int64(i + 1)
	}
	got := newestFirst(ops, paymentOperationsShown)
	if len(got) != paymentOperationsShown || got[0].ID != 30 || got[len(got)-1].ID != 11 {
		t.Errorf("newestFirst: %d operations from %d to %d, want %d from 30 to 11", len(got), got[0].ID, got[len(got)-1].ID, paymentOperationsShown)
	}
	if got := newestFirst(ops[:2], paymentOperationsShown); len(got) != 2 || got[0].ID != 2 {
		t.Errorf("newestFirst of two: %+v", got)
	}
	for d, want := range map[time.Duration]string{0: "none", 400 * time.Millisecond: "none", 12 * time.Second: "12 s",
		184 * time.Second: "3 min 4 s", 125 * time.Minute: "2 h 5 min", 76 * time.Hour: "3 d 4 h"} {
		if got := lagText(d); got != want {
			t.Errorf("lagText(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestTimelineKindLabels: the timeline names each kind in words, and an
// operation's end by how it ended.
func TestTimelineKindLabels(t *testing.T) {
	cases := []struct {
		kind   store.EventKind
		detail string
		label  string
		tone   pages.Tone
	}{
		{store.EventOperation, `{"state":"succeeded","attempts":3}`, "operation confirmed", pages.ToneOK},
		{store.EventOperation, `{"state":"failed"}`, "operation refused", pages.ToneBad},
		{store.EventOperation, ``, "operation", ""},
		{store.EventAPIResponse, `{"api":"capture"}`, "Antom's answer", ""},
		{store.EventFlag, `{"set":["operation_overdue"]}`, "flag raised", pages.ToneWarn},
		{store.EventFlag, `{"set":null,"cleared":["stuck"]}`, "flag", ""},
		{store.EventInquiry, `{}`, "inquiry", ""},
		{store.EventKind("something_new"), ``, "something new", ""},
	}
	for _, tc := range cases {
		label, tone := timelineKind(&store.Event{Kind: tc.kind, Detail: []byte(tc.detail)})
		if label != tc.label || tone != tc.tone {
			t.Errorf("%s %s: %q %q, want %q %q", tc.kind, tc.detail, label, tone, tc.label, tc.tone)
		}
	}
}
