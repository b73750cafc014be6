package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// rowsByID maps each payments-list row's paymentRequestId to the text of
// the cell with data-testid=cell.
func rowsByID(d *doc, cell string) map[string]string {
	out := map[string]string{}
	for _, r := range d.testIDs("payment-row") {
		out[attrOf(r, "data-payment-request-id")] = (&doc{t: d.t, root: r}).text(cell)
	}
	return out
}

// A refunded payment says so, in words, on the list, its page, the orders
// list and the status filter; Antom's raw status stays beside the words.
func TestStatusWordsFollowRefunds(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	refund := func(id, amount string, want int64) {
		t.Helper()
		res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {amount}, "reason": {"customer asked"}, "password": {payTestPassword}, "confirm": {"1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("refund %s of %s: status %d, want 303\n%s", amount, id, res.StatusCode, body)
		}
		app.waitFor("refund settled", func() bool { return app.payment(id).RefundedMinor == want })
	}
	full := op.createSession(sessionForm("amount", "230", "currency", "SGD", "referenceOrderId", "order-full"))
	app.pay(full, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(full, store.StatusSuccess, store.CaptureFull))
	refund(full, "230.00", 23000)
	part := op.createSession(sessionForm("amount", "42", "currency", "SGD", "referenceOrderId", "order-part"))
	app.pay(part, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(part, store.StatusSuccess, store.CaptureFull))
	refund(part, "5.00", 500)
	kept := op.createSession(sessionForm("referenceOrderId", "order-kept"))
	app.pay(kept, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(kept, store.StatusSuccess, store.CaptureFull))
	authorised := manualAuthorized(t, app, op, "referenceOrderId", "order-auth")

	list := op.page(paths.Payments)
	wantWords := map[string]string{full: "Refunded", part: "Partially refunded", kept: "Captured", authorised: "Authorised (not captured)"}
	if got := rowsByID(list, "row-status"); !maps.Equal(got, wantWords) {
		t.Errorf("list statuses %v, want %v", got, wantWords)
	}
	if got := rowsByID(list, "row-raw-status"); got[full] != "SUCCESS" || got[authorised] != "SUCCESS" {
		t.Errorf("raw statuses %v, want SUCCESS beside the words", got)
	}
	wantRefunded := map[string]string{full: "230.00 SGD", part: "5.00 SGD", kept: "—", authorised: "—"}
	if got := rowsByID(list, "row-refunded"); !maps.Equal(got, wantRefunded) {
		t.Errorf("refunded column %v, want %v", got, wantRefunded)
	}
	if !strings.Contains(list.raw, ">Refunded</th>") {
		t.Error("the list has no Refunded column header")
	}
	var options []string
	for _, o := range list.testIDs("status-filter") {
		for c := o.FirstChild; c != nil; c = c.NextSibling {
			if c.Data == "option" {
				options = append(options, nodeText(c))
			}
		}
	}
	for _, w := range []string{"Refunded", "Partially refunded", "Authorised (not captured)", "Closed unpaid"} {
		if !slices.Contains(options, w) {
			t.Errorf("status filter options %q lack %q", options, w)
		}
	}
	if slices.Contains(options, "SUCCESS") {
		t.Errorf("status filter options %q still offer raw codes", options)
	}

	for key, want := range map[string][]string{"refunded": {full}, "partially_refunded": {part}, "captured": {kept}, "authorised": {authorised}} {
		f := op.page(paths.Payments + "?status=" + key)
		var got []string
		for _, r := range f.testIDs("payment-row") {
			got = append(got, attrOf(r, "data-payment-request-id"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("status filter %s: rows %v, want %v", key, got, want)
		}
	}

	for id, want := range map[string]string{full: "Refunded", part: "Partially refunded"} {
		page := op.page(paths.Payment(id))
		if got := page.text("status-badge"); got != want {
			t.Errorf("%s page status %q, want %q", id, got, want)
		}
		if got := page.text("raw-status"); got != "SUCCESS" {
			t.Errorf("%s page raw status %q, want SUCCESS beside the words", id, got)
		}
	}

	orders := op.page(paths.Orders + "?q=order-full")
	if got, attempt := orders.text("order-state"), orders.text("attempt-status"); got != "Refunded" || attempt != "Refunded" {
		t.Errorf("orders say %q, attempt %q; want Refunded for both", got, attempt)
	}
	if got := op.page(paths.Orders + "?q=order-auth").text("order-state"); got != "Authorised (not captured)" {
		t.Errorf("an authorised order says %q, want Authorised (not captured)", got)
	}
}
