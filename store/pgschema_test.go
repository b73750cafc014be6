package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

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
		"search_fts":         "FTS5 trigram table over search_keys; PostgreSQL has the GIN index search_keys_key_trgm",
		"search_fts_data":    "FTS5 shadow table of search_fts",
		"search_fts_idx":     "FTS5 shadow table of search_fts",
		"search_fts_config":  "FTS5 shadow table of search_fts",
		"search_fts_indexed": "how far IndexSearchKeys filled search_fts; the GIN index needs no such mark",
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

	url := os.Getenv("PAYDESK_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("PAYDESK_TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()

	lite, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	for _, m := range sqliteFiles {
		applyMigration(t, ctx, lite, sqliteMigrations, m)
	}

	pgdb, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pgdb.Close()
	conn, err := pgdb.Conn(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "paydesk_schema_test_" + hex.EncodeToString(b[:])
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	defer func() {
		if _, err := conn.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	}()
	if _, err := conn.ExecContext(ctx, "SET search_path TO "+schema+", public"); err != nil {
		t.Fatal(err)
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
		liteCols := queryStrings(t, ctx, lite, `SELECT name || CASE WHEN "notnull" OR pk > 0 THEN ' NOT NULL' ELSE '' END
			FROM pragma_table_info(?)`, table)
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

// sqlExecer is a *sql.DB or a *sql.Conn.
type sqlExecer interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
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
