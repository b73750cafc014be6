package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"paydesk/handlers"
	"paydesk/store"
)

// JobsConfig tunes the payment background jobs. Zero fields take defaults.
type JobsConfig struct {
	// Now is the clock the jobs judge "due" and "expired" by (default
	// time.Now); tests inject a fake one.
	Now func() time.Time
	// PollEvery is how often the poller asks the store for payments whose
	// next inquiry is due (default 1 s). The per-payment schedule — every 2 s
	// while a buyer is likely waiting, then backing off — is the store's
	// (store.PollInterval); this only bounds how late a due inquiry starts.
	PollEvery time.Duration
	// SweepEvery is how often the sweeper expires sessions and lists stuck
	// payments (default 15 s).
	SweepEvery time.Duration
	// Batch is how many due payments one poll round takes (default 50).
	Batch int
	// Workers is how many inquiries run at once (default 4).
	Workers int
	// Log receives job errors.
	Log *slog.Logger
}

func (c JobsConfig) withDefaults() JobsConfig {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PollEvery <= 0 {
		c.PollEvery = time.Second
	}
	if c.SweepEvery <= 0 {
		c.SweepEvery = 15 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// AddPaymentJobs registers the inquiry poller and the session sweeper; they
// start with the server and stop, waited for, at Shutdown.
func (s *Server) AddPaymentJobs(cfg JobsConfig) {
	p := NewPaymentJobs(s.h, cfg)
	s.AddJob(Job{Name: "inquiry-poller", Run: p.RunPoller})
	s.AddJob(Job{Name: "session-sweeper", Run: p.RunSweeper})
}

// PaymentJobs is the payments' background work: the inquiry poller and the
// sweeper (session expiry, stuck payments).
type PaymentJobs struct {
	h   *handlers.Handlers
	cfg JobsConfig
}

// NewPaymentJobs builds the jobs over h's store and Antom client.
func NewPaymentJobs(h *handlers.Handlers, cfg JobsConfig) *PaymentJobs {
	return &PaymentJobs{h: h, cfg: cfg.withDefaults()}
}

// RunPoller runs poll rounds every PollEvery until ctx ends; a round in
// progress finishes its Antom calls (each bounded) before it returns.
func (j *PaymentJobs) RunPoller(ctx context.Context) {
	every(ctx, j.cfg.PollEvery, func() {
		if _, err := j.PollOnce(ctx); err != nil && ctx.Err() == nil {
			j.cfg.Log.Error("inquiry poller", "err", err.Error())
		}
	})
}

// RunSweeper runs sweeps every SweepEvery until ctx ends.
func (j *PaymentJobs) RunSweeper(ctx context.Context) {
	every(ctx, j.cfg.SweepEvery, func() {
		if err := j.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			j.cfg.Log.Error("session sweeper", "err", err.Error())
		}
	})
}

// PollOnce claims the payments whose next inquiry is due and asks Antom
// about each: inquiryPayment for a payment in flight, or createPaymentSession
// again (same paymentRequestId) for one whose session outcome is unknown. The
// store records every answer and schedules the next one. It returns how
// many payments it handled; a failed call is logged, not returned, since it
// is recorded on the payment's timeline and retried on schedule.
func (j *PaymentJobs) PollOnce(ctx context.Context) (int, error) {
	due, err := j.h.Store.PaymentsToPoll(ctx, j.cfg.Now(), j.cfg.Batch)
	if err != nil {
		return 0, err
	}
	work := make(chan store.Payment)
	var wg sync.WaitGroup
	for range min(j.cfg.Workers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				j.poll(ctx, &p)
			}
		}()
	}
feed:
	for _, p := range due {
		select {
		case work <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return len(due), nil
}

// poll handles one due payment.
func (j *PaymentJobs) poll(ctx context.Context, p *store.Payment) {
	var err error
	if p.Status == store.StatusCreated {
		_, err = j.h.RetrySession(ctx, p.PaymentRequestID)
	} else {
		_, err = j.h.Inquire(ctx, p.PaymentRequestID, handlers.ActorPoller)
	}
	if err != nil && ctx.Err() == nil {
		j.cfg.Log.Info("poll: no answer yet", "payment", p.PaymentRequestID, "status", string(p.Status), "err", err.Error())
	}
}

// SweepOnce expires sessions past their expiry and lists payments stuck past
// Antom's order-close window (and unknown session outcomes for the poller).
func (j *PaymentJobs) SweepOnce(ctx context.Context) error {
	now := j.cfg.Now()
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
