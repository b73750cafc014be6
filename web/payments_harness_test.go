package web

// A test harness for the payment pages: the whole Paydesk server (real
// router, real store on a temp dir, real Antom client) on a loopback port,
// wired to the real simulator over HTTP, and browsers that sign in with a
// cookie jar and send the CSRF token like the pages do.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/paths"
)

const (
	payTestClientID = "SANDBOX_PAYDESK_TEST"
	payTestPassword = "correct horse battery staple"
)

// payTestKeys are generated once per test binary: RSA generation is slow
// under -race.
var payTestKeys struct {
	once     sync.Once
	merchant *rsa.PrivateKey
	antom    *rsa.PrivateKey
	other    *rsa.PrivateKey // a key Antom does not have: signs "forged" notifications
	err      error
}

func payKeys(t testing.TB) (merchant, antomKey, other *rsa.PrivateKey) {
	t.Helper()
	payTestKeys.once.Do(func() {
		for _, k := range []**rsa.PrivateKey{&payTestKeys.merchant, &payTestKeys.antom, &payTestKeys.other} {
			if *k, payTestKeys.err = rsa.GenerateKey(rand.Reader, 2048); payTestKeys.err != nil {
				return
			}
		}
	})
	if payTestKeys.err != nil {
		t.Fatalf("generate keys: %v", payTestKeys.err)
	}
	return payTestKeys.merchant, payTestKeys.antom, payTestKeys.other
}

// payAppOptions tune startPayApp.
type payAppOptions struct {
	Scale  float64    // simulated time speed-up (default 600: 2 min of retries take 0.2 s)
	Faults sim.Faults // simulator faults in force from the start
	Jobs   bool       // run the inquiry poller and the sweeper
	// DataDir is the store's directory (default a new t.TempDir()); the
	// disk-full test puts it on a small tmpfs.
	DataDir string
	// DatabaseURL puts the store on PostgreSQL (storetest.PostgresURL)
	// instead of SQLite in DataDir.
	DatabaseURL string
	// Peer makes this app another replica of Peer: the same simulator and
	// staff users; with DatabaseURL the same database.
	Peer *payApp
	// SimClock runs the handlers on the simulator's (scaled) clock, so
	// deliveries are received at the times of Antom's schedule. Sign-ins
	// then time out after 30 simulated minutes (3 s at the default scale).
	SimClock bool
}

// payApp is a running Paydesk wired to a running simulator.
type payApp struct {
	t     testing.TB
	URL   string
	Store *store.Store
	H     *handlers.Handlers
	Srv   *Server
	Sim   *sim.Server
	Jobs  *PaymentJobs
	users map[store.Role]string // role → email

	mu         sync.Mutex
	offset     time.Duration // how far the handlers' and jobs' clock is ahead of real time
	jobsOffset time.Duration // how far the jobs' clock is further ahead
}

// now is the clock of the handlers: real time plus the offset a test
// advanced it by.
func (a *payApp) now() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Now().Add(a.offset)
}

// jobsNow is the clock of the background jobs.
func (a *payApp) jobsNow() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Now().Add(a.offset + a.jobsOffset)
}

// advance moves the handlers' and jobs' clock forward (not the store's,
// not the simulator's). Sign-ins time out after 30 minutes of it.
func (a *payApp) advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset += d
}

// advanceJobs moves only the jobs' clock forward, so sweeps can run "later"
// while the browsers stay signed in.
func (a *payApp) advanceJobs(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.jobsOffset += d
}

func startPayApp(t testing.TB, opt payAppOptions) *payApp {
	t.Helper()
	ctx := context.Background()
	if opt.Scale == 0 {
		opt.Scale = 600
	}
	merchant, antomKey, _ := payKeys(t)

	if opt.DataDir == "" {
		opt.DataDir = t.TempDir()
	}
	var st *store.Store
	var err error
	if opt.DatabaseURL != "" {
		st, err = store.OpenPostgres(ctx, opt.DatabaseURL)
	} else {
		st, err = store.Open(ctx, opt.DataDir)
	}
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	base := "http://" + ln.Addr().String()

	var simSrv *sim.Server
	if opt.Peer != nil {
		simSrv = opt.Peer.Sim
	} else {
		simSrv, err = sim.StartServer(ctx, "127.0.0.1:0", sim.Config{
			ClientID:          payTestClientID,
			MerchantPublicKey: &merchant.PublicKey,
			Key:               antomKey,
			Clock:             sim.NewScaledClock(opt.Scale),
			OrderClose:        24 * time.Hour, // no order closes while a test runs
			Faults:            opt.Faults,
		})
		if err != nil {
			t.Fatalf("start simulator: %v", err)
		}
		t.Cleanup(func() { simSrv.Close() })
	}

	client := antom.NewClient(simSrv.URL, payTestClientID, merchant, &antomKey.PublicKey,
		antom.WithRetryBackoff(5*time.Millisecond), antom.WithTimeout(5*time.Second))
	app := &payApp{t: t, URL: base, Store: st, Sim: simSrv, users: map[store.Role]string{}}
	now := app.now
	if opt.SimClock {
		now = simSrv.Sim.Now
	}
	h, err := handlers.New(handlers.Deps{
		Store:       st,
		Antom:       client,
		CheckoutURL: simSrv.Sim.CheckoutURL,
		NotifyURL:   base + paths.WebhookAntom,
		RedirectURL: base + paths.Payments,
		Sandbox:     true,
		Simulated:   true,
		Now:         now,
		Ops:         ops.Config{Idle: 20 * time.Millisecond, BackoffBase: 50 * time.Millisecond, BackoffMax: time.Second},
		Auth: handlers.AuthConfig{
			SessionKey:     bytes.Repeat([]byte("s"), handlers.MinSessionKeyLength),
			PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		},
	})
	if err != nil {
		t.Fatalf("handlers: %v", err)
	}
	srv, err := New(Config{}, h)
	if err != nil {
		t.Fatalf("web: %v", err)
	}
	app.H, app.Srv = h, srv
	app.Jobs = NewPaymentJobs(h, JobsConfig{Now: app.jobsNow, SweepEvery: 50 * time.Millisecond})
	if opt.Jobs {
		srv.AddJob(Job{Name: "inquiry-poller", Run: app.Jobs.RunPoller})
		srv.AddJob(Job{Name: "reconciler", Run: app.Jobs.RunReconciler})
		srv.AddJob(Job{Name: "session-sweeper", Run: app.Jobs.RunSweeper})
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if opt.Peer != nil {
		maps.Copy(app.users, opt.Peer.users)
		return app
	}
	for _, r := range []store.Role{store.RoleAdmin, store.RoleOperator, store.RoleSupport} {
		app.addUser(r)
	}
	return app
}

// addUser creates a staff user with the role.
func (a *payApp) addUser(role store.Role) {
	a.t.Helper()
	hash, err := store.HashPassword(payTestPassword, store.PasswordParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		a.t.Fatal(err)
	}
	email := string(role) + "@example.com"
	if _, err := a.Store.CreateUser(context.Background(), store.NewUser{Email: email, Name: string(role), Role: role, PasswordHash: hash},
		store.AuditContext{Actor: "test"}); err != nil {
		a.t.Fatalf("create user: %v", err)
	}
	a.users[role] = email
}

// browser is a signed-in staff member: a cookie jar, redirects not followed.
type browser struct {
	t   testing.TB
	app *payApp
	c   *http.Client
}

// login signs in a user of the role through the login form.
func (a *payApp) login(role store.Role) *browser {
	a.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: a.t, app: a, c: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	b.get(paths.Login) // sets the CSRF cookie
	res, body := b.post(paths.Login, url.Values{"email": {a.users[role]}, "password": {payTestPassword}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("login as %s: status %d, want 303\n%s", role, res.StatusCode, body)
	}
	b.get(res.Header.Get("Location")) // as a browser follows; the new session gets a new CSRF token
	return b
}

// csrf is the CSRF token from the cookie, as the page's hidden field holds it.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.app.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == handlers.CSRFCookieName(false) {
			return c.Value
		}
	}
	return ""
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return res, string(body)
}

// get fetches a path.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	return b.do(req)
}

// htmx fetches a path as htmx does (HX-Request, the CSRF header).
func (b *browser) htmx(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", b.csrf())
	return b.do(req)
}

// post submits a form with the CSRF field. It adds the field to a copy, so
// concurrent posts may share one form.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, b.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// page fetches a page that must answer 200 and parses it.
func (b *browser) page(path string) *doc {
	b.t.Helper()
	res, body := b.get(path)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: status %d, want 200\n%s", path, res.StatusCode, body)
	}
	return parseDoc(b.t, body)
}

// createSession posts the new-session form and returns the paymentRequestId
// the answer redirects to.
func (b *browser) createSession(form url.Values) string {
	b.t.Helper()
	res, body := b.post(paths.NewSession, form)
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("create session: status %d, want 303\n%s", res.StatusCode, body)
	}
	loc := res.Header.Get("Location")
	id, ok := strings.CutPrefix(loc, paths.Payments+"/")
	if !ok {
		b.t.Fatalf("create session redirected to %q, want a payment page", loc)
	}
	id, _ = url.PathUnescape(id)
	return id
}

// sessionForm is a valid new-session form; kv overrides fields.
func sessionForm(kv ...string) url.Values {
	f := url.Values{"amount": {"42.00"}, "currency": {"SGD"}, "description": {"test order"},
		"referenceOrderId": {""}, "buyerId": {"buyer-1"}, "captureMode": {"AUTOMATIC"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// payment reads a payment from the store.
func (a *payApp) payment(id string) *store.PaymentDetail {
	a.t.Helper()
	d, err := a.Store.GetPayment(context.Background(), id)
	if err != nil {
		a.t.Fatalf("get payment %s: %v", id, err)
	}
	return d
}

// pay completes a session in the simulator as a buyer would.
func (a *payApp) pay(id, card string) sim.PayOutcome {
	a.t.Helper()
	d := a.payment(id)
	if d.SessionData == "" {
		a.t.Fatalf("payment %s has no session data (status %s)", id, d.Status)
	}
	o, err := a.Sim.Sim.Pay(context.Background(), d.SessionData, sim.Card{Number: card})
	if err != nil {
		a.t.Fatalf("pay %s: %v", id, err)
	}
	return o
}

// waitFor polls cond until it holds or the deadline passes.
func (a *payApp) waitFor(what string, cond func() bool) {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliveries lists the stored notifications of a payment, oldest first.
func (a *payApp) deliveries(id string) []store.Delivery {
	a.t.Helper()
	page, err := a.Store.ListDeliveries(context.Background(), store.DeliveryFilter{PaymentRequestID: id, Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	out := page.Items
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// signedNotification posts body to the webhook signed with key, as Antom
// would, and returns the answer.
func (a *payApp) postNotification(key *rsa.PrivateKey, body []byte, mutate func(*http.Request)) (*http.Response, string) {
	a.t.Helper()
	reqTime := time.Now().Format(time.RFC3339)
	sig, err := antom.SignMessage(key, paths.WebhookAntom, payTestClientID, reqTime, body)
	if err != nil {
		a.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL+paths.WebhookAntom, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(antom.HeaderClientID, payTestClientID)
	req.Header.Set(antom.HeaderRequestTime, reqTime)
	req.Header.Set(antom.HeaderSignature, sig)
	if mutate != nil {
		mutate(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// mustJSONBody marshals v.
func mustJSONBody(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseRows parses a table-body fragment (as htmx swaps it into a table).
func parseRows(t testing.TB, s string) *doc {
	t.Helper()
	table := &html.Node{Type: html.ElementNode, Data: "table", DataAtom: atom.Table}
	nodes, err := html.ParseFragment(strings.NewReader(s), table)
	if err != nil {
		t.Fatalf("parse fragment: %v", err)
	}
	for _, n := range nodes {
		table.AppendChild(n)
	}
	return &doc{t: t, root: table, raw: s}
}

// ---- a tiny HTML query helper over golang.org/x/net/html ----

// doc is a parsed page.
type doc struct {
	t    testing.TB
	root *html.Node
	raw  string
}

func parseDoc(t testing.TB, s string) *doc {
	t.Helper()
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return &doc{t: t, root: n, raw: s}
}

// all returns the elements whose attribute attr equals val, in document order.
func (d *doc) all(attr, val string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attrOf(n, attr) == val {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(d.root)
	return out
}

// testIDs returns the elements with data-testid=id.
func (d *doc) testIDs(id string) []*html.Node { return d.all("data-testid", id) }

// text is the trimmed text of the first element with data-testid=id, or
// "" when there is none.
func (d *doc) text(id string) string {
	ns := d.testIDs(id)
	if len(ns) == 0 {
		return ""
	}
	return nodeText(ns[0])
}

// has reports whether an element with data-testid=id exists.
func (d *doc) has(id string) bool { return len(d.testIDs(id)) > 0 }

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func nodeText(n *html.Node) string {
	root := n
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		if n != root && n.Type == html.ElementNode && attrOf(n, "data-testid") == "copy-button" {
			return // a field's text is its value, not its copy button's label
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(sb.String()), " ")
}

// texts is the text of every element with data-testid=id.
func (d *doc) texts(id string) []string {
	var out []string
	for _, n := range d.testIDs(id) {
		out = append(out, nodeText(n))
	}
	return out
}
