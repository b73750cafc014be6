package sim_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

const testClientID = "SANDBOX_PAYDESK"

// testKeys are generated once per test binary: 2048-bit keys are slow.
type testKeys struct {
	merchant *rsa.PrivateKey
	antom    *rsa.PrivateKey
	other    *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		keys = testKeys{merchant: gen(), antom: gen(), other: gen()}
	})
	return keys
}

// env is a running simulator with a merchant client.
type env struct {
	t      *testing.T
	srv    *sim.Server
	sim    *sim.Simulator
	client *antom.Client
	keys   testKeys
}

type option func(*sim.Config)

func withClock(c sim.Clock) option   { return func(cfg *sim.Config) { cfg.Clock = c } }
func withFaults(f sim.Faults) option { return func(cfg *sim.Config) { cfg.Faults = f } }
func withSDKEventURL(u string) option {
	return func(cfg *sim.Config) { cfg.SDKEventURL = u; cfg.SDKEventAPIKey = "app-key" }
}
func withDefaultNotifyURL(u string) option  { return func(cfg *sim.Config) { cfg.DefaultNotifyURL = u } }
func withOrderClose(d time.Duration) option { return func(cfg *sim.Config) { cfg.OrderClose = d } }
func withStateFile(path string) option      { return func(cfg *sim.Config) { cfg.StateFile = path } }

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	k := getKeys(t)
	cfg := sim.Config{
		ClientID:          testClientID,
		MerchantPublicKey: &k.merchant.PublicKey,
		Key:               k.antom,
		HTTPClient:        &http.Client{Timeout: 5 * time.Second},
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := sim.StartServer(context.Background(), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("StartServer: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{
		t:      t,
		srv:    srv,
		sim:    srv.Sim,
		client: antom.NewClient(srv.URL, testClientID, k.merchant, &k.antom.PublicKey, antom.WithRetries(0), antom.WithTimeout(5*time.Second)),
		keys:   k,
	}
}

// sessionRequest is a valid createPaymentSession request.
func sessionRequest(id string, value string, notifyURL string) *antom.CreatePaymentSessionRequest {
	amount := antom.Amount{Currency: "SGD", Value: value}
	return &antom.CreatePaymentSessionRequest{
		ProductCode:      "CASHIER_PAYMENT",
		PaymentRequestID: id,
		Order: &antom.Order{
			ReferenceOrderID: "ORDER_" + id,
			OrderDescription: "antom sdk test order",
			OrderAmount:      &amount,
			Buyer:            &antom.Buyer{ReferenceBuyerID: "buyer_0001"},
		},
		PaymentAmount:      amount,
		PaymentMethod:      &antom.PaymentMethod{PaymentMethodType: "CARD"},
		PaymentFactor:      &antom.PaymentFactor{IsAuthorization: true},
		SettlementStrategy: &antom.SettlementStrategy{SettlementCurrency: "SGD"},
		PaymentNotifyURL:   notifyURL,
		PaymentRedirectURL: "https://merchant.example.com/return?order=" + id,
	}
}

func (e *env) createSession(req *antom.CreatePaymentSessionRequest) *antom.CreatePaymentSessionResponse {
	e.t.Helper()
	resp, err := e.client.CreatePaymentSession(context.Background(), req)
	if err != nil {
		e.t.Fatalf("createPaymentSession: %v", err)
	}
	return resp
}

func (e *env) pay(sessionData, number string) sim.PayOutcome {
	e.t.Helper()
	o, err := e.sim.Pay(context.Background(), sessionData, sim.Card{Number: number})
	if err != nil {
		e.t.Fatalf("Pay: %v", err)
	}
	return o
}

// rawCall signs body with key (as clientID) and posts it to path; it returns
// the HTTP response and its body.
func (e *env) rawCall(path, clientID string, key *rsa.PrivateKey, body []byte) (*http.Response, []byte) {
	e.t.Helper()
	reqTime := "1685599933871"
	sig, err := antom.SignMessage(key, path, clientID, reqTime, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.post(path, map[string]string{"client-id": clientID, "request-time": reqTime, "signature": sig}, body)
}

func (e *env) post(path string, headers map[string]string, body []byte) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(e.t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// rawHTTP sends a raw HTTP/1.1 request and returns the raw response.
func rawHTTP(t *testing.T, baseURL, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func resultOf(t *testing.T, body []byte) antom.Result {
	t.Helper()
	var r struct {
		Result antom.Result `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	return r.Result
}

// received is one notification as the merchant's webhook saw it.
type received struct {
	Path   string
	Header http.Header
	Body   []byte
	At     time.Time // real time
}

// receiver is a merchant webhook that records notifications and answers
// with the function set by the test (the acknowledgement by default).
type receiver struct {
	srv *httptest.Server
	ch  chan received

	mu     sync.Mutex
	all    []received
	answer func(received) (int, string)
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{ch: make(chan received, 100)}
	r.answer = func(received) (int, string) { return http.StatusOK, antom.AckBody }
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rec := received{Path: req.URL.Path, Header: req.Header.Clone(), Body: body, At: time.Now()}
		r.mu.Lock()
		r.all = append(r.all, rec)
		answer := r.answer
		r.mu.Unlock()
		status, out := answer(rec)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
		r.ch <- rec
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/antom/notify" }

func (r *receiver) setAnswer(f func(received) (int, string)) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all)
}

// next waits for the next notification.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case rec := <-r.ch:
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("no notification arrived within 10 s")
	}
	return received{}
}

func notificationOf(t *testing.T, rec received) *antom.Notification {
	t.Helper()
	n, err := antom.ParseNotification(rec.Body)
	if err != nil {
		t.Fatalf("ParseNotification: %v\n%s", err, rec.Body)
	}
	return n
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// attemptsOf returns the logged attempts for one notify type of a payment.
func attemptsOf(s *sim.Simulator, paymentRequestID, notifyType string) []sim.DeliveryAttempt {
	var out []sim.DeliveryAttempt
	for _, a := range s.Deliveries() {
		if a.PaymentRequestID == paymentRequestID && a.NotifyType == notifyType {
			out = append(out, a)
		}
	}
	return out
}

// byTestID returns the text content of the first element with the given
// data-testid (no nested tags), or "" if absent.
func byTestID(html, id string) string {
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(html)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(unescapeHTML(m[1]))
}

func unescapeHTML(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}
