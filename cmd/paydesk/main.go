// Command paydesk is the merchant side of Antom card payments in one binary:
// the dashboard, the webhook receiver, the app API and, by default, an
// embedded Antom simulator. Run "paydesk help" for the subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"paydesk/web/app"

	// Staff time zones (IANA names) load from the zone database compiled
	// into the binary: a slim image may have no /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app.DefaultGC(os.Getenv) // GOGC=400 with a 48 MiB soft limit unless set: see web/app/gc.go
	if err := Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "paydesk:", err)
		os.Exit(1)
	}
}
