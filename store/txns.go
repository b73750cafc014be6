package store

// Capture and refund rows: load, insert, save.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const captureCols = `c.id, p.payment_request_id, coalesce(p.payment_id, ''), c.capture_request_id,
	coalesce(c.capture_id, ''), c.amount_minor, c.currency, c.status, c.result_status, c.result_code,
	c.result_message, c.acquirer_ref, c.actor, c.created_at, c.captured_at, c.updated_at, c.payment_fk, c.details`

func scanCapture(sc scanner) (*Capture, error) {
	var c Capture
	var created, updated int64
	var at sql.NullInt64
	var details string
	if err := sc.Scan(&c.ID, &c.PaymentRequestID, &c.PaymentID, &c.CaptureRequestID, &c.CaptureID,
		&c.AmountMinor, &c.Currency, &c.Status, &c.ResultStatus, &c.ResultCode, &c.ResultMessage,
		&c.AcquirerRef, &c.Actor, &created, &at, &updated, &c.paymentFK, &details); err != nil {
		return nil, err
	}
	if err := decodeDetails(details, &c.Details); err != nil {
		return nil, fmt.Errorf("store: capture %s details: %w", c.CaptureRequestID, err)
	}
	c.CreatedAt, c.UpdatedAt, c.CapturedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(at)
	return &c, nil
}

// captureBy loads a capture by capture_request_id or capture_id.
func captureBy(ctx context.Context, q querier, col, val string) (*Capture, error) {
	if val == "" {
		return nil, ErrNotFound
	}
	switch col {
	case "capture_request_id", "capture_id":
	default:
		return nil, fmt.Errorf("store: captureBy %q: not a unique column", col)
	}
	c, err := scanCapture(q.QueryRowContext(ctx, "SELECT "+captureCols+
		" FROM captures c JOIN payments p ON p.id = c.payment_fk WHERE c."+col+" = ?", val))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load capture: %w", err)
	}
	return c, nil
}

func (s *Store) insertCapture(ctx context.Context, tx *sql.Tx, p *Payment, c *Capture) error {
	now := s.now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	c.PaymentRequestID, c.PaymentID, c.paymentFK = p.PaymentRequestID, p.PaymentID, p.ID
	err := tx.QueryRowContext(ctx, `INSERT INTO captures (payment_fk, capture_request_id, capture_id,
		amount_minor, currency, status, result_status, result_code, result_message, acquirer_ref, actor,
		created_at, captured_at, updated_at, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ID, c.CaptureRequestID, nullStr(c.CaptureID), c.AmountMinor, c.Currency, c.Status,
		c.ResultStatus, c.ResultCode, c.ResultMessage, c.AcquirerRef, c.Actor,
		now.UnixMilli(), ms(c.CapturedAt), now.UnixMilli(), encodeDetails(&c.Details)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("store: insert capture: %w", err)
	}
	return nil
}

func (s *Store) saveCapture(ctx context.Context, tx *sql.Tx, c *Capture) error {
	c.UpdatedAt = s.now().UTC()
	_, err := tx.ExecContext(ctx, `UPDATE captures SET amount_minor = ?, capture_id = ?, status = ?, result_status = ?,
		result_code = ?, result_message = ?, acquirer_ref = ?, captured_at = ?, updated_at = ?, details = ? WHERE id = ?`,
		c.AmountMinor, nullStr(c.CaptureID), c.Status, c.ResultStatus, c.ResultCode, c.ResultMessage, c.AcquirerRef,
		ms(c.CapturedAt), c.UpdatedAt.UnixMilli(), encodeDetails(&c.Details), c.ID)
	if err != nil {
		return fmt.Errorf("store: save capture: %w", err)
	}
	return nil
}

const refundCols = `r.id, p.payment_request_id, coalesce(p.payment_id, ''), r.refund_request_id,
	coalesce(r.refund_id, ''), r.amount_minor, r.currency, r.status, r.result_status, r.result_code,
	r.result_message, r.reason, r.acquirer_ref, r.actor, r.created_at, r.refunded_at, r.updated_at, r.payment_fk,
	r.arn, r.rrn, r.details`

func scanRefund(sc scanner) (*Refund, error) {
	var r Refund
	var created, updated int64
	var at sql.NullInt64
	var details string
	if err := sc.Scan(&r.ID, &r.PaymentRequestID, &r.PaymentID, &r.RefundRequestID, &r.RefundID,
		&r.AmountMinor, &r.Currency, &r.Status, &r.ResultStatus, &r.ResultCode, &r.ResultMessage,
		&r.Reason, &r.AcquirerRef, &r.Actor, &created, &at, &updated, &r.paymentFK,
		&r.ARN, &r.RRN, &details); err != nil {
		return nil, err
	}
	if err := decodeDetails(details, &r.Details); err != nil {
		return nil, fmt.Errorf("store: refund %s details: %w", r.RefundRequestID, err)
	}
	r.CreatedAt, r.UpdatedAt, r.RefundedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(at)
	return &r, nil
}

func refundBy(ctx context.Context, q querier, col, val string) (*Refund, error) {
	if val == "" {
		return nil, ErrNotFound
	}
	switch col {
	case "refund_request_id", "refund_id":
	default:
		return nil, fmt.Errorf("store: refundBy %q: not a unique column", col)
	}
	r, err := scanRefund(q.QueryRowContext(ctx, "SELECT "+refundCols+
		" FROM refunds r JOIN payments p ON p.id = r.payment_fk WHERE r."+col+" = ?", val))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load refund: %w", err)
	}
	return r, nil
}

func (s *Store) insertRefund(ctx context.Context, tx *sql.Tx, p *Payment, r *Refund) error {
	now := s.now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	r.PaymentRequestID, r.PaymentID, r.paymentFK = p.PaymentRequestID, p.PaymentID, p.ID
	err := tx.QueryRowContext(ctx, `INSERT INTO refunds (payment_fk, refund_request_id, refund_id,
		amount_minor, currency, status, result_status, result_code, result_message, reason, acquirer_ref,
		actor, created_at, refunded_at, updated_at, arn, rrn, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ID, r.RefundRequestID, nullStr(r.RefundID), r.AmountMinor, r.Currency, r.Status,
		r.ResultStatus, r.ResultCode, r.ResultMessage, r.Reason, r.AcquirerRef, r.Actor,
		now.UnixMilli(), ms(r.RefundedAt), now.UnixMilli(), r.ARN, r.RRN, encodeDetails(&r.Details)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("store: insert refund: %w", err)
	}
	return nil
}

func (s *Store) saveRefund(ctx context.Context, tx *sql.Tx, r *Refund) error {
	r.UpdatedAt = s.now().UTC()
	_, err := tx.ExecContext(ctx, `UPDATE refunds SET amount_minor = ?, refund_id = ?, status = ?, result_status = ?,
		result_code = ?, result_message = ?, acquirer_ref = ?, refunded_at = ?, updated_at = ?,
		arn = ?, rrn = ?, details = ? WHERE id = ?`,
		r.AmountMinor, nullStr(r.RefundID), r.Status, r.ResultStatus, r.ResultCode, r.ResultMessage, r.AcquirerRef,
		ms(r.RefundedAt), r.UpdatedAt.UnixMilli(), r.ARN, r.RRN, encodeDetails(&r.Details), r.ID)
	if err != nil {
		return fmt.Errorf("store: save refund: %w", err)
	}
	return nil
}
