package pages

// View models of the failure explanation on the payment page and of the
// reference page "Decline and failure reasons" (failure.templ).

// FailureView says why a payment failed, was cancelled or expired.
type FailureView struct {
	Code            string // the code explained, e.g. DO_NOT_HONOR or CLOSED_UNPAID
	StoppedBy       string // who stopped it, in words: "The card issuer"
	StoppedByKey    string // its stable key, e.g. "issuer"
	Reason          string // what happened, for staff
	CustomerMessage string // what to tell the buyer
	Retry           string // whether trying again can work, in words: "Yes, later"
	RetryKey        string // its stable key: yes, later, another_card, no
	Refusal         string // the issuer's raw refusal reason, if any
	AdviceCode      string // the merchant advice code, if any
	AdviceMeaning   string // what it means; "" when unknown
	CancelledBy     string // the staff member who cancelled, for a staff cancel
	Unknown         bool   // no entry explains the code: a generic explanation
	Tone            Tone   // the box's tone: bad for a decline, neutral for nobody paying
	ReferenceURL    string // the code's row on the reference page
}

// FailureReasonRow is one code of the reference page.
type FailureReasonRow struct {
	ID              string // anchor, e.g. "result-DO_NOT_HONOR"
	Code            string
	Name            string // refusal and advice codes' short names
	StoppedBy       string
	Reason          string
	CustomerMessage string
	Retry           string
}

// FailureReasonGroup is one table of the reference page.
type FailureReasonGroup struct {
	Key   string // stable id, e.g. "refusal"
	Title string
	Intro string
	Rows  []FailureReasonRow
}

// FailureReasonsPage is GET /reference/failure-reasons.
type FailureReasonsPage struct {
	Groups []FailureReasonGroup
}
