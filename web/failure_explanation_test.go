package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// The payment page explains why a payment did not go through: a card
// decline, a checkout that closed unpaid (grey "Closed unpaid", not a red
// decline) and a staff cancel each get the right box; a paid payment none.
// The status filter tells the decline and the closed checkout apart.
func TestFailureExplanationOnPaymentPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	support := app.login(store.RoleSupport)
	_, antomKey, _ := payKeys(t)

	declined := op.createSession(sessionForm())
	app.pay(declined, sim.CardMastercardFailure)
	app.waitFor("FAIL", func() bool { return app.payment(declined).Status == store.StatusFail })

	closed := op.createSession(sessionForm())
	if res, answer := app.postNotification(antomKey, paymentResult(closed, "20990000000000000000000000000000077", "F", "ORDER_IS_CLOSED"), nil); res.StatusCode != http.StatusOK {
		t.Fatalf("close notification: %d %s", res.StatusCode, answer)
	}
	app.waitFor("closed", func() bool { return app.payment(closed).Status == store.StatusFail })

	cancelled := manualAuthorized(t, app, op)
	if res, _ := op.post(paths.PaymentCancel(cancelled), url.Values{"password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	app.waitFor("CANCELLED", func() bool { return app.payment(cancelled).Status == store.StatusCancelled })

	paid := op.createSession(sessionForm())
	app.pay(paid, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(paid, store.StatusSuccess, store.CaptureFull))

	for _, tc := range []struct {
		name, id                         string
		status, statusClass              string
		code, stoppedBy, retry, boxClass string
		who, customer, retryText         string
	}{
		// The simulator's DO_NOT_HONOR carries "05 Do not honor" and
		// Mastercard advice code 02 (cannot approve at this time, try
		// again later): the advice decides the retry.
		{"card decline", declined, "Declined", "badge-bad",
			"DO_NOT_HONOR", "issuer", "later", "failure-bad",
			"The card issuer", "Please try again in a few minutes.", "Yes, later"},
		{"closed unpaid", closed, "Closed unpaid", "badge-neutral",
			"ORDER_IS_CLOSED", "closed_unpaid", "yes", "failure-neutral",
			"The checkout closing unpaid", "No money was taken", "Yes"},
		{"staff cancel", cancelled, "Cancelled", "badge-warn",
			"STAFF_CANCEL", "merchant", "no", "failure-neutral",
			"The merchant's own cancel", "The merchant cancelled this payment", "No"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := support.page(paths.Payment(tc.id))
			badges := page.testIDs("status-badge")
			if len(badges) != 1 || nodeText(badges[0]) != tc.status || !strings.Contains(attrOf(badges[0], "class"), tc.statusClass) {
				t.Errorf("status badge %q (%s), want %q in %s", page.text("status-badge"), attrOf(badges[0], "class"), tc.status, tc.statusClass)
			}
			boxes := page.testIDs("failure-explanation")
			if len(boxes) != 1 {
				t.Fatalf("%d failure boxes, want 1", len(boxes))
			}
			box := boxes[0]
			if got := [3]string{attrOf(box, "data-code"), attrOf(box, "data-stopped-by"), attrOf(box, "data-retry")}; got != [3]string{tc.code, tc.stoppedBy, tc.retry} {
				t.Errorf("box code, stopped by, retry = %q, want %q", got, [3]string{tc.code, tc.stoppedBy, tc.retry})
			}
			if !strings.Contains(attrOf(box, "class"), tc.boxClass) {
				t.Errorf("box class %q, want %s", attrOf(box, "class"), tc.boxClass)
			}
			if got := page.text("failure-stopped-by"); got != tc.who {
				t.Errorf("stopped by %q, want %q", got, tc.who)
			}
			if got := page.text("failure-customer-message"); !strings.Contains(got, tc.customer) {
				t.Errorf("customer message %q, want it to contain %q", got, tc.customer)
			}
			if got := page.text("failure-retry"); got != tc.retryText {
				t.Errorf("retry %q, want %q", got, tc.retryText)
			}
			if page.has("failure-unknown") {
				t.Error("a known code is flagged unknown")
			}
			if tc.id == cancelled && !strings.Contains(page.text("failure-cancelled-by"), app.users[store.RoleOperator]) {
				t.Errorf("cancelled by %q, want the operator %s", page.text("failure-cancelled-by"), app.users[store.RoleOperator])
			}
			if ref := page.testIDs("failure-reference"); len(ref) != 1 || !strings.HasPrefix(attrOf(ref[0], "href"), paths.FailureReasons+"#") {
				t.Error("the box does not link the reference page")
			}
		})
	}
	if page := support.page(paths.Payment(paid)); page.has("failure-explanation") {
		t.Error("a paid payment shows a failure box")
	}
	// The live region (what polling swaps in) carries the box too.
	if _, body := support.htmx(paths.PaymentLive(declined, 0)); !strings.Contains(body, `data-testid="failure-explanation"`) {
		t.Error("the live region lacks the failure box")
	}

	for key, want := range map[string][]string{"declined": {declined}, "closed_unpaid": {closed}, "cancelled": {cancelled}} {
		var got []string
		for _, r := range support.page(paths.Payments + "?status=" + key).testIDs("payment-row") {
			got = append(got, attrOf(r, "data-payment-request-id"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("status=%s lists %v, want %v", key, got, want)
		}
	}
}

// The reference page lists the whole table, is linked from the navigation
// and needs a sign-in.
func TestFailureReasonsPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	support := app.login(store.RoleSupport)
	page := support.page(paths.FailureReasons)
	if !page.has("failure-reasons-page") {
		t.Fatal("no reference page")
	}
	ids := map[string]bool{}
	for _, r := range page.testIDs("failure-reason-row") {
		ids[attrOf(r, "id")] = true
	}
	all := store.Reasons()
	for _, r := range all {
		if id := paths.FailureReasonAnchor(string(r.Kind), r.Code); !ids[id] {
			t.Errorf("the page lacks %s", id)
		}
	}
	if len(ids) != len(all) {
		t.Errorf("%d rows, want %d", len(ids), len(all))
	}
	if links := page.all("href", paths.FailureReasons); len(links) == 0 || attrOf(links[0], "aria-current") != "page" {
		t.Error("the navigation does not link the page as current")
	}
	if !strings.Contains(page.text("failure-reasons-refusal"), "Insufficient funds") {
		t.Error("the refusal table lacks the ISO 8583 names")
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(app.URL + paths.FailureReasons)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Errorf("signed out: %d, want a redirect to the login page", res.StatusCode)
	}
}
