package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/web/app"
)

// TestStartMakesSecretsPrivate: a data directory an operator created with
// loose modes (0755, a 0644 session key and database) is made private at
// start — directory 0700, database, keys and session key 0600 — and the
// log says what was changed.
func TestStartMakesSecretsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sessionKey := filepath.Join(dir, app.SessionKeyFile)
	if err := os.WriteFile(sessionKey, []byte("c2Vzc2lvbiBrZXkgc2Vzc2lvbiBrZXkgc2Vzc2lvbiBrZXkgc2Vzc2lvbiBrZXk=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DBFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	a, err := app.Start(context.Background(), app.Config{DataDir: dir, Log: slog.New(slog.NewTextHandler(&log, nil)),
		Auth: handlers.AuthConfig{PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	for path, want := range map[string]os.FileMode{
		dir: 0o700, sessionKey: 0o600, filepath.Join(dir, store.DBFile): 0o600,
		filepath.Join(dir, app.KeysDir): 0o700, app.SimulatorKeyFile(dir): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(path), got, want)
		}
	}
	if n := strings.Count(log.String(), "readable by others; made private"); n != 3 {
		t.Errorf("%d warnings about loose modes, want 3 (directory, database, session key):\n%s", n, log.String())
	}
}
