package ops

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/store/storetest"
)

// countingAntom counts the calls per API; with hold set, Cancel signals
// started and waits for release before answering (no definitive answer).
type countingAntom struct {
	Antom    // unused methods panic
	mu       sync.Mutex
	calls    map[string]int
	hold     bool
	started  chan struct{}
	release  chan struct{}
	inFlight atomic.Int64
	maxAtOne atomic.Int64
}

func newCountingAntom() *countingAntom {
	return &countingAntom{calls: map[string]int{}, started: make(chan struct{}, 8), release: make(chan struct{})}
}

func (a *countingAntom) count(api string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[api]
}

func (a *countingAntom) call(api string) {
	a.mu.Lock()
	a.calls[api]++
	a.mu.Unlock()
}

func (a *countingAntom) Cancel(ctx context.Context, req *antom.CancelRequest) (*antom.CancelResponse, error) {
	a.call("cancel")
	n := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	for m := a.maxAtOne.Load(); n > m && !a.maxAtOne.CompareAndSwap(m, n); m = a.maxAtOne.Load() {
	}
	if a.hold {
		a.started <- struct{}{}
		<-a.release
	}
	return nil, &antom.TransportError{API: "cancel", Err: errors.New("no answer (test)")}
}

func (a *countingAntom) InquiryPayment(ctx context.Context, req *antom.InquiryPaymentRequest) (*antom.InquiryPaymentResponse, error) {
	a.call("inquiryPayment")
	return nil, &antom.TransportError{API: "inquiryPayment", Err: errors.New("no answer (test)")}
}

// replicaStores opens two stores on one database (two replicas): SQLite,
// and PostgreSQL when the tests have one.
func replicaStores(t *testing.T) map[string][2]*store.Store {
	t.Helper()
	open := func(open func() (*store.Store, error)) *store.Store {
		t.Helper()
		s, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	opts := []store.Option{store.WithSearchIndexEvery(0)}
	dir := t.TempDir()
	sqlite := func() (*store.Store, error) { return store.Open(context.Background(), dir, opts...) }
	out := map[string][2]*store.Store{"sqlite": {open(sqlite), open(sqlite)}}
	if storetest.Available() || storetest.Postgres() {
		u := storetest.PostgresURL(t)
		pg := func() (*store.Store, error) { return store.OpenPostgres(context.Background(), u, opts...) }
		out["postgres"] = [2]*store.Store{open(pg), open(pg)}
	}
	return out
}

// ready is a MANUAL-capture payment whose session is ready: the poller
// asks about it.
func ready(t *testing.T, s *store.Store, n int) *store.Payment {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: fmt.Sprint("order-", n), Description: "Tea",
		AmountMinor: 4200, Currency: "SGD", CaptureMode: antom.CaptureManual,
		NotifyURL: "https://paydesk.example/webhooks/antom", RedirectURL: "https://shop.example/return", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionCreated(ctx, p.PaymentRequestID, store.SessionResult{SessionData: "x", SessionID: "s-" + p.PaymentRequestID}); err != nil {
		t.Fatal(err)
	}
	return p
}

// authorized is a MANUAL-capture payment Antom authorized.
func authorized(t *testing.T, s *store.Store, n int) *store.Payment {
	t.Helper()
	p := ready(t, s, n)
	body := fmt.Sprintf(`{"notifyType":"PAYMENT_RESULT","result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"success"},
		"paymentRequestId":%q,"paymentId":"PID-%s","paymentAmount":{"currency":"SGD","value":"4200"},
		"paymentCreateTime":%q,"paymentTime":%q}`, p.PaymentRequestID, p.PaymentRequestID,
		time.Now().Format(time.RFC3339), time.Now().Format(time.RFC3339))
	nt, err := antom.ParseNotification([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.IngestNotification(context.Background(), store.DeliveryInput{Path: "/webhooks/antom", Body: []byte(body), ClientID: "SANDBOX_1",
		RequestTime: "1700000000000", Verdict: store.VerdictOK, Notification: nt, ResponseStatus: 200, ResponseBody: antom.AckBody}); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs claimed work as dispatch does, with ctx.
func run(ctx context.Context, work []func(context.Context)) {
	var wg sync.WaitGroup
	for _, fn := range work {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	wg.Wait()
}

// TestShutdownGivesBackUnstartedClaims: work a replica claimed but had not
// started when it began shutting down (its jobs' context ended) is due at
// once for another replica, and no Antom call is made for it; an attempt
// whose call is in flight keeps its lease (the other replica does not send
// it too) and records its answer.
func TestShutdownGivesBackUnstartedClaims(t *testing.T) {
	for name, stores := range replicaStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := newCountingAntom(), newCountingAntom()
			cfg := Config{Lease: time.Hour, CallTimeout: time.Minute}
			replicaA, replicaB := New(stores[0], a, cfg), New(stores[1], b, cfg)
			now := time.Now().Add(time.Minute).Truncate(time.Millisecond)
			stopped, cancel := context.WithCancel(ctx)
			cancel()

			// An operation: claimed by A, which stops before the call.
			p := authorized(t, stores[0], 1)
			op, err := stores[0].BeginCancel(ctx, p.PaymentRequestID, store.AuditContext{Actor: "test"}, now)
			if err != nil {
				t.Fatal(err)
			}
			work, err := replicaA.reconcileClaim(func() time.Time { return now })(ctx, 8)
			if err != nil || len(work) != 1 {
				t.Fatalf("A claims: %d, %v; want the cancel", len(work), err)
			}
			run(stopped, work)
			if n := a.count("cancel") + a.count("inquiryPayment"); n != 0 {
				t.Errorf("A made %d Antom calls after its jobs stopped", n)
			}
			got, err := stores[1].GetOperation(ctx, op.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.NextAttemptAt.Equal(now) || got.Attempts != 1 {
				t.Errorf("given back: next attempt %v, attempts %d; want due at %v, attempt 1 (the unstarted claim uncounted)", got.NextAttemptAt, got.Attempts, now)
			}
			// B takes it at once, not after A's lease of an hour.
			if n, err := replicaB.ReconcileOnce(ctx, now); err != nil || n != 1 {
				t.Errorf("B at the same moment: %d attempts, %v; want 1", n, err)
			}
			if n := b.count("cancel") + b.count("inquiryPayment"); n != 1 {
				t.Errorf("B made %d calls, want 1", n)
			}

			// A payment to poll: claimed by A, which stops before asking.
			q := ready(t, stores[0], 2)
			d, err := stores[0].GetPayment(ctx, q.PaymentRequestID)
			if err != nil || d.NextPollAt.IsZero() {
				t.Fatalf("payment to poll: next poll %v, %v", d.NextPollAt, err)
			}
			pollAt := d.NextPollAt.Add(time.Second)
			work, err = replicaA.pollClaim(func() time.Time { return pollAt })(ctx, 8)
			if err != nil || len(work) == 0 {
				t.Fatalf("A claims polls: %d, %v", len(work), err)
			}
			run(stopped, work)
			if n := a.count("inquiryPayment"); n != 0 {
				t.Errorf("A asked Antom %d times after its jobs stopped", n)
			}
			before := b.count("inquiryPayment")
			if n, err := replicaB.PollOnce(ctx, pollAt); err != nil || n != len(work) {
				t.Errorf("B polls at the same moment: %d, %v; want the %d A gave back", n, err, len(work))
			}
			if n := b.count("inquiryPayment") - before; n != len(work) {
				t.Errorf("B asked %d times, want %d", n, len(work))
			}
		})
	}
}

// TestShutdownKeepsTheLeaseOfACallInFlight: an attempt whose Antom call
// started before the shutdown is not given back: the other replica does not
// send it while it is in flight, and it records its answer.
func TestShutdownKeepsTheLeaseOfACallInFlight(t *testing.T) {
	for name, stores := range replicaStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := newCountingAntom(), newCountingAntom()
			a.hold = true
			cfg := Config{Lease: time.Hour, CallTimeout: time.Minute}
			replicaA, replicaB := New(stores[0], a, cfg), New(stores[1], b, cfg)
			now := time.Now().Add(time.Minute).Truncate(time.Millisecond)

			p := authorized(t, stores[0], 1)
			op, err := stores[0].BeginCancel(ctx, p.PaymentRequestID, store.AuditContext{Actor: "test"}, now)
			if err != nil {
				t.Fatal(err)
			}
			// The claimed operation goes to Antom first as a send (its
			// first attempt recorded nothing: an inquiry, then the cancel).
			work, err := replicaA.reconcileClaim(func() time.Time { return now })(ctx, 8)
			if err != nil || len(work) != 1 {
				t.Fatalf("A claims: %d, %v", len(work), err)
			}
			jobs, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			claimed, _ := stores[0].GetOperation(ctx, op.ID)
			if claimed.Mode == store.OpInquire {
				// Make the attempt a send, so that the held call is Antom's cancel.
				if _, err := stores[0].RescheduleOperation(ctx, op.ID, now, true, "test: send"); err != nil {
					t.Fatal(err)
				}
				if work, err = replicaA.reconcileClaim(func() time.Time { return now })(ctx, 8); err != nil || len(work) != 1 {
					t.Fatalf("A claims the send: %d, %v", len(work), err)
				}
			}
			go func() { run(jobs, work); close(done) }()
			<-a.started // the cancel is in flight at A
			stop()      // A shuts down
			if n, err := replicaB.ReconcileOnce(ctx, now.Add(time.Minute)); err != nil || n != 0 {
				t.Errorf("B while A's call is in flight: %d attempts, %v; want none (A keeps its lease)", n, err)
			}
			close(a.release)
			<-done
			if n := b.count("cancel") + b.count("inquiryPayment"); n != 0 {
				t.Errorf("B called Antom %d times for an operation in flight at A", n)
			}
			got, err := stores[1].GetOperation(ctx, op.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != store.OpPending || !got.NextAttemptAt.Before(now.Add(cfg.Lease)) || got.LastAnswer == "" {
				t.Errorf("after A's call ended: %+v; want its answer recorded and the next attempt scheduled by backoff, not the lease", got)
			}
		})
	}
}
