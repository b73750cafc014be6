package web

// The background jobs: the inquiry poller (session retries and inquiries on
// the store's schedule) and the sweeper (session expiry, stuck payments).

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func TestPollerRetriesUnknownSession(t *testing.T) {
	app := startPayApp(t, payAppOptions{Faults: sim.Faults{APIUnknown: 3, APIs: []string{"createPaymentSession"}}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	if d := app.payment(id); d.Status != store.StatusCreated {
		t.Fatalf("status %s, want CREATED after U", d.Status)
	}
	app.advance(5 * time.Second) // the store schedules the retry on its back-off
	if _, err := app.Jobs.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := app.payment(id)
	if d.Status != store.StatusSessionReady || d.Flags.Has(store.FlagUnknownOutcome) {
		t.Fatalf("after a poll round: %s flags %s, want SESSION_READY, flag cleared", d.Status, d.Flags)
	}
	if n := len(app.Sim.Sim.Payments()); n != 1 {
		t.Errorf("the simulator holds %d payments, want 1 (same paymentRequestId retried)", n)
	}
}

func TestPollerSettlesWithoutNotifications(t *testing.T) {
	// No notification ever arrives; the running poller finds out by inquiry.
	app := startPayApp(t, payAppOptions{Jobs: true, Faults: sim.Faults{DropFirst: 8}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("SUCCESS by inquiry", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	if n := len(app.deliveries(id)); n != 0 {
		t.Errorf("%d deliveries stored, want none (all dropped)", n)
	}
	polled := false
	for _, e := range app.payment(id).Timeline {
		if e.Kind == store.EventInquiry && e.Actor == "poller" {
			polled = true
		}
	}
	if !polled {
		t.Error("no poller inquiry on the timeline")
	}
	// Shutdown (in cleanup) waits for the jobs; a leaked job would fail it.
}

func TestSweeperExpiresAndFlagsStuck(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	open := op.createSession(sessionForm())
	pending := op.createSession(sessionForm())
	app.pay(pending, sim.CardPending)
	app.waitFor("PROCESSING", func() bool { return app.payment(pending).Status == store.StatusProcessing })

	app.advanceJobs(15 * time.Minute)
	if err := app.Jobs.SweepOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	d := app.payment(pending)
	if !d.Flags.Has(store.FlagStuck) {
		t.Fatalf("flags %s after the order-close window, want stuck", d.Flags)
	}
	page := op.page(paths.Payment(pending))
	if !strings.Contains(strings.Join(page.texts("payment-flag"), "|"), "stuck") || len(page.all("data-flag", "stuck")) != 1 {
		t.Error("the page does not show the payment as stuck, with what to do")
	}
	if list := op.page(paths.Payments); !strings.Contains(strings.Join(list.texts("row-flag"), "|"), "stuck") {
		t.Error("the list does not show the payment as stuck")
	}
	if rows := op.page(paths.Payments + "?attention=1").testIDs("payment-row"); len(rows) != 1 || attrOf(rows[0], "data-payment-request-id") != pending {
		t.Errorf("needs-attention filter: %d rows, want only the stuck payment", len(rows))
	}

	if app.payment(open).Status != store.StatusSessionReady {
		t.Fatal("the open session expired too early")
	}
	app.advanceJobs(time.Hour)
	if err := app.Jobs.SweepOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := app.payment(open).Status; got != store.StatusExpired {
		t.Fatalf("status %s after the session expiry, want EXPIRED", got)
	}
	page = op.page(paths.Payment(open))
	if !page.has("session-expired") || page.has("open-checkout") {
		t.Error("an expired session is not shown as expired, or still offers the checkout")
	}
}
