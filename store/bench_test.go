package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"paydesk/antom"
)

// Benchmarks measure; they assert nothing about speed. Compare
// BenchmarkIngestNotification/senders=32 with BenchmarkDurableSingleCommit
// (the machine's raw durable commit rate) in the same run:
//
//	go test -run '^$' -bench 'Ingest|Durable' ./store/
//
// The search and list benchmarks use a fixture of PAYDESK_BENCH_ROWS payments
// (default 20000; set 1000000 for the design target).

// BenchmarkDurableSingleCommit is the baseline: one single-row transaction
// per commit, synchronous=FULL, on the writer connection.
func BenchmarkDurableSingleCommit(b *testing.B) {
	s, _ := newTestStore(b)
	if _, err := s.wdb.Exec("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, body BLOB)"); err != nil {
		b.Fatal(err)
	}
	body := []byte(paymentResult("p", "pid", "S", "SUCCESS", 100))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, err := s.wdb.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO bench_rows (body) VALUES (?)", body); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkIngestNotification ingests verified notifications (delivery row,
// dedupe, state machine, timeline event, payment update, durable commit)
// from 1 and 32 concurrent senders, with group commit and, for
// comparison, without it (one commit per notification). All but the first
// 256 are redeliveries; BenchmarkIngestFirstDelivery has none.
func BenchmarkIngestNotification(b *testing.B) {
	for _, tc := range []struct {
		name    string
		senders int
		batch   int
	}{
		{"senders=1", 1, defaultMaxBatch},
		{"senders=32", 32, defaultMaxBatch},
		{"senders=32/no-group-commit", 32, 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, _ := newTestStore(b, WithMaxBatch(tc.batch))
			const pool = 256
			bodies := make([][]byte, pool)
			notes := make([]*antom.Notification, pool)
			for i := range bodies {
				p := mustReady(b, s, func(n *NewPayment) { n.ReferenceOrderID = fmt.Sprintf("o-%d", i) })
				bodies[i] = []byte(paymentResult(p.PaymentRequestID, fmt.Sprintf("PID-%d", i), "S", "SUCCESS", 4200))
				n, err := antom.ParseNotification(bodies[i])
				if err != nil {
					b.Fatal(err)
				}
				notes[i] = n
			}
			headers := map[string][]string{"Client-Id": {"SANDBOX_1"}, "Request-Time": {"1700000000000"}, "Signature": {"algorithm=RSA256,keyVersion=1,signature=abc"}}
			var next atomic.Int64
			commits0 := s.commits.Load()
			cpu0 := processCPU()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < tc.senders; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						k := i % pool
						_, err := s.IngestNotification(context.Background(), DeliveryInput{
							Path: "/webhooks/antom", Headers: headers, Body: bodies[k], ClientID: "SANDBOX_1",
							RequestTime: "1700000000000", Verdict: VerdictOK, Notification: notes[k],
							ResponseStatus: 200, ResponseBody: antom.AckBody,
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if _, err := s.IndexSearchKeys(context.Background()); err != nil { // the deferred share of the writes
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/notification")
			if c := s.commits.Load() - commits0; c > 0 {
				b.ReportMetric(float64(b.N)/float64(c), "notifications/commit")
			}
		})
	}
}

// BenchmarkIngestFirstDelivery ingests a PAYMENT_RESULT for each of b.N
// open sessions from 32 senders: every notification is a first delivery
// that sets the paymentId and card (new search keys, card index entries).
func BenchmarkIngestFirstDelivery(b *testing.B) {
	s, _ := newTestStore(b)
	f, err := s.SeedFixture(context.Background(), FixtureSpec{Payments: b.N, Open: b.N})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, b.N)
	notes := make([]*antom.Notification, b.N)
	for i := range bodies {
		p := f.Payment(i)
		body := strings.Replace(paymentResult(p.PaymentRequestID, p.PaymentID, "S", "SUCCESS", p.AmountMinor), `"SGD"`, strconv.Quote(p.Currency), 1)
		bodies[i] = []byte(body)
		if notes[i], err = antom.ParseNotification(bodies[i]); err != nil {
			b.Fatal(err)
		}
	}
	headers := map[string][]string{"Client-Id": {"SANDBOX_1"}, "Request-Time": {"1700000000000"}, "Signature": {"algorithm=RSA256,keyVersion=1,signature=abc"}}
	var next atomic.Int64
	cpu0 := processCPU()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				res, err := s.IngestNotification(context.Background(), DeliveryInput{
					Path: "/webhooks/antom", Headers: headers, Body: bodies[i], ClientID: "SANDBOX_1",
					RequestTime: "1700000000000", Verdict: VerdictOK, Notification: notes[i],
					ResponseStatus: 200, ResponseBody: antom.AckBody,
				})
				if err != nil {
					b.Error(err)
					return
				}
				if res.Outcome != OutcomeApplied {
					b.Errorf("notification %d: outcome %s, want applied", i, res.Outcome)
					return
				}
			}
		}()
	}
	wg.Wait()
	if _, err := s.IndexSearchKeys(context.Background()); err != nil { // the deferred share of the writes
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/notification")
}

// processCPU is the CPU time (user and system) this process has used: on a
// shared machine a steadier measure of a write path's cost than its rate.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---- a large fixture for search and list benchmarks ----

type benchFixture struct {
	s      *Store
	dir    string
	rows   int
	prids  []string // a sample of IDs to search for
	pids   []string
	orders []string
	buyers []string
	caps   []string
	cursor string // a cursor in the middle of the table
}

var (
	fixtureOnce sync.Once
	fixture     *benchFixture
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture != nil {
		fixture.s.Close()
		os.RemoveAll(fixture.dir)
	}
	if readPathS != nil {
		readPathS.Close()
	}
	if readPathDir != "" {
		os.RemoveAll(readPathDir)
	}
	os.Exit(code)
}

func benchRows() int {
	if v, err := strconv.Atoi(os.Getenv("PAYDESK_BENCH_ROWS")); err == nil && v > 0 {
		return v
	}
	return 20000
}

// loadFixture builds the table once per run, writing rows directly (the
// ledger API would take minutes for a million rows; the rows are the same shape).
func loadFixture(b *testing.B) *benchFixture {
	fixtureOnce.Do(func() {
		f := &benchFixture{rows: benchRows()}
		f.dir, fixtureErr = os.MkdirTemp("", "paydesk-bench-")
		if fixtureErr != nil {
			return
		}
		f.s, fixtureErr = Open(context.Background(), f.dir)
		if fixtureErr != nil {
			return
		}
		fixtureErr = f.fill()
		fixture = f
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

func (f *benchFixture) fill() error {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	statuses := []PaymentStatus{StatusSuccess, StatusSuccess, StatusSuccess, StatusFail, StatusExpired, StatusSessionReady, StatusProcessing}
	currencies := []string{"SGD", "USD", "JPY", "EUR", "HKD"}
	const chunk = 50000
	for lo := 0; lo < f.rows; lo += chunk {
		tx, err := f.s.wdb.Begin()
		if err != nil {
			return err
		}
		pay, err := tx.Prepare(`INSERT INTO payments (payment_request_id, reference_order_id, buyer_id, description,
			amount_minor, currency, capture_mode, status, payment_id, created_at, updated_at, captured_minor,
			capture_state, flags, settled, version, seq, card_last4) VALUES (?, ?, ?, 'bench', ?, ?, 'AUTOMATIC', ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)`)
		if err != nil {
			return err
		}
		capt, err := tx.Prepare(`INSERT INTO captures (payment_fk, capture_request_id, capture_id, amount_minor,
			currency, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'SUCCESS', ?, ?)`)
		if err != nil {
			return err
		}
		for i := lo; i < min(lo+chunk, f.rows); i++ {
			st := statuses[i%len(statuses)]
			cur := currencies[i%len(currencies)]
			at := start + int64(i)*1000
			prid := fmt.Sprintf("pay_%010d_%08x", i, uint32(i*2654435761))
			pid := fmt.Sprintf("2024%031d", i)
			order := fmt.Sprintf("ORD-%09d", i/2) // two attempts per order
			buyer := fmt.Sprintf("BUYER-%07d", i/10)
			var captured int64
			state := CaptureNotApply
			last4 := ""
			if st == StatusSuccess {
				captured, state, last4 = 1000, CaptureFull, "0768"
			}
			flags := 0
			if i%97 == 0 {
				flags = int(FlagStuck)
			}
			res, err := pay.Exec(prid, order, buyer, 1000, cur, st, pid, at, at, captured, state, flags, i+1, last4)
			if err != nil {
				return err
			}
			if st == StatusSuccess {
				id, _ := res.LastInsertId()
				cid := fmt.Sprintf("2024C%030d", i)
				if _, err := capt.Exec(id, "cap_"+prid, cid, 1000, cur, at, at); err != nil {
					return err
				}
				if i%(f.rows/200+1) == 0 {
					f.caps = append(f.caps, cid)
				}
			}
			if i%(f.rows/200+1) == 0 {
				f.prids, f.pids, f.orders, f.buyers = append(f.prids, prid), append(f.pids, pid), append(f.orders, order), append(f.buyers, buyer)
			}
			if i == f.rows/2 {
				f.cursor = encodeCursor(time.UnixMilli(at), res2id(res))
			}
		}
		pay.Close()
		capt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if _, err := f.s.wdb.Exec("UPDATE change_seq SET value = ?; ANALYZE", f.rows); err != nil {
		return err
	}
	_, err := f.s.IndexSearchKeys(context.Background())
	return err
}

func res2id(r sql.Result) int64 {
	id, _ := r.LastInsertId()
	return id
}

func BenchmarkFindPayment(b *testing.B) {
	f := loadFixture(b)
	b.Logf("fixture: %d payments", f.rows)
	for _, tc := range []struct {
		name string
		ids  []string
	}{
		{"paymentRequestId", f.prids}, {"paymentId", f.pids}, {"referenceOrderId", f.orders},
		{"buyerId", f.buyers}, {"captureId", f.caps},
		{"prefix", prefixesOf(f.pids, 12)}, {"miss", []string{"no-such-id-at-all"}},
		// Issue 11: typed loosely, fragments, a card's last four.
		{"order-lower-no-dash", mapIDs(f.orders, func(id string) string { return strings.ToLower(strings.Replace(id, "-", "", 1)) })},
		{"paymentId-spaced", mapIDs(f.pids, func(id string) string { return id[:8] + " " + id[8:16] + " " + id[16:] })},
		{"prefix-10", mapIDs(f.prids, func(id string) string { return strings.ToUpper(id[:len(id)-10]) })},
		{"fragment-paymentId", mapIDs(f.pids, func(id string) string { return id[10 : len(id)-1] })},
		{"fragment-miss", []string{"zq9x7w"}},
		{"card-last4", []string{"0768"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < b.N; i++ {
				_, err := f.s.FindPayment(context.Background(), tc.ids[r.IntN(len(tc.ids))])
				if err != nil && !strings.HasSuffix(tc.name, "miss") {
					b.Fatal(err)
				}
			}
		})
	}
}

func mapIDs(ids []string, f func(string) string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = f(id)
	}
	return out
}

// BenchmarkSearchCardByDay searches a card's last four narrowed to one day.
func BenchmarkSearchCardByDay(b *testing.B) {
	f := loadFixture(b)
	day := time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		if _, err := f.s.Search(context.Background(), SearchQuery{Text: "0768", From: day, To: day.AddDate(0, 0, 1)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchMigration times migration 0009 on a ledger of
// PAYDESK_BENCH_ROWS payments written before it: its objects are dropped
// and the store reopened, which backfills the keys and builds the indexes.
func BenchmarkSearchMigration(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := &benchFixture{rows: benchRows()}
		f.dir = b.TempDir()
		var err error
		if f.s, err = Open(context.Background(), f.dir); err != nil {
			b.Fatal(err)
		}
		if err := f.fill(); err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{"DROP TABLE search_fts", "DROP TABLE search_keys", "DROP TABLE search_fts_indexed", "DROP INDEX payments_card_last4",
			"DROP INDEX payments_card_last4_amount", "DELETE FROM schema_migrations WHERE version = 9"} {
			if _, err := f.s.wdb.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		rows, err := f.s.wdb.Query("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'search%'")
		if err != nil {
			b.Fatal(err)
		}
		var triggers []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			triggers = append(triggers, n)
		}
		rows.Close()
		for _, t := range triggers {
			if _, err := f.s.wdb.Exec("DROP TRIGGER " + t); err != nil {
				b.Fatal(err)
			}
		}
		f.s.Close()
		b.StartTimer()
		s, err := Open(context.Background(), f.dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var keys int
		s.rdb.QueryRow("SELECT count(*) FROM search_keys").Scan(&keys)
		b.ReportMetric(float64(keys), "keys")
		s.Close()
		b.StartTimer()
	}
}

func prefixesOf(ids []string, n int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:min(n, len(id))]
	}
	return out
}

func BenchmarkListPayments(b *testing.B) {
	f := loadFixture(b)
	b.Logf("fixture: %d payments", f.rows)
	for _, tc := range []struct {
		name string
		f    PaymentFilter
	}{
		{"first-page", PaymentFilter{}},
		{"deep-page", PaymentFilter{Cursor: f.cursor}},
		{"status", PaymentFilter{Status: StatusFail}},
		{"status-deep", PaymentFilter{Status: StatusFail, Cursor: f.cursor}},
		{"currency+status", PaymentFilter{Currency: "JPY", Status: StatusSuccess}},
		{"needs-attention", PaymentFilter{NeedsAttention: true}},
		{"capture-state", PaymentFilter{CaptureState: CaptureFull, Cursor: f.cursor}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				page, err := f.s.ListPayments(context.Background(), tc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Items) == 0 {
					b.Fatal("empty page")
				}
			}
		})
	}
}

func BenchmarkPaymentVersion(b *testing.B) {
	f := loadFixture(b)
	r := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := f.s.PaymentVersion(context.Background(), f.prids[r.IntN(len(f.prids))]); err != nil {
			b.Fatal(err)
		}
	}
}
