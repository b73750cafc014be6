package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// CaptureList handles the "GET /captures" route: every capture across
// payments with status, amount, captureId, acquirer reference and time,
// filtered by status and date (what finance reconciles against). Newest
// first, keyset-paginated.
func (h *Handlers) CaptureList(c echo.Context) error {
	status, from, to, cursor := c.QueryParam("status"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("cursor")
	tf, errs, err := parseTxnListFilter(c, "capture", h.viewerZone(c))
	if err != nil {
		return err
	}
	f := store.CaptureFilter{Status: tf.Status, From: tf.From, To: tf.To, Cursor: cursor, Limit: 50}
	vm := pages.CaptureListPage{
		ActionURL: paths.Captures,
		Status:    []pages.Option{{Value: "", Label: "Any status"}},
		From:      from,
		To:        to,
		Errors:    errs,
		Empty:     capturesListEmpty(status, from, to, cursor),
	}
	if filter := (url.Values{"status": {status}, "from": {from}, "to": {to}}); len(errs) == 0 {
		vm.ExportURL, vm.RefundsExportURL = paths.Export(paths.Captures, filter), paths.Export(paths.Refunds, filter)
	}
	for _, s := range store.TxnStatuses {
		vm.Status = append(vm.Status, pages.Option{Value: string(s), Label: string(s), Selected: status == string(s)})
	}
	if len(errs) > 0 {
		return render(c, http.StatusBadRequest, pages.CaptureList(h.page(c, "Captures", layout.NavCaptures), vm))
	}
	page, err := h.Store.ListCaptures(c.Request().Context(), f)
	if err != nil {
		return err
	}
	vm.Rows = captureRows(page.Items, true, h.viewerNow(c))
	base := url.Values{"status": {status}, "from": {from}, "to": {to}}
	if cursor != "" {
		vm.Pager.FirstURL = withQuery(paths.Captures, base)
	}
	if page.NextCursor != "" {
		base.Set("cursor", page.NextCursor)
		vm.Pager.NextURL = withQuery(paths.Captures, base)
	}
	return render(c, http.StatusOK, pages.CaptureList(h.page(c, "Captures", layout.NavCaptures), vm))
}

// capturesListEmpty is the captures list's empty state: none yet, none
// matching the filters, or no older ones.
func capturesListEmpty(status, from, to, cursor string) pages.EmptyView {
	switch {
	case status != "" || from != "" || to != "":
		return pages.EmptyView{Title: "No capture matches these filters.", Hint: "Widen the dates or pick another status.",
			LinkURL: paths.Captures, LinkText: "Clear the filters"}
	case cursor != "":
		return pages.EmptyView{Title: "No older captures.", LinkURL: paths.Captures, LinkText: "Back to the newest"}
	}
	return pages.EmptyView{Title: "No captures yet.",
		Hint: "A capture appears here when Antom captures a paid AUTOMATIC payment, or when staff capture a MANUAL one from its payment page."}
}

// txnListFilter is the filter of the captures and refunds lists and their
// CSV exports: status and a day range, "to" inclusive.
type txnListFilter struct {
	Status   store.TxnStatus
	From, To time.Time // [From, To)
}

// parseTxnListFilter reads the status, from and to query parameters of a
// list of what ("capture", "refund"), days in the viewer's zone loc: errs
// maps form fields to messages; an unknown status is an error.
func parseTxnListFilter(c echo.Context, what string, loc *time.Location) (txnListFilter, map[string]string, error) {
	var f txnListFilter
	errs := map[string]string{}
	if status := c.QueryParam("status"); status != "" {
		if !slices.Contains(store.TxnStatuses, store.TxnStatus(status)) {
			return f, nil, errInvalid("status", "Unknown %s status.", what)
		}
		f.Status = store.TxnStatus(status)
	}
	var ok bool
	if f.From, ok = parseDay(c.QueryParam("from"), loc); !ok {
		errs["from"] = badDay
	}
	if f.To, ok = parseDay(c.QueryParam("to"), loc); !ok {
		errs["to"] = badDay
	} else if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	return f, errs, nil
}
