package store

import (
	"fmt"
	"testing"
	"time"
)

// displayCases are the ledger states that matter for the status in words,
// each with the word and tone DisplayStatusOf gives at displayNow.
var displayNow = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

var displayCases = []struct {
	name string
	p    Payment
	word DisplayWord
	tone Tone
}{
	{"created, no session yet", Payment{Status: StatusCreated}, WordAwaitingPayment, ToneInfo},
	{"session ready", Payment{Status: StatusSessionReady, SessionExpiresAt: displayNow.Add(time.Minute)}, WordAwaitingPayment, ToneInfo},
	{"session ready without a known expiry", Payment{Status: StatusSessionReady}, WordAwaitingPayment, ToneInfo},
	{"session ready past its expiry", Payment{Status: StatusSessionReady, SessionExpiresAt: displayNow.Add(-time.Minute)}, WordExpired, ToneWarn},
	{"session ready expiring right now", Payment{Status: StatusSessionReady, SessionExpiresAt: displayNow}, WordExpired, ToneWarn},
	{"session failed", Payment{Status: StatusSessionFailed}, WordSessionFailed, ToneBad},
	{"processing", Payment{Status: StatusProcessing}, WordProcessing, ToneInfo},
	{"authorised, manual capture, nothing captured", Payment{Status: StatusSuccess, AmountMinor: 1000, CaptureState: CaptureNone}, WordAuthorised, ToneInfo},
	{"authorised, capture in flight", Payment{Status: StatusSuccess, AmountMinor: 1000, CaptureState: CapturePending}, WordAuthorised, ToneInfo},
	{"partially captured", Payment{Status: StatusSuccess, AmountMinor: 1000, CapturedMinor: 400, CaptureState: CapturePartial}, WordPartiallyCaptured, ToneOK},
	{"captured", Payment{Status: StatusSuccess, AmountMinor: 1000, CapturedMinor: 1000, CaptureState: CaptureFull}, WordCaptured, ToneOK},
	{"captured, part refunded", Payment{Status: StatusSuccess, AmountMinor: 1000, CapturedMinor: 1000, RefundedMinor: 1, CaptureState: CaptureFull}, WordPartiallyRefunded, ToneWarn},
	{"partially captured, part refunded", Payment{Status: StatusSuccess, AmountMinor: 1000, CapturedMinor: 400, RefundedMinor: 100, CaptureState: CapturePartial}, WordPartiallyRefunded, ToneWarn},
	{"captured, fully refunded", Payment{Status: StatusSuccess, AmountMinor: 23000, CapturedMinor: 23000, RefundedMinor: 23000, CaptureState: CaptureFull}, WordRefunded, ToneWarn},
	{"partially captured, all of it refunded", Payment{Status: StatusSuccess, AmountMinor: 1000, CapturedMinor: 400, RefundedMinor: 400, CaptureState: CapturePartial}, WordRefunded, ToneWarn},
	{"declined", Payment{Status: StatusFail, ResultCode: "CARD_DECLINED"}, WordDeclined, ToneBad},
	{"cancelled after authorisation", Payment{Status: StatusCancelled, PaidAt: displayNow.Add(-time.Hour)}, WordCancelled, ToneWarn},
	{"closed by Antom unpaid", Payment{Status: StatusCancelled}, WordClosedUnpaid, ToneNeutral},
	{"failed ORDER_IS_CLOSED, never paid", Payment{Status: StatusFail, ResultCode: "ORDER_IS_CLOSED"}, WordClosedUnpaid, ToneNeutral},
	{"failed ORDER_IS_CLOSED after a paymentTime", Payment{Status: StatusFail, ResultCode: "ORDER_IS_CLOSED", PaidAt: displayNow.Add(-time.Hour)}, WordDeclined, ToneBad},
	{"declined by the issuer", Payment{Status: StatusFail, ResultCode: "DO_NOT_HONOR"}, WordDeclined, ToneBad},
	{"refused by risk control", Payment{Status: StatusFail, ResultCode: "RISK_REJECT"}, WordDeclined, ToneBad},
	{"expired", Payment{Status: StatusExpired, SessionExpiresAt: displayNow.Add(-time.Hour)}, WordExpired, ToneWarn},
}

func TestDisplayStatusOf(t *testing.T) {
	seen := map[DisplayWord]bool{}
	for _, tc := range displayCases {
		t.Run(tc.name, func(t *testing.T) {
			got := DisplayStatusOf(&tc.p, displayNow)
			if got.Word != tc.word || got.Tone != tc.tone {
				t.Errorf("got %q (%s), want %q (%s)", got.Word, got.Tone, tc.word, tc.tone)
			}
		})
		seen[tc.word] = true
	}
	for _, w := range DisplayWords {
		if !seen[w] {
			t.Errorf("no case reads %q", w)
		}
		if k := w.Key(); k == "" {
			t.Errorf("%q has no key", w)
		} else if back, ok := DisplayWordByKey(k); !ok || back != w {
			t.Errorf("DisplayWordByKey(%q) = %q, %v; want %q", k, back, ok, w)
		}
	}
	if len(displayKeys) != len(DisplayWords) {
		t.Errorf("%d keys for %d words", len(displayKeys), len(DisplayWords))
	}
}

// The list filter by a word finds exactly the payments DisplayStatusOf
// calls that word: the SQL conditions and the function agree on every case.
func TestListPaymentsByDisplayWord(t *testing.T) {
	s, _ := newTestStore(t) // its clock reads displayNow
	want := map[DisplayWord][]string{}
	for i, tc := range displayCases {
		p := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = fmt.Sprintf("order-%d", i) })
		ms := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return t.UnixMilli()
		}
		_, err := s.wdb.Exec(`UPDATE payments SET status = ?, capture_state = ?, captured_minor = ?, refunded_minor = ?,
			session_expires_at = ?, paid_at = ?, result_code = ? WHERE id = ?`,
			tc.p.Status, nonEmpty(string(tc.p.CaptureState), string(CaptureNotApply)), tc.p.CapturedMinor, tc.p.RefundedMinor,
			ms(tc.p.SessionExpiresAt), ms(tc.p.PaidAt), tc.p.ResultCode, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		want[tc.word] = append([]string{p.PaymentRequestID}, want[tc.word]...) // newest first
	}
	for _, w := range DisplayWords {
		t.Run(string(w), func(t *testing.T) {
			page, err := s.ListPayments(ctx, PaymentFilter{Display: w})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Items {
				got = append(got, p.PaymentRequestID)
				if d := DisplayStatusOf(&p, displayNow); d.Word != w {
					t.Errorf("%s reads %q in the %q list", p.PaymentRequestID, d.Word, w)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want[w]) {
				t.Errorf("got %v, want %v", got, want[w])
			}
		})
	}
	if _, err := s.ListPayments(ctx, PaymentFilter{Display: "Paid"}); err == nil {
		t.Error("unknown word: got no error")
	}
}
