package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

// loadPayment reads a payment as committed.
func loadPayment(t testing.TB, s *Store, prid string) *Payment {
	t.Helper()
	p, err := paymentBy(ctx, s.rdb, "payment_request_id", prid)
	if err != nil {
		t.Fatalf("load %s: %v", prid, err)
	}
	return p
}

func mustReport(t testing.TB, s *Store, prid, code string, mods ...func(*SDKEvent)) *SDKReport {
	t.Helper()
	ev := SDKEvent{EventCode: code, Actor: "apikey:shop-app"}
	for _, m := range mods {
		m(&ev)
	}
	r, err := s.ReportSDKEvent(ctx, prid, ev)
	if err != nil {
		t.Fatalf("ReportSDKEvent(%s): %v", code, err)
	}
	return r
}

// flagEvents returns the summaries of the payment's flag timeline events.
func flagEvents(t testing.TB, s *Store, p *Payment) []string {
	t.Helper()
	rows, err := s.rdb.Query("SELECT summary FROM events WHERE payment_fk = ? AND kind = 'flag' ORDER BY id", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sum string
		if err := rows.Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out = append(out, sum)
	}
	return out
}

func TestSDKFlagsFor(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	early, late := t0.Add(time.Second), t0.Add(OrderCloseWindow)
	type want struct {
		flags   Flag
		checkAt time.Time // zero: no timed check pending
	}
	none := want{}
	successTimer := want{checkAt: t0.Add(SDKNotifyGrace)}
	processingTimer := want{checkAt: t0.Add(OrderCloseWindow)}
	notFinal := []PaymentStatus{StatusCreated, StatusSessionReady, StatusProcessing}
	for _, tc := range []struct {
		code         string
		status       PaymentStatus
		now          time.Time
		refundedFull bool
		want         want
	}{
		// SDK success: wait for the server; flag when it does not come, or says otherwise.
		{antom.SDKPaymentSuccessful, StatusSuccess, late, false, none},
		{antom.SDKPaymentSuccessful, StatusFail, early, false, want{flags: FlagSDKSuccessServerFail}},
		{antom.SDKPaymentSuccessful, StatusCancelled, early, false, want{flags: FlagSDKSuccessServerFail}},
		{antom.SDKPaymentSuccessful, StatusExpired, early, false, want{flags: FlagSDKSuccessServerFail}},
		{antom.SDKPaymentSuccessful, StatusSessionFailed, early, false, want{flags: FlagSDKSuccessServerFail}},
		// SDK processing: only the order-close window raises a flag.
		{antom.SDKPaymentProcessing, StatusSuccess, late, false, none},
		{antom.SDKPaymentProcessing, StatusFail, late, false, none},
		// SDK failure: the server's SUCCESS is a disagreement until the money is back.
		{antom.SDKPaymentFail, StatusSuccess, early, false, want{flags: FlagSDKFailServerSuccess}},
		{antom.SDKPaymentCancel, StatusSuccess, early, false, want{flags: FlagSDKFailServerSuccess}},
		{antom.SDKPaymentError, StatusSuccess, early, false, want{flags: FlagSDKFailServerSuccess}},
		{antom.SDKPaymentFail, StatusSuccess, early, true, none},
		{antom.SDKPaymentFail, StatusFail, early, false, none},
		{antom.SDKPaymentCancel, StatusCancelled, early, false, none},
		{antom.SDKPaymentError, StatusExpired, early, false, none},
	} {
		t.Run(tc.code+"/"+string(tc.status), func(t *testing.T) {
			p := &Payment{Status: tc.status, AmountMinor: 4200}
			if tc.refundedFull {
				p.RefundedMinor = 4200
			}
			flags, checkAt := sdkFlagsFor(p, sdkState{Code: tc.code, ReceivedAt: t0}, tc.now, false)
			if flags != tc.want.flags || !checkAt.Equal(tc.want.checkAt) {
				t.Errorf("got %v, %v; want %v, %v", flags, checkAt, tc.want.flags, tc.want.checkAt)
			}
		})
	}
	for _, st := range notFinal {
		t.Run("timers/"+string(st), func(t *testing.T) {
			for _, tc := range []struct {
				code string
				now  time.Time
				want want
			}{
				{antom.SDKPaymentSuccessful, t0.Add(SDKNotifyGrace - time.Millisecond), successTimer},
				{antom.SDKPaymentSuccessful, t0.Add(SDKNotifyGrace), want{flags: FlagSDKSuccessNoNotify}},
				{antom.SDKPaymentProcessing, t0.Add(OrderCloseWindow - time.Millisecond), processingTimer},
				{antom.SDKPaymentProcessing, t0.Add(OrderCloseWindow), want{flags: FlagSDKProcessingStuck}},
				{antom.SDKPaymentFail, late, none},
				{antom.SDKPaymentCancel, late, none},
				{antom.SDKPaymentError, late, none},
			} {
				flags, checkAt := sdkFlagsFor(&Payment{Status: st, AmountMinor: 1}, sdkState{Code: tc.code, ReceivedAt: t0}, tc.now, false)
				if flags != tc.want.flags || !checkAt.Equal(tc.want.checkAt) {
					t.Errorf("%s at +%s: got %v, %v; want %v, %v", tc.code, tc.now.Sub(t0), flags, checkAt, tc.want.flags, tc.want.checkAt)
				}
			}
		})
	}
	// A raised timed flag stays raised whatever the clock says.
	p := &Payment{Status: StatusProcessing, AmountMinor: 1, Flags: FlagSDKSuccessNoNotify}
	if flags, _ := sdkFlagsFor(p, sdkState{Code: antom.SDKPaymentSuccessful, ReceivedAt: t0}, t0, false); flags != FlagSDKSuccessNoNotify {
		t.Errorf("raised flag at an earlier clock: got %v, want it kept", flags)
	}
	// A staff cancel, capture or refund Antom confirmed makes the
	// disagreement moot.
	for _, tc := range []struct {
		code   string
		status PaymentStatus
		want   Flag
	}{
		{antom.SDKPaymentSuccessful, StatusCancelled, FlagSDKSuccessServerFail},
		{antom.SDKPaymentFail, StatusSuccess, FlagSDKFailServerSuccess},
		{antom.SDKPaymentCancel, StatusSuccess, FlagSDKFailServerSuccess},
	} {
		pay := &Payment{Status: tc.status, AmountMinor: 100}
		if flags, _ := sdkFlagsFor(pay, sdkState{Code: tc.code, ReceivedAt: t0}, late, false); flags != tc.want {
			t.Errorf("%s vs %s, no staff action: %v, want %v", tc.code, tc.status, flags, tc.want)
		}
		if flags, _ := sdkFlagsFor(pay, sdkState{Code: tc.code, ReceivedAt: t0}, late, true); flags != 0 {
			t.Errorf("%s vs %s after a confirmed staff action: %v, want none", tc.code, tc.status, flags)
		}
	}
	// Codes that are not payment results never flag.
	for _, c := range SDKCodes() {
		if c.Kind == antom.SDKKindResult {
			continue
		}
		if flags, checkAt := sdkFlagsFor(&Payment{Status: StatusSuccess, AmountMinor: 1}, sdkState{Code: c.Code, ReceivedAt: t0}, late, false); flags != 0 || !checkAt.IsZero() {
			t.Errorf("%s: got %v, %v; want nothing", c.Code, flags, checkAt)
		}
	}
}

func TestSDKCodesCatalogue(t *testing.T) {
	want := []string{
		"SDK_PAYMENT_SUCCESSFUL", "SDK_PAYMENT_PROCESSING", "SDK_PAYMENT_FAIL", "SDK_PAYMENT_CANCEL",
		"SDK_PAYMENT_ERROR", "SDK_FORM_VERIFICATION_FAILED", "SDK_START_OF_LOADING", "SDK_END_OF_LOADING",
		"SDK_INTERNAL_ERROR", "SDK_CREATEPAYMENT_PARAMETER_ERROR", "SDK_CALL_URL_ERROR", "SDK_INTEGRATION_ERROR",
	}
	codes := SDKCodes()
	if len(codes) != len(want) {
		t.Fatalf("got %d codes, want %d", len(codes), len(want))
	}
	for i, c := range codes {
		if c.Code != want[i] {
			t.Errorf("code %d: got %s, want %s", i, c.Code, want[i])
		}
		if c.Meaning == "" || c.Action == "" || c.Paydesk == "" || c.Kind == "" {
			t.Errorf("%s: missing text: %+v", c.Code, c)
		}
		if got, ok := antom.LookupSDKCode(c.Code); !ok || got.Code != c.Code {
			t.Errorf("antom.LookupSDKCode(%s) = %v, %v", c.Code, got, ok)
		}
	}
	if _, ok := antom.LookupSDKCode("sdk_payment_successful"); ok {
		t.Error("lookup is case-insensitive; codes are exact")
	}
}

func TestReportSDKEventRejectsBadInput(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	before := count(t, s, "SELECT count(*) FROM events")
	for _, tc := range []struct {
		name  string
		ev    SDKEvent
		field string
	}{
		{"no code", SDKEvent{}, "eventCode"},
		{"unknown code", SDKEvent{EventCode: "SDK_PAYMENT_MAYBE"}, "eventCode"},
		{"lower case", SDKEvent{EventCode: "sdk_payment_fail"}, "eventCode"},
		{"non-ASCII result code", SDKEvent{EventCode: antom.SDKPaymentFail, PaymentResultCode: "失败"}, "paymentResultCode"},
		{"long message", SDKEvent{EventCode: antom.SDKPaymentFail, Message: strings.Repeat("x", maxSDKMessageLen+1)}, "message"},
		{"control character", SDKEvent{EventCode: antom.SDKPaymentFail, Message: "a\x00b"}, "message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ReportSDKEvent(ctx, p.PaymentRequestID, tc.ev)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want a FieldError on %s", err, tc.field)
			}
		})
	}
	if _, err := s.ReportSDKEvent(ctx, "no-such-payment", SDKEvent{EventCode: antom.SDKPaymentFail}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown payment: got %v, want ErrNotFound", err)
	}
	if got := count(t, s, "SELECT count(*) FROM events"); got != before {
		t.Errorf("got %d events after refused reports, want %d (nothing changed)", got, before)
	}
	if got := count(t, s, "SELECT count(*) FROM sdk_events"); got != 0 {
		t.Errorf("got %d sdk events, want 0", got)
	}
}

func TestReportSDKEventTimelineAndDedupe(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	at := clk.Now().Add(-2 * time.Second)
	r := mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentFail, func(e *SDKEvent) {
		e.PaymentResultCode, e.Message, e.At = "CARD_DECLINED", "Card declined", at
	})
	if r.Duplicate || r.Event.ID == 0 || r.Event.EventID == 0 {
		t.Fatalf("first report: got %+v", r)
	}
	if !r.Event.OccurredAt.Equal(at) || !r.Event.ReceivedAt.Equal(clk.Now()) {
		t.Errorf("got occurred %v received %v, want %v and %v", r.Event.OccurredAt, r.Event.ReceivedAt, at, clk.Now())
	}
	var kind, actor, summary, detail string
	if err := s.rdb.QueryRow("SELECT kind, actor, summary, detail FROM events WHERE id = ?", r.Event.EventID).Scan(&kind, &actor, &summary, &detail); err != nil {
		t.Fatal(err)
	}
	if kind != string(EventSDK) || actor != "apikey:shop-app" || !strings.Contains(summary, "SDK_PAYMENT_FAIL") || !strings.Contains(summary, "CARD_DECLINED") {
		t.Errorf("timeline event: got %s %s %q", kind, actor, summary)
	}
	for _, key := range []string{`"eventCode":"SDK_PAYMENT_FAIL"`, `"paymentResultCode":"CARD_DECLINED"`, `"serverStatus":"SESSION_READY"`, `"occurredAt":`, `"codeKind":"result"`} {
		if !strings.Contains(detail, key) {
			t.Errorf("detail %s lacks %s", detail, key)
		}
	}
	// The app retries the same report: recorded once.
	clk.Add(time.Second)
	again := mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentFail, func(e *SDKEvent) {
		e.PaymentResultCode, e.Message, e.At = "CARD_DECLINED", "Card declined", at
	})
	if !again.Duplicate || again.Event.ID != r.Event.ID {
		t.Errorf("retry: got duplicate=%v id=%d, want the first (%d)", again.Duplicate, again.Event.ID, r.Event.ID)
	}
	if got := count(t, s, "SELECT count(*) FROM sdk_events"); got != 1 {
		t.Errorf("got %d sdk events, want 1", got)
	}
	// Without occurredAt every report is an event of its own.
	mustReport(t, s, p.PaymentRequestID, antom.SDKStartOfLoading)
	mustReport(t, s, p.PaymentRequestID, antom.SDKStartOfLoading)
	evs, err := s.SDKEvents(ctx, p.PaymentRequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].EventCode != antom.SDKPaymentFail || !evs[1].OccurredAt.IsZero() {
		t.Errorf("got events %+v, want the failure then two loading events", evs)
	}
	if got := loadPayment(t, s, p.PaymentRequestID); !got.NextPollAt.Equal(clk.Now().Add(-time.Second)) {
		t.Errorf("SDK failure on an open payment: next poll %v, want the report's time (inquiry at once)", got.NextPollAt)
	}
}

// An older event that arrives late does not replace what the buyer was last told.
func TestSDKStateKeepsLatestByOccurrence(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	now := clk.Now()
	mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentSuccessful, func(e *SDKEvent) { e.At = now })
	mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentCancel, func(e *SDKEvent) { e.At = now.Add(-time.Minute) })
	st, ok, err := loadSDKState(ctx, s.rdb, p.ID)
	if err != nil || !ok || st.Code != antom.SDKPaymentSuccessful {
		t.Fatalf("got %+v %v %v, want the later SDK_PAYMENT_SUCCESSFUL", st, ok, err)
	}
}

func TestFlagSDKSuccessNoNotify(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentSuccessful, func(e *SDKEvent) { e.PaymentResultCode = "SUCCESS" })
	if got := loadPayment(t, s, p.PaymentRequestID); got.Flags.Has(FlagSDKSuccessNoNotify) {
		t.Fatal("flagged at once; Antom has SDKNotifyGrace to answer")
	}
	clk.Add(SDKNotifyGrace - time.Second)
	if n, err := s.EvaluateSDKFlags(ctx, clk.Now()); err != nil || n != 0 {
		t.Fatalf("before the grace: got %d, %v; want 0", n, err)
	}
	clk.Add(time.Second)
	if n, err := s.EvaluateSDKFlags(ctx, clk.Now()); err != nil || n != 1 {
		t.Fatalf("after the grace: got %d, %v; want 1", n, err)
	}
	got := loadPayment(t, s, p.PaymentRequestID)
	if !got.Flags.Has(FlagSDKSuccessNoNotify) {
		t.Fatalf("flags %v, want sdk_success_no_notification", got.Flags)
	}
	if !got.NextPollAt.Equal(clk.Now()) {
		t.Errorf("next poll %v, want now (an inquiry is started)", got.NextPollAt)
	}
	// Nothing more is due: the next run reads and changes nothing.
	if n, err := s.EvaluateSDKFlags(ctx, clk.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second run: got %d, %v; want 0", n, err)
	}
	// An inquiry that says PROCESSING is no answer: the flag stays.
	// The payment result arrives: the flag clears in the same transaction.
	clk.Add(time.Minute)
	deliver(t, s, paymentResult(p.PaymentRequestID, "2025030100001", "S", "SUCCESS", 4200))
	got = loadPayment(t, s, p.PaymentRequestID)
	if got.Flags&sdkFlagMask != 0 || got.Status != StatusSuccess {
		t.Errorf("after the notification: status %s flags %v, want SUCCESS and no SDK flag", got.Status, got.Flags)
	}
	fe := flagEvents(t, s, got)
	if len(fe) != 2 || !strings.HasPrefix(fe[0], "Flag raised") || !strings.HasPrefix(fe[1], "Flag cleared: sdk_success_no_notification") {
		t.Errorf("flag timeline: %q", fe)
	}
}

func TestFlagSDKSuccessServerFail(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	deliver(t, s, paymentResult(p.PaymentRequestID, "2025030100002", "F", "RISK_REJECT", 4200))
	r := mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentSuccessful)
	if !r.Payment.Flags.Has(FlagSDKSuccessServerFail) {
		t.Fatalf("flags %v, want sdk_success_server_fail at once", r.Payment.Flags)
	}
	// The buyer tries again and is shown the failure: the two sides agree.
	r = mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentFail, func(e *SDKEvent) { e.PaymentResultCode = "RISK_REJECT" })
	if r.Payment.Flags&sdkFlagMask != 0 {
		t.Errorf("flags %v after the SDK agreed, want none", r.Payment.Flags)
	}
}

func TestFlagSDKFailServerSuccess(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentCancel)
	if got := loadPayment(t, s, p.PaymentRequestID); got.Flags != 0 {
		t.Fatalf("cancel on an open session: flags %v, want none", got.Flags)
	}
	deliver(t, s, paymentResult(p.PaymentRequestID, "2025030100003", "S", "SUCCESS", 4200))
	got := loadPayment(t, s, p.PaymentRequestID)
	if !got.Flags.Has(FlagSDKFailServerSuccess) {
		t.Fatalf("flags %v, want sdk_fail_server_success raised by the notification", got.Flags)
	}
	// The flag event and the notification event are of one transaction: same version step.
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM events WHERE payment_fk = ? AND kind IN ('flag', 'notification')", got.ID).Scan(&n); err != nil || n != 2 {
		t.Errorf("got %d flag+notification events, %v; want 2", n, err)
	}
	// A partial refund leaves it; a full refund ends it.
	deliver(t, s, captureResult("2025030100003", "antomcap-1", "CAP-1", "S", 4200))
	deliver(t, s, refundOf("2025030100003", "ref-1", "REF-1", 1000))
	if got := loadPayment(t, s, p.PaymentRequestID); !got.Flags.Has(FlagSDKFailServerSuccess) {
		t.Errorf("after a partial refund: flags %v, want the flag kept", got.Flags)
	}
	deliver(t, s, refundOf("2025030100003", "ref-2", "REF-2", 3200))
	got = loadPayment(t, s, p.PaymentRequestID)
	if got.RefundedMinor != 4200 || got.Flags&sdkFlagMask != 0 {
		t.Errorf("after a full refund: refunded %d flags %v, want 4200 and no SDK flag", got.RefundedMinor, got.Flags)
	}
}

// refundOf is a successful REFUND_RESULT naming its payment.
func refundOf(paymentID, refReqID, refID string, amount int64) string {
	return strings.Replace(refundResult(refReqID, refID, "SUCCESS", amount), "{", `{"paymentId":"`+paymentID+`",`, 1)
}

func TestFlagSDKProcessingStuck(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	mustReport(t, s, p.PaymentRequestID, antom.SDKPaymentProcessing, func(e *SDKEvent) { e.PaymentResultCode = "PAYMENT_IN_PROCESS" })
	clk.Add(OrderCloseWindow - time.Second)
	if n, _ := s.EvaluateSDKFlags(ctx, clk.Now()); n != 0 {
		t.Fatalf("inside the window: %d flagged, want 0", n)
	}
	clk.Add(time.Second)
	if n, err := s.EvaluateSDKFlags(ctx, clk.Now()); err != nil || n != 1 {
		t.Fatalf("after the window: got %d, %v; want 1", n, err)
	}
	if got := loadPayment(t, s, p.PaymentRequestID); !got.Flags.Has(FlagSDKProcessingStuck) {
		t.Fatalf("flags %v, want sdk_processing_stuck", got.Flags)
	}
	deliver(t, s, paymentResult(p.PaymentRequestID, "2025030100004", "F", "ORDER_CLOSED", 4200))
	if got := loadPayment(t, s, p.PaymentRequestID); got.Flags&sdkFlagMask != 0 || got.Status != StatusFail {
		t.Errorf("after the final result: status %s flags %v, want FAIL and no SDK flag", got.Status, got.Flags)
	}
}
