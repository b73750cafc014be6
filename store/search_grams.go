package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"
)

// The second index of fragment search (migration 0016, SQLite only). A
// trigram index answers a fragment with the keys holding all of some of its
// trigrams, and instr on the key checks each of them. That fails on the
// IDs people quote most: zero-padded numbers. "…b0000000000000000093" has
// the trigrams "000", "009" and "093", which at 1,000,000 payments about
// 46,000 keys share (every number beginning with 93, 930–939, 9300–9399…
// has "0093" in its padding), and checking them took 18 ms.
//
// search_grams indexes, per key, the text gramText makes of it:
//
//  1. runs of runMin or more of one character become the character and a
//     mark of the run's exact length ("b" + 17×"0" + "93" → b 0 ⟨17⟩ 9 3);
//  2. each pair of neighbouring characters of that becomes one character
//     (a hash of the pair in Unicode's private-use planes).
//
// A trigram of the text then stands for four neighbouring characters of
// the run-length form: "0⟨17⟩93" says "17 zeros, then 93", which about 85
// keys hold at 1,000,000 payments. A fragment is made into text the same
// way from its inside (fragmentGramText): its first and last runs may go on
// in the key beyond the fragment, so their length is unknown, but every run
// between them is whole. Hash collisions and the index's own coarseness
// only add candidates: instr on the key decides every match, as for
// search_fts. Which of the two indexes a search reads is chosen by the
// estimated cost of its lists (planFragment).

// runMin is the shortest run of one character written as a length.
const runMin = 3

// gramPairRunes is how many characters a pair of characters hashes to: the
// private-use planes 15 and 16 (U+F0000–U+FFFFD, U+100000–U+10FFFD), which
// no ID holds (and if one did, it would only add candidates).
const gramPairRunes = 2 * 0xFFFE

// runsOf calls yield for each run of one character in r, in order, with
// the character and its length.
func runsOf(r []rune, yield func(c rune, n int)) {
	for i := 0; i < len(r); {
		j := i + 1
		for j < len(r) && r[j] == r[i] {
			j++
		}
		yield(r[i], j-i)
		i = j
	}
}

// runEncode is the run-length form of s (step 1 above).
func runEncode(s string) []rune {
	r := []rune(s)
	out := make([]rune, 0, len(r))
	runsOf(r, func(c rune, n int) {
		if n >= runMin {
			out = append(out, c, runMark(n))
		} else {
			for range n {
				out = append(out, c)
			}
		}
	})
	return out
}

// runMark is the mark of a run of n: a key is at most MaxSearchText
// bytes, and marks only have to differ between lengths.
func runMark(n int) rune { return 0xF0000 + rune(min(n, 0xFFFD)) }

// maxRun is the longest run a key can hold.
const maxRun = MaxSearchText

// pairText is step 2: each pair of neighbouring characters as one.
func pairText(t []rune) string {
	if len(t) < 2 {
		return ""
	}
	var b strings.Builder
	b.Grow(4 * (len(t) - 1))
	for i := 0; i+1 < len(t); i++ {
		b.WriteRune(pairRune(t[i], t[i+1]))
	}
	return b.String()
}

// pairRune is the character a pair stands for: FNV-1a of the two code
// points (hash/fnv's algorithm, written out so that a pair costs no
// allocation), in the private-use planes.
func pairRune(a, c rune) rune {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for _, v := range [2]rune{a, c} {
		for k := 0; k < 4; k++ {
			h ^= uint32(byte(v >> (8 * k)))
			h *= prime
		}
	}
	v := rune(h % gramPairRunes)
	if v < 0xFFFE {
		return 0xF0000 + v
	}
	return 0x100000 + v - 0xFFFE
}

// Run edges: besides the pair text, a key's text holds, for each run of
// runMin or more, the run between its neighbours: the character before it
// (of the run before, whatever its length), the run's character and
// length, and the character after it, with runStart and runEnd at the
// key's ends. Its trigrams say "a run of exactly n a's after p" and "…
// before c", which is what a fragment of two runs says and the pair text
// cannot ("00000000000000000001" has nothing whole between its runs: at
// 1,000,000 payments its plain trigrams "000" and "001" are in nearly every
// key). The trigrams across the joins of these groups are in no fragment's
// lists: they only add a few entries per key.
const (
	runStart = '\uE000'
	runEnd   = '\uE001'
)

// runEdges are the groups above, one after another.
func runEdges(key string) []rune {
	r := []rune(key)
	var out []rune
	prev, at := rune(runStart), 0
	runsOf(r, func(c rune, n int) {
		at += n
		if n >= runMin {
			next := rune(runEnd)
			if at < len(r) {
				next = r[at]
			}
			out = append(out, prev, c, runMark(n), next)
		}
		prev = c
	})
	return out
}

// gramText is what search_grams holds for a normalized key: the pair text
// and the run edges, or "" when that is shorter than a trigram (the key is
// then not indexed here). A change to it needs a migration that empties
// search_grams: the counts of its trigrams tell a search that no key holds
// one, and a key indexed the old way would then be missed.
func gramText(key string) string {
	t := pairText(runEncode(key)) + string(runEdges(key))
	if utf8.RuneCountInString(t) < 3 {
		return ""
	}
	return t
}

// fragmentGramTerms are the lists of search_grams a key holding the
// normalized fragment f must be in: each trigram of the text of f's inside,
// and, where f begins or ends with a run of runMin or more, the trigrams
// of any longer run there, ORed. None when f says too little (one or two
// runs, or an inside too short).
//
// f's first run (say "3" or "000") may be longer in the key, so it is left
// out of the inside, which starts with another character and so starts its
// run in the key too. f's last run may also be longer in the key, but its
// character is known to follow the inside: the run-length form of any run
// of it starts with it. Every run in between is whole in the key. A first
// or last run of runMin or more is one of at least that length in the key,
// which is written as the character and one of the marks from there on.
func fragmentGramTerms(f string) []listTerm {
	r := []rune(f)
	i := 0
	for i < len(r) && r[i] == r[0] {
		i++
	}
	j := len(r)
	for j > i && r[j-1] == r[len(r)-1] {
		j--
	}
	if i == len(r) {
		return nil // one run
	}
	// The run edges of the first and last runs: a first run of at least
	// runMin ends before f's next character in the key, and a last one
	// begins after the character before it (runEdges).
	var terms []listTerm
	if i >= runMin {
		c, next := r[0], r[i]
		terms = append(terms, listTerm{run: &runAlts{from: i, at: func(m rune) [3]rune { return [3]rune{c, m, next} }}, lo: -2, hi: 1})
	}
	if last := len(r) - j; last >= runMin {
		prev, c := r[len(r)-last-1], r[len(r)-1]
		k := len(runEncode(string(r[i:j])))
		terms = append(terms, listTerm{run: &runAlts{from: last, at: func(m rune) [3]rune { return [3]rune{prev, c, m} }}, lo: k - 1, hi: k + 1})
	}
	if i >= j {
		return terms // two runs: nothing whole inside
	}
	q := append(runEncode(string(r[i:j])), r[len(r)-1])
	// q[k..k+3] is the trigram of pair text at k.
	p := []rune(pairText(q))
	seen := map[string]bool{}
	for k := 0; k+3 <= len(p); k++ {
		if tg := string(p[k : k+3]); !seen[tg] {
			seen[tg] = true
			terms = append(terms, listTerm{alts: []string{tg}, lo: k, hi: k + 4})
		}
	}
	if first := i; first >= runMin && len(q) >= 2 {
		// r[0], ⟨m⟩, q[0], q[1] for every m from first on.
		c, q0, q01 := r[0], q[0], pairRune(q[0], q[1])
		at := func(m rune) [3]rune { return [3]rune{pairRune(c, m), pairRune(m, q0), q01} }
		terms = append(terms, listTerm{run: &runAlts{from: first, at: at}, lo: -2, hi: 2})
	}
	if last := len(r) - j; last >= runMin && len(q) >= 3 {
		// q[-3], q[-2], q[-1] (the last run's character), ⟨n⟩.
		k := len(q) - 3
		p01, p12, c := pairRune(q[k], q[k+1]), pairRune(q[k+1], q[k+2]), q[k+2]
		at := func(m rune) [3]rune { return [3]rune{p01, p12, pairRune(c, m)} }
		terms = append(terms, listTerm{run: &runAlts{from: last, at: at}, lo: k, hi: k + 4})
	}
	return terms
}

// runAlts is the list of a run the fragment cuts, whose length in the key
// is only bounded below: the trigram at(runMark(n)) for each length n from
// from to maxRun, ORed. It is a function rather than up to 256 strings
// made on every search; choose keeps only the lengths some key has
// (issue 14, BenchmarkPlanFragment: 22–52 µs and 9–18 KB per plan with
// the strings, 13–32 µs and 1–2.5 KB without).
type runAlts struct {
	from int
	at   func(mark rune) [3]rune
}

// gramsReady reports whether search_grams is complete as far as search_fts,
// so a fragment search may read it in search_fts's place (the keys above
// both are read directly, searchTailSQL), and whether its counts cover it.
// Counts behind the index (keys another process indexed) could make a
// plan skip a length a key has: search_fts is read until the indexer's
// next round reads them again (loadGramStatsLocked).
func (s *Store) gramsReady(ctx context.Context) (bool, error) {
	var fts, grams int64
	err := s.rdb.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_fts_indexed WHERE id = 1), (SELECT upto FROM search_grams_indexed WHERE id = 1)").Scan(&fts, &grams)
	if err != nil {
		return false, err
	}
	return grams >= fts && s.grams.covers(grams), nil
}

// indexGrams adds the keys with rowid in (lo, hi] to search_grams inside
// tx, sets its upto to hi and adds the keys' trigrams to stats before the
// commit: a trigram the counts do not know is then in no committed key
// (fragmentGramTerms relies on it; a rollback only leaves counts high).
func indexGrams(ctx context.Context, tx *sql.Tx, lo, hi int64, stats *trigramStats) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, key FROM search_keys WHERE id > ? AND id <= ? ORDER BY id", lo, hi)
	if err != nil {
		return err
	}
	type keyText struct {
		id   int64
		text string
	}
	var add []keyText
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		if t := gramText(key); t != "" {
			add = append(add, keyText{id, t})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	texts := make([]string, 0, len(add))
	if len(add) > 0 {
		ins, err := tx.PrepareContext(ctx, "INSERT INTO search_grams (rowid, g) VALUES (?, ?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, a := range add {
			if _, err := ins.ExecContext(ctx, a.id, a.text); err != nil {
				return err
			}
			texts = append(texts, a.text)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE search_grams_indexed SET upto = ? WHERE id = 1", hi); err != nil {
		return err
	}
	stats.follow(lo)
	stats.add(texts, hi)
	return nil
}
