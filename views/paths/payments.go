package paths

import (
	"net/url"
	"strconv"
)

// The payment pages' action and fragment paths (the pages themselves are in
// paths.go). Each matches a route in the "payment routes" block of
// web/routes.go.

// WebhookAntom is where Antom posts notifications (paymentNotifyUrl's path).
const WebhookAntom = "/webhooks/antom"

// PaymentLive is the detail page's poll URL for the version the page shows.
func PaymentLive(paymentRequestID string, version int64) string {
	return Payment(paymentRequestID) + "/live?v=" + strconv.FormatInt(version, 10)
}

// PaymentInquiry is where "Re-run inquiry" is posted.
func PaymentInquiry(paymentRequestID string) string { return Payment(paymentRequestID) + "/inquiry" }

// PaymentRetry is where "Retry session creation" is posted.
func PaymentRetry(paymentRequestID string) string { return Payment(paymentRequestID) + "/retry" }

// PaymentCapture is where a capture is posted.
func PaymentCapture(paymentRequestID string) string { return Payment(paymentRequestID) + "/capture" }

// PaymentCancel is where a cancel is posted.
func PaymentCancel(paymentRequestID string) string { return Payment(paymentRequestID) + "/cancel" }

// PaymentRefund is where a refund is posted.
func PaymentRefund(paymentRequestID string) string { return Payment(paymentRequestID) + "/refund" }

// Notification is one stored notification delivery.
func Notification(id int64) string { return Notifications + "/" + strconv.FormatInt(id, 10) }

// NotificationRaw is a delivery's body, byte for byte.
func NotificationRaw(id int64) string { return Notification(id) + "/raw" }

// NotificationBody is a delivery's stored body as a download, redacted for
// roles that do not see buyer data.
func NotificationBody(id int64) string { return Notification(id) + "/body" }

// PaymentsSearch is the payments list searched for an ID.
func PaymentsSearch(q string) string { return Payments + "?q=" + url.QueryEscape(q) }
