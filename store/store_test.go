package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"paydesk/antom"
	"paydesk/store/storetest"
)

// sqliteOnly skips a test of something only SQLite has (its file, pragmas,
// an old SQLite database) when the suite runs on PostgreSQL.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if storetest.Postgres() {
		t.Skip("SQLite only: this checks the SQLite file or its pragmas")
	}
}

// newTestStore opens a store in a temp dir on a fixed, settable clock.
func newTestStore(t testing.TB, opts ...Option) (*Store, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	// No background search indexing: its commits would come at random
	// times; the search tests call IndexSearchKeys.
	opts = append([]Option{WithClock(clk.Now), WithSearchIndexEvery(0)}, opts...)
	var s *Store
	var err error
	if storetest.Postgres() {
		s, err = OpenPostgres(context.Background(), storetest.PostgresURL(t), opts...)
	} else {
		s, err = Open(context.Background(), t.TempDir(), opts...)
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, clk
}

var ctx = context.Background()

func newPayment(mods ...func(*NewPayment)) NewPayment {
	np := NewPayment{
		ReferenceOrderID: "order-1",
		BuyerID:          "buyer-1",
		Description:      "Two coffees",
		AmountMinor:      4200,
		Currency:         "SGD",
		CaptureMode:      antom.CaptureAutomatic,
		NotifyURL:        "https://paydesk.example/webhooks/antom",
		RedirectURL:      "https://shop.example/return",
		CreatedBy:        "user:ana@example.com",
	}
	for _, m := range mods {
		m(&np)
	}
	return np
}

func mustCreate(t testing.TB, s *Store, mods ...func(*NewPayment)) *Payment {
	t.Helper()
	p, err := s.CreatePayment(ctx, newPayment(mods...))
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	return p
}

// mustReady creates a payment and records its session.
func mustReady(t testing.TB, s *Store, mods ...func(*NewPayment)) *Payment {
	t.Helper()
	p := mustCreate(t, s, mods...)
	p, err := s.SessionCreated(ctx, p.PaymentRequestID, SessionResult{SessionData: "blob&&SG&&111", SessionID: "sess-" + p.PaymentRequestID})
	if err != nil {
		t.Fatalf("SessionCreated: %v", err)
	}
	return p
}

func mustGet(t testing.TB, s *Store, prid string) *PaymentDetail {
	t.Helper()
	d, err := s.GetPayment(ctx, prid)
	if err != nil {
		t.Fatalf("GetPayment(%s): %v", prid, err)
	}
	return d
}

// deliver ingests a verified notification given as JSON.
func deliver(t testing.TB, s *Store, body string) *DeliveryResult {
	t.Helper()
	res, err := tryDeliver(s, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// tryDeliver is deliver for goroutines other than the test's.
func tryDeliver(s *Store, body string) (*DeliveryResult, error) {
	n, err := antom.ParseNotification([]byte(body))
	if err != nil {
		return nil, fmt.Errorf("ParseNotification: %w", err)
	}
	res, err := s.IngestNotification(ctx, DeliveryInput{
		Path: "/webhooks/antom", Headers: map[string][]string{"Client-Id": {"SANDBOX_1"}}, Body: []byte(body),
		ClientID: "SANDBOX_1", RequestTime: "1700000000000", Verdict: VerdictOK, Notification: n,
		ResponseStatus: 200, ResponseBody: antom.AckBody,
	})
	if err != nil {
		return nil, fmt.Errorf("IngestNotification: %w", err)
	}
	return res, nil
}

func paymentResult(prid, pid, status, code string, amount int64) string {
	b, _ := json.Marshal(map[string]any{
		"notifyType":       "PAYMENT_RESULT",
		"result":           map[string]string{"resultStatus": status, "resultCode": code, "resultMessage": strings.ToLower(code)},
		"paymentRequestId": prid, "paymentId": pid,
		"paymentAmount":     map[string]string{"currency": "SGD", "value": fmt.Sprint(amount)},
		"paymentCreateTime": "2025-03-01T18:00:00+08:00", "paymentTime": "2025-03-01T18:00:03+08:00",
		"paymentResultInfo": map[string]string{"cardBrand": "VISA", "cardNo": "************0768"},
	})
	return string(b)
}

func captureResult(pid, capReqID, capID, status string, amount int64) string {
	b, _ := json.Marshal(map[string]any{
		"notifyType": "CAPTURE_RESULT",
		"result":     map[string]string{"resultStatus": status, "resultCode": map[string]string{"S": "SUCCESS", "F": "PROCESS_FAIL"}[status]},
		"paymentId":  pid, "captureRequestId": capReqID, "captureId": capID,
		"captureAmount": map[string]string{"currency": "SGD", "value": fmt.Sprint(amount)},
		"captureTime":   "2025-03-01T18:00:05+08:00", "acquirerReferenceNo": "ACQ-" + capID,
	})
	return string(b)
}

func refundResult(refReqID, refID, status string, amount int64) string {
	b, _ := json.Marshal(map[string]any{
		"notifyType":      "REFUND_RESULT",
		"result":          map[string]string{"resultStatus": "S", "resultCode": "SUCCESS"},
		"refundRequestId": refReqID, "refundId": refID, "refundStatus": status,
		"refundAmount": map[string]string{"currency": "SGD", "value": fmt.Sprint(amount)},
	})
	return string(b)
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpenMigrates(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || files[0].version != 1 || files[0].name != "0001_ledger.sql" {
		t.Fatalf("got migrations %+v, want 0001_ledger.sql first", files)
	}
	for i := 1; i < len(files); i++ {
		if files[i].version <= files[i-1].version {
			t.Fatalf("migrations out of order: %+v", files)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM schema_migrations"); got != len(files) {
		t.Errorf("got %d recorded migrations, want %d", got, len(files))
	}
	mustCreate(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening applies nothing twice and keeps the data.
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got := count(t, s, "SELECT count(*) FROM schema_migrations"); got != len(files) {
		t.Errorf("after reopen: got %d recorded migrations, want %d", got, len(files))
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != 1 {
		t.Errorf("after reopen: got %d payments, want 1", got)
	}
}

func TestMigrationFilesRejectsBadNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
	}{
		{"no number", []string{"ledger.sql"}},
		{"duplicate number", []string{"0001_a.sql", "1_b.sql"}},
		{"zero", []string{"0000_a.sql"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			if _, err := migrationFiles(fsys, "m"); err == nil {
				t.Errorf("got nil error for %v, want one", tc.files)
			}
		})
	}
}

func TestPragmasApplied(t *testing.T) {
	sqliteOnly(t)
	s, _ := newTestStore(t)
	check := func(db *sql.DB, pragma, want string) {
		t.Helper()
		var got string
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if !strings.EqualFold(got, want) {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	// The writer's pool has one connection; this reads that connection's settings.
	check(s.wdb, "synchronous", "2") // FULL
	check(s.wdb, "journal_mode", "wal")
	check(s.wdb, "foreign_keys", "1")
	check(s.wdb, "busy_timeout", "10000")
	check(s.rdb, "journal_mode", "wal")
	check(s.rdb, "query_only", "1")
	if got := s.wdb.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	// Readers cannot write.
	if _, err := s.rdb.Exec("DELETE FROM payments"); err == nil {
		t.Error("reader pool accepted a write")
	}
}

// holdWriter blocks the writer inside a write until release is called, so
// that writes queued meanwhile are committed together in the next batch.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.writeTx(ctx, func(tx *sql.Tx) error {
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("holding write: %v", err)
		}
	}
}

// waitQueued waits until n writes are queued behind the held writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes queued, want %d", len(s.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustCreate(t, s)
	const n = 40
	release := holdWriter(t, s)
	before := s.commits.Load()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.writeTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec("INSERT INTO events (payment_fk, kind, at) VALUES (?, 'flag', ?)", p.ID, i); err != nil {
					return err
				}
				if i%4 == 0 {
					return fmt.Errorf("write %d refuses", i)
				}
				if i%10 == 1 {
					panic("write panics")
				}
				return nil
			})
		}(i)
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	if got := s.commits.Load() - before; got != 2 {
		t.Errorf("got %d commits for the held write and %d queued ones, want 2 (one batch)", got, n)
	}
	var ok int
	for i, err := range errs {
		switch {
		case i%4 == 0 || i%10 == 1:
			if err == nil {
				t.Errorf("write %d: got nil error, want its failure", i)
			}
		case err != nil:
			t.Errorf("write %d: %v", i, err)
		default:
			ok++
		}
	}
	if got := count(t, s, "SELECT count(*) FROM events WHERE kind = 'flag'"); got != ok {
		t.Errorf("got %d rows, want %d (only the successful writes)", got, ok)
	}
}

// A write that breaks the shared transaction (here: it rolls it back) gets
// its error; the writes before it in the batch are rolled back with it and
// run again, the ones after it run once; all of them are committed.
func TestGroupCommitRecoversBrokenBatch(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustCreate(t, s)
	release := holdWriter(t, s)
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs := make([]int, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.writeTx(ctx, func(tx *sql.Tx) error {
				mu.Lock()
				runs[i]++
				mu.Unlock()
				if i == 5 {
					if _, err := tx.Exec("ROLLBACK"); err != nil {
						return err
					}
					return errors.New("broke the transaction")
				}
				_, err := tx.Exec("INSERT INTO events (payment_fk, kind, at) VALUES (?, 'flag', ?)", p.ID, i)
				return err
			})
		}(i)
		waitQueued(t, s, i+1) // queue them in order
	}
	release()
	wg.Wait()
	for i, err := range errs {
		if (i == 5) != (err != nil) {
			t.Errorf("write %d: got error %v", i, err)
		}
	}
	for i, want := range []int{2, 2, 2, 2, 2, 1, 1, 1, 1, 1} {
		if runs[i] != want {
			t.Errorf("write %d ran %d times, want %d", i, runs[i], want)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM events WHERE kind = 'flag'"); got != n-1 {
		t.Errorf("got %d rows, want %d", got, n-1)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	s, _ := newTestStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePayment(ctx, newPayment()); !errors.Is(err, errClosed) {
		t.Errorf("got %v, want errClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPing(t *testing.T) {
	s, _ := newTestStore(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestOpenMakesFilesPrivate: a pre-created world-readable data directory
// and database become 0700 and 0600, and so do the -wal and -shm files
// SQLite creates; Tightened says what was fixed.
func TestOpenMakesFilesPrivate(t *testing.T) {
	sqliteOnly(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DBFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreatePayment(context.Background(), newPayment()); err != nil {
		t.Fatal(err)
	}
	if len(s.Tightened()) != 2 {
		t.Errorf("Tightened() = %q, want the directory and the database", s.Tightened())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600, s.Path() + "-wal": 0o600, s.Path() + "-shm": 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", filepath.Base(path), got, want)
		}
	}
}
