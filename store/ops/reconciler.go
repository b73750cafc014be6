package ops

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/store"
)

// stats are counters for the health section (and metrics, when they exist).
type stats struct {
	attempts       atomic.Int64 // operation and session attempts started
	inquiries      atomic.Int64 // payment inquiries started
	recordFailures atomic.Int64 // answers that could not be recorded
	reconciled     atomic.Int64 // attempts the reconciler started
	polled         atomic.Int64 // inquiries and session retries the poller started
}

// RunReconciler finishes pending operations until ctx ends: it takes the
// operations whose next attempt is due, earliest first, as fast as Antom
// answers, with at most Concurrency calls in flight, and makes one attempt
// of each (store.ClaimDueOperations leases it first, so an attempt that
// dies is offered again). On return every attempt it started has ended.
//
// now judges what is due (nil: the configured clock).
func (o *Ops) RunReconciler(ctx context.Context, now func() time.Time) {
	o.dispatch(ctx, "reconciler", o.reconcileClaim(o.clock(now)))
}

// ReconcileOnce makes one attempt of each operation due at now (at most
// Concurrency) and waits for them; it returns how many it made.
func (o *Ops) ReconcileOnce(ctx context.Context, now time.Time) (int, error) {
	return o.once(ctx, o.reconcileClaim(func() time.Time { return now }))
}

// PollOnce runs the inquiries (or session retries) due at now (at most
// Concurrency) and waits for them; it returns how many it ran.
func (o *Ops) PollOnce(ctx context.Context, now time.Time) (int, error) {
	return o.once(ctx, o.pollClaim(func() time.Time { return now }))
}

func (o *Ops) clock(now func() time.Time) func() time.Time {
	if now == nil {
		return o.cfg.Now
	}
	return now
}

// once runs what one claim returns and waits for it.
func (o *Ops) once(ctx context.Context, claim claimFunc) (int, error) {
	work, err := claim(ctx, o.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, fn := range work {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	wg.Wait()
	return len(work), nil
}

// claimFunc claims at most limit pieces of due work.
type claimFunc func(ctx context.Context, limit int) ([]func(context.Context), error)

func (o *Ops) reconcileClaim(now func() time.Time) claimFunc {
	return func(ctx context.Context, limit int) ([]func(context.Context), error) {
		ops, err := o.store.ClaimDueOperations(ctx, now(), limit, o.cfg.Lease)
		if err != nil {
			return nil, err
		}
		work := make([]func(context.Context), len(ops))
		for i := range ops {
			op := ops[i]
			work[i] = func(ctx context.Context) {
				if ctx.Err() != nil {
					// Shutting down before the call started: give the
					// claim back, due at once for another replica.
					o.release("operation", op.RequestID, func(ctx context.Context) (bool, error) { return o.store.ReleaseOperation(ctx, op) })
					return
				}
				o.stats.reconciled.Add(1)
				o.attempt(ctx, &op)
			}
		}
		return work, nil
	}
}

// RunPoller asks Antom about in-flight payments until ctx ends: the
// payments whose next inquiry is due (store.PaymentsToPoll: every 2 s while
// a buyer is likely waiting, then backing off), earliest first, as fast as
// Antom answers, with at most Concurrency calls in flight. A payment still
// CREATED with an unknown session outcome gets createPaymentSession again
// (same paymentRequestId) instead of an inquiry.
func (o *Ops) RunPoller(ctx context.Context, now func() time.Time) {
	o.dispatch(ctx, "poller", o.pollClaim(o.clock(now)))
}

func (o *Ops) pollClaim(now func() time.Time) claimFunc {
	return func(ctx context.Context, limit int) ([]func(context.Context), error) {
		due, err := o.store.PaymentsToPoll(ctx, now(), limit)
		if err != nil {
			return nil, err
		}
		work := make([]func(context.Context), len(due))
		for i := range due {
			p := due[i]
			work[i] = func(ctx context.Context) {
				if ctx.Err() != nil {
					o.release("poll", p.PaymentRequestID, func(ctx context.Context) (bool, error) { return o.store.ReleasePoll(ctx, p) })
					return
				}
				o.stats.polled.Add(1)
				var err error
				if p.Status == store.StatusCreated {
					_, err = o.RetrySession(ctx, p.PaymentRequestID)
				} else {
					_, err = o.Inquire(ctx, p.PaymentRequestID, ActorPoller)
				}
				if err != nil && ctx.Err() == nil {
					o.cfg.Log.Info("poll: no answer yet", "payment", p.PaymentRequestID, "status", string(p.Status), "err", err.Error())
				}
			}
		}
		return work, nil
	}
}

// release gives back claimed work that was not started because ctx ended
// (graceful shutdown), so another replica takes it at once rather than
// after its lease. Work whose Antom call started is never given back: it
// finishes and records (or, cut short, keeps its lease).
func (o *Ops) release(what, id string, give func(context.Context) (bool, error)) {
	rctx, cancel := o.recordContext(context.Background())
	defer cancel()
	if _, err := give(rctx); err != nil {
		o.cfg.Log.Warn("shutdown: a claim could not be given back; it is taken again when its lease ends", "work", what, "id", id, "err", err.Error())
	}
}

// dispatch runs the work claim returns, at most Concurrency at once,
// claiming again as soon as a slot frees while there is due work, and every
// Idle when there is none.
func (o *Ops) dispatch(ctx context.Context, name string, claim claimFunc) {
	slots := make(chan struct{}, o.cfg.Concurrency)
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	idle := time.NewTimer(0)
	defer idle.Stop()
	for {
		full := false
		if free := cap(slots) - len(slots); free > 0 && ctx.Err() == nil {
			work, err := claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				o.cfg.Log.Error(name+": claim due work", "err", err.Error())
			}
			for _, fn := range work {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					fn(ctx)
				}()
			}
			// As many as asked for: more may be due; claim again when a
			// slot frees.
			full = len(work) == free && err == nil
		}
		if !full {
			idle.Reset(o.cfg.Idle)
		}
		select {
		case <-ctx.Done():
			return
		case <-freed:
		case <-idle.C:
		}
	}
}

// Health is the state of the background work, for admins.
type Health struct {
	store.OperationsHealth
	InFlight       int64         // Antom calls in progress in this process
	Lag            time.Duration // how late the most overdue operation is (0 when none is due)
	PollLag        time.Duration // how late the most overdue payment inquiry is
	Attempts       int64         // attempts started since start-up
	Inquiries      int64         // payment inquiries since start-up
	Reconciled     int64         // attempts the reconciler started
	RecordFailures int64         // answers that could not be recorded since start-up
	Concurrency    int
}

// Health reads the backlog and this process's counters.
func (o *Ops) Health(ctx context.Context) (Health, error) {
	now := o.cfg.Now()
	oh, err := o.store.OperationsHealth(ctx, now)
	if err != nil {
		return Health{}, err
	}
	h := Health{OperationsHealth: oh, InFlight: o.inFlight.Load(), Attempts: o.stats.attempts.Load(),
		Inquiries: o.stats.inquiries.Load(), Reconciled: o.stats.reconciled.Load(),
		RecordFailures: o.stats.recordFailures.Load(), Concurrency: o.cfg.Concurrency}
	if !oh.OldestDueAt.IsZero() && now.After(oh.OldestDueAt) {
		h.Lag = now.Sub(oh.OldestDueAt)
	}
	if !oh.OldestPollDue.IsZero() && now.After(oh.OldestPollDue) {
		h.PollLag = now.Sub(oh.OldestPollDue)
	}
	return h, nil
}
