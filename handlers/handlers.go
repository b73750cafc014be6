// Package handlers holds Paydesk's thin HTTP handlers: parse, validate, call
// the store or Antom, build a view model, render. The route table that wires
// them lives in package web.
package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/handlers/reqlog"
	"paydesk/static"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/layout"
)

// htmx request and response headers (https://htmx.org/reference/#headers).
const (
	hxRequest    = "HX-Request"     // set on every htmx request
	hxBoosted    = "HX-Boosted"     // set when the request comes from hx-boost
	hxTarget     = "HX-Target"      // id of the target element, if any
	hxTrigger    = "HX-Trigger"     // response: client-side events to trigger
	hxRedirect   = "HX-Redirect"    // response: full client-side redirect
	hxRetarget   = "HX-Retarget"    // response: CSS selector to swap into instead
	hxReswap     = "HX-Reswap"      // response: swap strategy override
	hxPushURL    = "HX-Push-Url"    // response: push a URL into history
	hxRefresh    = "HX-Refresh"     // response: "true" reloads the page
	hxLocation   = "HX-Location"    // response: client-side navigation without reload
	hxCurrentURL = "HX-Current-URL" // the browser's current URL
)

// StatusStopPolling is the status that tells htmx to stop polling (286).
const StatusStopPolling = 286

// Deps are the dependencies every handler may use. They are plain values
// filled in by cmd/paydesk; nothing here is global.
type Deps struct {
	// Store is the database.
	Store *store.Store
	// Antom is the Antom API client (real Antom or the embedded simulator).
	Antom *antom.Client
	// CheckoutURL turns paymentSessionData into the simulator's hosted
	// checkout URL; nil with real Antom, where the client SDK does that.
	// The payment page adds the payment's client secret to it as the
	// clientSecret parameter: the checkout reports SDK events with it, as
	// an app would.
	CheckoutURL func(paymentSessionData string) string
	// BaseURL is where browsers reach Paydesk (PAYDESK_PUBLIC_URL, or
	// http://localhost:<port> locally), without a trailing slash.
	BaseURL string
	// NotifyURL is the paymentNotifyUrl sent to Antom (…/webhooks/antom).
	NotifyURL string
	// RedirectURL is the paymentRedirectUrl sent to Antom: where the buyer
	// lands after the checkout (BaseURL + /payments).
	RedirectURL string
	// Sandbox is true when calls go to a sandbox (or the simulator).
	Sandbox bool
	// Simulated is true when Antom is the embedded simulator.
	Simulated bool
	// Log receives structured logs; never secrets.
	Log *slog.Logger
	// Now is the clock; tests inject a fake one.
	Now func() time.Time
	// Auth configures staff sessions and login throttling.
	Auth AuthConfig
	// Ops tunes the payment operations layer (store/ops), which New builds
	// over Store and Antom.
	Ops ops.Config
	// Webhook bounds refused notifications and sets the request-time check.
	Webhook WebhookConfig
	// Metrics counts what the handlers see (web/metrics); nil: nothing.
	Metrics Metrics
}

// Handlers serves every route. Build it with New.
type Handlers struct {
	Deps
	// Operations is every Antom call that reads or moves money. The
	// background jobs share it.
	Operations *ops.Ops

	sessions        *sessionManager
	accountThrottle *throttle
	ipThrottle      *throttle
	hashSem         chan struct{} // bounds concurrent argon2id work
	refused         *refusedLimiter
	clientSecretKey []byte // HMAC key of the payments' client secrets
	dummyOnce       sync.Once
	dummyHash       string
	zones           sync.Map // IANA name → *time.Location (viewerZone)
}

// New checks deps and builds the handlers.
func New(deps Deps) (*Handlers, error) {
	if deps.Store == nil {
		return nil, errors.New("handlers: store is required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	deps.Log = reqlog.WrapLogger(deps.Log) // the request ID on every line of a request
	if deps.Metrics == nil {
		deps.Metrics = noMetrics{}
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	deps.Auth = deps.Auth.withDefaults()
	deps.Webhook = deps.Webhook.withDefaults()
	sm, err := newSessionManager(deps.Auth)
	if err != nil {
		return nil, err
	}
	oc := deps.Ops
	if oc.Now == nil {
		oc.Now = deps.Now
	}
	if oc.Log == nil {
		oc.Log = deps.Log
	}
	h := &Handlers{
		Deps:            deps,
		sessions:        sm,
		accountThrottle: newThrottle(deps.Store, "account", deps.Auth.AccountAttempts, deps.Auth.ThrottleWindow, deps.Log),
		ipThrottle:      newThrottle(deps.Store, "address", deps.Auth.AddressAttempts, deps.Auth.ThrottleWindow, deps.Log),
		hashSem:         make(chan struct{}, 4),
		refused:         newRefusedLimiter(deps.Webhook),
		clientSecretKey: deriveKey(deps.Auth.SessionKey, "paydesk client secret"),
	}
	h.Operations = ops.New(deps.Store, antomOf{h}, oc)
	return h, nil
}

// isHTMX reports whether the request is an htmx request that wants a
// fragment rather than a whole page (boosted requests want the page).
func isHTMX(c echo.Context) bool {
	r := c.Request()
	return r.Header.Get(hxRequest) == "true" && r.Header.Get(hxBoosted) != "true"
}

// render renders page into a buffer and only then writes status and body, so
// a failed render never ships half a page under 200. For htmx requests pass
// the fragment; for others the whole page (see isHTMX).
//
// The buffer comes from renderBuffers: a list page is over 100 KB, and a
// fresh buffer grew to it by doubling on every request (about 360 KB
// allocated per search page, a third of its bytes).
func render(c echo.Context, status int, page templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("handlers: render: %w", err)
	}
	// The response writer does not keep the bytes after Write returns
	// (io.Writer's contract), so the buffer can go back to the pool.
	return c.HTMLBlob(status, buf.Bytes())
}

// renderBuffers holds render's page buffers for reuse.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender bounds what the pool keeps: a buffer grown past it by
// a rare huge page is left to the collector rather than held for every
// later request.
const maxPooledRender = 1 << 20

func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledRender {
		return
	}
	buf.Reset()
	renderBuffers.Put(buf)
}

// Request-state keys; read them only through the typed getters below.
const (
	ctxUserKey       = "paydesk.user"
	ctxSessionKey    = "paydesk.session"
	ctxCredentialKey = "paydesk.credential"
	ctxCSRFKey       = "csrf" // Echo's CSRF middleware ContextKey
)

// CSRFContextKey is the context key web passes to Echo's CSRF middleware.
const CSRFContextKey = ctxCSRFKey

// currentUser returns the signed-in staff user, or nil.
func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUserKey).(*store.User)
	return u
}

// currentSession returns the signed-in staff session record, or nil.
func currentSession(c echo.Context) *store.StaffSession {
	s, _ := c.Get(ctxSessionKey).(*store.StaffSession)
	return s
}

// csrfToken returns the CSRF token for forms and the meta tag.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(ctxCSRFKey).(string)
	return t
}

// requestID returns the request ID set by the request-ID middleware.
func requestID(c echo.Context) string {
	if id := c.Response().Header().Get(echo.HeaderXRequestID); id != "" {
		return id
	}
	return c.Request().Header.Get(echo.HeaderXRequestID)
}

// page builds the layout view model every full page needs: title, CSRF
// token, user and nav, flashes. active is one of the layout.Nav* keys.
func (h *Handlers) page(c echo.Context, title, active string) layout.Page {
	p := layout.Page{
		Title:        title,
		Active:       active,
		CSRFToken:    csrfToken(c),
		Sandbox:      h.Sandbox,
		Simulated:    h.Simulated,
		RequestID:    requestID(c),
		Flashes:      h.popFlashes(c),
		AssetVersion: static.Version(),
	}
	if u := currentUser(c); u != nil {
		p.User = &layout.User{
			Name:             u.DisplayName(),
			Email:            u.Email,
			Role:             string(u.Role),
			CanCreateSession: Can(u.Role, PermCreateSession),
			CanAdmin:         Can(u.Role, PermManageUsers),
			CanViewAudit:     Can(u.Role, PermViewAudit),
			CanManageAPIKeys: Can(u.Role, PermManageAPIKeys),
			// The background-work page is the audit permission's (routes).
			CanViewOperations: Can(u.Role, PermViewAudit),
			TimeZone:          h.viewerZone(c).String(),
		}
	}
	return p
}

// redirect answers a POST with 303 See Other, or for htmx with HX-Redirect
// so the browser navigates instead of swapping a page into a fragment.
func redirect(c echo.Context, url string) error {
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// UserIDForLog is the signed-in user's ID for the request log line (0 when
// signed out); web's logger calls it after the handler ran.
func UserIDForLog(c echo.Context) int64 {
	if u := currentUser(c); u != nil {
		return u.ID
	}
	return 0
}
