package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// BenchmarkLivePollUnchanged measures the detail page's poll when nothing
// changed, through the whole middleware stack (session, CSRF, role): the
// answer is 204 from one indexed read of the payment's version.
func BenchmarkLivePollUnchanged(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	target := app.URL + paths.PaymentLive(id, app.payment(id).Version)
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.Header.Set("HX-Request", "true")
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatalf("status %d, want 204", rec.Code)
		}
	}
}

// BenchmarkSearchByID measures a support agent's search by paymentRequestId that
// opens the payment (303), through the whole stack.
func BenchmarkSearchByID(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	req, _ := http.NewRequest(http.MethodGet, app.URL+paths.PaymentsSearch(id), nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("status %d, want 303", rec.Code)
		}
	}
}

// BenchmarkSearchCardLast4 measures a search by a card's last four that
// many payments share (the answer is the first 50, asking for a date or
// an amount), through the whole stack, on 10,000 seeded payments.
func BenchmarkSearchCardLast4(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	if _, err := app.Store.SeedFixture(b.Context(), store.FixtureSpec{Payments: 10000}); err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+paths.Payments+"?q=0768", nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d, want 200", rec.Code)
		}
	}
}

// BenchmarkPaymentDetail measures a captured payment's page, the page a
// search by ID leads to, through the whole stack, on 10,000 seeded
// payments.
func BenchmarkPaymentDetail(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	f, err := app.Store.SeedFixture(b.Context(), store.FixtureSpec{Payments: 10000})
	if err != nil {
		b.Fatal(err)
	}
	p := f.Payment(5003) // SUCCESS, captured
	req, _ := http.NewRequest(http.MethodGet, app.URL+paths.Payment(p.PaymentRequestID), nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d, want 200", rec.Code)
		}
	}
}

// BenchmarkSearchFragment measures a search by a fragment from the middle
// of a zero-padded paymentId (as the load tool makes them: about ten
// matches), through the whole stack, on 10,000 seeded payments.
func BenchmarkSearchFragment(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	f, err := app.Store.SeedFixture(b.Context(), store.FixtureSpec{Payments: 10000})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.Store.IndexSearchKeys(b.Context()); err != nil {
		b.Fatal(err)
	}
	id := f.Payment(4321).PaymentID
	req, _ := http.NewRequest(http.MethodGet, app.URL+paths.Payments+"?q="+id[4:len(id)-1], nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d, want 200", rec.Code)
		}
	}
}
