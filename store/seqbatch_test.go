package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// The change sequence is handed out from memory within a batch and written
// back once: every saved payment still gets a value of its own, above all
// earlier ones, and the stored sequence is at least the highest value
// committed, also when a write in the batch failed after taking values
// (rolled back to its savepoint, or the batch rerun).
func TestChangeSequenceInBatches(t *testing.T) {
	s, _ := newTestStore(t)
	const n = 24
	var prids []string
	for i := 0; i < n; i++ {
		prids = append(prids, mustReady(t, s, func(p *NewPayment) { p.ReferenceOrderID = fmt.Sprintf("seq-%d", i) }).PaymentRequestID)
	}
	before, err := s.LatestSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	save := func(prid string, fail bool) error {
		return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			p, err := paymentBy(ctx, tx, "payment_request_id", prid)
			if err != nil {
				return err
			}
			p.PollCount++
			if err := s.savePayment(ctx, tx, p, p.Status, saveOpts{}); err != nil {
				return err
			}
			if fail {
				return errors.New("failed after saving")
			}
			return nil
		})
	}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, prid := range prids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = save(prid, i%5 == 2)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (i%5 == 2) != (err != nil) {
				t.Fatalf("round %d, write %d: error %v", round, i, err)
			}
		}
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT seq, poll_count FROM payments WHERE reference_order_id LIKE 'seq-%' ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var last int64
	var count int
	for rows.Next() {
		var seq int64
		var polls int
		if err := rows.Scan(&seq, &polls); err != nil {
			t.Fatal(err)
		}
		if seq <= last || seq <= before && polls > 0 {
			t.Errorf("seq %d after %d (sequence before the saves: %d)", seq, last, before)
		}
		last = seq
		count++
	}
	if count != n {
		t.Fatalf("%d payments, want %d", count, n)
	}
	after, err := s.LatestSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after < last {
		t.Errorf("stored sequence %d is below the highest value committed, %d", after, last)
	}
	// A later change gets a value above every committed one.
	if err := save(prids[0], false); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := s.rdb.QueryRowContext(ctx, "SELECT seq FROM payments WHERE payment_request_id = ?", prids[0]).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if seq <= after {
		t.Errorf("the next change got seq %d, not above %d", seq, after)
	}
}
