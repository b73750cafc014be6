package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/storetest"
	"paydesk/web/app"
)

// TestSessionKeySharedOnPostgres: replicas on one PostgreSQL database with
// no PAYDESK_SESSION_KEY sign cookies with one generated key, kept in the
// database, not in either data directory; a configured key wins.
func TestSessionKeySharedOnPostgres(t *testing.T) {
	u := storetest.PostgresURL(t) // skips without PostgreSQL
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	simKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	start := func(auth handlers.AuthConfig) (*app.App, string) {
		t.Helper()
		dir := t.TempDir()
		auth.PasswordParams = store.PasswordParams{Memory: 64, Time: 1, Threads: 1}
		a, err := app.Start(context.Background(), app.Config{DataDir: dir, DatabaseURL: u, Auth: auth,
			Simulator: app.Simulator{InMemory: true, Keys: &app.SandboxKeys{Merchant: merchant, Simulator: simKey}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Shutdown(context.Background()) })
		return a, dir
	}
	a, dirA := start(handlers.AuthConfig{})
	b, dirB := start(handlers.AuthConfig{})
	ka, kb := a.Handlers.Auth.SessionKey, b.Handlers.Auth.SessionKey
	if len(ka) < 32 || !bytes.Equal(ka, kb) {
		t.Errorf("replicas' generated session keys: %d bytes and %d bytes, equal %v; want one key of at least 32 bytes", len(ka), len(kb), bytes.Equal(ka, kb))
	}
	for _, dir := range []string{dirA, dirB} {
		if _, err := os.Stat(filepath.Join(dir, app.SessionKeyFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a session key file in a replica's data directory (%v): the key belongs in the database", err)
		}
	}
	configured := []byte("a configured session key, long enough to be used")
	c, _ := start(handlers.AuthConfig{SessionKey: configured})
	if !bytes.Equal(c.Handlers.Auth.SessionKey, configured) {
		t.Error("PAYDESK_SESSION_KEY did not win over the database's key")
	}
}
