package web

// QA: Paydesk's Antom client behind a hostile network. A proxy in front of
// the simulator lets each call reach Antom (so Antom acts on it) and then
// spoils the answer: a signed body under HTTP 500, a body too large to read,
// a body that is not JSON, a body that never finishes. Each time the payment
// must say the outcome is unknown, Paydesk must repeat the call only with
// the same request ID, and Antom must end up with exactly one of each thing.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// Spoilers the hostile proxy applies to an API's answer.
const (
	spoilNone    = ""
	spoil500     = "signed-500" // Antom's signed answer, under HTTP 500
	spoilHuge    = "huge"       // Antom's answer followed by 5 MiB
	spoilNotJSON = "not-json"   // an HTML error page with status 200
	spoilSlow    = "slow"       // headers, then a body that stalls past the client's timeout
)

// hostileAntom forwards to the simulator and spoils the answers of the APIs
// it is told to.
type hostileAntom struct {
	target string
	srv    *httptest.Server

	mu    sync.Mutex
	spoil map[string]string   // api → spoiler
	seen  map[string][][]byte // api → request bodies, in order
}

func newHostileAntom(t *testing.T, target string) *hostileAntom {
	h := &hostileAntom{target: target, spoil: map[string]string{}, seen: map[string][][]byte{}}
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hostileAntom) set(api, spoiler string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.spoil[api] = spoiler
}

// requests returns the bodies sent to an API.
func (h *hostileAntom) requests(api string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.seen[api]...)
}

func (h *hostileAntom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	api := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	h.mu.Lock()
	h.seen[api] = append(h.seen[api], body)
	spoiler := h.spoil[api]
	h.mu.Unlock()

	req, _ := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, h.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for k, v := range res.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	switch spoiler {
	case spoil500:
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(answer)
	case spoilHuge:
		w.WriteHeader(http.StatusOK)
		w.Write(answer)
		w.Write(bytes.Repeat([]byte(" "), 5<<20))
	case spoilNotJSON:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
	case spoilSlow:
		w.WriteHeader(http.StatusOK)
		w.Write(answer[:1])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	default:
		w.WriteHeader(res.StatusCode)
		w.Write(answer)
	}
}

// useHostileAntom points Paydesk's Antom client at a hostile proxy in front
// of the simulator, with a short per-call timeout. Notifications are
// dropped, so only Paydesk's own calls (and inquiries) can settle anything.
func (a *payApp) useHostileAntom(t *testing.T) *hostileAntom {
	t.Helper()
	h := newHostileAntom(t, a.Sim.URL)
	merchant, antomKey, _ := payKeys(t)
	a.H.Antom = antom.NewClient(h.srv.URL, payTestClientID, merchant, &antomKey.PublicKey,
		antom.WithRetryBackoff(5*time.Millisecond), antom.WithTimeout(300*time.Millisecond))
	a.Sim.Sim.SetFaults(sim.Faults{DropFirst: 8})
	// A store read after the swap orders it before the server's next use
	// of the client (the handlers read the store first).
	_, _ = a.Store.LatestSeq(context.Background())
	return h
}

// sameRequestIDs fails unless every body sent to an API names the same
// value of field, and returns it.
func sameRequestIDs(t *testing.T, bodies [][]byte, field string) string {
	t.Helper()
	if len(bodies) == 0 {
		t.Fatalf("no request carried %s", field)
	}
	var first string
	for i, b := range bodies {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("request %d is not JSON: %v", i, err)
		}
		v, _ := m[field].(string)
		if i == 0 {
			first = v
		} else if v != first || !bytes.Equal(b, bodies[0]) {
			t.Errorf("request %d: %s %q, body differs %v; want the first request repeated", i, field, v, !bytes.Equal(b, bodies[0]))
		}
	}
	return first
}

// settleByInquiry runs poll and reconciler rounds until cond holds.
func (a *payApp) settleByInquiry(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 20 && !cond(); i++ {
		if _, err := a.Jobs.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Jobs.ReconcileOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !cond() {
			a.advanceJobs(time.Minute)
		}
	}
	if !cond() {
		t.Fatalf("inquiries did not settle: %s", what)
	}
}

func TestQAHostileAntomSessionAnswer(t *testing.T) {
	for _, spoiler := range []string{spoil500, spoilHuge, spoilNotJSON, spoilSlow} {
		t.Run(spoiler, func(t *testing.T) {
			app := startPayApp(t, payAppOptions{})
			op := app.login(store.RoleOperator)
			h := app.useHostileAntom(t)
			h.set("createPaymentSession", spoiler)

			id := op.createSession(sessionForm())
			d := app.payment(id)
			if d.Status != store.StatusCreated || !d.Flags.Has(store.FlagUnknownOutcome) || d.SessionData != "" {
				t.Fatalf("after a spoiled answer: %s flags %s, want CREATED, unknown_outcome, no session", d.Status, d.Flags)
			}
			if d.NextPollAt.IsZero() {
				t.Error("the unknown outcome is not scheduled for a retry")
			}
			// The poller retries with the same paymentRequestId; Antom now answers.
			h.set("createPaymentSession", spoilNone)
			app.settleByInquiry(t, "session ready", func() bool { return app.payment(id).Status == store.StatusSessionReady })
			got := sameRequestIDs(t, h.requests("createPaymentSession"), "paymentRequestId")
			if got != id {
				t.Errorf("Antom was asked for %q, the ledger has %q", got, id)
			}
			if n := len(app.Sim.Sim.Payments()); n != 1 {
				t.Errorf("Antom holds %d payments, want 1", n)
			}
			v, _ := app.Sim.Sim.Payment(id)
			if p := app.payment(id); p.SessionData != v.SessionData || p.Flags.Has(store.FlagUnknownOutcome) {
				t.Errorf("ledger session differs from Antom's, or still flagged %s", p.Flags)
			}
		})
	}
}

func TestQAHostileAntomCaptureAnswer(t *testing.T) {
	for _, spoiler := range []string{spoil500, spoilHuge, spoilNotJSON, spoilSlow} {
		t.Run(spoiler, func(t *testing.T) {
			app := startPayApp(t, payAppOptions{})
			op := app.login(store.RoleOperator)
			id := manualAuthorized(t, app, op)
			h := app.useHostileAntom(t)
			h.set("capture", spoiler)

			res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42.00"}, "password": {payTestPassword}, "confirm": {"1"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("capture: %d\n%.300s", res.StatusCode, body)
			}
			d := app.payment(id)
			if len(d.Captures) != 1 || d.Captures[0].Status != store.TxnProcessing || d.CaptureState != store.CapturePending {
				t.Fatalf("after a spoiled answer: %d captures, state %s; want one PROCESSING", len(d.Captures), d.CaptureState)
			}
			// A second click is refused while the first is unknown.
			if res, _ := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42.00"}, "password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusConflict {
				t.Errorf("second capture while the first is unknown: %d, want 409", res.StatusCode)
			}
			reqID := sameRequestIDs(t, h.requests("capture"), "captureRequestId")
			if reqID != d.Captures[0].CaptureRequestID {
				t.Errorf("Antom was asked for %q, the ledger has %q", reqID, d.Captures[0].CaptureRequestID)
			}
			// The inquiry tells the truth: Antom captured once.
			app.settleByInquiry(t, "capture settled", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
			v, _ := app.Sim.Sim.Payment(id)
			if len(v.Captures) != 1 || v.Captures[0].CaptureRequestID != reqID {
				t.Errorf("Antom holds %d captures, want exactly the one requested", len(v.Captures))
			}
			if d := app.payment(id); len(d.Captures) != 1 || d.Captures[0].Status != store.TxnSuccess || d.CapturedMinor != 4200 {
				t.Errorf("ledger: %d captures, captured %d", len(d.Captures), d.CapturedMinor)
			}
		})
	}
}

func TestQAHostileAntomRefundAndCancelAnswers(t *testing.T) {
	t.Run("refund, slow body", func(t *testing.T) {
		app := startPayApp(t, payAppOptions{})
		op := app.login(store.RoleOperator)
		id := op.createSession(sessionForm())
		app.pay(id, sim.CardVisaSuccess)
		app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
		h := app.useHostileAntom(t)
		h.set("refund", spoilSlow)
		if res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {"10"}, "password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("refund: %d\n%.300s", res.StatusCode, body)
		}
		d := app.payment(id)
		if len(d.Refunds) != 1 || d.Refunds[0].Status != store.TxnProcessing {
			t.Fatalf("after a stalled answer: %d refunds; want one PROCESSING", len(d.Refunds))
		}
		if res, _ := op.post(paths.PaymentRefund(id), url.Values{"amount": {"10"}, "password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusConflict {
			t.Errorf("second refund while the first is unknown: %d, want 409", res.StatusCode)
		}
		reqID := sameRequestIDs(t, h.requests("refund"), "refundRequestId")
		// (A 200 whose body stalls is not re-sent: the client retries only
		// when no status, a 5xx or a 429 came back; the inquiry settles it.)
		app.settleByInquiry(t, "refund settled", func() bool {
			d := app.payment(id)
			return len(d.Refunds) == 1 && d.Refunds[0].Status == store.TxnSuccess
		})
		v, _ := app.Sim.Sim.Payment(id)
		if len(v.Refunds) != 1 || v.Refunds[0].RefundRequestID != reqID || v.Refunded != 1000 {
			t.Errorf("Antom holds %d refunds (%d refunded), want exactly the one requested", len(v.Refunds), v.Refunded)
		}
	})
	t.Run("cancel, not JSON", func(t *testing.T) {
		app := startPayApp(t, payAppOptions{})
		op := app.login(store.RoleOperator)
		id := manualAuthorized(t, app, op)
		h := app.useHostileAntom(t)
		h.set("cancel", spoilNotJSON)
		if res, body := op.post(paths.PaymentCancel(id), url.Values{"password": {payTestPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d\n%.300s", res.StatusCode, body)
		}
		if d := app.payment(id); d.Status != store.StatusSuccess || !d.Flags.Has(store.FlagUnknownOutcome) {
			t.Fatalf("after a spoiled answer: %s flags %s; want SUCCESS flagged unknown_outcome", d.Status, d.Flags)
		}
		app.settleByInquiry(t, "cancelled", func() bool { return app.payment(id).Status == store.StatusCancelled })
		if d := app.payment(id); d.Flags.Has(store.FlagUnknownOutcome) {
			t.Errorf("still flagged %s after the inquiry", d.Flags)
		}
	})
	t.Run("inquiry, signed 500", func(t *testing.T) {
		app := startPayApp(t, payAppOptions{})
		op := app.login(store.RoleOperator)
		id := op.createSession(sessionForm("captureMode", "MANUAL"))
		h := app.useHostileAntom(t)
		app.pay(id, sim.CardVisaSuccess)
		h.set("inquiryPayment", spoil500)
		before := app.payment(id)
		if res, _ := op.post(paths.PaymentInquiry(id), nil); res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("inquiry: %d", res.StatusCode)
		}
		if d := app.payment(id); d.Status != before.Status {
			t.Errorf("a spoiled inquiry moved the payment %s → %s", before.Status, d.Status)
		}
		h.set("inquiryPayment", spoilNone)
		app.settleByInquiry(t, "authorized", func() bool { return app.payment(id).Status == store.StatusSuccess })
	})
}
