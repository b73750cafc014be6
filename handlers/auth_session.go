package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/layout"
	"paydesk/views/paths"
)

// MinSessionKeyLength is the shortest PAYDESK_SESSION_KEY accepted.
const MinSessionKeyLength = 32

// AuthConfig configures staff sessions, login throttling and step-up.
// Zero durations and counts take the defaults noted.
type AuthConfig struct {
	// SessionKey signs and encrypts the session cookie, and derives the
	// CSRF tokens and the payments' client secrets; at least 32 bytes.
	SessionKey []byte
	// Secure marks cookies Secure and gives them the __Host- prefix (https).
	Secure bool
	// IdleTimeout ends a session unused this long (default 30 min).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after login (default 12 h).
	AbsoluteTimeout time.Duration
	// StepUpWindow is how long a password confirmation covers money
	// actions (default 5 min).
	StepUpWindow time.Duration
	// AccountAttempts is how many failed logins per account fit in
	// ThrottleWindow before it is locked (default 5).
	AccountAttempts int
	// AddressAttempts is the same per client address (default 20).
	AddressAttempts int
	// ThrottleWindow is the sliding window of the login throttle (default 15 min).
	ThrottleWindow time.Duration
	// PasswordParams are the argon2id costs for new hashes (default
	// store.DefaultPasswordParams; tests lower them).
	PasswordParams store.PasswordParams
}

func (a AuthConfig) withDefaults() AuthConfig {
	if a.IdleTimeout <= 0 {
		a.IdleTimeout = 30 * time.Minute
	}
	if a.AbsoluteTimeout <= 0 {
		a.AbsoluteTimeout = 12 * time.Hour
	}
	if a.StepUpWindow <= 0 {
		a.StepUpWindow = 5 * time.Minute
	}
	if a.AccountAttempts <= 0 {
		a.AccountAttempts = 5
	}
	if a.AddressAttempts <= 0 {
		a.AddressAttempts = 20
	}
	if a.ThrottleWindow <= 0 {
		a.ThrottleWindow = 15 * time.Minute
	}
	if a.PasswordParams == (store.PasswordParams{}) {
		a.PasswordParams = store.DefaultPasswordParams
	}
	return a
}

// SessionCookieName is the staff session cookie's name.
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-paydesk_session"
	}
	return "paydesk_session"
}

// CSRFCookieName is the CSRF cookie's name; web configures Echo's CSRF
// middleware with it and login rotates it.
func CSRFCookieName(secure bool) string {
	if secure {
		return "__Host-paydesk_csrf"
	}
	return "paydesk_csrf"
}

// sessionTouchEvery bounds how often a session's last-seen time is written.
const sessionTouchEvery = time.Minute

// Cookie session value keys.
const (
	sessTokenKey = "t"
	sessFlashKey = "f"
)

// sessionManager keeps the cookie side of staff sessions: the cookie only
// carries a random token (and flashes); the server-side record in the store,
// looked up by the token's hash, is the truth.
type sessionManager struct {
	cookies *sessions.CookieStore
	name    string
	cfg     AuthConfig
}

func newSessionManager(cfg AuthConfig) (*sessionManager, error) {
	if len(cfg.SessionKey) < MinSessionKeyLength {
		return nil, fmt.Errorf("handlers: session key must be at least %d bytes", MinSessionKeyLength)
	}
	cs := sessions.NewCookieStore(deriveKey(cfg.SessionKey, "paydesk cookie mac"), deriveKey(cfg.SessionKey, "paydesk cookie aes"))
	cs.Options = &sessions.Options{
		Path:     "/",
		HttpOnly: true,
		Secure:   cfg.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(int(cfg.AbsoluteTimeout / time.Second))
	for _, codec := range cs.Codecs {
		if sc, ok := codec.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(cookieSerializer{})
		}
	}
	return &sessionManager{cookies: cs, name: SessionCookieName(cfg.Secure), cfg: cfg}, nil
}

// cookieSerializer writes the cookie's values (a token and flash messages:
// strings, and lists of strings, under string keys) as JSON, and reads
// JSON or, from cookies issued before it, gob. securecookie's default gob
// compiled a decoder on every request: about 17 µs, a third of an
// unchanged live poll's CPU (issue 14). Its JSONEncoder cannot take the
// map[any]any that gorilla/sessions hands it, hence this adapter.
type cookieSerializer struct{}

func (cookieSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("handlers: cookie values of type %T", src)
	}
	m := make(map[string]any, len(values))
	for k, v := range values {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("handlers: cookie value key of type %T", k)
		}
		m[key] = v
	}
	return json.Marshal(m)
}

func (cookieSerializer) Deserialize(b []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("handlers: cookie values into %T", dst)
	}
	if len(b) == 0 || b[0] != '{' {
		// A gob stream starts with the length of its first message, the
		// definition of map[any]any, which is never '{'.
		return securecookie.GobEncoder{}.Deserialize(b, dst)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if *values == nil {
		*values = make(map[any]any, len(m))
	}
	for k, v := range m {
		(*values)[k] = v
	}
	return nil
}

// deriveKey derives a 32-byte key for one purpose from the session key.
func deriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// get returns the request's cookie session; a cookie that does not decode
// (tampered, old key) yields a fresh empty one.
func (m *sessionManager) get(c echo.Context) *sessions.Session {
	s, err := m.cookies.Get(c.Request(), m.name)
	if err != nil || s == nil {
		s, _ = m.cookies.New(&http.Request{Header: http.Header{}}, m.name)
		s.Values = map[any]any{}
	}
	return s
}

// token returns the session token in the cookie, or "".
func (m *sessionManager) token(c echo.Context) string {
	t, _ := m.get(c).Values[sessTokenKey].(string)
	return t
}

// start puts a new token in the cookie, dropping everything else.
func (m *sessionManager) start(c echo.Context, token string) error {
	s := m.get(c)
	s.Values = map[any]any{sessTokenKey: token}
	s.Options.MaxAge = int(m.cfg.AbsoluteTimeout / time.Second)
	return s.Save(c.Request(), c.Response())
}

// clear deletes the cookie.
func (m *sessionManager) clear(c echo.Context) error {
	s := m.get(c)
	s.Values = map[any]any{}
	s.Options.MaxAge = -1
	return s.Save(c.Request(), c.Response())
}

// newSessionToken returns 256 random bits, URL-safe.
func newSessionToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("handlers: session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Flash kinds.
const (
	flashSuccess = "success"
	flashError   = "error"
	flashInfo    = "info"
)

// flash queues a one-time message for the next page the user sees.
func (h *Handlers) flash(c echo.Context, kind, message string) {
	s := h.sessions.get(c)
	s.AddFlash(kind+"\x00"+message, sessFlashKey)
	if err := s.Save(c.Request(), c.Response()); err != nil {
		h.Log.WarnContext(c.Request().Context(), "saving flash failed", "err", err.Error())
	}
}

// popFlashes returns and clears the queued messages.
func (h *Handlers) popFlashes(c echo.Context) []layout.Flash {
	s := h.sessions.get(c)
	raw := s.Flashes(sessFlashKey)
	if len(raw) == 0 {
		return nil
	}
	if err := s.Save(c.Request(), c.Response()); err != nil {
		h.Log.WarnContext(c.Request().Context(), "clearing flashes failed", "err", err.Error())
	}
	out := make([]layout.Flash, 0, len(raw))
	for _, r := range raw {
		str, _ := r.(string)
		kind, msg, ok := strings.Cut(str, "\x00")
		if !ok {
			continue
		}
		out = append(out, layout.Flash{Kind: kind, Message: msg})
	}
	return out
}

// LoadSession is middleware for every browser route: it resolves the
// session cookie to a server-side session and its user, enforcing the idle
// and absolute timeouts and disabled accounts, and puts both in the request
// state (currentUser, currentSession). No cookie or a dead session simply
// leaves the request signed out.
func (h *Handlers) LoadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := h.sessions.token(c)
		if token == "" {
			return next(c)
		}
		hash := store.HashToken(token)
		ctx := c.Request().Context()
		ss, u, err := h.Store.StaffSessionUser(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			if err := h.sessions.clear(c); err != nil {
				return err
			}
			return next(c)
		}
		if err != nil {
			return err
		}
		now := h.Now()
		if why := h.sessionEnd(u, ss, now); why != "" {
			if err := h.Store.EndStaffSession(ctx, hash, store.AuditContext{}); err != nil {
				return err
			}
			if err := h.sessions.clear(c); err != nil {
				return err
			}
			c.Set(ctxExpiredKey, why)
			return next(c)
		}
		// A background poll is not activity: a page left open idles out.
		if now.Sub(ss.LastSeenAt) >= sessionTouchEvery && !isPoll(c) {
			// Best effort when the disk is full or locked: reading pages
			// must keep working; the next request touches it again.
			if err := h.Store.TouchStaffSession(ctx, hash); err != nil && !errors.Is(err, store.ErrUnavailable) {
				return err
			} else if err != nil {
				h.Log.WarnContext(ctx, "staff session not touched: database unavailable", "err", err.Error())
			}
		}
		if err := h.checkBoundCSRF(c, hash); err != nil {
			return err
		}
		c.Set(ctxUserKey, u)
		c.Set(ctxSessionKey, ss)
		return next(c)
	}
}

// sessionEnd says why a loaded session is over at now, or "" when it is not.
func (h *Handlers) sessionEnd(u *store.User, ss *store.StaffSession, now time.Time) string {
	switch {
	case u.Disabled:
		return "Your account was disabled."
	case now.Sub(ss.LastSeenAt) > h.Auth.IdleTimeout:
		return "Signed out after " + humanDuration(h.Auth.IdleTimeout) + " without activity."
	case now.Sub(ss.CreatedAt) > h.Auth.AbsoluteTimeout:
		return "Signed out: a sign-in lasts " + humanDuration(h.Auth.AbsoluteTimeout) + "."
	}
	return ""
}

// HeaderPoll marks a background poll of a live page (static/app.js sets it
// on requests from elements with data-live): not a person's activity.
const HeaderPoll = "X-Paydesk-Poll"

// isPoll reports whether the request is a live page's background poll.
func isPoll(c echo.Context) bool { return c.Request().Header.Get(HeaderPoll) == "1" }

// ctxExpiredKey marks a request whose session just ended, with the reason.
const ctxExpiredKey = "paydesk.session_expired"

// Require is middleware for staff routes: signed out → to the login page
// (htmx: 401 with HX-Redirect); signed in without permission p → 403.
// Routes get it from the route table in web; it runs after LoadSession.
func (h *Handlers) Require(p Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil {
				return h.toLogin(c)
			}
			if !can(u, p) {
				return errForbidden("Your role (%s) does not allow this.", u.Role)
			}
			return next(c)
		}
	}
}

// toLogin sends a signed-out browser to the login page, remembering where it
// was going when that was a page (GET).
func (h *Handlers) toLogin(c echo.Context) error {
	r := c.Request()
	target := loginPath
	why, _ := c.Get(ctxExpiredKey).(string)
	if why != "" {
		target += "?expired=1"
	}
	if isHTMX(c) && isPoll(c) {
		// The live page stays where it is, says it is no longer live,
		// and stops polling (286); signing in brings the person back.
		back := paths.Payments
		if cur, err := url.Parse(r.Header.Get(hxCurrentURL)); err == nil {
			back = safeNext(cur.RequestURI())
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		if why == "" {
			why = "You are signed out."
		}
		c.Response().Header().Set(hxRetarget, "#messages")
		c.Response().Header().Set(hxReswap, "innerHTML")
		return render(c, StatusStopPolling, components.SignedOut(why, target+sep+"next="+queryEscape(back)))
	}
	if r.Method == http.MethodGet && !isHTMX(c) {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "next=" + queryEscape(r.URL.RequestURI())
	}
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, target)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// PurgeSessions deletes the staff sessions past their idle or absolute
// timeout that no browser came back with; web runs it periodically.
func (h *Handlers) PurgeSessions(ctx context.Context) (int64, error) {
	now := h.Now()
	return h.Store.PurgeStaffSessions(ctx, now.Add(-h.Auth.IdleTimeout), now.Add(-h.Auth.AbsoluteTimeout))
}
