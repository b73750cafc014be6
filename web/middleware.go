package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"paydesk/handlers"
	"paydesk/handlers/reqlog"
)

// requestIDMiddleware gives every request an ID (a sane incoming
// X-Request-Id is kept, so a proxy's ID carries through), echoes it, and
// puts it in the request's context, where the log handler (handlers/reqlog)
// adds it to every line logged for the request.
func requestIDMiddleware() echo.MiddlewareFunc {
	return middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: newRequestID,
		RequestIDHandler: func(c echo.Context, id string) {
			if !validRequestID(id) {
				id = newRequestID()
				c.Response().Header().Set(echo.HeaderXRequestID, id)
			}
			r := c.Request()
			c.SetRequest(r.WithContext(reqlog.WithRequestID(r.Context(), id)))
		},
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("t%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}

// validRequestID accepts only short IDs of safe characters: the ID goes into
// logs and pages.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// logMiddleware logs one line per request after the error handler has
// written the answer: method, route, path, status, duration, size, client
// address and user; the request ID comes from the context (handlers/reqlog).
// Never query strings (searches hold buyer IDs), headers, cookies or
// bodies.
func logMiddleware(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err) // render now, so the logged status is the real one
			}
			res := c.Response()
			level := slog.LevelInfo
			probe := c.Request().URL.Path == "/healthz" || c.Request().URL.Path == "/readyz"
			switch {
			case probe && res.Status >= 500:
				// A load balancer asks every few seconds: "not ready"
				// during a planned migration pause is not an error per
				// poll (the handlers log a failing database themselves).
				level = slog.LevelWarn
			case res.Status >= 500:
				level = slog.LevelError
			case probe || strings.HasPrefix(c.Request().URL.Path, "/static/"):
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", res.Status),
				slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes", res.Size),
				slog.String("ip", c.RealIP()),
			}
			if uid := handlers.UserIDForLog(c); uid != 0 {
				attrs = append(attrs, slog.Int64("user_id", uid))
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		}
	}
}

// recoverMiddleware turns a panic into an internal error (logged by the
// error handler with its request ID) without printing a stack.
func recoverMiddleware() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, _ []byte) error {
			return fmt.Errorf("web: panic: %w", err)
		},
	})
}

// securityHeaders sets the CSP and the other protective headers on every
// response, and no-store for everything but static files (pages hold buyer
// data; the back button after logout must not show them).
type securityHeaders struct {
	csp  string
	hsts bool
}

// newSecurityHeaders builds the CSP. formOrigin, when set, is the embedded
// simulator's origin: a form redirect to its hosted checkout must be allowed.
func newSecurityHeaders(https bool, formOrigin string) securityHeaders {
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	csp := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"frame-ancestors 'none'",
		"form-action " + formAction,
	}, "; ")
	return securityHeaders{csp: csp, hsts: https}
}

func (s securityHeaders) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if s.hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// csrfMiddleware protects state-changing browser requests with Echo's CSRF
// middleware in token mode: the token lives in an HttpOnly cookie and must
// come back in the X-CSRF-Token header (htmx, set by static/app.js) or the
// _csrf form field. A browser that says the request is cross-site is
// refused outright.
func csrfMiddleware(secure bool) echo.MiddlewareFunc {
	inner := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:" + echo.HeaderXCSRFToken + ",form:_csrf",
		ContextKey:     handlers.CSRFContextKey,
		CookieName:     handlers.CSRFCookieName(secure),
		CookiePath:     "/",
		CookieMaxAge:   int((12 * time.Hour) / time.Second),
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return csrfRefused(err)
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		protected := inner(next)
		return func(c echo.Context) error {
			r := c.Request()
			if !isSafeMethod(r.Method) && r.Header.Get(echo.HeaderSecFetchSite) == "cross-site" {
				return csrfRefused(nil)
			}
			// Echo 4.16 skips the token check when Sec-Fetch-Site is present;
			// Paydesk always wants the token (and the token in the page).
			r.Header.Del(echo.HeaderSecFetchSite)
			// A token in the URL leaks into logs and Referer headers: only
			// the header or the body counts (Echo's form lookup reads both).
			if q := r.URL.Query(); q.Has(handlers.CSRFFormField) {
				q.Del(handlers.CSRFFormField)
				r.URL.RawQuery = q.Encode()
			}
			return protected(c)
		}
	}
}

func csrfRefused(cause error) error {
	return &handlers.Error{Kind: handlers.KindForbidden, Code: "csrf",
		Message: "This form expired or came from another site. Reload the page and try again. Nothing was changed.", Err: cause}
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}
