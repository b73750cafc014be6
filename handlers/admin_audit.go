package handlers

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// auditFilter reads the audit page's filters from the query.
func auditFilter(c echo.Context) store.AuditFilter {
	return store.AuditFilter{
		Actor:            strings.TrimSpace(c.QueryParam("actor")),
		Action:           strings.TrimSpace(c.QueryParam("action")),
		PaymentRequestID: strings.TrimSpace(c.QueryParam("payment")),
		Cursor:           c.QueryParam("cursor"),
	}
}

func auditQuery(path string, f store.AuditFilter, cursor string) string {
	return paths.WithQuery(path, "actor", f.Actor, "action", f.Action, "payment", f.PaymentRequestID, "cursor", cursor)
}

// AuditList handles "GET /admin/audit".
func (h *Handlers) AuditList(c echo.Context) error {
	f := auditFilter(c)
	page, err := h.Store.ListAudit(c.Request().Context(), f)
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return errInvalid(fe.Field, "%s", fieldMessage(fe))
	}
	if err != nil {
		return err
	}
	vm := pages.AuditListView{
		Actor: f.Actor, Action: f.Action, PaymentRequestID: f.PaymentRequestID,
		CSVURL: auditQuery(paths.AuditCSV, f, ""), ActionURL: paths.Audit, Now: h.viewerNow(c),
	}
	if page.NextCursor != "" {
		vm.Pagination.NextURL = auditQuery(paths.Audit, f, page.NextCursor)
	}
	if f.Cursor != "" {
		vm.Pagination.FirstURL = auditQuery(paths.Audit, f, "")
	}
	for _, e := range page.Items {
		row := pages.AuditRowView{At: e.At, Actor: e.Actor, Action: e.Action, PaymentRequestID: e.PaymentRequestID,
			Target: e.Target, Before: auditValues(e.Before, auditValueMax), After: auditValues(e.After, auditValueMax),
			RemoteAddr: e.RemoteAddr, RequestID: e.RequestID}
		if e.PaymentRequestID != "" {
			row.PaymentURL = paths.Payment(e.PaymentRequestID)
		}
		vm.Entries = append(vm.Entries, row)
	}
	return render(c, http.StatusOK, pages.AuditList(h.page(c, "Audit log", layout.NavAudit), vm))
}

// AuditCSV handles "GET /admin/audit.csv": every entry matching the
// filters, streamed, newest first. before and after read as on the page
// (amounts in their currency); the entry's amount is also in its own
// columns, in minor units too, and the raw JSON comes last.
func (h *Handlers) AuditCSV(c echo.Context) error {
	f := auditFilter(c)
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="paydesk-audit-`+h.Now().UTC().Format("20060102-150405")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	if err := w.Write([]string{"id", "at", "actor", "action", "payment_request_id", "target", "before", "after", "remote_addr", "request_id",
		"amount", "amount_minor", "currency", "before_json", "after_json"}); err != nil {
		return err
	}
	err := h.Store.EachAudit(c.Request().Context(), f, func(e store.AuditEntry) error {
		var amount, amountMinor, currency string
		if minor, cur, ok := auditEntryAmount(&e); ok {
			amount, amountMinor, currency = antom.FormatMinor(minor, cur), strconv.FormatInt(minor, 10), cur
		}
		return w.Write([]string{
			strconv.FormatInt(e.ID, 10), e.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			csvCell(e.Actor), csvCell(e.Action), csvCell(e.PaymentRequestID), csvCell(e.Target),
			csvCell(auditValuesText(auditValues(e.Before, 0))), csvCell(auditValuesText(auditValues(e.After, 0))),
			csvCell(e.RemoteAddr), csvCell(e.RequestID),
			amount, amountMinor, currency, csvCell(string(e.Before)), csvCell(string(e.After)),
		})
	})
	w.Flush()
	if err != nil {
		// The header is sent; the error handler cannot change the status.
		h.Log.ErrorContext(c.Request().Context(), "audit export failed", "err", err.Error())
		return nil
	}
	return w.Error()
}

// csvCell defuses spreadsheet formulas: a cell starting with = + - @ (or a
// tab/CR) is prefixed with a quote so Excel shows it as text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
