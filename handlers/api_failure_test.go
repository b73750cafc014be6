package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"paydesk/store"
	"paydesk/views/paths"
)

// failureOfJSON is the failure object of a payment as GET
// /api/v1/payments/{id} shows it; nil when absent.
func (a *apiApp) failureOfJSON(id string) map[string]any {
	a.t.Helper()
	r := a.call(http.MethodGet, paths.APIPayment(id), a.Key, nil).want(a.t, http.StatusOK)
	f, _ := r.JSON["failure"].(map[string]any)
	return f
}

// The app API explains a failed, cancelled or expired payment the way the
// dashboard does, so the app can tell the buyer the same thing; a paid
// payment has no failure object.
func TestAPIFailureObject(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	declined := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, declined, app.card(declined, "fail")); err != nil {
		t.Fatal(err)
	}
	app.waitFor("FAIL", func() bool { return app.payment(declined).Status == store.StatusFail })
	paid := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, paid, app.card(paid, "success")); err != nil {
		t.Fatal(err)
	}
	app.waitFor("SUCCESS", func() bool { return app.payment(paid).Status == store.StatusSuccess })
	expired := app.createSession()
	app.Clock.Set(app.payment(expired).SessionExpiresAt)
	if _, err := app.Store.ExpireSessions(bg, app.Clock.Now()); err != nil {
		t.Fatal(err)
	}

	f := app.failureOfJSON(declined)
	if f == nil || f["code"] != "ISSUER_REJECTS_TRANSACTION" || f["stoppedBy"] != "issuer" || f["retryable"] != true ||
		f["retry"] != "another_card" || f["unknown"] != false || f["reason"] == "" ||
		f["customerMessage"] != "This card cannot be used for this payment. Please use another card." {
		t.Errorf("declined: failure %v", f)
	}
	// The simulator's decline carries the issuer's raw reason and
	// Mastercard's advice code; the explanation reads both.
	if f["refusalReason"] != "57 Transaction not permitted to cardholder" || f["adviceCode"] != "03" {
		t.Errorf("declined: refusal reason and advice code: failure %v", f)
	}
	if f := app.failureOfJSON(paid); f != nil {
		t.Errorf("paid: failure %v, want none", f)
	}
	if f := app.failureOfJSON(expired); f == nil || f["code"] != "SESSION_EXPIRED" || f["stoppedBy"] != "session_expired" || f["retryable"] != true {
		t.Errorf("expired: failure %v", f)
	}
}

// Antom closes a checkout nobody paid: the API says closed unpaid (not a
// decline), and, when the app reported that the buyer left, that the buyer
// stopped it.
func TestAPIFailureClosedUnpaid(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{OrderClose: 30 * time.Minute})
	left := app.createSession()
	app.call(http.MethodPost, paths.APISDKEvents(left), app.secrets[left], map[string]any{"eventCode": "SDK_PAYMENT_CANCEL"}).want(t, http.StatusCreated)
	idle := app.createSession()
	app.Clock.Advance(31 * time.Minute)
	app.waitFor("the orders to close", func() bool {
		return app.payment(left).Status == store.StatusFail && app.payment(idle).Status == store.StatusFail
	})
	for id, who := range map[string]string{left: "buyer", idle: "closed_unpaid"} {
		r := app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusOK)
		f, _ := r.JSON["failure"].(map[string]any)
		if f == nil || f["code"] != "ORDER_IS_CLOSED" || f["stoppedBy"] != who || f["retry"] != "yes" || f["retryable"] != true {
			t.Errorf("%s: failure %v, want ORDER_IS_CLOSED stopped by %s", id, f, who)
		}
		if str(r.JSON, "displayStatus") != "closed_unpaid" {
			t.Errorf("%s: displayStatus %q, want closed_unpaid", id, str(r.JSON, "displayStatus"))
		}
	}
}
