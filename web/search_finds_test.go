package web

// Search that finds (issue 11): the inputs that found nothing before, each
// through GET /payments?q= and, for a capture or refund ID, on to the
// payment page with that row highlighted.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

func TestSearchFindsPastedAndPartialIDs(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	sup := app.login(store.RoleSupport)
	id := op.createSession(sessionForm("referenceOrderId", "ORD-20435", "buyerId", "BUYER-SF-1"))
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	if res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {"10"}, "password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d\n%.300s", res.StatusCode, body)
	}
	app.waitFor("refunded", func() bool {
		d := app.payment(id)
		return len(d.Refunds) == 1 && d.Refunds[0].RefundID != ""
	})
	d := app.payment(id)
	cp, rf := d.Captures[0], d.Refunds[0]
	if len(d.PaymentID) < 12 || d.CardLast4 == "" {
		t.Fatalf("paymentId %q, card %q: the test needs both", d.PaymentID, d.CardLast4)
	}
	spaced := d.PaymentID[:4] + " " + d.PaymentID[4:8] + " " + d.PaymentID[8:]
	captureAt := "?highlight=" + url.QueryEscape(cp.CaptureRequestID) + "#capture-" + strconv.FormatInt(cp.ID, 10)
	refundAt := "?highlight=" + url.QueryEscape(rf.RefundRequestID) + "#refund-" + strconv.FormatInt(rf.ID, 10)

	for _, tc := range []struct {
		name, q string
		opens   string // the payment page it redirects to, after paths.Payment(id); "-" lists instead
		rowID   string // the highlighted row on that page
	}{
		{"order in lower case", "ord-20435", "", ""},
		{"order without its dash", "ORD20435", "", ""},
		{"paymentRequestId in upper case", strings.ToUpper(id), "", ""},
		{"paymentId pasted with spaces inside", spaced, "", ""},
		{"captureId in lower case", strings.ToLower(cp.CaptureID), captureAt, "capture-row"},
		{"captureRequestId", cp.CaptureRequestID, captureAt, "capture-row"},
		{"refundId", rf.RefundID, refundAt, "refund-row"},
		{"refundRequestId in upper case", strings.ToUpper(rf.RefundRequestID), refundAt, "refund-row"},
		{"digits of the order (a fragment)", "20435", "-", ""},
		{"a fragment from the middle of the paymentId", d.PaymentID[5:14], "-", ""},
		{"card last four", d.CardLast4, "-", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := sup.get(paths.PaymentsSearch(tc.q))
			if tc.opens == "-" {
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want the list", res.StatusCode)
				}
				page := parseDoc(t, body)
				if rows := page.testIDs("payment-row"); len(rows) != 1 || !strings.Contains(page.text("payments-table"), id) {
					t.Errorf("%d rows, want the one payment", len(rows))
				}
				if page.has("search-narrow") || page.has("search-capped") {
					t.Error("one match asks to narrow it, or says it is capped")
				}
				return
			}
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303 to the payment\n%.300s", res.StatusCode, body)
			}
			loc := res.Header.Get("Location")
			if want := paths.Payment(id) + tc.opens; loc != want {
				t.Fatalf("went to %q, want %q", loc, want)
			}
			page := sup.page(strings.SplitN(loc, "#", 2)[0])
			for _, kind := range []string{"capture-row", "refund-row"} {
				for _, row := range page.testIDs(kind) {
					hit := strings.Contains(attrOf(row, "class"), "search-hit")
					if want := kind == tc.rowID; hit != want {
						t.Errorf("%s highlighted %v, want %v", kind, hit, want)
					}
					if hit && "#"+attrOf(row, "id") != "#"+strings.SplitN(loc, "#", 2)[1] {
						t.Errorf("highlighted row id %q, the redirect scrolls to %q", attrOf(row, "id"), loc)
					}
				}
			}
		})
	}

	// The search box names every ID it takes, in a hint under it; the
	// placeholder stays short enough not to be cut off.
	page := sup.page(paths.Payments)
	hint := page.text("search-hint")
	for _, want := range []string{"paymentRequestId", "paymentId", "referenceOrderId", "captureId", "captureRequestId", "refundId", "refundRequestId", "last four"} {
		if !strings.Contains(hint, want) {
			t.Errorf("search hint %q lacks %q", hint, want)
		}
	}
	if box := page.testIDs("search-box"); len(box) != 1 || len(attrOf(box[0], "placeholder")) > 30 || attrOf(box[0], "aria-describedby") != "q-hint" {
		t.Errorf("search box placeholder %q: want a short one, described by the hint", attrOf(box[0], "placeholder"))
	}
}

// A card's last four shared by many payments asks for a date or an amount,
// and the form it shows narrows the list.
func TestSearchCardLastFourAsksForASecondCriterion(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	var odd string
	for i := range store.CardNarrowAt + 1 {
		amount := "42.00"
		if i == 3 {
			amount = "230.00"
		}
		id := op.createSession(sessionForm("amount", amount, "referenceOrderId", fmt.Sprintf("card-%d", i)))
		app.pay(id, sim.CardVisaSuccess)
		if i == 3 {
			odd = id
		}
	}
	app.waitFor("all paid", func() bool {
		page, err := app.Store.ListPayments(t.Context(), store.PaymentFilter{Status: store.StatusSuccess, Limit: 100})
		return err == nil && len(page.Items) == store.CardNarrowAt+1
	})
	last4 := app.payment(odd).CardLast4

	page := op.page(paths.PaymentsSearch(last4))
	if !page.has("search-narrow") || !strings.Contains(page.text("search-narrow"), "More than 20 payments") {
		t.Fatalf("no request for a second criterion: %q", page.text("search-narrow"))
	}
	if n := len(page.testIDs("payment-row")); n != store.CardNarrowAt+1 {
		t.Errorf("%d rows listed, want all %d", n, store.CardNarrowAt+1)
	}

	byAmount := op.page(paths.Payments + "?" + url.Values{"q": {last4}, "amount": {"230"}}.Encode())
	if rows := byAmount.testIDs("payment-row"); len(rows) != 1 || !strings.Contains(byAmount.text("payments-table"), odd) {
		t.Errorf("narrowed by amount: %d rows, want %s alone", len(rows), odd)
	}
	if !byAmount.has("search-narrow") || strings.Contains(byAmount.text("search-narrow"), "More than") {
		t.Errorf("narrowed by amount: the form %q should stay, without asking again", byAmount.text("search-narrow"))
	}

	today := app.now().UTC().Format(time.DateOnly)
	yesterday := app.now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if n := len(op.page(paths.Payments + "?" + url.Values{"q": {last4}, "on": {today}}.Encode()).testIDs("payment-row")); n != store.CardNarrowAt+1 {
		t.Errorf("narrowed to today: %d rows, want %d", n, store.CardNarrowAt+1)
	}
	if n := len(op.page(paths.Payments + "?" + url.Values{"q": {last4}, "on": {yesterday}}.Encode()).testIDs("payment-row")); n != 0 {
		t.Errorf("narrowed to yesterday: %d rows, want none", n)
	}

	res, body := op.get(paths.Payments + "?" + url.Values{"q": {last4}, "amount": {"ten"}}.Encode())
	if res.StatusCode != http.StatusBadRequest || !parseDoc(t, body).has("narrow-amount-error") {
		t.Errorf("a bad amount: status %d, want 400 with the error at the amount field", res.StatusCode)
	}
}

// A search text longer than any ID is refused at the box, and the page
// echoes it bounded.
func TestSearchTextIsBounded(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	long := strings.Repeat("a", 4000)
	res, body := op.get(paths.Payments + "?" + url.Values{"q": {long}}.Encode())
	if res.StatusCode != http.StatusBadRequest || !parseDoc(t, body).has("q-error") {
		t.Errorf("a 4,000-character search: status %d, want 400 with the error at the box", res.StatusCode)
	}
	if strings.Contains(body, strings.Repeat("a", store.MaxSearchText+2)) {
		t.Error("the page echoes the whole text: it should be cut to the box's bound")
	}
}
