package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKeyPrefix starts every merchant-app API key.
const APIKeyPrefix = "pdk_live_"

// apiKeyShownPrefix is how many leading characters are kept to recognise a key.
const apiKeyShownPrefix = len(APIKeyPrefix) + 6

// apiKeyTouchEvery bounds how often last_used_at is written per key.
const apiKeyTouchEvery = time.Minute

// APIKey is a merchant-app API key as stored: never the key itself.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string // e.g. "pdk_live_k3x9qa", to recognise a key
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
	RevokedBy  string
}

// Active reports whether the key is not revoked.
func (k *APIKey) Active() bool { return k.RevokedAt.IsZero() }

// Actor is the audit actor string for the key.
func (k *APIKey) Actor() string { return "apikey:" + k.Name }

// newAPIKeyToken mints "pdk_live_" + 32 base32 characters (160 random bits).
func newAPIKeyToken() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: api key: %w", err)
	}
	return APIKeyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// CreateAPIKey mints a key named name, stores its hash and audits it. The
// returned token is the only time the key exists in clear: show it once.
func (s *Store) CreateAPIKey(ctx context.Context, name string, by AuditContext) (*APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return nil, "", &FieldError{Field: "name", Message: "name the key (1 to 64 characters), e.g. the app that will use it"}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return nil, "", &FieldError{Field: "name", Message: "name cannot contain control characters"}
		}
	}
	token, err := newAPIKeyToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	var id int64
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (name, prefix, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			name, token[:apiKeyShownPrefix], HashToken(token), by.Actor, now.UnixMilli())
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("apikey.create", fmt.Sprintf("apikey:%d", id), nil,
			map[string]any{"name": name, "prefix": token[:apiKeyShownPrefix]}))
	})
	if err != nil {
		return nil, "", staffErr("create api key", err)
	}
	k, err := s.APIKeyByID(ctx, id)
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

const apiKeyColumns = `id, name, prefix, created_by, created_at, last_used_at, revoked_at, revoked_by`

func scanAPIKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var created int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.CreatedBy, &created, &used, &revoked, &k.RevokedBy); err != nil {
		return nil, err
	}
	k.CreatedAt = staffTime(created)
	if used.Valid {
		k.LastUsedAt = staffTime(used.Int64)
	}
	if revoked.Valid {
		k.RevokedAt = staffTime(revoked.Int64)
	}
	return &k, nil
}

// APIKeyByID returns a key (revoked ones too) or ErrNotFound.
func (s *Store) APIKeyByID(ctx context.Context, id int64) (*APIKey, error) {
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = ?", id))
	return k, staffErr(fmt.Sprintf("api key %d", id), err)
}

// AuthenticateAPIKey looks a presented key up by its hash and returns it when
// active; unknown and revoked keys are ErrNotFound (revocation is immediate:
// nothing is cached). It records the use at most once a minute per key.
func (s *Store) AuthenticateAPIKey(ctx context.Context, token string) (*APIKey, error) {
	if !strings.HasPrefix(token, APIKeyPrefix) || len(token) > 128 {
		return nil, fmt.Errorf("store: api key: %w", ErrNotFound)
	}
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx,
		"SELECT "+apiKeyColumns+" FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", HashToken(token)))
	if err != nil {
		return nil, staffErr("api key", err)
	}
	now := s.now()
	if now.Sub(k.LastUsedAt) >= apiKeyTouchEvery {
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", now.UnixMilli(), k.ID)
			return err
		})
		switch {
		case errors.Is(err, ErrUnavailable):
			// Best effort: a full or locked disk must not stop the app
			// from reading; the time is written at a later use.
		case err != nil:
			return nil, staffErr("api key last used", err)
		default:
			k.LastUsedAt = now.UTC()
		}
	}
	return k, nil
}

// ListAPIKeys returns every key, newest first, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys ORDER BY id DESC")
	if err != nil {
		return nil, staffErr("list api keys", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, staffErr("list api keys", err)
		}
		out = append(out, *k)
	}
	return out, staffErr("list api keys", rows.Err())
}

// RevokeAPIKey revokes a key at once. Revoking a revoked key is a no-op.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64, by AuditContext) error {
	now := s.now().UnixMilli()
	return staffErr("revoke api key", s.writeTx(ctx, func(tx *sql.Tx) error {
		k, err := scanAPIKey(tx.QueryRowContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE id = ?", id))
		if err != nil {
			return err
		}
		if !k.Active() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE id = ?", now, by.Actor, id); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("apikey.revoke", fmt.Sprintf("apikey:%d", id),
			map[string]any{"name": k.Name, "revoked": false}, map[string]any{"name": k.Name, "revoked": true}))
	}))
}
