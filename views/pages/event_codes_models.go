package pages

// View models of the SDK event-code reference page, and the flag
// explanations that the payment detail page shows (FlagList).

// EventCodeRow is one event code of the client SDK.
type EventCodeRow struct {
	Code    string // e.g. SDK_PAYMENT_SUCCESSFUL; also the row's anchor
	Meaning string // the seed's description
	Action  string // the seed's recommended action
	Paydesk string // what Paydesk does when the app reports it
}

// EventCodeGroup is one table of the page: payment results, status codes,
// error codes.
type EventCodeGroup struct {
	Key   string // stable id, e.g. "result"
	Title string
	Intro string
	Rows  []EventCodeRow
}

// EventCodesPage is GET /reference/sdk-events.
type EventCodesPage struct {
	Groups []EventCodeGroup
	Flags  []FlagView // every disagreement flag, explained
	APIURL string     // the OpenAPI document, where apps report events
}

// FlagView explains one flag of a payment: what it means and what to do.
type FlagView struct {
	Code    string // stable name, e.g. sdk_success_no_notification
	Label   string // short badge text
	Title   string
	Meaning string
	Action  string
	Tone    Tone
}
