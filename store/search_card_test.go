package store

import (
	"strings"
	"testing"
)

// A card-last-four search without an amount reads the matching IDs from
// the card index alone (searchCardIDsSQL): no table row per match, and no
// sort.
func TestCardSearchReadsTheIndexOnly(t *testing.T) {
	sqliteOnly(t) // reads SQLite's EXPLAIN QUERY PLAN output
	if searchCardIDsSQL == searchCardSQL || !strings.HasPrefix(searchCardIDsSQL, "SELECT id, 0, '' FROM payments WHERE") {
		t.Fatalf("searchCardIDsSQL is not searchCardSQL reading only the IDs: %s", searchCardIDsSQL)
	}
	s, _ := newTestStore(t)
	for _, tc := range []struct {
		name, where string
		args        []any
	}{
		{"card", "", []any{"0768", 51}},
		{"card and day", " AND created_at >= ? AND created_at < ?", []any{"0768", 1, 2, 51}},
	} {
		rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+searchCardIDsSQL+tc.where+" ORDER BY created_at DESC, id DESC LIMIT ?", tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		var p string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			p += detail + "\n"
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p, "USING COVERING INDEX payments_card_last4") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: want the covering card index, in order:\n%s", tc.name, p)
		}
	}
}
