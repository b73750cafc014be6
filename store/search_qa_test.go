package store

// QA: hostile search text is data, never SQL or a pattern. Every search is
// an exact or a range (prefix) lookup on an index; the query plans are
// pinned in TestQueryPlansUseIndexes.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestQASearchHostileText(t *testing.T) {
	s, _ := newTestStore(t)
	var ids []string
	for i := range 5 {
		p := mustCreate(t, s, func(np *NewPayment) {
			np.ReferenceOrderID = fmt.Sprintf("order_%d", i)
			np.BuyerID = fmt.Sprintf("buyer-%d", i)
		})
		ids = append(ids, p.PaymentRequestID)
	}
	hostile := []string{
		"' OR 1=1 --",
		`" OR ""="`,
		"'; DROP TABLE payments; --",
		"%",
		"%%%%",
		"_",
		"____",
		"order%",
		"order_%",
		"ord_r",
		"*",
		"\\",
		"\x00",
		"order\x00_1",
		"\xff\xfe",
		"订单订单",
		"ｏｒｄｅｒ_1",
		strings.Repeat("x", 1<<16),
		strings.Repeat("%", 1<<12),
	}
	for _, q := range hostile {
		name := q
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			found, err := s.FindPayment(ctx, q)
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("FindPayment: %d payments, err %v; want none", len(found), err)
			}
			page, err := s.ListPayments(ctx, PaymentFilter{Query: q})
			if err != nil || len(page.Items) != 0 {
				t.Errorf("ListPayments: %d payments, err %v; want none", len(page.Items), err)
			}
			orders, err := s.ListOrders(ctx, OrderFilter{Query: q})
			if err != nil || len(orders.Items) != 0 {
				t.Errorf("ListOrders: %d orders, err %v; want none", len(orders.Items), err)
			}
		})
	}
	// The table is intact and the literal text still finds what it names.
	page, err := s.ListPayments(ctx, PaymentFilter{})
	if err != nil || len(page.Items) != 5 {
		t.Fatalf("after the hostile searches: %d payments (%v), want 5", len(page.Items), err)
	}
	if got, err := s.FindPayment(ctx, "order_3"); err != nil || len(got) != 1 || got[0].PaymentRequestID != ids[3] {
		t.Errorf("order_3: %v %v", got, err)
	}
	// '_' is a literal in a prefix, not a wildcard: "order_" finds the five,
	// "orderX" (same length, '_' replaced) finds none.
	if got, err := s.FindPayment(ctx, "order_"); err != nil || len(got) != 5 {
		t.Errorf("prefix order_: %d payments (%v), want 5", len(got), err)
	}
	if got, err := s.FindPayment(ctx, "orderX"); !errors.Is(err, ErrNotFound) {
		t.Errorf("prefix orderX: %d payments (%v), want none", len(got), err)
	}
	// Surrounding spaces are trimmed; an empty search is a field error.
	if got, err := s.FindPayment(ctx, "  "+ids[0]+"\t"); err != nil || len(got) != 1 {
		t.Errorf("trimmed exact ID: %v %v", got, err)
	}
	var fe *FieldError
	if _, err := s.FindPayment(ctx, " \t "); !errors.As(err, &fe) || fe.Field != "q" {
		t.Errorf("blank search: %v, want a field error on q", err)
	}
}

// The orders prefix filter is an index range too.
func TestQAOrderPrefixPlan(t *testing.T) {
	sqliteOnly(t) // reads SQLite's EXPLAIN QUERY PLAN; TestPostgresSearchPlans checks PostgreSQL's
	s, _ := newTestStore(t)
	rows, err := s.rdb.Query("EXPLAIN QUERY PLAN SELECT reference_order_id FROM orders WHERE reference_order_id >= ? AND reference_order_id < ? ORDER BY last_created_at DESC, reference_order_id DESC LIMIT 51", "abcd", "abcd\xff")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(detail, "SCAN ") && !strings.Contains(detail, "USING") {
			t.Errorf("orders prefix filter scans a table: %s", detail)
		}
	}
}
