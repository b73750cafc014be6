package store

// This file lists the ledger's public inputs. The methods live in
// payments.go (create, session), ingest.go (notifications), inquiry.go,
// actions.go (capture, refund, cancel), queries.go and background.go.

import (
	"time"
)

// NewPayment is the input of CreatePayment.
type NewPayment struct {
	PaymentRequestID string // empty: minted; merchant-provided is allowed (app API)
	IdempotencyKey   string // app API Idempotency-Key; optional
	ReferenceOrderID string
	BuyerID          string
	Description      string
	AmountMinor      int64
	Currency         string
	CaptureMode      string // AUTOMATIC (default when empty) or MANUAL
	ThreeDS          bool
	TerminalType     string // WEB (default), WAP, APP
	OSType           string // IOS, ANDROID, or empty (required with APP)
	NotifyURL        string // absolute http(s) URL
	RedirectURL      string // absolute URL (an app scheme is allowed)
	Sandbox          bool
	CreatedBy        string // actor, e.g. "user:ana@example.com" or "apikey:shop-app"
	CreatedByKey     int64  // the API key creating it (app API); 0 for none
}

// SessionResult is a successful createPaymentSession answer, for SessionCreated.
type SessionResult struct {
	SessionData string
	SessionID   string
	ExpiresAt   time.Time // parsed paymentSessionExpiryTime; zero: now + 1 h
	ResultCode  string
	Message     string
}

// APIOutcome is Antom's result of a call (S, F or U, with code and message).
// For a transport failure or a timeout use Status "U" and Code "" and put the
// error text in Message.
type APIOutcome struct {
	Status  string // antom.StatusSuccess, StatusFail, StatusUnknown
	Code    string
	Message string
}

// SDKEvent is an event the client SDK reported to the merchant app.
type SDKEvent struct {
	EventCode         string // e.g. SDK_PAYMENT_SUCCESSFUL
	PaymentResultCode string
	Message           string
	At                time.Time // when the app saw it; zero: now
	Actor             string    // e.g. "apikey:shop-app"
}
