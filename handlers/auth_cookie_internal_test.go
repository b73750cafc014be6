package handlers

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
)

// The session cookie's values are written as JSON, and a cookie issued
// with gorilla's gob encoding before still reads (nobody is signed out by
// the upgrade); a token and flashes round-trip; anything else is refused.
func TestSessionCookieSerializer(t *testing.T) {
	cfg := AuthConfig{SessionKey: []byte(strings.Repeat("k", MinSessionKeyLength)), AbsoluteTimeout: time.Hour}
	m, err := newSessionManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	// Values as the handlers leave them: a token and two flashes.
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := m.start(c, "tok-1"); err != nil {
		t.Fatal(err)
	}
	s := m.get(c)
	s.AddFlash("ok\x00Saved.", sessFlashKey)
	s.AddFlash("error\x00Not saved.", sessFlashKey)
	rec = httptest.NewRecorder()
	if err := s.Save(c.Request(), rec); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(cookie)
	c = e.NewContext(req, httptest.NewRecorder())
	if got := m.token(c); got != "tok-1" {
		t.Errorf("token after a round trip = %q", got)
	}
	flashes := m.get(c).Flashes(sessFlashKey)
	if !slices.Equal(flashes, []any{"ok\x00Saved.", "error\x00Not saved."}) {
		t.Errorf("flashes after a round trip = %#v", flashes)
	}

	// The bytes are JSON, not gob.
	plain := securecookie.New(deriveKey(cfg.SessionKey, "paydesk cookie mac"), deriveKey(cfg.SessionKey, "paydesk cookie aes"))
	plain.SetSerializer(securecookie.NopEncoder{})
	var b []byte
	if err := plain.Decode(m.name, cookie.Value, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"`) {
		t.Errorf("cookie values are not JSON: %q", b)
	}

	// A cookie of the gob encoding, as issued before.
	old := securecookie.New(deriveKey(cfg.SessionKey, "paydesk cookie mac"), deriveKey(cfg.SessionKey, "paydesk cookie aes"))
	for _, values := range []map[any]any{{sessTokenKey: "tok-old"}, {sessTokenKey: "tok-old", sessFlashKey: []any{"ok\x00x"}}} {
		enc, err := old.Encode(m.name, values)
		if err != nil {
			t.Fatal(err)
		}
		var gob []byte
		if err := plain.Decode(m.name, enc, &gob); err != nil {
			t.Fatal(err)
		}
		if gob[0] == '{' {
			t.Fatalf("a gob cookie starts with '{': %q", gob)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: m.name, Value: enc})
		if got := m.token(e.NewContext(req, httptest.NewRecorder())); got != "tok-old" {
			t.Errorf("token of a gob cookie = %q", got)
		}
	}

	// Keys that are not strings are refused rather than changed.
	if _, err := (cookieSerializer{}).Serialize(map[any]any{1: "x"}); err == nil {
		t.Error("a non-string key was written")
	}
}
