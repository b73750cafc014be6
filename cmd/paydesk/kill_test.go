package main

// TestKill9Operations: the paydesk binary, killed with SIGKILL while money
// operations are between their first send and Antom's answer, restarted on
// the same data, must end with Antom's truth and without sending Antom
// twice what it has.

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
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

const (
	killClientID = "SANDBOX_PAYDESK_KILL"
	killEmail    = "ops@example.com"
	killPassword = "the kill test's password"
	killAmount   = 4200
)

// TestKill9Operations runs two rounds against one simulator and one data
// directory. In each, four payments are brought to where an operation
// can start (a session to create, a capture, a cancel, a refund), the
// simulator is told to misbehave on every API, the operations are started
// through Paydesk's own HTTP routes, and the process is killed with
// SIGKILL:
//
//   - in flight: apiDelay holds every capture, cancel and refund at the
//     simulator, which never processes them (the connection dies with the
//     process). After the restart, each operation's lease ends with nothing
//     recorded; the reconciler asks Antom, learns it has nothing, and sends
//     it again with the same request ID.
//   - processed, answer lost: the simulator processes every call but
//     answers U (apiUnknownProcessed, inquiries too, notifications
//     dropped), so nothing can settle before the kill. After the restart
//     the reconciler and the poller learn from inquiries what Antom did.
//
// The faults are cleared before the restart. Every payment must then end
// equal to the simulator's, with no operation pending, and no capture or
// refund may reach the simulator again once it holds it.
func TestKill9Operations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the paydesk binary")
	}
	bin := buildPaydesk(t)
	k := newKillWorld(t, bin)

	t.Run("in flight", func(t *testing.T) {
		capture, cancel, refund := k.paid(t, "k9a-capture", antom.CaptureManual), k.paid(t, "k9a-cancel", antom.CaptureManual), k.paid(t, "k9a-refund", antom.CaptureAutomatic)
		k.setFaults(t, sim.Faults{APIDelay: time.Minute, APIs: []string{"capture", "cancel", "refund"}})
		staff := k.signIn(t)
		var wg sync.WaitGroup
		for _, op := range []struct{ path, form string }{
			{paths.Payment(capture) + "/capture", "amount=15.00"},
			{paths.Payment(cancel) + "/cancel", ""},
			{paths.Payment(refund) + "/refund", "amount=10.00&reason=kill"},
		} {
			wg.Add(1)
			go func() { defer wg.Done(); staff.post(op.path, op.form) }() // answers only after the kill
		}
		k.waitOperations(t, 3)
		time.Sleep(300 * time.Millisecond) // the sends are at the simulator
		k.kill(t)
		wg.Wait()
		k.setFaults(t, sim.Faults{})
		k.start(t)
		k.converge(t, capture, cancel, refund)
		k.want(t, capture, antom.PaymentSuccess, 1500, 0)
		k.want(t, cancel, antom.PaymentCancelled, 0, 0)
		k.want(t, refund, antom.PaymentSuccess, killAmount, 1000)
	})

	t.Run("processed, answer lost", func(t *testing.T) {
		capture, cancel, refund := k.paid(t, "k9b-capture", antom.CaptureManual), k.paid(t, "k9b-cancel", antom.CaptureManual), k.paid(t, "k9b-refund", antom.CaptureAutomatic)
		k.setFaults(t, sim.Faults{APIUnknown: -1, APIUnknownProcessed: true, DropFirst: 8})
		session := "k9b-session"
		k.createSession(t, session, antom.CaptureAutomatic, http.StatusAccepted)
		staff := k.signIn(t)
		staff.post(paths.Payment(capture)+"/capture", "amount=42.00")
		staff.post(paths.Payment(cancel)+"/cancel", "")
		staff.post(paths.Payment(refund)+"/refund", "amount=42.00&reason=kill")
		k.waitOperations(t, 3)
		k.kill(t)
		k.setFaults(t, sim.Faults{DropFirst: 8})
		k.start(t)
		k.converge(t, session, capture, cancel, refund)
		if _, err := k.sim.Sim.PayByRequestID(context.Background(), session, sim.Card{Number: sim.CardVisaSuccess}); err != nil {
			t.Fatal(err)
		}
		k.converge(t, session)
		k.want(t, session, antom.PaymentSuccess, killAmount, 0)
		k.want(t, capture, antom.PaymentSuccess, killAmount, 0)
		k.want(t, cancel, antom.PaymentCancelled, 0, 0)
		k.want(t, refund, antom.PaymentSuccess, killAmount, killAmount)
	})
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.resends) > 0 {
		t.Errorf("sent again although Antom had it: %q", k.resends)
	}
}

// buildPaydesk builds this command into a temp dir.
func buildPaydesk(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "paydesk")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killWorld is the simulator, the data directory and the paydesk process.
type killWorld struct {
	root   *testing.T // owns the process across subtests
	bin    string
	dir    string
	front  *frontDoor // Paydesk's public URL, the same across restarts
	env    []string
	sim    *sim.Server
	apiKey string
	st     *store.Store // read-only use: what Paydesk recorded

	cmd    *exec.Cmd
	starts int // how many times it started
	exited chan error
	logs   *syncBuffer

	mu      sync.Mutex
	resends []string
}

func newKillWorld(t *testing.T, bin string) *killWorld {
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	antomKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &killWorld{root: t, bin: bin, dir: filepath.Join(dir, "data"), logs: &syncBuffer{}}
	privPEM, _ := antom.MarshalPrivateKeyPEM(merchant)
	pubPEM, _ := antom.MarshalPublicKeyPEM(&antomKey.PublicKey)
	for name, b := range map[string][]byte{"merchant.pem": privPEM, "antom.pem": pubPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	k.front = newFrontDoor(t)
	k.sim, err = sim.StartServer(context.Background(), "127.0.0.1:0", sim.Config{
		ClientID:          killClientID,
		MerchantPublicKey: &merchant.PublicKey,
		Key:               antomKey,
		OrderClose:        24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.sim.Close() })
	// The simulator's own server has no hook: a proxy in front of it
	// notes captures and refunds sent for request IDs it already holds.
	proxy := &http.Server{Handler: k.watchResends(k.sim.URL)}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go proxy.Serve(pln)
	t.Cleanup(func() { proxy.Close() })

	k.env = append(os.Environ(),
		"PAYDESK_DATA_DIR="+k.dir, "PAYDESK_ADDR=127.0.0.1:0", "PAYDESK_PUBLIC_URL="+k.front.URL,
		"PAYDESK_ADMIN_EMAIL="+killEmail, "PAYDESK_ADMIN_PASSWORD="+killPassword, "PAYDESK_LOG_LEVEL=info", "PAYDESK_LOG_FORMAT=text",
		"ANTOM_CLIENT_ID="+killClientID, "ANTOM_BASE_URL=http://"+pln.Addr().String(),
		"ANTOM_MERCHANT_PRIVATE_KEY_FILE="+filepath.Join(dir, "merchant.pem"),
		"ANTOM_PUBLIC_KEY_FILE="+filepath.Join(dir, "antom.pem"),
		// A short budget, so that the run takes seconds: one exchange
		// 500 ms, one attempt 2 s, a dead attempt made again after 3 s.
		"ANTOM_TIMEOUT=500ms", "PAYDESK_OPS_CALL_TIMEOUT=2s", "PAYDESK_OPS_LEASE=3s", "PAYDESK_OPS_BACKOFF=100ms",
	)
	k.start(t)
	st, err := store.Open(context.Background(), k.dir)
	if err != nil {
		t.Fatal(err)
	}
	k.st = st
	t.Cleanup(func() { st.Close() })
	if _, k.apiKey, err = st.CreateAPIKey(context.Background(), "shop-app", store.AuditContext{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("paydesk log (tail):\n%s", tail(k.logs.String(), 8000))
		}
	})
	return k
}

// start runs the binary and waits until it serves.
func (k *killWorld) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(k.bin, "serve")
	cmd.Env = k.env
	cmd.Stderr = k.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k.cmd, k.exited = cmd, make(chan error, 1)
	running := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Paydesk is running on ") {
				close(running)
			}
		}
	}()
	go func() { k.exited <- cmd.Wait() }()
	k.root.Cleanup(func() {
		if k.cmd == cmd {
			cmd.Process.Kill()
			<-k.exited
		}
	})
	select {
	case <-running:
		// The log line comes through its own pipe: it may lag stdout.
		k.eventually(t, "paydesk logs its listen address", func() error {
			if m := listenLog.FindAllStringSubmatch(k.logs.String(), -1); len(m) > k.starts {
				k.front.to(m[len(m)-1][1])
				return nil
			}
			return errors.New("no \"paydesk started\" line yet")
		})
		k.starts++
	case err := <-k.exited:
		t.Fatalf("paydesk exited before serving: %v\n%s", err, tail(k.logs.String(), 4000))
	case <-time.After(30 * time.Second):
		t.Fatalf("paydesk did not start within 30 s\n%s", tail(k.logs.String(), 4000))
	}
}

// listenLog finds the address in Paydesk's start-up log line.
var listenLog = regexp.MustCompile(`msg="paydesk started".* listen=(\S+)`)

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

// kill ends the process with SIGKILL.
func (k *killWorld) kill(t *testing.T) {
	t.Helper()
	if err := k.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-k.exited
	k.cmd = nil
}

// watchResends is a reverse proxy to the simulator that notes every capture
// or refund arriving for a request ID the simulator already holds.
func (k *killWorld) watchResends(simURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		api := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if api == "capture" || api == "refund" {
			var req struct {
				CaptureRequestID string `json:"captureRequestId"`
				RefundRequestID  string `json:"refundRequestId"`
			}
			if json.Unmarshal(body, &req) == nil && k.antomHas(api, req.CaptureRequestID+req.RefundRequestID) {
				k.mu.Lock()
				k.resends = append(k.resends, api+" "+req.CaptureRequestID+req.RefundRequestID)
				k.mu.Unlock()
			}
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, simURL+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		res, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		for name, v := range res.Header {
			w.Header()[name] = v
		}
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
}

func (k *killWorld) antomHas(api, requestID string) bool {
	for _, p := range k.sim.Sim.Payments() {
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

// setFaults replaces the simulator's faults over its control API.
func (k *killWorld) setFaults(t *testing.T, f sim.Faults) {
	t.Helper()
	body, _ := json.Marshal(f)
	setFaults(t, k.sim.URL, string(body))
}

// createSession asks for a session through the app API.
func (k *killWorld) createSession(t *testing.T, prid, captureMode string, want ...int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"paymentRequestId": prid,
		"order": map[string]any{"referenceOrderId": "order-" + prid, "orderDescription": "Two coffees",
			"orderAmount": map[string]any{"currency": "SGD", "value": fmt.Sprint(killAmount)}},
		"captureMode": captureMode,
		"env":         map[string]any{"terminalType": "WEB"},
	})
	req, _ := http.NewRequest(http.MethodPost, k.front.URL+paths.APISessions, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k.apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !slices.Contains(want, res.StatusCode) {
		t.Fatalf("create session %s: HTTP %d, want %v: %s", prid, res.StatusCode, want, b)
	}
}

// paid creates a payment, pays it in the simulator and waits until
// Paydesk knows (with its automatic capture, if any).
func (k *killWorld) paid(t *testing.T, prid, captureMode string) string {
	t.Helper()
	// A loaded machine may answer 202: the session is still on its way.
	k.createSession(t, prid, captureMode, http.StatusOK, http.StatusAccepted)
	k.eventually(t, prid+" session ready", func() error {
		d, err := k.st.GetPayment(context.Background(), prid)
		if err == nil && d.Status != store.StatusSessionReady {
			err = fmt.Errorf("status %s", d.Status)
		}
		return err
	})
	if _, err := k.sim.Sim.PayByRequestID(context.Background(), prid, sim.Card{Number: sim.CardVisaSuccess}); err != nil {
		t.Fatal(err)
	}
	k.eventually(t, prid+" paid", func() error {
		d, err := k.st.GetPayment(context.Background(), prid)
		switch {
		case err != nil:
			return err
		case d.Status != store.StatusSuccess || (captureMode == antom.CaptureAutomatic && d.CapturedMinor != killAmount):
			return fmt.Errorf("%s captured %d", d.Status, d.CapturedMinor)
		}
		return nil
	})
	return prid
}

// waitOperations waits until n operations are pending in the database.
func (k *killWorld) waitOperations(t *testing.T, n int) {
	t.Helper()
	k.eventually(t, fmt.Sprintf("%d operations pending", n), func() error {
		h, err := k.st.OperationsHealth(context.Background(), time.Now())
		if err != nil || h.Pending < n {
			return fmt.Errorf("%d pending (%v)", h.Pending, err)
		}
		return nil
	})
}

// converge waits until Paydesk's record of each payment equals the
// simulator's: status, totals, each capture and refund, nothing pending.
func (k *killWorld) converge(t *testing.T, prids ...string) {
	t.Helper()
	for _, prid := range prids {
		k.eventually(t, prid+" equal to the simulator's", func() error { return k.compare(prid) })
	}
}

func (k *killWorld) compare(prid string) error {
	d, err := k.st.GetPayment(context.Background(), prid)
	if err != nil {
		return err
	}
	v, ok := k.sim.Sim.Payment(prid)
	if !ok {
		return errors.New("the simulator has no such payment")
	}
	status := map[store.PaymentStatus]string{store.StatusSessionReady: antom.PaymentProcessing, store.StatusProcessing: antom.PaymentProcessing,
		store.StatusSuccess: antom.PaymentSuccess, store.StatusFail: antom.PaymentFail, store.StatusCancelled: antom.PaymentCancelled}
	var diffs []string
	if status[d.Status] != v.Status || d.CapturedMinor != v.Captured || d.RefundedMinor != v.Refunded {
		diffs = append(diffs, fmt.Sprintf("%s captured %d refunded %d, Antom %s %d %d", d.Status, d.CapturedMinor, d.RefundedMinor, v.Status, v.Captured, v.Refunded))
	}
	var ours, theirs []string
	for _, c := range d.Captures {
		ours = append(ours, fmt.Sprintf("capture %s %d %s", c.CaptureID, c.AmountMinor, c.Status))
	}
	for _, r := range d.Refunds {
		ours = append(ours, fmt.Sprintf("refund %s %s %d %s", r.RefundRequestID, r.RefundID, r.AmountMinor, r.Status))
	}
	for _, c := range v.Captures {
		m, _ := c.Amount.Minor()
		theirs = append(theirs, fmt.Sprintf("capture %s %d %s", c.CaptureID, m, store.TxnSuccess))
	}
	for _, r := range v.Refunds {
		m, _ := r.Amount.Minor()
		theirs = append(theirs, fmt.Sprintf("refund %s %s %d %s", r.RefundRequestID, r.RefundID, m, store.TxnSuccess))
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	if !slices.Equal(ours, theirs) {
		diffs = append(diffs, fmt.Sprintf("%q, Antom %q", ours, theirs))
	}
	for _, o := range d.Operations {
		if o.State == store.OpPending {
			diffs = append(diffs, o.Title()+" pending: "+o.LastAnswer)
		}
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

// want checks the simulator's end state of a payment.
func (k *killWorld) want(t *testing.T, prid, status string, captured, refunded int64) {
	t.Helper()
	v, _ := k.sim.Sim.Payment(prid)
	if v.Status != status || v.Captured != captured || v.Refunded != refunded {
		t.Errorf("%s at Antom: %s captured %d refunded %d, want %s %d %d", prid, v.Status, v.Captured, v.Refunded, status, captured, refunded)
	}
}

// eventually retries check for up to 30 s.
func (k *killWorld) eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// killStaff is a signed-in browser.
type killStaff struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// signIn signs the first admin in (which also confirms the password for
// the money routes' step-up).
func (k *killWorld) signIn(t *testing.T) *killStaff {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &killStaff{t: t, base: k.front.URL, client: &http.Client{Jar: jar,
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

func (s *killStaff) get(path string) {
	res, err := s.client.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfMeta.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
}

// post sends a staff money form as its confirmation panel does (confirmed,
// with the password refunds and cancels ask for every time); the answer
// does not matter (it may never come: the process is killed).
func (s *killStaff) post(path, form string) {
	confirmed := url.Values{"confirm": {"1"}, "password": {killPassword}}.Encode()
	if form != "" {
		confirmed = form + "&" + confirmed
	}
	req, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(confirmed))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", s.csrf)
	if res, err := s.client.Do(req); err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
