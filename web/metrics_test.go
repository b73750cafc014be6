package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
	"paydesk/web/metrics"
)

// metricsApp is a secApp whose server serves metrics with token (empty:
// loopback only) behind proxies.
func metricsApp(t *testing.T, token string, proxies ...string) (*secApp, *metrics.Metrics) {
	t.Helper()
	clock := &secClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(context.Background(), t.TempDir(), store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	h, err := handlers.New(handlers.Deps{Store: st, Now: clock.Now, Metrics: m,
		Auth: handlers.AuthConfig{SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD"), PasswordParams: secParams}})
	if err != nil {
		t.Fatal(err)
	}
	m.WatchOperations(h.Operations.Health)
	var nets []*net.IPNet
	for _, p := range proxies {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	ws, err := New(Config{Metrics: m, MetricsToken: token, TrustedProxies: nets}, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &secApp{t: t, srv: srv, Store: st, H: h, Web: ws, Clock: clock}, m
}

func scrape(t *testing.T, a *secApp, header http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+paths.Metrics, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return a.client().do(req)
}

// TestMetricsAccess: loopback clients scrape; a client elsewhere (as the
// trusted proxy's X-Forwarded-For says) gets 403 without a token
// configured, 401 with a token configured but a missing or wrong one, and
// the metrics with the right one. A loopback proxy that was not declared
// trusted does not make its clients local.
func TestMetricsAccess(t *testing.T) {
	const token = "s3cret-metrics-token-0123456789"
	remote := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	for _, tc := range []struct {
		name    string
		token   string
		proxies []string
		header  http.Header
		want    int
	}{
		{"loopback, no token configured", "", nil, nil, http.StatusOK},
		{"loopback, token configured", token, nil, nil, http.StatusOK},
		{"remote via trusted proxy, no token configured", "", []string{"127.0.0.0/8"}, remote, http.StatusForbidden},
		{"remote via untrusted loopback proxy", "", nil, remote, http.StatusForbidden},
		{"remote, token configured, none sent", token, []string{"127.0.0.0/8"}, remote, http.StatusUnauthorized},
		{"remote, wrong token", token, []string{"127.0.0.0/8"}, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "Authorization": {"Bearer " + token + "x"}}, http.StatusUnauthorized},
		{"remote, right token", token, []string{"127.0.0.0/8"}, http.Header{"X-Forwarded-For": {"203.0.113.7"}, "Authorization": {"Bearer " + token}}, http.StatusOK},
		{"loopback client via trusted proxy", "", []string{"127.0.0.0/8"}, http.Header{"X-Forwarded-For": {"127.0.0.1"}}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := metricsApp(t, tc.token, tc.proxies...)
			res, body := scrape(t, a, tc.header)
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.want, body)
			}
			has := strings.Contains(body, "paydesk_")
			if tc.want == http.StatusOK != has {
				t.Errorf("status %d, metrics in the body: %v", res.StatusCode, has)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestMetricsPresentAndMoving: the text format holds the Paydesk metrics,
// the backlog read at scrape time and the Go and process collectors; a
// refused delivery, a live poll answered 204 and one answered with a change
// move their counters.
func TestMetricsPresentAndMoving(t *testing.T) {
	a, _ := metricsApp(t, "")
	res, body := scrape(t, a, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, name := range []string{"paydesk_store_commit_batch_size_bucket", "paydesk_store_commit_duration_seconds_count",
		"paydesk_reconciler_queue_depth", "paydesk_reconciler_lag_seconds", "paydesk_reconciler_oldest_pending_age_seconds",
		"paydesk_poller_queue_depth", "paydesk_poller_lag_seconds", "paydesk_webhook_last_verified_timestamp_seconds",
		"go_goroutines", "go_memstats_heap_alloc_bytes", "process_start_time_seconds"} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("%s missing from /metrics", name)
		}
	}

	// A notification without a signature: refused, counted with its verdict.
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+paths.WebhookAntom, strings.NewReader(`{"notifyType":"PAYMENT_RESULT"}`))
	req.Header.Set("Content-Type", "application/json")
	if res, _ := a.client().do(req); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned notification: %d, want 401", res.StatusCode)
	}
	if _, body = scrape(t, a, nil); !strings.Contains(body, `paydesk_webhook_deliveries_total{outcome="rejected",verdict="missing"} 1`) ||
		!strings.Contains(body, `paydesk_webhook_delivery_duration_seconds_count{verdict="missing"} 1`) {
		t.Errorf("the delivery is not in /metrics")
	}

	// Live polls: the payments list's, unchanged (204) then changed.
	a.addUser("sam@example.com", store.RoleSupport, "Sam")
	c := a.client()
	c.login("sam@example.com")
	seq, err := a.Store.LatestSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	poll := paths.Payments + "?since=" + strconv.FormatInt(seq, 10)
	if res, _ := c.get(poll); res.StatusCode != http.StatusNoContent {
		t.Fatalf("unchanged poll: %d, want 204", res.StatusCode)
	}
	if _, err := a.Store.CreatePayment(context.Background(), store.NewPayment{ReferenceOrderID: "order-1", Description: "Tea", AmountMinor: 500, Currency: "SGD",
		NotifyURL: "http://127.0.0.1:1/webhooks/antom", RedirectURL: "http://127.0.0.1:1/payments", CreatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	if res, _ := c.get(poll); res.StatusCode != http.StatusOK {
		t.Fatalf("changed poll: %d, want 200", res.StatusCode)
	}
	if _, body = scrape(t, a, nil); !strings.Contains(body, `paydesk_live_polls_total{answer="unchanged",page="payments"} 1`) ||
		!strings.Contains(body, `paydesk_live_polls_total{answer="changed",page="payments"} 1`) {
		t.Errorf("live polls not counted:\n%s", grepLines(body, "paydesk_live_polls_total"))
	}
}

// grepLines is the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
