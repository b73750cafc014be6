package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// RefundFilter selects refunds for ListRefunds. Zero fields do not filter.
type RefundFilter struct {
	Status   TxnStatus
	From, To time.Time // refund created_at in [From, To)
	Cursor   string
	Limit    int // default 50, max 500
}

// ListRefunds lists refunds across payments, newest first, keyset
// paginated, filtered by status and creation time: ListCaptures' twin.
func (s *Store) ListRefunds(ctx context.Context, f RefundFilter) (*Page[Refund], error) {
	limit := pageLimit(f.Limit)
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "r.status = ?"), append(args, f.Status)
	}
	if !f.From.IsZero() {
		where, args = append(where, "r.created_at >= ?"), append(args, f.From.UnixMilli())
	}
	if below, bargs, err := keysetBelow("r.", f.To, f.Cursor); err != nil {
		return nil, err
	} else if below != "" {
		where, args = append(where, below), append(args, bargs...)
	}
	query := "SELECT " + refundCols + " FROM refunds r JOIN payments p ON p.id = r.payment_fk"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY r.created_at DESC, r.id DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("store: list refunds: %w", err)
	}
	defer rows.Close()
	page := &Page[Refund]{}
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list refunds: %w", err)
		}
		page.Items = append(page.Items, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list refunds: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}
