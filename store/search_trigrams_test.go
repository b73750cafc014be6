package store

import (
	"strings"
	"testing"
)

// A fragment search reads the lists of the fragment's rarest trigrams,
// whatever their position; the counts follow the keys the indexer adds;
// and a fragment holding a trigram no key has matches nothing.
func TestFragmentChoosesRarestTrigrams(t *testing.T) {
	s, _ := newTestStore(t)
	if s.pg {
		t.Skip("SQLite's trigram index; PostgreSQL's pg_trgm has its own statistics")
	}
	// Ten IDs share "qqq-wide"; one holds "zk7".
	for i, id := range []string{"wide-a1", "wide-a2", "wide-a3", "wide-a4", "wide-a5", "wide-a6", "wide-a7", "wide-a8", "wide-a9", "zk7-wide-b"} {
		mustReady(t, s, func(n *NewPayment) {
			n.PaymentRequestID, n.ReferenceOrderID, n.BuyerID = "qqq-"+id, "ORD-T"+string(rune('a'+i)), "BUYER-T"
		})
	}
	if _, err := s.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.loadTrigramStats(ctx); err != nil {
		t.Fatal(err)
	}
	s.trigrams.mu.RLock()
	wide, zk7 := s.trigrams.docs[keyOfTerm("wid")], s.trigrams.docs[keyOfTerm("zk7")]
	s.trigrams.mu.RUnlock()
	if wide < 10 || zk7 != 1 {
		t.Fatalf("counts: wid %d, zk7 %d; want ≥ 10 and 1", wide, zk7)
	}
	// "zk7", "k7w" and "7wi" are in one key, "wid" and "ide" in eleven:
	// those are not read, though they come last.
	if got := s.fragmentMatch("zk7wide"); got != `"zk7" AND "k7w" AND "7wi"` {
		t.Errorf("fragmentMatch(zk7wide) = %s, want the rare trigrams alone", got)
	}
	res, err := s.Search(ctx, SearchQuery{Text: "ZK7-WIDE"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].PaymentRequestID != "qqq-zk7-wide-b" || res.Hits[0].Match != MatchPrefix && res.Hits[0].Match != MatchFragment {
		t.Fatalf("search zk7-wide = %+v, %v; want the one payment", res, err)
	}
	res, err = s.Search(ctx, SearchQuery{Text: "7wide"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Match != MatchFragment {
		t.Fatalf("search 7wide = %+v, %v; want the one payment as a fragment", res, err)
	}
	// A trigram no key holds: no list is long, the search finds nothing.
	if got := s.fragmentMatch("widexj9"); !strings.HasPrefix(got, `"xj9"`) && !strings.HasPrefix(got, `"exj"`) && !strings.HasPrefix(got, `"dex"`) {
		t.Errorf("fragmentMatch(widexj9) = %s, want an unknown trigram first", got)
	}
	if res, err := s.Search(ctx, SearchQuery{Text: "widexj9"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("search widexj9 = %+v, %v; want nothing", res, err)
	}
	// The indexer counts the keys it adds.
	mustReady(t, s, func(n *NewPayment) {
		n.PaymentRequestID, n.ReferenceOrderID, n.BuyerID = "qqq-zk7-new", "ORD-T-new", "BUYER-T"
	})
	if _, err := s.IndexSearchKeys(ctx); err != nil {
		t.Fatal(err)
	}
	s.trigrams.mu.RLock()
	zk7 = s.trigrams.docs[keyOfTerm("zk7")]
	s.trigrams.mu.RUnlock()
	if zk7 != 2 {
		t.Errorf("zk7 counted %d times after indexing another key holding it, want 2", zk7)
	}
	res, err = s.Search(ctx, SearchQuery{Text: "zk7"})
	if err != nil || len(res.Hits) != 2 {
		t.Fatalf("search zk7 = %+v, %v; want both payments", res, err)
	}
}

// keyOfRunes is the key of the same three characters as a string, for the
// characters gram text is made of, and for ones that are not valid.
func TestKeyOfRunes(t *testing.T) {
	for _, tg := range [][3]rune{
		{'a', 'b', 'c'},
		{'0', runMark(17), '9'},
		{pairRune('b', '0'), pairRune('0', runMark(3)), runMark(maxRun)},
		{runStart, 'x', runEnd},
		{'\u00e9', 0xD800, -1},
	} {
		if got, want := keyOfRunes(tg), keyOfTerm(string(tg[:])); got != want {
			t.Errorf("keyOfRunes(%q) = %x, keyOfTerm = %x", tg, got, want)
		}
	}
}
