package app

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paydesk/store"
)

// TestWaitForSchema: the wait for "paydesk migrate" ends when the schema
// becomes current, and fails at once on a schema newer than this Paydesk.
func TestWaitForSchema(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, known, err := st.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT name FROM schema_migrations WHERE version = ?", known).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version = ?", known); err != nil {
		t.Fatal(err)
	}
	wait := waitForSchema(st, time.Millisecond, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- wait(context.Background()) }()
	// "paydesk migrate" records the last migration.
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)", known, name); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("after the migration: %v, want nil", err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)", known+1); err != nil {
		t.Fatal(err)
	}
	if err := wait(context.Background()); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema: %v, want an error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version >= ?", known); err != nil {
		t.Fatal(err)
	}
	if err := wait(ctx); err == nil {
		t.Error("a wait whose context ended returned nil")
	}
}
