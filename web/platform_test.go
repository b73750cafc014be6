package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"paydesk/static"
	"paydesk/store"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var logs syncBuffer
	app := newSecAppWith(t, secOptions{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	app.addUser("ana@example.com", store.RoleAdmin, "Ana")
	c := app.client()
	c.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"wrong but secret pw"}})
	c.login("ana@example.com")
	c.get("/admin/audit?actor=" + url.QueryEscape("buyer-search-term"))
	_, body := c.post("/admin/api-keys", url.Values{"name": {"app"}, "scopes": {"sessions"}})
	key := body[strings.Index(body, "pdk_live_"):]
	key = key[:strings.Index(key, "<")]

	out := logs.String()
	if !strings.Contains(out, "path=/admin/audit") || !strings.Contains(out, "status=200") || !strings.Contains(out, "request_id=") {
		t.Fatalf("request log lines missing: %s", out)
	}
	for _, secret := range []string{secPassword, "wrong but secret pw", c.sessionCookie(), c.csrf, key, "buyer-search-term"} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	app := newSecAppWith(t, secOptions{Secure: true})
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	c := app.client()
	res, _ := c.get("/login")
	if h := res.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("HSTS %q over https", h)
	}
	csrf := res.Header.Get("Set-Cookie")
	if !strings.HasPrefix(csrf, "__Host-paydesk_csrf=") || !strings.Contains(csrf, "; Secure") || !strings.Contains(csrf, "HttpOnly") || !strings.Contains(csrf, "SameSite=Lax") {
		t.Errorf("csrf cookie: %s", csrf)
	}
	res, _ = c.post("/login", url.Values{"email": {"ana@example.com"}, "password": {secPassword}})
	var session string
	for _, v := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "__Host-paydesk_session=") {
			session = v
		}
	}
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(session, attr) {
			t.Errorf("session cookie %q lacks %s", session, attr)
		}
	}
}

func TestStaticFilesAreCached(t *testing.T) {
	app := newSecApp(t)
	c := app.client()
	res, body := c.get("/static/app.js?v=" + static.Version())
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "X-CSRF-Token") {
		t.Fatalf("app.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Errorf("static files set cookies")
	}
	res, _ = c.get("/static/app.css")
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" || res.Header.Get("ETag") == "" {
		t.Errorf("unversioned asset: Cache-Control %q ETag %q", cc, res.Header.Get("ETag"))
	}
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/static/app.css", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, _ := c.do(req); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", res.StatusCode)
	}
	for _, p := range []string{"/static/../go.mod", "/static/static.go", "/static/nope.js"} {
		if res, _ := c.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	// The pages reference the versioned URLs.
	if _, body := c.get("/login"); !strings.Contains(body, "/static/htmx.min.js?v="+static.Version()) {
		t.Errorf("login page does not load versioned htmx")
	}
}

func TestBodyLimit(t *testing.T) {
	app := newSecApp(t)
	c := app.client()
	c.get("/login")
	big := url.Values{"_csrf": {c.csrf}, "email": {strings.Repeat("a", 2<<20)}}
	res, _ := c.postRaw("/login", big, nil)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: %d, want 413", res.StatusCode)
	}
}
