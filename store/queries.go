package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	defaultLimit = 50
	maxLimit     = 500
)

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// A cursor is an opaque base64url "<unix ms>.<row id>" (or "<row id>").
func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "." + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (atMS, id int64, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		a, i, ok := strings.Cut(string(b), ".")
		if ok {
			atMS, err = strconv.ParseInt(a, 10, 64)
			if err == nil {
				id, err = strconv.ParseInt(i, 10, 64)
			}
			if err == nil {
				return atMS, id, nil
			}
		}
	}
	return 0, 0, &FieldError{Field: "cursor", Message: "is not a cursor this list gave out"}
}

// keysetBelow is the upper bound of a newest-first page on (created_at, id)
// (columns prefixed with prefix): the cursor's position, the exclusive end
// of a date filter (to; zero: none), or, with both, the tighter of the two,
// which implies the other. SQLite bounds an index range by one of two upper
// bounds on a column and filters by the other, so a date filter with a
// cursor used to scan from the end of the range down to the cursor, pages
// getting slower the deeper they were (110 ms at 1M payments).
func keysetBelow(prefix string, to time.Time, cursor string) (string, []any, error) {
	if cursor == "" {
		if to.IsZero() {
			return "", nil, nil
		}
		return prefix + "created_at < ?", []any{to.UnixMilli()}, nil
	}
	at, id, err := decodeCursor(cursor)
	if err != nil {
		return "", nil, err
	}
	if !to.IsZero() && to.UnixMilli() <= at {
		// Every row before the end of the range is before the cursor too.
		return prefix + "created_at < ?", []any{to.UnixMilli()}, nil
	}
	return "(" + prefix + "created_at, " + prefix + "id) < (?, ?)", []any{at, id}, nil
}

func encodeIDCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeIDCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return id, nil
		}
	}
	return 0, &FieldError{Field: "cursor", Message: "is not a cursor this list gave out"}
}

// maxCollectHint bounds the rows collectPaymentsN makes room for before
// reading any: a page (50, at most 500) that turns out short wastes no
// more than this many payments' worth.
const maxCollectHint = 64

// prefixEnd is the exclusive upper bound of the strings starting with p
// (SQLite's BINARY and PostgreSQL's "C" collation compare bytes, and no
// valid UTF-8 continues p with bytes above U+10FFFF's).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

func collectPayments(rows *sql.Rows) ([]Payment, error) { return collectPaymentsN(rows, 0) }

// collectPaymentsN is collectPayments with room made for n rows up front
// (at most maxCollectHint): a list page's size, so fifty rows are one
// allocation rather than a slice doubled seven times.
func collectPaymentsN(rows *sql.Rows, n int) ([]Payment, error) {
	defer rows.Close()
	out := make([]Payment, 0, min(max(n, 0), maxCollectHint))
	ps := getPaymentScan()
	defer putPaymentScan(ps)
	for rows.Next() {
		if err := ps.scan(rows); err != nil {
			return nil, fmt.Errorf("store: scan payment: %w", err)
		}
		out = append(out, Payment{})
		ps.copyTo(&out[len(out)-1])
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list payments: %w", err)
	}
	return out, nil
}

// GetPayment returns a payment with its captures, refunds and timeline
// (oldest first), read from one snapshot.
func (s *Store) GetPayment(ctx context.Context, paymentRequestID string) (*PaymentDetail, error) {
	// One snapshot: on PostgreSQL READ COMMITTED gives each statement its
	// own, and another replica's commit could fall between the payment
	// and its captures; REPEATABLE READ read-only never fails to serialise.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.rdb.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("store: read: %w", err)
	}
	defer tx.Rollback()
	p, err := paymentBy(ctx, tx, "payment_request_id", paymentRequestID)
	if err != nil {
		return nil, err
	}
	d := &PaymentDetail{Payment: *p}
	rows, err := tx.QueryContext(ctx, "SELECT "+captureCols+" FROM captures c JOIN payments p ON p.id = c.payment_fk WHERE c.payment_fk = ? ORDER BY c.created_at, c.id", p.ID)
	if err != nil {
		return nil, fmt.Errorf("store: captures: %w", err)
	}
	for rows.Next() {
		c, err := scanCapture(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: captures: %w", err)
		}
		d.Captures = append(d.Captures, *c)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, "SELECT "+refundCols+" FROM refunds r JOIN payments p ON p.id = r.payment_fk WHERE r.payment_fk = ? ORDER BY r.created_at, r.id", p.ID)
	if err != nil {
		return nil, fmt.Errorf("store: refunds: %w", err)
	}
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: refunds: %w", err)
		}
		d.Refunds = append(d.Refunds, *r)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
		WHERE o.payment_fk = ? ORDER BY o.id`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("store: operations: %w", err)
	}
	if d.Operations, err = collectOperations(rows); err != nil {
		return nil, err
	}
	// The newest TimelineLimit events, oldest first: what a person reads
	// and the live page re-renders stays bounded however much Antom sent.
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE payment_fk = ?", p.ID).Scan(&d.TimelineOmitted); err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	d.TimelineOmitted = max(d.TimelineOmitted-TimelineLimit, 0)
	rows, err = tx.QueryContext(ctx, `SELECT id, kind, actor, summary, detail, delivery_fk, at FROM (
		SELECT id, kind, actor, summary, detail, coalesce(delivery_fk, 0) AS delivery_fk, at
		FROM events WHERE payment_fk = ? ORDER BY at DESC, id DESC LIMIT ?) AS newest ORDER BY at, id`, p.ID, TimelineLimit)
	if err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := Event{PaymentRequestID: p.PaymentRequestID}
		var detail string
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Actor, &e.Summary, &detail, &e.DeliveryID, &at); err != nil {
			return nil, fmt.Errorf("store: timeline: %w", err)
		}
		if detail != "" {
			e.Detail = json.RawMessage(detail)
		}
		e.At = time.UnixMilli(at).UTC()
		d.Timeline = append(d.Timeline, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: timeline: %w", err)
	}
	return d, nil
}

// FindPayment finds the payments a person means by any ID they quote (the
// rules of Search): exact matches first, then prefixes and fragments,
// newest first within each, at most SearchLimit. No match is ErrNotFound.
func (s *Store) FindPayment(ctx context.Context, anyID string) ([]Payment, error) {
	out, _, err := s.SearchPayments(ctx, anyID)
	return out, err
}

// SearchPayments is FindPayment that also says whether the hits are one
// payment matched by one of its IDs exactly (rather than by prefix or
// fragment), so a caller can open it without reading it again.
func (s *Store) SearchPayments(ctx context.Context, anyID string) (hits []Payment, exact bool, err error) {
	res, err := s.Search(ctx, SearchQuery{Text: anyID})
	if err != nil {
		return nil, false, err
	}
	if len(res.Hits) == 0 {
		return nil, false, ErrNotFound
	}
	_, exact = res.Exact()
	out := make([]Payment, len(res.Hits))
	for i := range res.Hits {
		out[i] = res.Hits[i].Payment
	}
	return out, exact, nil
}

// ListPayments lists payments newest first (created_at, id), keyset
// paginated: pass the returned NextCursor to get the next page. With a
// Query it returns the search matches (FindPayment's rules) that pass the
// other filters, on one page.
func (s *Store) ListPayments(ctx context.Context, f PaymentFilter) (*Page[Payment], error) {
	limit := pageLimit(f.Limit)
	if f.Status != "" && !validStatus(f.Status) {
		return nil, &FieldError{Field: "status", Message: fmt.Sprintf("%q is not a payment status", f.Status)}
	}
	now := s.now()
	displayWhere, displayArgs, ok := displayCondition(f.Display, now)
	if s.pg {
		// SQLite's unary + (keeps its planner off the status index) is
		// not an operator on PostgreSQL's text.
		displayWhere = strings.TrimPrefix(displayWhere, "+")
	}
	if f.Display != "" && !ok {
		return nil, &FieldError{Field: "status", Message: fmt.Sprintf("%q is not a display status", f.Display)}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// A card's last four is narrowed in SQL by the dates and amount;
		// the other filters apply to the (capped) hits.
		res, err := s.Search(ctx, SearchQuery{Text: q, From: f.From, To: f.To, Amount: f.Amount})
		if err != nil {
			return nil, err
		}
		page := &Page[Payment]{Capped: res.More}
		for _, h := range res.Hits {
			if f.matches(&h.Payment, now) && len(page.Items) < limit {
				page.Items = append(page.Items, h.Payment)
			}
		}
		return page, nil
	}
	if useFacets(f) {
		return s.listByFacets(ctx, f, limit, now)
	}
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Display != "" {
		where, args = append(where, "("+displayWhere+")"), append(args, displayArgs...)
	}
	if f.Currency != "" {
		where, args = append(where, "currency = ?"), append(args, strings.ToUpper(f.Currency))
	}
	if f.CaptureState != "" {
		where, args = append(where, "capture_state = ?"), append(args, f.CaptureState)
	}
	if f.NeedsAttention {
		where = append(where, "flags <> 0")
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if below, bargs, err := keysetBelow("", f.To, f.Cursor); err != nil {
		return nil, err
	} else if below != "" {
		where, args = append(where, below), append(args, bargs...)
	}
	query := "SELECT " + paymentCols + " FROM payments"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: list payments: %w", err)
	}
	items, err := collectPaymentsN(rows, limit+1)
	if err != nil {
		return nil, err
	}
	page := &Page[Payment]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

func validStatus(st PaymentStatus) bool {
	for _, v := range PaymentStatuses {
		if v == st {
			return true
		}
	}
	return false
}

func (f *PaymentFilter) matches(p *Payment, now time.Time) bool {
	switch {
	case f.Status != "" && p.Status != f.Status,
		f.Display != "" && DisplayStatusOf(p, now).Word != f.Display,
		f.Currency != "" && !strings.EqualFold(p.Currency, f.Currency),
		f.CaptureState != "" && p.CaptureState != f.CaptureState,
		f.NeedsAttention && p.Flags == 0,
		!f.From.IsZero() && p.CreatedAt.Before(f.From.Truncate(time.Millisecond)),
		!f.To.IsZero() && !p.CreatedAt.Before(f.To.Truncate(time.Millisecond)):
		return false
	}
	return true
}

// ListOrders lists orders (one per referenceOrderId) by their latest
// attempt, newest first, each with all its attempts.
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) (*Page[Order], error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	if q := strings.TrimSpace(f.Query); q != "" {
		if !textValue(q) {
			// No referenceOrderId (printable ASCII) starts with it, and
			// PostgreSQL would refuse it as a parameter.
			return &Page[Order]{}, nil
		}
		where, args = append(where, "reference_order_id >= ? AND reference_order_id < ?"), append(args, q, prefixEnd(q))
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		at, ref, ok := strings.Cut(string(b), ".")
		atMS, perr := strconv.ParseInt(at, 10, 64)
		if err != nil || !ok || perr != nil || !textValue(ref) {
			return nil, &FieldError{Field: "cursor", Message: "is not a cursor this list gave out"}
		}
		where, args = append(where, "(last_created_at, reference_order_id) < (?, ?)"), append(args, atMS, ref)
	}
	query := "SELECT reference_order_id, state, first_created_at, last_created_at, seq FROM orders"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY last_created_at DESC, reference_order_id DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: list orders: %w", err)
	}
	var orders []Order
	for rows.Next() {
		var o Order
		var first, last int64
		if err := rows.Scan(&o.ReferenceOrderID, &o.State, &first, &last, &o.Seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list orders: %w", err)
		}
		o.FirstCreatedAt, o.LastCreatedAt = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		orders = append(orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list orders: %w", err)
	}
	page := &Page[Order]{}
	if len(orders) > limit {
		orders = orders[:limit]
		last := orders[limit-1]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.LastCreatedAt.UnixMilli(), 10) + "." + last.ReferenceOrderID))
	}
	if len(orders) > 0 {
		refs := make([]any, len(orders))
		idx := map[string]int{}
		for i, o := range orders {
			refs[i] = o.ReferenceOrderID
			idx[o.ReferenceOrderID] = i
		}
		rows, err := s.rdb.QueryContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE reference_order_id IN (?"+
			strings.Repeat(", ?", len(refs)-1)+") ORDER BY created_at DESC, id DESC", refs...)
		if err != nil {
			return nil, fmt.Errorf("store: order attempts: %w", err)
		}
		ps, err := collectPayments(rows)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			i := idx[p.ReferenceOrderID]
			orders[i].Attempts = append(orders[i].Attempts, p)
		}
	}
	page.Items = orders
	return page, nil
}

// GetOrder returns one order with all its attempts, newest first.
func (s *Store) GetOrder(ctx context.Context, referenceOrderID string) (*Order, error) {
	var o Order
	var first, last int64
	err := s.rdb.QueryRowContext(ctx, "SELECT reference_order_id, state, first_created_at, last_created_at, seq FROM orders WHERE reference_order_id = ?",
		referenceOrderID).Scan(&o.ReferenceOrderID, &o.State, &first, &last, &o.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get order: %w", err)
	}
	o.FirstCreatedAt, o.LastCreatedAt = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE reference_order_id = ? ORDER BY created_at DESC, id DESC", referenceOrderID)
	if err != nil {
		return nil, fmt.Errorf("store: order attempts: %w", err)
	}
	if o.Attempts, err = collectPayments(rows); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListCaptures lists captures across payments, newest first, keyset
// paginated, filtered by status and creation time.
func (s *Store) ListCaptures(ctx context.Context, f CaptureFilter) (*Page[Capture], error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	if !f.From.IsZero() {
		where, args = append(where, "c.created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if below, bargs, err := keysetBelow("c.", f.To, f.Cursor); err != nil {
		return nil, err
	} else if below != "" {
		where, args = append(where, below), append(args, bargs...)
	}
	query := "SELECT " + captureCols + " FROM captures c JOIN payments p ON p.id = c.payment_fk"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY c.created_at DESC, c.id DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: list captures: %w", err)
	}
	defer rows.Close()
	page := &Page[Capture]{}
	for rows.Next() {
		c, err := scanCapture(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list captures: %w", err)
		}
		page.Items = append(page.Items, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list captures: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

const deliveryListCols = `d.id, d.received_at, d.path, d.client_id, d.request_time, d.verdict, d.parse_error,
	d.notify_type, d.result_status, d.result_code, coalesce(d.dedupe_key, ''), coalesce(d.duplicate_of, 0),
	d.outcome, d.response_status, d.response_body, coalesce(p.payment_request_id, ''), d.payment_id, d.subject_id,
	d.refused, d.summarised, d.body_size, d.body_sha256, d.headers_size, d.request_skew_ms, d.request_time_error,
	d.raw_query, d.reapplied_at, d.reapplied_by`

func scanDelivery(sc scanner, extra ...any) (*Delivery, error) {
	var d Delivery
	var at int64
	var skew, reapplied sql.NullInt64
	dest := append([]any{&d.ID, &at, &d.Path, &d.ClientID, &d.RequestTime, &d.Verdict, &d.ParseError,
		&d.NotifyType, &d.ResultStatus, &d.ResultCode, &d.DedupeKey, &d.DuplicateOf,
		&d.Outcome, &d.ResponseStatus, &d.ResponseBody, &d.PaymentRequestID, &d.PaymentID, &d.SubjectID,
		&d.Refused, &d.Summarised, &d.BodySize, &d.BodySHA256, &d.HeadersSize, &skew, &d.RequestTimeError,
		&d.RawQuery, &reapplied, &d.ReappliedBy}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if reapplied.Valid {
		d.ReappliedAt = time.UnixMilli(reapplied.Int64).UTC()
	}
	d.ReceivedAt = time.UnixMilli(at).UTC()
	d.RequestSkew, d.RequestSkewKnown = time.Duration(skew.Int64)*time.Millisecond, skew.Valid
	return &d, nil
}

// ListDeliveries lists inbound notifications, newest first, keyset
// paginated, filtered by verdict, notifyType, outcome or payment. Headers
// and bodies are left out; GetDelivery has them.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) (*Page[Delivery], error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	if f.Verdict != "" {
		where, args = append(where, "d.verdict = ?"), append(args, f.Verdict)
	}
	if f.NotifyType != "" {
		where, args = append(where, "d.notify_type = ?"), append(args, f.NotifyType)
	}
	if f.Outcome != "" {
		where, args = append(where, "d.outcome = ?"), append(args, f.Outcome)
	}
	if f.PaymentRequestID != "" {
		where, args = append(where, "d.payment_fk = (SELECT id FROM payments WHERE payment_request_id = ?)"), append(args, f.PaymentRequestID)
	}
	if f.Cursor != "" {
		id, err := decodeIDCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "d.id < ?"), append(args, id)
	}
	query := "SELECT " + deliveryListCols + " FROM deliveries d LEFT JOIN payments p ON p.id = d.payment_fk"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY d.id DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	defer rows.Close()
	page := &Page[Delivery]{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list deliveries: %w", err)
		}
		page.Items = append(page.Items, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = encodeIDCursor(page.Items[limit-1].ID)
	}
	return page, nil
}

// GetDelivery returns one delivery with its headers and raw body.
func (s *Store) GetDelivery(ctx context.Context, id int64) (*Delivery, error) {
	var headers string
	var body []byte
	d, err := scanDelivery(s.rdb.QueryRowContext(ctx, "SELECT "+deliveryListCols+", d.headers, d.body FROM deliveries d LEFT JOIN payments p ON p.id = d.payment_fk WHERE d.id = ?", id), &headers, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get delivery: %w", err)
	}
	d.Body = body
	if err := json.Unmarshal([]byte(headers), &d.Headers); err != nil {
		return nil, fmt.Errorf("store: delivery headers: %w", err)
	}
	return d, nil
}

// PaymentVersion is the live poll's one indexed read: the payment's version
// and whether it is final (nothing more is expected without a person).
func (s *Store) PaymentVersion(ctx context.Context, paymentRequestID string) (version int64, final bool, err error) {
	err = s.rdb.QueryRowContext(ctx, "SELECT version, settled FROM payments WHERE payment_request_id = ?", paymentRequestID).Scan(&version, &final)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, ErrNotFound
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: payment version: %w", err)
	}
	return version, final, nil
}

// LatestSeq returns the global change sequence: it grows with every change
// to any payment, so a list page that saw N asks "anything new since N?".
func (s *Store) LatestSeq(ctx context.Context) (int64, error) {
	var v int64
	if err := s.rdb.QueryRowContext(ctx, "SELECT value FROM change_seq WHERE id = 1").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: latest seq: %w", err)
	}
	return v, nil
}

// PaymentsChangedSince lists the payments changed after seq, in change order,
// at most limit (default 50, max 500). No page calls it and no index serves
// it (payments.seq is left unindexed so a save does not move an index
// entry, migration 0015): it reads the whole table.
func (s *Store) PaymentsChangedSince(ctx context.Context, seq int64, limit int) ([]Payment, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE seq > ? ORDER BY seq LIMIT ?", seq, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: changed payments: %w", err)
	}
	return collectPayments(rows)
}
