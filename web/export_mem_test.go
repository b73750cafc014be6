//go:build !race

package web

// The store-backed export of 100,000 payments: seeding and reading them
// under -race takes minutes of CPU, so race builds (make test, CI) leave it
// out; handlers.TestStreamCSVInBoundedMemory checks the same streaming with
// a generated page source in every build.

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// memWriter is a ResponseWriter that keeps no body: it counts the lines
// and, every sampleEvery lines, the live heap after a collection.
type memWriter struct {
	header      http.Header
	status      int
	lines       int
	bytes       int64
	sampleEvery int
	heap        []uint64 // live heap at each sample
}

func (w *memWriter) Header() http.Header { return w.header }
func (w *memWriter) WriteHeader(s int)   { w.status = s }
func (w *memWriter) Flush()              {}
func (w *memWriter) Write(p []byte) (int, error) {
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

// TestExportStreamsInBoundedMemory exports 100,000 payments and samples the
// live heap every 10,000 rows: it must not grow with the rows sent (a
// buffered export would hold the whole ~25 MB file).
func TestExportStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 payments")
	}
	const rows = 100_000
	app := newSecApp(t)
	if _, err := app.Store.SeedFixture(context.Background(), store.FixtureSpec{Payments: rows}); err != nil {
		t.Fatal(err)
	}
	app.addUser("ana@example.com", store.RoleAdmin, "Ana")
	c := app.client()
	c.login("ana@example.com")
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+paths.Export(paths.Payments, nil), nil)
	u, _ := url.Parse(app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	req.RemoteAddr = "127.0.0.1:1234"
	w := &memWriter{header: http.Header{}, sampleEvery: 10_000}
	app.Web.Handler().ServeHTTP(w, req)
	if w.status != http.StatusOK || w.lines != rows+1 {
		t.Fatalf("status %d, %d lines, want 200 and %d", w.status, w.lines, rows+1)
	}
	if len(w.heap) < 9 {
		t.Fatalf("%d heap samples", len(w.heap))
	}
	base, peak := w.heap[0], slices.Max(w.heap)
	growth := int64(peak) - int64(base)
	t.Logf("exported %d rows, %.1f MB; live heap at 10k rows %.1f MB, peak %.1f MB (growth %.2f MB)",
		rows, float64(w.bytes)/1e6, float64(base)/1e6, float64(peak)/1e6, float64(growth)/1e6)
	// The file is far larger than the bound: holding it would fail this.
	if w.bytes < 10<<20 {
		t.Fatalf("the export is only %d bytes: the bound below proves nothing", w.bytes)
	}
	if growth > 8<<20 {
		t.Errorf("the live heap grew by %.1f MB while streaming %.1f MB: the export is not streamed", float64(growth)/1e6, float64(w.bytes)/1e6)
	}
}
