package store

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Fragment searches on SQLite intersect the FTS5 lists of some of the
// fragment's trigrams and check each candidate key with instr. What a
// fragment costs is the length of the lists read and the number of
// candidates checked, and both depend on which trigrams are chosen: at
// 1,000,000 payments the list of a trigram of a merchant's tag or of the
// zeros padding a number holds 3 to 5 million keys (0.1 to 0.4 s to read),
// while a trigram of the number's own digits holds 20,000 to 60,000. The
// position in the fragment says little about that (issue 14: choosing the
// last four trigrams gave a 38 ms p99), so the trigrams are chosen by how
// many keys hold them: the document counts of the index's vocabulary
// (search_fts_vocab, migration 0014), read once in the background at start
// and kept up to date by the indexer, which counts the trigrams of the keys
// it adds. The counts only order the choice: a search reads the same index
// and checks every candidate whatever they say, so stale or missing counts
// cost time, never a match.

// trigramStats is how many search keys hold each trigram.
type trigramStats struct {
	mu    sync.RWMutex
	docs  map[termKey]int64
	total int64 // keys in the index (its upto)
	ready bool  // the vocabulary was read; before, fragmentMatch falls back to position
}

// termKey is a trigram as a map key: its UTF-8 bytes, NUL-padded. Three
// characters take at most 12 bytes, and a key with no pointer keeps the
// maps of counts out of the collector's scan: with string keys every
// entry was a pointer it followed on every cycle (issue 14).
type termKey [12]byte

// keyOfTerm is term's key. A longer term (not a trigram of the tokenizer)
// shares one key with every other: its count is then an overestimate,
// never a zero that would make a search skip a list.
func keyOfTerm(term string) termKey {
	var k termKey
	if len(term) > len(k) {
		return termKey{0xFF}
	}
	copy(k[:], term)
	return k
}

// keyOfRunes is keyOfTerm(string(tg[:])) without making the string: three
// characters take at most 12 bytes.
func keyOfRunes(tg [3]rune) termKey {
	var k termKey
	n := 0
	for _, c := range tg {
		n += utf8.EncodeRune(k[n:], c)
	}
	return k
}

// loadTrigramStats reads the document counts of both fragment indexes'
// vocabularies: search_grams's when they do not cover the index (the
// indexer keeps them from then on, see indexGrams), search_fts's again on
// every call.
func (s *Store) loadTrigramStats(ctx context.Context) error {
	if err := s.loadGramStats(ctx); err != nil {
		return err
	}
	return s.trigrams.load(ctx, s.rdb, "search_fts_vocab", "search_fts_indexed")
}

// loadGramStats reads search_grams's counts unless they cover every key
// the index holds: not while the indexer adds to them, so that they are
// never below the truth.
func (s *Store) loadGramStats(ctx context.Context) error {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	return s.loadGramStatsLocked(ctx)
}

// loadGramStatsLocked is loadGramStats with indexMu held. Keys this store
// indexes are counted before their commit (indexGrams); keys another
// process indexed into the same file (the load tool seeding a running
// server, a restored copy) are not, and the counts are then read again.
func (s *Store) loadGramStatsLocked(ctx context.Context) error {
	var upto int64
	if err := s.rdb.QueryRowContext(ctx, "SELECT upto FROM search_grams_indexed WHERE id = 1").Scan(&upto); err != nil {
		return err
	}
	if s.grams.covers(upto) {
		return nil
	}
	return s.grams.load(ctx, s.rdb, "search_grams_vocab", "search_grams_indexed")
}

// follow is told, before keys from rowid lo on are added to the counts,
// where the index stood: counts that stop short of lo miss keys another
// process indexed in between (their total would still pass them beyond
// it), so they no longer cover the index until read again.
func (t *trigramStats) follow(lo int64) {
	t.mu.Lock()
	if t.total < lo {
		t.ready = false
	}
	t.mu.Unlock()
}

// covers reports whether the counts were read and count every key of the
// index up to rowid upto: only then does a trigram they do not know stand
// for no key (choose relies on it).
func (t *trigramStats) covers(upto int64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.ready && t.total >= upto
}

// load reads the vocabulary's document counts and, as the number of keys,
// how far the index is complete (rowids; keys are rarely deleted).
func (t *trigramStats) load(ctx context.Context, db *sql.DB, vocab, indexed string) error {
	var total int64
	if err := db.QueryRowContext(ctx, "SELECT upto FROM "+indexed+" WHERE id = 1").Scan(&total); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT term, doc FROM "+vocab)
	if err != nil {
		return err
	}
	defer rows.Close()
	docs := map[termKey]int64{}
	for rows.Next() {
		var term string
		var n int64
		if err := rows.Scan(&term, &n); err != nil {
			return err
		}
		docs[keyOfTerm(term)] += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	t.docs, t.total, t.ready = docs, total, true
	t.mu.Unlock()
	return nil
}

// countTrigrams adds the trigrams of the keys with rowid in (lo, hi], just
// added to search_fts, to its counts.
func (s *Store) countTrigrams(ctx context.Context, db *sql.DB, lo, hi int64) error {
	rows, err := db.QueryContext(ctx, "SELECT key FROM search_keys WHERE id > ? AND id <= ?", lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return err
		}
		keys = append(keys, key)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.trigrams.add(keys, hi)
	return nil
}

// add counts the trigrams of texts just indexed, the index now complete up
// to rowid upto.
func (t *trigramStats) add(texts []string, upto int64) {
	add := map[termKey]int64{}
	seen := map[termKey]bool{}
	for _, text := range texts {
		clear(seen)
		r := []rune(text)
		for i := 0; i+3 <= len(r); i++ {
			if tg := keyOfRunes([3]rune(r[i : i+3])); !seen[tg] {
				seen[tg] = true
				add[tg]++
			}
		}
	}
	t.mu.Lock()
	if t.docs == nil {
		t.docs = map[termKey]int64{}
	}
	for k, n := range add {
		t.docs[k] += n
	}
	t.total = max(t.total, upto)
	t.mu.Unlock()
}

// maxFragmentTrigrams bounds the lists a fragment search intersects.
const maxFragmentTrigrams = 4

// fragmentMatch is the FTS5 query of search_fts that finds the candidates
// for a fragment (at least 3 characters): some of its distinct trigrams,
// ANDed; instr on the key then checks each candidate.
//
// With the counts: the rarest trigram, and each next rarer one while its
// list is at most verifyCost times the candidates expected so far (a list
// much longer than the candidates it would remove costs more to read than
// the checks it saves), up to maxFragmentTrigrams (see choose). A trigram no key holds
// makes the query match nothing at once. Without counts (the first
// seconds after start): the last trigrams of the fragment, IDs sharing
// their beginnings, skipping trigrams of one repeated character.
func (s *Store) fragmentMatch(key string) string {
	r := []rune(key)
	if len(r) < 3 {
		return "" // shorter than a trigram
	}
	if p, ok := s.trigrams.choose(plainTerms(r)); ok {
		return p.match
	}
	var and []string
	for _, tg := range positionalTrigrams(r) {
		and = append(and, matchOf([]string{tg}))
	}
	return strings.Join(and, " AND ")
}

// plainTerms are the distinct trigrams of r, each covering its 3
// characters.
func plainTerms(r []rune) []listTerm {
	seen := map[string]bool{}
	var terms []listTerm
	for i := 0; i+3 <= len(r); i++ {
		if tg := string(r[i : i+3]); !seen[tg] {
			seen[tg] = true
			terms = append(terms, listTerm{alts: []string{tg}, lo: i, hi: i + 3})
		}
	}
	return terms
}

// fragmentPlan is what a fragment search reads: the index (search_grams
// when grams, else search_fts) and the MATCH expression; none when the
// index's counts show that no key it holds can match (only the keys not
// yet indexed are then read).
type fragmentPlan struct {
	grams bool
	match string
	none  bool
	cost  float64
}

// planFragment chooses, of the two indexes, the one whose estimated cost
// is lower. search_grams is a candidate only when gramsReady (complete as
// far as search_fts) and its counts are read.
func (s *Store) planFragment(key string, gramsReady bool) fragmentPlan {
	r := []rune(key)
	plain, plainOK := s.trigrams.choose(plainTerms(r))
	if !plainOK {
		plain = fragmentPlan{match: s.fragmentMatch(key)} // by position, cost unknown
	}
	if !gramsReady {
		return plain
	}
	terms := fragmentGramTerms(key)
	if len(terms) == 0 {
		return plain
	}
	g, ok := s.grams.choose(terms)
	if !ok || (plainOK && plain.cost <= g.cost) {
		return plain
	}
	g.grams = true
	return g
}

// verifyCost is what checking one candidate key (reading it and instr)
// costs, in list entries read: measured at 1,000,000 payments, reading
// 512,000 entries took 8 ms and checking 46,000 candidates 6 ms.
const verifyCost = 10

// listTerm is one list a fragment search may read: a trigram, or several
// ORed (search_grams at a run the fragment cuts, whose length in the key
// is only bounded). lo and hi are the characters it covers, for telling
// which lists say something of their own.
type listTerm struct {
	alts   []string
	run    *runAlts // instead of alts: a run of a bounded length
	lo, hi int
}

// choose picks the lists to intersect (see fragmentMatch) and estimates
// the search's cost: the entries read plus verifyCost per expected
// candidate. The candidates are estimated from the rarest list, narrowed
// by each other chosen list that covers none of the characters of those
// already counted (overlapping trigrams of one ID mostly come together:
// "0093" and "0933"). A term none of whose trigrams any key holds makes
// the plan none. ok is false before the counts are read.
func (t *trigramStats) choose(terms []listTerm) (p fragmentPlan, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.ready || len(terms) == 0 {
		return p, false
	}
	type counted struct {
		listTerm
		n int64
	}
	all := make([]counted, 0, len(terms))
	for _, tm := range terms {
		if tm.run != nil {
			// A run of a bounded length: only the lengths some key has. The
			// indexer counts a key's trigrams before its commit, so a
			// trigram no count knows is in no indexed key.
			var known []string
			for n := tm.run.from; n <= maxRun; n++ {
				tg := tm.run.at(runMark(n))
				if t.docs[keyOfRunes(tg)] > 0 {
					known = append(known, string(tg[:]))
				}
			}
			if len(known) == 0 {
				return fragmentPlan{none: true}, true
			}
			tm.alts, tm.run = known, nil
		}
		var n int64
		for _, a := range tm.alts {
			n += t.docs[keyOfTerm(a)]
		}
		all = append(all, counted{tm, n})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].n < all[j].n })
	var chosen []string
	var spans [][2]int
	est := float64(all[0].n)
	total := float64(max(t.total, 1))
	for _, c := range all {
		// A list longer than verifyCost times the candidates expected so
		// far costs more to read than checking them all would.
		if len(chosen) == maxFragmentTrigrams || (len(chosen) > 0 && float64(c.n) >= verifyCost*max(est, 1)) {
			break
		}
		chosen = append(chosen, matchOf(c.alts))
		p.cost += float64(c.n)
		apart := true
		for _, sp := range spans {
			if c.lo < sp[1] && sp[0] < c.hi {
				apart = false
			}
		}
		if apart {
			if len(spans) > 0 {
				est *= math.Min(1, float64(c.n)/total)
			}
			spans = append(spans, [2]int{c.lo, c.hi})
		}
	}
	p.match = strings.Join(chosen, " AND ")
	p.cost += verifyCost * est
	return p, true
}

// matchOf is an FTS5 query ORing the trigrams, each quoted (parenthesized
// when more than one).
func matchOf(trigrams []string) string {
	q := make([]string, len(trigrams))
	for i, tg := range trigrams {
		q[i] = `"` + strings.ReplaceAll(tg, `"`, `""`) + `"`
	}
	if len(q) == 1 {
		return q[0]
	}
	return "(" + strings.Join(q, " OR ") + ")"
}

// positionalTrigrams are up to maxFragmentTrigrams distinct trigrams taken
// from the end of r, those of one repeated character ("000") left out
// while others remain.
func positionalTrigrams(r []rune) []string {
	seen := map[string]bool{}
	var telling []string
	for i := len(r) - 3; i >= 0 && len(telling) < maxFragmentTrigrams; i-- {
		tg := string(r[i : i+3])
		if seen[tg] || (r[i] == r[i+1] && r[i+1] == r[i+2]) {
			continue
		}
		seen[tg] = true
		telling = append(telling, tg)
	}
	if len(telling) == 0 {
		telling = []string{string(r[len(r)-3:])}
	}
	return telling
}
