package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"paydesk/antom"
)

// ErrNotReapplicable is returned by ApplyDeliveryAgain for a delivery that is
// not a verified notification stored as not applied.
var ErrNotReapplicable = errors.New("store: only a verified notification that could not be applied can be applied again")

// ReapplyResult says what ApplyDeliveryAgain did.
type ReapplyResult struct {
	DeliveryID       int64
	Outcome          Outcome // the outcome now
	DuplicateOf      int64
	PaymentRequestID string
	// Already is true when the delivery had been applied again before: this
	// call changed nothing.
	Already     bool
	ReappliedAt time.Time
	ReappliedBy string
	// NeedsInquiry: the notification contradicts the ledger; the poller
	// was scheduled to ask Antom.
	NeedsInquiry bool
}

// ApplyDeliveryAgain applies a verified delivery stored as not applied (its
// application failed, and it was answered 500 so that Antom retries),
// through the same dedupe and ledger rules as a fresh arrival
// (applyVerified), in one transaction with its audit entry. It is
// idempotent: applying again a delivery applied again before changes
// nothing and says so (Already). When Antom's retry was applied meanwhile,
// the delivery becomes a duplicate of it. The body is parsed as the webhook
// parses it.
func (s *Store) ApplyDeliveryAgain(ctx context.Context, id int64, who AuditContext) (*ReapplyResult, error) {
	var res *ReapplyResult
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res = &ReapplyResult{DeliveryID: id}
		var (
			verdict          Verdict
			refused          bool
			outcome          Outcome
			body             []byte
			reappliedAt      sql.NullInt64
			reappliedBy, prq string
			dupOf            int64
		)
		err := tx.QueryRowContext(ctx, `SELECT d.verdict, d.refused, d.outcome, d.body, d.reapplied_at, d.reapplied_by,
			coalesce(p.payment_request_id, ''), coalesce(d.duplicate_of, 0)
			FROM deliveries d LEFT JOIN payments p ON p.id = d.payment_fk WHERE d.id = ?`, id).
			Scan(&verdict, &refused, &outcome, &body, &reappliedAt, &reappliedBy, &prq, &dupOf)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: apply again: %w", err)
		}
		if reappliedAt.Valid {
			res.Already, res.Outcome, res.PaymentRequestID, res.DuplicateOf = true, outcome, prq, dupOf
			res.ReappliedAt, res.ReappliedBy = time.UnixMilli(reappliedAt.Int64).UTC(), reappliedBy
			return nil
		}
		if verdict != VerdictOK || refused || outcome != OutcomeNotApplied {
			return ErrNotReapplicable
		}
		n, err := antom.ParseNotification(body)
		if err != nil {
			return &FieldError{Field: "body", Message: "the stored body is not a valid notification: " + err.Error()}
		}
		v, err := s.applyVerified(ctx, tx, id, n)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET outcome = ?, dedupe_key = ?, duplicate_of = ?, payment_fk = ?,
			notify_type = ?, result_status = ?, result_code = ?, payment_id = ?, subject_id = ?,
			reapplied_at = ?, reapplied_by = ? WHERE id = ?`,
			v.outcome, n.DedupeKey(), nullInt(v.duplicateOf), nullInt(v.paymentFK),
			n.NotifyType, n.Result.ResultStatus, n.Result.ResultCode, n.PaymentID, subjectOf(n),
			now.UnixMilli(), who.Actor, id); err != nil {
			return fmt.Errorf("store: apply again: %w", err)
		}
		res.Outcome, res.DuplicateOf, res.PaymentRequestID, res.NeedsInquiry = v.outcome, v.duplicateOf, v.paymentRequestID, v.needsInquiry
		res.ReappliedAt, res.ReappliedBy = now, who.Actor
		after := map[string]any{"delivery": id, "outcome": v.outcome, "notifyType": n.NotifyType, "result": n.Result}
		if v.duplicateOf != 0 {
			after["duplicateOf"] = v.duplicateOf
		}
		e := who.PaymentEntry("delivery.apply_again", v.paymentRequestID, map[string]any{"delivery": id, "outcome": OutcomeNotApplied}, after)
		e.Target = fmt.Sprintf("delivery:%d", id)
		return s.insertAudit(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReapplyLimit bounds how many deliveries one ApplyAgainSince call applies.
const ReapplyLimit = 1000

// ApplyAgainSince applies again, one transaction each and oldest first,
// every verified delivery stored as not applied that arrived at or after
// since (after an outage), up to ReapplyLimit. It returns what each did;
// errors for single deliveries are collected, not fatal, and more reports
// whether deliveries past the limit remain.
func (s *Store) ApplyAgainSince(ctx context.Context, since time.Time, who AuditContext) (results []ReapplyResult, failed map[int64]error, more bool, err error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM deliveries WHERE outcome = 'not_applied' AND reapplied_at IS NULL
		AND verdict = 'ok' AND refused = 0 AND received_at >= ? ORDER BY id LIMIT ?`, since.UnixMilli(), ReapplyLimit+1)
	if err != nil {
		return nil, nil, false, fmt.Errorf("store: apply again since: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, false, fmt.Errorf("store: apply again since: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, false, fmt.Errorf("store: apply again since: %w", err)
	}
	if len(ids) > ReapplyLimit {
		ids, more = ids[:ReapplyLimit], true
	}
	failed = map[int64]error{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return results, failed, true, err
		}
		r, err := s.ApplyDeliveryAgain(ctx, id, who)
		if err != nil {
			if errors.Is(err, ErrUnavailable) {
				return results, failed, true, err
			}
			failed[id] = err
			continue
		}
		results = append(results, *r)
	}
	return results, failed, more, nil
}

// CountNotApplied counts the verified deliveries stored as not applied and
// not applied again since, and the earliest one's arrival.
func (s *Store) CountNotApplied(ctx context.Context) (n int64, earliest time.Time, err error) {
	var first sql.NullInt64
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), min(received_at) FROM deliveries
		WHERE outcome = 'not_applied' AND reapplied_at IS NULL AND verdict = 'ok' AND refused = 0`).Scan(&n, &first)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: count not applied: %w", err)
	}
	if first.Valid {
		earliest = time.UnixMilli(first.Int64).UTC()
	}
	return n, earliest, nil
}
