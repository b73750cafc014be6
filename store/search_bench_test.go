package store

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkSearchSeeded times the searches of issue 11 on a ledger seeded
// with SeedFixture (PAYDESK_BENCH_ROWS payments, 20,000 by default), on
// the backend the suite runs on: SQLite, or PostgreSQL with
// PAYDESK_TEST_BACKEND=postgres. BenchmarkFindPayment, on a larger
// hand-written SQLite table, has the same cases.
func BenchmarkSearchSeeded(b *testing.B) {
	s, _ := newTestStore(b)
	n := benchRows()
	f, err := s.SeedFixture(context.Background(), FixtureSpec{Payments: n})
	if err != nil {
		b.Fatal(err)
	}
	// A random successful payment's ID (the others may have no paymentId).
	pick := func(id func(p FixturePayment) string) func(r *rand.Rand) string {
		return func(r *rand.Rand) string {
			for {
				if p := f.Payment(r.IntN(n)); p.Status == StatusSuccess {
					return id(p)
				}
			}
		}
	}
	for _, tc := range []struct {
		name  string
		query func(r *rand.Rand) string
		found bool
	}{
		{"exact-paymentId", pick(func(p FixturePayment) string { return p.PaymentID }), true},
		{"exact-captureId", pick(func(p FixturePayment) string { return p.CaptureID }), true},
		{"prefix-paymentRequestId", pick(func(p FixturePayment) string { return p.PaymentRequestID[:len(p.PaymentRequestID)-2] }), true},
		{"fragment-paymentId", pick(func(p FixturePayment) string { return p.PaymentID[10 : len(p.PaymentID)-1] }), true},
		{"fragment-order", pick(func(p FixturePayment) string { return p.ReferenceOrderID[5:] }), true},
		{"fragment-miss", func(*rand.Rand) string { return "zq9x7w" }, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			for b.Loop() {
				q := tc.query(r)
				got, err := s.FindPayment(context.Background(), q)
				if tc.found && (err != nil || len(got) == 0) {
					b.Fatalf("%q: %d payments, %v", q, len(got), err)
				}
			}
		})
	}
}

// BenchmarkPlanFragment measures choosing a fragment's lists, for
// fragments whose first or last run of zeros may be longer in a key (its
// list is one trigram per possible length).
func BenchmarkPlanFragment(b *testing.B) {
	s, _ := newTestStore(b)
	if s.pg {
		b.Skip("SQLite's fragment indexes")
	}
	if _, err := s.SeedFixture(context.Background(), FixtureSpec{Payments: 2000}); err != nil {
		b.Fatal(err)
	}
	if err := s.loadTrigramStats(context.Background()); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"00000000000000001234", "1234000000", "00000000000000000077"} {
		b.Run(f, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if p := s.planFragment(f, true); p.match == "" && !p.none {
					b.Fatal("no plan")
				}
			}
		})
	}
}
