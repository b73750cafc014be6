package handlers_test

// A harness for the app API: the whole server as web/app assembles it (real
// router, real store on a temp dir, real Antom client) on a loopback port,
// wired over HTTP to the real simulator, everything on one manual clock that
// tests move.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
	"paydesk/web"
	"paydesk/web/app"
)

const (
	apiTestClientID = app.SandboxClientID
	apiTestPassword = "correct horse battery staple"
)

var apiTestKeys struct {
	once            sync.Once
	merchant, antom *rsa.PrivateKey
	err             error
}

// apiKeys are generated once per test binary: RSA generation is slow under -race.
func apiKeys(t testing.TB) (merchant, antomKey *rsa.PrivateKey) {
	t.Helper()
	apiTestKeys.once.Do(func() {
		if apiTestKeys.merchant, apiTestKeys.err = rsa.GenerateKey(rand.Reader, 2048); apiTestKeys.err != nil {
			return
		}
		apiTestKeys.antom, apiTestKeys.err = rsa.GenerateKey(rand.Reader, 2048)
	})
	if apiTestKeys.err != nil {
		t.Fatalf("generate keys: %v", apiTestKeys.err)
	}
	return apiTestKeys.merchant, apiTestKeys.antom
}

// apiAppOptions tune startAPIApp.
type apiAppOptions struct {
	Faults sim.Faults
	// NoSimSDKEvents: the simulator's checkout does not report SDK events;
	// the test reports them as the app would.
	NoSimSDKEvents bool
	// OrderClose is the simulator's order-close window (default 24 h).
	OrderClose time.Duration
}

// apiApp is a running Paydesk wired to a running simulator.
type apiApp struct {
	t        testing.TB
	URL      string
	Store    *store.Store
	H        *handlers.Handlers
	Srv      *web.Server
	Sim      *sim.Server
	Clock    *sim.ManualClock
	Key      string // the shop's backend: a key named "shop-app" with scope sessions
	KeyID    int64
	OtherKey string            // another client's backend: "other-app", sessions
	ReadKey  string            // reconciliation: "reconciliation", payments:read
	secrets  map[string]string // client secrets by paymentRequestId, from createSession
}

var apiEpoch = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func startAPIApp(t testing.TB, opt apiAppOptions) *apiApp {
	t.Helper()
	ctx := context.Background()
	merchant, antomKey := apiKeys(t)
	if opt.OrderClose == 0 {
		opt.OrderClose = 24 * time.Hour
	}
	clock := sim.NewManualClock(apiEpoch)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	a, err := app.Start(ctx, app.Config{
		DataDir:   t.TempDir(),
		Listener:  ln,
		PublicURL: "http://" + ln.Addr().String(),
		Simulator: app.Simulator{
			Keys:        &app.SandboxKeys{Merchant: merchant, Simulator: antomKey},
			Clock:       clock,
			Faults:      opt.Faults,
			OrderClose:  opt.OrderClose,
			InMemory:    true,
			NoSDKEvents: opt.NoSimSDKEvents,
		},
		AntomOptions: []antom.Option{antom.WithRetryBackoff(5 * time.Millisecond), antom.WithTimeout(5 * time.Second)},
		StoreOptions: []store.Option{store.WithClock(clock.Now)},
		Now:          clock.Now,
		Auth: handlers.AuthConfig{
			SessionKey:     bytes.Repeat([]byte("s"), handlers.MinSessionKeyLength),
			PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		},
	})
	if err != nil {
		t.Fatalf("start paydesk: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	out := &apiApp{t: t, URL: a.URL, Store: a.Store, H: a.Handlers, Srv: a.Web, Sim: a.Simulator, Clock: clock, secrets: map[string]string{}}
	by := store.AuditContext{Actor: "test"}
	k, token, err := a.Store.CreateAPIKey(ctx, "shop-app", by)
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	out.Key, out.KeyID = token, k.ID
	if _, out.OtherKey, err = a.Store.CreateAPIKey(ctx, "other-app", by); err != nil {
		t.Fatalf("create key: %v", err)
	}
	if _, out.ReadKey, err = a.Store.CreateAPIKey(ctx, "reconciliation", by, store.ScopePaymentsRead); err != nil {
		t.Fatalf("create key: %v", err)
	}
	return out
}

// apiResponse is an answer of the API, decoded.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// errCode and errField read the JSON error envelope.
func (r apiResponse) errCode() string  { return str(r.JSON, "error", "code") }
func (r apiResponse) errField() string { return str(r.JSON, "error", "field") }

// str digs a string out of nested JSON objects.
func str(m map[string]any, keys ...string) string {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[k]
	}
	s, _ := v.(string)
	return s
}

// call sends a request to the API with the key (none when key is "").
// body is marshalled to JSON unless it is a string, sent as is.
func (a *apiApp) call(method, path, key string, body any, header ...string) apiResponse {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	out := apiResponse{Status: res.StatusCode, Header: res.Header, Body: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// want fails the test unless the answer has the status (and, for errors,
// the code and field).
func (r apiResponse) want(t testing.TB, status int, codeAndField ...string) apiResponse {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got %d, want %d\n%s", r.Status, status, r.Body)
	}
	if len(codeAndField) > 0 && r.errCode() != codeAndField[0] {
		t.Fatalf("got code %q, want %q\n%s", r.errCode(), codeAndField[0], r.Body)
	}
	if len(codeAndField) > 1 && r.errField() != codeAndField[1] {
		t.Fatalf("got field %q, want %q\n%s", r.errField(), codeAndField[1], r.Body)
	}
	return r
}

// sessionBody is a valid POST /api/v1/sessions body.
func sessionBody(mods ...func(map[string]any)) map[string]any {
	b := map[string]any{
		"order": map[string]any{
			"referenceOrderId": "order-1001",
			"orderDescription": "Two coffees",
			"orderAmount":      map[string]any{"currency": "SGD", "value": "4200"},
			"buyer":            map[string]any{"referenceBuyerId": "buyer-77"},
		},
		"captureMode": "AUTOMATIC",
		"env":         map[string]any{"terminalType": "APP", "osType": "ANDROID"},
	}
	for _, m := range mods {
		m(b)
	}
	return b
}

// createSession creates a session through the API with the shop's key and
// returns its paymentRequestId; the client secret is kept for pay.
func (a *apiApp) createSession(mods ...func(map[string]any)) string {
	a.t.Helper()
	r := a.call(http.MethodPost, paths.APISessions, a.Key, sessionBody(mods...)).want(a.t, http.StatusOK)
	if str(r.JSON, "status") != "SESSION_READY" || str(r.JSON, "paymentSessionData") == "" || str(r.JSON, "clientSecret") == "" {
		a.t.Fatalf("session: %s", r.Body)
	}
	id := str(r.JSON, "paymentRequestId")
	a.secrets[id] = str(r.JSON, "clientSecret")
	return id
}

// card is a simulator test card ("success", "fail" or "pending") in the
// app that holds payment id's client secret: the checkout reports the SDK
// event with it.
func (a *apiApp) card(id, kind string) sim.Card {
	a.t.Helper()
	c := simCard(a.t, kind)
	c.ClientSecret = a.secrets[id]
	if c.ClientSecret == "" {
		a.t.Fatalf("no client secret for %s: create it with createSession", id)
	}
	return c
}

// payment reads a payment as committed.
func (a *apiApp) payment(id string) *store.PaymentDetail {
	a.t.Helper()
	d, err := a.Store.GetPayment(context.Background(), id)
	if err != nil {
		a.t.Fatalf("GetPayment(%s): %v", id, err)
	}
	return d
}

// waitFor polls cond (real time, for the simulator's asynchronous
// deliveries) and fails with what after 10 s.
func (a *apiApp) waitFor(what string, cond func() bool) {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flagCodes are the codes of the payment's flags as the API shows them.
func (a *apiApp) flagCodes(id string) []string {
	a.t.Helper()
	r := a.call(http.MethodGet, paths.APIPayment(id), a.Key, nil).want(a.t, http.StatusOK)
	var out []string
	flags, _ := r.JSON["flags"].([]any)
	for _, f := range flags {
		out = append(out, str(f.(map[string]any), "code"))
	}
	return out
}

// staff is a signed-in dashboard user (cookie jar, CSRF from the cookie).
type staff struct {
	t   testing.TB
	app *apiApp
	c   *http.Client
}

// login creates a user with the role and signs in through the form.
func (a *apiApp) login(role store.Role) *staff {
	a.t.Helper()
	hash, err := store.HashPassword(apiTestPassword, store.PasswordParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		a.t.Fatal(err)
	}
	email := string(role) + "@example.com"
	if _, err := a.Store.CreateUser(context.Background(), store.NewUser{Email: email, Name: string(role), Role: role, PasswordHash: hash},
		store.AuditContext{Actor: "test"}); err != nil {
		a.t.Fatalf("create user: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	s := &staff{t: a.t, app: a, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.get(paths.Login)
	u, _ := url.Parse(a.URL)
	var token string
	for _, c := range jar.Cookies(u) {
		if c.Name == handlers.CSRFCookieName(false) {
			token = c.Value
		}
	}
	form := url.Values{"email": {email}, "password": {apiTestPassword}, "_csrf": {token}}
	res, err := s.c.PostForm(a.URL+paths.Login, form)
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("login as %s: %d", role, res.StatusCode)
	}
	return s
}

func (s *staff) get(path string) (int, string) {
	s.t.Helper()
	res, err := s.c.Get(s.app.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// simCard is one of the simulator's test cards: "success", "fail" or "pending".
func simCard(t testing.TB, kind string) sim.Card {
	t.Helper()
	switch kind {
	case "success":
		return sim.Card{Number: sim.CardVisaSuccess}
	case "fail":
		return sim.Card{Number: sim.CardVisaFailure}
	case "pending":
		return sim.Card{Number: sim.CardPending}
	}
	t.Fatalf("no test card %q", kind)
	return sim.Card{}
}
