package app_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/web/app"
)

// TestStartRetiresSimulatorAPIKey: the API key earlier versions made for
// the embedded simulator's checkout (which now reports with client
// secrets) is revoked at start and its file removed.
func TestStartRetiresSimulatorAPIKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := st.CreateAPIKey(ctx, "simulator", store.AuditContext{Actor: "system"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	keyFile := filepath.Join(dir, app.KeysDir, "simulator_api_key")
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	a, err := app.Start(ctx, app.Config{DataDir: dir,
		Auth: handlers.AuthConfig{PasswordParams: store.PasswordParams{Memory: 64, Time: 1, Threads: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	if _, err := a.Store.AuthenticateAPIKey(ctx, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the simulator's old key still authenticates (%v)", err)
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: %v, want it removed", filepath.Base(keyFile), err)
	}
	keys, err := a.Store.ListAPIKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %+v (%v), want only the revoked one: Start makes none", keys, err)
	}
}
