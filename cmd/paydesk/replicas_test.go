package main

// TestReplicas: three paydesk processes on one PostgreSQL database behind a
// front door that spreads Antom's notifications over them, one killed with
// SIGKILL mid-load, must end with Antom's truth, every acknowledged
// notification stored, and nothing sent to Antom twice.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/store/storetest"
	"paydesk/views/paths"
)

const (
	replicaClientID = "SANDBOX_PAYDESK_REPLICAS"
	replicaCount    = 3
	// replicaVictim is the replica killed mid-load.
	replicaVictim = 2
	// replicaPayments are created in all; the last replicaLate of them
	// around the kill: half paid as it happens, half created after it
	// through the replicas left. Their operations come last.
	replicaPayments = 40
	replicaLate     = 8
	// replicaHeld is where the payments whose operations are held at
	// Antom when the victim is killed begin (up to replicaPayments-replicaLate).
	replicaHeld = 24
	// replicaWait bounds every wait for convergence: generous, for a
	// loaded 2-core machine (this is not a timed assertion).
	replicaWait = 120 * time.Second
)

// The kinds of payment the load is made of, by index modulo 8: what staff
// do with each and, where that is certain, Antom's end state.
const (
	kindDeclined      = iota // paid with a declined card; nothing to do
	kindCaptureFull          // manual capture: capture all
	kindCaptureHalf          // manual capture: capture half
	kindCancel               // manual capture: cancel
	kindCaptureTwice         // manual capture: capture all, twice at once on two replicas
	kindRefundFull           // automatic capture: refund all
	kindRefundQuarter        // automatic capture: refund a quarter
	kindRefundTwice          // automatic capture: refund three quarters, twice at once on two replicas
	kindCount
)

// TestReplicas runs one simulator and three `paydesk serve` processes on one
// PostgreSQL schema, each with its own port and data directory and the same
// Antom keys and session key. The simulator sends every notification three
// times (duplicate 3), an automatic capture's before its payment's
// (reorder), to a front door that forwards each request to a random live
// replica. Payments are created through the app API of every replica and
// paid in the simulator; staff sign in on one replica and capture, cancel
// and refund on the others with the same cookies (sessions are the
// database's); two captures or two refunds of one payment race on two
// replicas. Mid-load, while captures, cancels and refunds sent by one
// replica are held at the simulator, that replica is killed with SIGKILL:
// the others must take its operations over once their lease ends. It then
// comes back and takes its share of the last operations.
//
// At the end every payment must equal the simulator's (status, totals, each
// capture and refund, nothing pending), every notification attempt the
// simulator counts as acknowledged must be stored as a delivery, no capture
// or refund may reach the simulator for a request ID it already holds, and
// no payment may be captured beyond its amount or refunded beyond its
// capture.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the paydesk binary three times on PostgreSQL")
	}
	dbURL := storetest.PostgresURL(t) // skips without PAYDESK_TEST_DATABASE_URL
	bin := buildPaydesk(t)
	w := newReplicaWorld(t, bin, dbURL)
	w.setFaults(t, sim.Faults{Duplicate: 3, Reorder: true})
	staff := w.signIn(t, 0)

	plans := make([]*replicaPlan, replicaPayments)
	for i := range plans {
		plans[i] = newReplicaPlan(i)
	}
	early, late := plans[:replicaPayments-replicaLate], plans[replicaPayments-replicaLate:]

	// Payments through every replica's app API, paid at the simulator.
	for i, p := range early {
		w.createSession(t, i%replicaCount, p)
	}
	w.pay(t, early)
	w.waitPaid(t, early)

	// Staff operations on the replicas they did not sign in on.
	for _, p := range early[:replicaHeld] {
		w.operate(t, staff, p, []int{1, 2})
	}

	// Captures, cancels and refunds sent by the victim are held at the
	// simulator when it is killed: its claims and leases die with it. Just
	// before, payments made through every replica are paid, so that their
	// notifications are on their way when it dies.
	w.setFaults(t, sim.Faults{Duplicate: 3, Reorder: true, APIDelay: time.Minute, APIs: []string{"capture", "cancel", "refund"}})
	var held sync.WaitGroup
	for _, p := range early[replicaHeld:] {
		w.operateHeld(t, staff, p, &held)
	}
	atKill, afterKill := late[:replicaLate/2], late[replicaLate/2:]
	for i, p := range atKill {
		w.createSession(t, i%replicaCount, p)
	}
	w.pay(t, atKill)
	w.kill(t, replicaVictim)
	held.Wait()
	w.setFaults(t, sim.Faults{Duplicate: 3, Reorder: true})
	// The front door notices the dead replica a moment later, as a
	// health check would: notifications sent to it meanwhile fail and are
	// sent again by the simulator.
	time.Sleep(time.Second)
	w.door.remove(replicaVictim)

	// The load goes on through the replicas left while they take the
	// victim's operations over; those end equal to the simulator's with
	// the victim still dead.
	live := []int{0, 1}
	for i, p := range afterKill {
		w.createSession(t, live[i%len(live)], p)
	}
	w.pay(t, afterKill)
	w.waitPaid(t, late)
	for _, p := range early[replicaHeld:] {
		w.eventually(t, p.prid+" taken over by the replicas left", func() error { return w.compare(p.prid) })
	}

	// The victim comes back on its data directory and takes its share of
	// the last operations.
	r, err := w.launch(t, replicaVictim)
	if err != nil {
		t.Fatal(err)
	}
	w.replicas[replicaVictim] = r
	for _, p := range late {
		w.operate(t, staff, p, []int{0, 1, 2})
	}

	// Everything converges.
	for _, p := range plans {
		w.eventually(t, p.prid+" equal to the simulator's", func() error { return w.compare(p.prid) })
	}
	w.eventually(t, "every notification acknowledged", func() error {
		if n := w.sim.Sim.PendingDeliveries(); n > 0 {
			return fmt.Errorf("%d notification copies not acknowledged yet", n)
		}
		return nil
	})

	for _, p := range plans {
		if p.want != nil {
			w.want(t, p.prid, p.want.status, p.want.captured, p.want.refunded)
		}
		v, _ := w.sim.Sim.Payment(p.prid)
		if v.Captured > p.amount || v.Refunded > v.Captured {
			t.Errorf("%s at Antom: captured %d refunded %d of %d", p.prid, v.Captured, v.Refunded, p.amount)
		}
	}
	w.checkDeliveriesStored(t, plans)
	w.mu.Lock()
	if len(w.resends) > 0 {
		t.Errorf("sent to Antom again although it had it: %q", w.resends)
	}
	again := 0
	for _, n := range w.sent {
		if n > 1 {
			again++
		}
	}
	// Sent again is right only for a request the simulator never took (a
	// send held when its replica died): those are counted, not refused.
	t.Logf("captures and refunds: %d request IDs, %d sent more than once before Antom had them; notifications forwarded per replica: %v",
		len(w.sent), again, w.door.counts())
	w.mu.Unlock()
	for i, r := range w.replicas {
		select {
		case err := <-r.exited:
			t.Errorf("replica %d exited: %v", i, err)
		default:
		}
	}
}

// replicaPlan is one payment of the load and what staff do with it.
type replicaPlan struct {
	prid, mode, card string
	amount           int64
	ops              []replicaOp // sent at once, each on its own replica
	want             *replicaWant
}

type replicaOp struct{ path, form string }

// replicaWant is Antom's end state where the operations make it certain.
type replicaWant struct {
	status             string
	captured, refunded int64
}

func newReplicaPlan(i int) *replicaPlan {
	p := &replicaPlan{prid: fmt.Sprintf("rep-%02d", i), mode: antom.CaptureManual, card: sim.CardVisaSuccess, amount: 4000 + 100*int64(i)}
	a := p.amount
	pay := paths.Payment(p.prid)
	switch i % kindCount {
	case kindDeclined:
		p.card = sim.CardVisaFailure
		p.want = &replicaWant{antom.PaymentFail, 0, 0}
	case kindCaptureFull:
		p.ops = []replicaOp{{pay + "/capture", "amount=" + major(a)}}
		p.want = &replicaWant{antom.PaymentSuccess, a, 0}
	case kindCaptureHalf:
		p.ops = []replicaOp{{pay + "/capture", "amount=" + major(a/2)}}
		p.want = &replicaWant{antom.PaymentSuccess, a / 2, 0}
	case kindCancel:
		p.ops = []replicaOp{{pay + "/cancel", ""}}
		p.want = &replicaWant{antom.PaymentCancelled, 0, 0}
	case kindCaptureTwice:
		p.ops = []replicaOp{{pay + "/capture", "amount=" + major(a)}, {pay + "/capture", "amount=" + major(a)}}
		p.want = &replicaWant{antom.PaymentSuccess, a, 0}
	case kindRefundFull:
		p.mode = antom.CaptureAutomatic
		p.ops = []replicaOp{{pay + "/refund", "reason=replicas&amount=" + major(a)}}
		p.want = &replicaWant{antom.PaymentSuccess, a, a}
	case kindRefundQuarter:
		p.mode = antom.CaptureAutomatic
		p.ops = []replicaOp{{pay + "/refund", "reason=replicas&amount=" + major(a/4)}}
		p.want = &replicaWant{antom.PaymentSuccess, a, a / 4}
	case kindRefundTwice:
		p.mode = antom.CaptureAutomatic
		p.ops = []replicaOp{{pay + "/refund", "reason=replicas&amount=" + major(a*3/4)}, {pay + "/refund", "reason=replicas&amount=" + major(a*3/4)}}
		p.want = &replicaWant{antom.PaymentSuccess, a, a * 3 / 4}
	}
	return p
}

// major writes minor units of SGD as the staff forms take them.
func major(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// replicaWorld is the simulator, the database, the front door and the
// replicas. It embeds a killWorld for what the two tests share (the
// simulator, the read-only store, compare, want, setFaults); that
// killWorld's own front door and process are unused.
type replicaWorld struct {
	*killWorld
	dbURL    string
	env      []string
	door     *replicaDoor
	replicas []*replica
	sent     map[string]int // "capture <id>" or "refund <id>": requests that reached the simulator; guarded by mu
}

// replica is one paydesk process.
type replica struct {
	addr   string // host:port it listens on
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
}

func (r *replica) url() string { return "http://" + r.addr }

func newReplicaWorld(t *testing.T, bin, dbURL string) *replicaWorld {
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	antomKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w := &replicaWorld{killWorld: &killWorld{root: t, bin: bin, dir: dir}, dbURL: dbURL, sent: map[string]int{}}
	privPEM, _ := antom.MarshalPrivateKeyPEM(merchant)
	pubPEM, _ := antom.MarshalPublicKeyPEM(&antomKey.PublicKey)
	for name, b := range map[string][]byte{"merchant.pem": privPEM, "antom.pem": pubPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	w.door = newReplicaDoor(t)
	// Simulated time runs 60 times faster: a notification that met a dead
	// replica is sent again 2 simulated minutes later, 2 s of the test.
	w.sim, err = sim.StartServer(context.Background(), "127.0.0.1:0", sim.Config{
		ClientID:          replicaClientID,
		MerchantPublicKey: &merchant.PublicKey,
		Key:               antomKey,
		Clock:             sim.NewScaledClock(60),
		OrderClose:        24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sim.Close() })
	proxy := &http.Server{Handler: w.watchAntom(w.sim.URL)}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go proxy.Serve(pln)
	t.Cleanup(func() { proxy.Close() })

	w.env = append(os.Environ(),
		"PAYDESK_DATABASE_URL="+dbURL, "PAYDESK_ADDR=127.0.0.1:0", "PAYDESK_PUBLIC_URL="+w.door.URL,
		"PAYDESK_SESSION_KEY=the replicas' shared session key, 48 bytes long!",
		"PAYDESK_ADMIN_EMAIL="+killEmail, "PAYDESK_ADMIN_PASSWORD="+killPassword, "PAYDESK_LOG_LEVEL=info", "PAYDESK_LOG_FORMAT=text",
		"ANTOM_CLIENT_ID="+replicaClientID, "ANTOM_BASE_URL=http://"+pln.Addr().String(),
		"ANTOM_MERCHANT_PRIVATE_KEY_FILE="+filepath.Join(dir, "merchant.pem"),
		"ANTOM_PUBLIC_KEY_FILE="+filepath.Join(dir, "antom.pem"),
		// Budgets for a loaded machine that still let a dead replica's
		// operations be taken over within seconds: one exchange 5 s, one
		// attempt 8 s, a dead attempt made again after 10 s.
		"ANTOM_TIMEOUT=5s", "PAYDESK_OPS_CALL_TIMEOUT=8s", "PAYDESK_OPS_LEASE=10s", "PAYDESK_OPS_BACKOFF=100ms",
	)

	// The replicas start together on the empty schema: one of them
	// migrates it and one creates the first admin.
	w.replicas = make([]*replica, replicaCount)
	errs := make([]error, replicaCount)
	var wg sync.WaitGroup
	for i := range w.replicas {
		wg.Add(1)
		go func() { defer wg.Done(); w.replicas[i], errs[i] = w.launch(t, i) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, r := range w.replicas {
				t.Logf("replica %d log (tail):\n%s", i, tail(r.logs.String(), 6000))
			}
		}
	})

	st, err := store.OpenPostgres(context.Background(), dbURL, store.WithMigrate(false))
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	t.Cleanup(func() { st.Close() })

	// The app's API key, made with the command line on the same database.
	cmd := exec.Command(bin, "apikey", "create", "shop-app")
	cmd.Env = append(slices.Clone(w.env), "PAYDESK_DATA_DIR="+filepath.Join(dir, "cli"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("paydesk apikey create: %v\n%s%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	w.apiKey = strings.TrimSpace(lines[len(lines)-1])
	return w
}

// launch starts replica n and waits until it serves. It runs outside the
// test goroutine: it returns errors instead of failing.
func (w *replicaWorld) launch(t *testing.T, n int) (*replica, error) {
	r := &replica{logs: &syncBuffer{}, exited: make(chan error, 1)}
	r.cmd = exec.Command(w.bin, "serve")
	r.cmd.Env = append(slices.Clone(w.env), "PAYDESK_DATA_DIR="+filepath.Join(w.dir, fmt.Sprintf("replica%d", n)))
	r.cmd.Stderr = r.logs
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	running := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Paydesk is running on ") {
				close(running)
			}
		}
	}()
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.Process.Kill() == nil {
			<-r.exited
		}
	})
	select {
	case <-running:
	case err := <-r.exited:
		r.exited <- err
		return nil, fmt.Errorf("replica %d exited before serving: %v\n%s", n, err, tail(r.logs.String(), 4000))
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("replica %d did not start within 60 s\n%s", n, tail(r.logs.String(), 4000))
	}
	// The log line comes through its own pipe: it may lag stdout.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := listenLog.FindStringSubmatch(r.logs.String()); m != nil {
			r.addr = m[1]
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("replica %d: no \"paydesk started\" log line\n%s", n, tail(r.logs.String(), 4000))
		}
	}
	w.door.add(n, r.addr)
	return r, nil
}

// kill ends replica n with SIGKILL.
func (w *replicaWorld) kill(t *testing.T, n int) {
	t.Helper()
	r := w.replicas[n]
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-r.exited
}

// watchAntom is a reverse proxy to the simulator that counts the captures
// and refunds sent for each request ID and notes those that arrive when the
// simulator already holds that request ID.
func (w *replicaWorld) watchAntom(simURL string) http.Handler {
	target, _ := url.Parse(simURL)
	proxy := &httputil.ReverseProxy{
		Rewrite:  func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = target.Host },
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		api := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if api == "capture" || api == "refund" {
			var req struct {
				CaptureRequestID string `json:"captureRequestId"`
				RefundRequestID  string `json:"refundRequestId"`
			}
			if json.Unmarshal(body, &req) == nil {
				id := req.CaptureRequestID + req.RefundRequestID
				has := w.antomHas(api, id)
				w.mu.Lock()
				w.sent[api+" "+id]++
				if has {
					w.resends = append(w.resends, api+" "+id)
				}
				w.mu.Unlock()
			}
		}
		proxy.ServeHTTP(rw, r)
	})
}

// replicaDoor is Paydesk's public URL, where Antom sends notifications: a
// reverse proxy that forwards each request to a random live replica.
type replicaDoor struct {
	URL       string
	mu        sync.Mutex
	live      map[int]string // replica → address
	forwarded map[int]int
}

func newReplicaDoor(t *testing.T) *replicaDoor {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &replicaDoor{URL: "http://" + ln.Addr().String(), live: map[int]string{}, forwarded: map[int]int{}}
	srv := &http.Server{Handler: &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: d.pick()})
			r.Out.Host = r.In.Host
		},
		ErrorLog: log.New(io.Discard, "", 0), // a dead replica: a 502, as from a real proxy
	}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return d
}

// pick chooses a live replica at random (a closed port when none is).
func (d *replicaDoor) pick() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.live) == 0 {
		return "127.0.0.1:1"
	}
	keys := make([]int, 0, len(d.live))
	for n := range d.live {
		keys = append(keys, n)
	}
	n := keys[mrand.IntN(len(keys))]
	d.forwarded[n]++
	return d.live[n]
}

func (d *replicaDoor) add(n int, addr string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.live[n] = addr
}

func (d *replicaDoor) remove(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.live, n)
}

func (d *replicaDoor) counts() map[int]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[int]int{}
	for n, c := range d.forwarded {
		out[n] = c
	}
	return out
}

// createSession asks replica n's app API for p's session and waits until
// it is ready in the database.
func (w *replicaWorld) createSession(t *testing.T, n int, p *replicaPlan) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"paymentRequestId": p.prid,
		"order": map[string]any{"referenceOrderId": "order-" + p.prid, "orderDescription": "Two coffees",
			"orderAmount": map[string]any{"currency": "SGD", "value": fmt.Sprint(p.amount)}},
		"captureMode": p.mode,
		"env":         map[string]any{"terminalType": "WEB"},
	})
	req, _ := http.NewRequest(http.MethodPost, w.replicas[n].url()+paths.APISessions, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+w.apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// A loaded machine may answer 202: the session is still on its way.
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusAccepted {
		t.Fatalf("create session %s on replica %d: HTTP %d: %s", p.prid, n, res.StatusCode, b)
	}
}

// pay pays each payment at the simulator once its session is ready.
func (w *replicaWorld) pay(t *testing.T, plans []*replicaPlan) {
	t.Helper()
	for _, p := range plans {
		w.eventually(t, p.prid+" session ready", func() error {
			d, err := w.st.GetPayment(context.Background(), p.prid)
			if err == nil && d.Status != store.StatusSessionReady {
				err = fmt.Errorf("status %s", d.Status)
			}
			return err
		})
		if _, err := w.sim.Sim.PayByRequestID(context.Background(), p.prid, sim.Card{Number: p.card}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitPaid waits until Paydesk knows each payment's outcome (and its
// automatic capture).
func (w *replicaWorld) waitPaid(t *testing.T, plans []*replicaPlan) {
	t.Helper()
	for _, p := range plans {
		w.eventually(t, p.prid+" paid", func() error {
			d, err := w.st.GetPayment(context.Background(), p.prid)
			switch {
			case err != nil:
				return err
			case p.card != sim.CardVisaSuccess:
				if d.Status != store.StatusFail {
					return fmt.Errorf("status %s", d.Status)
				}
			case d.Status != store.StatusSuccess || (p.mode == antom.CaptureAutomatic && d.CapturedMinor != p.amount):
				return fmt.Errorf("%s captured %d", d.Status, d.CapturedMinor)
			}
			return nil
		})
	}
}

// operate sends p's operations at once, each through its own replica of
// on (in turn from where the previous payment's left off), as staff signed
// in on replica 0, and waits for the answers: a single operation must be
// accepted; of two racing ones at least one. Payments are operated on one
// after the other, as a person would: each money form checks the password,
// and more than a handful of checks at once are refused as a guessing
// attack (429).
func (w *replicaWorld) operate(t *testing.T, staff *killStaff, p *replicaPlan, on []int) {
	t.Helper()
	if len(p.ops) == 0 {
		return
	}
	answers := make([]string, len(p.ops))
	var wg sync.WaitGroup
	for j, op := range p.ops {
		n := on[(int(p.amount/100)+j)%len(on)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[j] = staff.postTo(w.replicas[n].url(), op.path, op.form)
		}()
	}
	wg.Wait()
	// Accepted is a redirect to the payment (a session another replica
	// could not read would be sent to sign in).
	if accepted := "303 " + paths.Payment(p.prid); !slices.Contains(answers, accepted) {
		t.Errorf("%s: operations answered %q, want %q", p.prid, answers, accepted)
	}
}

// operateHeld sends p's operations through the victim, whose captures,
// cancels and refunds the simulator holds: they never answer. It returns
// once one is pending in the database; held ends when they have ended.
func (w *replicaWorld) operateHeld(t *testing.T, staff *killStaff, p *replicaPlan, held *sync.WaitGroup) {
	t.Helper()
	if len(p.ops) == 0 {
		return
	}
	for _, op := range p.ops {
		held.Add(1)
		go func() {
			defer held.Done()
			staff.postTo(w.replicas[replicaVictim].url(), op.path, op.form)
		}()
	}
	w.eventually(t, p.prid+" has an operation pending", func() error { return w.pendingOperation(p.prid) })
}

// pendingOperation reports whether a payment has an operation pending.
func (w *replicaWorld) pendingOperation(prid string) error {
	d, err := w.st.GetPayment(context.Background(), prid)
	if err != nil {
		return err
	}
	for _, o := range d.Operations {
		if o.State == store.OpPending {
			return nil
		}
	}
	return errors.New("none pending")
}

// checkDeliveriesStored checks that every notification attempt the
// simulator counts as acknowledged is stored as a delivery: same body and
// request-time, as many times as it was acknowledged.
func (w *replicaWorld) checkDeliveriesStored(t *testing.T, plans []*replicaPlan) {
	t.Helper()
	acked := map[string]map[string]int{} // paymentRequestId → body+request-time → acknowledged attempts
	total := 0
	for _, a := range w.sim.Sim.Deliveries() {
		if !a.Acked {
			continue
		}
		if acked[a.PaymentRequestID] == nil {
			acked[a.PaymentRequestID] = map[string]int{}
		}
		acked[a.PaymentRequestID][a.RequestTime+"\n"+a.Body]++
		total++
	}
	for _, p := range plans {
		stored, err := w.st.PaymentDeliveries(context.Background(), p.prid)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]int{}
		for _, d := range stored {
			have[d.RequestTime+"\n"+string(d.Body)]++
		}
		for key, n := range acked[p.prid] {
			if have[key] < n {
				rt, body, _ := strings.Cut(key, "\n")
				t.Errorf("%s: a notification acknowledged %d times is stored %d times (request-time %s): %.200s", p.prid, n, have[key], rt, body)
			}
		}
	}
	if total == 0 {
		t.Error("the simulator counts no notification as acknowledged")
	}
	failed := 0
	for _, a := range w.sim.Sim.Deliveries() {
		if !a.Acked {
			failed++
		}
	}
	t.Logf("%d acknowledged notification attempts, each stored; %d attempts failed (a dead replica) and were made again", total, failed)
}

// eventually retries check until replicaWait has passed.
func (w *replicaWorld) eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(replicaWait)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, replicaWait, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signIn signs the first admin in on replica n (which also confirms the
// password for the money routes' step-up).
func (w *replicaWorld) signIn(t *testing.T, n int) *killStaff {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &killStaff{t: t, base: w.replicas[n].url(), client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.get(paths.Login)
	res, err := s.client.PostForm(s.base+paths.Login, url.Values{"_csrf": {s.csrf}, "email": {killEmail}, "password": {killPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: HTTP %d", res.StatusCode)
	}
	s.get(paths.Payments)
	return s
}

// postTo sends a staff money form, confirmed, to the replica at base with
// the cookies and CSRF token of the replica staff signed in on; it returns
// the HTTP status and where it redirects ("" when no answer came).
func (s *killStaff) postTo(base, path, form string) string {
	confirmed := url.Values{"confirm": {"1"}, "password": {killPassword}}.Encode()
	if form != "" {
		confirmed = form + "&" + confirmed
	}
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(confirmed))
	if err != nil {
		return ""
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", s.csrf)
	res, err := s.client.Do(req)
	if err != nil {
		return ""
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return strings.TrimSpace(fmt.Sprint(res.StatusCode, " ", res.Header.Get("Location")))
}
