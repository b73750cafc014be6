package store

// Unexported transaction helpers shared by every write path: load a payment,
// change it in Go, save it (which bumps version and seq, recomputes the
// derived columns and the order row) and add timeline events.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Polling and stuck thresholds (DESIGN.md: poll every 2 s while a buyer is
// likely waiting, back off, and list as stuck past Antom's ~14 min order close).
const (
	// OrderCloseWindow is how long Antom usually takes to close an unpaid order.
	OrderCloseWindow = 14 * time.Minute
	// pollGiveUp is when the poller stops asking about a payment.
	pollGiveUp = 25 * time.Hour
)

// PollInterval is the back-off schedule of the inquiry poller: the wait
// before the next inquiry of a payment that has been in flight for elapsed.
// It returns 0 when the poller should stop.
func PollInterval(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < 3*time.Minute:
		return 2 * time.Second
	case elapsed < OrderCloseWindow+time.Minute:
		return 10 * time.Second
	case elapsed < time.Hour:
		return time.Minute
	case elapsed < pollGiveUp:
		return 10 * time.Minute
	}
	return 0
}

const paymentCols = `id, payment_request_id, reference_order_id, buyer_id, description,
	amount_minor, currency, capture_mode, three_ds, terminal_type, os_type, sandbox,
	status, result_status, result_code, result_message, payment_id, session_data,
	session_id, session_expires_at, notify_url, redirect_url, created_by, idempotency_key,
	created_at, updated_at, paid_at, auth_expires_at, payment_method, card_brand,
	card_last4, acquirer_ref, captured_minor, refunded_minor, capture_state, flags,
	settled, next_poll_at, poll_count, last_inquiry_at, poll_since, version, seq,
	created_by_key, final_at, refusal_reason_raw, merchant_advice_code, card_details, buyer_details`

type scanner interface{ Scan(dest ...any) error }

func scanPayment(sc scanner) (*Payment, error) {
	ps := getPaymentScan()
	defer putPaymentScan(ps)
	if err := ps.scan(sc); err != nil {
		return nil, err
	}
	p := new(Payment)
	ps.copyTo(p)
	return p, nil
}

// paymentScan is the scan targets of one payment row (paymentCols), reused
// from row to row and, through paymentScans, from query to query: a list
// page reads fifty rows, and each used to allocate its payment, a dozen
// nullable columns and the Scan argument list, then copy the payment into
// the page's slice (a quarter of a search page's bytes).
type paymentScan struct {
	p                                                                      Payment
	paymentID, idemKey                                                     sql.NullString
	sessExp, paidAt, authExp, nextPoll, lastInq, pollSince, byKey, finalAt sql.NullInt64
	createdAt, updatedAt, flags                                            int64
	card, buyer                                                            string
	dest                                                                   []any // pointers to the fields above, in paymentCols' order
}

var paymentScans = sync.Pool{New: func() any {
	ps := &paymentScan{}
	p := &ps.p
	ps.dest = []any{&p.ID, &p.PaymentRequestID, &p.ReferenceOrderID, &p.BuyerID, &p.Description,
		&p.AmountMinor, &p.Currency, &p.CaptureMode, &p.ThreeDS, &p.TerminalType, &p.OSType, &p.Sandbox,
		&p.Status, &p.ResultStatus, &p.ResultCode, &p.ResultMessage, &ps.paymentID, &p.SessionData,
		&p.SessionID, &ps.sessExp, &p.NotifyURL, &p.RedirectURL, &p.CreatedBy, &ps.idemKey,
		&ps.createdAt, &ps.updatedAt, &ps.paidAt, &ps.authExp, &p.PaymentMethod, &p.CardBrand,
		&p.CardLast4, &p.AcquirerRef, &p.CapturedMinor, &p.RefundedMinor, &p.CaptureState, &ps.flags,
		&p.Settled, &ps.nextPoll, &p.PollCount, &ps.lastInq, &ps.pollSince, &p.Version, &p.Seq,
		&ps.byKey, &ps.finalAt, &p.RefusalReasonRaw, &p.MerchantAdviceCode, &ps.card, &ps.buyer}
	return ps
}}

func getPaymentScan() *paymentScan { return paymentScans.Get().(*paymentScan) }

// putPaymentScan returns ps to the pool without the last row's strings,
// so the pool holds no payment data.
func putPaymentScan(ps *paymentScan) {
	ps.p = Payment{}
	ps.paymentID, ps.idemKey = sql.NullString{}, sql.NullString{}
	ps.card, ps.buyer = "", ""
	paymentScans.Put(ps)
}

// scan reads the current row. Every target is written by every row (a NULL
// in a plain column is a Scan error), so nothing of the previous row stays.
func (ps *paymentScan) scan(sc scanner) error { return sc.Scan(ps.dest...) }

// id is the row ID of the row last scanned.
func (ps *paymentScan) id() int64 { return ps.p.ID }

// copyTo sets *p to the payment of the row last scanned.
func (ps *paymentScan) copyTo(p *Payment) {
	*p = ps.p
	// Decoded only when one payment is loaded (loadDetails): a list page
	// does not pay for the JSON of fifty rows it does not show.
	p.details = storedDetails{card: ps.card, buyer: ps.buyer}
	p.PaymentID = ps.paymentID.String
	p.IdempotencyKey = ps.idemKey.String
	p.Flags = Flag(ps.flags)
	p.SessionExpiresAt = fromMS(ps.sessExp)
	p.CreatedAt = time.UnixMilli(ps.createdAt).UTC()
	p.UpdatedAt = time.UnixMilli(ps.updatedAt).UTC()
	p.PaidAt = fromMS(ps.paidAt)
	p.AuthExpiresAt = fromMS(ps.authExp)
	p.NextPollAt = fromMS(ps.nextPoll)
	p.LastInquiryAt = fromMS(ps.lastInq)
	p.pollSince = fromMS(ps.pollSince)
	p.CreatedByKey = ps.byKey.Int64
	p.FinalAt = fromMS(ps.finalAt)
}

// ms is a time as stored: unix milliseconds, NULL for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// paymentBy loads one payment inside tx by a unique column.
func paymentBy(ctx context.Context, q querier, col, val string) (*Payment, error) {
	switch col {
	case "payment_request_id", "payment_id", "idempotency_key", "id":
	default:
		return nil, fmt.Errorf("store: paymentBy %q: not a unique column", col)
	}
	p, err := scanPayment(q.QueryRowContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE "+col+" = ?", val))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load payment: %w", err)
	}
	if err := p.loadDetails(); err != nil {
		return nil, err
	}
	p.stored = mutableColumns(p)
	return p, nil
}

func paymentByID(ctx context.Context, q querier, id int64) (*Payment, error) {
	p, err := scanPayment(q.QueryRowContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load payment: %w", err)
	}
	if err := p.loadDetails(); err != nil {
		return nil, err
	}
	p.stored = mutableColumns(p)
	return p, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// nextSeq takes the next value of the global change sequence: from the
// writer's batch counter when tx is the batch's (seqbatch.go), else by
// bumping the stored value.
func (s *Store) nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	if b := s.batchSeq.Load(); b != nil && b.tx == tx {
		return b.next(ctx)
	}
	var v int64
	if err := tx.QueryRowContext(ctx, "UPDATE change_seq SET value = value + 1 WHERE id = 1 RETURNING value").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: change sequence: %w", err)
	}
	return v, nil
}

// txnTotals is what the captures, refunds and pending operations of a
// payment add up to.
type txnTotals struct {
	captured, capturing int64 // SUCCESS, PROCESSING
	capturesFailed      int
	refunded, refunding int64
	// PROCESSING captures and refunds no pending operation owns (automatic
	// captures, or made elsewhere): the payment poller asks about them.
	unownedTxns int
	opsPending  int // pending operations
	opsUnknown  int // of which an attempt ended without a definitive answer
	opsOverdue  int // of which past Antom's window
	// cancelPending counts pending cancels.
	cancelPending int
}

func loadTotals(ctx context.Context, q querier, paymentFK int64) (txnTotals, error) {
	var t txnTotals
	err := q.QueryRowContext(ctx, `SELECT c.captured, c.capturing, c.failed, c.unowned + r.unowned, r.refunded, r.refunding,
		o.pending, o.unknown, o.overdue, o.cancels FROM
		(SELECT coalesce(sum(CASE WHEN status = 'SUCCESS' THEN amount_minor END), 0) AS captured,
			coalesce(sum(CASE WHEN status = 'PROCESSING' THEN amount_minor END), 0) AS capturing,
			count(CASE WHEN status = 'FAIL' THEN 1 END) AS failed,
			count(CASE WHEN status = 'PROCESSING' AND NOT EXISTS (SELECT 1 FROM operations op
				WHERE op.payment_fk = ?1 AND op.state = 'pending' AND op.request_id = captures.capture_request_id) THEN 1 END) AS unowned
			FROM captures WHERE payment_fk = ?1) AS c,
		(SELECT coalesce(sum(CASE WHEN status = 'SUCCESS' THEN amount_minor END), 0) AS refunded,
			coalesce(sum(CASE WHEN status = 'PROCESSING' THEN amount_minor END), 0) AS refunding,
			count(CASE WHEN status = 'PROCESSING' AND NOT EXISTS (SELECT 1 FROM operations op
				WHERE op.payment_fk = ?1 AND op.state = 'pending' AND op.request_id = refunds.refund_request_id) THEN 1 END) AS unowned
			FROM refunds WHERE payment_fk = ?1) AS r,
		(SELECT count(*) AS pending, coalesce(sum(unknown), 0) AS unknown, coalesce(sum(overdue), 0) AS overdue,
			count(CASE WHEN kind = 'cancel' THEN 1 END) AS cancels
			FROM operations WHERE payment_fk = ?1 AND state = 'pending') AS o`, paymentFK).Scan(
		&t.captured, &t.capturing, &t.capturesFailed, &t.unownedTxns, &t.refunded, &t.refunding,
		&t.opsPending, &t.opsUnknown, &t.opsOverdue, &t.cancelPending)
	if err != nil {
		return t, fmt.Errorf("store: capture and refund totals: %w", err)
	}
	return t, nil
}

// inFlight reports whether something about p is still expected to change
// that the payment poller should ask Antom about: a status that is not
// final, a contradiction or an amount mismatch to answer (an inquiry that
// agrees clears it; one that confirms another amount leaves it to a
// person, and the poller backs off and gives up as for any payment), a
// capture or refund in flight that no operation owns, or an automatic
// capture not reported yet. Pending operations are the reconciler's
// (operations.go), not the poller's.
func inFlight(p *Payment, t txnTotals) bool {
	if !p.Status.IsFinal() || p.Flags&(FlagContradiction|FlagAmountMismatch) != 0 {
		return true
	}
	if t.unownedTxns > 0 {
		return true
	}
	return p.Status == StatusSuccess && p.CaptureMode == "AUTOMATIC" && t.captured == 0 && t.capturing == 0 && t.capturesFailed == 0
}

func captureStateOf(p *Payment, t txnTotals) CaptureState {
	switch {
	case p.Status != StatusSuccess && t.captured == 0 && t.capturing == 0:
		return CaptureNotApply
	case t.capturing > 0:
		return CapturePending
	case t.captured == 0:
		return CaptureNone
	case t.captured < p.AmountMinor:
		return CapturePartial
	}
	return CaptureFull
}

// mutableColumnNames are the payment columns savePayment may change besides
// updated_at, version and seq, in the order of mutableColumns.
var mutableColumnNames = [...]string{
	"status", "result_status", "result_code", "result_message", "payment_id",
	"session_data", "session_id", "session_expires_at", "paid_at",
	"auth_expires_at", "payment_method", "card_brand", "card_last4", "acquirer_ref",
	"captured_minor", "refunded_minor", "capture_state", "flags", "settled",
	"next_poll_at", "poll_count", "last_inquiry_at", "poll_since", "final_at",
	"refusal_reason_raw", "merchant_advice_code", "card_details", "buyer_details",
}

// mutableColumns is p's mutable columns as stored, in the order of
// mutableColumnNames. Every value is comparable with ==.
func mutableColumns(p *Payment) []any {
	return []any{
		string(p.Status), p.ResultStatus, p.ResultCode, p.ResultMessage, nullStr(p.PaymentID),
		p.SessionData, p.SessionID, ms(p.SessionExpiresAt), ms(p.PaidAt),
		ms(p.AuthExpiresAt), p.PaymentMethod, p.CardBrand, p.CardLast4, p.AcquirerRef,
		p.CapturedMinor, p.RefundedMinor, string(p.CaptureState), int64(p.Flags), p.Settled,
		ms(p.NextPollAt), int64(p.PollCount), ms(p.LastInquiryAt), ms(p.pollSince), ms(p.FinalAt),
		p.RefusalReasonRaw, p.MerchantAdviceCode, p.details.cardColumn(p), p.details.buyerColumn(p),
	}
}

// saveOpts tunes savePayment.
type saveOpts struct {
	polled  bool // an inquiry (or a session retry) just happened: schedule the next one from now
	pollNow bool // ask the poller to look right away (contradiction, unknown outcome)
}

// savePayment writes p's mutable columns, recomputes the derived ones,
// bumps version and seq, and keeps the order row in step. oldStatus is the
// status p had when loaded ("" for a new payment).
func (s *Store) savePayment(ctx context.Context, tx *sql.Tx, p *Payment, oldStatus PaymentStatus, o saveOpts) error {
	now := s.now().UTC()
	if p.FinalAt.IsZero() && p.Status.IsFinal() {
		// Kept from the first time: a later correction of a final status
		// does not extend the payment's client secret.
		p.FinalAt = now
	}
	t, err := loadTotals(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	if t.opsPending > 0 {
		// What was just applied may settle an operation (operations.go).
		ended, err := s.settleOperations(ctx, tx, p)
		if err != nil {
			return err
		}
		// Only an ended operation changes the totals read above.
		if ended > 0 {
			if t, err = loadTotals(ctx, tx, p.ID); err != nil {
				return err
			}
		}
	}
	// The operation flags follow the pending operations. A CREATED
	// payment's unknown_outcome is its session's (payments.go).
	if p.Status != StatusCreated {
		p.Flags = setFlag(p.Flags, FlagUnknownOutcome, t.opsUnknown > 0)
	}
	p.Flags = setFlag(p.Flags, FlagOperationOverdue, t.opsOverdue > 0)
	p.CapturedMinor, p.RefundedMinor = t.captured, t.refunded
	p.CaptureState = captureStateOf(p, t)
	// The SDK disagreement flags follow every change of the truth (sdk_events.go).
	if _, raised, err := s.reconcileSDKFlags(ctx, tx, p, now); err != nil {
		return err
	} else if raised {
		o.pollNow = true
	}
	flying := inFlight(p, t)
	p.Settled = !flying && t.opsPending == 0
	// A fresh CREATED payment is the creating request's business; the poller
	// retries session creation only once its outcome is unknown.
	pollable := flying && !(p.Status == StatusCreated && p.Flags&FlagUnknownOutcome == 0)
	switch {
	case !flying:
		p.pollSince = time.Time{}
		p.Flags &^= FlagStuck
	case p.pollSince.IsZero():
		p.pollSince = now
	}
	// Stuck is about Antom not finishing something: not a contradiction or
	// an amount mismatch, which have flags of their own.
	answering := p.Flags&(FlagContradiction|FlagAmountMismatch) != 0
	if pollable && !answering && p.Status != StatusSessionReady && now.Sub(p.pollSince) >= OrderCloseWindow {
		p.Flags |= FlagStuck // past the order-close window with nothing final
	}
	switch {
	case o.pollNow:
		// Also on a settled payment: one inquiry answers an amount
		// mismatch or an SDK disagreement.
		p.NextPollAt = now
	case !pollable:
		p.NextPollAt = time.Time{}
	case o.polled || p.NextPollAt.IsZero():
		p.NextPollAt = time.Time{}
		if d := PollInterval(now.Sub(p.pollSince)); d > 0 {
			p.NextPollAt = now.Add(d)
		}
	}
	seq, err := s.nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	p.Version++
	p.Seq = seq
	p.UpdatedAt = now
	// Only the columns that changed are written: SQLite rewrites an index
	// only when the UPDATE assigns one of its columns.
	vals := mutableColumns(p)
	var q strings.Builder
	args := make([]any, 0, len(vals)+4)
	q.WriteString("UPDATE payments SET ")
	for i, v := range vals {
		if p.stored != nil && p.stored[i] == v {
			continue
		}
		q.WriteString(mutableColumnNames[i])
		q.WriteString(" = ?, ")
		args = append(args, v)
	}
	q.WriteString("updated_at = ?, version = ?, seq = ? WHERE id = ?")
	args = append(args, now.UnixMilli(), p.Version, p.Seq, p.ID)
	if _, err = tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("store: save payment: %w", err)
	}
	p.stored = vals
	if oldStatus != p.Status {
		if err := s.refreshOrder(ctx, tx, p.ReferenceOrderID, seq); err != nil {
			return err
		}
	}
	return nil
}

// setFlag sets or clears f in flags.
func setFlag(flags, f Flag, on bool) Flag {
	if on {
		return flags | f
	}
	return flags &^ f
}

// refreshOrder recomputes the order row of referenceOrderID from its
// attempts, in one statement (reading the attempts and writing the row
// were two, and this runs for every change of a payment's status).
func (s *Store) refreshOrder(ctx context.Context, tx *sql.Tx, referenceOrderID string, seq int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO orders (reference_order_id, state, attempts, first_created_at, last_created_at, seq)
		SELECT ?, CASE WHEN count(CASE WHEN status = 'SUCCESS' THEN 1 END) > 0 THEN '`+string(OrderPaid)+`'
			WHEN count(CASE WHEN status IN ('CREATED', 'SESSION_READY', 'PROCESSING') THEN 1 END) > 0 THEN '`+string(OrderInProgress)+`'
			ELSE '`+string(OrderUnpaid)+`' END,
			count(*), coalesce(min(created_at), 0), coalesce(max(created_at), 0), ?
		FROM payments WHERE reference_order_id = ?
		ON CONFLICT (reference_order_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
		first_created_at = excluded.first_created_at, last_created_at = excluded.last_created_at, seq = excluded.seq`,
		referenceOrderID, seq, referenceOrderID)
	if err != nil {
		return fmt.Errorf("store: save order: %w", err)
	}
	return nil
}

// addEvent appends a timeline event; the caller saves the payment after it
// (which bumps the version the live pages poll).
func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, p *Payment, kind EventKind, actor, summary string, detail any, deliveryID int64) (*Event, error) {
	var raw []byte
	switch d := detail.(type) {
	case nil:
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("store: event detail: %w", err)
		}
		raw = b
	}
	at := s.now().UTC()
	var dfk any
	if deliveryID != 0 {
		dfk = deliveryID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO events (payment_fk, kind, actor, summary, detail, delivery_fk, at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.ID, kind, actor, summary, string(raw), dfk, at.UnixMilli()).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("store: add event: %w", err)
	}
	return &Event{ID: id, PaymentRequestID: p.PaymentRequestID, Kind: kind, Actor: actor, Summary: summary,
		Detail: raw, DeliveryID: deliveryID, At: at}, nil
}

// write runs fn through the group-committing writer with a context that is
// not cancelled once the write has started: a write is finished or rolled
// back by the store, never interrupted half-way by a caller going away.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	wctx := context.WithoutCancel(ctx)
	return s.writeTx(ctx, func(tx *sql.Tx) error { return fn(wctx, tx) })
}

// wtx is the transaction type of the ledger's write helpers: an alias of
// sql.Tx, so helpers may be written with either name.
type wtx = sql.Tx
