package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"paydesk/antom"
)

// Field limits from the protocol (antom-protocol.md 5.1).
const (
	maxIDLen          = 64
	maxDescriptionLen = 256
	maxURLLen         = 2048
	maxIdemKeyLen     = 255
	// DefaultSessionTTL is Antom's default session lifetime, used when the
	// createPaymentSession answer carries no expiry.
	DefaultSessionTTL = time.Hour
)

// checkASCII validates a value Antom wants ASCII-printable (the seed's FAQ:
// no Chinese characters in IDs and descriptions).
func checkASCII(field, v string, max int, required bool) error {
	if v == "" {
		if required {
			return &FieldError{Field: field, Message: "is required"}
		}
		return nil
	}
	if len(v) > max {
		return &FieldError{Field: field, Message: fmt.Sprintf("is %d characters long; the limit is %d", len(v), max)}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return &FieldError{Field: field, Message: fmt.Sprintf("must be printable ASCII (character %d is not); Antom rejects other characters", i+1)}
		}
	}
	return nil
}

func checkURL(field, v string, required, webOnly bool) error {
	if v == "" {
		if required {
			return &FieldError{Field: field, Message: "is required"}
		}
		return nil
	}
	if len(v) > maxURLLen {
		return &FieldError{Field: field, Message: fmt.Sprintf("is longer than %d characters", maxURLLen)}
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return &FieldError{Field: field, Message: "must be an absolute URL"}
	}
	web := u.Scheme == "http" || u.Scheme == "https"
	if webOnly && !web {
		return &FieldError{Field: field, Message: "must be an http or https URL"}
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob":
		// An app's own scheme (myshop://return) is fine; these would run or
		// read something in the buyer's browser.
		return &FieldError{Field: field, Message: "must not use the " + u.Scheme + ": scheme"}
	}
	if web && u.Host == "" {
		return &FieldError{Field: field, Message: "must be an absolute URL with a host"}
	}
	return nil
}

// normalize fills defaults and validates a NewPayment; the first problem is
// returned as a *FieldError.
func (np *NewPayment) normalize() error {
	if np.CaptureMode == "" {
		np.CaptureMode = antom.CaptureAutomatic
	}
	if np.TerminalType == "" {
		np.TerminalType = "WEB"
	}
	np.Currency = strings.ToUpper(strings.TrimSpace(np.Currency))
	if err := checkASCII("paymentRequestId", np.PaymentRequestID, maxIDLen, false); err != nil {
		return err
	}
	if err := checkASCII("idempotencyKey", np.IdempotencyKey, maxIdemKeyLen, false); err != nil {
		return err
	}
	if err := checkASCII("referenceOrderId", np.ReferenceOrderID, maxIDLen, true); err != nil {
		return err
	}
	if err := checkASCII("buyerId", np.BuyerID, maxIDLen, false); err != nil {
		return err
	}
	if err := checkASCII("description", np.Description, maxDescriptionLen, true); err != nil {
		return err
	}
	if np.Currency == "" {
		return &FieldError{Field: "currency", Message: "is required"}
	}
	if _, err := antom.Exponent(np.Currency); err != nil {
		return &FieldError{Field: "currency", Message: fmt.Sprintf("%q is not a supported ISO 4217 currency", np.Currency)}
	}
	switch {
	case np.AmountMinor <= 0:
		return &FieldError{Field: "amount", Message: "must be greater than zero"}
	case len(antom.FormatValue(np.AmountMinor)) > antom.MaxValueDigits:
		return &FieldError{Field: "amount", Message: "is too large"}
	}
	if np.CaptureMode != antom.CaptureAutomatic && np.CaptureMode != antom.CaptureManual {
		return &FieldError{Field: "captureMode", Message: "must be AUTOMATIC or MANUAL"}
	}
	switch np.TerminalType {
	case "WEB", "WAP", "APP", "MINI_APP":
	default:
		return &FieldError{Field: "terminalType", Message: "must be WEB, WAP, APP or MINI_APP"}
	}
	switch np.OSType {
	case "", "IOS", "ANDROID":
	default:
		return &FieldError{Field: "osType", Message: "must be IOS or ANDROID"}
	}
	if np.TerminalType == "APP" && np.OSType == "" {
		return &FieldError{Field: "osType", Message: "is required for terminal type APP"}
	}
	if err := checkURL("notifyUrl", np.NotifyURL, false, true); err != nil {
		return err
	}
	return checkURL("redirectUrl", np.RedirectURL, false, false)
}

// differences lists the request fields in which np differs from p, for an
// idempotent replay.
func (np *NewPayment) differences(p *Payment) []string {
	var d []string
	add := func(differs bool, name string) {
		if differs {
			d = append(d, name)
		}
	}
	add(np.PaymentRequestID != "" && np.PaymentRequestID != p.PaymentRequestID, "paymentRequestId")
	add(np.ReferenceOrderID != p.ReferenceOrderID, "referenceOrderId")
	add(np.BuyerID != p.BuyerID, "buyerId")
	add(np.Description != p.Description, "description")
	add(np.AmountMinor != p.AmountMinor, "amount")
	add(np.Currency != p.Currency, "currency")
	add(np.CaptureMode != p.CaptureMode, "captureMode")
	add(np.ThreeDS != p.ThreeDS, "threeDS")
	add(np.TerminalType != p.TerminalType, "terminalType")
	add(np.OSType != p.OSType, "osType")
	add(np.NotifyURL != p.NotifyURL, "notifyUrl")
	add(np.RedirectURL != p.RedirectURL, "redirectUrl")
	add(np.Sandbox != p.Sandbox, "sandbox")
	return d
}

// CreatePayment validates np, mints the paymentRequestId if empty and inserts
// the payment as CREATED with its first timeline event, so the ID is durable
// before Antom is called.
//
// A merchant-provided PaymentRequestID or an IdempotencyKey that is already
// stored returns the stored payment when the request is the same, and a
// *ConflictError naming the fields that differ otherwise. Invalid input
// returns a *FieldError and changes nothing.
func (s *Store) CreatePayment(ctx context.Context, np NewPayment) (*Payment, error) {
	if err := np.normalize(); err != nil {
		return nil, err
	}
	minted := np.PaymentRequestID == ""
	if minted {
		np.PaymentRequestID = s.newID("pay")
	}
	var out *Payment
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = nil
		for _, k := range []struct{ col, val string }{
			{"idempotency_key", np.IdempotencyKey},
			{"payment_request_id", np.PaymentRequestID},
		} {
			if k.val == "" || (k.col == "payment_request_id" && minted) {
				continue
			}
			p, err := paymentBy(ctx, tx, k.col, k.val)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			cmp := np
			if k.col == "idempotency_key" && minted {
				cmp.PaymentRequestID = ""
			}
			if diff := cmp.differences(p); len(diff) > 0 {
				what := "paymentRequestId " + p.PaymentRequestID
				if k.col == "idempotency_key" {
					what = "Idempotency-Key"
				}
				return &ConflictError{Message: what + " was already used for a different request", Fields: diff}
			}
			out = p
			return nil
		}
		now := s.now().UTC()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO payments (payment_request_id, reference_order_id, buyer_id,
			description, amount_minor, currency, capture_mode, three_ds, terminal_type, os_type, sandbox,
			status, notify_url, redirect_url, created_by, created_by_key, idempotency_key, created_at, updated_at,
			capture_state, version, seq)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0) RETURNING id`,
			np.PaymentRequestID, np.ReferenceOrderID, np.BuyerID, np.Description, np.AmountMinor,
			np.Currency, np.CaptureMode, np.ThreeDS, np.TerminalType, np.OSType, np.Sandbox,
			StatusCreated, np.NotifyURL, np.RedirectURL, np.CreatedBy, nullInt(np.CreatedByKey), nullStr(np.IdempotencyKey),
			now.UnixMilli(), now.UnixMilli(), CaptureNotApply).Scan(&id)
		if err != nil {
			if isUniqueViolation(err) {
				return conflictf("paymentRequestId %s already exists", np.PaymentRequestID)
			}
			return fmt.Errorf("store: insert payment: %w", err)
		}
		p, err := paymentByID(ctx, tx, id)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("Payment created: %s %s, %s capture", antom.FormatMinor(np.AmountMinor, np.Currency), np.Currency, np.CaptureMode)
		if _, err := s.addEvent(ctx, tx, p, EventCreated, np.CreatedBy, summary, map[string]any{
			"referenceOrderId": np.ReferenceOrderID, "amount": antom.NewAmount(np.AmountMinor, np.Currency),
			"captureMode": np.CaptureMode, "threeDS": np.ThreeDS, "terminalType": np.TerminalType, "osType": np.OSType,
		}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, "", saveOpts{}); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isUniqueViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || isPgUniqueViolation(err))
}

// OutcomeOf classifies the error of an Antom call: nil is S; an
// *antom.ResultError carries Antom's F or U; anything else (transport
// failure, timeout, bad signature on the answer) means the outcome is not
// known: U with the error text as the message.
func OutcomeOf(err error) APIOutcome {
	if err == nil {
		return APIOutcome{Status: antom.StatusSuccess, Code: "SUCCESS"}
	}
	var re *antom.ResultError
	if errors.As(err, &re) {
		return APIOutcome{Status: re.Result.ResultStatus, Code: re.Result.ResultCode, Message: re.Result.ResultMessage}
	}
	return APIOutcome{Status: antom.StatusUnknown, Message: transportWords(err)}
}

// transportWords says for staff why a call got no usable answer, without
// URLs or Go error chains: those are in the log.
func transportWords(err error) string {
	var te *antom.TransportError
	var ne net.Error
	switch {
	case errors.As(err, &te) && te.StatusCode != 0:
		return fmt.Sprintf("Antom answered HTTP %d", te.StatusCode)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "the call was cut short"
	case errors.Is(err, antom.ErrUnsignedResponse):
		return "an answer that was not signed"
	case errors.As(err, &te):
		return "Antom could not be reached"
	}
	return err.Error()
}

// RecordSession records the outcome of createPaymentSession for a payment:
// resp and callErr as the antom client returned them. It calls
// SessionCreated, SessionFailed or SessionUnknown.
func (s *Store) RecordSession(ctx context.Context, paymentRequestID string, resp *antom.CreatePaymentSessionResponse, callErr error) (*Payment, error) {
	o := OutcomeOf(callErr)
	switch {
	case callErr == nil && resp != nil:
		r := SessionResult{SessionData: resp.PaymentSessionData, SessionID: resp.PaymentSessionID,
			ResultCode: resp.Result.ResultCode, Message: resp.Result.ResultMessage}
		if t, err := parseAntomTime(resp.PaymentSessionExpiryTime); err == nil {
			r.ExpiresAt = t
		}
		return s.SessionCreated(ctx, paymentRequestID, r)
	case o.Status == antom.StatusFail:
		return s.SessionFailed(ctx, paymentRequestID, o)
	}
	return s.SessionUnknown(ctx, paymentRequestID, o)
}

// SessionCreated records a successful createPaymentSession: CREATED →
// SESSION_READY with the session data and expiry (now + 1 h when Antom gave
// none), and clears the unknown-outcome flag.
func (s *Store) SessionCreated(ctx context.Context, paymentRequestID string, r SessionResult) (*Payment, error) {
	if r.SessionData == "" {
		return nil, &FieldError{Field: "paymentSessionData", Message: "is empty"}
	}
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		tr := NextPaymentStatus(p.Status, EvSessionCreated)
		summary := "Session created"
		if tr.Effect == EffectApply || tr.Effect == EffectSame {
			exp := r.ExpiresAt
			if exp.IsZero() {
				exp = s.now().Add(DefaultSessionTTL)
			}
			p.Status = tr.To
			p.SessionData, p.SessionID, p.SessionExpiresAt = r.SessionData, r.SessionID, exp.UTC()
			p.ResultStatus, p.ResultCode, p.ResultMessage = antom.StatusSuccess, nonEmpty(r.ResultCode, "SUCCESS"), r.Message
			p.Flags &^= FlagUnknownOutcome
			summary = "Session created, expires " + exp.UTC().Format(time.RFC3339)
		} else {
			summary = "Session created, ignored: payment is already " + string(p.Status)
		}
		_, err := s.addEvent(ctx, tx, p, EventSessionCreated, "antom", summary, map[string]any{
			"paymentSessionId": r.SessionID, "paymentSessionExpiryTime": p.SessionExpiresAt, "effect": tr.Effect,
		}, 0)
		return saveOpts{polled: true}, err
	})
}

// SessionFailed records a createPaymentSession F: CREATED → SESSION_FAILED
// with Antom's code and message.
func (s *Store) SessionFailed(ctx context.Context, paymentRequestID string, o APIOutcome) (*Payment, error) {
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		tr := NextPaymentStatus(p.Status, EvSessionFailed)
		summary := "Session failed: " + o.Code
		if tr.Effect == EffectApply || tr.Effect == EffectSame {
			p.Status = tr.To
			p.ResultStatus, p.ResultCode, p.ResultMessage = nonEmpty(o.Status, antom.StatusFail), o.Code, o.Message
			p.Flags &^= FlagUnknownOutcome
		} else {
			summary += " (ignored: payment is already " + string(p.Status) + ")"
		}
		_, err := s.addEvent(ctx, tx, p, EventSessionFailed, "antom", summary, o, 0)
		return saveOpts{polled: true}, err
	})
}

// SessionUnknown records a createPaymentSession U or timeout: the payment
// stays CREATED, flagged unknown_outcome, and PaymentsToPoll offers it for a
// retry with the same paymentRequestId.
func (s *Store) SessionUnknown(ctx context.Context, paymentRequestID string, o APIOutcome) (*Payment, error) {
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		summary := "Session outcome unknown"
		if o.Code != "" {
			summary += ": " + o.Code
		}
		if p.Status == StatusCreated {
			p.Flags |= FlagUnknownOutcome
			p.ResultStatus, p.ResultCode, p.ResultMessage = antom.StatusUnknown, o.Code, o.Message
		} else {
			summary += " (ignored: payment is already " + string(p.Status) + ")"
		}
		_, err := s.addEvent(ctx, tx, p, EventSessionUnknown, "antom", summary, o, 0)
		return saveOpts{polled: true}, err
	})
}

// updatePayment loads a payment by paymentRequestId inside a write
// transaction, lets fn change it and add events, and saves it.
func (s *Store) updatePayment(ctx context.Context, paymentRequestID string, fn func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error)) (*Payment, error) {
	var out *Payment
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		p, err := paymentBy(ctx, tx, "payment_request_id", paymentRequestID)
		if err != nil {
			return err
		}
		old := p.Status
		o, err := fn(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, o); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseAntomTime parses Antom's Datetime (ISO 8601 with offset). Liberal:
// RFC 3339 with or without fractional seconds.
func parseAntomTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("empty time")
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", v)
}
