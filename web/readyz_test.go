package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/storetest"
)

// TestReadyz: ready when the schema is the one this Paydesk knows; 503 with
// the reason when migrations are pending, the schema is newer, or the
// database does not answer.
func TestReadyz(t *testing.T) {
	app := newSecApp(t)
	ready := func() (int, readiness) {
		t.Helper()
		res, body := app.client().get("/readyz")
		var r readiness
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("readyz body %q: %v", body, err)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		return res.StatusCode, r
	}
	applied, known, err := app.Store.SchemaVersion(context.Background())
	if err != nil || applied != known || known < 12 {
		t.Fatalf("SchemaVersion: %d, %d, %v; want equal, at least 12", applied, known, err)
	}
	if code, r := ready(); code != http.StatusOK || !r.Ready || r.Schema != known || r.Needs != known {
		t.Errorf("up to date: %d %+v, want 200 ready at %d", code, r, known)
	}

	// The schema as another binary would leave it, through a connection
	// of the test's own.
	db, err := sql.Open("sqlite", app.Store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("DELETE FROM schema_migrations WHERE version > ?", known-3)
	want := fmt.Sprintf("migrations pending: database at %d, this Paydesk needs %d", known-3, known)
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Ready || r.Reason != want {
		t.Errorf("behind: %d %+v, want 503 %q", code, r, want)
	}
	exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)", known+1)
	want = fmt.Sprintf("database schema %d is newer than this Paydesk knows (%d)", known+1, known)
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Reason != want {
		t.Errorf("ahead: %d %+v, want 503 %q", code, r, want)
	}

	app.Store.Close()
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Reason != "database unreachable" {
		t.Errorf("database closed: %d %+v, want 503 database unreachable", code, r)
	}
}

// TestReadyzOnPostgres: the same answers on PostgreSQL, and a server that
// went away is "database unreachable".
func TestReadyzOnPostgres(t *testing.T) {
	u := storetest.PostgresURL(t) // skips without PostgreSQL
	st, err := store.OpenPostgres(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	h, err := handlers.New(handlers.Deps{Store: st, Auth: handlers.AuthConfig{SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD")}})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := New(Config{}, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ws.Handler())
	defer srv.Close()
	ready := func() (int, readiness) {
		t.Helper()
		res, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r readiness
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, r
	}
	_, known, err := st.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code, r := ready(); code != http.StatusOK || !r.Ready || r.Schema != known {
		t.Errorf("up to date: %d %+v", code, r)
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version > $1", known-4); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("migrations pending: database at %d, this Paydesk needs %d", known-4, known)
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Reason != want {
		t.Errorf("behind: %d %+v, want 503 %q", code, r, want)
	}
	st.Close()
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Reason != "database unreachable" {
		t.Errorf("closed: %d %+v, want 503 database unreachable", code, r)
	}
}
