package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/handlers"
	"paydesk/views/paths"
)

// route is one line of the route table.
type route struct {
	method  string
	path    string
	name    string
	handler echo.HandlerFunc
	access  access
}

// accessKind decides which middleware guards a route.
type accessKind int

const (
	kindBare    accessKind = iota // no session, no CSRF: health check, static files, redirects
	kindPublic                    // browser route open to everyone: session loaded, CSRF checked
	kindWebhook                   // Antom: no session, no CSRF; the handler verifies the signature
	kindAPI                       // app API: a Bearer app credential (secret key or client secret), no CSRF
	kindStaff                     // signed-in staff holding perm; CSRF on every state change
	kindMoney                     // kindStaff plus the password step-up
)

// access is who may call a route.
type access struct {
	kind accessKind
	perm handlers.Permission // kindStaff and kindMoney
	api  handlers.APIAccess  // kindAPI
}

var (
	bare    = access{kind: kindBare}
	public  = access{kind: kindPublic}
	webhook = access{kind: kindWebhook}
)

// appKey is an app API route for a secret API key holding one of scopes.
func appKey(scopes ...handlers.APIScope) access {
	return access{kind: kindAPI, api: handlers.APIAccess{Scopes: scopes}}
}

// appPayment is an app API route about the payment in its path: for a
// secret API key holding one of scopes, or for that payment's client secret.
func appPayment(scopes ...handlers.APIScope) access {
	return access{kind: kindAPI, api: handlers.APIAccess{Scopes: scopes, ClientSecret: true}}
}

// staff is a signed-in route that needs permission p.
func staff(p handlers.Permission) access { return access{kind: kindStaff, perm: p} }

// money is a money action: permission p and a recently confirmed password.
func money(p handlers.Permission) access { return access{kind: kindMoney, perm: p} }

// routes is Paydesk's one route table. Every route is named; the route ×
// role test walks all of them.
func (s *Server) routes() []route {
	h := s.h
	const get, post = http.MethodGet, http.MethodPost
	return []route{
		// --- public ---
		{get, paths.Home, "home", s.home, bare},
		{get, paths.Health, "healthz", s.healthz, bare},
		{get, paths.Ready, "readyz", s.readyz, bare},             // web/readyz.go
		{get, paths.Metrics, "metrics", s.metricsEndpoint, bare}, // loopback or a Bearer token: web/metrics.go
		{get, paths.StaticPrefix + "*", "static", s.static, bare},
		{get, paths.Login, "login.show", h.LoginShow, public},
		{post, paths.Login, "login.submit", h.LoginSubmit, public},
		{post, paths.Logout, "logout", h.Logout, public},

		// --- own account ---
		{get, paths.Account, "account.show", h.AccountShow, staff(handlers.PermOwnAccount)},
		{post, paths.Account, "account.password", h.AccountPassword, staff(handlers.PermOwnAccount)},
		{post, paths.AccountZone, "account.time_zone", h.AccountTimeZone, staff(handlers.PermOwnAccount)},

		// --- payment routes ---
		// Staff pages.
		{get, paths.Payments, handlers.RoutePaymentList, h.PaymentList, staff(handlers.PermViewPayments)},
		{get, paths.Payments + "/:id", handlers.RoutePaymentShow, h.PaymentShow, staff(handlers.PermViewPayments)},
		{get, paths.Payments + "/:id/live", handlers.RoutePaymentLive, h.PaymentLive, staff(handlers.PermViewPayments)},
		{get, paths.Orders, handlers.RouteOrderList, h.OrderList, staff(handlers.PermViewPayments)},
		{get, paths.Captures, handlers.RouteCaptureList, h.CaptureList, staff(handlers.PermViewPayments)},
		{get, paths.Notifications, handlers.RouteNotificationList, h.NotificationList, staff(handlers.PermViewPayments)},
		{get, paths.Notifications + "/:id", handlers.RouteNotificationShow, h.NotificationShow, staff(handlers.PermViewPayments)},
		{get, paths.Notifications + "/:id/raw", handlers.RouteNotificationRaw, h.NotificationRaw, staff(handlers.PermViewBuyerData)},
		{get, paths.Notifications + "/:id/body", handlers.RouteNotificationBody, h.NotificationBodyDownload, staff(handlers.PermViewPayments)},
		{post, paths.Notifications + "/apply-again", handlers.RouteNotificationApplyAgainBulk, h.NotificationApplyAgainBulk, staff(handlers.PermApplyAgain)},
		{post, paths.Notifications + "/:id/apply-again", handlers.RouteNotificationApplyAgain, h.NotificationApplyAgain, staff(handlers.PermApplyAgain)},
		{get, paths.NewSession, handlers.RouteSessionNew, h.SessionNew, staff(handlers.PermCreateSession)},
		// CSV exports of the lists' whole filters (handlers/export.go), with
		// the lists' permission.
		{get, paths.Payments + paths.ExportSuffix, handlers.RoutePaymentExport, h.PaymentExport, staff(handlers.PermViewPayments)},
		{get, paths.Orders + paths.ExportSuffix, handlers.RouteOrderExport, h.OrderExport, staff(handlers.PermViewPayments)},
		{get, paths.Captures + paths.ExportSuffix, handlers.RouteCaptureExport, h.CaptureExport, staff(handlers.PermViewPayments)},
		{get, paths.Refunds + paths.ExportSuffix, handlers.RouteRefundExport, h.RefundExport, staff(handlers.PermViewPayments)},
		{get, paths.Notifications + paths.ExportSuffix, handlers.RouteNotificationExport, h.NotificationExport, staff(handlers.PermViewPayments)},
		// Staff actions.
		{post, paths.NewSession, handlers.RouteSessionCreate, h.SessionCreate, staff(handlers.PermCreateSession)},
		{post, paths.Payments + "/:id/inquiry", handlers.RoutePaymentInquiry, h.PaymentInquiry, staff(handlers.PermInquire)},
		{post, paths.Payments + "/:id/retry", handlers.RoutePaymentRetry, h.PaymentRetry, staff(handlers.PermCreateSession)},
		// Money actions: the handlers run the password step-up themselves
		// (h.requireRecentPassword) before anything changes, so a wrong or
		// missing password is an inline error next to the amount typed.
		{post, paths.Payments + "/:id/capture", handlers.RoutePaymentCapture, h.PaymentCapture, money(handlers.PermMoveMoney)},
		{post, paths.Payments + "/:id/cancel", handlers.RoutePaymentCancel, h.PaymentCancel, money(handlers.PermMoveMoney)},
		{post, paths.Payments + "/:id/refund", handlers.RoutePaymentRefund, h.PaymentRefund, money(handlers.PermMoveMoney)},
		// Antom's notifications: no session, no CSRF; the handler verifies the signature.
		{post, paths.WebhookAntom, handlers.RouteWebhookAntom, h.WebhookAntom, webhook},
		// --- end payment routes ---

		// --- app API routes ---
		// The merchant's JSON API (handlers/api_*.go): a Bearer credential,
		// no session, no CSRF. Secret API keys (the merchant's backend) by
		// scope; a payment's client secret (the app) for its own payment
		// only. The OpenAPI document is public; tests check it and the
		// route × credential matrix against this block. Then the staff
		// reference of SDK event codes.
		{get, paths.APIOpenAPI, handlers.RouteAPIOpenAPI, h.APIOpenAPI, bare},
		{post, paths.APISessions, handlers.RouteAPISessionCreate, h.APISessionCreate, appKey(handlers.ScopeSessions)},
		{get, paths.APIPayments, handlers.RouteAPIPaymentList, h.APIPaymentList, appKey(handlers.ScopePaymentsRead)},
		{get, paths.APIPayments + "/:id", handlers.RouteAPIPaymentShow, h.APIPaymentShow, appPayment(handlers.ScopeSessions, handlers.ScopePaymentsRead)},
		{post, paths.APIPayments + "/:id/sdk-events", handlers.RouteAPISDKEvent, h.APISDKEventCreate, appPayment(handlers.ScopeSessions)},
		{get, paths.SDKEventCodes, handlers.RouteSDKEventCodes, h.EventCodes, staff(handlers.PermViewPayments)},
		{get, paths.FailureReasons, handlers.RouteFailureReasons, h.FailureReasons, staff(handlers.PermViewPayments)},
		// --- end app API routes ---

		// --- admin ---
		{get, paths.Users, "users.list", h.UserList, staff(handlers.PermManageUsers)},
		{post, paths.Users, "users.create", h.UserCreate, staff(handlers.PermManageUsers)},
		{post, paths.Users + "/:id/role", "users.role", h.UserRole, staff(handlers.PermManageUsers)},
		{post, paths.Users + "/:id/disable", "users.disable", h.UserDisable, staff(handlers.PermManageUsers)},
		{post, paths.Users + "/:id/enable", "users.enable", h.UserEnable, staff(handlers.PermManageUsers)},
		{post, paths.Users + "/:id/password", "users.password", h.UserPassword, staff(handlers.PermManageUsers)},
		{get, paths.APIKeys, "apikeys.list", h.APIKeyList, staff(handlers.PermManageAPIKeys)},
		{post, paths.APIKeys, "apikeys.create", h.APIKeyCreate, staff(handlers.PermManageAPIKeys)},
		{post, paths.APIKeys + "/:id/revoke", "apikeys.revoke", h.APIKeyRevoke, staff(handlers.PermManageAPIKeys)},
		{get, paths.Audit, "audit.list", h.AuditList, staff(handlers.PermViewAudit)},
		{get, paths.AuditCSV, "audit.csv", h.AuditCSV, staff(handlers.PermViewAudit)},
		// The background work's health: operations in flight, lag, calls to Antom.
		{get, paths.Operations, handlers.RouteOperationsHealth, h.OperationsHealth, staff(handlers.PermViewAudit)},

		// --- no route ---
		// Every URL nothing above matches: a 404 naming the path, inside the
		// layout for a signed-in browser (the handler loads the session).
		{echo.RouteNotFound, "/*", "notfound", s.notFound, bare},
	}
}

// notFound handles Echo's "route not found" route: browser reads load the
// session first (CSRF token included, for the layout's Sign out form), so
// a signed-in user's 404 has the nav; anything else is a plain 404.
func (s *Server) notFound(c echo.Context) error {
	r := c.Request()
	p := r.URL.Path
	machine := strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/webhooks/")
	if isSafeMethod(r.Method) && !machine {
		return s.csrf(s.h.LoadSession(s.h.NotFound))(c)
	}
	return s.h.NotFound(c)
}

// middlewareFor returns the guards of an access kind, outermost first.
func (s *Server) middlewareFor(a access) []echo.MiddlewareFunc {
	h := s.h
	switch a.kind {
	case kindPublic:
		return []echo.MiddlewareFunc{s.csrf, h.LoadSession}
	case kindWebhook:
		return nil
	case kindAPI:
		return []echo.MiddlewareFunc{h.RequireAppCredential(a.api)}
	case kindStaff:
		return []echo.MiddlewareFunc{s.csrf, h.LoadSession, h.Require(a.perm)}
	case kindMoney:
		return []echo.MiddlewareFunc{s.csrf, h.LoadSession, h.Require(a.perm), h.RequireRecentPassword}
	}
	return nil
}
