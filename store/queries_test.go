package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

func TestListPaymentsKeyset(t *testing.T) {
	s, clk := newTestStore(t)
	const n = 23
	var ids []string
	for i := 0; i < n; i++ {
		// Pairs share a timestamp, so the id tie-break matters.
		if i%2 == 0 {
			clk.Add(time.Second)
		}
		cur := "SGD"
		if i%3 == 0 {
			cur = "JPY"
		}
		p := mustCreate(t, s, func(np *NewPayment) { np.ReferenceOrderID = fmt.Sprintf("o-%02d", i); np.Currency = cur })
		ids = append(ids, p.PaymentRequestID)
	}
	// Newest first, across pages of 5, no gaps, no repeats.
	var got []string
	cursor := ""
	pages := 0
	for {
		page, err := s.ListPayments(ctx, PaymentFilter{Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page.Items {
			got = append(got, p.PaymentRequestID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages != 5 {
		t.Errorf("got %d pages, want 5", pages)
	}
	for i := range ids {
		if got[i] != ids[n-1-i] {
			t.Fatalf("position %d: got %s, want %s (full order %v)", i, got[i], ids[n-1-i], got)
		}
	}
	// A row created between page loads does not shift the next page.
	first, _ := s.ListPayments(ctx, PaymentFilter{Limit: 5})
	clk.Add(time.Second)
	mustCreate(t, s, func(np *NewPayment) { np.ReferenceOrderID = "late" })
	second, _ := s.ListPayments(ctx, PaymentFilter{Limit: 5, Cursor: first.NextCursor})
	if second.Items[0].PaymentRequestID != ids[n-6] {
		t.Errorf("page 2 after an insert starts with %s, want %s", second.Items[0].PaymentRequestID, ids[n-6])
	}
	// Filters.
	jpy, _ := s.ListPayments(ctx, PaymentFilter{Currency: "jpy", Limit: 100})
	if len(jpy.Items) != 8 {
		t.Errorf("JPY: got %d, want 8", len(jpy.Items))
	}
	for _, p := range jpy.Items {
		if p.Currency != "JPY" {
			t.Errorf("JPY filter returned %s", p.Currency)
		}
	}
	from := clk.Now().Add(-3 * time.Second)
	recent, _ := s.ListPayments(ctx, PaymentFilter{From: from, Limit: 100})
	for _, p := range recent.Items {
		if p.CreatedAt.Before(from) {
			t.Errorf("From filter returned %v < %v", p.CreatedAt, from)
		}
	}
	if len(recent.Items) == 0 || len(recent.Items) == n+1 {
		t.Errorf("From filter: got %d rows", len(recent.Items))
	}
	if _, err := s.ListPayments(ctx, PaymentFilter{Cursor: "garbage!"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
	if _, err := s.ListPayments(ctx, PaymentFilter{Status: "PAID"}); err == nil {
		t.Error("an unknown status was accepted")
	}
}

func TestListPaymentsStatusAndCaptureState(t *testing.T) {
	s, _ := newTestStore(t)
	mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "a" })
	ready := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "b" })
	done := capturedPayment(t, s, 4200)
	auth := authorizedPayment(t, s, 100)
	check := func(f PaymentFilter, want ...string) {
		t.Helper()
		page, err := s.ListPayments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range page.Items {
			got = append(got, p.PaymentRequestID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%+v: got %v, want %v", f, got, want)
		}
	}
	check(PaymentFilter{Status: StatusSessionReady}, ready.PaymentRequestID)
	check(PaymentFilter{CaptureState: CaptureFull}, done.PaymentRequestID)
	check(PaymentFilter{CaptureState: CaptureNone}, auth.PaymentRequestID)
	check(PaymentFilter{Status: StatusSuccess}, auth.PaymentRequestID, done.PaymentRequestID)
	check(PaymentFilter{Query: done.PaymentID, Status: StatusSuccess}, done.PaymentRequestID)
	check(PaymentFilter{Query: done.PaymentID, Status: StatusFail})
}

func TestFindPaymentByEveryID(t *testing.T) {
	s, _ := newTestStore(t)
	for i := 0; i < 5; i++ {
		capturedPayment(t, s, 100+int64(i))
	}
	p := mustReady(t, s, func(n *NewPayment) {
		n.ReferenceOrderID, n.BuyerID, n.CaptureMode = "ORDER-XYZ-1", "BUYER-42", antom.CaptureManual
	})
	deliver(t, s, paymentResult(p.PaymentRequestID, "2025PAYID77", "S", "SUCCESS", 4200))
	c, err := beginCapture(s, p.PaymentRequestID, 100, "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, captureResult("2025PAYID77", c.CaptureRequestID, "2025CAPID99", "S", 100))
	r, err := beginRefund(s, p.PaymentRequestID, 50, "test", "u")
	if err != nil {
		t.Fatal(err)
	}
	deliver(t, s, refundResult(r.RefundRequestID, "2025REFID33", "S", 50))
	for _, tc := range []struct {
		name, q string
		exact   bool // matched one of the payment's IDs exactly, not by prefix
	}{
		{"paymentRequestId", p.PaymentRequestID, true},
		{"paymentId", "2025PAYID77", true},
		{"referenceOrderId", "ORDER-XYZ-1", true},
		{"buyer ID", "BUYER-42", true},
		{"captureId", "2025CAPID99", true},
		{"captureRequestId", c.CaptureRequestID, true},
		{"refundId", "2025REFID33", true},
		{"refundRequestId", r.RefundRequestID, true},
		{"surrounding spaces", "  2025PAYID77 ", true},
		{"paymentId prefix", "2025PAYID", false},
		{"order prefix", "ORDER-XYZ", false},
		{"captureId prefix", "2025CAPID", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, exact, err := s.SearchPayments(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].PaymentRequestID != p.PaymentRequestID {
				t.Errorf("got %d results (first %v), want only %s", len(got), got, p.PaymentRequestID)
			}
			if exact != tc.exact {
				t.Errorf("exact = %v, want %v", exact, tc.exact)
			}
			if found, err := s.FindPayment(ctx, tc.q); err != nil || len(found) != len(got) {
				t.Errorf("FindPayment = %d results, %v; want SearchPayments' %d", len(found), err, len(got))
			}
		})
	}
	// Case does not matter (issue 11): a lower-cased ID is an exact match.
	if got, exact, err := s.SearchPayments(ctx, "2025capid99"); err != nil || !exact || len(got) != 1 {
		t.Errorf("lower-cased captureId: %d hits, exact %v, %v; want one exact", len(got), exact, err)
	}
	if _, err := s.FindPayment(ctx, "no-such-id"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no match: got %v, want ErrNotFound", err)
	}
	if _, err := s.FindPayment(ctx, "' OR 1=1 --"); !errors.Is(err, ErrNotFound) {
		t.Errorf("injection attempt: got %v, want ErrNotFound", err)
	}
	var fe *FieldError
	if _, err := s.FindPayment(ctx, "  "); !errors.As(err, &fe) {
		t.Errorf("empty query: got %v, want a FieldError", err)
	}
	// Fragments start at 3 characters: 2 match nothing but an exact ID.
	if got, _ := s.FindPayment(ctx, "PI"); len(got) != 0 {
		t.Errorf("2-character query matched %d", len(got))
	}
}

// Every search and list query must use an index, not scan the payments.
func TestQueryPlansUseIndexes(t *testing.T) {
	sqliteOnly(t) // reads SQLite's EXPLAIN QUERY PLAN output
	s, _ := newTestStore(t)
	plan := func(query string, args ...any) string {
		t.Helper()
		rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	noScan := func(name, p string) {
		t.Helper()
		for _, line := range strings.Split(p, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "SCAN ") && !strings.Contains(line, "USING") {
				t.Errorf("%s scans a table:\n%s", name, p)
			}
			if strings.Contains(line, "TEMP B-TREE FOR ORDER BY") && !strings.Contains(name, "search") {
				t.Errorf("%s sorts instead of reading an index in order:\n%s", name, p)
			}
		}
	}
	searchPlansUseIndexes(t, plan, noScan)
	for _, f := range []struct {
		name  string
		where string
		args  []any
	}{
		{"list", "", nil},
		{"list page 2", "WHERE (created_at, id) < (?, ?)", []any{1, 1}},
		{"list by status", "WHERE status = ?", []any{"SUCCESS"}},
		{"list by currency", "WHERE currency = ? AND (created_at, id) < (?, ?)", []any{"SGD", 1, 1}},
		{"list by capture state", "WHERE capture_state = ?", []any{"PARTIAL"}},
		{"list needing attention", "WHERE flags <> 0", nil},
		{"list by date", "WHERE created_at >= ? AND created_at < ?", []any{1, 2}},
	} {
		noScan(f.name, plan("SELECT "+paymentCols+" FROM payments "+f.where+" ORDER BY created_at DESC, id DESC LIMIT 51", f.args...))
	}
	for _, w := range DisplayWords {
		cond, args, ok := displayCondition(w, time.UnixMilli(1))
		if !ok {
			t.Fatalf("no condition for %q", w)
		}
		noScan("list by "+string(w), plan("SELECT "+paymentCols+" FROM payments WHERE ("+cond+") ORDER BY created_at DESC, id DESC LIMIT 51", args...))
	}
	noScan("version", plan("SELECT version, settled FROM payments WHERE payment_request_id = ?", "x"))
	// "changed since" (PaymentsChangedSince) has no index: no page uses it (migration 0015).
	noScan("to poll", plan("SELECT "+paymentCols+" FROM payments WHERE next_poll_at <= ? ORDER BY next_poll_at LIMIT 50", 1))
	noScan("to expire", plan("SELECT id FROM payments WHERE status = 'SESSION_READY' AND session_expires_at <= ? LIMIT 500", 1))
	noScan("orders", plan("SELECT reference_order_id FROM orders WHERE (last_created_at, reference_order_id) < (?, ?) ORDER BY last_created_at DESC, reference_order_id DESC LIMIT 51", 1, "x"))
	noScan("captures", plan("SELECT "+captureCols+" FROM captures c JOIN payments p ON p.id = c.payment_fk WHERE c.status = ? ORDER BY c.created_at DESC, c.id DESC LIMIT 51", "SUCCESS"))
	noScan("deliveries by verdict", plan("SELECT "+deliveryListCols+" FROM deliveries d LEFT JOIN payments p ON p.id = d.payment_fk WHERE d.verdict = ? ORDER BY d.id DESC LIMIT 51", "bad"))
	noScan("dedupe", plan("SELECT id FROM deliveries WHERE dedupe_key = ? AND id <> ? AND outcome NOT IN ('unknown_payment', 'rejected') ORDER BY id LIMIT 1", "k", 1))
	noScan("parked", plan("SELECT id, body FROM deliveries WHERE outcome = 'unknown_payment' AND payment_id = ? ORDER BY id", "p"))
}

func TestListOrders(t *testing.T) {
	s, clk := newTestStore(t)
	// order A: a failed session, then a paid retry.
	a1 := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "A" })
	if _, err := s.SessionFailed(ctx, a1.PaymentRequestID, APIOutcome{Status: "F", Code: "RISK_REJECT"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	a2 := mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "A" })
	deliver(t, s, paymentResult(a2.PaymentRequestID, "PID-A2", "S", "SUCCESS", 4200))
	clk.Add(time.Second)
	mustReady(t, s, func(n *NewPayment) { n.ReferenceOrderID = "B" })
	clk.Add(time.Second)
	c := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "C" })
	s.SessionFailed(ctx, c.PaymentRequestID, APIOutcome{Status: "F", Code: "X"})

	page, err := s.ListOrders(ctx, OrderFilter{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].ReferenceOrderID != "C" || page.Items[1].ReferenceOrderID != "B" || page.NextCursor == "" {
		t.Fatalf("page 1: %+v", page)
	}
	if page.Items[0].State != OrderUnpaid || page.Items[1].State != OrderInProgress {
		t.Errorf("states: C %s, B %s", page.Items[0].State, page.Items[1].State)
	}
	page, err = s.ListOrders(ctx, OrderFilter{Limit: 2, Cursor: page.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.NextCursor != "" {
		t.Fatalf("page 2: %+v", page)
	}
	a := page.Items[0]
	if a.ReferenceOrderID != "A" || a.State != OrderPaid || len(a.Attempts) != 2 || a.Attempts[0].PaymentRequestID != a2.PaymentRequestID {
		t.Errorf("order A: %+v", a)
	}
	paid, _ := s.ListOrders(ctx, OrderFilter{State: OrderPaid})
	if len(paid.Items) != 1 {
		t.Errorf("paid orders: got %d, want 1", len(paid.Items))
	}
	if _, err := s.GetOrder(ctx, "Z"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing order: got %v", err)
	}
}

func TestListCapturesAndDeliveries(t *testing.T) {
	s, clk := newTestStore(t)
	for i := 0; i < 7; i++ {
		clk.Add(time.Second)
		capturedPayment(t, s, 100)
	}
	p := authorizedPayment(t, s, 100)
	c, _ := beginCapture(s, p.PaymentRequestID, 100, "u")
	all, err := s.ListCaptures(ctx, CaptureFilter{Limit: 3})
	if err != nil || len(all.Items) != 3 || all.NextCursor == "" || all.Items[0].CaptureRequestID != c.CaptureRequestID {
		t.Fatalf("captures page 1: %+v, %v", all, err)
	}
	seen := 3
	for cur := all.NextCursor; cur != ""; {
		page, err := s.ListCaptures(ctx, CaptureFilter{Limit: 3, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.Items)
		cur = page.NextCursor
	}
	if seen != 8 {
		t.Errorf("paged through %d captures, want 8", seen)
	}
	pending, _ := s.ListCaptures(ctx, CaptureFilter{Status: TxnProcessing})
	if len(pending.Items) != 1 || pending.Items[0].PaymentID != p.PaymentID {
		t.Errorf("processing captures: %+v", pending.Items)
	}
	// 7 × (payment + capture) + 1 payment = 15 deliveries.
	var n int
	for cur := "start"; cur != ""; {
		if cur == "start" {
			cur = ""
		}
		page, err := s.ListDeliveries(ctx, DeliveryFilter{Limit: 4, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		cur = page.NextCursor
	}
	if n != 15 {
		t.Errorf("paged through %d deliveries, want 15", n)
	}
	caps, _ := s.ListDeliveries(ctx, DeliveryFilter{NotifyType: "CAPTURE_RESULT", Limit: 100})
	if len(caps.Items) != 7 {
		t.Errorf("capture deliveries: got %d, want 7", len(caps.Items))
	}
	mine, _ := s.ListDeliveries(ctx, DeliveryFilter{PaymentRequestID: p.PaymentRequestID})
	if len(mine.Items) != 1 || mine.Items[0].PaymentRequestID != p.PaymentRequestID {
		t.Errorf("deliveries of one payment: %+v", mine.Items)
	}
	if _, err := s.GetDelivery(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing delivery: got %v", err)
	}
}

func TestVersionAndSeq(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	v1, final, err := s.PaymentVersion(ctx, p.PaymentRequestID)
	if err != nil || final || v1 != p.Version {
		t.Fatalf("got %d %v %v, want %d false", v1, final, err, p.Version)
	}
	seq1, _ := s.LatestSeq(ctx)
	other := mustCreate(t, s, func(n *NewPayment) { n.ReferenceOrderID = "other" })
	v2, _, _ := s.PaymentVersion(ctx, p.PaymentRequestID)
	if v2 != v1 {
		t.Errorf("another payment's change moved this version %d → %d", v1, v2)
	}
	changed, err := s.PaymentsChangedSince(ctx, seq1, 10)
	if err != nil || len(changed) != 1 || changed[0].PaymentRequestID != other.PaymentRequestID {
		t.Errorf("changed since %d: %+v, %v", seq1, changed, err)
	}
	// Automatic capture: SUCCESS alone is not final; the capture makes it so.
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-V", "S", "SUCCESS", 4200))
	v3, final, _ := s.PaymentVersion(ctx, p.PaymentRequestID)
	if v3 <= v2 || final {
		t.Errorf("after payment result: version %d final %v; want > %d and not final", v3, final, v2)
	}
	deliver(t, s, captureResult("PID-V", "c", "C", "S", 4200))
	v4, final, _ := s.PaymentVersion(ctx, p.PaymentRequestID)
	if v4 <= v3 || !final {
		t.Errorf("after capture: version %d final %v", v4, final)
	}
	seq2, _ := s.LatestSeq(ctx)
	if seq2 <= seq1 {
		t.Errorf("seq did not move: %d → %d", seq1, seq2)
	}
	if _, _, err := s.PaymentVersion(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: got %v", err)
	}
}

// TestPaymentTimelineBounded: a payment with more events than
// TimelineLimit loads only the newest ones, oldest first, and says how many
// it left out.
func TestPaymentTimelineBounded(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	before := len(mustGet(t, s, p.PaymentRequestID).Timeline)
	extra := TimelineLimit + 5 - before
	for i := 0; i < extra; i++ {
		if _, err := s.RecordInquiryError(ctx, p.PaymentRequestID, errors.New("no answer"), "poller"); err != nil {
			t.Fatal(err)
		}
	}
	d := mustGet(t, s, p.PaymentRequestID)
	if len(d.Timeline) != TimelineLimit || d.TimelineOmitted != 5 {
		t.Fatalf("timeline %d events, %d omitted; want %d and 5", len(d.Timeline), d.TimelineOmitted, TimelineLimit)
	}
	if first, last := d.Timeline[0], d.Timeline[len(d.Timeline)-1]; first.ID >= last.ID || first.Kind == EventCreated {
		t.Errorf("want the newest events oldest first, without the oldest (created): first #%d %s, last #%d", first.ID, first.Kind, last.ID)
	}
}
