// Package ops is Paydesk's payment operations layer: every call to Antom
// that reads or moves money — createPaymentSession, capture, cancel,
// refund, inquiryPayment, inquiryRefund — goes through it. Handlers (the
// dashboard and the app API) and the background jobs call it; it calls the
// store and the Antom client, never the other way round.
//
// A money operation is a durable intent (store.Operation) committed before
// the first send. Each attempt runs on a budget of its own (CallTimeout for
// the call, RecordTimeout for recording the answer), not on the budget of
// the HTTP request that asked for it: a browser that gave up does not stop
// the ledger from learning what Antom did. An attempt whose outcome is not
// definitive (U, a timeout, HTTP 5xx, no connection, a crash) leaves the
// operation pending; the reconciler (RunReconciler) sends it again with the
// same request ID, which Antom is idempotent on, or asks for its outcome
// (inquiryPayment, inquiryRefund) first — what Antom has is never sent
// twice —, with capped exponential backoff, until Antom answers
// definitively.
package ops

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"paydesk/antom"
	"paydesk/store"
)

// Antom is the part of the Antom client the operations use (*antom.Client).
type Antom interface {
	CreatePaymentSession(ctx context.Context, req *antom.CreatePaymentSessionRequest) (*antom.CreatePaymentSessionResponse, error)
	InquiryPayment(ctx context.Context, req *antom.InquiryPaymentRequest) (*antom.InquiryPaymentResponse, error)
	Capture(ctx context.Context, req *antom.CaptureRequest) (*antom.CaptureResponse, error)
	Cancel(ctx context.Context, req *antom.CancelRequest) (*antom.CancelResponse, error)
	Refund(ctx context.Context, req *antom.RefundRequest) (*antom.RefundResponse, error)
	InquiryRefund(ctx context.Context, req *antom.InquiryRefundRequest) (*antom.InquiryRefundResponse, error)
}

// DefaultCallTimeout is Config.CallTimeout's default: the client's two
// 15 s exchanges and a retry.
const DefaultCallTimeout = 40 * time.Second

// Config tunes the operations layer. Zero fields take the defaults.
type Config struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives what background work could not do.
	Log *slog.Logger
	// CallTimeout bounds one attempt's Antom call, the client's own retries
	// included (default 40 s: the client's two 15 s exchanges and a retry).
	CallTimeout time.Duration
	// RecordTimeout bounds recording an answer (default 15 s), counted from
	// the answer, independent of the call's and the caller's deadlines.
	RecordTimeout time.Duration
	// Wait is how long a caller (an HTTP request) waits for the first
	// attempt before answering "sent, waiting for Antom's answer"
	// (default 8 s).
	Wait time.Duration
	// Lease is how long a claimed attempt is owned before the reconciler
	// tries again, for an attempt whose process died (default
	// CallTimeout + RecordTimeout + 5 s).
	Lease time.Duration
	// BackoffBase and BackoffMax shape the pause before the next attempt:
	// BackoffBase doubled for each attempt made, at most BackoffMax
	// (defaults 2 s and 10 min).
	BackoffBase, BackoffMax time.Duration
	// Concurrency bounds the Antom calls the reconciler, and separately the
	// poller, have in flight at once (default 8 each: well under Antom's
	// per-merchant rate limits, which are not published).
	Concurrency int
	// Idle is how often an idle reconciler or poller looks for due work
	// (default 1 s). Due work found is taken at once, as fast as Antom
	// answers.
	Idle time.Duration
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.RecordTimeout <= 0 {
		c.RecordTimeout = 15 * time.Second
	}
	if c.Wait <= 0 {
		c.Wait = 8 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = c.CallTimeout + c.RecordTimeout + 5*time.Second
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 2 * time.Second
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 10 * time.Minute
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Idle <= 0 {
		c.Idle = time.Second
	}
	return c
}

// Ops runs payment operations. Build it with New; Close waits for the
// attempts it started.
type Ops struct {
	store *store.Store
	antom Antom
	cfg   Config

	mu       sync.Mutex     // orders wg.Add against Close
	closing  bool           // Close has begun: wg takes no more attempts
	wg       sync.WaitGroup // attempts started for callers
	inFlight atomic.Int64   // attempts and inquiries in progress
	stats    stats
}

// New builds the operations layer over st and the Antom client.
func New(st *store.Store, client Antom, cfg Config) *Ops {
	return &Ops{store: st, antom: client, cfg: cfg.withDefaults()}
}

// Close waits, up to ctx, for the attempts started on behalf of callers to
// record their answers. An attempt cut short is resumed by the reconciler.
func (o *Ops) Close(ctx context.Context) error {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// goForCaller runs fn, an attempt started for a caller, in a goroutine of
// its own that Close waits for. One started once Close has begun (a request
// still running at shutdown) is not waited for: like an attempt a crash
// cut short, the reconciler resumes it when its lease ends.
func (o *Ops) goForCaller(fn func()) {
	o.mu.Lock()
	tracked := !o.closing
	if tracked {
		o.wg.Add(1)
	}
	o.mu.Unlock()
	go func() {
		if tracked {
			defer o.wg.Done()
		}
		fn()
	}()
}

// backoff is the pause after the n-th attempt (n ≥ 1).
func (o *Ops) backoff(n int) time.Duration {
	d := o.cfg.BackoffBase
	for i := 1; i < n && d < o.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, o.cfg.BackoffMax)
}

// callContext is an attempt's budget: independent of the caller's
// cancellation (its values stay), bounded by CallTimeout.
func (o *Ops) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), o.cfg.CallTimeout)
}

// recordContext is the budget for recording an answer, counted from now.
func (o *Ops) recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), o.cfg.RecordTimeout)
}

// Result is what a caller learns of an operation it started.
type Result struct {
	Op *store.Operation
	// Waiting: the first attempt had not finished when the caller's wait
	// ended; it goes on, and the payment page shows its answer.
	Waiting bool
}

// start runs the first attempt of op for a caller on a budget of its own,
// and waits for it up to Wait (or the caller's context).
func (o *Ops) start(ctx context.Context, op *store.Operation) (Result, error) {
	done := make(chan *store.Operation, 1)
	o.goForCaller(func() { done <- o.attempt(context.WithoutCancel(ctx), op) })
	t := time.NewTimer(o.cfg.Wait)
	defer t.Stop()
	select {
	case got := <-done:
		if got != nil {
			return Result{Op: got}, nil
		}
	case <-t.C:
	case <-ctx.Done():
	}
	// Not recorded yet (or the record failed): say what is stored.
	rctx, cancel := o.recordContext(ctx)
	defer cancel()
	cur, err := o.store.GetOperation(rctx, op.ID)
	if err != nil {
		return Result{Op: op, Waiting: true}, nil
	}
	return Result{Op: cur, Waiting: cur.State == store.OpPending}, nil
}

// Capture asks Antom to capture amountMinor of an authorized payment: the
// store checks it (store.Allowed) and persists the operation with its
// audit entry (by: who asked, from where), then the first attempt runs.
func (o *Ops) Capture(ctx context.Context, paymentRequestID string, amountMinor int64, by store.AuditContext) (Result, error) {
	op, err := o.store.BeginCapture(ctx, paymentRequestID, amountMinor, by, o.cfg.Now().Add(o.cfg.Lease))
	if err != nil {
		return Result{}, err
	}
	return o.start(ctx, op)
}

// Refund asks Antom to refund amountMinor of a captured payment.
func (o *Ops) Refund(ctx context.Context, paymentRequestID string, amountMinor int64, reason string, by store.AuditContext) (Result, error) {
	op, err := o.store.BeginRefund(ctx, paymentRequestID, amountMinor, reason, by, o.cfg.Now().Add(o.cfg.Lease))
	if err != nil {
		return Result{}, err
	}
	return o.start(ctx, op)
}

// Cancel asks Antom to cancel a payment.
func (o *Ops) Cancel(ctx context.Context, paymentRequestID string, by store.AuditContext) (Result, error) {
	op, err := o.store.BeginCancel(ctx, paymentRequestID, by, o.cfg.Now().Add(o.cfg.Lease))
	if err != nil {
		return Result{}, err
	}
	return o.start(ctx, op)
}

// attempt makes one attempt of a pending operation (already claimed) and
// records what it learnt. It returns the operation as recorded, or nil
// when the record failed (the operation stays leased and is retried).
func (o *Ops) attempt(ctx context.Context, op *store.Operation) *store.Operation {
	o.inFlight.Add(1)
	defer o.inFlight.Add(-1)
	o.stats.attempts.Add(1)
	cctx, cancel := o.callContext(ctx)
	defer cancel()
	var got *store.Operation
	var err error
	next := func(callErr error) store.Attempt {
		return store.Attempt{Outcome: store.OutcomeOf(callErr), Next: o.cfg.Now().Add(o.backoff(op.Attempts))}
	}
	switch {
	case op.Kind == store.OpCapture && op.Mode == store.OpInquire:
		got, err = o.inquireForCapture(ctx, cctx, op)
	case op.Kind == store.OpCapture:
		amount := antom.NewAmount(op.AmountMinor, op.Currency)
		resp, callErr := o.antom.Capture(cctx, &antom.CaptureRequest{CaptureRequestID: op.RequestID, PaymentID: op.PaymentID, CaptureAmount: amount})
		rctx, rcancel := o.recordContext(ctx)
		got, err = o.store.RecordCaptureAnswer(rctx, op.ID, resp, callErr, next(callErr))
		rcancel()
	case op.Kind == store.OpRefund && op.Mode == store.OpInquire:
		resp, callErr := o.antom.InquiryRefund(cctx, &antom.InquiryRefundRequest{RefundRequestID: op.RequestID})
		rctx, rcancel := o.recordContext(ctx)
		got, err = o.store.RecordRefundInquiry(rctx, op.ID, resp, callErr, next(callErr))
		rcancel()
	case op.Kind == store.OpRefund:
		resp, callErr := o.antom.Refund(cctx, &antom.RefundRequest{
			RefundRequestID: op.RequestID, PaymentID: op.PaymentID,
			RefundAmount: antom.NewAmount(op.AmountMinor, op.Currency), RefundReason: op.Reason, RefundNotifyURL: op.NotifyURL,
		})
		rctx, rcancel := o.recordContext(ctx)
		got, err = o.store.RecordRefundAnswer(rctx, op.ID, resp, callErr, next(callErr))
		rcancel()
	case op.Kind == store.OpCancel && op.Mode == store.OpInquire:
		got, err = o.inquireForCancel(ctx, cctx, op)
	case op.Kind == store.OpCancel:
		resp, callErr := o.antom.Cancel(cctx, &antom.CancelRequest{PaymentID: op.PaymentID, PaymentRequestID: op.PaymentRequestID})
		rctx, rcancel := o.recordContext(ctx)
		got, err = o.store.RecordCancelAnswer(rctx, op.ID, resp, next(callErr))
		rcancel()
	default:
		err = errors.New("ops: unknown operation kind " + string(op.Kind))
	}
	if err != nil {
		o.stats.recordFailures.Add(1)
		o.cfg.Log.Error("operation: answer not recorded; the reconciler tries again when the lease ends",
			"operation", op.ID, "kind", string(op.Kind), "request_id", op.RequestID, "err", err.Error())
		return nil
	}
	return got
}

// inquireForCapture learns a capture's outcome from inquiryPayment's
// transactions: the inquiry is applied like any other, which settles the
// operation when it lists the capture as final; a capture Antom does not
// list is sent again (same captureRequestId); one it lists as PROCESSING
// (CAPTURE_IN_PROCESS) is asked about again.
func (o *Ops) inquireForCapture(ctx, cctx context.Context, op *store.Operation) (*store.Operation, error) {
	resp, callErr := o.antom.InquiryPayment(cctx, &antom.InquiryPaymentRequest{PaymentRequestID: op.PaymentRequestID})
	rctx, cancel := o.recordContext(ctx)
	defer cancel()
	resend := false
	answer := "inquiry: " + store.AttemptWords(store.OutcomeOf(callErr))
	if callErr == nil {
		if _, err := o.store.ApplyInquiry(rctx, op.PaymentRequestID, resp, ActorReconciler); err != nil {
			return nil, err
		}
		resend, answer = true, "inquiry: Antom has no record of this capture"
		for _, t := range resp.Transactions {
			if t.TransactionType == antom.TxCapture && t.TransactionRequestID == op.RequestID {
				resend, answer = false, "inquiry: Antom lists the capture as "+t.TransactionStatus
			}
		}
	} else if _, err := o.store.RecordInquiryError(rctx, op.PaymentRequestID, callErr, ActorReconciler); err != nil {
		return nil, err
	}
	return o.store.RescheduleOperation(rctx, op.ID, o.cfg.Now().Add(o.backoff(op.Attempts)), resend, answer)
}

// inquireForCancel learns whether Antom processed a cancel whose answer
// was not definitive: the inquiry is applied (CANCELLED settles the
// operation); an answer that says anything else means Antom has not
// cancelled, so the cancel is sent again with the same parameters.
func (o *Ops) inquireForCancel(ctx, cctx context.Context, op *store.Operation) (*store.Operation, error) {
	resp, callErr := o.antom.InquiryPayment(cctx, &antom.InquiryPaymentRequest{PaymentRequestID: op.PaymentRequestID})
	rctx, cancel := o.recordContext(ctx)
	defer cancel()
	answer := "inquiry: " + store.AttemptWords(store.OutcomeOf(callErr))
	if callErr == nil {
		if _, err := o.store.ApplyInquiry(rctx, op.PaymentRequestID, resp, ActorReconciler); err != nil {
			return nil, err
		}
		answer = "inquiry: the payment is " + resp.PaymentStatus + ", not cancelled"
	} else if _, err := o.store.RecordInquiryError(rctx, op.PaymentRequestID, callErr, ActorReconciler); err != nil {
		return nil, err
	}
	return o.store.RescheduleOperation(rctx, op.ID, o.cfg.Now().Add(o.backoff(op.Attempts)), callErr == nil, answer)
}

// ActorReconciler and ActorPoller are the actors the background work
// records on the timeline.
const (
	ActorReconciler = "reconciler"
	ActorPoller     = "poller"
)
