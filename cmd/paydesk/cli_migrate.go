package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"paydesk/store"
	"paydesk/web/app"
)

// runMigrate is "paydesk migrate [-check]": it applies the pending
// migrations to the configured database (PAYDESK_DATABASE_URL, else SQLite
// in the data directory), whatever PAYDESK_MIGRATE says, and prints the
// version. With -check it applies nothing and fails unless the schema is
// the one this Paydesk knows.
func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var check bool
	cfg, rest, err := loadConfig("paydesk migrate", args, env, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&check, "check", false, "apply nothing: print the status, and fail unless the schema is current")
	})
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("migrate: unexpected arguments %q", rest)
	}
	if errs := cfg.validateDatabase(); len(errs) > 0 {
		return errors.Join(errs...)
	}
	where := "SQLite " + filepath.Join(cfg.DataDir, store.DBFile)
	if cfg.DatabaseURL != "" {
		where = "PostgreSQL " + store.RedactURL(cfg.DatabaseURL)
	}
	before, known, err := schemaVersion(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	switch {
	case before > known:
		return fmt.Errorf("migrate: %s is at migration %d, newer than this Paydesk knows (%d): run the newer Paydesk", where, before, known)
	case before == known:
		fmt.Fprintf(stdout, "%s: at migration %d, up to date.\n", where, before)
		return nil
	case check:
		fmt.Fprintf(stdout, "%s: at migration %d, this Paydesk needs %d: %d pending.\n", where, before, known, known-before)
		return fmt.Errorf("migrate -check: %d migrations pending", known-before)
	}
	st, err := app.OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL, true)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer st.Close()
	after, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(stdout, "%s: migrated from %d to %d, up to date.\n", where, before, after)
	return nil
}

// schemaVersion opens the database without migrating it and reads its
// schema version and the one this Paydesk knows.
func schemaVersion(ctx context.Context, cfg Config) (applied, known int, err error) {
	st, err := app.OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL, false)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	return st.SchemaVersion(ctx)
}
