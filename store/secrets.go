package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
)

// SecretSessionKey names the generated session key in app_secrets.
const SecretSessionKey = "session_key"

// SharedSecret returns the secret kept under name in the database,
// storing generate's value first when there is none: insert if absent,
// then read, in one write, so every replica that asks at once gets the
// one value the first of them stored.
func (s *Store) SharedSecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	fresh, err := generate()
	if err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	var value string
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO app_secrets (name, value, created_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, name, base64.StdEncoding.EncodeToString(fresh), s.now().UnixMilli()); err != nil {
			return fmt.Errorf("store: secret %s: %w", name, err)
		}
		if err := tx.QueryRowContext(ctx, "SELECT value FROM app_secrets WHERE name = ?", name).Scan(&value); err != nil {
			return fmt.Errorf("store: secret %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("store: secret %s is damaged: %w", name, err)
	}
	return b, nil
}
