package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// benchServe measures the signed-in operator's GET of target through the
// whole stack (session, CSRF, role), failing on any status but want.
func benchServe(b *testing.B, app *payApp, op *browser, target string, header http.Header, want int) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	for _, c := range op.c.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	h := app.Srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("status %d, want %d", rec.Code, want)
		}
	}
}

// benchSeeded measures the page path picks on 10,000 seeded payments (the
// fixture's search keys indexed and merged, as SeedFixture leaves them).
func benchSeeded(b *testing.B, path func(f *store.Fixture) string) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	f, err := app.Store.SeedFixture(b.Context(), store.FixtureSpec{Payments: 10000})
	if err != nil {
		b.Fatal(err)
	}
	benchServe(b, app, op, app.URL+path(f), nil, http.StatusOK)
}

// BenchmarkLivePollUnchanged measures the detail page's poll when nothing
// changed: the answer is 204 from one indexed read of the payment's
// version.
func BenchmarkLivePollUnchanged(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	benchServe(b, app, op, app.URL+paths.PaymentLive(id, app.payment(id).Version), http.Header{"Hx-Request": {"true"}}, http.StatusNoContent)
}

// BenchmarkSearchByID measures a support agent's search by
// paymentRequestId that opens the payment (303).
func BenchmarkSearchByID(b *testing.B) {
	app := startPayApp(b, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	benchServe(b, app, op, app.URL+paths.PaymentsSearch(id), nil, http.StatusSeeOther)
}

// BenchmarkSearchCardLast4 measures a search by a card's last four that
// many payments share (the answer is the first 50, asking for a date or
// an amount).
func BenchmarkSearchCardLast4(b *testing.B) {
	benchSeeded(b, func(*store.Fixture) string { return paths.Payments + "?q=0768" })
}

// BenchmarkPaymentDetail measures a captured payment's page, the page a
// search by ID leads to.
func BenchmarkPaymentDetail(b *testing.B) {
	benchSeeded(b, func(f *store.Fixture) string { return paths.Payment(f.Payment(5003).PaymentRequestID) }) // SUCCESS, captured
}

// BenchmarkSearchFragment measures a search by a fragment from the middle
// of a zero-padded paymentId, as the load tool makes them (about ten
// matches).
func BenchmarkSearchFragment(b *testing.B) {
	benchSeeded(b, func(f *store.Fixture) string {
		id := f.Payment(4321).PaymentID
		return paths.Payments + "?q=" + id[4:len(id)-1]
	})
}
