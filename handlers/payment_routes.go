package handlers

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// Route names of the payment pages, the actions and the webhook; web/routes.go
// names its routes with these. Paths come from views/paths.
const (
	RoutePaymentList      = "payments.list"      // GET  /payments (also the live rows poll with ?since=)
	RoutePaymentShow      = "payments.show"      // GET  /payments/:id
	RoutePaymentLive      = "payments.live"      // GET  /payments/:id/live?v=
	RoutePaymentInquiry   = "payments.inquiry"   // POST /payments/:id/inquiry
	RoutePaymentRetry     = "payments.retry"     // POST /payments/:id/retry
	RoutePaymentCapture   = "payments.capture"   // POST /payments/:id/capture
	RoutePaymentCancel    = "payments.cancel"    // POST /payments/:id/cancel
	RoutePaymentRefund    = "payments.refund"    // POST /payments/:id/refund
	RouteOrderList        = "orders.list"        // GET  /orders
	RouteCaptureList      = "captures.list"      // GET  /captures
	RouteSessionNew       = "sessions.new"       // GET  /sessions/new
	RouteSessionCreate    = "sessions.create"    // POST /sessions/new
	RouteNotificationList = "notifications.list" // GET  /notifications
	RouteNotificationShow = "notifications.show" // GET  /notifications/:id
	RouteNotificationRaw  = "notifications.raw"  // GET  /notifications/:id/raw
	RouteNotificationBody = "notifications.body" // GET  /notifications/:id/body
	RouteWebhookAntom     = "webhooks.antom"     // POST /webhooks/antom
)

// withQuery appends a query string to a path; empty values are dropped.
func withQuery(path string, q url.Values) string {
	for k, vs := range q {
		if len(vs) == 0 || (len(vs) == 1 && vs[0] == "") {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// idParam reads a path parameter, undoing the escaping paths.Payment applied
// (Echo matches the escaped path and does not unescape parameters).
func idParam(c echo.Context, name string) string {
	raw := c.Param(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}
