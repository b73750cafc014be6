package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A filtered payments list reads an index in (created_at, id) order and
// stops at a page. That is cheap when the index holds exactly the
// payments asked for, and costly when the rows asked for are rare within
// the range it reads: a status and a currency that seldom meet (or never:
// declined payments in a currency nobody declines), a display word whose
// condition is met by few of its status's payments (Refunded among
// SUCCESS), attention among the settled. Such a page read the whole range
// to fill 50 rows or to find none: up to 700 ms at 1,000,000 payments
// (issue 14), whatever the filter's size on screen.
//
// So each payment carries its list facet (migration 0014): its display
// status's key and its capture state, "captured/CAPTURED",
// "declined/N/A", a column computed from the row (SQLite: a virtual
// generated column; PostgreSQL: a stored one). Indexes on
// (list_facet, created_at, id) and (currency, list_facet, created_at, id),
// and the same two for the payments needing attention, hold exactly the
// rows of one facet (in one currency), newest first. A page that filters
// on a display word, or on two or more of currency, capture state and
// attention, reads the facets present that match (a few index seeks:
// listFacets), one index range per facet, merged by a UNION ALL under one
// ORDER BY ... LIMIT: each range yields only matching rows, so a page
// reads at most a page per facet, at any depth, whatever the mix. The
// one-column filters already read an exact index and keep that plan.

// listFacetSQL is the facet expression of migration 0014 (both dialects
// hold the same text): DisplayStatusOf's word key without its time-bound
// part (a SESSION_READY payment is "awaiting_payment" here, its expiry
// tested by the query), "/", the capture state. TestListFacetMatchesDisplay
// checks it against DisplayStatusOf.
const listFacetSQL = `CASE
		WHEN status = 'SUCCESS' AND refunded_minor > 0 AND refunded_minor < captured_minor THEN 'partially_refunded'
		WHEN status = 'SUCCESS' AND refunded_minor > 0 THEN 'refunded'
		WHEN status = 'SUCCESS' AND capture_state = 'PARTIAL' THEN 'partially_captured'
		WHEN status = 'SUCCESS' AND capture_state = 'CAPTURED' THEN 'captured'
		WHEN status = 'SUCCESS' THEN 'authorised'
		WHEN status IN ('CREATED', 'SESSION_READY') THEN 'awaiting_payment'
		WHEN status = 'PROCESSING' THEN 'processing'
		WHEN status = 'CANCELLED' AND paid_at IS NOT NULL THEN 'cancelled'
		WHEN status = 'CANCELLED' THEN 'closed_unpaid'
		WHEN status = 'FAIL' AND result_code = 'ORDER_IS_CLOSED' AND paid_at IS NULL THEN 'closed_unpaid'
		WHEN status = 'FAIL' THEN 'declined'
		WHEN status = 'EXPIRED' THEN 'expired'
		WHEN status = 'SESSION_FAILED' THEN 'session_failed'
		ELSE 'other' END || '/' || capture_state`

// facetArm is one index range of a facet list page: a facet and the
// condition, beyond the page's own, its rows must meet.
type facetArm struct {
	facet string
	cond  string // "" or a condition on the row
	args  []any
	// expiring: the rows are the sessions past their expiry, read by
	// the expiry index (few: the sweeper ends them) rather than the facet's.
	expiring bool
}

// useFacets reports whether a list filter reads the facet indexes: a
// display word, or two or more of currency, capture state and attention.
// A raw ledger status (older links) keeps the status index.
func useFacets(f PaymentFilter) bool {
	if f.Status != "" {
		return false
	}
	n := 0
	for _, set := range []bool{f.Currency != "", f.CaptureState != "", f.NeedsAttention} {
		if set {
			n++
		}
	}
	return f.Display != "" || n >= 2
}

// facetIndex is the facet index (migration 0014) for a page with or
// without a currency and attention.
func facetIndex(currency, attention bool) string {
	switch {
	case currency && attention:
		return "payments_list_attention_currency_facet"
	case attention:
		return "payments_list_attention_facet"
	case currency:
		return "payments_list_currency_facet"
	}
	return "payments_list_facet"
}

// listFacets are the facets present among the payments (in currency, if
// not ""; needing attention, if attention), in order: one index seek each.
func (s *Store) listFacets(ctx context.Context, currency string, attention bool) ([]string, error) {
	from := "payments"
	if !s.pg {
		from += " INDEXED BY " + facetIndex(currency != "", attention)
	}
	where, args := "", []any{}
	if currency != "" {
		where, args = "currency = ? AND ", append(args, currency)
	}
	if attention {
		where += "flags <> 0 AND "
	}
	// A loose index scan: the smallest facet, then the smallest above it.
	q := `WITH RECURSIVE f(v) AS (
		SELECT (SELECT min(list_facet) FROM ` + from + ` WHERE ` + where + `list_facet > '')
		UNION ALL
		SELECT (SELECT min(list_facet) FROM ` + from + ` WHERE ` + where + `list_facet > f.v) FROM f WHERE f.v IS NOT NULL
	) SELECT v FROM f WHERE v IS NOT NULL`
	rows, err := s.rdb.QueryContext(ctx, q, append(args, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: list facets: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: list facets: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list facets: %w", err)
	}
	return out, nil
}

// facetArms are the index ranges of filter f among the facets present:
// those of its display word (all when none) in its capture state (any
// when none). Awaiting payment excludes sessions past their expiry;
// Expired adds them (a session the sweeper has not reached yet).
func facetArms(facets []string, f PaymentFilter, now time.Time) []facetArm {
	word := f.Display.Key()
	var arms []facetArm
	for _, fc := range facets {
		key, capture, ok := strings.Cut(fc, "/")
		if !ok || (f.CaptureState != "" && capture != string(f.CaptureState)) {
			continue
		}
		switch {
		case word == "" || key == word && word != displayKeys[WordAwaitingPayment]:
			arms = append(arms, facetArm{facet: fc})
		case key == displayKeys[WordAwaitingPayment] && word == key:
			arms = append(arms, facetArm{facet: fc,
				cond: "(status = 'CREATED' OR session_expires_at IS NULL OR session_expires_at > ?)", args: []any{now.UnixMilli()}})
		case key == displayKeys[WordAwaitingPayment] && f.Display == WordExpired:
			arms = append(arms, facetArm{facet: fc, expiring: true,
				cond: "status = 'SESSION_READY' AND session_expires_at <= ?", args: []any{now.UnixMilli()}})
		}
	}
	return arms
}

// listByFacets is ListPayments for a filter useFacets accepts.
func (s *Store) listByFacets(ctx context.Context, f PaymentFilter, limit int, now time.Time) (*Page[Payment], error) {
	cur := strings.ToUpper(f.Currency)
	facets, err := s.listFacets(ctx, cur, f.NeedsAttention)
	if err != nil {
		return nil, err
	}
	arms := facetArms(facets, f, now)
	if len(arms) == 0 {
		return &Page[Payment]{}, nil
	}
	// The page's own bounds, the same in every arm.
	var common []string
	var cargs []any
	if f.NeedsAttention {
		common = append(common, "flags <> 0")
	}
	if !f.From.IsZero() {
		common, cargs = append(common, "created_at >= ?"), append(cargs, f.From.UnixMilli())
	}
	below, bargs, err := keysetBelow("", f.To, f.Cursor)
	if err != nil {
		return nil, err
	}
	if below != "" {
		common, cargs = append(common, below), append(cargs, bargs...)
	}
	var parts []string
	var args []any
	for _, a := range arms {
		where := []string{"list_facet = ?"}
		wargs := []any{a.facet}
		if cur != "" {
			where, wargs = append([]string{"currency = ?"}, where...), append([]any{cur}, wargs...)
		}
		where, wargs = append(where, common...), append(wargs, cargs...)
		if a.cond != "" {
			where, wargs = append(where, a.cond), append(wargs, a.args...)
		}
		from := "payments"
		if !s.pg {
			// SQLite's planner, without statistics, takes an equality and
			// a range on one index for as good as two equalities and the
			// range on another: with dates and a currency it read every
			// row of the facet in the range (2 s at 1,000,000 payments).
			// PostgreSQL costs the indexes from its statistics.
			from = "payments INDEXED BY " + facetIndex(cur != "", f.NeedsAttention)
			if a.expiring {
				// The sessions past their expiry: few, the sweeper ends them.
				from = "payments INDEXED BY payments_session_expiry"
			}
		}
		parts = append(parts, "SELECT * FROM (SELECT "+paymentCols+" FROM "+from+" WHERE "+strings.Join(where, " AND ")+
			" ORDER BY created_at DESC, id DESC LIMIT ?) AS a")
		args = append(args, append(wargs, limit+1)...)
	}
	query := strings.Join(parts, " UNION ALL ") + " ORDER BY created_at DESC, id DESC LIMIT ?"
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
