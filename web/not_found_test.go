package web

import (
	"net/http"
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// TestNotFoundInsideLayout: a signed-in 404 (an unknown URL, an unknown
// payment) renders inside the normal layout and repeats what was not
// found; signed out it has no nav; the JSON API keeps its JSON 404.
func TestNotFoundInsideLayout(t *testing.T) {
	app := newSecApp(t)
	app.addUser("support@example.com", store.RoleSupport, "Sam Support")
	in := app.client()
	in.login("support@example.com")
	out := app.client()

	for _, tc := range []struct {
		name, path, want string
	}{
		{"unknown URL", "/no/such/page", "No page at /no/such/page."},
		{"unknown payment", paths.Payment("pay_missing_42"), "No payment with ID pay_missing_42."},
		{"unknown notification", paths.Notifications + "/987654", "No notification 987654."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := in.get(tc.path)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("signed in: status %d, want 404", res.StatusCode)
			}
			for _, want := range []string{tc.want, `data-testid="error-page"`, `class="topbar"`, "Sam Support", `data-testid="skip-link"`, `name="_csrf"`} {
				if !strings.Contains(body, want) {
					t.Errorf("signed-in 404 lacks %q", want)
				}
			}
			res, body = out.get(tc.path)
			if tc.name == "unknown URL" {
				if res.StatusCode != http.StatusNotFound || strings.Contains(body, `class="topbar"`) || !strings.Contains(body, tc.want) {
					t.Errorf("signed out: status %d, topbar shown %v, want a 404 naming the path without the nav",
						res.StatusCode, strings.Contains(body, `class="topbar"`))
				}
			}
		})
	}

	t.Run("a POST to an unknown URL is a 404, not a CSRF refusal", func(t *testing.T) {
		res, _ := in.post("/no/such/action", nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.StatusCode)
		}
	})
	t.Run("the JSON API answers JSON", func(t *testing.T) {
		res, body := in.get(paths.APIPrefix + "/nothing-here")
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("status %d, content type %q, want a JSON 404", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if strings.Contains(body, "<html") {
			t.Errorf("the API 404 is an HTML page")
		}
	})
}
