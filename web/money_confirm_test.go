package web

// Money actions ask before they move money: the amount starts empty, the
// first submit shows a confirmation naming amount and payment and changes
// nothing, refunds and cancels ask for the password every time.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

func TestRefundAsksForConfirmation(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm()) // 42.00 SGD, captured automatically
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))

	page := op.page(paths.Payment(id))
	if v := page.testIDs("refund-amount"); len(v) != 1 || attrOf(v[0], "value") != "" {
		t.Fatalf("refund amount fields %d, value %q; want one, empty", len(v), attrOf(v[0], "value"))
	}
	if v := page.testIDs("refund-full"); len(v) != 1 || attrOf(v[0], "data-fill-value") != "42.00" || attrOf(v[0], "data-fill-target") != "refund-amount" {
		t.Errorf("the full-amount button does not fill refund-amount with 42.00")
	}
	if page.has("refund-password") {
		t.Error("the refund form asks for the password before the amount is confirmed")
	}

	nothingChanged := func(t *testing.T, what string, before qaLedger) {
		t.Helper()
		if after := app.qaLedger(); after != before {
			t.Errorf("%s changed something: %+v → %+v", what, before, after)
		}
		if d := app.payment(id); len(d.Refunds) != 0 || len(d.Operations) != 0 {
			t.Errorf("%s: %d refunds, %d operations; want none", what, len(d.Refunds), len(d.Operations))
		}
		if _, r := app.qaSimCaptures(id); r != 0 {
			t.Errorf("%s: Antom holds %d refunds, want 0", what, r)
		}
	}
	form := url.Values{"amount": {"15.5"}, "reason": {"customer asked"}, "password": {payTestPassword}}

	t.Run("without confirmation", func(t *testing.T) {
		before := app.qaLedger()
		res, body := op.post(paths.PaymentRefund(id), form)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200 with the confirmation panel", res.StatusCode)
		}
		panel := parseDoc(t, body)
		if got, want := panel.text("refund-confirm-text"), "Refund 15.50 SGD of payment "+id+" to the buyer?"; got != want {
			t.Errorf("confirmation %q, want %q", got, want)
		}
		if !panel.has("refund-password") || !panel.has("refund-confirm-submit") {
			t.Error("the confirmation panel lacks the password field or the confirm button")
		}
		nothingChanged(t, "a refund without confirmation", before)
	})
	t.Run("confirmed without the password right after sign-in", func(t *testing.T) {
		before := app.qaLedger()
		res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {"15.5"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422 asking for the password", res.StatusCode)
		}
		if got := parseDoc(t, body).text("refund-password-error"); got == "" {
			t.Error("no inline password error on the confirmation panel")
		}
		nothingChanged(t, "a refund without the password", before)
	})
	t.Run("confirmed", func(t *testing.T) {
		confirmed := url.Values{"amount": {"15.5"}, "reason": {"customer asked"}, "password": {payTestPassword}, "confirm": {"1"}}
		if res, body := op.post(paths.PaymentRefund(id), confirmed); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303\n%s", res.StatusCode, body)
		}
		app.waitFor("refunded", func() bool {
			d := app.payment(id)
			return len(d.Refunds) == 1 && d.Refunds[0].Status == store.TxnSuccess
		})
		if d := app.payment(id); d.Refunds[0].AmountMinor != 1550 || d.Refunds[0].Reason != "customer asked" {
			t.Errorf("refund %d %q, want 1550 “customer asked”", d.Refunds[0].AmountMinor, d.Refunds[0].Reason)
		}
	})
}

func TestCancelAsksForConfirmationAndPassword(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op)
	fresh := app.login(store.RoleAdmin) // signed in just now: the window is open

	res, body := fresh.post(paths.PaymentCancel(id), nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 with the confirmation panel", res.StatusCode)
	}
	panel := parseDoc(t, body)
	if got := panel.text("cancel-confirm-text"); !strings.Contains(got, "Cancel payment "+id) || !strings.Contains(got, "42.00 SGD") {
		t.Errorf("confirmation %q, want it to name the payment and its amount", got)
	}
	if !panel.has("cancel-password") {
		t.Error("the cancel confirmation does not ask for the password right after signing in")
	}
	res, body = fresh.post(paths.PaymentCancel(id), url.Values{"confirm": {"1"}})
	if res.StatusCode != http.StatusUnprocessableEntity || parseDoc(t, body).text("cancel-password-error") == "" {
		t.Errorf("confirmed without the password: status %d, want 422 with an inline error", res.StatusCode)
	}
	if d := app.payment(id); d.Status != store.StatusSuccess || len(d.Operations) != 0 {
		t.Fatalf("after refused cancels: %s with %d operations, want SUCCESS and none", d.Status, len(d.Operations))
	}
	if res, body := fresh.post(paths.PaymentCancel(id), url.Values{"confirm": {"1"}, "password": {payTestPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed with the password: status %d, want 303\n%s", res.StatusCode, body)
	}
	app.waitFor("cancelled", func() bool { return app.payment(id).Status == store.StatusCancelled })
}

func TestCaptureConfirmationKeepsThePasswordWindow(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op)

	page := op.page(paths.Payment(id))
	if v := page.testIDs("capture-amount"); len(v) != 1 || attrOf(v[0], "value") != "" {
		t.Fatalf("the capture amount does not start empty")
	}
	res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 with the confirmation panel", res.StatusCode)
	}
	panel := parseDoc(t, body)
	if got, want := panel.text("capture-confirm-text"), "Capture 42.00 SGD of payment "+id+"?"; got != want {
		t.Errorf("confirmation %q, want %q", got, want)
	}
	if panel.has("capture-password") {
		t.Error("the capture confirmation asks for the password within 5 minutes of signing in")
	}
	if n := len(app.payment(id).Captures); n != 0 {
		t.Fatalf("%d captures before confirming, want 0", n)
	}
	if res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42"}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: status %d, want 303\n%s", res.StatusCode, body)
	}
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
}

func TestMoneyConfirmationRefusesWhatCannotGoThrough(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := manualAuthorized(t, app, op)
	res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42.01"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	d := parseDoc(t, body)
	if got := d.text("capture-amount-error"); !strings.Contains(got, "42.00 SGD") || d.has("capture-confirm") {
		t.Errorf("amount error %q (confirmation shown: %v), want the maximum named and no confirmation", got, d.has("capture-confirm"))
	}
}
