// Package storetest gives tests a private PostgreSQL schema on the server
// named by PAYDESK_TEST_DATABASE_URL (make test starts a throw-away cluster
// and sets it: .ci/with-postgres). It does not import store.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvURL names the server tests may use; EnvBackend=postgres runs the store
// suite on it (one suite, two backends).
const (
	EnvURL     = "PAYDESK_TEST_DATABASE_URL"
	EnvBackend = "PAYDESK_TEST_BACKEND"
)

// Postgres reports whether this run asks for the store suite on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvBackend) == "postgres" }

// Available reports whether a PostgreSQL server is given for tests.
func Available() bool { return os.Getenv(EnvURL) != "" }

// PostgresURL returns a URL of the test server whose search_path is a new,
// empty schema of its own (then public, where pg_trgm lives), dropped when
// the test ends. Without PAYDESK_TEST_DATABASE_URL the test is skipped —
// unless PAYDESK_TEST_BACKEND=postgres asked for PostgreSQL, which then fails.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if Postgres() {
			t.Fatalf("%s=postgres but %s is not set (make test sets it: .ci/with-postgres)", EnvBackend, EnvURL)
		}
		t.Skipf("no PostgreSQL: %s is not set (make test runs .ci/with-postgres, which sets it)", EnvURL)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
