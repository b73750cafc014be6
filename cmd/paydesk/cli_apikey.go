package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"paydesk/store"
)

func runAPIKey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("apikey: want create, list or revoke")
	}
	sub, args := args[0], args[1:]
	scopes := string(store.ScopeSessions)
	extra := func(fs *flag.FlagSet) {
		if sub == "create" {
			fs.StringVar(&scopes, "scopes", scopes, "comma-separated: sessions (create sessions; read and report on the key's own payments), payments:read (read every payment)")
		}
	}
	cfg, rest, err := subcommandConfig("paydesk apikey "+sub, args, env, stderr, extra)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "create":
		if len(rest) != 1 {
			return errors.New("apikey create: want exactly one NAME")
		}
		list, err := store.ParseAPIScopes(scopes)
		if err != nil {
			return fmt.Errorf("apikey create: -scopes: %w", err)
		}
		k, token, err := st.CreateAPIKey(ctx, rest[0], cliActor(), list...)
		if err != nil {
			return fmt.Errorf("apikey create: %w", err)
		}
		fmt.Fprintf(stdout, "Created API key %d (%s, scopes %s). Keep it on your backend, never in an app. The key, shown once:\n%s\n",
			k.ID, k.Name, k.ScopeList(), token)
		return nil
	case "list":
		keys, err := st.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tCREATED\tLAST USED\tSTATUS")
		for _, k := range keys {
			used, status := "never", "active"
			if !k.LastUsedAt.IsZero() {
				used = k.LastUsedAt.Format("2006-01-02 15:04 UTC")
			}
			if !k.Active() {
				status = "revoked " + k.RevokedAt.Format("2006-01-02 15:04 UTC")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.ScopeList(), k.CreatedAt.Format("2006-01-02 15:04 UTC"), used, status)
		}
		return tw.Flush()
	case "revoke":
		if len(rest) != 1 {
			return errors.New("apikey revoke: want exactly one ID")
		}
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return fmt.Errorf("apikey revoke: %q is not a key ID (see apikey list)", rest[0])
		}
		if err := st.RevokeAPIKey(ctx, id, cliActor()); err != nil {
			return fmt.Errorf("apikey revoke: %w", err)
		}
		fmt.Fprintf(stdout, "API key %d revoked.\n", id)
		return nil
	}
	return fmt.Errorf("apikey: unknown subcommand %q", sub)
}
