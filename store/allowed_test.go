package store

import (
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

func TestAllowed(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	paid := now.Add(-time.Hour)
	manual := Payment{Status: StatusSuccess, CaptureMode: antom.CaptureManual, PaymentID: "P1", AmountMinor: 10000,
		Currency: "SGD", PaidAt: paid, AuthExpiresAt: paid.Add(AuthorizationWindow)}
	withPay := func(mod func(*PaymentDetail)) *PaymentDetail {
		d := &PaymentDetail{Payment: manual}
		if mod != nil {
			mod(d)
		}
		return d
	}
	cases := []struct {
		name                    string
		d                       *PaymentDetail
		capture, cancel, refund string // "" allowed, else a word of the refusal
		capturable, refundable  int64
	}{
		{name: "authorized, nothing done", d: withPay(nil), refund: "nothing is captured", capturable: 10000},
		{name: "partly captured, partly refunded, one in flight each", d: withPay(func(d *PaymentDetail) {
			d.Captures = []Capture{{AmountMinor: 3000, Status: TxnSuccess}, {AmountMinor: 2000, Status: TxnProcessing}, {AmountMinor: 9999, Status: TxnFail}}
			d.Refunds = []Refund{{AmountMinor: 500, Status: TxnSuccess}, {AmountMinor: 100, Status: TxnFail}}
		}), capture: "already in progress", cancel: "has a capture", capturable: 5000, refundable: 2500},
		{name: "authorization expired", d: withPay(func(d *PaymentDetail) { d.AuthExpiresAt = now.Add(-time.Minute) }),
			capture: "expired", refund: "nothing is captured", capturable: 10000},
		{name: "cancel in flight", d: withPay(func(d *PaymentDetail) {
			d.Operations = []Operation{{Kind: OpCancel, State: OpPending}}
		}), capture: "cancel is in progress", cancel: "already in progress", refund: "nothing is captured", capturable: 10000},
		{name: "cancel window passed", d: withPay(func(d *PaymentDetail) { d.PaidAt = now.Add(-8 * 24 * time.Hour); d.AuthExpiresAt = time.Time{} }),
			cancel: "7-day", refund: "nothing is captured", capturable: 10000},
		{name: "capture not confirmed yet", d: withPay(func(d *PaymentDetail) {
			d.Captures = []Capture{{AmountMinor: 10000, Status: TxnProcessing}}
		}), capture: "already in progress", cancel: "once Antom confirms it, refund", refund: "not confirmed yet"},
		{name: "fully refunded", d: withPay(func(d *PaymentDetail) {
			d.Captures = []Capture{{AmountMinor: 10000, Status: TxnSuccess}}
			d.Refunds = []Refund{{AmountMinor: 10000, Status: TxnSuccess}}
		}), capture: "fully captured", cancel: "has a capture", refund: "fully refunded"},
		{name: "automatic capture", d: withPay(func(d *PaymentDetail) { d.CaptureMode = antom.CaptureAutomatic }),
			capture: "automatic", refund: "nothing is captured", capturable: 10000},
		{name: "no paymentId yet", d: withPay(func(d *PaymentDetail) { d.PaymentID = "" }),
			capture: "paymentId", refund: "paymentId", capturable: 10000},
		{name: "session open", d: withPay(func(d *PaymentDetail) { d.Status = StatusSessionReady }),
			capture: "SESSION_READY", refund: "SESSION_READY", capturable: 10000},
		{name: "failed", d: withPay(func(d *PaymentDetail) { d.Status = StatusFail }),
			capture: "FAIL", cancel: "cannot be cancelled", refund: "FAIL", capturable: 10000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.d.Allowed(now)
			for _, c := range []struct{ what, got, want string }{
				{"capture", a.CaptureRefusal, tc.capture}, {"cancel", a.CancelRefusal, tc.cancel}, {"refund", a.RefundRefusal, tc.refund},
			} {
				if (c.want == "") != (c.got == "") || !strings.Contains(c.got, c.want) {
					t.Errorf("%s: refusal %q, want %q", c.what, c.got, nonEmpty(c.want, "(allowed)"))
				}
			}
			if a.Capturable != tc.capturable || a.Refundable != tc.refundable {
				t.Errorf("capturable %d refundable %d, want %d %d", a.Capturable, a.Refundable, tc.capturable, tc.refundable)
			}
		})
	}
}
