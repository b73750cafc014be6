package store

import (
	"context"
	"database/sql"
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
	ready bool // the vocabulary was read; before, fragmentMatch falls back to position
}

// loadTrigramStats reads the vocabulary's document counts, replacing the
// counts kept so far.
func (s *Store) loadTrigramStats(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, "SELECT term, doc FROM search_fts_vocab")
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
	t := &s.trigrams
	t.mu.Lock()
	t.docs, t.ready = docs, true
	t.mu.Unlock()
	return nil
}

// countTrigrams adds the trigrams of the keys with rowid in (lo, hi], just
// added to the index, to the counts.
func (s *Store) countTrigrams(ctx context.Context, db *sql.DB, lo, hi int64) error {
	rows, err := db.QueryContext(ctx, "SELECT key FROM search_keys WHERE id > ? AND id <= ?", lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	add := map[string]int64{}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return err
		}
		seen := map[string]bool{}
		r := []rune(key)
		for i := 0; i+3 <= len(r); i++ {
			if tg := string(r[i : i+3]); !seen[tg] {
				seen[tg] = true
				add[tg]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	t := &s.trigrams
	t.mu.Lock()
	if t.docs == nil {
		t.docs = map[string]int64{}
	}
	for k, n := range add {
		t.docs[k] += n
	}
	t.mu.Unlock()
	return nil
}

// maxFragmentTrigrams bounds the lists a fragment search intersects.
const maxFragmentTrigrams = 4

// fragmentMatch is the FTS5 query that finds the candidates for a fragment
// (at least 3 characters): some of its distinct trigrams, ANDed; the GLOB
// on the key then checks each candidate.
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
	var chosen []string
	t := &s.trigrams
	t.mu.RLock()
	if t.ready {
		seen := map[string]bool{}
		var all []string
		for i := 0; i+3 <= len(r); i++ {
			if tg := string(r[i : i+3]); !seen[tg] {
				seen[tg] = true
				all = append(all, tg)
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return t.docs[all[i]] < t.docs[all[j]] })
		first := t.docs[all[0]]
		for _, tg := range all {
			if len(chosen) == maxFragmentTrigrams || (len(chosen) > 0 && t.docs[tg] > trigramListRatio*max(first, 1)) {
				break
			}
			chosen = append(chosen, tg)
		}
	}
	t.mu.RUnlock()
	if chosen == nil {
		chosen = positionalTrigrams(r)
	}
	for i, tg := range chosen {
		chosen[i] = `"` + strings.ReplaceAll(tg, `"`, `""`) + `"`
	}
	return strings.Join(chosen, " AND ")
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
