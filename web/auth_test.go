package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestLoginSuccessAndFailure(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")

	c := app.client()
	res, body := c.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"wrong password!!"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d, want 401", res.StatusCode)
	}
	if !strings.Contains(body, "Email or password is incorrect.") {
		t.Errorf("wrong password: body lacks the failure message")
	}
	if c.sessionCookie() != "" {
		t.Errorf("wrong password set a session cookie")
	}

	res, _ = c.post("/login", url.Values{"email": {"ANA@example.com "}, "password": {secPassword}, "next": {"/admin/users?x=1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d, want 303", res.StatusCode)
	}
	if got := res.Header.Get("Location"); got != "/admin/users?x=1" {
		t.Errorf("login redirect: got %q, want the next page", got)
	}
	res, body = c.get("/account")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "ana@example.com") {
		t.Fatalf("account after login: status %d; want 200 with the email", res.StatusCode)
	}

	// An open redirect through next is refused.
	for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example"} {
		c2 := app.client()
		res, _ := c2.post("/login", url.Values{"email": {"ana@example.com"}, "password": {secPassword}, "next": {next}})
		if got := res.Header.Get("Location"); got != "/payments" {
			t.Errorf("next=%q: redirect %q, want /payments", next, got)
		}
	}
}

func TestLoginDoesNotEnumerateUsers(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	dis := app.addUser("old@example.com", store.RoleOperator, "Old")
	if _, err := app.Store.SetUserDisabled(context.Background(), dis.ID, true, store.AuditContext{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	errorOf := func(email, password string) (int, string) {
		res, body := app.client().post("/login", url.Values{"email": {email}, "password": {password}})
		i := strings.Index(body, `data-testid="login-error">`)
		if i < 0 {
			t.Fatalf("%s: no login error in the page (status %d)", email, res.StatusCode)
		}
		msg := body[i:]
		return res.StatusCode, msg[:strings.Index(msg, "<")]
	}
	wantStatus, wantMsg := errorOf("ana@example.com", "not the password")
	for _, tc := range []struct{ name, email, password string }{
		{"unknown user", "nobody@example.com", "not the password"},
		{"disabled user, right password", "old@example.com", secPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, msg := errorOf(tc.email, tc.password)
			if status != wantStatus || msg != wantMsg {
				t.Errorf("got %d %q, want %d %q (as for a wrong password)", status, msg, wantStatus, wantMsg)
			}
		})
	}
	// Unknown accounts are throttled like known ones, or the lock would tell.
	for range 5 {
		app.client().post("/login", url.Values{"email": {"ghost@example.com"}, "password": {"x"}})
	}
	res, _ := app.client().post("/login", url.Values{"email": {"ghost@example.com"}, "password": {"x"}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("unknown account after 5 failures: status %d, want 429", res.StatusCode)
	}
}

func TestLoginThrottleEngagesAndReleases(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	c := app.client()
	for i := range 5 {
		res, _ := c.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"wrong password"}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, res.StatusCode)
		}
		app.Clock.Add(time.Second)
	}
	res, body := c.post("/login", url.Values{"email": {"ana@example.com"}, "password": {secPassword}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: status %d, want 429", res.StatusCode)
	}
	if !strings.Contains(body, "Try again in 15 minutes.") {
		t.Errorf("locked message does not say when to retry: %s", body[strings.Index(body, "login-error"):])
	}
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After header")
	}
	if c.sessionCookie() != "" {
		t.Errorf("a locked account got a session")
	}

	app.Clock.Add(15 * time.Minute)
	c.login("ana@example.com")

	// Per client address: 20 failures over many accounts lock the address.
	app2 := newSecApp(t)
	app2.addUser("bo@example.com", store.RoleSupport, "Bo")
	for i := range 20 {
		app2.client().post("/login", url.Values{"email": {"u" + string(rune('a'+i)) + "@example.com"}, "password": {"x"}})
	}
	res, _ = app2.client().post("/login", url.Values{"email": {"bo@example.com"}, "password": {secPassword}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("address after 20 failures: status %d, want 429", res.StatusCode)
	}
	app2.Clock.Add(16 * time.Minute)
	app2.client().login("bo@example.com")
}

func TestSessionFixation(t *testing.T) {
	app := newSecApp(t)
	app.addUser("attacker@example.com", store.RoleSupport, "Mallory")
	app.addUser("victim@example.com", store.RoleAdmin, "Victim")

	// The attacker's own valid cookie is planted in the victim's browser.
	attacker := app.client()
	attacker.login("attacker@example.com")
	planted := attacker.sessionCookie()

	victim := app.withSessionCookie(planted)
	victim.get("/account") // any page: the form token

	res, _ := victim.post("/login", url.Values{"email": {"victim@example.com"}, "password": {secPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("victim login: status %d", res.StatusCode)
	}
	after := victim.sessionCookie()
	if after == "" || after == planted {
		t.Fatalf("login kept the cookie from before it")
	}
	// The cookie from before the login is not a session any more, and
	// certainly not the victim's.
	if app.withSessionCookie(planted).signedIn() {
		t.Errorf("the pre-login cookie still has a session")
	}
	if res, body := victim.get("/account"); res.StatusCode != http.StatusOK || !strings.Contains(body, "victim@example.com") {
		t.Errorf("victim's new session does not work")
	}
}

func TestLogoutEndsTheSessionServerSide(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	c := app.client()
	c.login("ana@example.com")
	stolen := c.sessionCookie()

	res, _ := c.post("/logout", nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c.signedIn() {
		t.Errorf("still signed in after logout")
	}
	if app.withSessionCookie(stolen).signedIn() {
		t.Errorf("a copy of the cookie still works after logout")
	}
}

func TestSessionTimeouts(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")

	c := app.client()
	c.login("ana@example.com")
	app.Clock.Add(29 * time.Minute)
	if !c.signedIn() {
		t.Fatalf("signed out before the idle timeout")
	}
	app.Clock.Add(31 * time.Minute)
	res, _ := c.get("/account")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "expired=1") {
		t.Errorf("after 31 idle minutes: %d %s, want a redirect to login saying it expired", res.StatusCode, res.Header.Get("Location"))
	}

	// Absolute: active every 20 minutes, still ends at 12 h.
	c = app.client()
	c.login("ana@example.com")
	for range 35 { // 11 h 40 min
		app.Clock.Add(20 * time.Minute)
		if !c.signedIn() {
			t.Fatalf("signed out before the absolute timeout")
		}
	}
	app.Clock.Add(21 * time.Minute)
	if c.signedIn() {
		t.Errorf("session outlived the 12 h absolute timeout")
	}
}

func TestDisablingAUserEndsTheirSessions(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	op := app.addUser("op@example.com", store.RoleOperator, "Op")
	opc := app.client()
	opc.login("op@example.com")

	admin := app.client()
	admin.login("admin@example.com")
	res, _ := admin.post("/admin/users/"+itoa(op.ID)+"/disable", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: status %d", res.StatusCode)
	}
	if opc.signedIn() {
		t.Errorf("disabled user's session still works")
	}
}

func TestPostWithoutCSRFTokenIsRefusedAndChangesNothing(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	form := func() url.Values {
		return url.Values{"email": {"new@example.com"}, "role": {"support"}, "password": {"another long password"}}
	}
	cases := []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"no token", form(), nil},
		{"wrong token", func() url.Values { f := form(); f.Set("_csrf", "not-the-token"); return f }(), nil},
		{"htmx with a wrong header", form(), http.Header{"X-Csrf-Token": {"nope"}, "Hx-Request": {"true"}}},
		{"cross-site with the right token", func() url.Values { f := form(); f.Set("_csrf", c.csrf); return f }(),
			http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := c.postRaw("/admin/users", tc.form, tc.header)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.StatusCode)
			}
			if _, err := app.Store.UserByEmail(context.Background(), "new@example.com"); err == nil {
				t.Fatalf("the user was created")
			}
		})
	}
	// A token-less logout does not end the session either.
	if res, _ := c.postRaw("/logout", url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("logout without token: status %d, want 403", res.StatusCode)
	}
	if !c.signedIn() {
		t.Errorf("a logout without token ended the session")
	}
	// The same request with the token (as a header, the htmx way) works.
	res, _ := c.postRaw("/admin/users", form(), http.Header{"X-Csrf-Token": {c.csrf}, "Hx-Request": {"true"}})
	if res.StatusCode != http.StatusNoContent || res.Header.Get("HX-Redirect") != "/admin/users" {
		t.Fatalf("htmx create with token: status %d HX-Redirect %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
	if _, err := app.Store.UserByEmail(context.Background(), "new@example.com"); err != nil {
		t.Errorf("with the token the user was not created: %v", err)
	}
}

func TestCSRFTokenRotatesAtLogin(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	c := app.client()
	c.get("/login")
	before := c.csrf
	c.login("ana@example.com")
	if c.csrf == "" || c.csrf == before {
		t.Fatalf("CSRF token did not change at login")
	}
	form := url.Values{"current": {secPassword}, "password": {"x"}, "confirm": {"x"}, "_csrf": {before}}
	if res, _ := c.postRaw("/account", form, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("pre-login token accepted after login: status %d", res.StatusCode)
	}
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	var pathsToCheck []string
	for _, r := range app.Web.Echo().Routes() {
		if r.Method == http.MethodGet && !strings.Contains(r.Path, ":") && !strings.Contains(r.Path, "*") {
			pathsToCheck = append(pathsToCheck, r.Path)
		}
	}
	pathsToCheck = append(pathsToCheck, "/no/such/page", "/static/app.css")
	for _, p := range pathsToCheck {
		res, body := c.get(p)
		h := res.Header
		if got := h.Get("Content-Security-Policy"); got != csp {
			t.Errorf("%s: CSP %q, want %q", p, got, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: missing nosniff / Referrer-Policy / X-Frame-Options", p)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", p)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "<style") {
			t.Errorf("%s: inline script or style in the page", p)
		}
	}
	// Over https: HSTS, and the simulator's origin may receive forms.
	sh := newSecurityHeaders(true, "http://127.0.0.1:9999")
	if !strings.HasSuffix(sh.csp, "form-action 'self' http://127.0.0.1:9999") || !sh.hsts {
		t.Errorf("https headers: csp %q hsts %v", sh.csp, sh.hsts)
	}
}

func TestHealthz(t *testing.T) {
	app := newSecApp(t)
	res, body := app.client().get("/healthz")
	if res.StatusCode != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %d %q, want 200 ok", res.StatusCode, body)
	}
	app.Store.Close()
	res, _ = app.client().get("/healthz")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database closed: %d, want 503", res.StatusCode)
	}
}

func TestHostileInputRendersEscaped(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	const xss = `<script>alert(1)</script>`
	res, _ := c.post("/admin/users", url.Values{"email": {"x@example.com"}, "name": {xss}, "role": {"support"}, "password": {"another long password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: status %d", res.StatusCode)
	}
	_, body := c.get("/admin/users")
	if strings.Contains(body, xss) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("user name not escaped on the users page")
	}
	_, body = c.get("/admin/audit")
	if strings.Contains(body, xss) {
		t.Errorf("user name not escaped on the audit page")
	}
	for _, q := range []string{`' OR 1=1 --`, `"><script>alert(1)</script>`} {
		res, body := c.get("/admin/audit?actor=" + url.QueryEscape(q) + "&payment=" + url.QueryEscape(q))
		if res.StatusCode != http.StatusOK || strings.Contains(body, "<script>alert(1)") {
			t.Errorf("audit filter %q: status %d or unescaped", q, res.StatusCode)
		}
		if !strings.Contains(body, "No audit entries match.") {
			t.Errorf("audit filter %q matched something", q)
		}
	}
}

func TestErrorsAreClassifiedAndRenderedOnce(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")

	res, body := c.get("/admin/users/999/nothing")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "No page at /admin/users/999/nothing.") {
		t.Errorf("unknown page: %d", res.StatusCode)
	}
	res, body = c.post("/admin/users/999/disable", nil)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "No such user.") {
		t.Errorf("disable unknown user: %d", res.StatusCode)
	}
	// htmx gets a fragment aimed at the message area, not a page.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/admin/users/999/disable", strings.NewReader("_csrf="+c.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	res, body = c.do(req)
	if res.StatusCode != http.StatusNotFound || res.Header.Get("HX-Retarget") != "#messages" || strings.Contains(body, "<html") {
		t.Errorf("htmx error: %d retarget %q html=%v", res.StatusCode, res.Header.Get("HX-Retarget"), strings.Contains(body, "<html"))
	}
	// /api/ answers JSON.
	res, body = c.get("/api/v1/nothing")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || !strings.Contains(body, `"code":"not_found"`) {
		t.Errorf("api 404: %s %s", ct, body)
	}
	// The last admin cannot be disabled: a 409 with a useful message.
	me, _ := app.Store.UserByEmail(context.Background(), "admin@example.com")
	other := app.addUser("admin2@example.com", store.RoleAdmin, "Two")
	if _, err := app.Store.SetUserDisabled(context.Background(), other.ID, true, store.AuditContext{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	res, body = c.post("/admin/users/"+itoa(me.ID)+"/role", url.Values{"role": {"support"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "last active admin") {
		t.Errorf("demote last admin: %d", res.StatusCode)
	}
}

func TestAPIKeyBearerAuth(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	_, body := c.post("/admin/api-keys", url.Values{"name": {"android-app"}, "scopes": {"sessions"}})
	i := strings.Index(body, `data-testid="secret-value">`)
	if i < 0 {
		t.Fatalf("new key not shown")
	}
	token := body[i+len(`data-testid="secret-value">`):]
	token = token[:strings.Index(token, "<")]
	if !strings.HasPrefix(token, "pdk_live_") {
		t.Fatalf("key %q does not look like pdk_live_…", token)
	}
	if _, body := c.get("/admin/api-keys"); strings.Contains(body, token) {
		t.Errorf("the key is shown again after creation")
	}

	// A route for a key with the default scope (registered the way the table does).
	app.Web.Echo().Add(http.MethodGet, "/api/v1/whoami", func(ctx echo.Context) error {
		return ctx.String(http.StatusOK, "ok")
	}, app.Web.middlewareFor(appKey(store.ScopeSessions))...)
	call := func(auth string) int {
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/api/v1/whoami", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := call("Bearer " + token); got != http.StatusOK {
		t.Fatalf("valid key: %d", got)
	}
	for _, auth := range []string{"", "Bearer pdk_live_nope", "Basic " + token, token} {
		if got := call(auth); got != http.StatusUnauthorized {
			t.Errorf("auth %q: %d, want 401", auth, got)
		}
	}
	keys, _ := app.Store.ListAPIKeys(context.Background())
	if res, _ := c.post("/admin/api-keys/"+itoa(keys[0].ID)+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if got := call("Bearer " + token); got != http.StatusUnauthorized {
		t.Errorf("revoked key: %d, want 401 at once", got)
	}
}

func TestAuditLogRecordsStaffActionsAndExportsCSV(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	c.post("/admin/users", url.Values{"email": {"bo@example.com"}, "role": {"support"}, "password": {"another long password"}})
	c.post("/admin/api-keys", url.Values{"name": {"shop"}, "scopes": {"sessions"}})

	res, body := c.get("/admin/audit.csv?action=apikey.")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "apikey.create") {
		t.Fatalf("csv rows: %q", lines)
	}
	_, body = c.get("/admin/audit")
	for _, action := range []string{"auth.login", "user.create", "apikey.create"} {
		if !strings.Contains(body, `data-action="`+action+`"`) {
			t.Errorf("audit page lacks %s", action)
		}
	}
}

func TestAccountPasswordChange(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleSupport, "Ana")
	other := app.client()
	other.login("ana@example.com")
	c := app.client()
	c.login("ana@example.com")

	res, body := c.post("/account", url.Values{"current": {secPassword}, "password": {"short"}, "confirm": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 12 characters") {
		t.Errorf("short password: %d", res.StatusCode)
	}
	res, body = c.post("/account", url.Values{"current": {"wrong"}, "password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "current password is incorrect") {
		t.Errorf("wrong current: %d", res.StatusCode)
	}
	res, _ = c.post("/account", url.Values{"current": {secPassword}, "password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", res.StatusCode)
	}
	if !c.signedIn() {
		t.Errorf("own session ended by own password change")
	}
	if other.signedIn() {
		t.Errorf("other session survived the password change")
	}
}
