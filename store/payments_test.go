package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

func TestCreatePaymentValidation(t *testing.T) {
	s, _ := newTestStore(t)
	for _, tc := range []struct {
		name  string
		mod   func(*NewPayment)
		field string
	}{
		{"zero amount", func(n *NewPayment) { n.AmountMinor = 0 }, "amount"},
		{"negative amount", func(n *NewPayment) { n.AmountMinor = -1 }, "amount"},
		{"amount over 16 digits", func(n *NewPayment) { n.AmountMinor = 1e16 }, "amount"},
		{"missing currency", func(n *NewPayment) { n.Currency = "" }, "currency"},
		{"unknown currency", func(n *NewPayment) { n.Currency = "XYZ" }, "currency"},
		{"currency not a code", func(n *NewPayment) { n.Currency = "DOLLARS" }, "currency"},
		{"missing order ID", func(n *NewPayment) { n.ReferenceOrderID = "" }, "referenceOrderId"},
		{"order ID too long", func(n *NewPayment) { n.ReferenceOrderID = strings.Repeat("a", 65) }, "referenceOrderId"},
		{"order ID non-ASCII", func(n *NewPayment) { n.ReferenceOrderID = "订单-1" }, "referenceOrderId"},
		{"request ID non-ASCII", func(n *NewPayment) { n.PaymentRequestID = "pay-é" }, "paymentRequestId"},
		{"request ID control char", func(n *NewPayment) { n.PaymentRequestID = "pay\n1" }, "paymentRequestId"},
		{"buyer ID non-ASCII", func(n *NewPayment) { n.BuyerID = "买家" }, "buyerId"},
		{"missing description", func(n *NewPayment) { n.Description = "" }, "description"},
		{"description non-ASCII", func(n *NewPayment) { n.Description = "两杯咖啡" }, "description"},
		{"description too long", func(n *NewPayment) { n.Description = strings.Repeat("d", 257) }, "description"},
		{"capture mode", func(n *NewPayment) { n.CaptureMode = "LATER" }, "captureMode"},
		{"terminal type", func(n *NewPayment) { n.TerminalType = "TV" }, "terminalType"},
		{"os type", func(n *NewPayment) { n.OSType = "WINDOWS" }, "osType"},
		{"APP needs os type", func(n *NewPayment) { n.TerminalType = "APP" }, "osType"},
		{"relative notify URL", func(n *NewPayment) { n.NotifyURL = "/webhooks/antom" }, "notifyUrl"},
		{"notify URL not http", func(n *NewPayment) { n.NotifyURL = "ftp://x.example/n" }, "notifyUrl"},
		{"relative redirect URL", func(n *NewPayment) { n.RedirectURL = "return" }, "redirectUrl"},
		{"redirect URL without host", func(n *NewPayment) { n.RedirectURL = "https:///x" }, "redirectUrl"},
		{"javascript redirect URL", func(n *NewPayment) { n.RedirectURL = "javascript:alert(1)" }, "redirectUrl"},
		{"idempotency key non-ASCII", func(n *NewPayment) { n.IdempotencyKey = "ключ" }, "idempotencyKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreatePayment(ctx, newPayment(tc.mod))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Errorf("got field %q (%s), want %q", fe.Field, fe.Message, tc.field)
			}
		})
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != 0 {
		t.Errorf("invalid input stored %d payments, want 0", got)
	}
	if seq, _ := s.LatestSeq(ctx); seq != 0 {
		t.Errorf("invalid input moved the change sequence to %d", seq)
	}
}

func TestCreatePayment(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustCreate(t, s, func(n *NewPayment) {
		n.Currency, n.AmountMinor, n.CaptureMode, n.RedirectURL = "jpy", 1000, "", "myshop://paid"
	})
	if !strings.HasPrefix(p.PaymentRequestID, "pay_") || len(p.PaymentRequestID) > 64 {
		t.Errorf("minted paymentRequestId %q", p.PaymentRequestID)
	}
	if p.Status != StatusCreated || p.Currency != "JPY" || p.CaptureMode != antom.CaptureAutomatic || p.TerminalType != "WEB" {
		t.Errorf("got %+v", p)
	}
	if !p.CreatedAt.Equal(clk.Now()) || p.Version != 1 || p.Seq != 1 {
		t.Errorf("got created %v version %d seq %d, want %v 1 1", p.CreatedAt, p.Version, p.Seq, clk.Now())
	}
	if !p.NextPollAt.IsZero() {
		t.Errorf("a fresh CREATED payment is scheduled for polling at %v", p.NextPollAt)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if len(d.Timeline) != 1 || d.Timeline[0].Kind != EventCreated || d.Timeline[0].Actor != "user:ana@example.com" {
		t.Errorf("got timeline %+v, want one created event by the user", d.Timeline)
	}
	o, err := s.GetOrder(ctx, "order-1")
	if err != nil || o.State != OrderInProgress || len(o.Attempts) != 1 {
		t.Errorf("got order %+v, %v; want IN_PROGRESS with one attempt", o, err)
	}
}

func TestCreatePaymentIdempotent(t *testing.T) {
	s, _ := newTestStore(t)
	first := mustCreate(t, s, func(n *NewPayment) { n.PaymentRequestID = "merchant-1" })
	again, err := s.CreatePayment(ctx, newPayment(func(n *NewPayment) { n.PaymentRequestID = "merchant-1" }))
	if err != nil || again.ID != first.ID {
		t.Fatalf("same request again: got %+v, %v; want the first payment", again, err)
	}
	_, err = s.CreatePayment(ctx, newPayment(func(n *NewPayment) { n.PaymentRequestID = "merchant-1"; n.AmountMinor = 1; n.Description = "other" }))
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("different body: got %v, want a *ConflictError", err)
	}
	if strings.Join(ce.Fields, ",") != "description,amount" {
		t.Errorf("got differing fields %v, want description,amount", ce.Fields)
	}

	byKey := mustCreate(t, s, func(n *NewPayment) { n.IdempotencyKey = "k-1"; n.ReferenceOrderID = "order-2" })
	again, err = s.CreatePayment(ctx, newPayment(func(n *NewPayment) { n.IdempotencyKey = "k-1"; n.ReferenceOrderID = "order-2" }))
	if err != nil || again.PaymentRequestID != byKey.PaymentRequestID {
		t.Fatalf("same key: got %+v, %v; want %s", again, err, byKey.PaymentRequestID)
	}
	_, err = s.CreatePayment(ctx, newPayment(func(n *NewPayment) { n.IdempotencyKey = "k-1"; n.ReferenceOrderID = "order-3" }))
	if !errors.As(err, &ce) || strings.Join(ce.Fields, ",") != "referenceOrderId" {
		t.Fatalf("same key, other order: got %v, want a conflict on referenceOrderId", err)
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != 2 {
		t.Errorf("got %d payments, want 2", got)
	}
}

func TestSessionOutcomes(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustCreate(t, s)

	// Unknown first: stays CREATED, flagged, offered to the poller.
	u, err := s.RecordSession(ctx, p.PaymentRequestID, nil, errors.New("timeout"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != StatusCreated || !u.Flags.Has(FlagUnknownOutcome) || u.NextPollAt.IsZero() {
		t.Fatalf("after U: got status %s flags %s next poll %v", u.Status, u.Flags, u.NextPollAt)
	}
	clk.Add(3 * time.Second)
	due, err := s.PaymentsToPoll(ctx, clk.Now(), 10)
	if err != nil || len(due) != 1 || due[0].Status != StatusCreated {
		t.Fatalf("PaymentsToPoll: got %d, %v; want the CREATED payment", len(due), err)
	}

	// The retry works: SESSION_READY, unknown cleared, default expiry.
	resp := &antom.CreatePaymentSessionResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
		PaymentSessionData: "blob&&SG&&111", PaymentSessionID: "sid", PaymentSessionExpiryTime: ""}
	r, err := s.RecordSession(ctx, p.PaymentRequestID, resp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusSessionReady || r.Flags != 0 || r.SessionData != "blob&&SG&&111" {
		t.Fatalf("after S: got %s flags %s data %q", r.Status, r.Flags, r.SessionData)
	}
	if want := clk.Now().Add(time.Hour); !r.SessionExpiresAt.Equal(want) {
		t.Errorf("got expiry %v, want %v", r.SessionExpiresAt, want)
	}
	// A late failure of the same request changes nothing.
	f, err := s.SessionFailed(ctx, p.PaymentRequestID, APIOutcome{Status: "F", Code: "PARAM_ILLEGAL"})
	if err != nil || f.Status != StatusSessionReady {
		t.Fatalf("late failure: got %s, %v", f.Status, err)
	}

	// Another payment fails outright.
	q := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "order-9" })
	fe, err := s.RecordSession(ctx, q.PaymentRequestID, &antom.CreatePaymentSessionResponse{},
		&antom.ResultError{API: "createPaymentSession", Result: antom.Result{ResultStatus: "F", ResultCode: "CURRENCY_NOT_SUPPORT", ResultMessage: "no"}})
	if err != nil {
		t.Fatal(err)
	}
	if fe.Status != StatusSessionFailed || fe.ResultCode != "CURRENCY_NOT_SUPPORT" || !fe.Settled {
		t.Errorf("after F: got %s %s settled=%v", fe.Status, fe.ResultCode, fe.Settled)
	}
	o, _ := s.GetOrder(ctx, "order-9")
	if o.State != OrderUnpaid {
		t.Errorf("order of a failed session: got %s, want UNPAID", o.State)
	}
	d := mustGet(t, s, p.PaymentRequestID)
	kinds := []string{}
	for _, e := range d.Timeline {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, ","); got != "created,session_unknown,session_created,session_failed" {
		t.Errorf("got timeline %s", got)
	}

	if _, err := s.SessionCreated(ctx, "nope", SessionResult{SessionData: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown payment: got %v, want ErrNotFound", err)
	}
	if _, err := s.SessionCreated(ctx, p.PaymentRequestID, SessionResult{}); err == nil {
		t.Error("empty session data accepted")
	}
}

func TestOutcomeOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want APIOutcome
	}{
		{nil, APIOutcome{Status: "S", Code: "SUCCESS"}},
		{&antom.ResultError{Result: antom.Result{ResultStatus: "F", ResultCode: "RISK_REJECT", ResultMessage: "m"}}, APIOutcome{Status: "F", Code: "RISK_REJECT", Message: "m"}},
		{&antom.TransportError{API: "capture", Err: errors.New("connection refused")}, APIOutcome{Status: "U", Message: "Antom could not be reached"}},
		{&antom.TransportError{API: "capture", Err: fmt.Errorf("post: %w", context.DeadlineExceeded)}, APIOutcome{Status: "U", Message: "no answer in time"}},
		{&antom.TransportError{API: "capture", StatusCode: 503, Err: errors.New("HTTP 503")}, APIOutcome{Status: "U", Message: "Antom answered HTTP 503"}},
		{errors.New("something else"), APIOutcome{Status: "U", Message: "something else"}},
	} {
		if got := OutcomeOf(tc.err); got != tc.want {
			t.Errorf("OutcomeOf(%v) = %+v, want %+v", tc.err, got, tc.want)
		}
	}
}
