package store

import (
	"context"
	"testing"

	"paydesk/store/storetest"
)

// sharedBackend is one database that several *Store may open at once, as
// replicas do: a SQLite data directory, or a PostgreSQL schema.
type sharedBackend struct {
	name string
	open func(t *testing.T, opts ...Option) *Store
}

// sharedBackends is SQLite, and PostgreSQL when PAYDESK_TEST_DATABASE_URL
// is set (each test gets a private schema: storetest.PostgresURL).
func sharedBackends(t *testing.T) []sharedBackend {
	t.Helper()
	openWith := func(t *testing.T, s *Store, err error) *Store {
		t.Helper()
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	dir := t.TempDir()
	out := []sharedBackend{{"sqlite", func(t *testing.T, opts ...Option) *Store {
		s, err := Open(context.Background(), dir, append([]Option{WithSearchIndexEvery(0)}, opts...)...)
		return openWith(t, s, err)
	}}}
	if storetest.Available() || storetest.Postgres() {
		u := storetest.PostgresURL(t)
		out = append(out, sharedBackend{"postgres", func(t *testing.T, opts ...Option) *Store {
			s, err := OpenPostgres(context.Background(), u, append([]Option{WithSearchIndexEvery(0)}, opts...)...)
			return openWith(t, s, err)
		}})
	}
	return out
}
