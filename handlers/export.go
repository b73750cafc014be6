package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// The CSV exports: every staff list (payments, orders, captures, refunds,
// notifications) as a file of its whole current filter, at the list's path
// plus "/export.csv" with the list's query. The rows are read with the
// list's own store query, page after keyset page (exportPageSize rows at a
// time), and written as they are read, so an export of a million rows holds
// one page in memory, never the file.

// The export routes' names.
const (
	RoutePaymentExport      = "payments.export"      // GET /payments/export.csv
	RouteOrderExport        = "orders.export"        // GET /orders/export.csv
	RouteCaptureExport      = "captures.export"      // GET /captures/export.csv
	RouteRefundExport       = "refunds.export"       // GET /refunds/export.csv
	RouteNotificationExport = "notifications.export" // GET /notifications/export.csv
)

const (
	// exportPageSize is how many rows one keyset page of an export reads
	// (the store's maximum page).
	exportPageSize = 500
	// exportFlushEvery is how many rows are buffered before they are sent.
	exportFlushEvery = 500
	// exportStall is how long a client may take to accept the next chunk
	// before the connection is cut (the server's write timeout would cut
	// a large export after a minute whatever its progress).
	exportStall = 2 * time.Minute
	// exportTime is how instants are written: UTC ISO 8601.
	exportTime = "2006-01-02T15:04:05.000Z"
)

// csvExport is one list streamed as CSV.
type csvExport struct {
	list   string     // "payments": the file name and the audit target
	filter url.Values // the filter as given (empty values dropped), for the audit
	header []string
	// rows calls emit with every row of the filter, in the list's order.
	rows func(ctx context.Context, emit func([]string) error) error
	// capped, when set and true after rows, says the filter matched more
	// than was sent (a search's answer stops at store.SearchLimit).
	capped *bool
}

// streamCSV sends x: the header, then every row as it is read, flushed
// every exportFlushEvery rows. It is audited twice: before the first byte
// is sent (who, which list, which filter; an export that cannot be audited
// is refused) and when it ends (how many rows, and whether it was cut). A
// failure after the first byte cannot change the status any more: the
// connection is aborted, so the download fails visibly instead of leaving
// a short file that looks whole.
func (h *Handlers) streamCSV(c echo.Context, x csvExport) error {
	ctx := c.Request().Context()
	by := h.auditContext(c)
	filter := x.filter.Encode()
	start := by.PaymentEntry("export.start", "", nil, map[string]any{"list": x.list, "filter": filter})
	start.Target = x.list
	if err := h.Store.AddAudit(ctx, start); err != nil {
		return err
	}

	res := c.Response()
	rc := http.NewResponseController(res)
	// Progress, not the whole download, is what is bounded (an error means
	// a test recorder or a writer without deadlines: nothing to extend).
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(exportStall)) }
	extend()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition,
		`attachment; filename="paydesk-`+x.list+`-`+h.Now().UTC().Format("20060102-150405")+`.csv"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	rows := 0
	err := w.Write(x.header)
	if err == nil {
		err = x.rows(ctx, func(rec []string) error {
			if err := w.Write(rec); err != nil {
				return err
			}
			if rows++; rows%exportFlushEvery == 0 {
				w.Flush()
				if err := w.Error(); err != nil {
					return err
				}
				if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
					return err
				}
				extend()
			}
			return nil
		})
	}
	if err == nil {
		w.Flush()
		err = w.Error()
	}

	capped := x.capped != nil && *x.capped
	done := by.PaymentEntry("export.done", "", nil, map[string]any{"list": x.list, "filter": filter, "rows": rows,
		"complete": err == nil && !capped, "capped": capped})
	done.Target = x.list
	if aerr := h.Store.AddAudit(context.WithoutCancel(ctx), done); aerr != nil {
		h.Log.ErrorContext(ctx, "export: audit of the end failed", "list", x.list, "rows", rows, "err", aerr.Error())
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "export cut short", "list", x.list, "rows", rows, "err", err.Error())
		panic(http.ErrAbortHandler) // net/http closes the connection without ending the chunked body
	}
	return nil
}

// eachPage calls fn with every item of a keyset-paginated list, reading
// page after page from fetch until a page has no next cursor.
func eachPage[T any](ctx context.Context, fetch func(cursor string) (*store.Page[T], error), fn func(*T) error) error {
	cursor := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := fetch(cursor)
		if err != nil {
			return err
		}
		for i := range page.Items {
			if err := fn(&page.Items[i]); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

// setValues is v without its empty parameters.
func setValues(v url.Values) url.Values {
	for k, vs := range v {
		if len(vs) == 0 || vs[0] == "" {
			delete(v, k)
		}
	}
	return v
}

// exportFilter is the query parameters of a list's filter that are set, as
// recorded in the audit log (never the cursor: the export is the whole
// filter).
func exportFilter(c echo.Context, names ...string) url.Values {
	v := url.Values{}
	for _, n := range names {
		if s := c.QueryParam(n); s != "" {
			v.Set(n, s)
		}
	}
	return v
}

// csvTime is an instant in UTC ISO 8601, "" for the zero time.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(exportTime)
}

// csvMinor is minor units as a decimal integer.
func csvMinor(minor int64) string { return strconv.FormatInt(minor, 10) }

// PaymentExport handles the "GET /payments/export.csv" route: the payments
// list's whole filter (PaymentList's query: q, status, currency, capture,
// from, to, attention) as CSV, newest first.
func (h *Handlers) PaymentExport(c echo.Context) error {
	q := parsePaymentListQuery(c)
	q.Cursor, q.Since = "", ""
	f, errs := q.filter(h.viewerZone(c))
	if err := firstFieldError(errs); err != nil {
		return err
	}
	f.Limit = exportPageSize
	now := h.Now()
	capped := false
	return h.streamCSV(c, csvExport{
		list:   "payments",
		filter: setValues(q.values()),
		capped: &capped,
		header: []string{"payment_request_id", "payment_id", "reference_order_id", "buyer_id", "description",
			"status", "ledger_status", "result_code", "amount", "amount_minor", "currency",
			"captured", "captured_minor", "refunded", "refunded_minor", "capture_state", "capture_mode",
			"payment_method", "card_brand", "card_last4", "flags", "created_at", "paid_at", "updated_at"},
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, func(cursor string) (*store.Page[store.Payment], error) {
				f.Cursor = cursor
				page, err := h.Store.ListPayments(ctx, f)
				if err == nil && page.Capped {
					capped = true
				}
				return page, err
			}, func(p *store.Payment) error {
				return emit([]string{
					csvCell(p.PaymentRequestID), csvCell(p.PaymentID), csvCell(p.ReferenceOrderID), csvCell(p.BuyerID), csvCell(p.Description),
					string(store.DisplayStatusOf(p, now).Word), string(p.Status), csvCell(p.ResultCode),
					plainMajor(p.AmountMinor, p.Currency), csvMinor(p.AmountMinor), p.Currency,
					plainMajor(p.CapturedMinor, p.Currency), csvMinor(p.CapturedMinor),
					plainMajor(p.RefundedMinor, p.Currency), csvMinor(p.RefundedMinor),
					string(p.CaptureState), csvCell(p.CaptureMode), csvCell(p.PaymentMethod), csvCell(p.CardBrand), csvCell(p.CardLast4),
					p.Flags.String(), csvTime(p.CreatedAt), csvTime(p.PaidAt), csvTime(p.UpdatedAt),
				})
			})
		},
	})
}

// OrderExport handles the "GET /orders/export.csv" route: the orders
// list's whole filter (q, state) as CSV, one row per payment attempt with
// its order's columns, orders newest first.
func (h *Handlers) OrderExport(c echo.Context) error {
	f, err := parseOrderFilter(c)
	if err != nil {
		return err
	}
	f.Limit = exportPageSize
	now := h.Now()
	return h.streamCSV(c, csvExport{
		list:   "orders",
		filter: exportFilter(c, "q", "state"),
		header: []string{"reference_order_id", "order_state", "order_first_created_at", "order_last_created_at",
			"payment_request_id", "payment_id", "status", "ledger_status", "amount", "amount_minor", "currency", "created_at"},
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, func(cursor string) (*store.Page[store.Order], error) {
				f.Cursor = cursor
				return h.Store.ListOrders(ctx, f)
			}, func(o *store.Order) error {
				for i := range o.Attempts {
					p := &o.Attempts[i]
					if err := emit([]string{
						csvCell(o.ReferenceOrderID), string(o.State), csvTime(o.FirstCreatedAt), csvTime(o.LastCreatedAt),
						csvCell(p.PaymentRequestID), csvCell(p.PaymentID), string(store.DisplayStatusOf(p, now).Word), string(p.Status),
						plainMajor(p.AmountMinor, p.Currency), csvMinor(p.AmountMinor), p.Currency, csvTime(p.CreatedAt),
					}); err != nil {
						return err
					}
				}
				return nil
			})
		},
	})
}

// txnHeader is the columns of the captures and refunds exports; idName is
// "capture" or "refund", doneAt the column of Antom's time of it.
func txnHeader(idName, doneAt string) []string {
	return []string{idName + "_request_id", idName + "_id", "payment_request_id", "payment_id", "status",
		"result_status", "result_code", "amount", "amount_minor", "currency", "acquirer_reference", "actor",
		"created_at", doneAt, "updated_at"}
}

// CaptureExport handles the "GET /captures/export.csv" route: the captures
// list's whole filter (status, from, to) as CSV, newest first.
func (h *Handlers) CaptureExport(c echo.Context) error {
	tf, errs, err := parseTxnListFilter(c, "capture", h.viewerZone(c))
	if err == nil {
		err = firstFieldError(errs)
	}
	if err != nil {
		return err
	}
	f := store.CaptureFilter{Status: tf.Status, From: tf.From, To: tf.To, Limit: exportPageSize}
	return h.streamCSV(c, csvExport{
		list:   "captures",
		filter: exportFilter(c, "status", "from", "to"),
		header: txnHeader("capture", "captured_at"),
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, func(cursor string) (*store.Page[store.Capture], error) {
				f.Cursor = cursor
				return h.Store.ListCaptures(ctx, f)
			}, func(x *store.Capture) error {
				return emit([]string{
					csvCell(x.CaptureRequestID), csvCell(x.CaptureID), csvCell(x.PaymentRequestID), csvCell(x.PaymentID), string(x.Status),
					csvCell(x.ResultStatus), csvCell(x.ResultCode), plainMajor(x.AmountMinor, x.Currency), csvMinor(x.AmountMinor), x.Currency,
					csvCell(x.AcquirerRef), csvCell(x.Actor), csvTime(x.CreatedAt), csvTime(x.CapturedAt), csvTime(x.UpdatedAt),
				})
			})
		},
	})
}

// RefundExport handles the "GET /refunds/export.csv" route: every refund
// across payments (status, from, to, as the captures list filters) as CSV,
// newest first.
func (h *Handlers) RefundExport(c echo.Context) error {
	tf, errs, err := parseTxnListFilter(c, "refund", h.viewerZone(c))
	if err == nil {
		err = firstFieldError(errs)
	}
	if err != nil {
		return err
	}
	f := store.RefundFilter{Status: tf.Status, From: tf.From, To: tf.To, Limit: exportPageSize}
	return h.streamCSV(c, csvExport{
		list:   "refunds",
		filter: exportFilter(c, "status", "from", "to"),
		header: append(txnHeader("refund", "refunded_at"), "reason"),
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, func(cursor string) (*store.Page[store.Refund], error) {
				f.Cursor = cursor
				return h.Store.ListRefunds(ctx, f)
			}, func(x *store.Refund) error {
				return emit([]string{
					csvCell(x.RefundRequestID), csvCell(x.RefundID), csvCell(x.PaymentRequestID), csvCell(x.PaymentID), string(x.Status),
					csvCell(x.ResultStatus), csvCell(x.ResultCode), plainMajor(x.AmountMinor, x.Currency), csvMinor(x.AmountMinor), x.Currency,
					csvCell(x.AcquirerRef), csvCell(x.Actor), csvTime(x.CreatedAt), csvTime(x.RefundedAt), csvTime(x.UpdatedAt),
					csvCell(x.Reason),
				})
			})
		},
	})
}

// NotificationExport handles the "GET /notifications/export.csv" route: the
// notifications list's whole filter (verdict, type, outcome) as CSV, newest
// first. Bodies and headers stay out: each delivery's page has them.
func (h *Handlers) NotificationExport(c echo.Context) error {
	f, err := parseDeliveryFilter(c)
	if err != nil {
		return err
	}
	f.Limit = exportPageSize
	return h.streamCSV(c, csvExport{
		list:   "notifications",
		filter: exportFilter(c, "verdict", "type", "outcome"),
		header: []string{"id", "received_at", "notify_type", "verdict", "outcome", "duplicate_of", "result_status", "result_code",
			"payment_request_id", "payment_id", "subject_id", "response_status", "client_id", "request_time", "path",
			"refused", "body_size", "body_sha256", "parse_error"},
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, func(cursor string) (*store.Page[store.Delivery], error) {
				f.Cursor = cursor
				return h.Store.ListDeliveries(ctx, f)
			}, func(d *store.Delivery) error {
				dup := ""
				if d.DuplicateOf != 0 {
					dup = strconv.FormatInt(d.DuplicateOf, 10)
				}
				return emit([]string{
					strconv.FormatInt(d.ID, 10), csvTime(d.ReceivedAt), csvCell(d.NotifyType), string(d.Verdict), string(d.Outcome), dup,
					csvCell(d.ResultStatus), csvCell(d.ResultCode), csvCell(d.PaymentRequestID), csvCell(d.PaymentID), csvCell(d.SubjectID),
					strconv.Itoa(d.ResponseStatus), csvCell(d.ClientID), csvCell(d.RequestTime), csvCell(d.Path),
					strconv.FormatBool(d.Refused), strconv.FormatInt(d.BodySize, 10), d.BodySHA256, csvCell(d.ParseError),
				})
			})
		},
	})
}

// firstFieldError turns a list filter's inline errors into one invalid
// error (an export has no form to show them next to), nil when there are
// none.
func firstFieldError(errs map[string]string) error {
	for _, field := range []string{"q", "status", "currency", "capture", "from", "to"} {
		if msg, ok := errs[field]; ok {
			return errInvalid(field, "%s", msg)
		}
	}
	for field, msg := range errs {
		return errInvalid(field, "%s", msg)
	}
	return nil
}
