package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/web/app"
)

// cliActor is the audit actor of command-line changes: "cli:<os user>" (or
// "cli" when the OS user is unknown), so the log says who ran the command.
func cliActor() store.AuditContext {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return store.AuditContext{Actor: "cli:" + u.Username}
	}
	return store.AuditContext{Actor: "cli"}
}

// openStore opens the configured database for a subcommand: PostgreSQL
// at PAYDESK_DATABASE_URL, else SQLite in the data directory. It refuses a
// schema other than the one this Paydesk knows, as serve would.
func openStore(ctx context.Context, cfg Config) (*store.Store, error) {
	if err := cfg.validateDatabase(); err != nil {
		return nil, errors.Join(err...)
	}
	st, err := app.OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL, cfg.migrate())
	if err != nil {
		return nil, err
	}
	applied, known, err := st.SchemaVersion(ctx)
	if err == nil && applied != known {
		err = fmt.Errorf("the database schema is at migration %d and this Paydesk knows %d: run \"paydesk migrate\" with the Paydesk that matches", applied, known)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// subcommandConfig parses a subcommand's flags; a leading positional
// argument (the email, name or ID) may come before them.
func subcommandConfig(name string, args []string, env func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (Config, []string, error) {
	var lead []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		lead, args = args[:1], args[1:]
	}
	cfg, rest, err := loadConfig(name, args, env, stderr, extra)
	return cfg, append(lead, rest...), err
}

// newPassword is PAYDESK_NEW_PASSWORD when set (validated), else a
// generated one the caller prints once.
func newPassword(env func(string) string) (password string, generated bool, err error) {
	if p := env("PAYDESK_NEW_PASSWORD"); p != "" {
		return p, false, store.ValidatePassword(p)
	}
	p, err := handlers.GeneratePassword()
	return p, true, err
}

func runUser(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("user: want add, reset-password, disable, enable or list")
	}
	sub, args := args[0], args[1:]
	var role, name string
	extra := func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.StringVar(&role, "role", "", "admin, operator or support")
			fs.StringVar(&name, "name", "", "display name")
		}
	}
	cfg, rest, err := subcommandConfig("paydesk user "+sub, args, env, stderr, extra)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	switch sub {
	case "list":
		return userList(ctx, st, stdout)
	case "add", "reset-password", "disable", "enable":
	default:
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	if len(rest) != 1 {
		return fmt.Errorf("user %s: want exactly one EMAIL", sub)
	}
	email := rest[0]
	switch sub {
	case "add":
		r, err := store.ParseRole(role)
		if err != nil {
			return fmt.Errorf("user add: -role: %w", err)
		}
		password, generated, err := newPassword(env)
		if err != nil {
			return fmt.Errorf("user add: PAYDESK_NEW_PASSWORD: %w", err)
		}
		hash, err := store.HashPassword(password, store.DefaultPasswordParams)
		if err != nil {
			return err
		}
		u, err := st.CreateUser(ctx, store.NewUser{Email: email, Name: name, Role: r, PasswordHash: hash}, cliActor())
		if err != nil {
			return fmt.Errorf("user add: %w", err)
		}
		fmt.Fprintf(stdout, "Created %s (%s).\n", u.Email, u.Role)
		printPassword(stdout, generated, password)
		return nil
	case "reset-password":
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("user reset-password %s: %w", email, err)
		}
		password, generated, err := newPassword(env)
		if err != nil {
			return fmt.Errorf("user reset-password: PAYDESK_NEW_PASSWORD: %w", err)
		}
		hash, err := store.HashPassword(password, store.DefaultPasswordParams)
		if err != nil {
			return err
		}
		if err := st.SetUserPassword(ctx, u.ID, hash, "", cliActor()); err != nil {
			return fmt.Errorf("user reset-password: %w", err)
		}
		fmt.Fprintf(stdout, "Password of %s reset; their sessions have ended.\n", u.Email)
		printPassword(stdout, generated, password)
		return nil
	default: // disable, enable
		u, err := st.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("user %s %s: %w", sub, email, err)
		}
		if u, err = st.SetUserDisabled(ctx, u.ID, sub == "disable", cliActor()); err != nil {
			return fmt.Errorf("user %s: %w", sub, err)
		}
		fmt.Fprintf(stdout, "%s is %sd.\n", u.Email, sub)
		return nil
	}
}

func printPassword(w io.Writer, generated bool, password string) {
	if generated {
		fmt.Fprintf(w, "Password (shown once): %s\n", password)
	} else {
		fmt.Fprintln(w, "Password set from PAYDESK_NEW_PASSWORD.")
	}
}

func userList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tSTATUS\tLAST SIGN-IN")
	for _, u := range users {
		status, last := "active", "never"
		if u.Disabled {
			status = "disabled"
		}
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, status, last)
	}
	return tw.Flush()
}
