package handlers

import (
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
)

func TestRelTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 45, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"zero", time.Time{}, ""},
		{"now", now, "just now"},
		{"seconds", now.Add(-42 * time.Second), "42 s ago"},
		{"minutes", now.Add(-3*time.Minute - 20*time.Second), "3 min ago"},
		{"hours", now.Add(-5 * time.Hour), "5 h ago"},
		{"days", now.Add(-6 * 24 * time.Hour), "6 d ago"},
		{"future", now.Add(59 * time.Minute), "in 59 min"},
		{"authorization window", now.Add(7 * 24 * time.Hour), "in 7 d"},
		{"beyond 30 days", now.Add(-31 * 24 * time.Hour), ""},
		{"far future", now.Add(40 * 24 * time.Hour), ""},
		{"another zone", now.In(time.FixedZone("SGT", 8*3600)).Add(-2 * time.Minute), "2 min ago"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := relTime(tc.t, now); got != tc.want {
				t.Errorf("relTime = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStampOf(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 45, 0, 0, time.UTC)
	at := time.Date(2026, 11, 25, 10, 42, 10, 0, time.FixedZone("PST", -8*3600)) // 18:42:10 UTC
	got := stampOf(at, now)
	want := pages.Stamp{Text: "2026-11-25 18:42:10 UTC", ISO: "2026-11-25T18:42:10Z", Ago: "2 min ago", NowMS: now.UnixMilli()}
	if got != want {
		t.Errorf("stampOf = %+v, want %+v", got, want)
	}
	if got := stampOf(time.Time{}, now); got != (pages.Stamp{}) {
		t.Errorf("stampOf(zero) = %+v, want the zero Stamp", got)
	}
}

func TestStatusDetail(t *testing.T) {
	tests := []struct {
		name                string
		status              store.PaymentStatus
		code, message       string
		wantCode, wantMsage string
	}{
		{"success restates the status", store.StatusSuccess, "SUCCESS", "success", "", ""},
		{"success with a period", store.StatusSuccess, "SUCCESS", "Success.", "", ""},
		{"session ready says nothing more", store.StatusSessionReady, "SUCCESS", "success", "", ""},
		{"failure keeps code and message", store.StatusFail, "ISSUER_REJECTS_TRANSACTION", "the issuer rejected the transaction",
			"ISSUER_REJECTS_TRANSACTION", "the issuer rejected the transaction"},
		{"failure keeps a bare code", store.StatusFail, "PROCESS_FAIL", "", "PROCESS_FAIL", ""},
		{"failure message restating the code", store.StatusFail, "RISK_REJECT", "risk reject", "RISK_REJECT", ""},
		{"session failure keeps its code", store.StatusSessionFailed, "PARAM_ILLEGAL", "Illegal parameters.", "PARAM_ILLEGAL", "Illegal parameters."},
		{"processing code adds information", store.StatusProcessing, "PAYMENT_IN_PROCESS", "payment in process", "PAYMENT_IN_PROCESS", ""},
		{"a real message on success", store.StatusSuccess, "SUCCESS", "approved with 3DS", "", "approved with 3DS"},
		{"nothing known", store.StatusCreated, "", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := statusDetail(tc.status, tc.code, tc.message)
			if code != tc.wantCode || msg != tc.wantMsage {
				t.Errorf("statusDetail(%s, %q, %q) = %q, %q; want %q, %q", tc.status, tc.code, tc.message, code, msg, tc.wantCode, tc.wantMsage)
			}
		})
	}
}

func TestCapturesEmpty(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 45, 0, 0, time.UTC)
	tests := []struct {
		name string
		p    store.Payment
		want string
	}{
		{"fail", store.Payment{Status: store.StatusFail}, "No capture: the payment did not succeed."},
		{"expired", store.Payment{Status: store.StatusExpired}, "No capture: the payment did not succeed."},
		{"session failed", store.Payment{Status: store.StatusSessionFailed}, "No capture: the payment did not succeed."},
		{"cancelled", store.Payment{Status: store.StatusCancelled}, "No capture: the payment was cancelled."},
		{"in flight", store.Payment{Status: store.StatusProcessing}, "No capture yet: the payment has no result."},
		{"open session", store.Payment{Status: store.StatusSessionReady, SessionExpiresAt: now.Add(time.Minute)}, "No capture yet: the payment has no result."},
		{"session expired, not swept", store.Payment{Status: store.StatusSessionReady, SessionExpiresAt: now.Add(-time.Minute)}, "No capture: the session expired unpaid."},
		{"automatic", store.Payment{Status: store.StatusSuccess, CaptureMode: antom.CaptureAutomatic}, "Antom captures this payment automatically"},
		{"manual", store.Payment{Status: store.StatusSuccess, CaptureMode: antom.CaptureManual, AuthExpiresAt: now.Add(7 * 24 * time.Hour)},
			"manual capture. Capture it before the authorization expires at 2026-12-02 18:45:00 UTC."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := capturesEmpty(&tc.p, now); !strings.Contains(got, tc.want) {
				t.Errorf("capturesEmpty = %q, want it to say %q", got, tc.want)
			}
		})
	}
}

func TestShownStatus(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 45, 0, 0, time.UTC)
	open := store.Payment{Status: store.StatusSessionReady, SessionExpiresAt: now.Add(time.Second)}
	if got := shownStatus(&open, now); got.Label != "Awaiting payment" || got.Tone != pages.ToneInfo {
		t.Errorf("open session shows %+v, want Awaiting payment", got)
	}
	stale := store.Payment{Status: store.StatusSessionReady, SessionExpiresAt: now}
	got := shownStatus(&stale, now)
	if got.Label != "Expired" || got.Tone != pages.ToneWarn || !strings.Contains(got.Title, "2026-11-25 18:45:00 UTC") {
		t.Errorf("session expired at now shows %+v, want Expired with when, as a warning", got)
	}
	// Only a session can expire this way: a payment in flight stays what it is.
	processing := store.Payment{Status: store.StatusProcessing, SessionExpiresAt: now.Add(-time.Hour)}
	if got := shownStatus(&processing, now); got.Label != "Processing" {
		t.Errorf("a payment in flight past its session expiry shows %q, want Processing", got.Label)
	}
}

func TestPaymentsEmpty(t *testing.T) {
	tests := []struct {
		name      string
		q         paymentListQuery
		newURL    string
		wantTitle string
		wantHint  string
		wantLink  bool
	}{
		{"nothing yet, may create", paymentListQuery{}, "/sessions/new", "No payments yet — create a test session.", "", true},
		{"nothing yet, may not create", paymentListQuery{}, "", "No payments yet.", "appear here", false},
		{"search without a hit", paymentListQuery{Q: "pay_nope"}, "", "No payment matches “pay_nope”.",
			"Search takes paymentRequestId, paymentId, referenceOrderId, buyer ID, captureId, captureRequestId, refundId", false},
		{"filters", paymentListQuery{Status: "FAIL", From: "2026-01-01"}, "", "No payment matches these filters.", "", true},
		{"search and filters", paymentListQuery{Q: "x", Currency: "JPY"}, "", "No payment matches these filters.", "", true},
		{"older page", paymentListQuery{Cursor: "abc"}, "", "No older payments.", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := paymentsEmpty(tc.q, tc.newURL)
			if e.Title != tc.wantTitle || !strings.Contains(e.Hint, tc.wantHint) || (e.LinkURL != "") != tc.wantLink {
				t.Errorf("paymentsEmpty = %+v; want title %q, hint with %q, link %v", e, tc.wantTitle, tc.wantHint, tc.wantLink)
			}
		})
	}
}

func TestPaymentRowsMarkFailuresAndAttention(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 45, 0, 0, time.UTC)
	rows := paymentRows([]store.Payment{
		{ID: 1, PaymentRequestID: "pay_f", Status: store.StatusFail, ResultCode: "ISSUER_REJECTS_TRANSACTION", AmountMinor: 1000, Currency: "JPY", CreatedAt: now.Add(-3 * time.Minute)},
		{ID: 2, PaymentRequestID: "pay_s", Status: store.StatusSuccess, ResultCode: "SUCCESS", AmountMinor: 999, Currency: "SGD", Flags: store.FlagStuck},
	}, now, pages.EmptyView{Title: "none"}).Rows
	if rows[0].ResultCode != "ISSUER_REJECTS_TRANSACTION" || rows[1].ResultCode != "" {
		t.Errorf("result codes %q, %q; want the failure's code only", rows[0].ResultCode, rows[1].ResultCode)
	}
	if len(rows[0].Flags) != 0 || len(rows[1].Flags) != 1 || rows[1].Flags[0].Label != "stuck" {
		t.Errorf("flags %+v, %+v; want only the stuck payment marked", rows[0].Flags, rows[1].Flags)
	}
	if rows[0].Amount != "1,000 JPY" || rows[1].Amount != "9.99 SGD" {
		t.Errorf("amounts %q, %q; want 1,000 JPY and 9.99 SGD", rows[0].Amount, rows[1].Amount)
	}
	if rows[0].Created.Ago != "3 min ago" {
		t.Errorf("created hint %q, want 3 min ago", rows[0].Created.Ago)
	}
}
