package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
)

// antomCallTimeout bounds one Antom call (retries included) and the
// recording of its answer.
const antomCallTimeout = 30 * time.Second

// ActorPoller is the actor recorded on the timeline for the poller's work.
const ActorPoller = "poller"

// antomContext bounds an Antom call and the recording of its answer. The
// jobs pass their own context, so shutdown cancels their calls (an
// interrupted call is retried on schedule); request handlers pass
// detached(c), so a closed browser tab cannot leave a call half-recorded.
func antomContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, antomCallTimeout)
}

// detached is the request's context without its cancellation (its values
// stay), for work that must finish once started: an Antom call and the
// write that records its answer.
func detached(c echo.Context) context.Context {
	return context.WithoutCancel(c.Request().Context())
}

// Inquire asks Antom for a payment's status (inquiryPayment by
// paymentRequestId) and applies the answer through the store's state
// machine. A failed call is recorded on the timeline and returned.
// The poller and the "Re-run inquiry" button both use it.
func (h *Handlers) Inquire(ctx context.Context, paymentRequestID, actor string) (*store.Payment, error) {
	if h.Antom == nil {
		return nil, errors.New("handlers: inquire: no Antom client configured")
	}
	ctx, cancel := antomContext(ctx)
	defer cancel()
	resp, err := h.Antom.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: paymentRequestID})
	if err != nil {
		if _, rerr := h.Store.RecordInquiryError(ctx, paymentRequestID, err, actor); rerr != nil {
			return nil, errors.Join(fmt.Errorf("handlers: inquire %s: %w", paymentRequestID, err), rerr)
		}
		return nil, fmt.Errorf("handlers: inquire %s: %w", paymentRequestID, err)
	}
	return h.Store.ApplyInquiry(ctx, paymentRequestID, resp, actor)
}

// RetrySession calls createPaymentSession again for a payment whose first
// call had an unknown outcome, with the same paymentRequestId and body (Antom
// is idempotent on it), and records the outcome. The poller and the "Retry"
// button both use it.
func (h *Handlers) RetrySession(ctx context.Context, paymentRequestID string) (*store.Payment, error) {
	d, err := h.Store.GetPayment(ctx, paymentRequestID)
	if err != nil {
		return nil, err
	}
	if d.Status != store.StatusCreated {
		return &d.Payment, nil // already settled by an earlier retry or a notification
	}
	return h.createSession(ctx, &d.Payment)
}

// createSession calls createPaymentSession for a CREATED payment and records
// S (SESSION_READY), F (SESSION_FAILED) or U (still CREATED, flagged unknown,
// to be retried with the same ID).
func (h *Handlers) createSession(ctx context.Context, p *store.Payment) (*store.Payment, error) {
	if h.Antom == nil {
		return nil, errors.New("handlers: create session: no Antom client configured")
	}
	ctx, cancel := antomContext(ctx)
	defer cancel()
	resp, err := h.Antom.CreatePaymentSession(ctx, sessionRequest(p))
	return h.Store.RecordSession(ctx, p.PaymentRequestID, resp, err)
}

// sessionRequest is the createPaymentSession body for a payment. It is
// built only from persisted fields, so a retry sends the same body.
func sessionRequest(p *store.Payment) *antom.CreatePaymentSessionRequest {
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
