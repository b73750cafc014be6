package store

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"strings"
	"sync"
)

// Fragment searches on SQLite intersect the FTS5 lists of some of the
// fragment's trigrams and check each candidate key with GLOB. What a
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
	docs  map[string]int64
	total int64 // keys in the index (its upto)
	ready bool  // the vocabulary was read; before, fragmentMatch falls back to position
}

// loadTrigramStats reads the document counts of both fragment indexes'
// vocabularies, replacing the counts kept so far.
func (s *Store) loadTrigramStats(ctx context.Context) error {
	if err := s.trigrams.load(ctx, s.rdb, "search_fts_vocab", "search_fts_indexed"); err != nil {
		return err
	}
	return s.grams.load(ctx, s.rdb, "search_grams_vocab", "search_grams_indexed")
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
	docs := map[string]int64{}
	for rows.Next() {
		var term string
		var n int64
		if err := rows.Scan(&term, &n); err != nil {
			return err
		}
		docs[term] = n
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
	add := map[string]int64{}
	for _, text := range texts {
		seen := map[string]bool{}
		r := []rune(text)
		for i := 0; i+3 <= len(r); i++ {
			if tg := string(r[i : i+3]); !seen[tg] {
				seen[tg] = true
				add[tg]++
			}
		}
	}
	t.mu.Lock()
	if t.docs == nil {
		t.docs = map[string]int64{}
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
// ANDed; the GLOB on the key then checks each candidate.
//
// With the counts: the rarest trigram, and each next rarer one while its
// list is at most trigramListRatio times the rarest's (a list much longer
// than the candidates it would remove costs more to read than the GLOB
// checks it saves), up to maxFragmentTrigrams. A trigram no key holds
// makes the query match nothing at once. Without counts (the first
// seconds after start): the last trigrams of the fragment, IDs sharing
// their beginnings, skipping trigrams of one repeated character.
func (s *Store) fragmentMatch(key string) string {
	r := []rune(key)
	if len(r) < 3 {
		return "" // shorter than a trigram
	}
	if match, _, ok := s.trigrams.choose(r, 3); ok {
		return match
	}
	return matchOf(positionalTrigrams(r))
}

// planFragment is the index a fragment search reads (search_grams when
// grams, else search_fts) and its MATCH expression: of the two, the one
// whose estimated cost is lower. search_grams is a candidate only when
// gramsReady (complete as far as search_fts) and its counts are read.
func (s *Store) planFragment(key string, gramsReady bool) (grams bool, match string) {
	match = s.fragmentMatch(key)
	if !gramsReady || match == "" {
		return false, match
	}
	g := fragmentGramText(key)
	if g == "" {
		return false, match
	}
	gmatch, gcost, ok := s.grams.choose([]rune(g), 4)
	if !ok {
		return false, match
	}
	if _, cost, ok := s.trigrams.choose([]rune(key), 3); ok && cost <= gcost {
		return false, match
	}
	return true, gmatch
}

// verifyCost is what checking one candidate key (reading it and the GLOB)
// costs, in list entries read: measured at 1,000,000 payments, reading
// 512,000 entries took 8 ms and checking 46,000 candidates 6 ms.
const verifyCost = 10

// choose picks the lists of text's trigrams to intersect (see
// fragmentMatch) and estimates the search's cost: the entries read plus
// verifyCost per expected candidate. The candidates are estimated from the
// rarest list, narrowed by each other chosen list whose trigram does not
// overlap, in the text, the span of width characters of those already
// counted (overlapping trigrams of one ID mostly come together: "0093" and
// "0933"). width is how many characters of the key one trigram of text
// stands for. ok is false before the counts are read.
func (t *trigramStats) choose(text []rune, width int) (match string, cost float64, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.ready || len(text) < 3 {
		return "", 0, false
	}
	type term struct {
		tg  string
		pos int
	}
	seen := map[string]bool{}
	var all []term
	for i := 0; i+3 <= len(text); i++ {
		if tg := string(text[i : i+3]); !seen[tg] {
			seen[tg] = true
			all = append(all, term{tg, i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return t.docs[all[i].tg] < t.docs[all[j].tg] })
	first := t.docs[all[0].tg]
	var chosen []string
	var counted []int
	est := float64(first)
	total := float64(max(t.total, 1))
	for _, tm := range all {
		n := t.docs[tm.tg]
		if len(chosen) == maxFragmentTrigrams || (len(chosen) > 0 && n > trigramListRatio*max(first, 1)) {
			break
		}
		chosen = append(chosen, tm.tg)
		cost += float64(n)
		apart := true
		for _, p := range counted {
			if tm.pos > p-width && tm.pos < p+width {
				apart = false
			}
		}
		if apart {
			if len(counted) > 0 {
				est *= math.Min(1, float64(n)/total)
			}
			counted = append(counted, tm.pos)
		}
	}
	return matchOf(chosen), cost + verifyCost*est, true
}

// matchOf is an FTS5 query ANDing the trigrams, each quoted.
func matchOf(trigrams []string) string {
	q := make([]string, len(trigrams))
	for i, tg := range trigrams {
		q[i] = `"` + strings.ReplaceAll(tg, `"`, `""`) + `"`
	}
	return strings.Join(q, " AND ")
}

// trigramListRatio: see fragmentMatch.
var trigramListRatio int64 = 8

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
