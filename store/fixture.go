package store

// Bulk fixtures for load testing. Nothing in Paydesk calls this: it exists
// for the load tool (cmd/paydeskload), which needs up to a million realistic
// payments in seconds, where the ledger API (one state-machine transaction
// per change) would take far longer. The rows have the shape the ledger
// writes — payment, order, "created" and "session created" timeline events,
// and a capture for each successful payment — with consistent derived
// columns (capture state, settled, order state, change sequence). They are
// written directly, in large transactions on the writer connection, so seed
// before serving traffic: a chunk holds the database's write lock while it
// commits.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// FixtureSpec describes the synthetic payments SeedFixture writes.
type FixtureSpec struct {
	// Payments is how many payments to write (at least 1).
	Payments int
	// Open is how many of them, the newest, are sessions waiting for their
	// payment result: SESSION_READY, AUTOMATIC capture, no paymentId yet.
	// They are what a notification load applies PAYMENT_RESULT and
	// CAPTURE_RESULT to. At most Payments.
	Open int
	// End is the creation time of the newest payment; the others are one
	// second apart before it. Zero means now.
	End time.Time
}

// Fixture is a seeded set of payments: SeedFixture's result. Payment and
// Cursor rebuild any row's IDs without keeping a million of them in memory.
type Fixture struct {
	Spec FixtureSpec
	// Tag is part of every ID of this seeding, so that several seedings of
	// one database never collide.
	Tag string

	firstID int64 // rowid of payment 0; payment i has firstID+i
	start   int64 // created_at of payment 0, unix ms
}

// FixturePayment is one seeded payment as a person would search for it.
type FixturePayment struct {
	Index            int
	PaymentRequestID string
	// PaymentID is Antom's paymentId. For an open payment it is not in the
	// ledger yet: it is the one its PAYMENT_RESULT should carry.
	PaymentID        string
	ReferenceOrderID string
	BuyerID          string
	// CaptureRequestID and CaptureID are the automatic capture's IDs: in the
	// ledger for a SUCCESS payment; for an open payment, the ones its
	// CAPTURE_RESULT should carry; empty otherwise.
	CaptureRequestID string
	CaptureID        string
	AmountMinor      int64
	Currency         string
	Status           PaymentStatus
	CreatedAt        time.Time
	// Open is true for the newest Spec.Open payments (SESSION_READY).
	Open bool
}

// fixtureStatuses is the cycle of statuses of the payments that are not open.
var fixtureStatuses = []PaymentStatus{
	StatusSuccess, StatusSuccess, StatusFail, StatusSuccess, StatusExpired,
	StatusSuccess, StatusProcessing, StatusSuccess, StatusCancelled, StatusSessionFailed,
}

var fixtureCurrencies = []string{"SGD", "USD", "JPY", "EUR", "HKD"}

// Payment returns the IDs and shape of the i-th seeded payment (0 is the
// oldest, Spec.Payments-1 the newest).
func (f *Fixture) Payment(i int) FixturePayment {
	open := i >= f.Spec.Payments-f.Spec.Open
	st := fixtureStatuses[i%len(fixtureStatuses)]
	if open {
		st = StatusSessionReady
	}
	p := FixturePayment{
		Index:            i,
		PaymentRequestID: fmt.Sprintf("pay_%s_%09d", f.Tag, i),
		PaymentID:        fmt.Sprintf("2025%s%020d", f.Tag, i),
		ReferenceOrderID: fmt.Sprintf("ORD-%s-%09d", f.Tag, i/2), // two attempts per order
		BuyerID:          fmt.Sprintf("BUYER-%s-%07d", f.Tag, i/10),
		AmountMinor:      int64(500 + i%97*100),
		Currency:         fixtureCurrencies[i%len(fixtureCurrencies)],
		Status:           st,
		CreatedAt:        time.UnixMilli(f.start + int64(i)*1000).UTC(),
		Open:             open,
	}
	if st == StatusSuccess || open {
		p.CaptureRequestID = fmt.Sprintf("capreq_%s_%09d", f.Tag, i)
		p.CaptureID = fmt.Sprintf("2025C%s%019d", f.Tag, i)
	}
	return p
}

// Cursor is the payments list cursor positioned just after the i-th seeded
// payment (newest first): the page it opens starts with older payments.
func (f *Fixture) Cursor(i int) string {
	return encodeCursor(time.UnixMilli(f.start+int64(i)*1000), f.firstID+int64(i))
}

// SeedFixture writes spec.Payments synthetic payments in transactions of
// 20,000, then checkpoints the WAL. A chunk fails, and the seeding stops,
// if the highest payment rowid or the change sequence moved under it (other
// writers); chunks already committed stay, as they do when ctx ends. For
// load tests only; see the top of this file.
func (s *Store) SeedFixture(ctx context.Context, spec FixtureSpec) (*Fixture, error) {
	if spec.Payments < 1 || spec.Open < 0 || spec.Open > spec.Payments {
		return nil, &FieldError{Field: "fixture", Message: fmt.Sprintf("want 1 or more payments and 0..payments open, got %d and %d", spec.Payments, spec.Open)}
	}
	if spec.End.IsZero() {
		spec.End = s.now()
	}
	var tag [3]byte
	if _, err := rand.Read(tag[:]); err != nil {
		return nil, fmt.Errorf("store: fixture: %w", err)
	}
	f := &Fixture{Spec: spec, Tag: hex.EncodeToString(tag[:]),
		start: spec.End.UnixMilli() - int64(spec.Payments-1)*1000}

	var seq0 int64
	if err := s.wdb.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) + 1 FROM payments").Scan(&f.firstID); err != nil {
		return nil, fmt.Errorf("store: fixture: %w", err)
	}
	if err := s.wdb.QueryRowContext(ctx, "SELECT value FROM change_seq WHERE id = 1").Scan(&seq0); err != nil {
		return nil, fmt.Errorf("store: fixture: %w", err)
	}
	const chunk = 20000
	for lo := 0; lo < spec.Payments; lo += chunk {
		if err := s.seedChunk(ctx, f, seq0, lo, min(lo+chunk, spec.Payments)); err != nil {
			return nil, err
		}
	}
	// The trigram index of the new IDs, now rather than in the background,
	// and merged as the indexer would merge it over the next minutes.
	if _, err := s.IndexSearchKeys(ctx); err != nil {
		return nil, fmt.Errorf("store: fixture: %w", err)
	}
	for more := true; more; {
		var err error
		if more, err = s.mergeSearchIndexes(ctx, 256, 64); err != nil {
			return nil, fmt.Errorf("store: fixture: %w", err)
		}
	}
	if s.pg {
		// Rows were written with their ids: move the identity sequences
		// past them, or the ledger's next inserts would collide.
		for _, table := range []string{"payments", "events", "captures"} {
			if _, err := s.wdb.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM "+table+"), false)"); err != nil {
				return nil, fmt.Errorf("store: fixture: sequence of %s: %w", table, err)
			}
		}
		if _, err := s.wdb.ExecContext(ctx, "ANALYZE"); err != nil {
			return nil, fmt.Errorf("store: fixture: analyze: %w", err)
		}
		return f, nil
	}
	if _, err := s.wdb.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, fmt.Errorf("store: fixture: checkpoint: %w", err)
	}
	return f, nil
}

// seedChunk writes payments [lo, hi) in one transaction.
func (s *Store) seedChunk(ctx context.Context, f *Fixture, seq0 int64, lo, hi int) (err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: fixture: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.pg {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(writeLockKey)); err != nil {
			return fmt.Errorf("store: fixture: %w", err)
		}
	}
	var maxID int64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM payments").Scan(&maxID); err != nil {
		return fmt.Errorf("store: fixture: %w", err)
	}
	if maxID != f.firstID+int64(lo)-1 {
		return errors.New("store: fixture: payments were written by someone else while seeding; seed before serving")
	}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	pay := prep(`INSERT INTO payments (id, payment_request_id, reference_order_id, buyer_id, description,
		amount_minor, currency, capture_mode, terminal_type, sandbox, status, result_status, result_code,
		result_message, payment_id, session_data, session_id, session_expires_at, created_by, created_at,
		updated_at, paid_at, payment_method, card_brand, card_last4, captured_minor, capture_state, flags,
		settled, poll_since, version, seq)
		VALUES (?, ?, ?, ?, 'load-test fixture', ?, ?, 'AUTOMATIC', 'WEB', 1, ?, ?, ?, ?, ?, ?, ?, ?, 'fixture',
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	ev := prep(`INSERT INTO events (payment_fk, kind, actor, summary, detail, at) VALUES (?, ?, 'fixture', ?, '', ?)`)
	capt := prep(`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor, currency,
		status, result_status, result_code, result_message, created_at, captured_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'SUCCESS', 'S', 'SUCCESS', 'success', ?, ?, ?)`)
	ord := prep(`INSERT INTO orders (reference_order_id, state, attempts, first_created_at, last_created_at, seq)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (reference_order_id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
		last_created_at = excluded.last_created_at, seq = excluded.seq`)
	if err != nil {
		return fmt.Errorf("store: fixture: %w", err)
	}
	for i := lo; i < hi; i++ {
		if i%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p := f.Payment(i)
		id, seq, at := f.firstID+int64(i), seq0+int64(i)+1, p.CreatedAt.UnixMilli()
		r := fixtureRow(p, at)
		if _, err := pay.ExecContext(ctx, id, p.PaymentRequestID, p.ReferenceOrderID, p.BuyerID, p.AmountMinor,
			p.Currency, p.Status, r.resultStatus, r.resultCode, r.resultMessage, nullStr(r.paymentID),
			r.sessionData, r.sessionID, r.sessionExpires, at, at+r.updatedAfter, r.paidAt, r.method, r.brand, r.last4,
			r.captured, r.captureState, int64(r.flags), r.settled, r.pollSince, r.version, seq); err != nil {
			return fmt.Errorf("store: fixture payment %d: %w", i, err)
		}
		if _, err := ev.ExecContext(ctx, id, EventCreated, "Payment created (fixture)", at); err != nil {
			return fmt.Errorf("store: fixture event: %w", err)
		}
		if _, err := ev.ExecContext(ctx, id, EventSessionCreated, "Session created (fixture)", at+300); err != nil {
			return fmt.Errorf("store: fixture event: %w", err)
		}
		if p.Status == StatusSuccess {
			if _, err := capt.ExecContext(ctx, id, p.CaptureRequestID, p.CaptureID, p.AmountMinor, p.Currency,
				at+5000, at+5000, at+5000); err != nil {
				return fmt.Errorf("store: fixture capture: %w", err)
			}
		}
		// An order's row is written with its first attempt and completed
		// with its second (orders of two consecutive payments).
		state, attempts, first := fixtureOrderState(f, i)
		if _, err := ord.ExecContext(ctx, p.ReferenceOrderID, state, attempts, first, at, seq); err != nil {
			return fmt.Errorf("store: fixture order: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE change_seq SET value = ? WHERE id = 1 AND value = ?",
		seq0+int64(hi), seq0+int64(lo)); err != nil {
		return fmt.Errorf("store: fixture: %w", err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, "SELECT value FROM change_seq WHERE id = 1").Scan(&seq); err != nil {
		return fmt.Errorf("store: fixture: %w", err)
	}
	if seq != seq0+int64(hi) {
		return errors.New("store: fixture: the change sequence moved while seeding; seed before serving")
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: fixture: commit: %w", err)
	}
	return nil
}

// fixtureCols are a seeded payment's status-dependent columns.
type fixtureCols struct {
	resultStatus, resultCode, resultMessage string
	paymentID, sessionData, sessionID       string
	method, brand, last4                    string
	sessionExpires, paidAt, pollSince       any
	updatedAfter, captured, version         int64
	captureState                            CaptureState
	flags                                   Flag
	settled                                 bool
}

func fixtureRow(p FixturePayment, at int64) fixtureCols {
	r := fixtureCols{captureState: CaptureNotApply, settled: true, version: 3, updatedAfter: 3000,
		sessionData: "fixture-session-" + p.PaymentRequestID, sessionID: "sess_" + p.PaymentRequestID,
		sessionExpires: at + time.Hour.Milliseconds()}
	switch p.Status {
	case StatusSessionReady:
		// Open for a day, so an expiry sweep during a load test leaves it.
		r.sessionExpires, r.settled, r.version, r.updatedAfter = at+24*time.Hour.Milliseconds(), false, 2, 300
		r.pollSince = at
	case StatusSuccess:
		r.resultStatus, r.resultCode, r.resultMessage = "S", "SUCCESS", "success"
		r.paymentID, r.paidAt, r.method, r.brand, r.last4 = p.PaymentID, at+3000, "CARD", "VISA", "0768"
		r.captured, r.captureState, r.version, r.updatedAfter = p.AmountMinor, CaptureFull, 5, 5000
	case StatusFail:
		r.resultStatus, r.resultCode, r.resultMessage = "F", "PAYMENT_FAIL", "payment failed"
		r.paymentID, r.method, r.brand, r.last4 = p.PaymentID, "CARD", "MASTERCARD", "4444"
	case StatusCancelled:
		r.resultStatus, r.resultCode, r.resultMessage = "S", "SUCCESS", "cancelled"
		r.paymentID = p.PaymentID
	case StatusProcessing:
		// In flight past the order-close window: listed as stuck.
		r.resultStatus, r.resultCode, r.resultMessage = "U", "PAYMENT_IN_PROCESS", "payment in process"
		r.paymentID, r.settled, r.flags, r.pollSince = p.PaymentID, false, FlagStuck, at
	case StatusSessionFailed:
		r.resultStatus, r.resultCode, r.resultMessage = "F", "PARAM_ILLEGAL", "illegal parameters"
		r.sessionData, r.sessionID, r.sessionExpires, r.version = "", "", nil, 2
	}
	return r
}

// fixtureOrderState is the order row of payment i's order once i is
// written: its state, attempts so far and first attempt's creation time.
func fixtureOrderState(f *Fixture, i int) (OrderState, int, int64) {
	first := i - i%2
	state := OrderUnpaid
	for j := first; j <= i; j++ {
		switch st := f.Payment(j).Status; {
		case st == StatusSuccess:
			state = OrderPaid
		case !st.IsFinal() && state != OrderPaid:
			state = OrderInProgress
		}
	}
	return state, i - first + 1, f.start + int64(first)*1000
}
