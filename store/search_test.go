package store

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

// searchWorld is a small ledger with one payment carrying every kind of
// ID (a capture and a refund with their IDs and acquirer references), and
// others that share parts of those IDs.
type searchWorld struct {
	s                *Store
	clk              *fakeClock
	p                *Payment // the payment the searches look for
	capture          *Capture
	refund           *Refund
	captureAcquirer  string
	otherOrderPrefix *Payment // ORD-20435X: shares the prefix "ORD-20435"
}

func newSearchWorld(t *testing.T) *searchWorld {
	t.Helper()
	s, clk := newTestStore(t)
	w := &searchWorld{s: s, clk: clk}
	clk.Add(time.Hour)
	w.otherOrderPrefix = mustReady(t, s, func(n *NewPayment) {
		n.PaymentRequestID, n.ReferenceOrderID, n.BuyerID = "pay-other-1", "ORD-204359", "BUYER-OTHER"
	})
	clk.Add(time.Hour)
	w.p = mustReady(t, s, func(n *NewPayment) {
		n.PaymentRequestID = "PayReq-7Ab3-XYZ"
		n.ReferenceOrderID, n.BuyerID, n.CaptureMode = "ORD-20435", "BUYER-42", antom.CaptureManual
	})
	deliver(t, s, paymentResult(w.p.PaymentRequestID, "20251203 1145 0000 1234 5678", "S", "SUCCESS", 4200))
	c, err := beginCapture(s, w.p.PaymentRequestID, 100, "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, captureResult("20251203 1145 0000 1234 5678", c.CaptureRequestID, "2025CAPID99", "S", 100))
	w.captureAcquirer = "ACQ-2025CAPID99"
	r, err := beginRefund(s, w.p.PaymentRequestID, 50, "test", "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, refundResult(r.RefundRequestID, "2025REFID33", "S", 50))
	w.capture, w.refund = c, r
	return w
}

// The search inputs of issue 11: case, spaces, dashes, prefixes,
// fragments, every ID column, and which capture or refund matched.
// Each search runs twice: with the IDs not yet in the trigram index (read
// directly), then indexed. (On PostgreSQL every write keeps the trigram
// index: there is nothing to index later.)
func TestSearchFinds(t *testing.T) {
	w := newSearchWorld(t)
	for _, indexed := range []bool{false, true} {
		if indexed && w.s.pg {
			if n, err := w.s.IndexSearchKeys(ctx); err != nil || n != 0 {
				t.Fatalf("IndexSearchKeys on PostgreSQL = %d, %v; want nothing to do", n, err)
			}
		} else if indexed {
			if n, err := w.s.IndexSearchKeys(ctx); err != nil || n < 10 {
				t.Fatalf("IndexSearchKeys = %d, %v; want the world's keys", n, err)
			}
			if n, err := w.s.IndexSearchKeys(ctx); err != nil || n != 0 {
				t.Fatalf("IndexSearchKeys again = %d, %v; want nothing left", n, err)
			}
		}
		t.Run(fmt.Sprintf("indexed=%v", indexed), func(t *testing.T) { searchFinds(t, w) })
	}
	if !w.s.pg {
		// Again with the trigram counts read (the trigrams chosen by rarity,
		// search_trigrams.go): the same answers.
		if err := w.s.loadTrigramStats(ctx); err != nil {
			t.Fatal(err)
		}
		t.Run("counted", func(t *testing.T) { searchFinds(t, w) })
	}
}

func searchFinds(t *testing.T, w *searchWorld) {
	p := w.p.PaymentRequestID
	other := w.otherOrderPrefix.PaymentRequestID
	for _, tc := range []struct {
		name, q   string
		want      []string // paymentRequestIds, in rank order
		match     MatchKind
		field     string
		highlight string // "capture", "refund" or ""
		exact     bool   // Exact(): one payment matched exactly
	}{
		{"paymentRequestId as stored", p, []string{p}, MatchExact, "paymentRequestId", "", true},
		{"paymentRequestId upper case", strings.ToUpper(p), []string{p}, MatchExact, "paymentRequestId", "", true},
		{"paymentRequestId without dashes", "payreq7ab3xyz", []string{p}, MatchExact, "paymentRequestId", "", true},
		{"order lower case", "ord-20435", []string{p}, MatchExact, "referenceOrderId", "", true},
		{"order without dash", "ORD20435", []string{p}, MatchExact, "referenceOrderId", "", true},
		{"order with a space for the dash", "ord 20435", []string{p}, MatchExact, "referenceOrderId", "", true},
		{"paymentId pasted without spaces", "20251203114500001234 5678", []string{p}, MatchExact, "paymentId", "", true},
		{"paymentId with other spaces", " 2025 1203 1145 0000 1234 5678\t", []string{p}, MatchExact, "paymentId", "", true},
		{"paymentId with a no-break space", "20251203\u00a011450000 12345678", []string{p}, MatchExact, "paymentId", "", true},
		{"buyer ID", "buyer-42", []string{p}, MatchExact, "buyer ID", "", true},
		{"captureId lower case", "2025capid99", []string{p}, MatchExact, "captureId", "capture", true},
		{"captureRequestId", w.capture.CaptureRequestID, []string{p}, MatchExact, "captureRequestId", "capture", true},
		{"capture acquirer reference", "acq2025capid99", []string{p}, MatchExact, "capture acquirer reference", "capture", true},
		{"refundId", "2025refid33", []string{p}, MatchExact, "refundId", "refund", true},
		{"refundRequestId upper case", strings.ToUpper(w.refund.RefundRequestID), []string{p}, MatchExact, "refundRequestId", "refund", true},
		{"an exact match wins over a longer ID it is the prefix of", "ORD-20435", []string{p}, MatchExact, "referenceOrderId", "", true},
		{"order prefix shared by two", "ord-2043", []string{p, other}, MatchPrefix, "referenceOrderId", "", false},
		{"digits of an order: prefix of none, fragment of two", "20435", []string{p, other}, MatchFragment, "referenceOrderId", "", false},
		{"paymentRequestId prefix", "payreq-7a", []string{p}, MatchPrefix, "paymentRequestId", "", false},
		{"fragment from the middle of a paymentId", "0000 1234", []string{p}, MatchFragment, "paymentId", "", false},
		{"fragment of a refundId", "refid3", []string{p}, MatchFragment, "refundId", "refund", false},
		{"three characters", "7ab", []string{p}, MatchFragment, "paymentRequestId", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := w.s.Search(ctx, SearchQuery{Text: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.PaymentRequestID)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			h := res.Hits[0]
			if h.Match != tc.match || h.Field != tc.field {
				t.Errorf("first hit matched %v by %q, want %v by %q", h.Match, h.Field, tc.match, tc.field)
			}
			wantHL := map[string]string{"capture": w.capture.CaptureRequestID, "refund": w.refund.RefundRequestID}[tc.highlight]
			if h.Highlight != wantHL {
				t.Errorf("highlight = %q, want %q", h.Highlight, wantHL)
			}
			if _, exact := res.Exact(); exact != tc.exact {
				t.Errorf("Exact() = %v, want %v", exact, tc.exact)
			}
			if h.Currency == "" || h.AmountMinor == 0 {
				t.Errorf("hit not loaded: %+v", h.Payment)
			}
		})
	}
	for _, q := range []string{"ORD-99999", "zz", "7a", "--", "0000 9999"} {
		res, err := w.s.Search(ctx, SearchQuery{Text: q})
		if err != nil || len(res.Hits) != 0 {
			t.Errorf("%q: %d hits, %v; want none", q, len(res.Hits), err)
		}
	}
}

// Card last four: many matches ask for a second criterion; a date or an
// amount narrows them.
func TestSearchCardLast4(t *testing.T) {
	s, clk := newTestStore(t)
	day1 := clk.Now()
	var last *Payment
	for i := range CardNarrowAt + 5 {
		if i == CardNarrowAt {
			clk.Add(48 * time.Hour) // the last 5 are two days later
		}
		amount := int64(1000 + i)
		p := mustReady(t, s, func(n *NewPayment) { n.AmountMinor = amount; n.ReferenceOrderID = fmt.Sprintf("o-%d", i) })
		deliver(t, s, paymentResult(p.PaymentRequestID, fmt.Sprintf("PID%d", i), "S", "SUCCESS", amount))
		last = p
	}
	day3 := clk.Now()
	dayStart := func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) }
	// An unpaid payment whose order ID merely contains the four digits: a
	// narrowed card search never lists it.
	mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "ORD-90768-1" })
	for _, tc := range []struct {
		name     string
		q        SearchQuery
		n        int
		more     bool
		narrow   bool
		firstIsP *Payment
	}{
		{"many: ask for a second criterion", SearchQuery{Text: "0768"}, CardNarrowAt + 5, false, true, last},
		{"with spaces", SearchQuery{Text: " 07 68 "}, CardNarrowAt + 5, false, true, last},
		{"capped", SearchQuery{Text: "0768", Limit: 10}, 10, true, true, last},
		{"narrowed by date", SearchQuery{Text: "0768", From: dayStart(day3), To: dayStart(day3).Add(24 * time.Hour)}, 5, false, false, last},
		{"narrowed by the first day", SearchQuery{Text: "0768", From: dayStart(day1), To: dayStart(day1).Add(24 * time.Hour)}, CardNarrowAt, false, false, nil},
		{"narrowed by amount", SearchQuery{Text: "0768", Amount: "10.24"}, 1, false, false, last},
		{"amount matching none", SearchQuery{Text: "0768", Amount: "99.99"}, 0, false, false, nil},
		{"a day without card payments", SearchQuery{Text: "0768", From: dayStart(day1).Add(24 * time.Hour), To: dayStart(day1).Add(48 * time.Hour)}, 0, false, false, nil},
		{"other last four", SearchQuery{Text: "1234"}, 0, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.Search(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != tc.n || res.More != tc.more || res.NeedsNarrowing != tc.narrow || !res.CardLast4 {
				t.Fatalf("got %d hits, more %v, narrow %v, card %v; want %d, %v, %v, true",
					len(res.Hits), res.More, res.NeedsNarrowing, res.CardLast4, tc.n, tc.more, tc.narrow)
			}
			for _, h := range res.Hits {
				if h.Match != MatchCardLast4 || h.CardLast4 != "0768" {
					t.Errorf("hit %s matched %v with card %q", h.PaymentRequestID, h.Match, h.CardLast4)
				}
			}
			if tc.firstIsP != nil && res.Hits[0].PaymentRequestID != tc.firstIsP.PaymentRequestID {
				t.Errorf("first hit %s, want the newest %s", res.Hits[0].PaymentRequestID, tc.firstIsP.PaymentRequestID)
			}
		})
	}
	var fe *FieldError
	if _, err := s.Search(ctx, SearchQuery{Text: "0768", Amount: "ten"}); !errors.As(err, &fe) || fe.Field != "amount" {
		t.Errorf("bad amount: %v, want a field error on amount", err)
	}
	// Through ListPayments (the list with filters), the dates narrow in SQL.
	page, err := s.ListPayments(ctx, PaymentFilter{Query: "0768", From: dayStart(day3), To: dayStart(day3).Add(24 * time.Hour)})
	if err != nil || len(page.Items) != 5 {
		t.Errorf("ListPayments by last four and day: %d, %v; want 5", len(page.Items), err)
	}
	page, err = s.ListPayments(ctx, PaymentFilter{Query: "0768", Amount: "10.00"})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("ListPayments by last four and amount: %d, %v; want 1", len(page.Items), err)
	}
}

// NormalizeID in Go and the expression of migration 0009 agree.
func TestNormalizeIDMatchesSQL(t *testing.T) {
	s, _ := newTestStore(t)
	expr := `lower(replace(replace(replace(replace(replace(?, ' ', ''), '-', ''), char(9), ''), char(10), ''), char(13), ''))`
	if s.pg {
		expr = "search_key_of(?)" // the same expression, as a function of migrations/postgres/0009
	}
	for _, in := range []string{"ORD-20435", "pay_ABC_001", " a b\tc\nd\re- ", "Ünïcode-ID", "2025 0000-1111", "a%b_c*d", "", "----"} {
		var got string
		if err := s.rdb.QueryRow("SELECT "+expr, in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != NormalizeID(in) {
			t.Errorf("%q: SQL %q, Go %q", in, got, NormalizeID(in))
		}
	}
}

// Migration 0009 backfills the search keys of a ledger written before it.
func TestSearchMigrationBackfills(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID, n.CaptureMode = "ORD-OLD-1", antom.CaptureManual })
	deliver(t, s, paymentResult(p.PaymentRequestID, "2024OLDPID1", "S", "SUCCESS", 4200))
	c, err := beginCapture(s, p.PaymentRequestID, 100, "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, captureResult("2024OLDPID1", c.CaptureRequestID, "2024OLDCAP1", "S", 100))
	r, err := beginRefund(s, p.PaymentRequestID, 50, "test", "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, refundResult(r.RefundRequestID, "2024OLDREF1", "S", 50))
	q := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "ORD-OLD-2" })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0009: its tables, indexes and triggers gone.
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'index') AND (name LIKE 'search%' OR name LIKE 'payments_card_last4%')")
	if err != nil {
		t.Fatal(err)
	}
	var drops []string
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			t.Fatal(err)
		}
		drops = append(drops, "DROP "+typ+" "+name)
	}
	rows.Close()
	drops = append(drops, "DROP TABLE search_fts", "DROP TABLE search_keys", "DROP TABLE search_fts_indexed", "DELETE FROM schema_migrations WHERE version = 9")
	for _, d := range drops {
		if _, err := db.Exec(d); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	if len(drops) < 19 {
		t.Fatalf("only %d schema objects of 0009 found to drop: %v", len(drops), drops)
	}
	db.Close()

	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct{ q, want string }{
		{"ord-old-1", p.PaymentRequestID}, {"2024oldpid1", p.PaymentRequestID}, {"2024 OLD CAP 1", p.PaymentRequestID},
		{"acq2024oldcap1", p.PaymentRequestID}, {strings.ToLower(c.CaptureRequestID), p.PaymentRequestID},
		{"2024oldref1", p.PaymentRequestID}, {r.RefundRequestID, p.PaymentRequestID},
		{"OLD-2", q.PaymentRequestID}, {strings.ToUpper(q.PaymentRequestID), q.PaymentRequestID},
	} {
		res, err := s.Search(ctx, SearchQuery{Text: tc.q})
		if err != nil || len(res.Hits) != 1 || res.Hits[0].PaymentRequestID != tc.want {
			t.Errorf("%q after the backfill: %+v, %v; want %s", tc.q, res, err, tc.want)
		}
	}
	// The triggers are back too: a new payment is found at once.
	n := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "ORD-NEW-1" })
	if got, err := s.FindPayment(ctx, "ordnew1"); err != nil || len(got) != 1 || got[0].PaymentRequestID != n.PaymentRequestID {
		t.Errorf("new payment after the migration: %v, %v", got, err)
	}
}

// searchPlansUseIndexes checks the search queries' plans (called from
// TestQueryPlansUseIndexes).
func searchPlansUseIndexes(t *testing.T, plan func(string, ...any) string, noScan func(string, string)) {
	t.Helper()
	uses := func(name, p, index string) {
		t.Helper()
		noScan(name, p)
		if !strings.Contains(p, index) {
			t.Errorf("%s does not use %s:\n%s", name, index, p)
		}
	}
	uses("exact search", plan(searchExactSQL, "x", 10), "search_keys_key")
	uses("prefix search", plan(searchPrefixSQL, "abcd", "abcd\xff", 10), "search_keys_key")
	uses("fragment search of the keys not yet indexed", plan(searchTailSQL, "*abc*", 10), "INTEGER PRIMARY KEY (rowid>?)")
	// FTS5 answers the MATCH from its trigram index (plan "INDEX n:M…");
	// the scan it reports is of that index, not of a table.
	p := plan(searchFragmentSQL, `"abc"`, "*abc*", 10)
	if !strings.Contains(p, "VIRTUAL TABLE INDEX") || !strings.Contains(p, ":M") || !strings.Contains(p, "SEARCH k USING INTEGER PRIMARY KEY") {
		t.Errorf("fragment search does not read the trigram index:\n%s", p)
	}
	uses("card search", plan(searchCardSQL+" ORDER BY created_at DESC, id DESC LIMIT ?", "0768", 10), "payments_card_last4")
	uses("card search by date", plan(searchCardSQL+" AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?", "0768", 1, 2, 10), "payments_card_last4")
	uses("card search by amount", plan(searchCardAmountSQL+" AND amount_minor IN (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?", "0768", 1, 100, 10), "payments_card_last4_amount")
}

func TestFragmentMatch(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", `"abc"`},
		{"abcd", `"bcd" AND "abc"`},
		{"0000", `"000"`},
		{"000012", `"012" AND "001"`},
		{"abcabcabc", `"abc" AND "cab" AND "bca"`},
		{"a\"bc", `"""bc" AND "a""b"`},
		{"0123456789", `"789" AND "678" AND "567" AND "456"`},
		{"\xff\xfe", ""},
	} {
		if got := (&Store{}).fragmentMatch(tc.in); got != tc.want { // no counts: by position
			t.Errorf("fragmentMatch(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// An ID that changes leaves its old key behind in neither index, whether
// the old key was in the trigram index yet or not.
func TestSearchKeysFollowIDChanges(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s, func(n *NewPayment) { n.BuyerID = "BUYER-OLD-77" })
	for i, indexFirst := range []bool{true, false} {
		if indexFirst {
			if _, err := s.IndexSearchKeys(ctx); err != nil {
				t.Fatal(err)
			}
		}
		newBuyer := fmt.Sprintf("BUYER-NEW-%d", i)
		if _, err := s.wdb.Exec("UPDATE payments SET buyer_id = ? WHERE id = ?", newBuyer, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IndexSearchKeys(ctx); err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL the GIN index is the server's to keep; the searches
		// below read it.
		if !s.pg {
			if _, err := s.wdb.Exec("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')"); err != nil {
				t.Fatalf("trigram index after an ID change: %v", err)
			}
		}
		for _, q := range []string{newBuyer, "new-" + fmt.Sprint(i), "yernew"} {
			if got, err := s.FindPayment(ctx, q); err != nil || len(got) != 1 {
				t.Errorf("%q: %d hits, %v; want the payment", q, len(got), err)
			}
		}
		for _, q := range []string{"BUYER-OLD-77", "old-77"} {
			if got, err := s.FindPayment(ctx, q); !errors.Is(err, ErrNotFound) {
				t.Errorf("old buyer %q still finds %d payments (%v)", q, len(got), err)
			}
		}
		p.BuyerID = newBuyer
	}
}

// A fragment holding what GLOB or LIKE would read as a pattern ('*', '?',
// '[', '%', '_') matches only itself, indexed or not.
func TestFragmentWithPatternCharacters(t *testing.T) {
	s, _ := newTestStore(t)
	want := mustReady(t, s, func(n *NewPayment) { n.PaymentRequestID = "pay*ab?c[d]%e_f" })
	mustReady(t, s, func(n *NewPayment) { n.PaymentRequestID = "payXabYcZd]Qe_f" })
	for _, indexed := range []bool{false, true} {
		if indexed && !s.pg {
			if _, err := s.IndexSearchKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.loadTrigramStats(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []string{"*ab?c[d", "?c[d]%", "d]%e"} {
			res, err := s.Search(ctx, SearchQuery{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 1 || res.Hits[0].PaymentRequestID != want.PaymentRequestID || res.Hits[0].Match != MatchFragment {
				t.Errorf("indexed=%v %q: %+v, want only %s as a fragment", indexed, q, res.Hits, want.PaymentRequestID)
			}
		}
	}
}
