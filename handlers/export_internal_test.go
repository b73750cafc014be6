package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// heapWriter is a ResponseWriter that keeps no body: it counts the lines
// and, every sampleEvery lines, records the live heap after a collection.
type heapWriter struct {
	header      http.Header
	status      int
	lines       int
	bytes       int64
	sampleEvery int
	heap        []uint64
}

func (w *heapWriter) Header() http.Header { return w.header }
func (w *heapWriter) WriteHeader(s int)   { w.status = s }
func (w *heapWriter) Flush()              {}
func (w *heapWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.bytes += int64(len(p))
	for n := bytes.Count(p, []byte{'\n'}); n > 0; n-- {
		w.lines++
		if w.lines%w.sampleEvery == 0 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			w.heap = append(w.heap, m.HeapAlloc)
		}
	}
	return len(p), nil
}

// TestStreamCSVInBoundedMemory streams 100,000 rows through the export
// machinery (eachPage over 500-row keyset pages, streamCSV) from a page
// source that makes each page when asked, as the store does, and samples
// the live heap every 10,000 rows: it must stay flat while ~20 MB are sent.
// The store-backed twin (web/export_mem_test.go) is too slow under -race.
func TestStreamCSVInBoundedMemory(t *testing.T) {
	const rows, pageSize = 100_000, exportPageSize
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(Deps{Store: st, Log: discardLog(), Auth: AuthConfig{SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyz")}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	fetch := func(cursor string) (*store.Page[store.Payment], error) {
		first := 0
		if cursor != "" {
			first, _ = strconv.Atoi(cursor)
		}
		page := &store.Page[store.Payment]{Items: make([]store.Payment, 0, pageSize)}
		for i := first; i < min(first+pageSize, rows); i++ {
			id := strconv.Itoa(i)
			page.Items = append(page.Items, store.Payment{PaymentRequestID: "pay_" + id, ReferenceOrderID: "=order-" + id,
				Description: "Two coffees and a very long description to make the rows realistic " + id, AmountMinor: int64(i), Currency: "SGD",
				CreatedAt: at.Add(-time.Duration(i) * time.Second)})
		}
		if first+pageSize < rows {
			page.NextCursor = strconv.Itoa(first + pageSize)
		}
		return page, nil
	}
	w := &heapWriter{header: http.Header{}, sampleEvery: 10_000}
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/payments/export.csv", nil), w)
	err = h.streamCSV(c, csvExport{list: "payments", header: []string{"payment_request_id", "reference_order_id", "description", "amount", "amount_minor", "currency", "created_at"},
		rows: func(ctx context.Context, emit func([]string) error) error {
			return eachPage(ctx, fetch, func(p *store.Payment) error {
				return emit([]string{csvCell(p.PaymentRequestID), csvCell(p.ReferenceOrderID), csvCell(p.Description),
					plainMajor(p.AmountMinor, p.Currency), csvMinor(p.AmountMinor), p.Currency, csvTime(p.CreatedAt)})
			})
		}})
	if err != nil || w.status != http.StatusOK || w.lines != rows+1 {
		t.Fatalf("err %v, status %d, %d lines; want 200 and %d lines", err, w.status, w.lines, rows+1)
	}
	base, peak := w.heap[0], slices.Max(w.heap)
	growth := int64(peak) - int64(base)
	t.Logf("%d rows, %.1f MB sent; live heap at 10k rows %.2f MB, peak %.2f MB (growth %.3f MB)",
		rows, float64(w.bytes)/1e6, float64(base)/1e6, float64(peak)/1e6, float64(growth)/1e6)
	if w.bytes < 8<<20 {
		t.Fatalf("only %d bytes sent: the bound below proves nothing", w.bytes)
	}
	if growth > 4<<20 {
		t.Errorf("the live heap grew by %.1f MB while streaming %.1f MB: rows are being kept", float64(growth)/1e6, float64(w.bytes)/1e6)
	}
	// Audited with the row count.
	audit, err := st.ListAudit(context.Background(), store.AuditFilter{Action: "export.done"})
	if err != nil || len(audit.Items) != 1 {
		t.Fatalf("export.done audit: %v, %d entries", err, len(audit.Items))
	}
	if got := string(audit.Items[0].After); !bytes.Contains([]byte(got), []byte(`"rows":100000`)) {
		t.Errorf("audit %s lacks the row count", got)
	}
}
