package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// paymentListQuery is the payments list's query string, parsed.
type paymentListQuery struct {
	Q         string
	Status    string
	Currency  string
	Capture   string
	From      string
	To        string
	Attention bool   // only payments with a flag set (stuck, contradiction, …)
	On        string // a card-last-four search narrowed to a day (yyyy-mm-dd)
	Amount    string // a card-last-four search narrowed to an amount
	Cursor    string
	Since     string // live poll: the change sequence the page shows
}

func parsePaymentListQuery(c echo.Context) paymentListQuery {
	return paymentListQuery{
		Q:         searchText(c.QueryParam("q")),
		Status:    c.QueryParam("status"),
		Currency:  strings.ToUpper(strings.TrimSpace(c.QueryParam("currency"))),
		Capture:   c.QueryParam("capture"),
		From:      c.QueryParam("from"),
		To:        c.QueryParam("to"),
		Attention: c.QueryParam("attention") == "1",
		On:        strings.TrimSpace(c.QueryParam("on")),
		Amount:    strings.TrimSpace(c.QueryParam("amount")),
		Cursor:    c.QueryParam("cursor"),
		Since:     c.QueryParam("since"),
	}
}

// searchText is the search box's text, trimmed and cut one byte past
// store.MaxSearchText: longer is refused (filter), and what is kept,
// echoed in the box, stays bounded.
func searchText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > store.MaxSearchText {
		s = strings.ToValidUTF8(s[:store.MaxSearchText+1], "")
	}
	return s
}

// values is the query string that reproduces the filter (without cursor).
func (q paymentListQuery) values() url.Values {
	v := url.Values{"q": {q.Q}, "status": {q.Status}, "currency": {q.Currency},
		"capture": {q.Capture}, "from": {q.From}, "to": {q.To}}
	if q.Attention {
		v.Set("attention", "1")
	}
	if q.On != "" {
		v.Set("on", q.On)
	}
	if q.Amount != "" {
		v.Set("amount", q.Amount)
	}
	return v
}

// filter validates the query into a store filter; errs maps form fields to
// messages.
func (q paymentListQuery) filter(loc *time.Location) (store.PaymentFilter, map[string]string) {
	errs := map[string]string{}
	if len(q.Q) > store.MaxSearchText {
		errs["q"] = fmt.Sprintf("An ID is at most %d characters; paste just the ID.", store.MaxSearchText)
		q.Q = ""
	}
	f := store.PaymentFilter{Query: q.Q, Cursor: q.Cursor, Limit: 50, NeedsAttention: q.Attention}
	if q.Status != "" {
		if w, ok := store.DisplayWordByKey(q.Status); ok {
			f.Display = w
		} else if slices.Contains(store.PaymentStatuses, store.PaymentStatus(q.Status)) {
			// A raw ledger status: older links and the load tool use them.
			f.Status = store.PaymentStatus(q.Status)
		} else {
			errs["status"] = "Unknown status."
		}
	}
	if q.Currency != "" {
		if !slices.Contains(sessionCurrencies, q.Currency) {
			errs["currency"] = "Unknown currency."
		}
		f.Currency = q.Currency
	}
	if q.Capture != "" {
		if !slices.Contains(captureStates, store.CaptureState(q.Capture)) {
			errs["capture"] = "Unknown capture state."
		}
		f.CaptureState = store.CaptureState(q.Capture)
	}
	var ok bool
	if f.From, ok = parseDay(q.From, loc); !ok {
		errs["from"] = badDay
	}
	if f.To, ok = parseDay(q.To, loc); !ok {
		errs["to"] = badDay
	} else if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // the form's "to" is inclusive (the next local midnight, DST or not)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) && errs["to"] == "" {
		errs["to"] = "The end date is before the start date."
	}
	narrowSearch(q, &f, errs, loc)
	return f, errs
}

// captureStates are the capture filter's values.
var captureStates = []store.CaptureState{store.CaptureNone, store.CapturePending, store.CapturePartial, store.CaptureFull, store.CaptureNotApply}

// badDay is the inline error for a date filter that does not parse.
const badDay = "Use a date like 2025-01-31."

// parseDay reads a yyyy-mm-dd date as the start of that day in loc, the
// viewer's zone (the filters say which); an empty string is the zero time.
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	return t, err == nil
}

// PaymentList handles the "GET /payments" route, also the home page: one
// search box for any ID, filters, keyset pagination, newest first. A search
// that hits exactly one payment by one of its IDs goes to its detail page.
// With ?since=<seq> it is the live poll of the first page: 204 while nothing
// changed, else the rows fragment with the newer sequence.
func (h *Handlers) PaymentList(c echo.Context) error {
	ctx := c.Request().Context()
	q := parsePaymentListQuery(c)
	if q.Since != "" {
		return h.paymentRowsLive(c, q)
	}
	f, errs := q.filter(h.viewerZone(c))
	vm := pages.PaymentListPage{
		ActionURL: paths.Payments,
		Filter:    paymentFilterView(q, errs),
		NewURL:    newSessionURL(c),
	}
	if len(errs) > 0 {
		vm.Rows.Empty = pages.EmptyView{Title: "Fix the filter marked above to search."}
		vm.Search.Narrow = narrowForm(q, errs, h.viewerZone(c))
		return render(c, http.StatusBadRequest, pages.PaymentList(h.page(c, "Payments", layout.NavPayments), vm))
	}
	seq, err := h.Store.LatestSeq(ctx) // read before the list, so a change in between shows on the next poll
	if err != nil {
		return err
	}
	list, note, exact, err := h.searchOrList(ctx, q, f, h.viewerZone(c))
	if err != nil {
		return err
	}
	if exact != "" {
		return c.Redirect(http.StatusSeeOther, exact)
	}
	vm.Search = note
	vm.Rows = list.rows(h.viewerNow(c), paymentsEmpty(q, vm.NewURL))
	vm.ExportURL = paths.Export(paths.Payments, q.values())
	if q.Cursor == "" {
		vm.Rows.LiveURL = paymentsLiveURL(q, seq)
	} else {
		vm.Pager.FirstURL = withQuery(vm.ActionURL, q.values())
	}
	if list.page.NextCursor != "" {
		v := q.values()
		v.Set("cursor", list.page.NextCursor)
		vm.Pager.NextURL = withQuery(vm.ActionURL, v)
	}
	return render(c, http.StatusOK, pages.PaymentList(h.page(c, "Payments", layout.NavPayments), vm))
}

// searchOrList runs a bare ID search (store.Search: exact matches, else
// prefixes and fragments; a card's last four, narrowed by a day or an
// amount) or the filtered list. exact is the URL of the payment when the
// search hit one payment by one of its IDs exactly (search_hit.go).
func (h *Handlers) searchOrList(ctx context.Context, q paymentListQuery, f store.PaymentFilter, loc *time.Location) (list listed, note pages.SearchNote, exact string, err error) {
	if q.Q == "" || q.Cursor != "" || !onlySearch(q) {
		list.page, err = h.Store.ListPayments(ctx, f)
		return list, note, "", err
	}
	return h.search(ctx, q, f, loc)
}

// listed is what the payments list shows: a page of the filtered list, or
// a search's hits, whose payments are shown where they are rather than
// copied out into a page (fifty payments are some 55 KB per request).
type listed struct {
	page *store.Page[store.Payment] // never nil; no items for a search
	hits []store.SearchHit
}

// rows is paymentRows of the list's payments.
func (l listed) rows(now time.Time, empty pages.EmptyView) pages.PaymentRows {
	if l.hits == nil {
		return paymentRows(l.page.Items, now, empty)
	}
	rows := make([]pages.PaymentRow, len(l.hits))
	for i := range l.hits {
		rows[i] = paymentRow(&l.hits[i].Payment, now)
	}
	return pages.PaymentRows{Rows: rows, Empty: empty}
}

// onlySearch reports whether the query is a bare ID search without filters.
func onlySearch(q paymentListQuery) bool {
	return q.Status == "" && q.Currency == "" && q.Capture == "" && q.From == "" && q.To == "" && !q.Attention
}

// paymentRowsLive answers the first page's poll: one indexed read when
// nothing changed.
func (h *Handlers) paymentRowsLive(c echo.Context, q paymentListQuery) error {
	ctx := c.Request().Context()
	since, err := strconv.ParseInt(q.Since, 10, 64)
	if err != nil || since < 0 {
		return errInvalid("since", "since must be a change sequence number")
	}
	seq, err := h.Store.LatestSeq(ctx)
	if err != nil {
		return err
	}
	if seq <= since {
		return c.NoContent(http.StatusNoContent)
	}
	f, errs := q.filter(h.viewerZone(c))
	if len(errs) > 0 {
		return errInvalid("", "invalid filter")
	}
	f.Cursor = ""
	page, err := h.Store.ListPayments(ctx, f)
	if err != nil {
		return err
	}
	rows := paymentRows(page.Items, h.viewerNow(c), paymentsEmpty(q, newSessionURL(c)))
	rows.LiveURL = paymentsLiveURL(q, seq)
	return render(c, http.StatusOK, pages.PaymentRowsLive(rows))
}

// paymentsLiveURL is the poll URL of the list's first page at seq.
func paymentsLiveURL(q paymentListQuery, seq int64) string {
	v := q.values()
	v.Set("since", strconv.FormatInt(seq, 10))
	return withQuery(paths.Payments, v)
}

// newSessionURL is the "New test session" link, "" for roles that may not
// create one.
func newSessionURL(c echo.Context) string {
	if can(currentUser(c), PermCreateSession) {
		return paths.NewSession
	}
	return ""
}

// paymentRows builds the table rows of payments at now, and empty for when
// there are none. A failed payment shows Antom's result code under its
// status; flags mark the row as needing attention.
func paymentRows(ps []store.Payment, now time.Time, empty pages.EmptyView) pages.PaymentRows {
	rows := make([]pages.PaymentRow, len(ps))
	for i := range ps {
		rows[i] = paymentRow(&ps[i], now)
	}
	return pages.PaymentRows{Rows: rows, Empty: empty}
}

// paymentRow is one row of paymentRows.
func paymentRow(p *store.Payment, now time.Time) pages.PaymentRow {
	r := pages.PaymentRow{
		Key:              strconv.FormatInt(p.ID, 10),
		URL:              paths.Payment(p.PaymentRequestID),
		PaymentRequestID: p.PaymentRequestID,
		PaymentID:        p.PaymentID,
		ReferenceOrderID: p.ReferenceOrderID,
		BuyerID:          p.BuyerID,
		Amount:           money(p.AmountMinor, p.Currency),
		Status:           shownStatus(p, now),
		RawStatus:        string(p.Status),
		Capture:          captureStateBadge(p.CaptureState),
		Flags:            flagBadges(p.Flags),
		Created:          stampOf(p.CreatedAt, now),
	}
	if p.Status == store.StatusFail || p.Status == store.StatusSessionFailed {
		r.ResultCode = p.ResultCode
	}
	if p.RefundedMinor > 0 {
		r.Refunded = money(p.RefundedMinor, p.Currency)
	}
	return r
}

// paymentsEmpty is the payments list's empty state: nothing yet, a search
// without a hit, or filters that match nothing. newURL is the New test
// session link, "" for roles that may not create one.
func paymentsEmpty(q paymentListQuery, newURL string) pages.EmptyView {
	switch {
	case q.Q != "" && onlySearch(q):
		return pages.EmptyView{Title: "No payment matches “" + q.Q + "”.",
			Hint: "Search takes " + pages.SearchHint}
	case q.Q != "" || !onlySearch(q):
		return pages.EmptyView{Title: "No payment matches these filters.",
			Hint: "Widen the dates or clear a filter.", LinkURL: paths.Payments, LinkText: "Clear the filters"}
	case q.Cursor != "":
		return pages.EmptyView{Title: "No older payments.", LinkURL: paths.Payments, LinkText: "Back to the newest"}
	}
	e := pages.EmptyView{Title: "No payments yet.", Hint: "Payments appear here as soon as a session is created; new ones show up without a reload."}
	if newURL != "" {
		e.Title = "No payments yet — create a test session."
		e.LinkURL, e.LinkText = newURL, "New test session"
	}
	return e
}

// paymentFilterView is the filter form as filled in.
func paymentFilterView(q paymentListQuery, errs map[string]string) pages.PaymentFilter {
	// Sized once: the list pages render this form on every request.
	status := make([]pages.Option, 1, len(store.DisplayWords)+2)
	status[0] = pages.Option{Value: "", Label: "Any status"}
	for _, w := range store.DisplayWords {
		status = append(status, pages.Option{Value: w.Key(), Label: string(w), Selected: q.Status == w.Key()})
	}
	if slices.Contains(store.PaymentStatuses, store.PaymentStatus(q.Status)) {
		// Keep a raw status from a link selected, so searching again keeps it.
		status = append(status, pages.Option{Value: q.Status, Label: "Ledger status " + q.Status, Selected: true})
	}
	currency := make([]pages.Option, 1, len(sessionCurrencies)+1)
	currency[0] = pages.Option{Value: "", Label: "Any currency"}
	for _, cur := range sessionCurrencies {
		currency = append(currency, pages.Option{Value: cur, Label: cur, Selected: q.Currency == cur})
	}
	capture := make([]pages.Option, 1, len(captureStates)+1)
	capture[0] = pages.Option{Value: "", Label: "Any capture state"}
	for _, s := range captureStates {
		capture = append(capture, pages.Option{Value: string(s), Label: captureStateLabel(s), Selected: q.Capture == string(s)})
	}
	return pages.PaymentFilter{Query: q.Q, Status: status, Currency: currency, Capture: capture,
		From: q.From, To: q.To, Attention: q.Attention, Errors: errs}
}

// captureStateLabel names a capture state in the filter.
func captureStateLabel(s store.CaptureState) string {
	switch s {
	case store.CaptureNone:
		return "Not captured"
	case store.CapturePending:
		return "Capture pending"
	case store.CapturePartial:
		return "Partially captured"
	case store.CaptureFull:
		return "Captured"
	case store.CaptureNotApply:
		return "Not applicable (unpaid)"
	}
	return string(s)
}
