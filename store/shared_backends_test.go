package store

import (
	"context"
	"os"
	"testing"
)

// sharedBackend is one database that several *Store may open at once, as
// replicas do: a SQLite data directory, or a PostgreSQL schema.
type sharedBackend struct {
	name string
	open func(t *testing.T, opts ...Option) *Store
}

// sharedBackends is SQLite, and PostgreSQL when PAYDESK_TEST_DATABASE_URL
// is set (each test gets a private schema, dropped at its end).
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
	if base := os.Getenv("PAYDESK_TEST_DATABASE_URL"); base != "" {
		u := base // TODO(merge): a private schema from storetest
		out = append(out, sharedBackend{"postgres", func(t *testing.T, opts ...Option) *Store {
			s, err := OpenPostgres(context.Background(), u, append([]Option{WithSearchIndexEvery(0)}, opts...)...)
			return openWith(t, s, err)
		}})
	}
	return out
}
