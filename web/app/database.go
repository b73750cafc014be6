package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"paydesk/store"
)

// OpenStore opens Paydesk's database: PostgreSQL at databaseURL when it is
// set, else SQLite in dataDir. migrate false applies no migration (a schema
// newer than this Paydesk knows is refused either way). cmd/paydesk's
// subcommands open the database with it too.
func OpenStore(ctx context.Context, dataDir, databaseURL string, migrate bool, opts ...store.Option) (*store.Store, error) {
	opts = append(slices.Clone(opts), store.WithMigrate(migrate))
	if databaseURL == "" {
		return store.Open(ctx, dataDir, opts...)
	}
	if err := CheckDatabaseURL(databaseURL); err != nil {
		return nil, err
	}
	st, err := store.OpenPostgres(ctx, databaseURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", store.RedactURL(databaseURL), err)
	}
	return st, nil
}

// CheckDatabaseURL accepts a postgres:// or postgresql:// URL.
func CheckDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's error quotes the whole URL, password and all.
		return errors.New("PAYDESK_DATABASE_URL is not a URL (want postgres://user@host:5432/dbname; percent-encode characters such as / # ? @ % in the password)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("PAYDESK_DATABASE_URL %s: want a postgres:// or postgresql:// URL, e.g. postgres://paydesk@db.internal:5432/paydesk (unset it for SQLite in the data directory)", store.RedactURL(s))
	}
	return nil
}

// checkSchema refuses a database whose schema is newer than this Paydesk
// knows (a newer version migrated it: this one would misread it) or that
// has none at all, and warns when migrations are pending
// (PAYDESK_MIGRATE=off; /readyz says so until "paydesk migrate" has run).
// It reports whether the schema is current.
func checkSchema(ctx context.Context, st *store.Store, log *slog.Logger) (current bool, err error) {
	applied, known, err := st.SchemaVersion(ctx)
	if err != nil {
		return false, err
	}
	switch {
	case applied > known:
		return false, fmt.Errorf("the database schema is at migration %d, newer than this Paydesk knows (%d): run the newer Paydesk", applied, known)
	case applied == 0:
		return false, fmt.Errorf("the database has no schema yet and migrations are off (PAYDESK_MIGRATE=off): run \"paydesk migrate\" first (this Paydesk needs migration %d)", known)
	case applied < known:
		log.Warn("migrations pending: not ready until they are applied (paydesk migrate)", "database", applied, "needs", known)
		return false, nil
	}
	return true, nil
}

// schemaPoll is how often a Paydesk behind the schema looks again.
const schemaPoll = 5 * time.Second

// waitForSchema returns a wait that ends when the database's schema is the
// one this Paydesk knows (looking every poll), with an error when it is
// newer, or when ctx ends.
func waitForSchema(st *store.Store, poll time.Duration, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			applied, known, err := st.SchemaVersion(ctx)
			switch {
			case err == nil && applied == known:
				log.Info("migrations applied: background jobs start", "schema", applied)
				return nil
			case err == nil && applied > known:
				return fmt.Errorf("the database schema is at migration %d, newer than this Paydesk knows (%d)", applied, known)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// sessionKey is the generated session key: in <data>/session.key with
// SQLite; with PostgreSQL in the database (store.SharedSecret), so every
// replica signs and encrypts cookies with the same key.
func sessionKey(ctx context.Context, st *store.Store, dataDir string, log *slog.Logger) ([]byte, error) {
	if !st.Postgres() {
		return loadOrCreateSessionKey(dataDir, log)
	}
	k, err := st.SharedSecret(ctx, store.SecretSessionKey, func() ([]byte, error) {
		k := make([]byte, 48)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if len(k) < 32 {
		return nil, fmt.Errorf("the session key stored in the database is too short (%d bytes); set PAYDESK_SESSION_KEY", len(k))
	}
	return k, nil
}
