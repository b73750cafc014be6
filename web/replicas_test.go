package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/storetest"
	"paydesk/views/paths"
)

// TestReplicasShareState: two Paydesk servers on one PostgreSQL database
// behave as one. A staff session started on A works on B and ends on both
// when signed out on B; a notification that lands on A reaches a live page
// polling B; a capture started on B is seen, and refused again, on A.
func TestReplicasShareState(t *testing.T) {
	dbURL := storetest.PostgresURL(t) // skips without PostgreSQL
	a := startPayApp(t, payAppOptions{DatabaseURL: dbURL})
	b := startPayApp(t, payAppOptions{DatabaseURL: dbURL, Peer: a})

	op := a.login(store.RoleOperator)
	onB := &browser{t: t, app: b, c: op.c} // the same cookies (they are per host, not per port)
	if res, _ := onB.get(paths.Payments); res.StatusCode != http.StatusOK {
		t.Fatalf("a session started on A: GET on B = %d, want 200", res.StatusCode)
	}

	// Created on B with MANUAL capture; its notifications go to B's URL.
	// Then the checkout is paid: the notification lands on B, and A's
	// live poll must see it.
	id := onB.createSession(sessionForm("captureMode", "MANUAL", "referenceOrderId", "order-replicas-1"))
	version := a.payment(id).Version
	if res, _ := op.htmx(paths.PaymentLive(id, version)); res.StatusCode != http.StatusNoContent {
		t.Fatalf("unchanged payment: live poll on A = %d, want 204", res.StatusCode)
	}
	if o := a.pay(id, sim.CardVisaSuccess); o.Status != antom.PaymentSuccess {
		t.Fatalf("pay: %s %s", o.Status, o.ResultCode)
	}
	b.waitFor("the notification applied on B", b.settledAs(id, store.StatusSuccess, store.CaptureNone))
	res, body := op.htmx(paths.PaymentLive(id, version))
	if (res.StatusCode != http.StatusOK && res.StatusCode != handlers.StatusStopPolling) || !strings.Contains(body, "Authorised") {
		t.Fatalf("after the notification on B: live poll on A = %d (want the new state, Authorised)\n%.400s", res.StatusCode, body)
	}

	// Captured in full on B (step-up from the sign-in on A still counts);
	// A then refuses a second capture: the balance is shared.
	if res, body := onB.post(paths.PaymentCapture(id), url.Values{"amount": {"42"}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("capture on B: status %d, want 303\n%.400s", res.StatusCode, body)
	}
	a.waitFor("captured, seen on A", a.settledAs(id, store.StatusSuccess, store.CaptureFull))
	if res, _ := op.post(paths.PaymentCapture(id), url.Values{"amount": {"1"}, "confirm": {"1"}}); res.StatusCode == http.StatusSeeOther {
		t.Error("A accepted a second capture of a payment B captured in full")
	}
	if n := len(a.payment(id).Captures); n != 1 {
		t.Errorf("%d captures, want 1", n)
	}

	// Signed out on B: the session is over on A too.
	if res, _ := onB.post(paths.Logout, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on B: %d", res.StatusCode)
	}
	if res, _ := op.get(paths.Payments); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), paths.Login) {
		t.Errorf("after signing out on B, GET on A = %d to %q, want a redirect to the login page", res.StatusCode, res.Header.Get("Location"))
	}
}
