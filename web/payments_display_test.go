package web

// What the payment pages say, through the real router: flashes that go
// away with the state they described, timeline wording, the status line,
// expired sessions before the sweeper, amounts in their currency's
// decimals, list marks and empty states.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// inside reports whether n is a descendant of an element with data-testid=id.
func inside(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if attrOf(p, "data-testid") == id {
			return true
		}
	}
	return false
}

// timelineSummaries lists the timeline summaries of a page with their kinds.
func timelineSummaries(d *doc) map[string][]string {
	out := map[string][]string{}
	for _, n := range d.testIDs("timeline-entry") {
		kind := attrOf(n, "data-kind")
		for _, s := range (&doc{t: d.t, root: n}).texts("timeline-summary") {
			out[kind] = append(out[kind], s)
		}
	}
	return out
}

func TestActionFlashGoesAwayWithItsState(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	id := op.createSession(sessionForm())
	v0 := app.payment(id).Version
	page := op.page(paths.Payment(id))
	flashes := page.testIDs("flash")
	if len(flashes) != 1 || nodeText(flashes[0]) != "Session created." {
		t.Fatalf("flashes %q, want one “Session created.”", page.texts("flash"))
	}
	if !inside(flashes[0], "payment-live") {
		t.Error("the flash is outside the live region, so a newer state would not replace it")
	}

	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("settled", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	res, body := op.htmx(paths.PaymentLive(id, v0))
	if res.StatusCode != 286 {
		t.Fatalf("poll after the result: status %d, want 286", res.StatusCode)
	}
	frag := parseDoc(t, body)
	if frag.text("status-badge") != "Captured" || frag.has("flash") {
		t.Errorf("the fragment with the new state shows %q and flashes %q, want Captured and no old flash",
			frag.text("status-badge"), frag.texts("flash"))
	}
	if again := op.page(paths.Payment(id)); again.has("flash") {
		t.Errorf("the flash came back on reload: %q", again.texts("flash"))
	}
}

func TestCaptureUnknownThenSettledReadsRight(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op, "amount", "25.00", "currency", "USD")

	// Antom processes the capture but answers U, and its notification never
	// arrives: only an inquiry can settle it, so the test sees each step.
	app.Sim.Sim.SetFaults(sim.Faults{APIUnknown: 1, APIUnknownProcessed: true, APIs: []string{"capture"}, DropFirst: 8})
	res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"25.00"}, "password": {payTestPassword}, "confirm": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("capture: status %d, want 303\n%s", res.StatusCode, body)
	}
	app.Sim.Sim.SetFaults(sim.Faults{DropFirst: 8})
	v1 := app.payment(id).Version
	page := op.page(paths.Payment(id))
	if got := page.text("capture-status"); got != "PROCESSING" {
		t.Fatalf("capture after a U answer = %q, want PROCESSING", got)
	}
	if got := strings.Join(page.texts("flash"), " "); !strings.Contains(got, "Capture of 25.00 USD sent to Antom") || strings.Contains(got, "not confirmed") {
		t.Errorf("flash %q, want what was done, not a claim about now", got)
	}
	if got := strings.Join(page.texts("notice"), " "); !strings.Contains(got, "The capture of 25.00 USD is not confirmed yet: Antom's answer was unknown, so Paydesk is asking Antom for the outcome.") {
		t.Errorf("notices %q, want the capture in flight explained", got)
	}
	answers := timelineSummaries(page)["api_response"]
	if len(answers) != 1 {
		t.Fatalf("api_response entries %q, want one", answers)
	}
	if a := answers[0]; !strings.Contains(a, "Antom answered U UNKNOWN_EXCEPTION (outcome unknown)") ||
		!strings.Contains(a, "still PROCESSING") || strings.Contains(a, "confirmed") || strings.Contains(a, "recorded") {
		t.Errorf("capture answer reads %q, want an unknown outcome that does not read as a result", a)
	}

	if _, err := app.H.Operations.Inquire(t.Context(), id, "user:test"); err != nil {
		t.Fatalf("inquire: %v", err)
	}
	if d := app.payment(id); len(d.Captures) != 1 || d.Captures[0].Status != store.TxnSuccess {
		t.Fatalf("after the inquiry: captures %+v, want one SUCCESS", d.Captures)
	}
	res, body = op.htmx(paths.PaymentLive(id, v1))
	if res.StatusCode != 286 && res.StatusCode != http.StatusOK {
		t.Fatalf("poll after the inquiry: status %d, want the new state", res.StatusCode)
	}
	frag := parseDoc(t, body)
	if got := frag.text("capture-status"); got != "SUCCESS" {
		t.Errorf("capture in the fragment = %q, want SUCCESS", got)
	}
	if notices := strings.Join(frag.texts("notice"), " "); frag.has("flash") || strings.Contains(notices, "25.00 USD") || strings.Contains(notices, "awaits") {
		t.Errorf("the settled fragment still shows flashes %q or notices %q", frag.texts("flash"), frag.texts("notice"))
	}
	inquiries := timelineSummaries(frag)["inquiry"]
	if len(inquiries) == 0 || !strings.Contains(inquiries[len(inquiries)-1], "capture SUCCESS recorded") {
		t.Errorf("inquiry entries %q, want the last to say the capture SUCCESS was recorded", inquiries)
	}
	for kind, ss := range timelineSummaries(frag) {
		for _, s := range ss {
			if strings.Contains(s, "answered U") && (strings.Contains(s, "confirmed") || strings.Contains(s, "recorded")) {
				t.Errorf("%s entry contradicts itself: %q", kind, s)
			}
		}
	}
}

func TestStatusLineAndEmptyCapturesByState(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	failed := op.createSession(sessionForm("referenceOrderId", "order-F"))
	app.pay(failed, sim.CardVisaFailure)
	app.waitFor("FAIL", func() bool { return app.payment(failed).Status == store.StatusFail })
	paid := op.createSession(sessionForm("referenceOrderId", "order-S"))
	app.pay(paid, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(paid, store.StatusSuccess, store.CaptureFull))

	f := op.page(paths.Payment(failed))
	if got := f.text("result-code"); got != "ISSUER_REJECTS_TRANSACTION" {
		t.Errorf("FAIL result code %q, want ISSUER_REJECTS_TRANSACTION", got)
	}
	if got := f.text("result-message"); got != "the issuer rejected the transaction" {
		t.Errorf("FAIL result message %q", got)
	}
	if got := f.text("captures-empty"); got != "No capture: the payment did not succeed." {
		t.Errorf("FAIL captures %q, want that the payment did not succeed", got)
	}

	s := op.page(paths.Payment(paid))
	if s.text("status-badge") != "Captured" || s.text("raw-status") != "SUCCESS" || s.has("result-code") || s.has("result-message") {
		t.Errorf("SUCCESS status line shows code %q and message %q, want neither (they repeat the status)",
			s.text("result-code"), s.text("result-message"))
	}

	list := op.page(paths.Payments)
	codes := list.texts("row-result-code")
	if len(codes) != 1 || codes[0] != "ISSUER_REJECTS_TRANSACTION" {
		t.Errorf("list result codes %q, want the FAIL row's only", codes)
	}
}

func TestAttentionRowsAreMarked(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	calm := op.createSession(sessionForm())
	odd := op.createSession(sessionForm())
	if _, err := app.Store.SetFlags(t.Context(), odd, store.FlagContradiction, 0, "user:test", "looks contradictory"); err != nil {
		t.Fatal(err)
	}
	list := op.page(paths.Payments)
	marked := map[string]bool{}
	for _, r := range list.testIDs("payment-row") {
		marked[attrOf(r, "data-payment-request-id")] = attrOf(r, "data-attention") == "true" && strings.Contains(attrOf(r, "class"), "attention")
	}
	if !marked[odd] || marked[calm] {
		t.Errorf("rows marked for attention %v, want only %s", marked, odd)
	}
	if got := list.texts("row-flag"); len(got) != 1 || got[0] != "contradiction" {
		t.Errorf("flag badges %q, want one contradiction", got)
	}
}

func TestExpiredSessionShowsExpiredBeforeTheSweep(t *testing.T) {
	// One clock for the store and the handlers, no Antom and no jobs: the
	// sweeper does not run, so the ledger keeps saying SESSION_READY.
	app := newSecApp(t)
	app.addUser("op@example.com", store.RoleOperator, "Op")
	ctx := t.Context()
	p, err := app.Store.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: "order-exp", Description: "expiring",
		AmountMinor: 4200, Currency: "SGD", NotifyURL: "http://127.0.0.1/webhooks/antom", RedirectURL: "http://127.0.0.1/payments",
		CreatedBy: "user:op@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SessionCreated(ctx, p.PaymentRequestID, store.SessionResult{SessionData: "sd", SessionID: "sid",
		ExpiresAt: app.Clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := app.client()
	c.get("/login")
	c.login("op@example.com")
	res, body := c.get(paths.Payment(p.PaymentRequestID))
	if fresh := parseDoc(t, body); res.StatusCode != http.StatusOK || fresh.text("status-badge") != "Awaiting payment" || fresh.has("session-expired") {
		t.Fatalf("a fresh session: status %d, badge %q; want 200 and Awaiting payment", res.StatusCode, fresh.text("status-badge"))
	}

	app.Clock.Add(time.Hour + 3*time.Minute)
	late := app.client() // the first sign-in timed out meanwhile
	late.get("/login")
	late.login("op@example.com")
	res, body = late.get(paths.Payment(p.PaymentRequestID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	page := parseDoc(t, body)
	if d, _ := app.Store.GetPayment(ctx, p.PaymentRequestID); d.Status != store.StatusSessionReady {
		t.Fatalf("the ledger says %s; the test needs the sweeper not to have run", d.Status)
	}
	if got := page.text("status-badge"); got != "Expired" {
		t.Errorf("status %q for a session past its expiry, want Expired", got)
	}
	if !page.has("session-expired") {
		t.Error("the session expiry is not marked expired")
	}
	if got := page.text("session-expiry"); !strings.Contains(got, "3 min ago") {
		t.Errorf("session expiry %q, want the relative hint on the handlers' clock", got)
	}
	if got := strings.Join(page.texts("notice"), " "); !strings.Contains(got, "the buyer can no longer pay it") {
		t.Errorf("notices %q, want the expiry explained", got)
	}
	if got := page.text("captures-empty"); got != "No capture: the session expired unpaid." {
		t.Errorf("captures %q", got)
	}
	_, body = late.get(paths.Payments)
	if got := parseDoc(t, body).text("row-status"); got != "Expired" {
		t.Errorf("list status %q, want Expired", got)
	}
	// The filter by the words agrees with them before the sweep too.
	for filter, want := range map[string]int{"expired": 1, "awaiting_payment": 0} {
		_, body = late.get(paths.Payments + "?status=" + filter)
		if got := len(parseDoc(t, body).testIDs("payment-row")); got != want {
			t.Errorf("status filter %s: %d rows, want %d", filter, got, want)
		}
	}
}

func TestJPYAmountsUseNoDecimalsEverywhere(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("amount", "1000", "currency", "JPY", "referenceOrderId", "order-jpy"))
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))

	pages := map[string]string{
		"detail":   paths.Payment(id),
		"payments": paths.Payments,
		"orders":   paths.Orders,
		"captures": paths.Captures,
	}
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			res, body := op.get(path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if !strings.Contains(body, "1,000 JPY") {
				t.Error("no “1,000 JPY” on the page")
			}
			for _, wrong := range []string{"10.00", "1,000.00", "1000.00", "10.00 JPY"} {
				if strings.Contains(body, wrong) {
					t.Errorf("the page shows %q: an amount not in JPY's 0 decimals", wrong)
				}
			}
		})
	}
	page := op.page(paths.Payment(id))
	for testID, want := range map[string]string{"amount": "1,000 JPY", "refunded": "0 JPY"} {
		if got := page.text(testID); got != want {
			t.Errorf("%s = %q, want %q", testID, got, want)
		}
	}
	if got := page.text("captured"); !strings.HasPrefix(got, "1,000 JPY") {
		t.Errorf("captured = %q, want 1,000 JPY", got)
	}
	if v := page.testIDs("refund-full"); len(v) != 1 || attrOf(v[0], "data-fill-value") != "1000" {
		t.Error("the refund form's full amount is not 1000 (JPY has no decimals)")
	}
	if got := strings.Join(page.texts("timeline-summary"), " | "); !strings.Contains(got, "Payment created: 1,000 JPY") {
		t.Errorf("timeline %q, want the created amount in JPY", got)
	}
}

func TestEmptyStatesSayWhatToDo(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	sup := app.login(store.RoleSupport)

	p := op.page(paths.Payments)
	if got := p.text("payments-empty"); !strings.Contains(got, "No payments yet — create a test session") {
		t.Errorf("operator's empty payments %q", got)
	}
	if l := p.testIDs("payments-empty-link"); len(l) != 1 || attrOf(l[0], "href") != paths.NewSession {
		t.Error("no link to create a test session")
	}
	if s := sup.page(paths.Payments); !s.has("payments-empty") || s.has("payments-empty-link") {
		t.Error("support sees no empty state, or a link to a form it may not use")
	}
	if got := op.page(paths.Payments + "?q=nope-123").text("payments-empty"); !strings.Contains(got, "No payment matches “nope-123”") ||
		!strings.Contains(got, "refundId, refundRequestId") {
		t.Errorf("search without a hit %q", got)
	}
	if got := op.page(paths.Payments + "?status=FAIL").text("payments-empty"); !strings.Contains(got, "these filters") {
		t.Errorf("filters without a hit %q", got)
	}
	if got := op.page(paths.Orders).text("orders-empty"); !strings.Contains(got, "No orders yet") {
		t.Errorf("orders %q", got)
	}
	if got := op.page(paths.Orders + "?q=ord-x").text("orders-empty"); !strings.Contains(got, "No order matches “ord-x”") {
		t.Errorf("orders search %q", got)
	}
	if got := op.page(paths.Captures).text("captures-empty"); !strings.Contains(got, "No captures yet") {
		t.Errorf("captures %q", got)
	}
	if got := op.page(paths.Notifications).text("notifications-empty"); !strings.Contains(got, "No notification has arrived yet") ||
		!strings.Contains(got, paths.WebhookAntom) {
		t.Errorf("notifications %q, want where Antom sends them", got)
	}

	// The empty state lives in the polled rows: the first payment replaces it.
	_, body := op.get(paths.Payments)
	live := ""
	if rows := parseDoc(t, body).testIDs("payment-rows"); len(rows) == 1 {
		live = attrOf(rows[0], "hx-get")
	}
	if live == "" {
		t.Fatal("the empty list does not poll")
	}
	op.createSession(sessionForm())
	res, frag := op.htmx(live)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("poll: status %d, want the new rows", res.StatusCode)
	}
	if d := parseRows(t, frag); len(d.testIDs("payment-row")) != 1 || d.has("payments-empty") {
		t.Error("the polled rows do not replace the empty state with the new payment")
	}
}
