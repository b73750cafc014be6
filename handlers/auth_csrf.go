package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
)

// CSRF tokens of signed-in staff are bound to their session: the token is
// an HMAC of the staff session's ID hash under the session key. Echo's CSRF
// middleware (web) keeps the double-submit check for everyone; for a staff
// session LoadSession also demands the bound token, so a token from another
// session, or one an attacker planted in the cookie, fails. The token is
// read from the X-CSRF-Token header or the request body, never the URL.

// CSRFFormField is the form field that carries the CSRF token.
const CSRFFormField = "_csrf"

// boundCSRFToken is the CSRF token of the staff session whose ID hash is
// sessionHash.
func (h *Handlers) boundCSRFToken(sessionHash string) string {
	m := hmac.New(sha256.New, h.Auth.SessionKey)
	m.Write([]byte("paydesk csrf\x00" + sessionHash))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setCSRFCookie makes token the CSRF cookie (what Echo's middleware checks
// the submitted token against) and the token the page renders.
func (h *Handlers) setCSRFCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: CSRFCookieName(h.Auth.Secure), Value: token, Path: "/", MaxAge: int(h.Auth.AbsoluteTimeout.Seconds()),
		HttpOnly: true, Secure: h.Auth.Secure, SameSite: http.SameSiteLaxMode})
	c.Set(ctxCSRFKey, token)
}

// checkBoundCSRF runs for a request of a signed-in staff session: an unsafe
// method must carry the session's token; any request whose cookie holds
// another token gets the bound one back, for the page it renders.
func (h *Handlers) checkBoundCSRF(c echo.Context, sessionHash string) error {
	want := h.boundCSRFToken(sessionHash)
	r := c.Request()
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		got := r.Header.Get(echo.HeaderXCSRFToken)
		if got == "" {
			got = r.PostFormValue(CSRFFormField)
		}
		if !hmac.Equal([]byte(got), []byte(want)) {
			return &Error{Kind: KindForbidden, Code: "csrf",
				Message: "This form expired or came from another session or site. Reload the page and try again. Nothing was changed."}
		}
	}
	if ck, err := c.Cookie(CSRFCookieName(h.Auth.Secure)); err != nil || ck.Value != want {
		h.setCSRFCookie(c, want)
	}
	return nil
}
