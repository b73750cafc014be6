package store

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// Every filter combination the payments list offers (display word ×
// currency × capture state × attention × dates), paged, lists exactly the
// payments DisplayStatusOf and the filter's own rules select, in order:
// the facet indexes (list_facets.go) and the one-column plans agree with
// the payments themselves.
func TestListFiltersAgreeWithDisplay(t *testing.T) {
	s, clk := newTestStore(t)
	if _, err := s.SeedFixture(ctx, FixtureSpec{Payments: 300, Open: 30}); err != nil {
		t.Fatal(err)
	}
	now := clk.Now().UnixMilli()
	// Every display word and capture state, attention on payments of
	// several states (the fixture sets it on PROCESSING only).
	for _, u := range []string{
		"UPDATE payments SET refunded_minor = captured_minor WHERE status = 'SUCCESS' AND id % 7 = 0",
		"UPDATE payments SET refunded_minor = 1 WHERE status = 'SUCCESS' AND id % 7 = 1",
		"UPDATE payments SET capture_state = 'PARTIAL', captured_minor = 1 WHERE status = 'SUCCESS' AND id % 7 = 2",
		"UPDATE payments SET capture_state = 'NONE', captured_minor = 0 WHERE status = 'SUCCESS' AND id % 7 = 3",
		"UPDATE payments SET capture_state = 'PENDING', captured_minor = 0 WHERE status = 'SUCCESS' AND id % 7 = 4",
		"UPDATE payments SET paid_at = created_at WHERE status = 'CANCELLED' AND id % 20 = 9",
		"UPDATE payments SET result_code = 'ORDER_IS_CLOSED' WHERE status = 'FAIL' AND id % 20 = 3",
		"UPDATE payments SET status = 'CREATED' WHERE status = 'SESSION_READY' AND id % 5 = 0",
		fmt.Sprintf("UPDATE payments SET session_expires_at = %d WHERE status = 'SESSION_READY' AND id %% 3 = 0", now-1000),
		fmt.Sprintf("UPDATE payments SET session_expires_at = %d WHERE status = 'SESSION_READY' AND id %% 3 = 1", now),
		"UPDATE payments SET session_expires_at = NULL WHERE status = 'SESSION_READY' AND id % 11 = 2",
		"UPDATE payments SET flags = 1 WHERE id % 13 = 0",
		"UPDATE payments SET currency = 'EUR' WHERE id % 17 = 0",
	} {
		if _, err := s.wdb.ExecContext(ctx, u); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	var all []Payment
	for cursor := ""; ; {
		page, err := s.ListPayments(ctx, PaymentFilter{Cursor: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(all) != 300 {
		t.Fatalf("listed %d payments, want 300", len(all))
	}
	words := map[DisplayWord]int{}
	for i := range all {
		words[DisplayStatusOf(&all[i], clk.Now()).Word]++
	}
	for _, w := range DisplayWords {
		if words[w] == 0 {
			t.Fatalf("no payment reads %q: the test does not cover it (%v)", w, words)
		}
	}
	from, to := all[200].CreatedAt, all[100].CreatedAt // the middle third, newest first
	cases := 0
	for _, w := range append([]DisplayWord{""}, DisplayWords...) {
		for _, cur := range []string{"", "SGD", "EUR", "AUD"} {
			for _, cs := range append([]CaptureState{""}, CaptureNone, CapturePending, CapturePartial, CaptureFull, CaptureNotApply) {
				for _, att := range []bool{false, true} {
					for _, dates := range []bool{false, true} {
						f := PaymentFilter{Display: w, Currency: cur, CaptureState: cs, NeedsAttention: att, Limit: 7}
						if dates {
							f.From, f.To = from, to
						}
						var want, got []int64
						for i := range all {
							if f.matches(&all[i], clk.Now()) {
								want = append(want, all[i].ID)
							}
						}
						for cursor := ""; ; {
							f.Cursor = cursor
							page, err := s.ListPayments(ctx, f)
							if err != nil {
								t.Fatalf("%+v: %v", f, err)
							}
							if len(page.Items) > 7 {
								t.Fatalf("%+v: page of %d", f, len(page.Items))
							}
							for _, p := range page.Items {
								got = append(got, p.ID)
							}
							if cursor = page.NextCursor; cursor == "" || len(got) > len(all) {
								break
							}
						}
						if !slices.Equal(got, want) {
							t.Errorf("word %q currency %q capture %q attention %v dates %v: listed %v, want %v", w, cur, cs, att, dates, got, want)
						}
						cases++
					}
				}
			}
		}
	}
	t.Logf("%d filter combinations", cases)
}

// The facet expression of migration 0014 is listFacetSQL, in both dialects.
func TestListFacetMigrationMatchesCode(t *testing.T) {
	for _, dir := range []string{sqliteMigrations, postgresMigrations} {
		b, err := os.ReadFile(dir + "/0014_read_paths.sql")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "GENERATED ALWAYS AS ("+listFacetSQL+")") {
			t.Errorf("%s/0014_read_paths.sql: the list_facet expression is not listFacetSQL", dir)
		}
	}
}

// Each arm of a facet list page reads its facet index in order.
func TestListFacetPlans(t *testing.T) {
	sqliteOnly(t)
	s, _ := newTestStore(t)
	for _, tc := range []struct{ where, index string }{
		{"list_facet = ?", "payments_list_facet"},
		{"currency = ? AND list_facet = ?", "payments_list_currency_facet"},
		{"list_facet = ? AND flags <> 0", "payments_list_attention_facet"},
		{"currency = ? AND list_facet = ? AND flags <> 0 AND (created_at, id) < (?, ?)", "payments_list_attention_currency_facet"},
	} {
		args := []any{"SGD", "captured/CAPTURED", 1, 2}
		if !strings.HasPrefix(tc.where, "currency") {
			args = args[1:]
		}
		rows, err := s.rdb.Query("EXPLAIN QUERY PLAN SELECT "+paymentCols+" FROM payments WHERE "+tc.where+
			" ORDER BY created_at DESC, id DESC LIMIT 51", args[:strings.Count(tc.where, "?")]...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			plan.WriteString(detail + "\n")
		}
		rows.Close()
		if !strings.Contains(plan.String(), "INDEX "+tc.index+" ") || strings.Contains(plan.String(), "TEMP B-TREE") {
			t.Errorf("%s: want %s in order, got\n%s", tc.where, tc.index, plan.String())
		}
	}
	// The facets present: one seek each, on the same indexes.
	if _, err := s.listFacets(ctx, "SGD", true); err != nil {
		t.Fatal(err)
	}
}
