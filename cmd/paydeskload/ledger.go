package main

import (
	"context"
	"errors"
	"fmt"

	"paydesk/store"
)

// ledgerResult is the ledger check after the load: what the acknowledged
// notifications must have left in the database, whichever server took
// them and however often they were redelivered.
type ledgerResult struct {
	checked, paid, captured int      // open payments read; of which notified paid, notified captured
	problems                []string // the first few inconsistencies
	inconsistent            int
}

func (l ledgerResult) ok() bool { return l.inconsistent == 0 }

// checkLedger reads every open payment back and checks it against the
// notifications acknowledged for it (acked, indexed like notes):
//   - a payment result or a capture result acknowledged: the payment is
//     SUCCESS (Antom's capture success implies the authorization);
//   - a capture result acknowledged: exactly one successful capture, with
//     Antom's captureId, of the whole amount, and the payment says so;
//   - always: captured ≤ authorized, refunded ≤ captured, never two
//     successful captures (a redelivery applied twice).
func (t *target) checkLedger(ctx context.Context, open []store.FixturePayment, notes []notification, acked []bool) (ledgerResult, error) {
	var res ledgerResult
	paid := make([]bool, len(open))
	captured := make([]bool, len(open))
	for k, n := range notes {
		if k < len(acked) && acked[k] {
			paid[n.payment] = true
			if n.capture {
				captured[n.payment] = true
			}
		}
	}
	st, release, err := t.store(ctx)
	if err != nil {
		return res, fmt.Errorf("ledger check: %w", err)
	}
	defer release()
	bad := func(p store.FixturePayment, format string, a ...any) {
		res.inconsistent++
		if len(res.problems) < 5 {
			res.problems = append(res.problems, p.PaymentRequestID+": "+fmt.Sprintf(format, a...))
		}
	}
	for i, p := range open {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		d, err := st.GetPayment(ctx, p.PaymentRequestID)
		if errors.Is(err, store.ErrNotFound) {
			bad(p, "not in the database")
			continue
		}
		if err != nil {
			return res, fmt.Errorf("ledger check: %w", err)
		}
		res.checked++
		var booked, refunded int64
		successes := 0
		for _, c := range d.Captures {
			if c.Status != store.TxnFail {
				booked += c.AmountMinor
			}
			if c.Status == store.TxnSuccess {
				successes++
			}
		}
		for _, rf := range d.Refunds {
			if rf.Status != store.TxnFail {
				refunded += rf.AmountMinor
			}
		}
		switch {
		case booked > d.AmountMinor:
			bad(p, "%d captured or capturing of %d authorized", booked, d.AmountMinor)
		case refunded > d.CapturedMinor:
			bad(p, "%d refunded or refunding of %d captured", refunded, d.CapturedMinor)
		case successes > 1:
			bad(p, "%d successful captures of one automatic capture", successes)
		}
		if paid[i] {
			res.paid++
			if d.Status != store.StatusSuccess {
				bad(p, "status %s after an acknowledged success", d.Status)
			}
		}
		if captured[i] {
			res.captured++
			switch {
			case successes != 1:
				bad(p, "%d successful captures after an acknowledged capture result", successes)
			case d.CapturedMinor != p.AmountMinor:
				bad(p, "captured %d of %d after an acknowledged capture of the whole amount", d.CapturedMinor, p.AmountMinor)
			default:
				for _, c := range d.Captures {
					if c.Status == store.TxnSuccess && c.CaptureID != p.CaptureID {
						bad(p, "the capture has captureId %q, Antom's is %q", c.CaptureID, p.CaptureID)
					}
				}
			}
		}
	}
	return res, nil
}
