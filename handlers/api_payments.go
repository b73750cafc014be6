package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// apiPaymentPage is GET /api/v1/payments.
type apiPaymentPage struct {
	Payments   []apiPayment `json:"payments"`
	NextCursor string       `json:"nextCursor,omitempty"` // absent on the last page
}

// APIPaymentShow handles the "GET /api/v1/payments/:id" route: the server's
// truth about one payment: status, Antom's result, captures, refunds, the
// SDK events the app reported and any disagreement flags. A key with
// payments:read reads any payment; a key with sessions the ones it created;
// a client secret its own.
func (h *Handlers) APIPaymentShow(c echo.Context) error {
	ctx := c.Request().Context()
	id := idParam(c, "id")
	if err := h.authorizePayment(c, id, false); err != nil {
		return err
	}
	d, err := h.Store.GetPayment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errPaymentNotFound(id)
	}
	if err != nil {
		return err
	}
	events, err := h.Store.SDKEvents(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPIDetail(d, events, h.Now()))
}

// APIPaymentList handles the "GET /api/v1/payments" route (keys with
// payments:read): every payment newest first, keyset-paginated (pass nextCursor back as cursor), with the
// dashboard's filters: q (any ID), status, currency, captureState, from, to,
// needsAttention; limit 1–500 (default 50).
func (h *Handlers) APIPaymentList(c echo.Context) error {
	f, err := apiPaymentFilter(c)
	if err != nil {
		return err
	}
	page, err := h.Store.ListPayments(c.Request().Context(), f)
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return apiError(http.StatusBadRequest, codeInvalidParameter, fe.Field, "%s %s", fe.Field, fe.Message)
	}
	if err != nil {
		return err
	}
	out := apiPaymentPage{Payments: make([]apiPayment, 0, len(page.Items)), NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Payments = append(out.Payments, toAPIPayment(&page.Items[i], h.Now()))
	}
	return c.JSON(http.StatusOK, out)
}

// apiListParams are the query parameters GET /api/v1/payments understands.
var apiListParams = []string{"q", "status", "displayStatus", "currency", "captureState", "from", "to", "needsAttention", "cursor", "limit"}

// apiPaymentFilter parses the list's query string; a bad value is a 400
// naming the parameter.
func apiPaymentFilter(c echo.Context) (store.PaymentFilter, error) {
	q := c.QueryParams()
	bad := func(param, format string, args ...any) (store.PaymentFilter, error) {
		return store.PaymentFilter{}, apiError(http.StatusBadRequest, codeInvalidParameter, param, format, args...)
	}
	for name := range q {
		if !slices.Contains(apiListParams, name) {
			return bad(name, "Unknown query parameter %q; the list takes %s.", name, strings.Join(apiListParams, ", "))
		}
	}
	f := store.PaymentFilter{Query: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor"), Limit: 50}
	if v := q.Get("status"); v != "" {
		if !slices.Contains(store.PaymentStatuses, store.PaymentStatus(v)) {
			return bad("status", "status must be one of %s.", joinStatuses())
		}
		f.Status = store.PaymentStatus(v)
	}
	if v := q.Get("displayStatus"); v != "" {
		w, ok := store.DisplayWordByKey(v)
		if !ok {
			return bad("displayStatus", "displayStatus must be one of %s.", strings.Join(displayKeys(), ", "))
		}
		f.Display = w
	}
	if v := strings.ToUpper(q.Get("currency")); v != "" {
		if !slices.Contains(sessionCurrencies, v) {
			return bad("currency", "currency must be one of %s.", strings.Join(sessionCurrencies, ", "))
		}
		f.Currency = v
	}
	if v := q.Get("captureState"); v != "" {
		if !slices.Contains(captureStates, store.CaptureState(v)) {
			var names []string
			for _, s := range captureStates {
				names = append(names, string(s))
			}
			return bad("captureState", "captureState must be one of %s.", strings.Join(names, ", "))
		}
		f.CaptureState = store.CaptureState(v)
	}
	var ok bool
	if f.From, ok = parseAPITime(q.Get("from"), false); !ok {
		return bad("from", "from must be an RFC 3339 time or a date like 2025-01-31.")
	}
	if f.To, ok = parseAPITime(q.Get("to"), true); !ok {
		return bad("to", "to must be an RFC 3339 time or a date like 2025-01-31 (inclusive).")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return bad("to", "to is not after from.")
	}
	if v := q.Get("needsAttention"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad("needsAttention", "needsAttention must be true or false.")
		}
		f.NeedsAttention = b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return bad("limit", "limit must be a whole number from 1 to 500.")
		}
		f.Limit = n
	}
	return f, nil
}

// parseAPITime reads an RFC 3339 time, or a date (its start in UTC; with
// endOfDay, the start of the next day, so a date "to" includes that day).
func parseAPITime(v string, endOfDay bool) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}

func joinStatuses() string {
	names := make([]string, len(store.PaymentStatuses))
	for i, s := range store.PaymentStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// displayKeys are the keys of every display status, in lifecycle order.
func displayKeys() []string {
	var keys []string
	for _, w := range store.DisplayWords {
		keys = append(keys, w.Key())
	}
	return keys
}
