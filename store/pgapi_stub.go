package store

// TEMPORARY: the lead's PostgreSQL plumbing replaces this file at the merge.

import (
	"context"
	"errors"
	"fmt"
)

// OpenPostgres is not available before the merge.
func OpenPostgres(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	return nil, errors.New("store: PostgreSQL backend not merged yet")
}

// WithMigrate is a no-op stub.
func WithMigrate(apply bool) Option { return func(*Store) {} }

// Postgres reports false (stub).
func (s *Store) Postgres() bool { return false }

// SchemaVersion reads the highest applied migration (stub, SQLite only).
func (s *Store) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		return 0, 0, err
	}
	if len(files) > 0 {
		known = files[len(files)-1].version
	}
	if err := s.rdb.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&applied); err != nil {
		return 0, known, fmt.Errorf("store: schema version: %w", err)
	}
	return applied, known, nil
}
