package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"paydesk/antom"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write collides with existing state: a
// reused request ID with a different body, or an action the payment's state
// does not allow. *ConflictError wraps it with details.
var ErrConflict = errors.New("store: conflict")

// FieldError is a validation error naming the input field at fault. Bad input
// changes nothing.
type FieldError struct {
	Field   string // the input field, e.g. "amount", "referenceOrderId"
	Message string // what is wrong, for a person
}

// Error names the field and says what is wrong with it.
func (e *FieldError) Error() string { return "store: " + e.Field + ": " + e.Message }

// ConflictError says why a write conflicts; errors.Is(err, ErrConflict) holds.
type ConflictError struct {
	Message string   // what conflicts, for a person
	Fields  []string // for an idempotent replay with a different body: the fields that differ
}

// Error says what conflicts and, for a replay, which fields differ.
func (e *ConflictError) Error() string {
	if len(e.Fields) > 0 {
		return "store: conflict: " + e.Message + " (differs: " + strings.Join(e.Fields, ", ") + ")"
	}
	return "store: conflict: " + e.Message
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

func conflictf(format string, a ...any) error {
	return &ConflictError{Message: fmt.Sprintf(format, a...)}
}

// PaymentStatus is the ledger's status of a payment (not Antom's paymentStatus,
// which it is derived from).
type PaymentStatus string

// Payment statuses. Final ones: SESSION_FAILED, SUCCESS, FAIL, CANCELLED,
// EXPIRED (see IsFinal).
const (
	StatusCreated       PaymentStatus = "CREATED"
	StatusSessionReady  PaymentStatus = "SESSION_READY"
	StatusSessionFailed PaymentStatus = "SESSION_FAILED"
	StatusProcessing    PaymentStatus = "PROCESSING"
	StatusSuccess       PaymentStatus = "SUCCESS"
	StatusFail          PaymentStatus = "FAIL"
	StatusCancelled     PaymentStatus = "CANCELLED"
	StatusExpired       PaymentStatus = "EXPIRED"
)

// PaymentStatuses lists every payment status, in lifecycle order.
var PaymentStatuses = []PaymentStatus{
	StatusCreated, StatusSessionReady, StatusSessionFailed, StatusProcessing,
	StatusSuccess, StatusFail, StatusCancelled, StatusExpired,
}

// IsFinal reports whether no further Antom event is expected to move the status.
func (s PaymentStatus) IsFinal() bool {
	switch s {
	case StatusSessionFailed, StatusSuccess, StatusFail, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// TxnStatus is the status of a capture or a refund.
type TxnStatus string

// Capture and refund statuses.
const (
	TxnProcessing TxnStatus = "PROCESSING"
	TxnSuccess    TxnStatus = "SUCCESS"
	TxnFail       TxnStatus = "FAIL"
)

// TxnStatuses lists every capture/refund status.
var TxnStatuses = []TxnStatus{TxnProcessing, TxnSuccess, TxnFail}

// CaptureState summarises how much of a payment is captured; it is a list filter.
type CaptureState string

// Capture states.
const (
	CaptureNone     CaptureState = "NONE"     // nothing captured, nothing in flight
	CapturePending  CaptureState = "PENDING"  // a capture is PROCESSING
	CapturePartial  CaptureState = "PARTIAL"  // some captured, less than the amount
	CaptureFull     CaptureState = "CAPTURED" // the whole amount captured
	CaptureNotApply CaptureState = "N/A"      // payment not (yet) successful
)

// Flag marks something a person should look at. Payments with any flag set
// are "needs attention".
type Flag uint32

// Flags.
const (
	// FlagUnknownOutcome: an Antom call answered U or timed out; the outcome
	// is not known yet. For a session it is set and cleared by the session's
	// answers; otherwise it follows the pending operations (an attempt
	// ended without a definitive answer) and clears only when they settle.
	FlagUnknownOutcome Flag = 1 << iota
	// FlagContradiction: Antom said two incompatible things (S then F);
	// the status was kept and an inquiry is needed.
	FlagContradiction
	// FlagStuck: past Antom's order-close window with nothing final.
	FlagStuck
	// FlagSDKSuccessNoNotify: the SDK reported success but no notification arrived in time.
	FlagSDKSuccessNoNotify
	// FlagSDKFailServerSuccess: the SDK reported failure or cancel but the server says SUCCESS.
	FlagSDKFailServerSuccess
	// FlagSDKProcessingStuck: the SDK reported processing and nothing final came in the order-close window.
	FlagSDKProcessingStuck
	// FlagAmountMismatch: Antom reported an amount or currency different from ours.
	FlagAmountMismatch
	// FlagSDKSuccessServerFail: the SDK reported success but the server says
	// the payment failed, was cancelled or expired (see sdk_events.go).
	FlagSDKSuccessServerFail
	// FlagOperationOverdue: a capture, cancel or refund Paydesk asked for is
	// still unconfirmed past Antom's window (operations.go).
	FlagOperationOverdue
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{FlagUnknownOutcome, "unknown_outcome"},
	{FlagContradiction, "contradiction"},
	{FlagStuck, "stuck"},
	{FlagSDKSuccessNoNotify, "sdk_success_no_notification"},
	{FlagSDKFailServerSuccess, "sdk_fail_server_success"},
	{FlagSDKProcessingStuck, "sdk_processing_stuck"},
	{FlagAmountMismatch, "amount_mismatch"},
	{FlagSDKSuccessServerFail, "sdk_success_server_fail"},
	{FlagOperationOverdue, "operation_overdue"},
}

// Has reports whether every flag in g is set in f.
func (f Flag) Has(g Flag) bool { return f&g == g && g != 0 }

// Names returns the set flags' stable names, e.g. ["contradiction", "stuck"].
func (f Flag) Names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String joins Names with commas.
func (f Flag) String() string { return strings.Join(f.Names(), ",") }

// Payment is one payment attempt: one paymentRequestId.
type Payment struct {
	ID               int64 // internal row ID
	PaymentRequestID string
	ReferenceOrderID string
	BuyerID          string // order.buyer.referenceBuyerId
	Description      string
	AmountMinor      int64
	Currency         string
	CaptureMode      string // antom.CaptureAutomatic or antom.CaptureManual
	ThreeDS          bool   // 3DS requested
	TerminalType     string // WEB, WAP, APP
	OSType           string // IOS, ANDROID, or empty
	Sandbox          bool
	Status           PaymentStatus
	ResultStatus     string // Antom's last result: S, F, U
	ResultCode       string
	ResultMessage    string
	PaymentID        string // Antom's paymentId, once known
	SessionData      string // paymentSessionData for the client SDK
	SessionID        string
	SessionExpiresAt time.Time // zero when unknown
	NotifyURL        string
	RedirectURL      string
	CreatedBy        string // "user:<email>", "apikey:<name>", …
	CreatedByKey     int64  // the API key that created it (POST /api/v1/sessions); 0 for none
	IdempotencyKey   string // app API Idempotency-Key, if any
	CreatedAt        time.Time
	UpdatedAt        time.Time
	PaidAt           time.Time // Antom's paymentTime, zero if none
	AuthExpiresAt    time.Time // authExpiryTime, zero if none
	PaymentMethod    string    // paymentMethodType, e.g. CARD
	CardBrand        string
	CardLast4        string
	AcquirerRef      string // acquirerReferenceNo
	CapturedMinor    int64  // sum of successful captures
	RefundedMinor    int64  // sum of successful refunds
	CaptureState     CaptureState
	Flags            Flag
	Settled          bool      // nothing more expected: final status and no capture/refund in flight
	NextPollAt       time.Time // zero when the poller should leave it alone
	PollCount        int
	LastInquiryAt    time.Time
	FinalAt          time.Time // when the status first became final; zero while it is not
	Version          int64     // bumped on every change of the payment or its captures/refunds/events
	Seq              int64     // global change sequence at the last change

	// RefusalReasonRaw and MerchantAdviceCode are the issuer's or network's
	// refusal reason and advice (paymentResultInfo) of a declined payment.
	RefusalReasonRaw   string
	MerchantAdviceCode string
	// Card is what Antom said about the card, the authorisation, the
	// acquirer and settlement (card_details.go); Buyer identifies the
	// buyer and is shown only with buyer-data access. Both are filled when
	// one payment is loaded (GetPayment, and every write); lists and
	// searches leave them zero.
	Card  CardDetails
	Buyer BuyerDetails

	pollSince time.Time // when the current in-flight period began
	details   storedDetails
	// stored is the mutable columns as last loaded or saved in the write
	// transaction (savePayment writes only those that differ);
	// nil writes them all.
	stored []any
}

// SessionExpired reports whether the session expiry has passed at now.
func (p *Payment) SessionExpired(now time.Time) bool {
	return !p.SessionExpiresAt.IsZero() && !now.Before(p.SessionExpiresAt)
}

// Capture is one capture of a payment.
type Capture struct {
	ID               int64
	PaymentRequestID string
	PaymentID        string
	CaptureRequestID string // minted by us for staff captures; Antom's for automatic ones
	CaptureID        string // Antom's captureId, once known
	AmountMinor      int64
	Currency         string
	Status           TxnStatus
	ResultStatus     string
	ResultCode       string
	ResultMessage    string
	AcquirerRef      string
	Actor            string // who asked for it; "antom" for automatic captures
	CreatedAt        time.Time
	CapturedAt       time.Time // Antom's captureTime, zero if none
	UpdatedAt        time.Time

	Details TxnDetails // acquirer and settlement (card_details.go)

	paymentFK int64
}

// Refund is one refund of a payment.
type Refund struct {
	ID               int64
	PaymentRequestID string
	PaymentID        string
	RefundRequestID  string
	RefundID         string
	AmountMinor      int64
	Currency         string
	Status           TxnStatus
	ResultStatus     string
	ResultCode       string
	ResultMessage    string
	Reason           string
	AcquirerRef      string
	Actor            string
	CreatedAt        time.Time
	RefundedAt       time.Time
	UpdatedAt        time.Time

	ARN     string     // acquirer reference number: what the buyer's bank can trace the refund by
	RRN     string     // retrieval reference number
	Details TxnDetails // acquirer, settlement, actualRefundAmount (card_details.go)

	paymentFK int64
}

// EventKind classifies a timeline event.
type EventKind string

// Event kinds.
const (
	EventCreated        EventKind = "created"
	EventSessionCreated EventKind = "session_created"
	EventSessionFailed  EventKind = "session_failed"
	EventSessionUnknown EventKind = "session_unknown"
	EventNotification   EventKind = "notification"
	EventInquiry        EventKind = "inquiry"
	EventStaffAction    EventKind = "staff_action"
	EventAPIResponse    EventKind = "api_response"
	EventSDK            EventKind = "sdk_event"
	EventExpired        EventKind = "expired"
	EventFlag           EventKind = "flag"
	EventOperation      EventKind = "operation" // a money operation settled
)

// Event is one entry of a payment's timeline.
type Event struct {
	ID               int64
	PaymentRequestID string
	Kind             EventKind
	Actor            string // "antom", "poller", "user:<email>", "sdk", "system"
	Summary          string
	Detail           json.RawMessage // kind-specific JSON, may be empty
	DeliveryID       int64           // the delivery, for notification events
	At               time.Time
}

// PaymentDetail is a payment with everything the detail page shows.
type PaymentDetail struct {
	Payment
	Captures []Capture
	Refunds  []Refund
	// Operations are the captures, cancels and refunds Paydesk asked
	// Antom for, oldest first, with their attempts (operations.go).
	Operations []Operation
	Timeline   []Event // oldest first: the newest TimelineLimit events
	// TimelineOmitted counts the older events left out of Timeline.
	TimelineOmitted int
}

// TimelineLimit bounds the events GetPayment loads for a payment's page.
const TimelineLimit = 1000

// Verdict is the signature check result of a delivery.
type Verdict string

// Verdicts.
const (
	VerdictOK           Verdict = "ok"
	VerdictMissing      Verdict = "missing"
	VerdictBad          Verdict = "bad"
	VerdictUnverifiable Verdict = "unverifiable"
)

// Outcome is what a delivery did to the ledger.
type Outcome string

// Delivery outcomes.
const (
	OutcomeApplied        Outcome = "applied"         // changed the ledger
	OutcomeDuplicate      Outcome = "duplicate"       // same effect as an earlier delivery; nothing changed
	OutcomeOutOfOrder     Outcome = "out_of_order"    // applied, but arrived before what it follows (capture before payment result)
	OutcomeStale          Outcome = "stale"           // older than what the ledger knows; nothing changed
	OutcomeContradiction  Outcome = "contradiction"   // contradicts a final result; flagged, status kept
	OutcomeUnknownPayment Outcome = "unknown_payment" // verified, but no payment matches; kept for follow-up
	OutcomeRejected       Outcome = "rejected"        // signature not ok or body malformed; nothing changed
	OutcomeNotApplied     Outcome = "not_applied"     // verified, but applying it failed; answered 500 so Antom retries; can be applied again
)

// DeliveryInput is an inbound notification as the webhook received it.
type DeliveryInput struct {
	ReceivedAt  time.Time // zero: the store's clock
	Path        string    // the path as received
	RawQuery    string    // the query string as received, without "?"
	Headers     map[string][]string
	Body        []byte
	ClientID    string
	RequestTime string
	Verdict     Verdict
	// Refused marks a delivery the webhook did not accept as Antom's although
	// its signature verified (request-time outside the allowed window); any
	// verdict other than ok is refused anyway. A refused delivery is never
	// applied, is summarised (RefusedBodyBudget, RefusedHeadersBudget) and
	// is deleted after the retention period.
	Refused bool
	// RequestTimeAt is the instant RequestTime names (antom.ParseRequestTime);
	// zero when absent or unparseable, and RequestTimeError says why it
	// could not be read.
	RequestTimeAt    time.Time
	RequestTimeError string
	// Notification is the parsed body; nil when parsing failed (ParseError says why).
	Notification *antom.Notification
	ParseError   string
	// NotApplied records a verified notification whose application failed:
	// its fields and payment are recorded, its effect is not applied, and
	// its outcome is OutcomeNotApplied (ApplyDeliveryAgain applies it later).
	NotApplied bool
	// ResponseStatus and ResponseBody are what the webhook will answer after commit.
	ResponseStatus int
	ResponseBody   string
}

// DeliveryResult says what IngestNotification did.
type DeliveryResult struct {
	DeliveryID       int64
	Outcome          Outcome
	DuplicateOf      int64  // the first delivery with the same dedupe key, for duplicates
	PaymentRequestID string // the linked payment, if any
	// NeedsInquiry is set when the caller should run an inquiry now (contradiction).
	NeedsInquiry bool
}

// Delivery is one stored inbound notification.
type Delivery struct {
	ID               int64
	ReceivedAt       time.Time
	Path             string
	Headers          map[string][]string // nil in list results
	Body             []byte              // nil in list results
	ClientID         string
	RequestTime      string
	Verdict          Verdict
	ParseError       string
	NotifyType       string
	ResultStatus     string
	ResultCode       string
	DedupeKey        string
	DuplicateOf      int64
	Outcome          Outcome
	ResponseStatus   int
	ResponseBody     string
	PaymentRequestID string
	PaymentID        string // the subject paymentId from the payload
	SubjectID        string // captureId/refundId or paymentId
	// Refused deliveries (not accepted as Antom's) are summarised and
	// deleted after the retention period; Summarised says whether the body
	// or the headers were cut. BodySize and BodySHA256 are of the body as
	// received (BodySHA256 is empty for rows stored before they were
	// recorded); HeadersSize is the length of the headers' JSON.
	Refused     bool
	Summarised  bool
	BodySize    int64
	BodySHA256  string
	HeadersSize int64
	// RequestSkew is how far received_at is after the request-time header
	// (negative: the header is in the future); RequestSkewKnown is false
	// when the header was absent or unparseable (RequestTimeError says why).
	RequestSkew      time.Duration
	RequestSkewKnown bool
	RequestTimeError string
	// RawQuery is the query string the delivery arrived with.
	RawQuery string
	// ReappliedAt and ReappliedBy say who applied a not-applied delivery
	// again (ApplyDeliveryAgain); zero and "" until then.
	ReappliedAt time.Time
	ReappliedBy string
}

// Order is one referenceOrderId with all its payment attempts.
type Order struct {
	ReferenceOrderID string
	State            OrderState
	Attempts         []Payment // newest first
	FirstCreatedAt   time.Time
	LastCreatedAt    time.Time
	Seq              int64
}

// OrderState is the overall state of an order across its attempts.
type OrderState string

// Order states.
const (
	OrderPaid       OrderState = "PAID"        // an attempt succeeded
	OrderInProgress OrderState = "IN_PROGRESS" // an attempt is not final yet
	OrderUnpaid     OrderState = "UNPAID"      // every attempt failed, expired or was cancelled
)

// Page is one page of a keyset-paginated list, newest first.
type Page[T any] struct {
	Items      []T
	NextCursor string // empty on the last page
	// Capped: a search's answer, which stops at SearchLimit matches; more
	// matched than Items holds.
	Capped bool
}

// PaymentFilter selects payments for ListPayments. Zero fields do not filter.
type PaymentFilter struct {
	Query          string // any ID, the rules of Store.Search
	Amount         string // with a card's last four in Query: its amount in major units
	Status         PaymentStatus
	Display        DisplayWord // the status in words (DisplayStatusOf)
	Currency       string
	From, To       time.Time // created_at in [From, To)
	CaptureState   CaptureState
	NeedsAttention bool
	Cursor         string
	Limit          int // default 50, max 500
}

// OrderFilter selects orders for ListOrders.
type OrderFilter struct {
	Query  string // referenceOrderId prefix
	State  OrderState
	Cursor string
	Limit  int
}

// CaptureFilter selects captures for ListCaptures.
type CaptureFilter struct {
	Status   TxnStatus
	From, To time.Time // capture created_at in [From, To)
	Cursor   string
	Limit    int
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	Verdict          Verdict
	NotifyType       string
	Outcome          Outcome
	PaymentRequestID string
	Cursor           string
	Limit            int
}
