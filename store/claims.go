package store

// Redeliveries recognised in memory. Antom redelivers a notification until
// it is acknowledged, so under load many deliveries are duplicates. Which
// delivery first claimed a dedupe key (applied_notifications, ingest.go
// claimNotification) never changes once committed: claims are only ever
// inserted. The writer therefore remembers recent claims it saw committed
// and, for a delivery whose key it remembers, skips the claim's two
// statements and the full load and save of the payment: the duplicate's
// record (delivery row, timeline event, version bump) is written as before,
// in the same transaction, acknowledged after the same durable commit.
//
// Only on SQLite, where this writer is the database's only writer. (A
// committed claim is as immutable on PostgreSQL, but there several
// replicas write: each would see only its own, and the database's unique
// key stays the one arbiter.) A miss is never wrong: the delivery takes the
// full path, which asks the database.
//
// Entries are learned inside a batch and kept only once it commits (a
// write rolled back to its savepoint, or a batch rolled back, teaches
// nothing). The set is bounded: past maxKnownClaims it forgets a quarter,
// chosen by Go's random map order. A hand-written map is enough here: the
// entries are immutable facts, so any eviction order is correct and an LRU
// library would buy nothing but bookkeeping.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// maxKnownClaims bounds the remembered claims (about 120 bytes each).
const maxKnownClaims = 1 << 16

// pendingClaim is a claim learned by request req of the open batch.
type pendingClaim struct {
	req   int
	key   string
	first int64
}

// knownClaim is the delivery that claimed key, if the writer remembers it
// and tx is its batch's transaction on SQLite; 0 otherwise.
func (s *Store) knownClaim(tx *sql.Tx, key string) int64 {
	b := s.batchSeq.Load()
	if s.pg || b == nil || b.tx != tx {
		return 0
	}
	return s.claims[key]
}

// learnClaim notes, for after the commit, that delivery first claimed key.
func (s *Store) learnClaim(tx *sql.Tx, key string, first int64) {
	b := s.batchSeq.Load()
	if s.pg || b == nil || b.tx != tx {
		return
	}
	b.claims = append(b.claims, pendingClaim{req: b.req, key: key, first: first})
}

// keepClaims keeps the claims learned by the batch's requests that
// committed (ok[i]: request i's writes are in the commit).
func (s *Store) keepClaims(b *seqBatch, ok func(req int) bool) {
	if len(b.claims) == 0 {
		return
	}
	if s.claims == nil {
		s.claims = make(map[string]int64)
	}
	for _, c := range b.claims {
		if !ok(c.req) {
			continue
		}
		if len(s.claims) >= maxKnownClaims {
			drop := maxKnownClaims / 4
			for k := range s.claims {
				delete(s.claims, k)
				if drop--; drop == 0 {
					break
				}
			}
		}
		s.claims[c.key] = c.first
	}
}

// touchPayment bumps p's version and change sequence (and updated_at): its
// timeline changed, nothing else.
func (s *Store) touchPayment(ctx context.Context, tx *sql.Tx, p *Payment) error {
	seq, err := s.nextSeq(ctx, tx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if _, err := tx.ExecContext(ctx, "UPDATE payments SET updated_at = ?, version = version + 1, seq = ? WHERE id = ?",
		now.UnixMilli(), seq, p.ID); err != nil {
		return fmt.Errorf("store: touch payment: %w", err)
	}
	p.Version++
	p.Seq, p.UpdatedAt = seq, now.Truncate(time.Millisecond)
	return nil
}

// paymentRefBy loads only a payment's row ID and paymentRequestId by a
// unique column.
func paymentRefBy(ctx context.Context, q querier, col string, val any) (*Payment, error) {
	switch col {
	case "payment_request_id", "payment_id", "id":
	default:
		return nil, fmt.Errorf("store: paymentRefBy %q: not a unique column", col)
	}
	var p Payment
	err := q.QueryRowContext(ctx, "SELECT id, payment_request_id FROM payments WHERE "+col+" = ?", val).Scan(&p.ID, &p.PaymentRequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load payment: %w", err)
	}
	return &p, nil
}

// txnPaymentFK is the payment of a capture or refund found by a unique column.
func txnPaymentFK(ctx context.Context, q querier, table, col, val string) (int64, error) {
	switch table + "." + col {
	case "captures.capture_request_id", "captures.capture_id", "refunds.refund_request_id", "refunds.refund_id":
	default:
		return 0, fmt.Errorf("store: txnPaymentFK %s.%s: not a unique column", table, col)
	}
	var fk int64
	err := q.QueryRowContext(ctx, "SELECT payment_fk FROM "+table+" WHERE "+col+" = ?", val).Scan(&fk)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", table, err)
	}
	return fk, nil
}
