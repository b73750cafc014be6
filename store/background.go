package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// pollLease is how long PaymentsToPoll hands a payment to the poller before
// offering it again (if the poller records nothing by then).
const pollLease = 30 * time.Second

// PaymentsToPoll claims the in-flight payments whose next inquiry is due at
// now, oldest due first, at most limit (default 50): their next poll moves
// pollLease ahead so a slow poller does not ask twice. The poller then runs
// an inquiry and records it with ApplyInquiry or RecordInquiryError, which
// sets the next time from the back-off schedule (PollInterval). A payment
// still CREATED is offered because its session outcome is unknown: retry
// createPaymentSession with the same paymentRequestId and record it with
// RecordSession instead.
func (s *Store) PaymentsToPoll(ctx context.Context, now time.Time, limit int) ([]Payment, error) {
	var out []Payment
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+paymentCols+" FROM payments WHERE next_poll_at <= ? ORDER BY next_poll_at LIMIT ?",
			now.UnixMilli(), pageLimit(limit))
		if err != nil {
			return fmt.Errorf("store: payments to poll: %w", err)
		}
		ps, err := collectPayments(rows)
		if err != nil {
			return err
		}
		lease := now.Add(pollLease)
		for i := range ps {
			if _, err := tx.ExecContext(ctx, "UPDATE payments SET next_poll_at = ? WHERE id = ?", lease.UnixMilli(), ps[i].ID); err != nil {
				return fmt.Errorf("store: lease poll: %w", err)
			}
			ps[i].NextPollAt = lease.UTC()
		}
		out = ps
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// orphanAfter is when a CREATED payment whose creating request never
// recorded a session outcome (a crash between insert and Antom's answer) is
// treated as unknown, so the poller retries the session.
const orphanAfter = time.Minute

// MarkStuck flags, as of now, the payments that are past Antom's
// order-close window (OrderCloseWindow) with nothing final — a person should
// look —, the operations still unconfirmed past Antom's window
// (operation_overdue), and treats CREATED payments whose session call never reported back
// as unknown_outcome so the poller retries them. It returns how many
// payments it changed.
func (s *Store) MarkStuck(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		stuck, err := idsOf(ctx, tx, `SELECT id FROM payments WHERE next_poll_at IS NOT NULL
			AND (flags & ?) = 0 AND status <> 'SESSION_READY' AND poll_since <= ? LIMIT 500`,
			int64(FlagStuck|FlagContradiction|FlagAmountMismatch), now.Add(-OrderCloseWindow).UnixMilli())
		if err != nil {
			return err
		}
		for _, id := range stuck {
			if err := s.flagByID(ctx, tx, id, FlagStuck, fmt.Sprintf("Nothing final %s after it started: listed as stuck; re-run the inquiry or ask Antom", OrderCloseWindow)); err != nil {
				return err
			}
		}
		orphans, err := idsOf(ctx, tx, `SELECT id FROM payments WHERE status = 'CREATED' AND created_at <= ?
			AND (flags & ?) = 0 LIMIT 500`, now.Add(-orphanAfter).UnixMilli(), int64(FlagUnknownOutcome))
		if err != nil {
			return err
		}
		for _, id := range orphans {
			if err := s.flagByID(ctx, tx, id, FlagUnknownOutcome, "Session creation never reported back: outcome unknown; the poller retries it"); err != nil {
				return err
			}
		}
		overdue, err := s.markOverdueOperations(ctx, tx, now)
		if err != nil {
			return err
		}
		n = len(stuck) + len(orphans) + overdue
		return nil
	})
	return n, err
}

func (s *Store) flagByID(ctx context.Context, tx *sql.Tx, id int64, f Flag, summary string) error {
	p, err := paymentByID(ctx, tx, id)
	if err != nil {
		return err
	}
	p.Flags |= f
	if _, err := s.addEvent(ctx, tx, p, EventFlag, "system", summary, map[string]any{"set": f.Names()}, 0); err != nil {
		return err
	}
	return s.savePayment(ctx, tx, p, p.Status, saveOpts{pollNow: f == FlagUnknownOutcome})
}

func idsOf(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: select ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: select ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ExpireSessions moves SESSION_READY payments whose session expiry is at or
// before now to EXPIRED, each with a timeline event, at most 500 per call.
// It returns how many it expired.
func (s *Store) ExpireSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		ids, err := idsOf(ctx, tx, "SELECT id FROM payments WHERE status = 'SESSION_READY' AND session_expires_at <= ? LIMIT 500", now.UnixMilli())
		if err != nil {
			return err
		}
		for _, id := range ids {
			p, err := paymentByID(ctx, tx, id)
			if err != nil {
				return err
			}
			tr := NextPaymentStatus(p.Status, EvSessionExpired)
			if tr.Effect != EffectApply {
				continue
			}
			old := p.Status
			p.Status = tr.To
			if _, err := s.addEvent(ctx, tx, p, EventExpired, "system", "Session expired unpaid at "+p.SessionExpiresAt.Format(time.RFC3339), nil, 0); err != nil {
				return err
			}
			if err := s.savePayment(ctx, tx, p, old, saveOpts{}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
