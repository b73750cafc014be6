package app_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
	"paydesk/web/app"
)

// metricValue is the value of the sample line of /metrics that starts
// with series (name and labels, as the text format writes them); -1 when
// there is none.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return v
		}
	}
	return -1
}

// TestMetricsMoveAfterADelivery runs the whole assembly: a session created
// through the Antom client, paid in the embedded simulator, whose signed
// PAYMENT_RESULT the webhook verifies, applies and commits. The scrape
// after it shows the delivery, its latency, the Antom exchange, the group
// commits and the verified-delivery time, all moved from the scrape before.
func TestMetricsMoveAfterADelivery(t *testing.T) {
	ctx := context.Background()
	a, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), Simulator: app.Simulator{InMemory: true, NoSDKEvents: true},
		Auth: handlers.AuthConfig{PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	get := func() string {
		t.Helper()
		res, err := http.Get("http://" + a.Addr + paths.Metrics)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d\n%s", res.StatusCode, b)
		}
		return string(b)
	}
	const (
		applied  = `paydesk_webhook_deliveries_total{outcome="applied",verdict="ok"}`
		latency  = `paydesk_webhook_delivery_duration_seconds_count{verdict="ok"}`
		session  = `paydesk_antom_calls_total{api="createPaymentSession",result_code="SUCCESS",result_status="S"}`
		commits  = `paydesk_store_commit_batch_size_count`
		verified = `paydesk_webhook_last_verified_timestamp_seconds`
	)
	before := get()
	for _, s := range []string{applied, latency, session} {
		if v := metricValue(t, before, s); v > 0 {
			t.Fatalf("%s = %v before anything happened", s, v)
		}
	}
	commitsBefore := metricValue(t, before, commits)

	p, err := a.Store.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: "order-metrics", Description: "Two coffees", AmountMinor: 1200, Currency: "SGD",
		NotifyURL: "http://" + a.Addr + paths.WebhookAntom, RedirectURL: a.URL + paths.Payments, Sandbox: true, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = a.Handlers.Operations.CreateSession(ctx, p); err != nil || p.Status != store.StatusSessionReady {
		t.Fatalf("create session: %v %+v", err, p)
	}
	if out, err := a.Simulator.Sim.PayByRequestID(ctx, p.PaymentRequestID, sim.Card{Number: sim.CardVisaSuccess}); err != nil || out.Status != antom.PaymentSuccess {
		t.Fatalf("pay: %v %+v", err, out)
	}
	var after string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = get()
		if metricValue(t, after, applied) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no applied delivery counted:\n%s", after)
		}
	}
	if v := metricValue(t, after, latency); v < 1 {
		t.Errorf("%s = %v, want ≥ 1", latency, v)
	}
	if v := metricValue(t, after, session); v != 1 {
		t.Errorf("%s = %v, want 1", session, v)
	}
	if v := metricValue(t, after, commits); v <= commitsBefore {
		t.Errorf("%s = %v, was %v: the commits were not observed", commits, v, commitsBefore)
	}
	if v := metricValue(t, after, verified); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("%s = %v, want about now", verified, v)
	}
}
