package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The run-length index never loses a match: for every key and every
// fragment of it, the fragment's text is inside the key's text (or the
// fragment says too little to be looked up there). Keys are drawn from
// few characters with long runs, the case the index is for.
func TestGramTextHoldsEveryFragment(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("0019ab-x\u00e9")
	checked := 0
	for range 1000 {
		var b strings.Builder
		for b.Len() < 8+r.IntN(30) {
			c := alphabet[r.IntN(len(alphabet))]
			for range 1 + r.IntN(6)*r.IntN(4) { // runs from 1 to 16
				b.WriteRune(c)
			}
		}
		key := NormalizeID(b.String())
		text := pairText(runEncode(key))
		kr := []rune(key)
		for i := 0; i < len(kr); i++ {
			for j := i + minFragmentLen; j <= len(kr); j++ {
				f := string(kr[i:j])
				g := fragmentGramText(f)
				if g == "" {
					continue
				}
				checked++
				if !strings.Contains(text, g) {
					t.Fatalf("key %q holds %q, but its text does not hold the fragment's", key, f)
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d fragments had a text; the property was hardly checked", checked)
	}
	// And the text tells runs apart: 17 zeros then 93 is not 18 zeros then 93.
	a, b := pairText(runEncode("b"+strings.Repeat("0", 17)+"93")), fragmentGramText("b"+strings.Repeat("0", 18)+"93")
	if strings.Contains(a, b) {
		t.Error("a run of 18 zeros matches a key with 17")
	}
}

func TestFragmentGramText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		none bool
	}{
		{"0000", true},               // one run
		{"000999", true},             // two runs: nothing whole inside
		{"0093", true},               // inside "9" + "3": too short
		{"a0093", false},             // inside "009" + "3"
		{"b0000000000000093", false}, // inside "0×15 9" + "3"
		{"abcd", true},               // inside "bc" + "d"
		{"abcde", false},
	} {
		if got := fragmentGramText(tc.in); (got == "") != tc.none {
			t.Errorf("fragmentGramText(%q) = %q, want none: %v", tc.in, got, tc.none)
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
	// What a scan of every key finds, as a set of payment rowids.
	scan := func(f string) []int64 {
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
		return ids
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
			if grams, _ := s.planFragment(key, ready); grams {
				used++
			}
			want, got := scan(f), search(f)
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
		// key of the tag, search_grams's one holds ten.
		if grams, _ := s.planFragment("tag0000000000000000009", ready); wantGrams && !grams {
			t.Errorf("%s: search_grams not read for the zero-padded number (%d of %d fragments read it)", stage, used, len(fragments))
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
