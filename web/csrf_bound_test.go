package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
)

// TestCSRFTokenIsBoundToTheSession: a signed-in user's token works only for
// their own session: another session's token, a token planted in the CSRF
// cookie together with the form, and a token in the URL are all refused,
// and nothing changes.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	app.addUser("eve@example.com", store.RoleSupport, "Eve")
	admin := app.client()
	admin.login("admin@example.com")
	eve := app.client()
	eve.login("eve@example.com")
	if admin.csrf == "" || admin.csrf == eve.csrf {
		t.Fatalf("tokens: admin %q eve %q; want two different ones", admin.csrf, eve.csrf)
	}
	create := func(token string) url.Values {
		return url.Values{"email": {"new@example.com"}, "role": {"support"}, "password": {"another long password"}, "_csrf": {token}}
	}
	planted := "planted-by-eve-0123456789abcdef"
	base, _ := url.Parse(app.srv.URL)
	for _, tc := range []struct {
		name string
		send func() *http.Response
	}{
		{"another session's token", func() *http.Response {
			// Eve's token in her own cookie too: the double submit matches,
			// the session binding does not.
			jar := admin.http.Jar
			jar.SetCookies(base, []*http.Cookie{{Name: handlers.CSRFCookieName(false), Value: eve.csrf, Path: "/"}})
			res, _ := admin.postRaw("/admin/users", create(eve.csrf), nil)
			return res
		}},
		{"a planted cookie and token", func() *http.Response {
			admin.http.Jar.SetCookies(base, []*http.Cookie{{Name: handlers.CSRFCookieName(false), Value: planted, Path: "/"}})
			res, _ := admin.postRaw("/admin/users", create(planted), nil)
			return res
		}},
		{"the right token in the URL only", func() *http.Response {
			admin.get("/account") // the right cookie back
			res, _ := admin.postRaw("/admin/users?_csrf="+url.QueryEscape(admin.csrf), url.Values{"email": {"new@example.com"},
				"role": {"support"}, "password": {"another long password"}}, nil)
			return res
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.send(); res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.StatusCode)
			}
			if _, err := app.Store.UserByEmail(context.Background(), "new@example.com"); err == nil {
				t.Fatal("the user was created")
			}
		})
	}
	// The page hands the bound token back, and it works.
	admin.get("/account")
	if res, _ := admin.postRaw("/admin/users", create(admin.csrf), http.Header{"Hx-Request": {"true"}}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("with the session's own token: status %d", res.StatusCode)
	}
}
