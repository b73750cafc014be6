package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

const loginPath = paths.Login

// loginFailed is the one message for every failed login: unknown email,
// wrong password and disabled account read the same.
const loginFailed = "Email or password is incorrect."

func queryEscape(s string) string { return url.QueryEscape(s) }

// LoginShow handles "GET /login".
func (h *Handlers) LoginShow(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	vm := pages.LoginView{Next: next}
	switch {
	case c.QueryParam("expired") != "":
		vm.Notice = "Your session expired. Sign in again."
	case c.QueryParam("signed_out") != "":
		vm.Notice = "You are signed out."
	}
	return render(c, http.StatusOK, pages.Login(h.page(c, "Sign in", ""), vm))
}

// LoginSubmit handles "POST /login": throttled per account and per client
// address, the same answer and similar timing whether or not the account
// exists, and a brand-new server-side session on success (no fixation).
func (h *Handlers) LoginSubmit(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	vm := pages.LoginView{Email: email, Next: safeNext(c.FormValue("next"))}
	if email == "" || password == "" {
		vm.Error = "Enter your email and password."
		return render(c, http.StatusUnprocessableEntity, pages.Login(h.page(c, "Sign in", ""), vm))
	}
	account := strings.ToLower(email)
	addr := c.RealIP()
	now := h.Now()
	ctx := c.Request().Context()
	// Reserve the attempt on both counters before hashing: simultaneous
	// guesses are evaluated at most up to the limits.
	byAccount, wait, err := h.accountThrottle.reserve(ctx, now, account)
	if err != nil {
		return err
	}
	var byAddr *reservation
	if wait == 0 {
		if byAddr, wait, err = h.ipThrottle.reserve(ctx, now, addr); err != nil || wait > 0 {
			byAccount.release(ctx)
		}
		if err != nil {
			return err
		}
	}
	if wait > 0 {
		vm.Error = "Too many sign-in attempts. Try again in " + humanDuration(wait) + "."
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return render(c, http.StatusTooManyRequests, pages.Login(h.page(c, "Sign in", ""), vm))
	}
	u, err := h.authenticate(ctx, account, password)
	if err != nil {
		byAccount.release(ctx)
		byAddr.release(ctx)
		return err
	}
	if u == nil {
		// Audited whether or not the account exists, so the write costs the
		// same either way and says nothing by its timing.
		if err := h.Store.AddAudit(ctx, store.AuditEntry{Actor: "anonymous", Action: "auth.login_failed",
			Target: "user:" + truncateRunes(account, 254), RemoteAddr: addr, RequestID: requestID(c)}); err != nil {
			return err
		}
		vm.Error = loginFailed
		return render(c, http.StatusUnauthorized, pages.Login(h.page(c, "Sign in", ""), vm))
	}
	// A right password is not a guess: it does not count on either counter.
	byAccount.release(ctx)
	byAddr.release(ctx)

	token, err := newSessionToken()
	if err != nil {
		return err
	}
	var previous string
	if old := h.sessions.token(c); old != "" {
		previous = store.HashToken(old)
	}
	ss := store.StaffSession{IDHash: store.HashToken(token), UserID: u.ID, RemoteAddr: addr, UserAgent: c.Request().UserAgent()}
	if err := h.Store.StartStaffSession(ctx, ss, previous, h.auditContextFor(c, u)); err != nil {
		return err
	}
	if err := h.sessions.start(c, token); err != nil {
		return err
	}
	// A new CSRF token, bound to the new session.
	h.setCSRFCookie(c, h.boundCSRFToken(ss.IDHash))
	h.defaultTimeZone(c, u)
	return c.Redirect(http.StatusSeeOther, vm.Next)
}

// Logout handles "POST /logout": the server-side session is deleted, so the
// cookie is dead even if someone kept a copy.
func (h *Handlers) Logout(c echo.Context) error {
	if token := h.sessions.token(c); token != "" {
		by := store.AuditContext{}
		if u := currentUser(c); u != nil {
			by = h.auditContextFor(c, u)
		}
		if err := h.Store.EndStaffSession(c.Request().Context(), store.HashToken(token), by); err != nil {
			return err
		}
	}
	if err := h.sessions.clear(c); err != nil {
		return err
	}
	h.rotateCSRF(c)
	return redirect(c, loginPath+"?signed_out=1")
}

// authenticate returns the active user whose password matches, nil for any
// failure, or an error when the store fails. An unknown or disabled account
// still costs one password hash, so timing does not tell them apart.
func (h *Handlers) authenticate(ctx context.Context, email, password string) (*store.User, error) {
	u, err := h.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := h.dummyPasswordHash()
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := h.checkPassword(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok || u == nil || u.Disabled {
		return nil, nil
	}
	return u, nil
}

// checkPassword verifies a password, at most a few at a time: each argon2id
// check takes tens of MiB, and a login flood must not take the memory.
func (h *Handlers) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case h.hashSem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-h.hashSem }()
	return store.CheckPassword(hash, password), nil
}

// hashPassword hashes a new password with the configured costs.
func (h *Handlers) hashPassword(ctx context.Context, password string) (string, error) {
	select {
	case h.hashSem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-h.hashSem }()
	return store.HashPassword(password, h.Auth.PasswordParams)
}

// dummyPasswordHash is a hash of a random password with the configured
// costs, made once, checked against when the account does not exist.
func (h *Handlers) dummyPasswordHash() string {
	h.dummyOnce.Do(func() {
		t, err := newSessionToken()
		if err == nil {
			h.dummyHash, err = store.HashPassword(t, h.Auth.PasswordParams)
		}
		if err != nil {
			h.dummyHash = "$argon2id$invalid"
		}
	})
	return h.dummyHash
}

// rotateCSRF expires the CSRF cookie so the next page gets a new token:
// a token seen before login is useless after it.
func (h *Handlers) rotateCSRF(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: CSRFCookieName(h.Auth.Secure), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.Auth.Secure, SameSite: http.SameSiteLaxMode})
}

// auditContextFor is the audit actor for a signed-in user's request.
func (h *Handlers) auditContextFor(c echo.Context, u *store.User) store.AuditContext {
	return store.AuditContext{Actor: u.Actor(), ActorUserID: u.ID, RemoteAddr: c.RealIP(), RequestID: requestID(c)}
}

// auditContext is the audit actor of the current request: the signed-in
// user, or the API key for /api/v1.
func (h *Handlers) auditContext(c echo.Context) store.AuditContext {
	if u := currentUser(c); u != nil {
		return h.auditContextFor(c, u)
	}
	if k := currentAPIKey(c); k != nil {
		return store.AuditContext{Actor: k.Actor(), RemoteAddr: c.RealIP(), RequestID: requestID(c)}
	}
	return store.AuditContext{Actor: "anonymous", RemoteAddr: c.RealIP(), RequestID: requestID(c)}
}

// safeNext keeps a post-login destination only when it is a local path.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return paths.Payments
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || strings.ContainsAny(next, "\r\n\\") {
		return paths.Payments
	}
	if u.Path == loginPath || u.Path == paths.Logout {
		return paths.Payments
	}
	return next
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
