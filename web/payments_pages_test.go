package web

// Handler tests of the payment pages and actions through the real router:
// roles, CSRF, inline validation, amount checks, step-up, lists.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// manualAuthorized creates a MANUAL-capture payment and pays it, so it is
// authorized and nothing is captured.
func manualAuthorized(t *testing.T, app *payApp, b *browser, kv ...string) string {
	t.Helper()
	id := b.createSession(sessionForm(append([]string{"captureMode", "MANUAL"}, kv...)...))
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("authorized", app.settledAs(id, store.StatusSuccess, store.CaptureNone))
	return id
}

func TestSessionFormValidation(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	page := op.page(paths.NewSession)
	if !page.has("session-form") || !page.has("simulator-mode") {
		t.Fatal("the new-session page lacks its form or the simulator note")
	}
	cases := []struct {
		name    string
		form    url.Values
		errorID string
		want    string
	}{
		{"non-ASCII description", sessionForm("description", "测试订单"), "description-error", "ASCII"},
		{"non-ASCII order ID", sessionForm("referenceOrderId", "订单-1"), "reference-order-id-error", "ASCII"},
		{"non-ASCII buyer ID", sessionForm("buyerId", "bü"), "buyer-id-error", "ASCII"},
		{"too many decimals", sessionForm("amount", "1.234", "currency", "USD"), "amount-error", "decimals"},
		{"decimals on JPY", sessionForm("amount", "100.5", "currency", "JPY"), "amount-error", "no decimals"},
		{"zero", sessionForm("amount", "0"), "amount-error", "greater than zero"},
		{"negative", sessionForm("amount", "-5"), "amount-error", "positive"},
		{"not a number", sessionForm("amount", "abc"), "amount-error", "not a number"},
		{"unknown currency", sessionForm("currency", "XXX"), "currency-error", "currencies"},
		{"bad capture mode", sessionForm("captureMode", "LATER"), "capture-mode-error", "automatic or manual"},
		{"long order ID", sessionForm("referenceOrderId", strings.Repeat("a", 65)), "reference-order-id-error", "At most 64"},
		{"empty description", sessionForm("description", ""), "description-error", "description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := app.Store.LatestSeq(t.Context())
			res, body := op.post(paths.NewSession, tc.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			d := parseDoc(t, body)
			if got := d.text(tc.errorID); !strings.Contains(got, tc.want) {
				t.Errorf("%s = %q, want it to mention %q", tc.errorID, got, tc.want)
			}
			// The form keeps what was typed.
			if v := d.testIDs("description-input"); len(v) != 1 || attrOf(v[0], "value") != tc.form.Get("description") {
				t.Error("the description typed was not kept")
			}
			if after, _ := app.Store.LatestSeq(t.Context()); after != before {
				t.Errorf("a refused form changed the ledger (seq %d → %d)", before, after)
			}
		})
	}
	t.Run("JPY whole amount", func(t *testing.T) {
		id := op.createSession(sessionForm("amount", "1,500", "currency", "JPY"))
		if d := app.payment(id); d.AmountMinor != 1500 || d.Currency != "JPY" {
			t.Errorf("stored %d %s, want 1500 JPY", d.AmountMinor, d.Currency)
		}
		if got := op.page(paths.Payment(id)).text("amount"); got != "1,500 JPY" {
			t.Errorf("amount shown %q, want 1,500 JPY", got)
		}
	})
}

func TestSessionUnknownOutcomeIsRetriedWithSameID(t *testing.T) {
	app := startPayApp(t, payAppOptions{Faults: sim.Faults{APIUnknown: 3, APIs: []string{"createPaymentSession"}}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	d := app.payment(id)
	if d.Status != store.StatusCreated || !d.Flags.Has(store.FlagUnknownOutcome) {
		t.Fatalf("after U: status %s flags %s, want CREATED and unknown_outcome", d.Status, d.Flags)
	}
	page := op.page(paths.Payment(id))
	if !page.has("retry-form") {
		t.Fatal("no Retry button for an unknown session outcome")
	}
	res, _ := op.post(paths.PaymentRetry(id), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: status %d, want 303", res.StatusCode)
	}
	d = app.payment(id)
	if d.Status != store.StatusSessionReady || d.SessionData == "" {
		t.Fatalf("after retry: status %s, want SESSION_READY with session data", d.Status)
	}
	if v, ok := app.Sim.Sim.Payment(id); !ok || v.PaymentRequestID != id {
		t.Errorf("the simulator does not know paymentRequestId %s", id)
	}
}

func TestCaptureActions(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op, "amount", "100.00", "currency", "USD")

	page := op.page(paths.Payment(id))
	if !page.has("capture-form") || !page.has("cancel-form") {
		t.Fatal("an authorized manual payment offers no capture or cancel")
	}
	if page.has("refund-form") {
		t.Error("refund offered before anything is captured")
	}

	t.Run("more than authorized", func(t *testing.T) {
		res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"100.01"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.StatusCode)
		}
		d := parseDoc(t, body)
		if got := d.text("capture-amount-error"); !strings.Contains(got, "100.00") {
			t.Errorf("inline error %q should name what can still be captured", got)
		}
		if v := d.testIDs("capture-amount"); len(v) != 1 || attrOf(v[0], "value") != "100.01" {
			t.Error("the amount typed was not kept")
		}
		if n := len(app.payment(id).Captures); n != 0 {
			t.Errorf("%d captures after a refused one, want 0", n)
		}
	})
	t.Run("bad amount", func(t *testing.T) {
		res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"1.001"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseDoc(t, body).text("capture-amount-error"), "decimals") {
			t.Errorf("status %d; want 422 with a decimals error", res.StatusCode)
		}
	})
	t.Run("no CSRF token", func(t *testing.T) {
		res, _ := op.post(paths.PaymentCapture(id), url.Values{"amount": {"10"}, "password": {payTestPassword}, "confirm": {"1"}, "_csrf": {"forged"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("support may not", func(t *testing.T) {
		sup := app.login(store.RoleSupport)
		if p := sup.page(paths.Payment(id)); p.has("capture-form") || p.has("refund-form") || p.has("cancel-form") || !p.has("actions-readonly") {
			t.Error("support sees money forms, or no note why not")
		}
		res, _ := sup.post(paths.PaymentCapture(id), url.Values{"amount": {"10"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("support capture: status %d, want 403", res.StatusCode)
		}
		if n := len(app.payment(id).Captures); n != 0 {
			t.Errorf("%d captures after a forbidden one", n)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		fresh := app.login(store.RoleAdmin)
		app.advance(10 * time.Minute) // the sign-in no longer counts as a recent password
		res, body := fresh.post(paths.PaymentCapture(id), url.Values{"amount": {"10"}})
		if res.StatusCode != http.StatusOK || !parseDoc(t, body).has("capture-password") {
			t.Errorf("confirmation panel: status %d, want 200 with a step-up password field once the sign-in is not recent", res.StatusCode)
		}
		res, body = fresh.post(paths.PaymentCapture(id), url.Values{"amount": {"10"}, "password": {"wrong password!"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
		if got := parseDoc(t, body).text("capture-password-error"); !strings.Contains(got, "incorrect") {
			t.Errorf("password error %q", got)
		}
		res, body = fresh.post(paths.PaymentCapture(id), url.Values{"amount": {"10"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity || parseDoc(t, body).text("capture-password-error") == "" {
			t.Errorf("missing password: status %d, want 422 with an inline error", res.StatusCode)
		}
		if n := len(app.payment(id).Captures); n != 0 {
			t.Errorf("%d captures without a confirmed password", n)
		}
	})
	t.Run("partial then full", func(t *testing.T) {
		res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"40"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("capture: status %d, want 303\n%s", res.StatusCode, body)
		}
		app.waitFor("partial capture", app.settledAs(id, store.StatusSuccess, store.CapturePartial))
		d := app.payment(id)
		if d.CapturedMinor != 4000 || len(d.Captures) != 1 || d.Captures[0].Status != store.TxnSuccess {
			t.Fatalf("captured %d in %d captures, want 4000 in 1 SUCCESS", d.CapturedMinor, len(d.Captures))
		}
		page := op.page(paths.Payment(id))
		if page.has("cancel-form") {
			t.Error("cancel offered after a capture")
		}
		if v := page.testIDs("capture-amount"); len(v) != 1 || attrOf(v[0], "value") != "" {
			t.Errorf("the capture amount starts filled in, want it empty")
		}
		if v := page.testIDs("capture-full"); len(v) != 1 || attrOf(v[0], "data-fill-value") != "60.00" {
			t.Errorf("the full-amount button does not offer the remaining 60.00")
		}
		entries, err := app.Store.AuditForPayment(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "payment.capture" && e.Actor == "user:operator@example.com" {
				found = true
			}
		}
		if !found {
			t.Errorf("no payment.capture audit entry by the operator; entries: %+v", entries)
		}
	})
	t.Run("refund", func(t *testing.T) {
		res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {"40.01"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(parseDoc(t, body).text("refund-amount-error"), "40.00") {
			t.Errorf("refund above captured: status %d, want 422 naming 40.00", res.StatusCode)
		}
		res, body = op.post(paths.PaymentRefund(id), url.Values{"amount": {"15.5"}, "reason": {"customer asked"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("refund: status %d, want 303\n%s", res.StatusCode, body)
		}
		app.waitFor("refund settled", func() bool {
			d := app.payment(id)
			return len(d.Refunds) == 1 && d.Refunds[0].Status == store.TxnSuccess && d.RefundedMinor == 1550
		})
		if got := op.page(paths.Payment(id)).texts("refund-status"); len(got) != 1 || got[0] != "SUCCESS" {
			t.Errorf("refund rows %q, want one SUCCESS", got)
		}
	})
}

func TestCancelAuthorization(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op)
	res, body := op.post(paths.PaymentCancel(id), url.Values{"password": {payTestPassword}, "confirm": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: status %d, want 303\n%s", res.StatusCode, body)
	}
	app.waitFor("CANCELLED", func() bool { return app.payment(id).Status == store.StatusCancelled })
	page := op.page(paths.Payment(id))
	if got := page.text("status-badge"); got != "Cancelled" {
		t.Errorf("status %q, want Cancelled", got)
	}
	if page.has("capture-form") || page.has("cancel-form") || page.has("refund-form") {
		t.Error("a cancelled payment still offers money actions")
	}
}

func TestInquiryButton(t *testing.T) {
	// Notifications never arrive; only the inquiry can tell.
	app := startPayApp(t, payAppOptions{Faults: sim.Faults{DropFirst: 8}})
	sup := app.login(store.RoleSupport)
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	app.pay(id, sim.CardVisaSuccess)
	if !sup.page(paths.Payment(id)).has("inquiry-form") {
		t.Fatal("support has no Re-run inquiry button")
	}
	res, _ := sup.post(paths.PaymentInquiry(id), nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("inquiry: status %d, want 303", res.StatusCode)
	}
	d := app.payment(id)
	if d.Status != store.StatusSuccess || d.PaymentID == "" {
		t.Fatalf("after inquiry: %s paymentId %q, want SUCCESS with a paymentId", d.Status, d.PaymentID)
	}
	page := sup.page(paths.Payment(id))
	if !strings.Contains(strings.Join(page.texts("flash"), " "), "Inquiry done") {
		t.Errorf("flash %q", page.texts("flash"))
	}
	found := false
	for _, n := range page.testIDs("timeline-entry") {
		if attrOf(n, "data-kind") == "inquiry" && strings.Contains(nodeText(n), "support@example.com") {
			found = true
		}
	}
	if !found {
		t.Error("the timeline does not show the support agent's inquiry")
	}
}

func TestListsAndNotificationPages(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	sup := app.login(store.RoleSupport)

	// Two attempts for one order: the first fails, the second succeeds.
	failed := op.createSession(sessionForm("referenceOrderId", "order-L", "buyerId", "buyer-L"))
	app.pay(failed, sim.CardVisaFailure)
	app.waitFor("FAIL", func() bool { return app.payment(failed).Status == store.StatusFail })
	paid := op.createSession(sessionForm("referenceOrderId", "order-L", "buyerId", "buyer-L"))
	app.pay(paid, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(paid, store.StatusSuccess, store.CaptureFull))

	t.Run("payments list and filters", func(t *testing.T) {
		page := sup.page(paths.Payments)
		if n := len(page.testIDs("payment-row")); n != 2 {
			t.Fatalf("%d rows, want 2", n)
		}
		if got := page.texts("row-status"); got[0] != "Captured" || got[1] != "Declined" {
			t.Errorf("row statuses %q, want newest first [Captured Declined]", got)
		}
		if got := page.texts("row-raw-status"); len(got) != 2 || got[0] != "SUCCESS" || got[1] != "FAIL" {
			t.Errorf("raw statuses %q, want newest first [SUCCESS FAIL] beside the words", got)
		}
		if !page.has("search-box") {
			t.Error("no search box")
		}
		if f := sup.page(paths.Payments + "?status=declined"); len(f.testIDs("payment-row")) != 1 || f.text("row-status") != "Declined" {
			t.Error("status filter")
		}
		if f := sup.page(paths.Payments + "?status=FAIL"); len(f.testIDs("payment-row")) != 1 || f.text("row-raw-status") != "FAIL" {
			t.Error("status filter by a raw ledger status (older links)")
		}
		if f := sup.page(paths.Payments + "?capture=CAPTURED&currency=SGD"); len(f.testIDs("payment-row")) != 1 {
			t.Error("capture and currency filters")
		}
		if f := sup.page(paths.Payments + "?currency=USD"); len(f.testIDs("payment-row")) != 0 {
			t.Error("currency filter")
		}
		res, body := sup.get(paths.Payments + "?from=yesterday")
		if res.StatusCode != http.StatusBadRequest || parseDoc(t, body).text("from-error") == "" {
			t.Errorf("a bad date: status %d, want 400 with an inline error", res.StatusCode)
		}
		if res, _ := sup.get(paths.Payments + "?status=PAID"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown status: %d, want 400", res.StatusCode)
		}
		if f := sup.page(paths.Payments + "?from=2000-01-01&to=2000-01-02"); len(f.testIDs("payment-row")) != 0 {
			t.Error("date range")
		}
	})
	t.Run("payments list live", func(t *testing.T) {
		page := sup.page(paths.Payments)
		rows := page.testIDs("payment-rows")
		live := attrOf(rows[0], "hx-get")
		if live == "" {
			t.Fatal("the first page does not poll")
		}
		if res, _ := sup.htmx(live); res.StatusCode != http.StatusNoContent {
			t.Fatalf("unchanged list poll: %d, want 204", res.StatusCode)
		}
		id := op.createSession(sessionForm("referenceOrderId", "order-new"))
		res, body := sup.htmx(live)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("changed list poll: %d, want 200", res.StatusCode)
		}
		frag := parseRows(t, body)
		if n := len(frag.testIDs("payment-row")); n != 3 {
			t.Errorf("fragment has %d rows, want 3 (the new one included)", n)
		}
		if !strings.Contains(body, id) {
			t.Error("the new payment is not in the fragment")
		}
	})
	t.Run("orders", func(t *testing.T) {
		page := sup.page(paths.Orders + "?q=order-L")
		rows := page.testIDs("order-row")
		if len(rows) != 1 {
			t.Fatalf("%d order rows, want 1", len(rows))
		}
		if got := page.text("order-state"); got != "Captured" {
			t.Errorf("order state %q, want Captured (its paid attempt's words)", got)
		}
		if n := len(page.testIDs("order-attempt")); n != 2 {
			t.Errorf("%d attempts, want 2", n)
		}
	})
	t.Run("captures", func(t *testing.T) {
		page := sup.page(paths.Captures)
		if n := len(page.testIDs("capture-row")); n != 1 {
			t.Fatalf("%d capture rows, want 1", n)
		}
		if got := page.text("capture-status"); got != "SUCCESS" {
			t.Errorf("capture status %q", got)
		}
		if f := sup.page(paths.Captures + "?status=FAIL"); len(f.testIDs("capture-row")) != 0 {
			t.Error("capture status filter")
		}
		if res, _ := sup.get(paths.Captures + "?to=31-12-2025"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("bad capture date: %d, want 400", res.StatusCode)
		}
	})
	t.Run("notifications", func(t *testing.T) {
		page := sup.page(paths.Notifications + "?verdict=ok&type=" + antom.NotifyCaptureResult)
		rows := page.testIDs("delivery-row")
		if len(rows) != 1 {
			t.Fatalf("%d CAPTURE_RESULT rows, want 1", len(rows))
		}
		if res, _ := sup.get(paths.Notifications + "?verdict=great"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown verdict: %d, want 400", res.StatusCode)
		}
		ds := app.deliveries(paid)
		id := ds[0].ID

		full := op.page(paths.Notification(id))
		if !strings.Contains(full.text("body-raw"), `"notifyType"`) || full.text("signed-text") == "" {
			t.Error("operator sees no raw body or signed content")
		}
		if !strings.HasPrefix(full.text("delivery-response"), "200") || !strings.Contains(full.text("delivery-response"), antom.AckBody) {
			t.Errorf("answer shown %q", full.text("delivery-response"))
		}
		res, raw := op.get(paths.NotificationRaw(id))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("raw: %d", res.StatusCode)
		}
		stored, err := app.Store.GetDelivery(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if raw != string(stored.Body) {
			t.Error("the raw download differs from the bytes received")
		}

		limited := sup.page(paths.Notification(id))
		if strings.Contains(limited.raw, "0768") && strings.Contains(limited.raw, "cardNo") && !strings.Contains(limited.raw, "[redacted]") {
			t.Error("support sees card data unredacted")
		}
		if limited.has("body-download") {
			t.Error("support is offered the raw download")
		}
		if res, _ := sup.get(paths.NotificationRaw(id)); res.StatusCode != http.StatusForbidden {
			t.Errorf("support raw download: %d, want 403", res.StatusCode)
		}
		// The timeline loads a delivery's payload on demand as a fragment.
		res, body := sup.htmx(paths.Notification(id))
		if res.StatusCode != http.StatusOK || !parseDoc(t, body).has("delivery-body") || strings.Contains(body, "<html") {
			t.Errorf("payload fragment: %d", res.StatusCode)
		}
		if res, _ := sup.get(paths.Notifications + "/999999"); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown delivery: %d, want 404", res.StatusCode)
		}
	})
	t.Run("unknown payment", func(t *testing.T) {
		if res, _ := sup.get(paths.Payment("pay_nope")); res.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.StatusCode)
		}
		if res, _ := sup.htmx(paths.PaymentLive("pay_nope", 1)); res.StatusCode != http.StatusNotFound {
			t.Errorf("live: status %d, want 404", res.StatusCode)
		}
	})
	t.Run("signed out", func(t *testing.T) {
		res, err := http.Get(app.URL + paths.Payment(paid))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != paths.Login {
			t.Errorf("signed-out detail ended at %s, want the login page", res.Request.URL.Path)
		}
	})
}
