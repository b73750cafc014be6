package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"paydesk/antom"
)

// Errors of Pay and of the hosted checkout.
var (
	// ErrUnknownSession means no session has this paymentSessionData.
	ErrUnknownSession = errors.New("sim: unknown payment session")
	// ErrSessionExpired means the session's paymentSessionExpiryTime has passed.
	ErrSessionExpired = errors.New("sim: payment session has expired")
	// ErrPaymentFinal means the payment was already paid, failed, closed,
	// cancelled, or is pending its final result; the outcome describes it.
	ErrPaymentFinal = errors.New("sim: payment can no longer be paid")
)

// SDKEvent is an event the simulated client SDK showed the buyer. It is
// also the JSON body reported to Config.SDKEventURL.
type SDKEvent struct {
	EventCode         string    `json:"eventCode"`
	PaymentResultCode string    `json:"paymentResultCode,omitempty"`
	Message           string    `json:"message,omitempty"`
	When              time.Time `json:"when"`
}

// Pay completes a payment as a buyer would in the hosted checkout: the card
// is checked like the checkout form does (form errors come back in
// PayOutcome.FormErrors and change nothing), then risk control, the 3DS
// challenge (answered with card.OTP when set) and the simulated issuer
// decide. Pay fills an empty expiry or CVC with valid values. The SDK event
// is reported to Config.SDKEventURL when configured, with card.ClientSecret.
func (s *Simulator) Pay(ctx context.Context, paymentSessionData string, card Card) (PayOutcome, error) {
	now := s.clock.Now()
	if strings.TrimSpace(card.Expiry) == "" {
		card.Expiry = fmt.Sprintf("12/%02d", (now.Year()+defaultTestCardExpYear)%100)
	}
	if strings.TrimSpace(card.CVC) == "" {
		card.CVC = defaultTestCardCVC
		if brandOf(digitsOnly(card.Number)) == "AMEX" {
			card.CVC += "4"
		}
	}
	return s.submit(ctx, paymentSessionData, card.ClientSecret, func(p *payment, now time.Time) PayOutcome {
		o := s.submitCardLocked(p, card, now)
		switch {
		case o.Challenge && card.OTP != "":
			o = s.answerChallengeLocked(p, card.OTP, now)
		case o.Challenge && card.CancelChallenge:
			o = s.cancelChallengeLocked(p, now)
		}
		return o
	})
}

// PayByRequestID is Pay for the session of a paymentRequestId.
func (s *Simulator) PayByRequestID(ctx context.Context, paymentRequestID string, card Card) (PayOutcome, error) {
	s.mu.Lock()
	p := s.payments[paymentRequestID]
	s.mu.Unlock()
	if p == nil {
		return PayOutcome{}, ErrUnknownSession
	}
	return s.Pay(ctx, p.sessionData, card)
}

// answerChallenge submits the OTP of a pending 3DS challenge.
func (s *Simulator) answerChallenge(ctx context.Context, sessionData, otp, clientSecret string) (PayOutcome, error) {
	return s.submit(ctx, sessionData, clientSecret, func(p *payment, now time.Time) PayOutcome {
		if p.challenge == nil {
			return s.outcomeLocked(p)
		}
		return s.answerChallengeLocked(p, otp, now)
	})
}

// CancelChallenge is the buyer pressing Cancel on the 3DS challenge of a
// session: the payment fails with USER_PAYMENT_VERIFICATION_FAILED and its
// threeDSResult carries challengeCancel 01. Without a challenge waiting it
// changes nothing and returns the payment's outcome.
func (s *Simulator) CancelChallenge(ctx context.Context, paymentSessionData, clientSecret string) (PayOutcome, error) {
	return s.submit(ctx, paymentSessionData, clientSecret, func(p *payment, now time.Time) PayOutcome {
		if p.challenge == nil {
			return s.outcomeLocked(p)
		}
		return s.cancelChallengeLocked(p, now)
	})
}

// buyerCancel is the buyer leaving the checkout without paying: the SDK
// reports SDK_PAYMENT_CANCEL and the session stays payable.
func (s *Simulator) buyerCancel(ctx context.Context, sessionData, clientSecret string) (PayOutcome, error) {
	return s.submit(ctx, sessionData, clientSecret, func(p *payment, now time.Time) PayOutcome {
		p.challenge = nil
		o := s.outcomeLocked(p)
		o.SDKEvent = antom.SDKPaymentCancel
		o.ResultMessage = "the buyer left the payment page without paying"
		return o
	})
}

// submit runs fn on a payable session, saves the state and then reports
// the SDK event with clientSecret. An error wrapping ErrStateNotSaved means
// the change could not be saved.
func (s *Simulator) submit(ctx context.Context, sessionData, clientSecret string, fn func(*payment, time.Time) PayOutcome) (PayOutcome, error) {
	s.mu.Lock()
	p := s.bySession[sessionData]
	if p == nil {
		s.mu.Unlock()
		return PayOutcome{}, ErrUnknownSession
	}
	now := s.clock.Now()
	var o PayOutcome
	var err error
	switch {
	case p.final() || p.status == antom.PaymentPending:
		o, err = s.outcomeLocked(p), ErrPaymentFinal
	case !now.Before(p.expiry):
		o, err = s.outcomeLocked(p), ErrSessionExpired
		o.SDKEvent = antom.SDKPaymentError
		o.ResultMessage = "the payment session expired at " + s.formatTime(p.expiry)
	default:
		o = fn(p, now)
		s.changedLocked(p)
	}
	var ev *SDKEvent
	if err == nil && o.SDKEvent != "" {
		ev = &SDKEvent{EventCode: o.SDKEvent, Message: o.ResultMessage, When: now}
		if o.SDKEvent != antom.SDKPaymentCancel && o.SDKEvent != antom.SDKFormVerificationFailed {
			ev.PaymentResultCode = o.ResultCode
		}
		p.sdkEvents = append(p.sdkEvents, *ev)
	}
	s.mu.Unlock()
	// The buyer is shown the result, and the app told of it, only once it
	// is saved; a retry after a failed save finds the payment as it is.
	if ferr := s.flush(); ferr != nil {
		return o, ferr
	}
	if ev != nil {
		o.SDKEventReport = s.reportSDKEvent(ctx, o.PaymentRequestID, *ev, clientSecret)
	}
	return o, err
}

// reportSDKEvent posts the event to the merchant app API as the app would,
// with the payment's client secret (or Config.SDKEventAPIKey). It returns
// a short description of how that went, for the page and logs.
func (s *Simulator) reportSDKEvent(ctx context.Context, paymentRequestID string, ev SDKEvent, clientSecret string) string {
	if s.cfg.SDKEventURL == "" {
		return ""
	}
	credential := clientSecret
	if credential == "" {
		credential = s.cfg.SDKEventAPIKey
	}
	if credential == "" {
		// An app without a credential could not report either.
		return "not reported: the checkout was opened without a client secret"
	}
	target := strings.ReplaceAll(s.cfg.SDKEventURL, "{paymentRequestId}", url.PathEscape(paymentRequestID))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(mustJSON(ev)))
	if err != nil {
		return "not reported: " + err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+credential)
	res, err := s.http.Do(req)
	if err != nil {
		s.log.Warn("sim: SDK event not reported", "paymentRequestId", paymentRequestID, "err", err)
		return "not reported: " + err.Error()
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	s.log.Info("sim: SDK event reported", "paymentRequestId", paymentRequestID, "eventCode", ev.EventCode, "status", res.StatusCode)
	return "reported: HTTP " + fmt.Sprint(res.StatusCode)
}
