package web

// A harness for the staff-security tests: the real router and middleware
// over a real store in a temp dir, an injectable clock, cheap password
// hashing, and clients with a cookie jar that send the CSRF token the way
// the pages do.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/handlers"
	"paydesk/store"
)

// secPassword is every test user's password.
const secPassword = "a long enough password"

// secParams make argon2id cheap in tests (the format and code path are the
// production ones).
var secParams = store.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// secClock is a settable clock shared by the store and the handlers.
type secClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *secClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *secClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// secApp is a running Paydesk without Antom: enough for everything staff
// security covers.
type secApp struct {
	t     *testing.T
	srv   *httptest.Server
	Store *store.Store
	H     *handlers.Handlers
	Web   *Server
	Clock *secClock
}

// secOptions vary the app: https cookies, a logger to inspect.
type secOptions struct {
	Secure bool
	Log    *slog.Logger
}

func newSecApp(t *testing.T) *secApp { return newSecAppWith(t, secOptions{}) }

func newSecAppWith(t *testing.T, opt secOptions) *secApp {
	t.Helper()
	clock := &secClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(context.Background(), t.TempDir(), store.WithClock(clock.Now))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	h, err := handlers.New(handlers.Deps{
		Store: st,
		Now:   clock.Now,
		Log:   opt.Log,
		Auth: handlers.AuthConfig{
			SessionKey:     []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD"),
			PasswordParams: secParams,
			Secure:         opt.Secure,
		},
	})
	if err != nil {
		t.Fatalf("handlers: %v", err)
	}
	ws, err := New(Config{HTTPS: opt.Secure, Log: opt.Log}, h)
	if err != nil {
		t.Fatalf("web: %v", err)
	}
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return &secApp{t: t, srv: srv, Store: st, H: h, Web: ws, Clock: clock}
}

// addUser creates a user with secPassword.
func (a *secApp) addUser(email string, role store.Role, name string) *store.User {
	a.t.Helper()
	hash, err := store.HashPassword(secPassword, secParams)
	if err != nil {
		a.t.Fatal(err)
	}
	u, err := a.Store.CreateUser(context.Background(), store.NewUser{Email: email, Name: name, Role: role, PasswordHash: hash},
		store.AuditContext{Actor: "test"})
	if err != nil {
		a.t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// secClient is a browser: a cookie jar, no redirect following, and the
// CSRF token of the last page it saw.
type secClient struct {
	t    *testing.T
	app  *secApp
	http *http.Client
	csrf string
}

func (a *secApp) client() *secClient {
	jar, _ := cookiejar.New(nil)
	return &secClient{t: a.t, app: a, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// do sends req and returns the response with its body read.
func (c *secClient) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	body := string(b)
	if m := csrfMeta.FindStringSubmatch(body); m != nil && m[1] != "" {
		c.csrf = m[1]
	}
	return res, body
}

func (c *secClient) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return c.do(req)
}

// postRaw posts form as is (no CSRF token added).
func (c *secClient) postRaw(path string, form url.Values, header http.Header) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return c.do(req)
}

// post posts form with the CSRF token, fetching the login page first when
// the client has not seen a token yet.
func (c *secClient) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf)
	return c.postRaw(path, form, nil)
}

// login signs in and fails the test unless it worked.
func (c *secClient) login(email string) {
	c.t.Helper()
	res, body := c.post("/login", url.Values{"email": {email}, "password": {secPassword}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d, want 303; body: %s", email, res.StatusCode, body)
	}
	c.get("/account") // pick up the post-login CSRF token
}

// sessionCookie returns the session cookie's value, or "".
func (c *secClient) sessionCookie() string {
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == handlers.SessionCookieName(false) {
			return ck.Value
		}
	}
	return ""
}

// withSessionCookie is a fresh client carrying only the given session cookie.
func (a *secApp) withSessionCookie(value string) *secClient {
	c := a.client()
	u, _ := url.Parse(a.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: handlers.SessionCookieName(false), Value: value, Path: "/"}})
	return c
}

// signedIn reports whether the client's session is alive: /account answers
// 200 to a signed-in client and redirects otherwise.
func (c *secClient) signedIn() bool {
	c.t.Helper()
	res, _ := c.get("/account")
	return res.StatusCode == http.StatusOK
}
