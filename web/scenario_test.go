package web

// The randomized scenario test (issue 8): seeded, reproducible scenarios
// mixing payments, captures, cancels and refunds with random notification
// faults (duplicates, reorder, drops, delays, wrong amounts), API faults
// (unknown answers, processed or not, HTTP 5xx, answers slower than the
// client waits) and Paydesk restarts, some in the middle of a call. Every
// scenario must converge to the simulator's truth with the ledger
// invariants intact.
//
//	go test -run TestScenarios ./web/                                 # the CI slice
//	PAYDESK_SCENARIO_SEED=123 go test -run TestScenarios -v ./web/    # rerun one
//	PAYDESK_SCENARIOS=1000 go test -run TestScenarios -v ./web/       # make soak

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/paths"
)

// scnStack is Paydesk on a fixed loopback address and data directory that
// can be restarted (gracefully, or cut short as a crash would) while the
// simulator keeps running.
type scnStack struct {
	t      testing.TB
	dir    string
	addr   string
	front  *sharedListener // the listening socket, kept across restarts
	sim    *sim.Server
	client *antom.Client
	offset atomic.Int64 // the jobs' clock is real time plus this (ns)
	st     *store.Store
	h      *handlers.Handlers
	srv    *Server
	jobs   *PaymentJobs
	served chan struct{}
}

func (s *scnStack) jobsNow() time.Time { return time.Now().Add(time.Duration(s.offset.Load())) }

func (s *scnStack) start() {
	s.t.Helper()
	st, err := store.Open(context.Background(), s.dir)
	if err != nil {
		s.t.Fatalf("open store: %v", err)
	}
	base := "http://" + s.addr
	h, err := handlers.New(handlers.Deps{
		Store: st, Antom: s.client, NotifyURL: base + paths.WebhookAntom, RedirectURL: base + paths.Payments,
		Sandbox: true, Simulated: true,
		Auth: handlers.AuthConfig{SessionKey: bytes.Repeat([]byte("s"), handlers.MinSessionKeyLength)},
		Ops: ops.Config{CallTimeout: 600 * time.Millisecond, RecordTimeout: 5 * time.Second, Wait: 50 * time.Millisecond,
			Lease: 2 * time.Second, BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond},
	})
	if err != nil {
		s.t.Fatalf("handlers: %v", err)
	}
	srv, err := New(Config{}, h)
	if err != nil {
		s.t.Fatalf("web: %v", err)
	}
	// Each Paydesk serves the same listening socket in turn: the port the
	// simulator posts notifications to stays Paydesk's across restarts
	// (listening again on it could find it taken by an outgoing
	// connection).
	ln := s.front.generation()
	s.st, s.h, s.srv = st, h, srv
	s.jobs = NewPaymentJobs(h, JobsConfig{Now: s.jobsNow})
	s.served = make(chan struct{})
	go func() { srv.Serve(ln); close(s.served) }()
}

// stop shuts Paydesk down. A crash gives in-flight work no time: attempts
// still waiting for Antom are abandoned (their answers are lost, as they
// would be with kill -9) and the reconciler must take them over.
func (s *scnStack) stop(crash bool) {
	wait := 10 * time.Second
	if crash {
		wait = time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.served
	s.st.Close()
}

func (s *scnStack) restart(crash bool) {
	s.stop(crash)
	s.start()
}

// settle runs the background work — the sweeper's orphan and stuck checks,
// the reconciler, the poller — in rounds, each on a jobs clock an hour
// further on (so every backoff and lease has passed), until check passes
// and the simulator has no notification left to send, or budget ends.
// (Session expiry is left out: the jobs' clock runs far ahead of the
// simulator's.)
func (s *scnStack) settle(ctx context.Context, budget time.Duration, check func() error) error {
	var err error
	for end := time.Now().Add(budget); ; {
		if err = check(); err == nil && s.sim.Sim.PendingDeliveries() == 0 {
			return nil
		}
		if time.Now().After(end) {
			if err == nil {
				err = fmt.Errorf("the simulator still has %d notifications to send", s.sim.Sim.PendingDeliveries())
			}
			return err
		}
		s.offset.Add(int64(time.Hour))
		if _, e := s.st.MarkStuck(ctx, s.jobsNow()); e != nil {
			return e
		}
		if _, e := s.jobs.ReconcileOnce(ctx); e != nil {
			return e
		}
		if _, e := s.jobs.PollOnce(ctx); e != nil {
			return e
		}
		time.Sleep(20 * time.Millisecond) // notifications in flight land
	}
}

// sharedListener is one listening socket that successive servers take
// turns on: each gets a generation, whose Close ends only its own turn.
type sharedListener struct {
	net.Listener
	conns chan net.Conn
	done  chan struct{}
}

func newSharedListener() (*sharedListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &sharedListener{Listener: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.conns <- c
		}
	}()
	return l, nil
}

// generation is a listener for one server's turn.
func (l *sharedListener) generation() net.Listener {
	return &generationListener{shared: l, closed: make(chan struct{})}
}

// Close stops accepting for good.
func (l *sharedListener) Close() error {
	err := l.Listener.Close()
	go func() { // hand any connection still queued to nobody
		for {
			select {
			case c := <-l.conns:
				c.Close()
			case <-l.done:
				return
			}
		}
	}()
	return err
}

type generationListener struct {
	shared *sharedListener
	once   sync.Once
	closed chan struct{}
}

func (g *generationListener) Accept() (net.Conn, error) {
	select {
	case c := <-g.shared.conns:
		return c, nil
	case <-g.closed:
		return nil, net.ErrClosed
	case <-g.shared.done:
		return nil, net.ErrClosed
	}
}

func (g *generationListener) Close() error {
	g.once.Do(func() { close(g.closed) })
	return nil
}

func (g *generationListener) Addr() net.Addr { return g.shared.Addr() }

// scnFaults draws the faults of one step.
func scnFaults(r *rand.Rand, api string) (sim.Faults, string) {
	var f sim.Faults
	var words []string
	if r.IntN(3) == 0 {
		f.Duplicate = 2 + r.IntN(2)
		words = append(words, fmt.Sprintf("duplicate×%d", f.Duplicate))
	}
	if r.IntN(4) == 0 {
		f.Reorder = true
		words = append(words, "reorder")
	}
	if r.IntN(3) == 0 {
		f.DropFirst = 1 + r.IntN(8)
		words = append(words, fmt.Sprintf("drop %d", f.DropFirst))
	}
	if r.IntN(4) == 0 {
		f.FailFirst = 1 + r.IntN(3)
		words = append(words, fmt.Sprintf("failFirst %d", f.FailFirst))
	}
	if r.IntN(4) == 0 {
		f.NotifyDelay = time.Duration(1+r.IntN(30)) * time.Minute
		words = append(words, "delay "+f.NotifyDelay.String())
	}
	if r.IntN(5) == 0 {
		f.WrongAmount = true
		words = append(words, "wrongAmount")
	}
	if api != "" {
		switch r.IntN(6) {
		case 0:
			f.APIUnknown = 1 + r.IntN(2)
			words = append(words, fmt.Sprintf("apiUnknown %d", f.APIUnknown))
		case 1:
			f.APIUnknown, f.APIUnknownProcessed = 1+r.IntN(2), true
			words = append(words, fmt.Sprintf("apiUnknownProcessed %d", f.APIUnknown))
		case 2:
			f.APIHTTP5xx = 1 + r.IntN(2)
			words = append(words, fmt.Sprintf("apiHttp5xx %d", f.APIHTTP5xx))
		case 3:
			f.APIDelay = 900 * time.Millisecond // longer than the 600 ms the client waits
			words = append(words, "apiDelay 900ms")
		}
		if f.APIUnknown+f.APIHTTP5xx > 0 || f.APIDelay > 0 {
			f.APIs = []string{api}
			words = append(words, "on "+api)
		}
	}
	return f, strings.Join(words, ", ")
}

// scnPayment is what the scenario did to one payment.
type scnPayment struct {
	id     string
	manual bool
	amount int64
	last   store.PaymentStatus // the status seen last, to catch a final status moving back
}

// runScenario plays one seeded scenario and returns nil when Paydesk
// converged to the simulator's truth with the invariants intact.
func runScenario(t testing.TB, seed uint64, merchant, antomKey *rsa.PrivateKey) (log []string, err error) {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx := context.Background()
	front, lerr := newSharedListener()
	if lerr != nil {
		return nil, lerr
	}
	defer front.Close()
	addr := front.Addr().String()
	simSrv, serr := sim.StartServer(ctx, "127.0.0.1:0", sim.Config{
		ClientID: payTestClientID, MerchantPublicKey: &merchant.PublicKey, Key: antomKey,
		Clock: sim.NewScaledClock(20000), OrderClose: 24 * time.Hour,
	})
	if serr != nil {
		return nil, serr
	}
	defer simSrv.Close()
	client := antom.NewClient(simSrv.URL, payTestClientID, merchant, &antomKey.PublicKey,
		antom.WithRetryBackoff(5*time.Millisecond), antom.WithTimeout(600*time.Millisecond), antom.WithRetries(1))
	s := &scnStack{t: t, dir: t.TempDir(), addr: addr, front: front, sim: simSrv, client: client}
	s.start()
	defer func() { s.stop(false) }()
	say := func(format string, a ...any) { log = append(log, fmt.Sprintf(format, a...)) }

	var pays []*scnPayment
	steps := 4 + r.IntN(8)
	for step := 0; step < steps; step++ {
		kind := r.IntN(10)
		var target *scnPayment
		if len(pays) > 0 {
			target = pays[r.IntN(len(pays))]
		}
		if target == nil || kind < 3 {
			kind = -1 // a new payment
		}
		api := map[int]string{-1: "createPaymentSession", 3: "capture", 4: "capture", 5: "cancel", 6: "refund", 7: "refund", 8: "inquiryPayment", 9: "inquiryPayment"}[kind]
		f, words := scnFaults(r, api)
		simSrv.Sim.SetFaults(f)
		crash := r.IntN(6) == 0
		op := s.h.Operations
		switch {
		case kind == -1:
			manual := r.IntN(2) == 0
			amount := int64(100 * (1 + r.IntN(500)))
			if amount == 1100 {
				amount = 1200 // "11" is the simulator's risk reject; keep the scenario's payments payable
			}
			mode := antom.CaptureAutomatic
			if manual {
				mode = antom.CaptureManual
			}
			p, err := s.st.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: fmt.Sprintf("scn-%d-%d", seed, step),
				Description: "scenario", AmountMinor: amount, Currency: "SGD", CaptureMode: mode, NotifyURL: "http://" + addr + paths.WebhookAntom,
				RedirectURL: "http://" + addr + paths.Payments, CreatedBy: "scenario"})
			if err != nil {
				return log, fmt.Errorf("create payment: %w", err)
			}
			if _, err := op.CreateSession(ctx, p); err != nil {
				return log, fmt.Errorf("create session: %w", err)
			}
			sp := &scnPayment{id: p.PaymentRequestID, manual: manual, amount: amount}
			pays = append(pays, sp)
			card := sim.CardVisaSuccess
			if r.IntN(5) == 0 {
				card = sim.CardVisaFailure
			}
			_, perr := simSrv.Sim.PayByRequestID(ctx, sp.id, sim.Card{Number: card})
			say("step %d: new %s payment %s of %d, card %s [%s] → pay: %v", step, mode, sp.id, amount, card, words, perr)
		case kind <= 4:
			amount := target.amount
			if r.IntN(2) == 0 {
				amount = target.amount / int64(2+r.IntN(3))
			}
			_, err := op.Capture(ctx, target.id, amount, store.AuditContext{Actor: "user:scenario"})
			say("step %d: capture %d of %s [%s] → %v", step, amount, target.id, words, err)
		case kind == 5:
			_, err := op.Cancel(ctx, target.id, store.AuditContext{Actor: "user:scenario"})
			say("step %d: cancel %s [%s] → %v", step, target.id, words, err)
		case kind <= 7:
			amount := target.amount
			if r.IntN(2) == 0 {
				amount = target.amount / int64(2+r.IntN(3))
			}
			_, err := op.Refund(ctx, target.id, amount, "scenario", store.AuditContext{Actor: "user:scenario"})
			say("step %d: refund %d of %s [%s] → %v", step, amount, target.id, words, err)
		default:
			_, err := op.Inquire(ctx, target.id, "user:scenario")
			say("step %d: inquiry %s [%s] → %v", step, target.id, words, err)
		}
		if crash {
			say("step %d: Paydesk crashes and restarts", step)
			s.restart(true)
		} else if r.IntN(8) == 0 {
			say("step %d: Paydesk restarts", step)
			s.restart(false)
		}
		if err := s.checkInvariants(ctx, pays); err != nil {
			return log, fmt.Errorf("after step %d: %w", step, err)
		}
	}
	// Faults end; everything must converge to Antom's truth.
	simSrv.Sim.SetFaults(sim.Faults{})
	say("faults off; settling")
	if err := s.settle(ctx, 20*time.Second, func() error { return s.converged(ctx, pays) }); err != nil {
		return log, fmt.Errorf("did not converge: %w", err)
	}
	return log, s.checkInvariants(ctx, pays)
}

// checkInvariants are the ledger rules that hold at every moment:
// captured ≤ authorized, refunded ≤ captured, no final status moving back.
func (s *scnStack) checkInvariants(ctx context.Context, pays []*scnPayment) error {
	for _, sp := range pays {
		d, err := s.st.GetPayment(ctx, sp.id)
		if err != nil {
			return err
		}
		var captured, refunded int64
		for _, c := range d.Captures {
			if c.Status != store.TxnFail {
				captured += c.AmountMinor
			}
		}
		for _, rf := range d.Refunds {
			if rf.Status != store.TxnFail {
				refunded += rf.AmountMinor
			}
		}
		switch {
		case captured > d.AmountMinor:
			return fmt.Errorf("%s: %d captured or capturing of %d authorized", sp.id, captured, d.AmountMinor)
		case refunded > d.CapturedMinor:
			return fmt.Errorf("%s: %d refunded or refunding of %d captured", sp.id, refunded, d.CapturedMinor)
		}
		if sp.last != "" && sp.last != d.Status {
			backwards := sp.last.IsFinal() && !(sp.last == store.StatusSuccess && d.Status == store.StatusCancelled)
			if backwards {
				return fmt.Errorf("%s: final status %s moved to %s", sp.id, sp.last, d.Status)
			}
		}
		sp.last = d.Status
	}
	return nil
}

// simStatus is the ledger status that matches the simulator's paymentStatus.
func simStatus(v sim.PaymentView) store.PaymentStatus {
	switch v.Status {
	case antom.PaymentSuccess:
		return store.StatusSuccess
	case antom.PaymentFail:
		return store.StatusFail
	case antom.PaymentCancelled:
		return store.StatusCancelled
	case antom.PaymentPending:
		return store.StatusProcessing
	}
	return store.StatusSessionReady // a session nobody paid
}

// converged compares every payment with the simulator: status, each
// capture and refund by request ID and amount, the totals, nothing in
// flight, no flag left that an answer should have cleared; and Antom never
// holds two captures or refunds for one request ID.
func (s *scnStack) converged(ctx context.Context, pays []*scnPayment) error {
	for _, sp := range pays {
		d, err := s.st.GetPayment(ctx, sp.id)
		if err != nil {
			return err
		}
		v, ok := s.sim.Sim.Payment(sp.id)
		if !ok {
			return fmt.Errorf("%s: Antom has no such payment (ledger %s)", sp.id, d.Status)
		}
		if want := simStatus(v); d.Status != want {
			return fmt.Errorf("%s: ledger %s, Antom %s", sp.id, d.Status, v.Status)
		}
		if d.CapturedMinor != v.Captured || d.RefundedMinor != v.Refunded {
			return fmt.Errorf("%s: ledger captured %d refunded %d, Antom %d %d", sp.id, d.CapturedMinor, d.RefundedMinor, v.Captured, v.Refunded)
		}
		seen := map[string]bool{}
		for _, c := range v.Captures {
			if seen[c.CaptureRequestID] {
				return fmt.Errorf("%s: Antom holds two captures for %s", sp.id, c.CaptureRequestID)
			}
			seen[c.CaptureRequestID] = true
			i := slices.IndexFunc(d.Captures, func(x store.Capture) bool {
				return x.CaptureRequestID == c.CaptureRequestID || x.CaptureID == c.CaptureID
			})
			if i < 0 || d.Captures[i].Status != store.TxnSuccess || strconv.FormatInt(d.Captures[i].AmountMinor, 10) != c.Amount.Value {
				return fmt.Errorf("%s: Antom's capture %s of %s is not in the ledger as SUCCESS with that amount", sp.id, c.CaptureRequestID, c.Amount.Value)
			}
		}
		for _, rf := range v.Refunds {
			if seen[rf.RefundRequestID] {
				return fmt.Errorf("%s: Antom holds two refunds for %s", sp.id, rf.RefundRequestID)
			}
			seen[rf.RefundRequestID] = true
			i := slices.IndexFunc(d.Refunds, func(x store.Refund) bool { return x.RefundRequestID == rf.RefundRequestID })
			if i < 0 || d.Refunds[i].Status != store.TxnSuccess || strconv.FormatInt(d.Refunds[i].AmountMinor, 10) != rf.Amount.Value {
				return fmt.Errorf("%s: Antom's refund %s of %s is not in the ledger as SUCCESS with that amount", sp.id, rf.RefundRequestID, rf.Amount.Value)
			}
		}
		for _, o := range d.Operations {
			if o.State == store.OpPending {
				return fmt.Errorf("%s: %s still pending (%s)", sp.id, o.Title(), o.LastAnswer)
			}
		}
		if left := d.Flags & (store.FlagUnknownOutcome | store.FlagContradiction | store.FlagAmountMismatch | store.FlagOperationOverdue); left != 0 {
			return fmt.Errorf("%s: flags %s left", sp.id, left)
		}
		for _, c := range d.Captures {
			if c.Status == store.TxnProcessing {
				return fmt.Errorf("%s: capture %s still PROCESSING", sp.id, c.CaptureRequestID)
			}
		}
		for _, rf := range d.Refunds {
			if rf.Status == store.TxnProcessing {
				return fmt.Errorf("%s: refund %s still PROCESSING", sp.id, rf.RefundRequestID)
			}
		}
	}
	return nil
}

// TestScenarios runs seeded random scenarios (PAYDESK_SCENARIOS of them,
// default 8; PAYDESK_SCENARIO_SEED runs one) and reports how many
// converged. A failure prints its seed and the steps it took.
func TestScenarios(t *testing.T) {
	merchant, antomKey, _ := payKeys(t)
	n := 8
	if v := os.Getenv("PAYDESK_SCENARIOS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("PAYDESK_SCENARIOS=%q: want a positive number", v)
		}
	}
	first := uint64(time.Now().UnixNano())
	if v := os.Getenv("PAYDESK_SCENARIO_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PAYDESK_SCENARIO_SEED=%q: want a number", v)
		}
		first, n = seed, 1
	}
	// The scenarios mostly wait (for the simulator's retry schedule to run
	// out), so they run side by side: -parallel sets how many (make soak
	// uses 8).
	var converged atomic.Int64
	t.Run("all", func(t *testing.T) {
		for i := 0; i < n; i++ {
			seed := first + uint64(i)
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				log, err := runScenario(t, seed, merchant, antomKey)
				if err != nil {
					t.Errorf("scenario %d: %v\nrerun: PAYDESK_SCENARIO_SEED=%d go test -run TestScenarios -v ./web/\n  %s",
						seed, err, seed, strings.Join(log, "\n  "))
					return
				}
				converged.Add(1)
			})
		}
	})
	t.Logf("scenarios: %d of %d converged (seeds %d…%d)", converged.Load(), n, first, first+uint64(n)-1)
	fmt.Fprintf(os.Stderr, "scenarios: %d of %d converged\n", converged.Load(), n)
}
