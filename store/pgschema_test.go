package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// schemaOnlyIn lists the deliberate differences between the two dialects'
// schemas: tables (and their columns and indexes) or indexes that exist in
// one of them only, each with its reason. Anything else that differs fails
// TestPostgresSchema.
var schemaOnlyIn = struct {
	sqliteTables   map[string]string
	postgresTables map[string]string
	sqliteIndexes  map[string]string // "table.index"
	postgresIndex  map[string]string // "table.index"
}{
	sqliteTables: map[string]string{
		"search_fts":           "FTS5 trigram table over search_keys; PostgreSQL has the GIN index search_keys_key_trgm",
		"search_fts_data":      "FTS5 shadow table of search_fts",
		"search_fts_idx":       "FTS5 shadow table of search_fts",
		"search_fts_config":    "FTS5 shadow table of search_fts",
		"search_fts_indexed":   "how far IndexSearchKeys filled search_fts; the GIN index needs no such mark",
		"search_fts_vocab":     "fts5vocab over search_fts: trigram counts for a fragment search's choice of lists; pg_trgm has its own statistics",
		"search_grams":         "FTS5 run-length index for fragment search (migration 0016); the GIN index answers LIKE itself",
		"search_grams_data":    "FTS5 shadow table of search_grams",
		"search_grams_idx":     "FTS5 shadow table of search_grams",
		"search_grams_config":  "FTS5 shadow table of search_grams",
		"search_grams_docsize": "FTS5 shadow table of search_grams",
		"search_grams_indexed": "how far IndexSearchKeys filled search_grams",
		"search_grams_vocab":   "fts5vocab over search_grams, as search_fts_vocab",
	},
	postgresTables: map[string]string{},
	sqliteIndexes:  map[string]string{},
	postgresIndex: map[string]string{
		"search_keys.search_keys_key_trgm": "pg_trgm GIN index for fragment search, in place of search_fts",
	},
}

// TestPostgresSchema applies every PostgreSQL migration to a fresh schema
// on the server of PAYDESK_TEST_DATABASE_URL and every SQLite migration to
// a fresh file, and checks that they name the same migrations and make the
// same tables, columns (with their NOT NULL) and indexes, but for the
// differences schemaOnlyIn lists.
func TestPostgresSchema(t *testing.T) {
	sqliteFiles, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	pgFiles, err := migrationFiles(migrationFS, postgresMigrations)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sqliteFiles, pgFiles) {
		t.Errorf("migrations differ:\nsqlite:   %v\npostgres: %v", sqliteFiles, pgFiles)
	}

	ctx := context.Background()
	lite, conn, schema := freshDatabases(t)
	for _, m := range sqliteFiles {
		applyMigration(t, ctx, lite, sqliteMigrations, m)
	}
	for _, m := range pgFiles {
		applyMigration(t, ctx, conn, postgresMigrations, m)
	}

	liteTables := queryStrings(t, ctx, lite, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	pgTables := queryStrings(t, ctx, conn, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, schema)
	for _, name := range liteTables {
		if _, ok := schemaOnlyIn.sqliteTables[name]; !ok && !slices.Contains(pgTables, name) {
			t.Errorf("table %s: in SQLite only", name)
		}
	}
	for _, name := range pgTables {
		if _, ok := schemaOnlyIn.postgresTables[name]; !ok && !slices.Contains(liteTables, name) {
			t.Errorf("table %s: in PostgreSQL only", name)
		}
	}
	for name := range schemaOnlyIn.sqliteTables {
		if !slices.Contains(liteTables, name) || slices.Contains(pgTables, name) {
			t.Errorf("table %s: listed as SQLite's only, but SQLite has it: %v, PostgreSQL has it: %v",
				name, slices.Contains(liteTables, name), slices.Contains(pgTables, name))
		}
	}

	for _, table := range pgTables {
		if !slices.Contains(liteTables, table) {
			continue
		}
		// Columns, each with whether it may be NULL. SQLite's primary key
		// columns are never NULL here (rowid aliases or WITHOUT ROWID keys).
		// table_xinfo, with hidden 2 and 3, lists generated columns too.
		liteCols := queryStrings(t, ctx, lite, `SELECT name || CASE WHEN "notnull" OR pk > 0 THEN ' NOT NULL' ELSE '' END
			FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)`, table)
		pgCols := queryStrings(t, ctx, conn, `SELECT column_name || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
			FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, schema, table)
		if !slices.Equal(liteCols, pgCols) {
			t.Errorf("table %s: columns differ\nsqlite:   %v\npostgres: %v", table, liteCols, pgCols)
		}

		// The indexes the migrations create by name; not those behind a
		// PRIMARY KEY or UNIQUE constraint, named differently by each.
		liteIdx := queryStrings(t, ctx, lite, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table)
		pgIdx := queryStrings(t, ctx, conn, `SELECT i.relname FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_class r ON r.oid = x.indrelid
			JOIN pg_namespace n ON n.oid = r.relnamespace
			WHERE n.nspname = $1 AND r.relname = $2
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conrelid = r.oid AND c.conindid = x.indexrelid)`, schema, table)
		for _, name := range liteIdx {
			if _, ok := schemaOnlyIn.sqliteIndexes[table+"."+name]; !ok && !slices.Contains(pgIdx, name) {
				t.Errorf("index %s.%s: in SQLite only", table, name)
			}
		}
		for _, name := range pgIdx {
			if _, ok := schemaOnlyIn.postgresIndex[table+"."+name]; !ok && !slices.Contains(liteIdx, name) {
				t.Errorf("index %s.%s: in PostgreSQL only", table, name)
			}
		}
	}
	sameBehaviour(t, ctx, lite, conn)

	for ti := range schemaOnlyIn.postgresIndex {
		table, name, _ := strings.Cut(ti, ".")
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname = $3`,
			schema, table, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("index %s: listed as PostgreSQL's only, but PostgreSQL does not have it", ti)
		}
	}
}

// freshDatabases opens an empty SQLite file and a connection whose
// search_path is a new schema (then public, where pg_trgm may live) on the
// server of PAYDESK_TEST_DATABASE_URL, dropped when the test ends; the test
// is skipped without that server.
func freshDatabases(t *testing.T) (lite *sql.DB, conn *sql.Conn, schema string) {
	t.Helper()
	url := os.Getenv("PAYDESK_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("PAYDESK_TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()
	lite, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pgdb, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err = pgdb.Conn(ctx)
	if err != nil {
		pgdb.Close()
		t.Fatalf("connect: %v", err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema = "paydesk_schema_test_" + hex.EncodeToString(b[:])
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer pgdb.Close()
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if _, err := conn.ExecContext(ctx, "SET search_path TO "+schema+", public"); err != nil {
		t.Fatal(err)
	}
	return lite, conn, schema
}

// TestPostgresMigrationsWithData applies the migrations of both dialects
// in steps, writing the same rows between them, so the data-fixing
// statements and backfills run on rows; afterwards both hold the same data.
func TestPostgresMigrationsWithData(t *testing.T) {
	ctx := context.Background()
	lite, conn, _ := freshDatabases(t)
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	type write struct {
		sql  string
		args []any
	}
	// Rows written before migration N, with the columns that exist then.
	before := map[int][]write{
		4: {
			{`INSERT INTO payments (payment_request_id, reference_order_id, buyer_id, amount_minor, currency, capture_mode,
				status, created_at, updated_at, seq, acquirer_ref, payment_id, created_by)
				VALUES (?, ?, ?, ?, 'SGD', 'MANUAL', ?, ?, ?, ?, ?, ?, ?)`,
				[]any{"PAY-1", "ORD-1", "Buyer 1", 1000, "SUCCESS", 10, 20, 1, "ACQ-P1", "2025-PID-1", "apikey:shop"}},
			{`INSERT INTO payments (payment_request_id, reference_order_id, buyer_id, amount_minor, currency, capture_mode,
				status, created_at, updated_at, seq, acquirer_ref, payment_id, created_by)
				VALUES (?, ?, ?, ?, 'SGD', 'MANUAL', ?, ?, ?, ?, ?, ?, ?)`,
				[]any{"pay-2", "ORD-2", "", 2000, "PROCESSING", 30, 40, 2, "", nil, "apikey:twice"}},
			{`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor, currency, status, actor, acquirer_ref, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'SGD', ?, ?, ?, ?, ?)`, []any{1, "CAP-1", "CAPID-1", 100, "PROCESSING", "user:a", "ACQ-C1", 50, 50}},
			{`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor, currency, status, actor, acquirer_ref, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'SGD', ?, ?, ?, ?, ?)`, []any{1, "CAP-2", nil, 200, "PROCESSING", "user:a", "", 60, 61}},
			{`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor, currency, status, actor, acquirer_ref, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'SGD', ?, ?, ?, ?, ?)`, []any{2, "CAP-3", nil, 300, "PROCESSING", "antom", "", 70, 70}},
			{`INSERT INTO refunds (payment_fk, refund_request_id, refund_id, amount_minor, currency, status, actor, reason, acquirer_ref, created_at, updated_at)
				VALUES (?, ?, ?, ?, 'SGD', ?, ?, ?, ?, ?, ?)`, []any{1, "REF-1", "REFID-1", 50, "PROCESSING", "user:b", "broken cup", "ACQ-R1", 80, 81}},
			{`INSERT INTO deliveries (id, received_at, path, headers, body, verdict, outcome, dedupe_key)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, []any{1, 90, "/n", `{"x":["é"]}`, []byte("héllo"), "ok", "applied", "k1"}},
			{`INSERT INTO deliveries (id, received_at, path, headers, body, verdict, outcome, dedupe_key, duplicate_of)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{2, 91, "/n", `{}`, []byte{0, 1, 2}, "ok", "duplicate", "k1", 1}},
			{`INSERT INTO deliveries (id, received_at, path, headers, body, verdict, outcome, parse_error)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, []any{3, 92, "/n", `{}`, []byte("x"), "bad", "rejected", "signature"}},
			{`INSERT INTO deliveries (id, received_at, path, headers, body, verdict, outcome, parse_error, dedupe_key)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, []any{4, 93, "/n", `{}`, []byte("y"), "ok", "rejected", "verified, but could not be applied: boom", "k2"}},
			{`INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?)`, []any{"shop", "pk_1", "h1", 5}},
			{`INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?)`, []any{"twice", "pk_2", "h2", 6}},
			{`INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?)`, []any{"twice", "pk_3", "h3", 7}},
		},
	}
	for _, m := range files {
		for _, w := range before[m.version] {
			if _, err := lite.ExecContext(ctx, w.sql, w.args...); err != nil {
				t.Fatalf("sqlite: %s: %v", w.sql, err)
			}
			if _, err := conn.ExecContext(ctx, dollarPlaceholders(w.sql), w.args...); err != nil {
				t.Fatalf("postgres: %s: %v", w.sql, err)
			}
		}
		applyMigration(t, ctx, lite, sqliteMigrations, m)
		applyMigration(t, ctx, conn, postgresMigrations, m)
	}
	for _, q := range []string{
		`SELECT payment_fk, kind, request_id, amount_minor, currency, reason, actor, state, mode, attempts, unknown,
			next_attempt_at, last_answer, created_at, updated_at FROM operations ORDER BY id`,
		`SELECT id, refused, body_size, headers_size, outcome FROM deliveries ORDER BY id`,
		`SELECT id, created_by_key, final_at FROM payments ORDER BY id`,
		`SELECT id, scopes FROM api_keys ORDER BY id`,
		`SELECT id, key, payment_fk, kind, sub_fk FROM search_keys ORDER BY id`,
		`SELECT dedupe_key, delivery_id FROM applied_notifications ORDER BY dedupe_key`,
	} {
		l, p := queryRows(t, ctx, lite, q), queryRows(t, ctx, conn, q)
		if !slices.Equal(l, p) || len(l) == 0 {
			t.Errorf("%s\nsqlite:   %q\npostgres: %q", q, l, p)
		}
	}
}

// dollarPlaceholders numbers a query's ? placeholders $1, $2… (the test's
// queries hold no ? in a literal).
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// queryRows returns a query's rows, each as its values printed, in order.
func queryRows(t *testing.T, ctx context.Context, db sqlExecer, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(v)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameBehaviour runs the same writes on both freshly migrated databases
// and checks that their triggers did the same: the search keys written and
// removed, the audit log refusing changes. The writes are plain SQL that
// both dialects take.
func sameBehaviour(t *testing.T, ctx context.Context, lite *sql.DB, pg *sql.Conn) {
	t.Helper()
	writes := []string{
		`INSERT INTO payments (payment_request_id, reference_order_id, buyer_id, amount_minor, currency, capture_mode,
			status, created_at, updated_at, seq, acquirer_ref)
			VALUES ('PAY-Ab c_1%', 'ORD-1` + "\u00c9\t" + `x', '', 100, 'SGD', 'MANUAL', 'INIT', 1, 1, 1, 'Acq` + "\r\n" + `X')`,
		`INSERT INTO payments (payment_request_id, reference_order_id, buyer_id, amount_minor, currency, capture_mode,
			status, created_at, updated_at, seq)
			VALUES ('pay-2', 'ORD-2', 'Buyer-2', 200, 'SGD', 'AUTOMATIC', 'INIT', 2, 2, 2)`,
		`INSERT INTO captures (payment_fk, capture_request_id, amount_minor, currency, status, acquirer_ref, created_at, updated_at)
			VALUES (1, 'CAP-1', 100, 'SGD', 'PROCESSING', 'ACQ-C1', 3, 3)`,
		`INSERT INTO refunds (payment_fk, refund_request_id, amount_minor, currency, status, created_at, updated_at)
			VALUES (1, 'REF-1', 50, 'SGD', 'PROCESSING', 4, 4)`,
		`UPDATE payments SET payment_id = '2025-PID-1', status = 'SUCCESS' WHERE id = 1`,
		`UPDATE payments SET status = 'SUCCESS', payment_id = '2025-PID-1' WHERE id = 1`, // no ID changes
		`UPDATE payments SET buyer_id = '', acquirer_ref = 'ACQ-2' WHERE id = 2`,
		`UPDATE captures SET capture_id = 'CAPID-1' WHERE id = 1`,
		`UPDATE captures SET capture_id = 'CAPID-2', acquirer_ref = '' WHERE id = 1`,
		`UPDATE refunds SET refund_id = 'REFID-1', acquirer_ref = 'ACQ-R1' WHERE id = 1`,
		`UPDATE refunds SET refund_id = NULL WHERE id = 1`,
		`INSERT INTO audit_log (at, actor, action) VALUES (1, 'cli', 'test')`,
	}
	for _, w := range writes {
		if _, err := lite.ExecContext(ctx, w); err != nil {
			t.Fatalf("sqlite: %s: %v", w, err)
		}
		if _, err := pg.ExecContext(ctx, w); err != nil {
			t.Fatalf("postgres: %s: %v", w, err)
		}
	}
	const keys = `SELECT key || ' ' || payment_fk || ' ' || kind || ' ' || sub_fk FROM search_keys`
	liteKeys, pgKeys := queryStrings(t, ctx, lite, keys), queryStrings(t, ctx, pg, keys)
	if !slices.Equal(liteKeys, pgKeys) || len(liteKeys) < 10 {
		t.Errorf("search keys differ:\nsqlite:   %q\npostgres: %q", liteKeys, pgKeys)
	}
	for _, k := range pgKeys {
		if key, _, _ := strings.Cut(k, " "); key != NormalizeID(key) {
			t.Errorf("search key %q is not normalized (%q)", key, NormalizeID(key))
		}
	}
	for _, w := range []string{"UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"} {
		if _, err := lite.ExecContext(ctx, w); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("sqlite: %s: %v, want refused as append-only", w, err)
		}
		if _, err := pg.ExecContext(ctx, w); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("postgres: %s: %v, want refused as append-only", w, err)
		}
	}
	// The fragment search's LIKE: metacharacters escaped match themselves only.
	for frag, want := range map[string]int{"c_1%": 1, "c%1": 0, "a_c": 0, "bc_": 1, "2025pid": 1} {
		var n int
		if err := pg.QueryRowContext(ctx, `SELECT count(*) FROM search_keys WHERE key LIKE $1 ESCAPE '\'`,
			"%"+likeLiteral(frag)+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("fragment %q: %d keys, want %d", frag, n, want)
		}
	}
}

// sqlExecer is a *sql.DB or a *sql.Conn.
type sqlExecer interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// applyMigration runs one migration file in one transaction, as Open does.
func applyMigration(t *testing.T, ctx context.Context, db sqlExecer, dir string, m migrationFile) {
	t.Helper()
	body, err := fs.ReadFile(migrationFS, dir+"/"+m.name)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		tx.Rollback()
		t.Fatalf("%s/%s: %v", dir, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("%s/%s: commit: %v", dir, m.name, err)
	}
}

// queryStrings returns the one text column of a query's rows, sorted.
func queryStrings(t *testing.T, ctx context.Context, db sqlExecer, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// prefixEnd bounds the strings that start with a prefix, in byte order,
// and is valid UTF-8 (PostgreSQL takes no other text). The strings that
// continue the prefix with U+10FFFF (a noncharacter no ID holds) are its
// documented miss, left out of the probes.
func TestPrefixEnd(t *testing.T) {
	prefixes := []string{"ord", "a", "ab\u007f", "x\ud7ff", "y\U0010FFFF", "é", "pay\u00ff"}
	probes := []string{"", "a", "b", "ord", "ord0", "ore", "orc\U0010FFFF", "ab\u007f", "ab\u0080", "ab\u007f\u0080", "ab\u007fz",
		"x\ud7ff", "x\ue000", "x\ud7ffa", "y", "y\U0010FFFF", "z", "\U0010FFFF", "\U0010FFFFa", "é", "éa", "ê",
		"pay\u00ff", "pay\u00ffx", "pay\u0100"}
	for _, p := range prefixes {
		end := prefixEnd(p)
		if !utf8.ValidString(end) {
			t.Errorf("prefixEnd(%q) = %q, not UTF-8", p, end)
		}
		for _, s := range append(probes, p+"0", p+"\u00ff", p+"\ufffd\ufffd") {
			if strings.HasPrefix(s, p+"\U0010FFFF") {
				continue
			}
			if in, want := p <= s && s < end, strings.HasPrefix(s, p); in != want {
				t.Errorf("prefix %q, end %q: %q in range = %v, want %v", p, end, s, in, want)
			}
		}
	}
}

// On PostgreSQL the search reads its indexes: the key index for exact and
// prefix lookups (a range on text, so COLLATE "C" must match the
// parameters'), the trigram index for fragments, the card indexes, and the
// orders key for the orders prefix filter. The tables are tiny, so the
// planner is told to avoid what the index should replace (it still picks
// a scan it was told to avoid when no index can answer).
func TestPostgresSearchPlans(t *testing.T) {
	s, _ := newTestStore(t)
	if !s.pg {
		t.Skip("PostgreSQL only: reads PostgreSQL's EXPLAIN (PAYDESK_TEST_BACKEND=postgres)")
	}
	plan := func(avoid []string, query string, args ...any) string {
		t.Helper()
		tx, err := s.rdb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, a := range avoid {
			if _, err := tx.Exec("SET LOCAL " + a + " = off"); err != nil {
				t.Fatal(err)
			}
		}
		lines := queryStringsTx(t, tx, "EXPLAIN "+query, args...)
		return strings.Join(lines, "\n")
	}
	seq := []string{"enable_seqscan"}
	for _, tc := range []struct {
		name, query string
		avoid       []string
		args        []any
		want        string
	}{
		{"exact", searchExactSQL, seq, []any{"ord20435", 51}, "Index Cond: (key = "},
		{"prefix", searchPrefixSQL, seq, []any{"ord", prefixEnd("ord"), 51}, "Index Cond: ((key >= "},
		{"fragment", pgSearchFragmentSQL, []string{"enable_seqscan", "enable_indexscan"}, []any{"%" + likeLiteral("d_20") + "%", 51},
			"Bitmap Index Scan on search_keys_key_trgm"},
		{"card", searchCardSQL + " ORDER BY created_at DESC, id DESC LIMIT ?", seq, []any{"1234", 21}, "Index Cond: (card_last4 = "},
		{"card and amount", pgSearchCardAmountSQL + " AND amount_minor IN (?, ?)" + pgSearchCardAmountOrder, seq,
			[]any{"1234", 4200, 42, 51}, "payments_card_last4_amount"},
		{"orders prefix", "SELECT reference_order_id FROM orders WHERE reference_order_id >= ? AND reference_order_id < ?", seq,
			[]any{"ord", prefixEnd("ord")}, "Index Cond: ((reference_order_id >= "},
	} {
		p := plan(tc.avoid, tc.query, tc.args...)
		if !strings.Contains(p, tc.want) || strings.Contains(p, "Seq Scan") {
			t.Errorf("%s: want %q and no Seq Scan in the plan:\n%s", tc.name, tc.want, p)
		}
	}
}

// queryStringsTx is queryStrings inside a transaction, in the rows' order.
func queryStringsTx(t *testing.T, tx *sql.Tx, query string, args ...any) []string {
	t.Helper()
	rows, err := tx.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
