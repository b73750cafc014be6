package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"paydesk/store/storetest"
)

// The run-length index never loses a match: for every key and every
// fragment of it, each list the fragment's search may read holds the key
// (for a list of several, ORed, one of them does). Keys are drawn from few
// characters with long runs, the case the index is for.
func TestGramTermsHoldEveryFragment(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("0019ab-x\u00e9")
	checked, ored := 0, 0
	for range 1000 {
		var b strings.Builder
		for b.Len() < 8+r.IntN(30) {
			c := alphabet[r.IntN(len(alphabet))]
			for range 1 + r.IntN(6)*r.IntN(4) { // runs from 1 to 16
				b.WriteRune(c)
			}
		}
		key := NormalizeID(b.String())
		text := gramText(key)
		kr := []rune(key)
		for i := 0; i < len(kr); i++ {
			for j := i + minFragmentLen; j <= len(kr); j++ {
				f := string(kr[i:j])
				for _, tm := range fragmentGramTerms(f) {
					checked++
					if tm.run != nil {
						ored++
					}
					if !slices.ContainsFunc(tm.all(), func(a string) bool { return strings.Contains(text, a) }) {
						t.Fatalf("key %q holds %q, but not the fragment's list %q", key, f, tm.all())
					}
				}
			}
		}
	}
	if checked < 50000 || ored < 5000 {
		t.Fatalf("only %d lists (%d of runs cut by the fragment) checked", checked, ored)
	}
	// And the lists tell runs apart: a key with 17 zeros then 93 is not in
	// every list of 18 zeros then 93, nor of 9 or more zeros then 95.
	text := gramText("b" + strings.Repeat("0", 17) + "93")
	for _, f := range []string{"b" + strings.Repeat("0", 18) + "93", strings.Repeat("0", 9) + "95", strings.Repeat("0", 18) + "9", strings.Repeat("0", 16) + "1"} {
		excluded := false
		for _, tm := range fragmentGramTerms(f) {
			if !slices.ContainsFunc(tm.all(), func(a string) bool { return strings.Contains(text, a) }) {
				excluded = true
			}
		}
		if !excluded {
			t.Errorf("every list of %q holds the key with 17 zeros then 93", f)
		}
	}
}

func TestFragmentGramTerms(t *testing.T) {
	for _, tc := range []struct {
		in         string
		lists, ors int
	}{
		{"0000", 0, 0},              // one run
		{"000999", 2, 2},            // two runs: at least 3 zeros before 9, at least 3 nines after 0
		{"0093", 0, 0},              // inside "9" + "3": too short, the first run under 3
		{"00093", 2, 2},             // the first run of at least 3 zeros, then 93; and its edge
		{"a0093", 1, 0},             // inside "009" + "3"
		{"b0000000000000093", 1, 0}, // 14 zeros, 9, then 3
		{"000000000093", 2, 2},      // at least 10 zeros, 9, 3; and its edge
		{"abcd", 0, 0},              // inside "bc" + "d"
		{"abcde", 1, 0},
		{"9300000", 1, 1},                // inside "3" + "0": too short; at least 5 zeros after 3
		{"19300000", 2, 2},               // inside "93" + "0", then at least 5 zeros; and its edge
		{"b0000000000000000000", 1, 1},   // two runs: at least 19 zeros after b
		{"db50000000000000000000", 2, 2}, // "b5" + "0", then at least 19 zeros; and its edge
		{"00000000000000000001", 1, 1},   // two runs: at least 19 zeros before 1
	} {
		terms := fragmentGramTerms(tc.in)
		ors := 0
		for _, tm := range terms {
			if tm.run != nil {
				ors++
			}
		}
		if len(terms) != tc.lists || ors != tc.ors {
			t.Errorf("fragmentGramTerms(%q): %d lists, %d of a bounded run; want %d and %d", tc.in, len(terms), ors, tc.lists, tc.ors)
		}
	}
	if gramText("ab") != "" || gramText("abcd") == "" {
		t.Error("gramText: keys under 4 characters have no text, longer ones do")
	}
}

// Zero-padded numbers: a fragment of one is found through search_grams,
// with the same payments a scan of every key finds, before the index has
// caught up (search_fts alone), after it, and after an ID changes.
func TestFragmentSearchReadsRunLengthIndex(t *testing.T) {
	s, _ := newTestStore(t)
	if s.pg {
		t.Skip("SQLite's FTS5 indexes; PostgreSQL's pg_trgm answers LIKE itself")
	}
	const n = 300
	for i := range n {
		mustReady(t, s, func(p *NewPayment) {
			p.PaymentRequestID = fmt.Sprintf("pay-tag%020d", i)
			p.ReferenceOrderID = fmt.Sprintf("ORD-%09d", i/2)
			p.BuyerID = fmt.Sprintf("B%07d", i%97)
		})
	}
	if _, err := s.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.loadTrigramStats(ctx); err != nil {
		t.Fatal(err)
	}
	search := func(f string) []int64 {
		t.Helper()
		res, err := s.Search(ctx, SearchQuery{Text: f})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		slices.Sort(ids)
		return ids
	}
	fragments := []string{
		"tag0000000000000000009", "ag00000000000000000023", "g0000000000000000029", // inside a paymentRequestId
		"00000000000000001", "000000123", "00000014", // zeros first
		"rd000000012", "d00000001", "00000099", "0000009",
		"b000001", "000004", "0000250", "y-tag0",
		// Ending or beginning with a run whose length in the key is only
		// bounded; the last longer than any key's (no list: nothing).
		"ytag0000000000000000", "ytag000000000000000000", "ytag" + strings.Repeat("0", 25),
		"00000000000000000012", "000000000000000000001", "0000000000000000000000001", "rd0000000",
		// Two runs, nothing whole between them: only the run edges say
		// something (runEdges).
		"0000000000000000007", "00000000000000000011", "00000000000000000000111", "0000000005",
		"g000", "yta", strings.Repeat("0", 21), "7000",
	}
	check := func(stage string, wantGrams bool) {
		t.Helper()
		ready, err := s.gramsReady(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ready != wantGrams {
			t.Fatalf("%s: gramsReady = %v, want %v", stage, ready, wantGrams)
		}
		used := 0
		for _, f := range fragments {
			key := NormalizeID(f)
			if s.planFragment(key, ready).grams {
				used++
			}
			want, got := scanKeys(t, s, f), search(f)
			if len(want) > SearchLimit {
				continue // capped: the first 50 only
			}
			// An exact or prefix match answers alone; only fragments that
			// start no key are compared with the scan.
			if res, _ := s.Search(ctx, SearchQuery{Text: f}); len(res.Hits) > 0 && res.Hits[0].Match != MatchFragment {
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q found %v, a scan of the keys %v", stage, f, got, want)
			}
		}
		// Which index is cheaper depends on the counts; for the number
		// with 19 zeros before its digit, search_fts's lists hold every
		// key of the tag, search_grams's one holds ten; for 18 zeros or
		// more before a 7, one.
		for _, f := range []string{"tag0000000000000000009", "0000000000000000007"} {
			if wantGrams && !s.planFragment(f, ready).grams {
				t.Errorf("%s: search_grams not read for %q (%d of %d fragments read it)", stage, f, used, len(fragments))
			}
		}
		if !wantGrams && used > 0 {
			t.Errorf("%s: search_grams read %d times before it caught up", stage, used)
		}
	}
	check("indexed", true)

	// The state a database migrated to 0016 starts in: search_fts full,
	// search_grams empty. Searches read search_fts until the backfill.
	if _, err := s.wdb.Exec("INSERT INTO search_grams (search_grams) VALUES ('delete-all')"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.Exec("UPDATE search_grams_indexed SET upto = 0"); err != nil {
		t.Fatal(err)
	}
	s.grams = trigramStats{}
	if err := s.loadTrigramStats(ctx); err != nil {
		t.Fatal(err)
	}
	check("before the backfill", false)
	if err := s.gramsBackfill(ctx); err != nil {
		t.Fatal(err)
	}
	check("after the backfill", true)

	// An ID that changes leaves search_grams with its key.
	if _, err := s.wdb.Exec("UPDATE payments SET payment_request_id = 'pay-moved0000000000077' WHERE payment_request_id = ?", fmt.Sprintf("pay-tag%020d", 77)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.Exec("INSERT INTO search_grams (search_grams) VALUES ('integrity-check')"); err != nil {
		t.Fatalf("search_grams after an ID change: %v", err)
	}
	fragments = append(fragments, "moved00000000000077", "g0000000000000000077")
	check("after an ID change", true)
	if got := search("ved0000000000077"); len(got) != 1 {
		t.Errorf("the changed ID's fragment finds %v", got)
	}
}

// Migration 0017 and the indexer's merge steps: segments written by many
// indexing transactions are merged until no level holds two, in bounded
// steps, and every fragment still finds what a scan of the keys finds.
func TestSearchIndexesMergeSegments(t *testing.T) {
	s, _ := newTestStore(t)
	if s.pg {
		t.Skip("SQLite's FTS5 indexes")
	}
	segments := func(table string) int {
		t.Helper()
		var n int
		if err := s.rdb.QueryRow("SELECT count(DISTINCT segid) FROM " + table + "_idx").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Two segments on a level are enough for a merge step (FTS5 waits for
	// 4 by default; at 1,000,000 payments up to 3 per level were left).
	for _, table := range []string{"search_fts", "search_grams"} {
		var v int
		if err := s.rdb.QueryRow("SELECT v FROM " + table + "_config WHERE k = 'usermerge'").Scan(&v); err != nil || v != 2 {
			t.Errorf("%s usermerge = %d (%v), want 2", table, v, err)
		}
	}
	// One indexing transaction per payment: one segment each, as a
	// second's keys make.
	const n = 24
	for i := range n {
		mustReady(t, s, func(p *NewPayment) { p.PaymentRequestID = fmt.Sprintf("pay-seg%020d", i) })
		if _, err := s.IndexSearchKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]int{}
	for _, table := range []string{"search_fts", "search_grams"} {
		before[table] = segments(table)
		if before[table] < 6 {
			t.Fatalf("%s: %d segments after %d indexing transactions; FTS5 merged more than expected", table, before[table], n)
		}
	}
	steps := 0
	for more := true; more; steps++ {
		var err error
		if more, err = s.mergeSearchIndexes(ctx, 1, 1); err != nil {
			t.Fatal(err)
		}
		if steps > 1000 {
			t.Fatal("the merge steps never ran out of work")
		}
	}
	for _, table := range []string{"search_fts", "search_grams"} {
		// Levels hold segments of sizes growing by powers of two: at most
		// one per level is left, far fewer than before.
		after := segments(table)
		if after >= before[table] || after > 5 {
			t.Errorf("%s: %d segments before the merge steps, %d after", table, before[table], after)
		}
		t.Logf("%s: %d segments, %d after %d merge rounds", table, before[table], after, steps)
		if _, err := s.wdb.Exec("INSERT INTO " + table + " (" + table + ") VALUES ('integrity-check')"); err != nil {
			t.Errorf("%s after merging: %v", table, err)
		}
	}
	if more, err := s.mergeSearchIndexes(ctx, 16, 4); err != nil || more {
		t.Errorf("a merged index: more = %v, err = %v", more, err)
	}
	if err := s.loadTrigramStats(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"g00000000000000000017", "0000000000000000023", "seg0000000000000000000", "00000000000000000009"} {
		res, err := s.Search(ctx, SearchQuery{Text: f})
		if err != nil {
			t.Fatal(err)
		}
		want := len(scanKeys(t, s, f))
		if len(res.Hits) != want || want == 0 {
			t.Errorf("%q after merging: %d hits, a scan of the keys finds %d", f, len(res.Hits), want)
		}
	}
}

// scanKeys is what a scan of every key finds for fragment f, as a sorted
// set of payment rowids: GLOB on each key, independently of the search's
// index reads and instr.
func scanKeys(t *testing.T, s *Store, f string) []int64 {
	t.Helper()
	rows, err := s.rdb.Query("SELECT DISTINCT payment_fk FROM search_keys WHERE key GLOB ? ORDER BY payment_fk", "*"+globLiteral(NormalizeID(f))+"*")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// globLiteral escapes GLOB's special characters so the text matches
// itself.
func globLiteral(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// all are the list's trigrams: alts, or one per length of the run.
func (tm listTerm) all() []string {
	if tm.run == nil {
		return tm.alts
	}
	alts := make([]string, 0, maxRun-tm.run.from+1)
	for n := tm.run.from; n <= maxRun; n++ {
		tg := tm.run.at(runMark(n))
		alts = append(alts, string(tg[:]))
	}
	return alts
}

// Keys another process indexed into the same database (the load tool
// seeding a running server) are in no count of this store's: its plans
// must not take a length the counts do not know as absent. It reads
// search_fts until its indexer's next round reads the counts again, and
// finds what a scan of the keys finds throughout.
func TestGramCountsBehindAnotherWriter(t *testing.T) {
	if storetest.Postgres() {
		t.Skip("SQLite's FTS5 indexes, one file shared by two stores")
	}
	dir := t.TempDir()
	open := func() *Store {
		s, err := Open(ctx, dir, WithSearchIndexEvery(0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	server := open()
	if err := server.loadTrigramStats(ctx); err != nil {
		t.Fatal(err)
	}
	other := open()
	for i := range 40 {
		mustReady(t, other, func(p *NewPayment) { p.PaymentRequestID = fmt.Sprintf("pay-other%020d", i*7) })
	}
	if _, err := other.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	fragments := []string{"00000000000000000007", "0000000000000000014", "her00000000000000000"}
	check := func(stage string, wantGrams bool) {
		t.Helper()
		ready, err := server.gramsReady(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ready != wantGrams {
			t.Errorf("%s: search_grams ready = %v, want %v", stage, ready, wantGrams)
		}
		for _, f := range fragments {
			res, err := server.Search(ctx, SearchQuery{Text: f})
			if err != nil {
				t.Fatal(err)
			}
			want := scanKeys(t, server, f)
			if len(res.Hits) != len(want) || len(want) == 0 {
				t.Errorf("%s: %q: %d hits, a scan of the keys finds %d", stage, f, len(res.Hits), len(want))
			}
		}
	}
	check("counts behind", false)
	// The server's indexer then indexes keys of its own (counting them):
	// it reads the counts again first, or they would cover the index
	// while missing the other store's lengths of runs.
	for i := range 3 {
		mustReady(t, server, func(p *NewPayment) { p.PaymentRequestID = fmt.Sprintf("pay-own%020d", 7+i) })
	}
	if _, err := server.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	check("counts read again", true)

	// The same race, closer: the other store indexes between the server's
	// look at its counts and its own indexing transaction. The server's
	// counts then end beyond the other's keys without holding them.
	for i := range 40 {
		mustReady(t, other, func(p *NewPayment) { p.PaymentRequestID = fmt.Sprintf("pay-late%020d", 1000+i*7) })
	}
	if _, err := other.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	mustReady(t, server, func(p *NewPayment) { p.PaymentRequestID = fmt.Sprintf("pay-own%020d", 1007) })
	err := server.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// What IndexSearchKeys's transaction does, without its look first.
		var lo, hi int64
		if err := tx.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_grams_indexed WHERE id = 1), (SELECT max(id) FROM search_keys)").Scan(&lo, &hi); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO search_fts (rowid, key) SELECT id, key FROM search_keys WHERE id > ? AND id <= ?", lo, hi); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE search_fts_indexed SET upto = ? WHERE id = 1", hi); err != nil {
			return err
		}
		return indexGrams(ctx, tx, lo, hi, &server.grams)
	})
	if err != nil {
		t.Fatal(err)
	}
	fragments = append(fragments, "0000000000000001007", "late000000000000000")
	check("counts with a hole", false)
	if _, err := server.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	check("counts read again after the hole", true)
}
