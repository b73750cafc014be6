package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

const usage = `Usage: paydesk [command] [flags]

Commands:
  serve                       run Paydesk (the default)
  migrate [-check]            apply pending migrations to the database and
                              print its version (-check: apply nothing, fail
                              unless it is current)
  user add EMAIL -role ROLE [-name NAME]
  user reset-password EMAIL
  user disable EMAIL | user enable EMAIL
  user list
  apikey create NAME [-scopes sessions,payments:read]   (default: sessions)
  apikey list
  apikey revoke ID
  help

Every command takes -data-dir (or PAYDESK_DATA_DIR) and -database-url (or
PAYDESK_DATABASE_URL, for PostgreSQL). New passwords are
generated and printed once, or taken from PAYDESK_NEW_PASSWORD.
Run "paydesk serve -h" for the server's flags; the README lists the
environment variables.
`

// Run is the whole program: tests call it with their own arguments,
// environment and output, and a context whose end stops the server.
func Run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, env, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, env, stdout, stderr)
	case "user":
		return runUser(ctx, args, env, stdout, stderr)
	case "apikey":
		return runAPIKey(ctx, args, env, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// serve runs the server until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("paydesk serve", args, env, stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve: unexpected arguments %q", rest)
	}
	a, err := Start(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	werr := a.Wait(ctx)
	newLogger(cfg, stderr).Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return errors.Join(werr, a.Shutdown(sctx))
}
