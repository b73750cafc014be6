package web

// QA: hostile text in every search box and filter renders harmlessly: a
// page (never a 500), the text shown escaped, nothing found that does not
// match literally.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

func TestQASearchBoxesHostileText(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	sup := app.login(store.RoleSupport)
	id := op.createSession(sessionForm("referenceOrderId", "order-qa-1", "buyerId", "buyer-qa-1"))
	hostile := []string{
		"' OR 1=1 --",
		"\" onmouseover=\"alert(1)",
		"<script>alert(1)</script>",
		"%", "_", "%%%%", "____", "order%", "order-qa-_",
		"订单", "\u202eevil", "😀😀😀😀",
		strings.Repeat("a", 8<<10),
	}
	for _, q := range hostile {
		name := q
		if len(name) > 24 {
			name = name[:24]
		}
		t.Run(name, func(t *testing.T) {
			for _, page := range []string{paths.Payments, paths.Orders, paths.Notifications, paths.Captures} {
				for _, param := range []string{"q", "status", "currency", "from", "cursor", "type", "verdict"} {
					res, body := sup.get(page + "?" + url.Values{param: {q}}.Encode())
					if res.StatusCode >= 500 {
						t.Fatalf("GET %s?%s=…: %d", page, param, res.StatusCode)
					}
					if strings.Contains(body, "<script>alert(1)</script>") || strings.Contains(body, `" onmouseover="alert(1)`) {
						t.Fatalf("GET %s?%s=…: the text is not escaped", page, param)
					}
					if param == "q" && page == paths.Payments && (strings.Contains(body, id) || strings.Contains(res.Header.Get("Location"), id)) {
						t.Errorf("search %q found %s", q, id)
					}
				}
			}
			r := app.apiGet(t, paths.APIPayments+"?"+url.Values{"q": {q}}.Encode())
			if r >= 500 {
				t.Errorf("API list q=…: %d", r)
			}
		})
	}
	// The literal text still finds the payment.
	// (A single match opens the payment.)
	if res, body := sup.get(paths.Payments + "?q=order-qa-1"); !strings.Contains(body, id) && !strings.Contains(res.Header.Get("Location"), id) {
		t.Error("searching the order ID does not find the payment")
	}
}

// apiGet calls the app API with a fresh payments:read key and returns the status.
func (a *payApp) apiGet(t *testing.T, path string) int {
	t.Helper()
	_, key, err := a.Store.CreateAPIKey(t.Context(), "qa-"+t.Name(), store.AuditContext{Actor: "test"}, store.ScopePaymentsRead)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, a.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
