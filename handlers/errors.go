package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/pages"
)

// ErrorKind classifies an error once; the error handler maps it to a status
// and decides what the user may see.
type ErrorKind string

// The error kinds. Anything unclassified is KindInternal.
const (
	KindInvalid      ErrorKind = "invalid"      // 400/422: bad input, nothing changed
	KindUnauthorized ErrorKind = "unauthorized" // 401: not signed in / no valid API key
	KindForbidden    ErrorKind = "forbidden"    // 403: signed in, not allowed
	KindNotFound     ErrorKind = "not_found"    // 404
	KindConflict     ErrorKind = "conflict"     // 409: state changed meanwhile, or a duplicate
	KindRateLimited  ErrorKind = "rate_limited" // 429: slow down, see RetryAfter
	KindUnavailable  ErrorKind = "unavailable"  // 503: a dependency (Antom, the database) did not answer
	KindInternal     ErrorKind = "internal"     // 500: a bug; the user sees only a request ID
)

// Error is an error with a kind and a message that is safe to show. The
// cause in Err is logged (5xx only) and never shown.
type Error struct {
	Kind       ErrorKind
	Status     int               // overrides the kind's status when set (e.g. 413, 422)
	Code       string            // stable machine code for the JSON API; defaults to Kind
	Message    string            // safe for users; empty means a generic text for the kind
	Field      string            // the input at fault, if one (JSON API "field")
	Scope      string            // the scope the credential lacks (JSON API "scope", 403 insufficient_scope)
	Fields     map[string]string // per-field messages for forms
	RetryAfter time.Duration     // sent as Retry-After: KindRateLimited, and KindUnavailable for storage failures
	Err        error             // cause; logged for 5xx, never shown
}

// Error returns the message, or the kind when there is none, with the cause.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = string(e.Kind)
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusCode is the HTTP status for the error.
func (e *Error) StatusCode() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Kind {
	case KindInvalid:
		return http.StatusBadRequest
	case KindUnauthorized:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindRateLimited:
		return http.StatusTooManyRequests
	case KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// publicMessage is what a user may read.
func (e *Error) publicMessage() string {
	if e.Kind == KindInternal {
		return "Internal error."
	}
	if e.Message != "" {
		return e.Message
	}
	switch e.Kind {
	case KindInvalid:
		return "The request is not valid."
	case KindUnauthorized:
		return "Sign in to continue."
	case KindForbidden:
		return "Your role does not allow this."
	case KindNotFound:
		return "Not found."
	case KindConflict:
		return "This changed meanwhile. Reload and try again."
	case KindRateLimited:
		return "Too many attempts. Try again later."
	case KindUnavailable:
		return "A service did not answer. Try again in a moment."
	}
	return "Internal error."
}

// errInvalid is a 400 for bad input; field names the input at fault.
func errInvalid(field, format string, args ...any) *Error {
	e := &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
	if field != "" {
		e.Fields = map[string]string{field: e.Message}
	}
	return e
}

// errNotFound is a 404 with a message naming what is missing.
func errNotFound(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf(format, args...)}
}

// errForbidden is a 403.
func errForbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Message: fmt.Sprintf(format, args...)}
}

// errConflict is a 409.
func errConflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// errUnavailable is a 503 whose cause is logged; when the cause is a storage
// failure (store.ErrUnavailable) it says when to retry.
func errUnavailable(cause error, format string, args ...any) *Error {
	e := &Error{Kind: KindUnavailable, Message: fmt.Sprintf(format, args...), Err: cause}
	if errors.Is(cause, store.ErrUnavailable) {
		e.RetryAfter = storageRetryAfter
	}
	return e
}

// storageRetryAfter is the Retry-After of a 503 for a storage failure: a
// lock passes in seconds, a full disk needs someone to free space.
const storageRetryAfter = 30 * time.Second

// storageMessage is what a user reads when the database cannot take writes.
const storageMessage = "The database cannot take writes right now (disk full or locked). Nothing was changed; try again shortly."

// errStorage is the 503 for a storage failure (store.ErrUnavailable): the
// database is full, locked or failing, nothing was changed, and the same
// request may succeed later.
func errStorage(cause error) *Error {
	return &Error{Kind: KindUnavailable, Message: storageMessage, RetryAfter: storageRetryAfter, Err: cause}
}

// errRateLimited is a 429 that says when to retry.
func errRateLimited(retryAfter time.Duration) *Error {
	return &Error{Kind: KindRateLimited, RetryAfter: retryAfter,
		Message: "Too many attempts. Try again in " + humanDuration(retryAfter) + "."}
}

// classify turns any error into an *Error exactly once.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return classifyHTTPError(he)
	}
	var te *antom.TransportError
	var fe *store.FieldError
	var ce *store.ConflictError
	switch {
	case errors.Is(err, store.ErrCommitUnknown):
		return &Error{Kind: KindUnavailable, RetryAfter: storageRetryAfter, Err: err,
			Message: "The database did not confirm the change (the connection to it was lost), so it may have been saved. Reload the page and check before doing it again."}
	case errors.Is(err, store.ErrUnavailable):
		return errStorage(err)
	case errors.As(err, &fe):
		return &Error{Kind: KindInvalid, Status: http.StatusUnprocessableEntity, Field: fe.Field,
			Message: sentence(fe.Message), Fields: map[string]string{fe.Field: sentence(fe.Message)}, Err: err}
	case errors.As(err, &ce):
		msg := sentence(ce.Message)
		if len(ce.Fields) > 0 {
			msg += " Differs: " + strings.Join(ce.Fields, ", ") + "."
		}
		return &Error{Kind: KindConflict, Message: msg, Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: KindNotFound, Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: KindConflict, Err: err}
	case errors.As(err, &te):
		return &Error{Kind: KindUnavailable, Message: "Antom did not answer. The request is safe to retry.", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindUnavailable, Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindUnavailable, Status: 499, Err: err}
	}
	return &Error{Kind: KindInternal, Err: err}
}

// classifyHTTPError maps Echo's own errors (routing, body limit, CSRF).
func classifyHTTPError(he *echo.HTTPError) *Error {
	msg, _ := he.Message.(string)
	e := &Error{Status: he.Code, Err: he.Internal}
	switch {
	case he.Code == http.StatusNotFound:
		e.Kind, e.Message = KindNotFound, "Page not found."
	case he.Code == http.StatusMethodNotAllowed:
		e.Kind, e.Message = KindInvalid, "Method not allowed."
	case he.Code == http.StatusRequestEntityTooLarge:
		e.Kind, e.Code, e.Message = KindInvalid, codeBodyTooLarge, "The request body is too large."
	case he.Code == http.StatusUnauthorized:
		e.Kind = KindUnauthorized
	case he.Code == http.StatusForbidden:
		e.Kind, e.Message = KindForbidden, "Forbidden."
	case he.Code == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	case he.Code == http.StatusServiceUnavailable:
		e.Kind = KindUnavailable
	case he.Code >= 400 && he.Code < 500:
		e.Kind, e.Message = KindInvalid, msg
	default:
		e.Kind, e.Status = KindInternal, http.StatusInternalServerError
		if e.Err == nil {
			e.Err = he
		}
	}
	return e
}

// errorBody is the JSON error envelope of /api/ and /webhooks/.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	Scope     string `json:"scope,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// isMachinePath reports whether path is answered in JSON, never HTML.
func isMachinePath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/webhooks/")
}

// HTTPErrorHandler is Echo's central error handler: every error a handler or
// middleware returns is classified, logged once and rendered once, as an
// HTML page, an htmx fragment, or JSON for /api/ and /webhooks/.
func (h *Handlers) HTTPErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e := classify(err)
	status := e.StatusCode()
	reqID := requestID(c)
	r := c.Request()
	if status >= 500 && status != 499 {
		h.Log.ErrorContext(r.Context(), "request failed", "kind", string(e.Kind), "status", status,
			"method", r.Method, "path", r.URL.Path, "err", errString(e.Err))
	}
	msg := e.publicMessage()
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	var werr error
	switch {
	case r.Method == http.MethodHead:
		werr = c.NoContent(status)
	case isMachinePath(r.URL.Path):
		switch {
		case status == http.StatusUnauthorized:
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="paydesk"`)
		case e.Scope != "":
			// RFC 6750 section 3.1.
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="paydesk", error="insufficient_scope", scope="`+e.Scope+`"`)
		}
		code := e.Code
		if code == "" {
			code = string(e.Kind)
		}
		werr = c.JSON(status, errorBody{Error: errorDetail{Code: code, Message: msg, Field: e.Field, Scope: e.Scope, RequestID: reqID}})
	case isHTMX(c):
		// The fragment goes to the layout's message area, not into the
		// element that asked (which may be a table row or a poll target).
		c.Response().Header().Set(hxRetarget, "#messages")
		c.Response().Header().Set(hxReswap, "innerHTML")
		werr = render(c, status, components.ErrorMessage(msg, reqID, status >= 500))
	default:
		vm := pages.ErrorView{Status: status, Title: http.StatusText(status), Message: msg, RequestID: reqID, ShowRequestID: status >= 500}
		werr = render(c, status, pages.ErrorPage(h.page(c, vm.Title, ""), vm))
	}
	if werr != nil {
		h.Log.ErrorContext(r.Context(), "writing error response failed", "err", werr.Error())
	}
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// humanDuration renders a wait like "45 seconds" or "3 minutes".
func humanDuration(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	}
	mins := (secs + 59) / 60
	if mins == 1 {
		return "1 minute"
	}
	return strconv.Itoa(mins) + " minutes"
}
