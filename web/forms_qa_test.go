package web

// QA: the dashboard's forms and money actions under hostile and careless
// input, double submits, the wrong role and missing CSRF tokens. The rule:
// an inline error naming the field, and nothing changes — no payment row,
// no call to Antom, no audit entry claiming an action.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// qaLedger is what a refused action must leave alone.
type qaLedger struct {
	seq      int64
	payments int
	sim      int
	audit    int
}

func (a *payApp) qaLedger() qaLedger {
	a.t.Helper()
	ctx := context.Background()
	seq, err := a.Store.LatestSeq(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	page, err := a.Store.ListPayments(ctx, store.PaymentFilter{Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	audit, err := a.Store.ListAudit(ctx, store.AuditFilter{Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	return qaLedger{seq: seq, payments: len(page.Items), sim: len(a.Sim.Sim.Payments()), audit: len(audit.Items)}
}

func TestQASessionFormRefusesBadInput(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	cases := []struct {
		name   string
		form   url.Values
		errIDs []string
	}{
		{"amount -5", sessionForm("amount", "-5"), []string{"amount-error"}},
		{"amount 0", sessionForm("amount", "0"), []string{"amount-error"}},
		{"amount 0.00", sessionForm("amount", "0.00"), []string{"amount-error"}},
		{"amount 1.234 SGD", sessionForm("amount", "1.234", "currency", "SGD"), []string{"amount-error"}},
		{"amount 10.5 JPY", sessionForm("amount", "10.5", "currency", "JPY"), []string{"amount-error"}},
		{"amount 10. JPY", sessionForm("amount", "10.", "currency", "JPY"), []string{"amount-error"}},
		{"amount 1e3", sessionForm("amount", "1e3"), []string{"amount-error"}},
		{"amount empty", sessionForm("amount", ""), []string{"amount-error"}},
		{"amount blank", sessionForm("amount", "   "), []string{"amount-error"}},
		{"amount +5", sessionForm("amount", "+5"), []string{"amount-error"}},
		{"amount NaN", sessionForm("amount", "NaN"), []string{"amount-error"}},
		{"amount Inf", sessionForm("amount", "Inf"), []string{"amount-error"}},
		{"amount 0x10", sessionForm("amount", "0x10"), []string{"amount-error"}},
		{"amount full-width digits", sessionForm("amount", "４２"), []string{"amount-error"}},
		{"amount decimal comma", sessionForm("amount", "42,50"), []string{"amount-error"}},
		{"amount two dots", sessionForm("amount", "1.2.3"), []string{"amount-error"}},
		{"amount huge", sessionForm("amount", "99999999999999999999"), []string{"amount-error"}},
		{"amount beyond int64", sessionForm("amount", "9223372036854775808"), []string{"amount-error"}},
		{"amount 17 minor digits", sessionForm("amount", "100000000000000.00"), []string{"amount-error"}},
		{"currency XXX", sessionForm("currency", "XXX"), []string{"currency-error"}},
		{"currency empty", sessionForm("currency", ""), []string{"currency-error"}},
		{"currency SGDX", sessionForm("currency", "SGDX"), []string{"currency-error"}},
		{"order ID non-ASCII", sessionForm("referenceOrderId", "订单-1"), []string{"reference-order-id-error"}},
		{"order ID 65 chars", sessionForm("referenceOrderId", strings.Repeat("o", 65)), []string{"reference-order-id-error"}},
		{"order ID with a tab", sessionForm("referenceOrderId", "order\t1"), []string{"reference-order-id-error"}},
		{"order ID with NUL", sessionForm("referenceOrderId", "order\x001"), []string{"reference-order-id-error"}},
		{"buyer non-ASCII", sessionForm("buyerId", "Zoë"), []string{"buyer-id-error"}},
		{"buyer 65 chars", sessionForm("buyerId", strings.Repeat("b", 65)), []string{"buyer-id-error"}},
		{"buyer emoji", sessionForm("buyerId", "buyer-😀"), []string{"buyer-id-error"}},
		{"description non-ASCII", sessionForm("description", "Café au lait"), []string{"description-error"}},
		{"description 257 chars", sessionForm("description", strings.Repeat("d", 257)), []string{"description-error"}},
		{"description newline", sessionForm("description", "two\nlines"), []string{"description-error"}},
		{"description invalid UTF-8", sessionForm("description", "bad \xff byte"), []string{"description-error"}},
		{"capture mode", sessionForm("captureMode", "automatic"), []string{"capture-mode-error"}},
		{"several at once", sessionForm("amount", "-1", "description", "", "buyerId", "ü"), []string{"amount-error", "description-error", "buyer-id-error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := app.qaLedger()
			res, body := op.post(paths.NewSession, tc.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			d := parseDoc(t, body)
			for _, id := range tc.errIDs {
				if d.text(id) == "" {
					t.Errorf("no inline %s; errors shown: form %q amount %q currency %q", id, d.text("form-error"), d.text("amount-error"), d.text("currency-error"))
				}
			}
			if after := app.qaLedger(); after != before {
				t.Errorf("a refused form changed something: %+v → %+v", before, after)
			}
		})
	}
}

// Boundaries that must pass, and decisions: a lower-case currency code is
// the same code (the form normalises it, the select never sends it).
func TestQASessionFormAcceptsBoundaries(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	for _, tc := range []struct {
		name  string
		form  url.Values
		minor int64
		cur   string
	}{
		{"64-char IDs, 256-char description", sessionForm("referenceOrderId", strings.Repeat("o", 64), "buyerId", strings.Repeat("b", 64), "description", strings.Repeat("d", 256)), 4200, "SGD"},
		{"lower-case currency", sessionForm("currency", "sgd", "amount", "1"), 100, "SGD"},
		{"smallest amount", sessionForm("amount", "0.01"), 1, "SGD"},
		{"largest amount", sessionForm("amount", "99999999999999.99"), 9999999999999999, "SGD"},
		{"thousands and spaces", sessionForm("amount", " 1,000.5 "), 100050, "SGD"},
		{"JPY whole", sessionForm("amount", "1000", "currency", "JPY"), 1000, "JPY"},
		{"printable ASCII punctuation", sessionForm("referenceOrderId", `o-1_2.3:4/5#6 "<x>"`, "description", `<script>alert(1)</script> & 'q'`), 4200, "SGD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := op.createSession(tc.form)
			d := app.payment(id)
			if d.AmountMinor != tc.minor || d.Currency != tc.cur {
				t.Errorf("stored %d %s, want %d %s", d.AmountMinor, d.Currency, tc.minor, tc.cur)
			}
			if d.Status != store.StatusSessionReady {
				t.Errorf("status %s (%s %s), want SESSION_READY: the simulator refused what the form accepted", d.Status, d.ResultCode, d.ResultMessage)
			}
			res, body := op.get(paths.Payment(id))
			if res.StatusCode != http.StatusOK || strings.Contains(body, "<script>alert(1)</script>") {
				t.Errorf("detail page: %d, or the description is not escaped", res.StatusCode)
			}
		})
	}
}

// qaWantMessage fails unless the page says why an action was refused: in
// the form's inline error errID, or, when the payment's state no longer
// offers that form, in a notice at the top. want "" asks only for an inline
// error.
func qaWantMessage(t *testing.T, d *doc, errID, want string) {
	t.Helper()
	inline := d.text(errID)
	if want == "" {
		if inline == "" {
			t.Errorf("no inline %s", errID)
		}
		return
	}
	shown := inline + " | " + strings.Join(d.texts("notice"), " | ")
	if !strings.Contains(shown, want) {
		t.Errorf("the page does not say %q: %s = %q, notices %q", want, errID, inline, d.texts("notice"))
	}
}

// qaSimCaptures is how many captures the simulator (Antom) holds for id.
func (a *payApp) qaSimCaptures(id string) (captures, refunds int) {
	v, ok := a.Sim.Sim.Payment(id)
	if !ok {
		a.t.Fatalf("the simulator does not know %s", id)
	}
	return len(v.Captures), len(v.Refunds)
}

func TestQAMoneyActionsRefuseAndChangeNothing(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op) // 42.00 SGD authorized
	pw := func(kv ...string) url.Values {
		v := url.Values{"password": {payTestPassword}, "confirm": {"1"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	refused := func(t *testing.T, path string, form url.Values, status int, errID, want string) {
		t.Helper()
		before := app.qaLedger()
		c0, r0 := app.qaSimCaptures(id)
		res, body := op.post(path, form)
		if res.StatusCode != status {
			t.Fatalf("status %d, want %d\n%.300s", res.StatusCode, status, body)
		}
		qaWantMessage(t, parseDoc(t, body), errID, want)
		if after := app.qaLedger(); after != before {
			t.Errorf("a refused action changed something: %+v → %+v", before, after)
		}
		if c, r := app.qaSimCaptures(id); c != c0 || r != r0 {
			t.Errorf("Antom was called: captures %d → %d, refunds %d → %d", c0, c, r0, r)
		}
	}
	capture, refund, cancel := paths.PaymentCapture(id), paths.PaymentRefund(id), paths.PaymentCancel(id)

	t.Run("capture bad amounts", func(t *testing.T) {
		for _, amt := range []string{"0", "-5", "", "1.234", "1e3", "abc", "42.01", "99999999999999999999"} {
			t.Run(amt, func(t *testing.T) {
				refused(t, capture, pw("amount", amt), http.StatusUnprocessableEntity, "capture-amount-error", "")
			})
		}
	})
	t.Run("refund before any capture", func(t *testing.T) {
		refused(t, refund, pw("amount", "1.00"), http.StatusConflict, "refund-error", "othing is captured")
	})

	t.Run("double-submitted capture reaches Antom once", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := op.post(capture, pw("amount", "42.00"))
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusSeeOther:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("statuses %v, want one 303 and one 409", statuses)
		}
		app.waitFor("captured and notified", func() bool {
			return app.settledAs(id, store.StatusSuccess, store.CaptureFull)() && len(outcomesOf(app.deliveries(id), "CAPTURE_RESULT")) == 1
		})
		if c, _ := app.qaSimCaptures(id); c != 1 {
			t.Errorf("Antom holds %d captures, want 1", c)
		}
		if n := len(app.payment(id).Captures); n != 1 {
			t.Errorf("the ledger holds %d captures, want 1", n)
		}
		entries, _ := app.Store.AuditForPayment(t.Context(), id)
		n := 0
		for _, e := range entries {
			if e.Action == "payment.capture" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d payment.capture audit entries, want 1", n)
		}
	})
	t.Run("capture after full capture", func(t *testing.T) {
		refused(t, capture, pw("amount", "0.01"), http.StatusConflict, "capture-error", "fully captured")
	})
	t.Run("cancel after capture", func(t *testing.T) {
		refused(t, cancel, pw(), http.StatusConflict, "cancel-error", "refund it instead")
	})
	t.Run("refund bad amounts", func(t *testing.T) {
		for _, amt := range []string{"0", "-1", "", "42.001", "42.01"} {
			t.Run(amt, func(t *testing.T) {
				refused(t, refund, pw("amount", amt), http.StatusUnprocessableEntity, "refund-amount-error", "")
			})
		}
	})
	t.Run("refund reason", func(t *testing.T) {
		refused(t, refund, pw("amount", "1", "reason", strings.Repeat("r", 257)), http.StatusUnprocessableEntity, "refund-error", "256")
		refused(t, refund, pw("amount", "1", "reason", "zurück"), http.StatusUnprocessableEntity, "refund-error", "ASCII")
	})
	t.Run("double-submitted full refund reaches Antom once", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := op.post(refund, pw("amount", "42"))
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		if !(statuses[0] == http.StatusSeeOther && statuses[1] == http.StatusConflict || statuses[1] == http.StatusSeeOther && statuses[0] == http.StatusConflict) {
			t.Fatalf("statuses %v, want one 303 and one 409", statuses)
		}
		app.waitFor("refunded", func() bool {
			d := app.payment(id)
			return len(d.Refunds) == 1 && d.Refunds[0].Status == store.TxnSuccess && len(outcomesOf(app.deliveries(id), "REFUND_RESULT")) == 1
		})
		if _, r := app.qaSimCaptures(id); r != 1 {
			t.Errorf("Antom holds %d refunds, want 1", r)
		}
	})
	t.Run("refund after full refund", func(t *testing.T) {
		refused(t, refund, pw("amount", "0.01"), http.StatusConflict, "refund-error", "fully refunded")
	})
	t.Run("unknown payment", func(t *testing.T) {
		for _, a := range []string{"capture", "refund", "cancel", "inquiry", "retry"} {
			res, _ := op.post(paths.Payments+"/pay_does_not_exist/"+a, pw("amount", "1"))
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s on an unknown payment: %d, want 404", a, res.StatusCode)
			}
		}
	})
}

// Money actions on payments in states that do not allow them.
func TestQAMoneyActionsWrongState(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	ready := op.createSession(sessionForm("captureMode", "MANUAL"))
	failed := op.createSession(sessionForm("captureMode", "MANUAL"))
	app.pay(failed, sim.CardVisaFailure)
	app.waitFor("FAIL", func() bool { return app.payment(failed).Status == store.StatusFail })
	auto := op.createSession(sessionForm())
	app.pay(auto, sim.CardVisaSuccess)
	app.waitFor("auto captured", app.settledAs(auto, store.StatusSuccess, store.CaptureFull))
	cancelled := manualAuthorized(t, app, op)
	if res, _ := op.post(paths.PaymentCancel(cancelled), url.Values{"password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	app.waitFor("CANCELLED", func() bool { return app.payment(cancelled).Status == store.StatusCancelled })

	for _, tc := range []struct {
		name, id, action, errID, want string
	}{
		{"capture a session", ready, "capture", "capture-error", "SESSION_READY"},
		{"refund a session", ready, "refund", "refund-error", "SESSION_READY"},
		{"capture a failure", failed, "capture", "capture-error", "FAIL"},
		{"cancel a failure", failed, "cancel", "cancel-error", "FAIL"},
		{"refund a failure", failed, "refund", "refund-error", "FAIL"},
		{"capture an automatic capture", auto, "capture", "capture-error", "automatic"},
		{"cancel an automatic capture", auto, "cancel", "cancel-error", "refund it instead"},
		{"capture a cancelled payment", cancelled, "capture", "capture-error", "CANCELLED"},
		{"cancel a cancelled payment", cancelled, "cancel", "cancel-error", "CANCELLED"},
		{"refund a cancelled payment", cancelled, "refund", "refund-error", "CANCELLED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := app.qaLedger()
			res, body := op.post(paths.Payments+"/"+tc.id+"/"+tc.action, url.Values{"amount": {"1.00"}, "password": {payTestPassword}, "confirm": {"1"}})
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("status %d, want 409\n%.300s", res.StatusCode, body)
			}
			qaWantMessage(t, parseDoc(t, body), tc.errID, tc.want)
			if after := app.qaLedger(); after != before {
				t.Errorf("changed: %+v → %+v", before, after)
			}
		})
	}
}

// A support agent tries every state-changing staff route: 403 each time,
// nothing changes, and the audit log records no action that did not happen.
func TestQASupportCannotMoveMoney(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	authorized := manualAuthorized(t, app, op)
	captured := op.createSession(sessionForm())
	app.pay(captured, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(captured, store.StatusSuccess, store.CaptureFull))
	sup := app.login(store.RoleSupport)

	form := url.Values{"amount": {"1.00"}, "password": {payTestPassword}, "confirm": {"1"}, "reason": {"x"}, "email": {"new@example.com"},
		"name": {"New"}, "role": {"admin"}, "currency": {"SGD"}, "description": {"d"}, "captureMode": {"AUTOMATIC"}}
	before := app.qaLedger()
	c0, _ := app.qaSimCaptures(authorized)
	_, r0 := app.qaSimCaptures(captured)
	for _, path := range []string{
		paths.PaymentCapture(authorized), paths.PaymentCancel(authorized), paths.PaymentRefund(captured),
		paths.PaymentRetry(authorized), paths.NewSession, paths.Users, paths.APIKeys,
		paths.UserRole(1), paths.UserDisable(1), paths.UserPassword(1), paths.APIKeyRevoke(1),
	} {
		for _, hx := range []bool{false, true} {
			req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(url.Values{"_csrf": {sup.csrf()}}.Encode()+"&"+form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if hx {
				req.Header.Set("HX-Request", "true")
				req.Header.Set("X-CSRF-Token", sup.csrf())
			}
			if res, _ := sup.do(req); res.StatusCode != http.StatusForbidden {
				t.Errorf("support POST %s (htmx %v): %d, want 403", path, hx, res.StatusCode)
			}
		}
	}
	if after := app.qaLedger(); after != before {
		t.Errorf("support changed something: %+v → %+v", before, after)
	}
	if c, _ := app.qaSimCaptures(authorized); c != c0 {
		t.Errorf("Antom captures %d → %d", c0, c)
	}
	if _, r := app.qaSimCaptures(captured); r != r0 {
		t.Errorf("Antom refunds %d → %d", r0, r)
	}
	page, err := app.Store.ListAudit(t.Context(), store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Items {
		if e.Actor == "user:support@example.com" && e.Action != "auth.login" {
			t.Errorf("audit entry for the support agent: %s %s", e.Action, e.PaymentRequestID)
		}
	}
	// Reading and inquiring are allowed.
	if res, _ := sup.post(paths.PaymentInquiry(authorized), nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("support inquiry: %d, want 303", res.StatusCode)
	}
}

// htmx requests carry the token in X-CSRF-Token; without it, or with a
// wrong one, or from another site, a state change is refused.
func TestQACSRFOnHTMXRequests(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op)
	otherToken := app.login(store.RoleAdmin).csrf()
	before := app.qaLedger()
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"no token", map[string]string{"HX-Request": "true"}},
		{"wrong token", map[string]string{"HX-Request": "true", "X-CSRF-Token": "forged"}},
		{"token of another session", map[string]string{"HX-Request": "true", "X-CSRF-Token": otherToken}},
		{"cross-site with the token", map[string]string{"HX-Request": "true", "X-CSRF-Token": op.csrf(), "Sec-Fetch-Site": "cross-site"}},
		{"same-site fetch metadata, no token", map[string]string{"HX-Request": "true", "Sec-Fetch-Site": "same-origin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{paths.PaymentCapture(id), paths.PaymentCancel(id), paths.PaymentInquiry(id), paths.NewSession} {
				req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(url.Values{"amount": {"1"}, "password": {payTestPassword}, "confirm": {"1"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				if res, _ := op.do(req); res.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", path, res.StatusCode)
				}
			}
		})
	}
	if after := app.qaLedger(); after != before {
		t.Errorf("a refused request changed something: %+v → %+v", before, after)
	}
	// With the token, the same htmx request goes through.
	req, _ := http.NewRequest(http.MethodPost, app.URL+paths.PaymentInquiry(id), nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", op.csrf())
	if res, body := op.do(req); res.StatusCode >= 400 {
		t.Errorf("htmx inquiry with the token: %d\n%.200s", res.StatusCode, body)
	}
}
