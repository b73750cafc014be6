package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKeyPrefix starts every secret API key.
const APIKeyPrefix = "pdk_live_"

// apiKeyShownPrefix is how many leading characters are kept to recognise a key.
const apiKeyShownPrefix = len(APIKeyPrefix) + 6

// apiKeyTouchEvery bounds how often last_used_at is written per key.
const apiKeyTouchEvery = time.Minute

// APIScope is what a secret API key may do in the app API.
type APIScope string

// The scopes of a secret API key.
const (
	// ScopeSessions creates payment sessions, and reads and reports SDK
	// events on the payments this key created: the merchant's backend.
	ScopeSessions APIScope = "sessions"
	// ScopePaymentsRead reads every payment: reconciliation.
	ScopePaymentsRead APIScope = "payments:read"
)

// APIScopes lists every scope, in the order they are stored and shown.
func APIScopes() []APIScope { return []APIScope{ScopeSessions, ScopePaymentsRead} }

// DefaultAPIScopes are a new key's scopes when none are chosen.
func DefaultAPIScopes() []APIScope { return []APIScope{ScopeSessions} }

// ParseAPIScopes reads a comma-separated list such as
// "sessions,payments:read" (spaces ignored, duplicates merged) into the
// canonical order. An unknown or empty list is a *FieldError.
func ParseAPIScopes(list string) ([]APIScope, error) {
	var in []APIScope
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			in = append(in, APIScope(f))
		}
	}
	return normalizeScopes(in)
}

// normalizeScopes checks scopes and returns them in the canonical order,
// each once.
func normalizeScopes(in []APIScope) ([]APIScope, error) {
	all := APIScopes()
	for _, sc := range in {
		if !slices.Contains(all, sc) {
			return nil, &FieldError{Field: "scopes", Message: fmt.Sprintf("%.40q is not a scope; choose from %s", string(sc), joinScopes(all))}
		}
	}
	var out []APIScope
	for _, sc := range all {
		if slices.Contains(in, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, &FieldError{Field: "scopes", Message: "choose at least one scope: " + joinScopes(all)}
	}
	return out, nil
}

// joinScopes is scopes as stored and typed: "sessions,payments:read".
func joinScopes(scopes []APIScope) string {
	names := make([]string, len(scopes))
	for i, sc := range scopes {
		names[i] = string(sc)
	}
	return strings.Join(names, ",")
}

// APIKey is a secret API key of the merchant's backend as stored: never the
// key itself.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string     // e.g. "pdk_live_k3x9qa", to recognise a key
	Scopes     []APIScope // in the order of APIScopes
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
	RevokedBy  string
}

// Active reports whether the key is not revoked.
func (k *APIKey) Active() bool { return k.RevokedAt.IsZero() }

// Has reports whether the key holds scope.
func (k *APIKey) Has(scope APIScope) bool { return slices.Contains(k.Scopes, scope) }

// ScopeList is the key's scopes as typed: "sessions,payments:read".
func (k *APIKey) ScopeList() string { return joinScopes(k.Scopes) }

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

// CreateAPIKey mints a key named name with scopes (none given:
// DefaultAPIScopes), stores its hash and audits it. The returned token is
// the only time the key exists in clear: show it once.
func (s *Store) CreateAPIKey(ctx context.Context, name string, by AuditContext, scopes ...APIScope) (*APIKey, string, error) {
	if len(scopes) == 0 {
		scopes = DefaultAPIScopes()
	}
	scopes, err := normalizeScopes(scopes)
	if err != nil {
		return nil, "", err
	}
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
		err := tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, prefix, key_hash, scopes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			name, token[:apiKeyShownPrefix], HashToken(token), joinScopes(scopes), by.Actor, now.UnixMilli()).Scan(&id)
		if err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("apikey.create", fmt.Sprintf("apikey:%d", id), nil,
			map[string]any{"name": name, "prefix": token[:apiKeyShownPrefix], "scopes": joinScopes(scopes)}))
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

const apiKeyColumns = `id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at, revoked_by`

func scanAPIKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var k APIKey
	var created int64
	var scopes string
	var used, revoked sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Prefix, &scopes, &k.CreatedBy, &created, &used, &revoked, &k.RevokedBy); err != nil {
		return nil, err
	}
	// A scope this version does not know is dropped: the key can do less,
	// never more.
	for _, sc := range strings.Split(scopes, ",") {
		if slices.Contains(APIScopes(), APIScope(sc)) {
			k.Scopes = append(k.Scopes, APIScope(sc))
		}
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

// PaymentOwner is what decides which app credential may use a payment.
type PaymentOwner struct {
	PaymentRequestID string
	CreatedByKey     int64     // the API key that created it; 0 for none
	FinalAt          time.Time // when its status first became final; zero while not final
}

// PaymentOwner reads who created a payment and when it became final, for
// the app API's access checks (one indexed row, no timeline), or
// ErrNotFound.
func (s *Store) PaymentOwner(ctx context.Context, paymentRequestID string) (*PaymentOwner, error) {
	var byKey, finalAt sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, "SELECT created_by_key, final_at FROM payments WHERE payment_request_id = ?",
		paymentRequestID).Scan(&byKey, &finalAt)
	if err != nil {
		return nil, staffErr("payment owner", err)
	}
	return &PaymentOwner{PaymentRequestID: paymentRequestID, CreatedByKey: byKey.Int64, FinalAt: fromMS(finalAt)}, nil
}
