// Package pages holds the templ pages of the payment dashboard: payments,
// orders, captures, the payment detail, new test sessions and notifications.
// Every page takes a typed view model shaped like the screen; the values are
// already formatted (amounts in their currency's decimals, times, badges) and
// every URL is built by the handler, so this package imports neither the store
// nor echo.
package pages

import (
	"paydesk/views/components"
	"paydesk/views/layout"
)

// Tone is the colour family of a badge or a notice.
type Tone string

// Tones, mapped to CSS classes by the badge component.
const (
	ToneOK      Tone = "ok"      // success
	ToneBad     Tone = "bad"     // failure
	ToneWarn    Tone = "warn"    // needs a look
	ToneInfo    Tone = "pending" // in flight (the CSS tone "pending")
	ToneNeutral Tone = "neutral" // nothing to say
)

// Badge is a short status label.
type Badge struct {
	Label string
	Tone  Tone
	Title string // hover text, may be empty
}

// Option is one choice of a select box.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Field is one labelled value of a definition list.
type Field struct {
	Label  string
	Value  string
	TestID string // data-testid of the value, may be empty
	Mono   bool   // IDs and codes are shown in a monospace font; they may break after _ and |
	// At, when set, is shown instead of Value: an instant with its relative hint.
	At Stamp
}

// Stamp is an instant as the pages show it: absolute UTC, its machine form,
// and a short relative hint computed on the server's clock.
type Stamp struct {
	Text string // "2026-11-25 18:42:10 UTC"; "" for none
	ISO  string // RFC 3339, for <time datetime>
	Ago  string // "3 min ago", "in 6 d"; "" when it would not help
	// NowMS is the server's clock when the page was rendered (Unix ms); the
	// script keeps Ago current from it, so a page left open does not show an
	// old "just now".
	NowMS int64
}

// EmptyView is what a list shows instead of an empty table: what it means
// and what to do next.
type EmptyView struct {
	Title    string
	Hint     string
	LinkURL  string // optional next step
	LinkText string
}

// ---- payments list ----

// PaymentFilter is the payments search form as the user filled it in.
type PaymentFilter struct {
	Query    string
	Status   []Option
	Currency []Option
	Capture  []Option
	From     string // yyyy-mm-dd
	To       string // yyyy-mm-dd, inclusive
	// Attention limits the list to payments a person should look at
	// (stuck, contradiction, unknown outcome, …).
	Attention bool
	Errors    map[string]string
}

// PaymentRow is one row of the payments list.
type PaymentRow struct {
	Key              string // stable row id: the paymentRequestId
	URL              string
	PaymentRequestID string
	PaymentID        string
	ReferenceOrderID string
	BuyerID          string
	Amount           string // "42.00 SGD"
	Status           Badge  // the status in words (store.DisplayStatusOf)
	RawStatus        string // the ledger's raw status, e.g. "SUCCESS", beside the words
	ResultCode       string // Antom's result code, for failed payments
	Capture          Badge
	Refunded         string  // "230.00 SGD"; "" when nothing is refunded
	Flags            []Badge // set: the row needs a person's attention
	Created          Stamp
}

// PaymentListPage is GET /payments.
type PaymentListPage struct {
	ActionURL string // the form's action (the list itself)
	Filter    PaymentFilter
	Search    SearchNote // what a search found beyond its rows (search_note.templ)
	Rows      PaymentRows
	Pager     components.PaginationView
	NewURL    string // "New test session"
	ExportURL string // "Download CSV": the whole current filter (paths.Export)
}

// PaymentRows is the live part of the payments list: the rows and, on the
// first page, the URL that polls for changes.
type PaymentRows struct {
	Rows    []PaymentRow
	LiveURL string // empty: no polling (a later page, or a search)
	// Empty is shown in place of the rows when there are none; it lives in
	// the polled table body, so the first new payment replaces it.
	Empty EmptyView
}

// ---- orders ----

// OrderAttempt is one payment attempt of an order.
type OrderAttempt struct {
	PaymentRequestID string
	URL              string
	Status           Badge
	Amount           string
	Created          Stamp
}

// OrderRow is one referenceOrderId.
type OrderRow struct {
	ReferenceOrderID string
	State            Badge
	Attempts         []OrderAttempt
	FirstCreated     Stamp
	LastCreated      Stamp
	PaymentsURL      string // the payments list searched by this order ID
}

// OrderListPage is GET /orders.
type OrderListPage struct {
	ActionURL string
	Query     string
	State     []Option
	Rows      []OrderRow
	Pager     components.PaginationView
	Empty     EmptyView
	ExportURL string // "Download CSV": the whole current filter (paths.Export)
}

// ---- captures ----

// CaptureRow is one capture, in the captures list or on a payment.
type CaptureRow struct {
	Key              string // stable row id
	CaptureID        string
	CaptureRequestID string
	PaymentRequestID string
	PaymentURL       string
	Amount           string
	Status           Badge
	Result           string // "SUCCESS", or the failure: "F PROCESS_FAIL: General business failure."
	AcquirerRef      string
	Time             Stamp
	Actor            string
	Settlement       string // "Settles as 31.02 USD at 0.7384 SGD/USD"; "" when unknown
	Acquirer         string // "Acme Acquiring: 00 Approved"; "" when unknown
	Highlighted      bool   // the capture a search matched (?highlight=)
}

// CaptureListPage is GET /captures.
type CaptureListPage struct {
	ActionURL string
	Status    []Option
	From      string
	To        string
	Errors    map[string]string
	Rows      []CaptureRow
	Pager     components.PaginationView
	Empty     EmptyView
	// ExportURL and RefundsExportURL download the captures, and the
	// refunds, of the current filter as CSV (paths.Export).
	ExportURL, RefundsExportURL string
}

// ---- payment detail ----

// RefundRow is one refund of a payment.
type RefundRow struct {
	Key             string
	RefundID        string
	RefundRequestID string
	Amount          string
	Status          Badge
	Result          string
	Reason          string
	Time            Stamp
	Actor           string
	ARN             string // acquirer reference number, for the buyer's bank
	RRN             string
	Settlement      string
	Highlighted     bool // the refund a search matched (?highlight=)
}

// TimelineEntry is one entry of a payment's merged timeline.
type TimelineEntry struct {
	Key   string // stable id, e.g. "ev-12"
	Kind  string // session_created, notification, inquiry, staff_action, operation, …
	Label string // the kind as people read it: "Antom's answer", "operation confirmed"
	// Tone colours the entry's dot: how it ended for what it is about
	// (an operation confirmed or refused, a flag raised); "" is plain.
	Tone    Tone
	At      Stamp
	Actor   string
	Summary string
	Badges  []Badge // signature verdict, outcome
	// Detail is pretty-printed JSON shown on demand in a <details>; empty for none.
	Detail string
	// DeliveryURL links to the stored notification (raw headers and bytes).
	DeliveryURL string
	// Standout marks a turn of the story (a state change, a notification,
	// a staff action, an SDK event) as against routine polling.
	Standout bool
	// Fold is set when the entry is the latest of a run of identical
	// inquiries: "12 inquiries 12:00:03–12:00:39 UTC, all PROCESSING".
	Fold string
	// Folded are the run's earlier entries, newest first, at most a bound;
	// FoldedMore says how many more are not listed ("" for none).
	Folded     []TimelineEntry
	FoldedMore string
}

// OperationRow is one capture, cancel or refund Paydesk asked Antom for,
// on its payment's page or on the background-work page.
type OperationRow struct {
	Key       string // stable id: "op-12"
	Kind      string // capture, cancel, refund
	Title     string // "Capture of 42.00 SGD", "Cancel"
	RequestID string // captureRequestId, refundRequestId; the paymentRequestId for a cancel
	Actor     string // who asked
	Asked     Stamp
	State     Badge  // pending, confirmed, refused, overdue
	Sentence  string // where it is, in plain words, with times and attempts
	// LastAnswer is why the outcome is not known yet ("Antom answered U
	// UNKNOWN_EXCEPTION …"); "" once settled.
	LastAnswer string
	Attempts   string // "1 attempt", "3 attempts"
	// PaymentRequestID and PaymentURL link the row to its payment on the
	// background-work page; empty on the payment's own page.
	PaymentRequestID string
	PaymentURL       string
}

// MoneyForm is a capture or refund form. It is filled in first (the
// amount starts empty), then submitted again from a confirmation panel
// that names the amount and the payment.
type MoneyForm struct {
	ActionURL string
	Amount    string // the value typed; "" at first
	Currency  string
	Max       string // formatted maximum, shown as a hint
	Full      string // the maximum as the amount field takes it ("42.00"), for the "Full amount" button
	Reason    string // refunds only
	// Confirming is set by the handler when the values passed the checks
	// and await confirmation; Confirm is the question the panel asks
	// ("Refund 42.00 SGD of payment ORD-1 to the buyer?").
	Confirming  bool
	Confirm     string
	StepUp      bool   // the confirmation asks for the password
	Error       string // inline error for the amount
	StepUpError string // inline error for the password
	FormError   string // anything else (Antom refused, conflict)
}

// ActionForm is a form without an amount (cancel, inquiry, retry). A
// cancel is confirmed like a money form.
type ActionForm struct {
	ActionURL   string
	Confirming  bool
	Confirm     string
	StepUp      bool
	StepUpError string
	FormError   string
}

// PaymentActions are the actions the page offers; nil means not offered.
type PaymentActions struct {
	CSRFToken  string
	PaymentURL string // where "Change" on a confirmation panel goes back to
	Inquiry    *ActionForm
	Retry      *ActionForm // retry createPaymentSession with the same paymentRequestId
	Capture    *MoneyForm
	Cancel     *ActionForm
	Refund     *MoneyForm
	// ReadOnly explains why money actions are hidden for this user (role).
	ReadOnly string
}

// Notice is a message at the top of a page or a region.
type Notice struct {
	Tone Tone
	Text string
}

// PaymentLive is the part of the detail page that refreshes while the
// payment is in flight.
type PaymentLive struct {
	// PollURL is GET /payments/:id/live?v=<version>; empty when nothing is in flight.
	PollURL          string
	Status           Badge  // the status in words (store.DisplayStatusOf)
	RawStatus        string // the ledger's raw status beside it, e.g. "SUCCESS"
	Flags            []Badge
	FlagDetails      []FlagView // what each flag means and what to do
	ResultCode       string     // Antom's result code, when it says more than the status
	ResultMessage    string     // Antom's result message, when it says more than the code
	Amount           string
	Captured         string
	Refunded         string
	CaptureState     Badge
	Card             string // "VISA •••• 0768"
	PaidAt           Stamp
	AuthExpiresAt    Stamp
	PaymentID        string
	AcquirerRef      string
	SessionExpiresAt Stamp
	SessionExpired   bool
	CheckoutURL      string // "Open test checkout" in simulator mode
	// Flashes are the messages about the action that led here. They live in
	// the region, so the first poll that brings a newer state removes them
	// with the state they described.
	Flashes []layout.Flash
	// Notices describe the state shown (a capture awaiting Antom, an expired
	// session); they are recomputed on every render.
	Notices []Notice
	// Operations are the captures, cancels and refunds staff asked Antom
	// for, newest first, at most a page of them; OperationsNote says how
	// many more there are.
	Operations     []OperationRow
	OperationsNote string
	Captures       []CaptureRow
	CapturesEmpty  string // why there is no capture, in the payment's state
	Refunds        []RefundRow
	Timeline       []TimelineEntry
	AuditURL       string // this payment's entries in the audit log; "" without the right to read it
	Actions        PaymentActions

	// Failure says why a payment that failed, was cancelled or expired did
	// not go through (failure.templ); nil for any other payment.
	Failure *FailureView
	// The detail hierarchy (issue 11): the order summary and the card
	// section sit beside the header; fields that no longer apply to the
	// payment's state are hidden (payment_card_models.go).
	ReferenceOrderID  string
	Order             []Field
	CardSection       CardSection
	ShowCaptured      bool    // the payment was authorised, or something was captured
	ShowRefunded      bool    // something was captured
	ShowSessionExpiry bool    // the buyer could still pay, or the session expired unpaid
	Session           []Field // session id, data (abbreviated), expiry while it applies, URLs
	SessionData       string  // the full paymentSessionData, shown on demand
}

// PaymentDetailPage is GET /payments/:id.
type PaymentDetailPage struct {
	PaymentRequestID string
	ListURL          string
	Live             PaymentLive
	// Attempts are Antom's deliveries of each notification about the
	// payment, matched to its retry schedule.
	Attempts []AttemptsView
}

// ---- new test session ----

// SessionForm is GET/POST /sessions/new.
type SessionForm struct {
	ActionURL        string
	CSRFToken        string
	FormToken        string // one per form shown: a double submit creates one payment
	Amount           string
	Currency         string
	Currencies       []Option
	Description      string
	ReferenceOrderID string
	BuyerID          string
	CaptureMode      string // AUTOMATIC or MANUAL
	ThreeDS          bool
	Errors           map[string]string // by field name
	FormError        string            // Antom or the store refused
	Simulator        bool
}

// ---- notifications ----

// DeliveryRow is one row of the notifications list.
type DeliveryRow struct {
	Key         string
	URL         string
	ReceivedAt  Stamp
	NotifyType  string
	Subject     string // paymentRequestId, or captureId/refundId
	PaymentURL  string // empty when no payment matches
	Result      string // "S SUCCESS"
	Verdict     Badge
	Outcome     Badge
	DuplicateOf string // URL of the first delivery for duplicates
	Response    string // "200" / "401"
	// Summarised marks a refused delivery kept in part: "summarised: 65,537
	// bytes"; SummarisedTitle holds the full body's SHA-256.
	Summarised      string
	SummarisedTitle string
}

// DeliveryListPage is GET /notifications.
type DeliveryListPage struct {
	ActionURL string
	Verdict   []Option
	Type      []Option
	Outcome   []Option
	Rows      []DeliveryRow
	Pager     components.PaginationView
	Empty     EmptyView
	// Dropped says how many refused deliveries were not stored (rate
	// limited) in the retention period, and from where; "" when none.
	Dropped   string
	ExportURL string // "Download CSV": the whole current filter (paths.Export)
	// ApplyAgain offers applying again the notifications that could not be
	// applied; nil when there are none.
	ApplyAgain *ApplyAgainBulkView
}

// Header is one HTTP header line.
type Header struct {
	Name  string
	Value string
}

// DeliveryPage is GET /notifications/:id.
type DeliveryPage struct {
	ID          string
	ListURL     string
	Summary     []Field
	Verdict     Badge
	Outcome     Badge
	DuplicateOf string // URL of the first delivery, for duplicates
	PaymentURL  string
	ParseError  string
	Headers     []Header
	Pretty      string // pretty-printed JSON; empty when the body is not JSON
	Raw         string // the exact bytes (as text; invalid UTF-8 shown escaped)
	RawURL      string // the exact bytes as application/octet-stream
	SignedText  string // the string that was verified: POST <path>\n<client-id>.<time>.<body>
	Response    string // status and body we answered
	// HeadersNote and BodyNotes say what is not shown whole: a refused
	// delivery kept summarised, a body too large or too deep to
	// pretty-print, raw text cut short. BodyURL downloads the stored body
	// (redacted for roles without buyer data) when something is cut.
	HeadersNote string
	BodyNotes   []string
	BodyURL     string
	// Antom's attempts of this notification, why its signature failed,
	// and applying it again (delivery_tools_models.go).
	Attempts   []AttemptsView
	Diagnosis  *DiagnosisView
	ApplyAgain *ApplyAgainView
}
