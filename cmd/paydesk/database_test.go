package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/store/storetest"
)

// TestDatabaseSettings: PAYDESK_DATABASE_URL must be a postgres URL, a
// password only from the environment; PAYDESK_MIGRATE is on or off.
func TestDatabaseSettings(t *testing.T) {
	for _, tc := range []struct {
		env           map[string]string
		args          []string
		migrate       bool
		wantErrorWith string
	}{
		{migrate: true},
		{env: map[string]string{"PAYDESK_DATABASE_URL": "postgres://paydesk:s3cret@db:5432/paydesk", "PAYDESK_MIGRATE": "off"}},
		{env: map[string]string{"PAYDESK_DATABASE_URL": "postgresql://paydesk@db/paydesk?sslmode=require"}, migrate: true},
		{args: []string{"-database-url", "postgres://paydesk@db/paydesk", "-migrate", "off"}},
		{args: []string{"-database-url", "postgres://paydesk:s3cret@db/paydesk"}, wantErrorWith: "-database-url carries a password"},
		{env: map[string]string{"PAYDESK_DATABASE_URL": "mysql://db/paydesk"}, wantErrorWith: "want a postgres:// or postgresql:// URL"},
		{env: map[string]string{"PAYDESK_DATABASE_URL": "host=db dbname=paydesk"}, wantErrorWith: "want a postgres:// or postgresql:// URL"},
		{env: map[string]string{"PAYDESK_DATABASE_URL": "postgres://x:%zz@db"}, wantErrorWith: "PAYDESK_DATABASE_URL is not a URL"},
		{env: map[string]string{"PAYDESK_MIGRATE": "yes"}, wantErrorWith: `PAYDESK_MIGRATE "yes": want on or off`},
	} {
		cfg, _, err := loadConfig("t", tc.args, envOf(tc.env), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.validate()
		if tc.wantErrorWith != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrorWith) {
				t.Errorf("%v %v: got %v, want an error with %q", tc.env, tc.args, err, tc.wantErrorWith)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v %v: %v", tc.env, tc.args, err)
		}
		if cfg.migrate() != tc.migrate {
			t.Errorf("%v %v: migrate %v, want %v", tc.env, tc.args, cfg.migrate(), tc.migrate)
		}
	}
}

// knownVersion is the highest migration this Paydesk knows.
func knownVersion(t *testing.T) int {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, known, err := st.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return known
}

// rawSQLite runs statements on a data directory's database, as another
// Paydesk version would have left it.
func rawSQLite(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestMigrateCommand: "paydesk migrate" applies the migrations and prints
// the version; -check applies nothing and fails while some are pending.
func TestMigrateCommand(t *testing.T) {
	known := knownVersion(t)
	dir := t.TempDir()
	env := map[string]string{"PAYDESK_DATA_DIR": dir}
	where := "SQLite " + filepath.Join(dir, store.DBFile)

	out, _, err := run(t, env, "migrate", "-check")
	if err == nil || out != fmt.Sprintf("%s: at migration 0, this Paydesk needs %d: %d pending.\n", where, known, known) {
		t.Errorf("migrate -check on a new database: %q, %v; want the pending count and an error", out, err)
	}
	out, _, err = run(t, env, "migrate")
	if err != nil || out != fmt.Sprintf("%s: migrated from 0 to %d, up to date.\n", where, known) {
		t.Errorf("migrate: %q, %v", out, err)
	}
	for _, args := range [][]string{{"migrate"}, {"migrate", "-check"}} {
		out, _, err = run(t, env, args...)
		if err != nil || out != fmt.Sprintf("%s: at migration %d, up to date.\n", where, known) {
			t.Errorf("%v when current: %q, %v", args, out, err)
		}
	}
	if _, _, err := run(t, env, "migrate", "extra"); err == nil {
		t.Error("migrate with an argument: no error")
	}
}

// TestServeWithMigrationsOff: with PAYDESK_MIGRATE=off serve applies
// nothing: it refuses a database with no schema, starts not ready on one
// that is behind (GET /readyz says why), and the subcommands refuse it.
func TestServeWithMigrationsOff(t *testing.T) {
	known := knownVersion(t)
	dir := t.TempDir()
	env := map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_ADDR": "127.0.0.1:0", "PAYDESK_MIGRATE": "off"}
	cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), cfg, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), `run "paydesk migrate" first`) {
		t.Fatalf("serve on an empty database with migrations off: %v, want a refusal naming paydesk migrate", err)
	}
	if _, _, err := run(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	rawSQLite(t, dir, fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", known))
	if _, _, err := run(t, env, "user", "list"); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("at migration %d and this Paydesk knows %d", known-1, known)) {
		t.Errorf("user list on a database behind: %v", err)
	}
	a, err := Start(context.Background(), cfg, io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("serve on a database one migration behind, migrations off: %v", err)
	}
	defer a.Shutdown(context.Background())
	res, err := httpGet("http://" + a.Addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("migrations pending: database at %d, this Paydesk needs %d", known-1, known); res.code != 503 || !strings.Contains(res.body, want) {
		t.Errorf("readyz: %d %s, want 503 %q", res.code, res.body, want)
	}
}

// TestServeRefusesANewerSchema: a database a newer Paydesk migrated is
// refused at start, with both versions named.
func TestServeRefusesANewerSchema(t *testing.T) {
	known := knownVersion(t)
	dir := t.TempDir()
	env := map[string]string{"PAYDESK_DATA_DIR": dir, "PAYDESK_ADDR": "127.0.0.1:0"}
	if _, _, err := run(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	rawSQLite(t, dir, fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'from_the_future.sql', 0)", known+1))
	for _, migrate := range []string{"on", "off"} {
		env["PAYDESK_MIGRATE"] = migrate
		cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Start(context.Background(), cfg, io.Discard, io.Discard)
		if err == nil {
			a.Shutdown(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(known+1)) || !strings.Contains(err.Error(), fmt.Sprint(known)) {
			t.Errorf("serve (migrate %s) on schema %d: %v; want a refusal naming %d and %d", migrate, known+1, err, known+1, known)
		}
	}
	if out, _, err := run(t, env, "migrate", "-check"); err == nil {
		t.Errorf("migrate -check on a newer schema: %q, no error", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "session.key")); err == nil {
		t.Error("a refused start still generated a session key")
	}
}

type httpResult struct {
	code int
	body string
}

func httpGet(u string) (httpResult, error) {
	res, err := http.Get(u)
	if err != nil {
		return httpResult{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return httpResult{res.StatusCode, string(b)}, err
}

// TestMigrateCommandOnPostgres: the same on PostgreSQL: -check reports
// pending migrations, migrate applies them, serve refuses a newer schema
// naming both versions, and the URL's password never shows.
func TestMigrateCommandOnPostgres(t *testing.T) {
	u := storetest.PostgresURL(t) // skips without PostgreSQL
	known := knownVersion(t)
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.UserPassword(pu.User.Username(), "s3cret") // trust auth: ignored by the server, must not be shown
	env := map[string]string{"PAYDESK_DATA_DIR": t.TempDir(), "PAYDESK_DATABASE_URL": pu.String(), "PAYDESK_ADDR": "127.0.0.1:0"}
	out, _, err := run(t, env, "migrate", "-check")
	if err == nil || !strings.Contains(out, fmt.Sprintf("at migration 0, this Paydesk needs %d", known)) || !strings.HasPrefix(out, "PostgreSQL postgres://") {
		t.Errorf("migrate -check on an empty schema: %q, %v", out, err)
	}
	out, _, err = run(t, env, "migrate")
	if err != nil || !strings.Contains(out, fmt.Sprintf("migrated from 0 to %d, up to date", known)) {
		t.Errorf("migrate: %q, %v", out, err)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the password shows: %q", out)
	}
	if out, _, err = run(t, env, "migrate", "-check"); err != nil {
		t.Errorf("migrate -check when current: %q, %v", out, err)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'from_the_future.sql', 0)", known+1)); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig("t", nil, envOf(env), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Start(context.Background(), cfg, io.Discard, io.Discard)
	if err == nil {
		a.Shutdown(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(known+1)) || !strings.Contains(err.Error(), fmt.Sprint(known)) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("serve on schema %d: %v; want a refusal naming %d and %d, without the password", known+1, err, known+1, known)
	}
}
