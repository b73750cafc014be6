package web

import (
	"context"
	"log/slog"
	"time"

	"paydesk/handlers"
	"paydesk/store/ops"
)

// JobsConfig tunes the payment background jobs. Zero fields take defaults.
// How many Antom calls run at once and how often idle work looks again are
// the operations layer's (handlers.Deps.Ops).
type JobsConfig struct {
	// Now is the clock the jobs judge "due" and "expired" by (default the
	// operations layer's); tests inject a fake one.
	Now func() time.Time
	// SweepEvery is how often the sweeper expires sessions and flags stuck
	// payments and overdue operations (default 15 s).
	SweepEvery time.Duration
	// Log receives job errors.
	Log *slog.Logger
}

func (c JobsConfig) withDefaults() JobsConfig {
	if c.SweepEvery <= 0 {
		c.SweepEvery = 15 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// AddPaymentJobs registers the inquiry poller, the operations reconciler
// and the session sweeper, and returns them; they start with the server
// and stop, waited for, at Shutdown.
func (s *Server) AddPaymentJobs(cfg JobsConfig) *PaymentJobs {
	p := NewPaymentJobs(s.h, cfg)
	s.AddJob(Job{Name: "inquiry-poller", Run: p.RunPoller})
	s.AddJob(Job{Name: "reconciler", Run: p.RunReconciler})
	s.AddJob(Job{Name: "session-sweeper", Run: p.RunSweeper})
	return p
}

// PaymentJobs is the payments' background work: the inquiry poller and the
// reconciler (both in the operations layer, store/ops) and the sweeper
// (session expiry, stuck payments, overdue operations).
type PaymentJobs struct {
	h   *handlers.Handlers
	ops *ops.Ops
	cfg JobsConfig
}

// NewPaymentJobs builds the jobs over h's store and operations layer.
func NewPaymentJobs(h *handlers.Handlers, cfg JobsConfig) *PaymentJobs {
	return &PaymentJobs{h: h, ops: h.Operations, cfg: cfg.withDefaults()}
}

func (j *PaymentJobs) now() time.Time {
	if j.cfg.Now != nil {
		return j.cfg.Now()
	}
	return j.h.Now()
}

// RunPoller asks Antom about in-flight payments until ctx ends (ops.RunPoller).
func (j *PaymentJobs) RunPoller(ctx context.Context) { j.ops.RunPoller(ctx, j.cfg.Now) }

// RunReconciler finishes pending money operations until ctx ends (ops.RunReconciler).
func (j *PaymentJobs) RunReconciler(ctx context.Context) { j.ops.RunReconciler(ctx, j.cfg.Now) }

// PollOnce runs the inquiries due now and waits for them.
func (j *PaymentJobs) PollOnce(ctx context.Context) (int, error) { return j.ops.PollOnce(ctx, j.now()) }

// ReconcileOnce makes one attempt of each operation due now and waits for them.
func (j *PaymentJobs) ReconcileOnce(ctx context.Context) (int, error) {
	return j.ops.ReconcileOnce(ctx, j.now())
}

// RunSweeper runs sweeps every SweepEvery until ctx ends.
func (j *PaymentJobs) RunSweeper(ctx context.Context) {
	every(ctx, j.cfg.SweepEvery, func() {
		if err := j.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			j.cfg.Log.Error("session sweeper", "err", err.Error())
		}
	})
}

// SweepOnce expires sessions past their expiry, flags payments stuck past
// Antom's order-close window and operations past Antom's windows, and marks
// unknown session outcomes for the poller.
func (j *PaymentJobs) SweepOnce(ctx context.Context) error {
	now := j.now()
	expired, err := j.h.Store.ExpireSessions(ctx, now)
	if err != nil {
		return err
	}
	marked, err := j.h.Store.MarkStuck(ctx, now)
	if err != nil {
		return err
	}
	if expired+marked > 0 {
		j.cfg.Log.Info("sweep", "expired", expired, "flagged", marked)
	}
	return nil
}

// every calls fn now and then every d until ctx ends. Ticks missed while fn
// runs are dropped, so rounds never pile up.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
