package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"paydesk/store/storetest"
)

// A tiny run of the whole tool against an in-process Paydesk: every phase
// must work end to end (the numbers themselves are not judged here).
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Paydesk and loads it")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-payments", "200", "-open", "20", "-concurrency", "4",
		"-duration", "300ms", "-baseline", "100ms", "-searches", "25", "-polls", "20", "-list-rounds", "1",
		"-data-dir", t.TempDir()}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	report := out.String()
	for _, want := range []string{"webhook ingest, 4 senders", "search by ID", "search by part of an ID", "search by fragment", "filtered list page", "unchanged live poll", "CPU per detail poll", "resident memory", "start-up"} {
		if !strings.Contains(report, want) {
			t.Errorf("report has no %q line:\n%s", want, report)
		}
	}
	if strings.Contains(report, "first ingest error") || strings.Contains(report, "did not lead") || strings.Contains(report, "missed") {
		t.Errorf("errors in the run:\n%s", report)
	}
}

// The same tiny run on PostgreSQL with two servers on the one database
// (PAYDESK_TEST_DATABASE_URL; make test sets it): every notification is
// acknowledged, both servers took some, the ledger read back agrees with
// what was acknowledged, and the run's private schema is gone afterwards.
func TestRunPostgresReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two Paydesk servers and loads them")
	}
	base := os.Getenv(storetest.EnvURL)
	if base == "" {
		t.Skipf("no PostgreSQL: %s is not set (make test runs .ci/with-postgres, which sets it)", storetest.EnvURL)
	}
	var out, errOut bytes.Buffer
	r, err := runReport(context.Background(), []string{"-payments", "200", "-open", "50", "-concurrency", "4",
		"-duration", "1s", "-baseline", "100ms", "-searches", "25", "-part-searches", "5", "-polls", "20", "-list-rounds", "1",
		"-data-dir", t.TempDir(), "-database-url", base, "-replicas", "2"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	r.print(&out)
	in := r.ingest
	if in.ok == 0 || in.failed != 0 {
		t.Errorf("ingest: %d acknowledged, %d failed (first error %q); want every one acknowledged\n%s", in.ok, in.failed, in.firstError, out.String())
	}
	if len(in.perServer) != 2 || in.perServer[0] == 0 || in.perServer[1] == 0 {
		t.Errorf("acknowledgements per server %v: want some from each of 2", in.perServer)
	}
	l := r.ledger
	if !l.ok() || l.checked != 50 || l.paid == 0 {
		t.Errorf("ledger: %d read, %d paid, %d captured, %d inconsistent %q; want all 50 read, some paid, none inconsistent",
			l.checked, l.paid, l.captured, l.inconsistent, l.problems)
	}
	if r.baseBefore <= 0 || r.pgServer == "" || !strings.Contains(r.pgServer, "synchronous_commit=") {
		t.Errorf("baseline %v, server %q: want a rate and the server's settings", r.baseBefore, r.pgServer)
	}
	if r.search.misses != 0 {
		t.Errorf("%d searches did not lead to their payment", r.search.misses)
	}

	// The private schema is dropped.
	u, err := url.Parse(r.o.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	schema, _, _ := strings.Cut(u.Query().Get("search_path"), ",")
	if !strings.HasPrefix(schema, "paydeskload_") {
		t.Fatalf("search_path %q: want the run's private schema first", u.Query().Get("search_path"))
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s is still there after the run", schema)
	}
}
