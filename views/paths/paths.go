// Package paths builds Paydesk's URLs, so views and handlers never scatter
// string literals. Every path here matches a route in web/routes.go; a test
// there checks that they resolve.
package paths

import (
	"net/url"
	"strconv"
)

// Fixed paths.
const (
	Home          = "/"
	Login         = "/login"
	Logout        = "/logout"
	Health        = "/healthz"
	Ready         = "/readyz"
	Payments      = "/payments"
	Orders        = "/orders"
	Captures      = "/captures"
	Notifications = "/notifications"
	NewSession    = "/sessions/new"
	Account       = "/account"
	AccountZone   = "/account/time-zone"
	Users         = "/admin/users"
	APIKeys       = "/admin/api-keys"
	Audit         = "/admin/audit"
	AuditCSV      = "/admin/audit.csv"
	Operations    = "/admin/operations"
	StaticPrefix  = "/static/"
)

// Payment is a payment's detail page.
func Payment(paymentRequestID string) string {
	return Payments + "/" + url.PathEscape(paymentRequestID)
}

// Static is an embedded static file, e.g. Static("app.css").
func Static(name string) string { return StaticPrefix + name }

// User is a staff user's admin page.
func User(id int64) string { return Users + "/" + strconv.FormatInt(id, 10) }

// UserRole is where a user's role change is posted.
func UserRole(id int64) string { return User(id) + "/role" }

// UserDisable is where disabling a user is posted.
func UserDisable(id int64) string { return User(id) + "/disable" }

// UserEnable is where re-enabling a user is posted.
func UserEnable(id int64) string { return User(id) + "/enable" }

// UserPassword is where an admin's password reset for a user is posted.
func UserPassword(id int64) string { return User(id) + "/password" }

// APIKeyRevoke is where revoking an API key is posted.
func APIKeyRevoke(id int64) string { return APIKeys + "/" + strconv.FormatInt(id, 10) + "/revoke" }

// WithQuery appends query parameters (skipping empty values) to path.
func WithQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
