package ops

import (
	"context"
	"fmt"
	"time"

	"paydesk/antom"
	"paydesk/store"
)

// Inquire asks Antom for a payment's status (inquiryPayment by
// paymentRequestId) and applies the answer through the store's state
// machine. A call that got no usable answer is recorded on the timeline and
// returned. The call and the record run on budgets of their own.
func (o *Ops) Inquire(ctx context.Context, paymentRequestID, actor string) (*store.Payment, error) {
	o.inFlight.Add(1)
	defer o.inFlight.Add(-1)
	o.stats.inquiries.Add(1)
	cctx, cancel := o.callContext(ctx)
	defer cancel()
	resp, callErr := o.antom.InquiryPayment(cctx, &antom.InquiryPaymentRequest{PaymentRequestID: paymentRequestID})
	rctx, rcancel := o.recordContext(ctx)
	defer rcancel()
	if callErr != nil {
		if _, err := o.store.RecordInquiryError(rctx, paymentRequestID, callErr, actor); err != nil {
			return nil, fmt.Errorf("ops: inquire %s: %w (and recording it failed: %w)", paymentRequestID, callErr, err)
		}
		return nil, fmt.Errorf("ops: inquire %s: %w", paymentRequestID, callErr)
	}
	return o.store.ApplyInquiry(rctx, paymentRequestID, resp, actor)
}

// CreateSession calls createPaymentSession for a CREATED payment (the
// payment row, committed before, is the intent: its paymentRequestId makes
// every retry the same request) and records S (SESSION_READY), F
// (SESSION_FAILED) or an unknown outcome (still CREATED, flagged, retried
// by the poller with the same paymentRequestId). It waits for the answer up
// to Wait; past that it returns the payment as stored (CREATED) and the
// attempt goes on.
func (o *Ops) CreateSession(ctx context.Context, p *store.Payment) (*store.Payment, error) {
	done := make(chan error, 1)
	var got *store.Payment
	o.goForCaller(func() {
		var err error
		got, err = o.sessionAttempt(context.WithoutCancel(ctx), p)
		done <- err
	})
	t := time.NewTimer(o.cfg.Wait)
	defer t.Stop()
	select {
	case err := <-done:
		if err == nil {
			return got, nil
		}
		o.cfg.Log.Error("session: answer not recorded; the sweeper marks it unknown and the poller retries it",
			"payment", p.PaymentRequestID, "err", err.Error())
	case <-t.C:
	case <-ctx.Done():
	}
	rctx, cancel := o.recordContext(ctx)
	defer cancel()
	d, err := o.store.GetPayment(rctx, p.PaymentRequestID)
	if err != nil {
		return nil, err
	}
	return &d.Payment, nil
}

// RetrySession calls createPaymentSession again for a payment whose first
// call had an unknown outcome, with the same paymentRequestId and body, and
// records the outcome. The poller and the "Retry" button use it.
func (o *Ops) RetrySession(ctx context.Context, paymentRequestID string) (*store.Payment, error) {
	d, err := o.store.GetPayment(ctx, paymentRequestID)
	if err != nil {
		return nil, err
	}
	if d.Status != store.StatusCreated {
		return &d.Payment, nil // already settled by an earlier retry or a notification
	}
	return o.sessionAttempt(ctx, &d.Payment)
}

func (o *Ops) sessionAttempt(ctx context.Context, p *store.Payment) (*store.Payment, error) {
	o.inFlight.Add(1)
	defer o.inFlight.Add(-1)
	o.stats.attempts.Add(1)
	cctx, cancel := o.callContext(ctx)
	defer cancel()
	resp, callErr := o.antom.CreatePaymentSession(cctx, SessionRequest(p))
	rctx, rcancel := o.recordContext(ctx)
	defer rcancel()
	got, err := o.store.RecordSession(rctx, p.PaymentRequestID, resp, callErr)
	if err != nil {
		o.stats.recordFailures.Add(1)
	}
	return got, err
}

// SessionRequest is the createPaymentSession body for a payment. It is
// built only from persisted fields, so a retry sends the same body.
func SessionRequest(p *store.Payment) *antom.CreatePaymentSessionRequest {
	amount := antom.NewAmount(p.AmountMinor, p.Currency)
	order := &antom.Order{
		ReferenceOrderID: p.ReferenceOrderID,
		OrderDescription: p.Description,
		OrderAmount:      &amount,
	}
	if p.BuyerID != "" {
		order.Buyer = &antom.Buyer{ReferenceBuyerID: p.BuyerID}
	}
	method := &antom.PaymentMethod{PaymentMethodType: "CARD"}
	if p.ThreeDS {
		method.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": "true"}
	}
	terminal := p.TerminalType
	if terminal == "" {
		terminal = "WEB"
	}
	return &antom.CreatePaymentSessionRequest{
		ProductCode:        "CASHIER_PAYMENT",
		PaymentRequestID:   p.PaymentRequestID,
		Order:              order,
		PaymentAmount:      amount,
		PaymentMethod:      method,
		PaymentFactor:      &antom.PaymentFactor{IsAuthorization: true, CaptureMode: p.CaptureMode},
		SettlementStrategy: &antom.SettlementStrategy{SettlementCurrency: p.Currency},
		PaymentRedirectURL: p.RedirectURL,
		PaymentNotifyURL:   p.NotifyURL,
		Env:                &antom.Env{TerminalType: terminal, OSType: p.OSType},
	}
}
