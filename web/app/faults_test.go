package app_test

// The fault matrix of issue 8: every Antom API a payment operation uses ×
// every API fault of the simulator × {notifications delivered, dropped,
// dropped and a Paydesk restart between the first send and its answer}.
// Each case ends when Paydesk's payment, captures and refunds equal the
// simulator's (GET /sim/payments/<id>), with no operation left pending, and
// the simulator holding at most one capture or refund per request ID and
// never receiving one again once it holds it.
//
// The simulator runs on its own (behind a test server that notes what
// reaches it) and keeps running while Paydesk (app.Start with Config.Antom)
// is shut down and started again on the same data directory and public URL.
// The restart is abrupt: Shutdown is given no time, so an attempt whose
// answer is still on its way is never recorded, as after a crash. Faults are
// set over HTTP (PUT /sim/faults). The background jobs are driven
// explicitly, in rounds (poller, reconciler, sweeper), so that a case needs
// no more real time than its faults cost.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/paths"
	"paydesk/web"
	"paydesk/web/app"
)

// Timings of the matrix. They must hold on a loaded machine (a load
// average of 20 on two cores under -race), where an answer that takes a
// millisecond when idle can take seconds:
//
//   - With apiDelay, the client gives up on one exchange of the faulted API
//     after clientTimeout (three exchanges per call at most): the short fuse
//     is on only while the simulator holds that API's answers (see fuse), so
//     an answer that is merely slow is never given up on and sent again. The
//     simulator holds each answer for apiDelay, far longer than any call
//     lasts, so the client has long gone when the hold ends and the
//     simulator never processes a send whose client gave up (it stops
//     holding as soon as it sees the client leave).
//   - Before a restart the simulator holds the answer for restartDelay, long
//     enough to restart Paydesk while the answer is on its way; the client
//     then waits calmTimeout, which no answer comes near.
//   - The lease outlasts a whole attempt (call and record) with room to
//     spare, as ops' default does, so the reconciler never asks Antom about
//     a send that is still being processed.
//
// So no send is ever repeated by the client after Antom processed it, and
// any capture or refund that reaches Antom again for a request ID it holds
// was Paydesk's choice: a defect.
const (
	clientTimeout = 300 * time.Millisecond
	calmTimeout   = 5 * time.Second
	apiDelay      = 30 * time.Second       // never waited out: every held send is given up on
	restartDelay  = 200 * time.Millisecond // less than calmTimeout
	faultHold     = 300 * time.Millisecond // how long the fault stays after the first send
	convergeIn    = 90 * time.Second       // a bound for loaded machines; cases take seconds
	amount        = 4200                   // SGD minor units
)

// opsConfig is the operations layer on a test budget: short calls, a
// record budget a loaded machine meets (reading or writing a payment can
// take seconds there), a lease that outlasts a whole attempt (call and
// record) as ops' default does, quick backoff.
var opsConfig = ops.Config{
	CallTimeout:   4 * time.Second,
	RecordTimeout: 6 * time.Second,
	Wait:          100 * time.Millisecond,
	Lease:         11 * time.Second,
	BackoffBase:   50 * time.Millisecond,
	BackoffMax:    400 * time.Millisecond,
	Concurrency:   4,
	Idle:          25 * time.Millisecond,
}

// matrixKeys are generated once: RSA generation is slow under -race.
var matrixKeys struct {
	once            sync.Once
	merchant, antom *rsa.PrivateKey
	err             error
}

func keys(t testing.TB) (merchant, antomKey *rsa.PrivateKey) {
	t.Helper()
	matrixKeys.once.Do(func() {
		if matrixKeys.merchant, matrixKeys.err = rsa.GenerateKey(rand.Reader, 2048); matrixKeys.err == nil {
			matrixKeys.antom, matrixKeys.err = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	if matrixKeys.err != nil {
		t.Fatal(matrixKeys.err)
	}
	return matrixKeys.merchant, matrixKeys.antom
}

// fault is one of the simulator's API faults, limited to one API.
type fault struct {
	name string
	set  func(f *sim.Faults)
}

var faults = []fault{
	{"apiUnknown", func(f *sim.Faults) { f.APIUnknown = -1 }},
	{"apiUnknownProcessed", func(f *sim.Faults) { f.APIUnknown, f.APIUnknownProcessed = -1, true }},
	{"apiHttp5xx", func(f *sim.Faults) { f.APIHTTP5xx = -1 }},
	{"apiDelay", func(f *sim.Faults) { f.APIDelay = apiDelay }},
}

// variant is how a case runs around its fault.
type variant struct {
	name    string
	drop    bool // notifications are dropped (dropFirst: 8): convergence comes from inquiries
	restart bool // Paydesk is restarted while the first send's answer is on its way
}

var variants = []variant{
	{"notified", false, false},
	{"dropped", true, false},
	{"restart", true, true},
}

// operation is the operation under test: the payment it needs, the API
// the fault hits, the first send, and the state Antom must end in.
type operation struct {
	name        string
	api         string
	captureMode string // of the payment
	paid        bool   // the payment is paid (and known to Paydesk) before the fault
	// payUnderFault: the buyer pays once the fault is in force.
	payUnderFault bool
	// first makes the first send through a (it runs beside the test, so
	// it must not fail the test itself). It may block until its answer.
	first func(e *env, a *app.App, prid string) error
	// after runs once the case converged, before the final check (the
	// session case pays the payment it created).
	after func(e *env, prid string)
	want  func(v sim.PaymentView) error
}

func wantPayment(status string, captured, refunded int64) func(v sim.PaymentView) error {
	return func(v sim.PaymentView) error {
		if v.Status != status || v.Captured != captured || v.Refunded != refunded {
			return fmt.Errorf("Antom has %s captured %d refunded %d, want %s captured %d refunded %d",
				v.Status, v.Captured, v.Refunded, status, captured, refunded)
		}
		return nil
	}
}

var operations = []operation{
	{
		name: "createPaymentSession", api: "createPaymentSession", captureMode: antom.CaptureAutomatic,
		first: func(e *env, a *app.App, prid string) error { return e.createSession(prid, antom.CaptureAutomatic) },
		after: func(e *env, prid string) { e.pay(prid) },
		want:  wantPayment(antom.PaymentSuccess, amount, 0),
	},
	{
		name: "capture-full", api: "capture", captureMode: antom.CaptureManual, paid: true,
		first: func(e *env, a *app.App, prid string) error { return capture(a, prid, amount) },
		want:  wantPayment(antom.PaymentSuccess, amount, 0),
	},
	{
		name: "capture-partial", api: "capture", captureMode: antom.CaptureManual, paid: true,
		first: func(e *env, a *app.App, prid string) error { return capture(a, prid, 1500) },
		want:  wantPayment(antom.PaymentSuccess, 1500, 0),
	},
	{
		name: "cancel", api: "cancel", captureMode: antom.CaptureManual, paid: true,
		first: func(e *env, a *app.App, prid string) error {
			_, err := a.Handlers.Operations.Cancel(context.Background(), prid, store.AuditContext{Actor: "user:ops@example.com"})
			return err
		},
		want: wantPayment(antom.PaymentCancelled, 0, 0),
	},
	{
		name: "refund-full", api: "refund", captureMode: antom.CaptureAutomatic, paid: true,
		first: func(e *env, a *app.App, prid string) error { return refund(a, prid, amount) },
		want:  wantPayment(antom.PaymentSuccess, amount, amount),
	},
	{
		name: "refund-partial", api: "refund", captureMode: antom.CaptureAutomatic, paid: true,
		first: func(e *env, a *app.App, prid string) error { return refund(a, prid, 1000) },
		want:  wantPayment(antom.PaymentSuccess, amount, 1000),
	},
	{
		// The buyer pays while the fault is in force; Paydesk learns it
		// only by inquiring (the payment result is dropped in every
		// variant, or the inquiry would not matter).
		name: "inquiryPayment", api: "inquiryPayment", captureMode: antom.CaptureAutomatic, payUnderFault: true,
		first: func(e *env, a *app.App, prid string) error {
			_, err := a.Handlers.Operations.Inquire(context.Background(), prid, "user:ops@example.com")
			if err == nil {
				return errors.New("the first inquiry got an answer through the fault")
			}
			return nil
		},
		want: wantPayment(antom.PaymentSuccess, amount, 0),
	},
}

// TestFaultMatrix runs every operation × fault × variant against its own
// simulator and Paydesk, several cases at a time (they mostly wait on the
// faults' timeouts), and checks that each converges to Antom's truth.
func TestFaultMatrix(t *testing.T) {
	type tc struct {
		op operation
		f  fault
		v  variant
	}
	var cases []tc
	for _, op := range operations {
		for _, f := range faults {
			for _, v := range variants {
				cases = append(cases, tc{op, f, v})
			}
		}
	}
	keys(t)
	start := time.Now()
	var (
		wg  sync.WaitGroup
		sem = make(chan struct{}, 12)
		mu  sync.Mutex
		dur = map[string]time.Duration{}
	)
	for _, c := range cases {
		name := c.op.name + "/" + c.f.name + "/" + c.v.name
		wg.Add(1)
		sem <- struct{}{}
		// Subtests not marked parallel may run from several goroutines at
		// once: these wait on the simulator's faults far more than they
		// compute, so they run 12 at a time whatever -parallel says.
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.Run(name, func(t *testing.T) {
				t0 := time.Now()
				defer func() {
					mu.Lock()
					dur[name] = time.Since(t0)
					mu.Unlock()
				}()
				runCase(t, c.op, c.f, c.v)
			})
		}()
	}
	wg.Wait()
	var slowest string
	for n, d := range dur {
		if slowest == "" || d > dur[slowest] {
			slowest = n
		}
	}
	t.Logf("%d cases in %v; slowest %s (%v)", len(dur), time.Since(start).Round(time.Millisecond), slowest, dur[slowest].Round(time.Millisecond))
}

func runCase(t *testing.T, op operation, f fault, v variant) {
	e := newEnv(t, f.name == "apiDelay")
	prid := "fm-" + strings.NewReplacer("/", "-").Replace(t.Name()[len("TestFaultMatrix/"):])
	if len(prid) > 64 {
		prid = prid[:64]
	}
	if op.paid || op.payUnderFault {
		if err := e.createSession(prid, op.captureMode); err != nil {
			t.Fatalf("create the session: %v", err)
		}
		// A loaded machine may answer 202 (the session is still on its way).
		e.waitFor("Paydesk has the session", func(d *store.PaymentDetail) bool { return d.Status == store.StatusSessionReady }, prid)
	}
	if op.paid {
		e.pay(prid)
		e.waitFor("Paydesk knows the payment is paid", func(d *store.PaymentDetail) bool {
			return d.Status == store.StatusSuccess && (op.captureMode == antom.CaptureManual || d.CapturedMinor == amount)
		}, prid)
	}

	var fs sim.Faults
	f.set(&fs)
	fs.APIs = []string{op.api}
	if v.drop || op.payUnderFault {
		fs.DropFirst = 8
	}
	if v.restart && fs.APIDelay == 0 {
		fs.APIDelay = restartDelay // the answer is on its way while Paydesk restarts
	}
	e.setFaults(fs)
	if op.payUnderFault {
		e.pay(prid)
	}

	firstDone := make(chan error, 1)
	a := e.app
	sent := e.arrival(op.api)
	go func() { firstDone <- op.first(e, a, prid) }()
	if v.restart {
		select {
		case <-sent:
		case <-time.After(convergeIn):
			t.Fatalf("the first send did not reach the simulator within %v", convergeIn)
		}
		time.Sleep(restartDelay / 4) // the simulator holds its answer
		e.restart()
	}
	if err := <-firstDone; err != nil && !v.restart {
		t.Fatalf("first send: %v", err)
	}
	e.rounds(faultHold)
	fs = sim.Faults{}
	if v.drop || op.payUnderFault {
		fs.DropFirst = 8
	}
	e.setFaults(fs)

	e.converge(prid)
	if op.after != nil {
		op.after(e, prid)
		e.converge(prid)
	}
	got := e.simPayment(prid)
	if err := op.want(got); err != nil {
		t.Error(err)
	}
	// What Antom has is never sent again: the reconciler asks first.
	e.mu.Lock()
	resends := e.resends
	e.mu.Unlock()
	if len(resends) > 0 {
		t.Errorf("sent again although Antom had it: %q\n%s", resends, e.story(prid))
	}
}

// env is one case's world: a simulator that keeps running and a Paydesk
// that may be restarted on the same data directory and public URL.
type env struct {
	t      *testing.T
	sim    *sim.Simulator
	simURL string
	dir    string
	front  *frontDoor // Paydesk's public URL, the same across restarts
	app    *app.App
	apiKey string
	held   bool         // answers are held past the client's timeout (apiDelay)
	client *http.Client // Paydesk's HTTP client for Antom, across restarts (fuse)

	mu       sync.Mutex
	resends  []string                 // captures and refunds sent again although Antom had them
	fused    string                   // the API whose exchanges get clientTimeout ("" none)
	fusedIn  sync.WaitGroup           // fused exchanges passed on to the simulator, not ended
	arrivals map[string]chan struct{} // API → closed when its next request reaches the simulator
}

func newEnv(t *testing.T, held bool) *env {
	merchant, antomKey := keys(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, simURL: "http://" + ln.Addr().String(), dir: t.TempDir(), front: newFrontDoor(t), held: held}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	e.client = &http.Client{Transport: &fuse{e: e, next: transport}}
	e.sim, err = sim.New(sim.Config{
		ClientID:          app.SandboxClientID,
		MerchantPublicKey: &merchant.PublicKey,
		Key:               antomKey,
		PublicURL:         e.simURL,
		OrderClose:        24 * time.Hour,
		HTTPClient:        &http.Client{Timeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.watchResends(e.sim.Handler())}
	go srv.Serve(ln)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { e.sim.Run(ctx); close(ran) }()
	t.Cleanup(func() {
		stop()
		srv.Close()
		<-ran
		e.sim.Close()
	})
	e.app = e.start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.app.Shutdown(ctx)
	})
	_, e.apiKey, err = e.app.Store.CreateAPIKey(context.Background(), "shop-app", store.AuditContext{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// watchResends notes every capture or refund that reaches the simulator
// for a request ID it already holds: what Antom has must never be sent
// again (the reconciler asks first).
func (e *env) watchResends(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		e.mu.Lock()
		if ch := e.arrivals[api]; ch != nil {
			close(ch)
			delete(e.arrivals, api)
		}
		e.mu.Unlock()
		// Reading the body whole lets the server notice a client that
		// leaves while the answer is held (net/http watches the connection
		// only once the body is read), so a held send whose client gave up
		// ends then and is never processed.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Method == http.MethodPost && (api == "capture" || api == "refund") {
			var req struct {
				CaptureRequestID string `json:"captureRequestId"`
				RefundRequestID  string `json:"refundRequestId"`
			}
			if json.Unmarshal(body, &req) == nil && e.antomHas(api, req.CaptureRequestID+req.RefundRequestID) {
				e.mu.Lock()
				e.resends = append(e.resends, api+" "+req.CaptureRequestID+req.RefundRequestID)
				e.mu.Unlock()
			}
		}
		if r.Header.Get(fusedHeader) != "" {
			e.mu.Lock()
			holds := e.fused == api
			if holds {
				e.fusedIn.Add(1)
				defer e.fusedIn.Done()
			}
			e.mu.Unlock()
			if !holds {
				// Its client gives up after clientTimeout, but the
				// simulator has stopped holding (the fault was lifted
				// while it was on its way): hold it here, as the
				// simulator would have, so that a send whose client
				// gave up is never processed.
				<-r.Context().Done()
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// arrival returns a channel closed when the next request for api reaches
// the simulator.
func (e *env) arrival(api string) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.arrivals == nil {
		e.arrivals = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	e.arrivals[api] = ch
	return ch
}

// frontDoor is where browsers and Antom reach Paydesk (its public URL): a
// proxy that stays while Paydesk restarts on a new port. (Listening again
// on the old port is not safe: once closed, any outgoing connection on the
// machine may take it as its local port.)
type frontDoor struct {
	URL    string
	mu     sync.Mutex
	target *url.URL
}

func newFrontDoor(t *testing.T) *frontDoor {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fd := &frontDoor{URL: "http://" + ln.Addr().String(), target: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}}
	srv := &http.Server{Handler: &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			fd.mu.Lock()
			r.SetURL(fd.target)
			fd.mu.Unlock()
			r.Out.Host = r.In.Host
		},
		ErrorLog: log.New(io.Discard, "", 0), // Paydesk down: a 502, as from a real proxy
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fd
}

// to sends what comes in to the Paydesk listening on addr.
func (fd *frontDoor) to(addr string) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fd.target = &url.URL{Scheme: "http", Host: addr}
}

// antomHas reports whether the simulator holds a capture or refund (api)
// with this request ID.
func (e *env) antomHas(api, requestID string) bool {
	for _, p := range e.sim.Payments() {
		for _, c := range p.Captures {
			if api == "capture" && c.CaptureRequestID == requestID {
				return true
			}
		}
		for _, r := range p.Refunds {
			if api == "refund" && r.RefundRequestID == requestID {
				return true
			}
		}
	}
	return false
}

// start starts Paydesk against the simulator.
func (e *env) start() *app.App {
	e.t.Helper()
	merchant, antomKey := keys(e.t)
	a, err := app.Start(context.Background(), app.Config{
		DataDir:   e.dir,
		PublicURL: e.front.URL,
		Antom: &app.Antom{BaseURL: e.simURL, ClientID: app.SandboxClientID, MerchantKey: merchant,
			AntomKey: &antomKey.PublicKey, CheckoutURL: e.sim.CheckoutURL},
		AntomOptions: []antom.Option{antom.WithTimeout(calmTimeout), antom.WithHTTPClient(e.client), antom.WithRetryBackoff(5 * time.Millisecond)},
		Auth: handlers.AuthConfig{
			SessionKey:     bytes.Repeat([]byte("k"), handlers.MinSessionKeyLength),
			PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1},
		},
		Ops: opsConfig,
		// The sweeper looks two minutes ahead, so that a payment whose
		// session call never reported back (a restart) is treated as
		// unknown now rather than after a minute (store.MarkStuck).
		JobsConfig: web.JobsConfig{Now: func() time.Time { return time.Now().Add(2 * time.Minute) }},
	})
	if err != nil {
		e.t.Fatalf("start paydesk: %v", err)
	}
	e.front.to(a.Addr)
	return a
}

// restart stops Paydesk at once — an attempt in flight is not waited for,
// as in a crash — and starts it again on the same data (and public URL).
func (e *env) restart() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e.app.Shutdown(ctx) // reports the attempt it did not wait for
	e.app = e.start()
}

func (e *env) ops() *ops.Ops { return e.app.Handlers.Operations }

// round runs the background work once: what is due now.
func (e *env) round() {
	ctx := context.Background()
	if _, err := e.ops().PollOnce(ctx, time.Now()); err != nil {
		e.t.Logf("poll: %v", err)
	}
	if _, err := e.ops().ReconcileOnce(ctx, time.Now()); err != nil {
		e.t.Logf("reconcile: %v", err)
	}
	if err := e.app.Jobs.SweepOnce(ctx); err != nil {
		e.t.Logf("sweep: %v", err)
	}
}

// rounds runs rounds for d.
func (e *env) rounds(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		e.round()
		time.Sleep(25 * time.Millisecond)
	}
}

// converge runs rounds until Paydesk agrees with the simulator.
func (e *env) converge(prid string) {
	e.t.Helper()
	deadline := time.Now().Add(convergeIn)
	for {
		e.round()
		err := e.compare(prid)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("not converged after %v: %v\n%s", convergeIn, err, e.story(prid))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitFor runs rounds until cond holds for Paydesk's payment.
func (e *env) waitFor(what string, cond func(*store.PaymentDetail) bool, prid string) {
	e.t.Helper()
	deadline := time.Now().Add(convergeIn)
	for {
		e.round()
		if d, err := e.app.Store.GetPayment(context.Background(), prid); err == nil && cond(d) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within %v\n%s", what, convergeIn, e.story(prid))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// paydeskStatus is the simulator's status for each of Paydesk's.
var paydeskStatus = map[store.PaymentStatus]string{
	store.StatusSessionReady: antom.PaymentProcessing,
	store.StatusProcessing:   antom.PaymentProcessing,
	store.StatusSuccess:      antom.PaymentSuccess,
	store.StatusFail:         antom.PaymentFail,
	store.StatusCancelled:    antom.PaymentCancelled,
}

// compare says how Paydesk's record of the payment differs from the
// simulator's: status, totals, each capture and refund (request ID,
// amount, status), pending operations, and duplicate request IDs at Antom.
func (e *env) compare(prid string) error {
	d, err := e.app.Store.GetPayment(context.Background(), prid)
	if err != nil {
		return err
	}
	v, ok := e.simPaymentOK(prid)
	if !ok {
		return errors.New("the simulator has no such payment")
	}
	var diffs []string
	if paydeskStatus[d.Status] != v.Status {
		diffs = append(diffs, fmt.Sprintf("status %s, Antom %s", d.Status, v.Status))
	}
	if d.CapturedMinor != v.Captured || d.RefundedMinor != v.Refunded {
		diffs = append(diffs, fmt.Sprintf("captured %d refunded %d, Antom %d and %d", d.CapturedMinor, d.RefundedMinor, v.Captured, v.Refunded))
	}
	var paydeskCaptures, antomCaptures, paydeskRefunds, antomRefunds []string
	for _, c := range d.Captures {
		id := c.CaptureRequestID
		if c.Actor == "antom" { // an automatic capture: Antom's ID
			id = c.CaptureID
		}
		paydeskCaptures = append(paydeskCaptures, fmt.Sprintf("%s %d %s", id, c.AmountMinor, c.Status))
	}
	for _, c := range v.Captures {
		id := c.CaptureRequestID
		if c.Automatic {
			id = c.CaptureID
		}
		m, _ := c.Amount.Minor()
		antomCaptures = append(antomCaptures, fmt.Sprintf("%s %d %s", id, m, store.TxnSuccess))
	}
	for _, r := range d.Refunds {
		paydeskRefunds = append(paydeskRefunds, fmt.Sprintf("%s %d %s", r.RefundRequestID, r.AmountMinor, r.Status))
	}
	for _, r := range v.Refunds {
		m, _ := r.Amount.Minor()
		antomRefunds = append(antomRefunds, fmt.Sprintf("%s %d %s", r.RefundRequestID, m, store.TxnSuccess))
	}
	for _, l := range [][]string{paydeskCaptures, antomCaptures, paydeskRefunds, antomRefunds} {
		slices.Sort(l)
	}
	if !slices.Equal(paydeskCaptures, antomCaptures) {
		diffs = append(diffs, fmt.Sprintf("captures %q, Antom %q", paydeskCaptures, antomCaptures))
	}
	if !slices.Equal(paydeskRefunds, antomRefunds) {
		diffs = append(diffs, fmt.Sprintf("refunds %q, Antom %q", paydeskRefunds, antomRefunds))
	}
	if dup := duplicates(v); dup != "" {
		diffs = append(diffs, "Antom holds "+dup)
	}
	for _, o := range d.Operations {
		if o.State == store.OpPending {
			diffs = append(diffs, fmt.Sprintf("%s still pending (%s)", o.Title(), o.LastAnswer))
		}
	}
	if d.Flags&store.FlagUnknownOutcome != 0 {
		diffs = append(diffs, "flagged unknown_outcome")
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

// duplicates names a request ID the simulator booked twice ("" if none).
func duplicates(v sim.PaymentView) string {
	seen := map[string]bool{}
	for _, c := range v.Captures {
		if !c.Automatic && seen["capture "+c.CaptureRequestID] {
			return "two captures for " + c.CaptureRequestID
		}
		seen["capture "+c.CaptureRequestID] = true
	}
	for _, r := range v.Refunds {
		if seen["refund "+r.RefundRequestID] {
			return "two refunds for " + r.RefundRequestID
		}
		seen["refund "+r.RefundRequestID] = true
	}
	return ""
}

// story is the payment's timeline and the simulator's view, for failures.
func (e *env) story(prid string) string {
	var b strings.Builder
	if d, err := e.app.Store.GetPayment(context.Background(), prid); err == nil {
		fmt.Fprintf(&b, "Paydesk: %s captured %d refunded %d flags %v\n", d.Status, d.CapturedMinor, d.RefundedMinor, d.Flags.Names())
		for _, ev := range d.Timeline {
			fmt.Fprintf(&b, "  %s %s %s: %s\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Actor, ev.Summary)
		}
		for _, o := range d.Operations {
			fmt.Fprintf(&b, "  operation %s %s mode %s attempts %d: %s\n", o.Title(), o.State, o.Mode, o.Attempts, o.LastAnswer)
		}
	} else {
		fmt.Fprintf(&b, "Paydesk: %v\n", err)
	}
	v, _ := e.simPaymentOK(prid)
	raw, _ := json.Marshal(struct {
		Status             string
		Captured, Refunded int64
		Captures           []sim.CaptureView
		Refunds            []sim.RefundView
	}{v.Status, v.Captured, v.Refunded, v.Captures, v.Refunds})
	fmt.Fprintf(&b, "Antom: %s\n", raw)
	return b.String()
}

// --- talking to the simulator and to Paydesk ----------------------------

// setFaults replaces the simulator's faults (PUT /sim/faults). In an
// apiDelay case it also lights the client's short fuse for the held API
// once the simulator holds it, and puts the fuse out before the simulator
// stops holding: a send made meanwhile is held and given up on (when the
// call's budget ends), never answered slowly and cut short after Antom
// processed it; a fused send that arrives after that is held by
// watchResends.
func (e *env) setFaults(f sim.Faults) {
	e.t.Helper()
	fused := ""
	if e.held && f.APIDelay > 0 && len(f.APIs) == 1 {
		fused = f.APIs[0]
	}
	if fused == "" {
		e.mu.Lock()
		e.fused = ""
		e.mu.Unlock()
		// A fused exchange passed on to the simulator may not have
		// reached it yet: lift the hold only once every one has ended
		// (each ends when its client gives up).
		e.fusedIn.Wait()
	}
	defer func() {
		e.mu.Lock()
		e.fused = fused
		e.mu.Unlock()
	}()
	body, _ := json.Marshal(f)
	req, _ := http.NewRequest(http.MethodPut, e.simURL+"/sim/faults", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("set faults: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		e.t.Fatalf("set faults %s: HTTP %d %s", body, res.StatusCode, b)
	}
}

// simPaymentOK reads the simulator's payment (GET /sim/payments/<id>).
func (e *env) simPaymentOK(prid string) (sim.PaymentView, bool) {
	var v sim.PaymentView
	res, err := http.Get(e.simURL + "/sim/payments/" + prid)
	if err != nil {
		return v, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&v) != nil {
		return v, false
	}
	return v, true
}

func (e *env) simPayment(prid string) sim.PaymentView {
	e.t.Helper()
	v, ok := e.simPaymentOK(prid)
	if !ok {
		e.t.Fatalf("the simulator has no payment %s", prid)
	}
	return v
}

// createSession asks Paydesk for a session through the app API; 202 (the
// outcome is not known yet) is an answer too.
func (e *env) createSession(prid, captureMode string) error {
	body, _ := json.Marshal(map[string]any{
		"paymentRequestId": prid,
		"order": map[string]any{"referenceOrderId": "order-" + prid, "orderDescription": "Two coffees",
			"orderAmount": map[string]any{"currency": "SGD", "value": fmt.Sprint(amount)}},
		"captureMode": captureMode,
		"env":         map[string]any{"terminalType": "WEB"},
	})
	req, _ := http.NewRequest(http.MethodPost, e.front.URL+paths.APISessions, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: HTTP %d %s", paths.APISessions, res.StatusCode, b)
	}
	return nil
}

// pay pays the payment in the simulator, as a buyer in the checkout.
func (e *env) pay(prid string) {
	e.t.Helper()
	out, err := e.sim.PayByRequestID(context.Background(), prid, sim.Card{Number: sim.CardVisaSuccess})
	if err != nil || out.Status != antom.PaymentSuccess {
		e.t.Fatalf("pay %s: %v %+v", prid, err, out)
	}
}

func capture(a *app.App, prid string, minor int64) error {
	_, err := a.Handlers.Operations.Capture(context.Background(), prid, minor, store.AuditContext{Actor: "user:ops@example.com"})
	return err
}

func refund(a *app.App, prid string, minor int64) error {
	_, err := a.Handlers.Operations.Refund(context.Background(), prid, minor, "fault matrix", store.AuditContext{Actor: "user:ops@example.com"})
	return err
}

// fuse is Paydesk's transport to the simulator in the matrix: while the
// simulator holds the answers of one API (apiDelay), each exchange with
// that API is given up after clientTimeout, as a client with a short
// timeout would; every other exchange has the client's calm timeout. A
// client timeout shorter than a loaded machine needs for an ordinary
// answer would give up on sends the simulator then processes, and the
// client's retry (same request ID) would look like a re-send by Paydesk.
//
// A fused exchange carries fusedHeader, so that the simulator's front
// (watchResends) holds it when it arrives after the fault was lifted: the
// simulator reads its faults when a request arrives, and on a loaded
// machine a send can arrive long after it left.
type fuse struct {
	e    *env
	next http.RoundTripper
}

func (f *fuse) RoundTrip(r *http.Request) (*http.Response, error) {
	api := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	f.e.mu.Lock()
	short := f.e.fused != "" && f.e.fused == api
	f.e.mu.Unlock()
	if !short {
		return f.next.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), clientTimeout)
	r = r.WithContext(ctx)
	r.Header = r.Header.Clone()
	r.Header.Set(fusedHeader, "1")
	res, err := f.next.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, err
	}
	res.Body = &cancelOnClose{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// fusedHeader marks an exchange made with the short fuse (not signed;
// Antom and the simulator ignore it).
const fusedHeader = "X-Test-Fused"

// cancelOnClose ends an exchange's context once its answer is read.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
