package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"paydesk/store/storetest"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{"SELECT '?' || ? FROM t", "SELECT '?' || $1 FROM t"},
		{`SELECT "we?ird" FROM t WHERE x = ?`, `SELECT "we?ird" FROM t WHERE x = $1`},
		{"SELECT 'it''s ?' , ?", "SELECT 'it''s ?' , $1"},
		{"SELECT ? -- is it?\n, ?", "SELECT $1 -- is it?\n, $2"},
		{"SELECT ? -- trailing?", "SELECT $1 -- trailing?"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
		{"SELECT a FROM t WHERE b = ?1 OR c = ?1 OR d = ?12", "SELECT a FROM t WHERE b = $1 OR c = $1 OR d = $12"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := rebind(tc.in); got != tc.want { // the cached answer
			t.Errorf("cached rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPgStorageErr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}, true},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "08006", Message: "connection failure"}, true},
		{&pgconn.PgError{Code: "25006", Message: "cannot execute UPDATE in a read-only transaction"}, true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint"}, false},
		{&pgconn.PgError{Code: "42P01", Message: "relation does not exist"}, false},
		{context.Canceled, false},
		{errors.New("store: something else"), false},
	} {
		if got := errors.Is(pgStorageErr(tc.err), ErrUnavailable); got != tc.want {
			t.Errorf("pgStorageErr(%v) unavailable = %v, want %v", tc.err, got, tc.want)
		}
	}
	if !isUniqueViolation(&pgconn.PgError{Code: "23505"}) {
		t.Error("23505 is not a unique violation")
	}
}

// replicas opens n stores on one fresh PostgreSQL schema, as n Paydesk
// replicas would, all on the suite's clock.
func replicas(t *testing.T, n int) []*Store {
	t.Helper()
	url := storetest.PostgresURL(t)
	clk := &fakeClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	out := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() { // started together: they race to migrate
			defer wg.Done()
			out[i], errs[i] = OpenPostgres(ctx, url, WithClock(clk.Now), WithSearchIndexEvery(0))
		}()
	}
	wg.Wait()
	for i, s := range out {
		if errs[i] != nil {
			t.Fatalf("replica %d: OpenPostgres: %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	return out
}

// TestPostgresMigrationsOnceAcrossReplicas: replicas starting together on
// an empty database apply each migration exactly once.
func TestPostgresMigrationsOnceAcrossReplicas(t *testing.T) {
	rs := replicas(t, 3)
	applied, known, err := rs[2].SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if applied != known || known == 0 {
		t.Fatalf("schema at %d, binary knows %d", applied, known)
	}
	var rows int
	if err := rs[0].rdb.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	files, _ := migrationFiles(migrationFS, postgresMigrations)
	if rows != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d", rows, len(files))
	}
}

// TestSchemaNewerRefused: a database migrated by a newer Paydesk is refused
// (with or without WithMigrate), on both backends.
func TestSchemaNewerRefused(t *testing.T) {
	open := map[string]func(opts ...Option) (*Store, error){}
	dir := t.TempDir()
	open["sqlite"] = func(opts ...Option) (*Store, error) { return Open(ctx, dir, opts...) }
	if storetest.Available() {
		url := storetest.PostgresURL(t)
		open["postgres"] = func(opts ...Option) (*Store, error) { return OpenPostgres(ctx, url, opts...) }
	}
	for name, openIt := range open {
		t.Run(name, func(t *testing.T) {
			s, err := openIt()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.writeTx(ctx, func(tx *wtx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			for _, migrate := range []bool{true, false} {
				if s, err := openIt(WithMigrate(migrate)); !errors.Is(err, ErrSchemaNewer) {
					if s != nil {
						s.Close()
					}
					t.Errorf("WithMigrate(%v): got %v, want ErrSchemaNewer", migrate, err)
				}
			}
		})
	}
}

// TestPostgresMigrateOff: without migrations applied, the store opens and
// says how far behind the schema is; `paydesk migrate` (a store opened with
// migrations) then brings it up to date.
func TestPostgresMigrateOff(t *testing.T) {
	url := storetest.PostgresURL(t)
	s, err := OpenPostgres(ctx, url, WithMigrate(false))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, known, err := s.SchemaVersion(ctx)
	if err != nil || applied != 0 || known == 0 {
		t.Fatalf("SchemaVersion = %d, %d, %v; want 0, >0, nil", applied, known, err)
	}
	m, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if applied, known, err = s.SchemaVersion(ctx); err != nil || applied != known {
		t.Fatalf("after migrating: SchemaVersion = %d, %d, %v", applied, known, err)
	}
}

// TestReplicasApplyANotificationOnce: Antom delivering one notification to
// several replicas at once (its retries, a duplicate, a load balancer)
// changes the ledger once; every delivery is kept.
func TestReplicasApplyANotificationOnce(t *testing.T) {
	rs := replicas(t, 2)
	p := mustReady(t, rs[0])
	body := paymentResult(p.PaymentRequestID, "pid-once", "S", "SUCCESS", 4200)
	const n = 16
	results := make([]*DeliveryResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = tryDeliver(rs[i%2], body)
		}()
	}
	close(start)
	wg.Wait()
	applied := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		if results[i].Outcome == OutcomeApplied {
			applied++
		} else if results[i].Outcome != OutcomeDuplicate {
			t.Errorf("delivery %d: outcome %s", i, results[i].Outcome)
		}
	}
	if applied != 1 {
		t.Errorf("%d deliveries applied, want exactly 1", applied)
	}
	d := mustGet(t, rs[1], p.PaymentRequestID)
	if d.Status != StatusSuccess {
		t.Errorf("status %s, want SUCCESS", d.Status)
	}
	var kept int
	if err := rs[1].rdb.QueryRowContext(ctx, "SELECT count(*) FROM deliveries").Scan(&kept); err != nil || kept != n {
		t.Errorf("deliveries kept = %d (%v), want %d", kept, err, n)
	}
}

// TestReplicasNeverOverCapture: simultaneous captures of one authorisation
// from different replicas never capture more than was authorised.
func TestReplicasNeverOverCapture(t *testing.T) {
	rs := replicas(t, 3)
	p := authorizedPayment(t, rs[0], 4200)
	const n = 12
	var mu sync.Mutex
	var started int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if c, err := beginCapture(rs[i%3], p.PaymentRequestID, 1500, fmt.Sprintf("user:op%d@example.com", i)); err == nil {
				mu.Lock()
				started += c.AmountMinor
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if started == 0 || started > 4200 {
		t.Errorf("captures started for %d in all, want 1..4200", started)
	}
}

// TestReplicasClaimEachOperationOnce: replicas claiming due operations at
// the same moment never claim one operation twice.
func TestReplicasClaimEachOperationOnce(t *testing.T) {
	rs := replicas(t, 3)
	const payments = 12
	for range payments {
		p := authorizedPayment(t, rs[0], 4200)
		if _, err := rs[0].BeginCapture(ctx, p.PaymentRequestID, 4200, AuditContext{Actor: "user:op@example.com"}, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	claimed := map[int64]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ops, err := rs[i%3].ClaimDueOperations(ctx, time.Now(), 5, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for _, o := range ops {
				claimed[o.ID]++
			}
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if len(claimed) != payments {
		t.Errorf("%d operations claimed, want all %d", len(claimed), payments)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("operation %d claimed %d times", id, n)
		}
	}
}

// TestPostgresRecoversAfterLostConnections: when the server ends every
// connection (a restart, a failover), a write in flight fails as
// ErrUnavailable — nothing half-written — and the store reconnects by
// itself: the next writes and reads work without reopening it.
func TestPostgresRecoversAfterLostConnections(t *testing.T) {
	// The store's connections carry a name of their own, so only they
	// are ended (other tests share the server).
	name := fmt.Sprintf("paydesk_recover_%d", time.Now().UnixNano())
	s, err := OpenPostgres(ctx, storetest.PostgresURL(t)+"&application_name="+name, WithSearchIndexEvery(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := mustReady(t, s)
	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended int
	if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1) AS t`, name).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("ended %d connections (%v), want some", ended, err)
	}
	_, err = s.SetFlags(ctx, p.PaymentRequestID, FlagStuck, 0, "test", "after the connections were lost")
	if err != nil && !errors.Is(err, ErrUnavailable) {
		t.Fatalf("first write after the connections ended: %v, want success or ErrUnavailable", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = s.SetFlags(ctx, p.PaymentRequestID, FlagStuck, 0, "test", "after the connections were lost")
		if err == nil {
			break
		}
		if !errors.Is(err, ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("write after reconnecting: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := mustGet(t, s, p.PaymentRequestID); !d.Flags.Has(FlagStuck) {
		t.Errorf("flags %s after reconnecting, want stuck", d.Flags)
	}
}

func TestPgText(t *testing.T) {
	for in, want := range map[string]string{
		"pay_123":          "pay_123",
		"":                 "",
		"caf\u00e9":        "caf\u00e9",
		"a\x00b":           "a\uFFFDb",
		"bad\xffutf8":      "bad\uFFFDutf8",
		"\x00\xfe\xff-end": "\uFFFD\uFFFD-end",
	} {
		if got := pgText(in); got != want {
			t.Errorf("pgText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIngestKeepsAVerifiedNotificationWithANul: a notification Antom signed
// whose IDs hold a NUL (SQLite keeps any bytes; PostgreSQL text cannot) is
// stored and answered on either backend, its body byte for byte.
func TestIngestKeepsAVerifiedNotificationWithANul(t *testing.T) {
	s, _ := newTestStore(t)
	body := paymentResult("pay-with-\u0000-nul", "pid-\u0000", "S", "SUCCESS", 4200)
	res := deliver(t, s, body)
	if res.Outcome != OutcomeUnknownPayment {
		t.Errorf("outcome %s, want %s", res.Outcome, OutcomeUnknownPayment)
	}
	d, err := s.GetDelivery(ctx, res.DeliveryID)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != body {
		t.Errorf("stored body %q, want the bytes received %q", d.Body, body)
	}
}

// TestPostgresCommitOutcome: after a commit whose answer was lost, the
// server is asked: a committed transaction is a success, a rolled-back
// one is "nothing was changed", and no answer is ErrCommitUnknown — never
// ErrUnavailable, which tells people nothing was changed.
func TestPostgresCommitOutcome(t *testing.T) {
	s := replicas(t, 1)[0]
	lost := &unavailableError{err: io.ErrUnexpectedEOF}
	xidOf := func(commit bool) string {
		tx, err := s.rdb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var xid string
		if err := tx.QueryRowContext(ctx, "SELECT pg_current_xact_id()::text").Scan(&xid); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		return xid
	}
	if err := s.commitOutcome(ctx, xidOf(true), lost); err != nil {
		t.Errorf("committed: %v, want nil", err)
	}
	if err := s.commitOutcome(ctx, xidOf(false), lost); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrCommitUnknown) {
		t.Errorf("rolled back: %v, want ErrUnavailable", err)
	}
	defer func(d time.Duration) { commitResolveFor = d }(commitResolveFor)
	commitResolveFor = 300 * time.Millisecond
	if err := s.commitOutcome(ctx, "not-a-transaction-id", lost); !errors.Is(err, ErrCommitUnknown) || errors.Is(err, ErrUnavailable) {
		t.Errorf("no answer: %v, want ErrCommitUnknown and not ErrUnavailable", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://paydesk:s3cret@db:5432/paydesk":               "postgres://paydesk:xxxxx@db:5432/paydesk",
		"postgres://paydesk@db/paydesk?password=s3cret&sslmode=x": "postgres://paydesk@db/paydesk?password=xxxxx&sslmode=x",
		"postgres://db/p?sslpassword=s3cret":                      "postgres://db/p?sslpassword=xxxxx",
		"postgres://paydesk@db/paydesk":                           "postgres://paydesk@db/paydesk",
	} {
		if got := RedactURL(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
