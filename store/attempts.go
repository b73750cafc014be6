package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"paydesk/antom"
)

// NotificationAttempts is one notification (one body Antom sent, resent
// unchanged until acknowledged) with its deliveries matched to Antom's retry
// schedule.
type NotificationAttempts struct {
	// First is the first delivery of it that arrived; the others are in
	// Report's attempts.
	First      Delivery
	Deliveries map[int64]Delivery
	Report     antom.AttemptReport
}

// attemptsLimit bounds the deliveries read for one notification or payment.
const attemptsLimit = 200

// DeliveryAttempts groups the given deliveries by notification (the body's
// SHA-256: Antom resends the same bytes; older rows without one by dedupe
// key, else alone) and matches each group's arrivals to Antom's schedule at
// now. A delivery counts as acknowledged when it was answered 200. The
// schedule's start is the earlier of the first arrival and the event time
// the body names (paymentTime, captureTime or refundTime), so attempts that
// never arrived (dropped on the way) show as missing.
func DeliveryAttempts(ds []Delivery, now time.Time) []NotificationAttempts {
	var order []string
	groups := map[string][]Delivery{}
	for _, d := range ds {
		key := "sha:" + d.BodySHA256
		switch {
		case d.BodySHA256 != "":
		case d.DedupeKey != "":
			key = "key:" + d.DedupeKey
		default:
			key = fmt.Sprintf("id:%d", d.ID)
		}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], d)
	}
	out := make([]NotificationAttempts, 0, len(order))
	for _, key := range order {
		g := groups[key]
		na := NotificationAttempts{Deliveries: make(map[int64]Delivery, len(g))}
		arrivals := make([]antom.Arrival, 0, len(g))
		for i, d := range g {
			if i == 0 || d.ReceivedAt.Before(na.First.ReceivedAt) {
				na.First = d
			}
			na.Deliveries[d.ID] = d
			arrivals = append(arrivals, antom.Arrival{ID: d.ID, At: d.ReceivedAt, Acked: d.ResponseStatus == 200})
		}
		na.Report = antom.MatchAttempts(arrivals, eventTime(na.First), now)
		out = append(out, na)
	}
	return out
}

// eventTime is the time a notification's body says its event happened: the
// payment's, capture's or refund's time; zero when absent.
func eventTime(d Delivery) time.Time {
	var v struct {
		PaymentTime string `json:"paymentTime"`
		CaptureTime string `json:"captureTime"`
		RefundTime  string `json:"refundTime"`
	}
	if len(d.Body) == 0 || json.Unmarshal(d.Body, &v) != nil {
		return time.Time{}
	}
	for _, s := range []string{v.CaptureTime, v.RefundTime, v.PaymentTime} {
		if t, err := parseAntomTime(s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// NotificationDeliveries returns every delivery of the same notification as
// delivery d (same body bytes, or the same dedupe key), oldest first,
// bodies included, at most attemptsLimit.
func (s *Store) NotificationDeliveries(ctx context.Context, d *Delivery) ([]Delivery, error) {
	query := "SELECT " + deliveryListCols + ", d.body FROM deliveries d LEFT JOIN payments p ON p.id = d.payment_fk WHERE "
	var args []any
	switch {
	case d.BodySHA256 != "" && d.DedupeKey != "":
		// "<> ''" lets SQLite use the partial index deliveries_body.
		query += "((d.body_sha256 = ? AND d.body_sha256 <> '') OR d.dedupe_key = ?)"
		args = []any{d.BodySHA256, d.DedupeKey}
	case d.BodySHA256 != "":
		query += "d.body_sha256 = ? AND d.body_sha256 <> ''"
		args = []any{d.BodySHA256}
	case d.DedupeKey != "":
		query += "d.dedupe_key = ?"
		args = []any{d.DedupeKey}
	default:
		query += "d.id = ?"
		args = []any{d.ID}
	}
	return s.queryDeliveriesWithBody(ctx, query+" ORDER BY d.id LIMIT ?", append(args, attemptsLimit)...)
}

// PaymentDeliveries returns the deliveries linked to a payment, oldest
// first, bodies included: the newest attemptsLimit of them.
func (s *Store) PaymentDeliveries(ctx context.Context, paymentRequestID string) ([]Delivery, error) {
	query := "SELECT * FROM (SELECT " + deliveryListCols + ", d.body FROM deliveries d JOIN payments p ON p.id = d.payment_fk" +
		" WHERE p.payment_request_id = ? ORDER BY d.id DESC LIMIT ?) AS newest ORDER BY 1"
	return s.queryDeliveriesWithBody(ctx, query, paymentRequestID, attemptsLimit)
}

func (s *Store) queryDeliveriesWithBody(ctx context.Context, query string, args ...any) ([]Delivery, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var body []byte
		d, err := scanDelivery(rows, &body)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.Body = body
		out = append(out, *d)
	}
	return out, rows.Err()
}

// SignatureHistory is what the signature verdicts say about the key: when a
// delivery last verified, and how many failed since.
type SignatureHistory struct {
	LastVerified time.Time // zero: none ever did
	// FailingSince is the first failed delivery after LastVerified (zero
	// when none failed since); FailedSince counts them (at most 10,000).
	FailingSince time.Time
	FailedSince  int64
}

// SignatureHistoryAt reads the signature history as of delivery upTo (its
// ID): the last verified delivery up to it and the failures after that. Both
// reads walk the verdict index from one ID, so they stay cheap at any size.
func (s *Store) SignatureHistoryAt(ctx context.Context, upTo int64) (SignatureHistory, error) {
	var h SignatureHistory
	var lastID, lastAt int64
	err := s.rdb.QueryRowContext(ctx, `SELECT id, received_at FROM deliveries
		WHERE verdict = 'ok' AND id <= ? ORDER BY id DESC LIMIT 1`, upTo).Scan(&lastID, &lastAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return h, fmt.Errorf("store: signature history: %w", err)
	default:
		h.LastVerified = time.UnixMilli(lastAt).UTC()
	}
	var first sql.NullInt64
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), min(received_at) FROM (SELECT received_at FROM deliveries
		WHERE verdict = 'bad' AND id > ? AND id <= ? ORDER BY id LIMIT 10000) AS bad`, lastID, upTo).Scan(&h.FailedSince, &first)
	if err != nil {
		return h, fmt.Errorf("store: signature history: %w", err)
	}
	if first.Valid {
		h.FailingSince = time.UnixMilli(first.Int64).UTC()
	}
	return h, nil
}
