package store

import (
	"context"
	"database/sql"
	"hash/fnv"
	"strings"
)

// The second index of fragment search (migration 0016, SQLite only). A
// trigram index answers a fragment with the keys holding all of some of its
// trigrams, and the GLOB on the key checks each of them. That fails on the
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
// only add candidates: the GLOB on the key decides every match, as for
// search_fts. Which of the two indexes a search reads is chosen by the
// estimated cost of its lists (planFragment).

// runMin is the shortest run of one character written as a length.
const runMin = 3

// gramPairRunes is how many characters a pair of characters hashes to: the
// private-use planes 15 and 16 (U+F0000–U+FFFFD, U+100000–U+10FFFD), which
// no ID holds (and if one did, it would only add candidates).
const gramPairRunes = 2 * 0xFFFE

// runEncode is the run-length form of s (step 1 above).
func runEncode(s string) []rune {
	r := []rune(s)
	out := make([]rune, 0, len(r))
	for i := 0; i < len(r); {
		j := i + 1
		for j < len(r) && r[j] == r[i] {
			j++
		}
		if n := j - i; n >= runMin {
			// A key is at most MaxSearchText bytes; the mark only has to
			// differ between lengths.
			out = append(out, r[i], 0xF0000+rune(min(n, 0xFFFD)))
		} else {
			out = append(out, r[i:j]...)
		}
		i = j
	}
	return out
}

// pairText is step 2: each pair of neighbouring characters as one.
func pairText(t []rune) string {
	if len(t) < 2 {
		return ""
	}
	var b strings.Builder
	b.Grow(4 * (len(t) - 1))
	var buf [8]byte
	h := fnv.New32a()
	for i := 0; i+1 < len(t); i++ {
		h.Reset()
		a, c := t[i], t[i+1]
		buf = [8]byte{byte(a), byte(a >> 8), byte(a >> 16), byte(a >> 24), byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)}
		h.Write(buf[:])
		v := rune(h.Sum32() % gramPairRunes)
		if v < 0xFFFE {
			b.WriteRune(0xF0000 + v)
		} else {
			b.WriteRune(0x100000 + v - 0xFFFE)
		}
	}
	return b.String()
}

// gramText is what search_grams holds for a normalized key, or "" when the
// text is shorter than a trigram (the key is then not indexed here).
func gramText(key string) string {
	t := pairText(runEncode(key))
	if len([]rune(t)) < 3 {
		return ""
	}
	return t
}

// fragmentGramText is the text a key holding the normalized fragment f
// must hold in search_grams, or "" when f's inside is too short to say
// anything (fewer than 4 characters in run-length form).
//
// f's first run (say "3" or "000") may be longer in the key, so it is left
// out: the inside starts with another character, which starts its run in
// the key too. f's last run may also be longer in the key, but its
// character is known to follow the inside: the run-length form of any run
// of it starts with it. Every run in between is whole in the key.
func fragmentGramText(f string) string {
	r := []rune(f)
	i := 0
	for i < len(r) && r[i] == r[0] {
		i++
	}
	j := len(r)
	for j > i && r[j-1] == r[len(r)-1] {
		j--
	}
	if i >= j {
		return "" // one or two runs: nothing whole inside
	}
	q := append(runEncode(string(r[i:j])), r[len(r)-1])
	if len(q) < 4 {
		return ""
	}
	return pairText(q)
}

// gramsReady reports whether search_grams is complete as far as search_fts,
// so a fragment search may read it in search_fts's place (the keys above
// both are read directly, searchTailSQL).
func (s *Store) gramsReady(ctx context.Context) (bool, error) {
	var fts, grams int64
	err := s.rdb.QueryRowContext(ctx, "SELECT (SELECT upto FROM search_fts_indexed WHERE id = 1), (SELECT upto FROM search_grams_indexed WHERE id = 1)").Scan(&fts, &grams)
	if err != nil {
		return false, err
	}
	return grams >= fts, nil
}

// indexGrams adds the keys with rowid in (lo, hi] to search_grams inside
// tx and sets its upto to hi; it returns the texts added, for the counts.
func indexGrams(ctx context.Context, tx *sql.Tx, lo, hi int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, key FROM search_keys WHERE id > ? AND id <= ? ORDER BY id", lo, hi)
	if err != nil {
		return nil, err
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
			return nil, err
		}
		if t := gramText(key); t != "" {
			add = append(add, keyText{id, t})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	texts := make([]string, 0, len(add))
	if len(add) > 0 {
		ins, err := tx.PrepareContext(ctx, "INSERT INTO search_grams (rowid, g) VALUES (?, ?)")
		if err != nil {
			return nil, err
		}
		defer ins.Close()
		for _, a := range add {
			if _, err := ins.ExecContext(ctx, a.id, a.text); err != nil {
				return nil, err
			}
			texts = append(texts, a.text)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE search_grams_indexed SET upto = ? WHERE id = 1", hi); err != nil {
		return nil, err
	}
	return texts, nil
}
