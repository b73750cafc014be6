package paths

import "net/url"

// The merchant app's JSON API and the SDK event-code reference page. Each
// matches a route in the "app API routes" block of web/routes.go.

// App API paths.
const (
	// APIPrefix starts every app API path.
	APIPrefix = "/api/v1"
	// APIOpenAPI is the API's OpenAPI 3.1 document.
	APIOpenAPI = APIPrefix + "/openapi.json"
	// APISessions is where the app creates payment sessions.
	APISessions = APIPrefix + "/sessions"
	// APIPayments lists payments (and prefixes one payment's paths).
	APIPayments = APIPrefix + "/payments"
	// SDKEventCodes is the dashboard's reference of the client SDK's event codes.
	SDKEventCodes = "/reference/sdk-events"
)

// APIPayment is one payment's server truth in the app API.
func APIPayment(paymentRequestID string) string {
	return APIPayments + "/" + url.PathEscape(paymentRequestID)
}

// APISDKEvents is where the app reports a payment's SDK events.
func APISDKEvents(paymentRequestID string) string {
	return APIPayment(paymentRequestID) + "/sdk-events"
}
