package pages

// SearchNote is what a payments search says beyond its rows: that the rows
// are the first of more, or that a card's last four matched many payments
// and a date or an amount would narrow them.
type SearchNote struct {
	// Capped is "Showing the first 100 matches." when more matched.
	Capped string
	// Narrow, when set, asks for a second criterion for a card's last four.
	Narrow *NarrowForm
}

// NarrowForm narrows a card-last-four search by a date or an amount.
type NarrowForm struct {
	ActionURL string
	Query     string // the last four, kept in a hidden field
	Message   string // "More than 20 payments were paid with a card ending in 0768."
	On        string // yyyy-mm-dd, in Zone
	Zone      string // the viewer's time zone
	Amount    string
	Errors    map[string]string
}

// SearchHint names what the payments search box takes (under the box, and
// in the empty state of a search that found nothing).
const SearchHint = "paymentRequestId, paymentId, referenceOrderId, buyer ID, captureId, captureRequestId, " +
	"refundId, refundRequestId or acquirer reference — whole, its beginning or any 3 characters of it, " +
	"in any case, spaces and dashes ignored — or a card's last four digits."
