package handlers

import (
	"slices"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// Permission is one thing a staff role may do. Every staff route requires
// exactly one; the route table in web names it.
type Permission string

// The permissions. The matrix below is the only place that grants them.
const (
	PermViewPayments   Permission = "payments.view"    // payments, orders, captures, notifications, detail, live polls
	PermViewBuyerData  Permission = "buyer.view"       // buyer contact data unredacted in raw payloads; cardholder, PSP customer, BIN and expiry on the payment page
	PermInquire        Permission = "payments.inquire" // re-run inquiryPayment
	PermCreateSession  Permission = "sessions.create"  // new test payment session
	PermMoveMoney      Permission = "payments.money"   // capture, cancel, refund (with password step-up)
	PermApplyAgain     Permission = "deliveries.apply" // apply again a verified notification that could not be applied
	PermManageUsers    Permission = "users.manage"     // staff users and roles
	PermManageAPIKeys  Permission = "apikeys.manage"   // merchant-app API keys
	PermViewAudit      Permission = "audit.view"       // the audit log page and CSV, the background-work page
	PermManageSettings Permission = "settings.manage"  // settings
	PermOwnAccount     Permission = "account.own"      // change one's own password
)

// AllPermissions lists every permission in display order.
func AllPermissions() []Permission {
	return []Permission{
		PermViewPayments, PermViewBuyerData, PermInquire, PermCreateSession, PermMoveMoney, PermApplyAgain,
		PermManageUsers, PermManageAPIKeys, PermViewAudit, PermManageSettings, PermOwnAccount,
	}
}

// rolePermissions is the permission matrix: the single source for the
// middleware, the views' buttons, the route × role test and the README.
var rolePermissions = map[store.Role][]Permission{
	store.RoleAdmin: {
		PermViewPayments, PermViewBuyerData, PermInquire, PermCreateSession, PermMoveMoney, PermApplyAgain,
		PermManageUsers, PermManageAPIKeys, PermViewAudit, PermManageSettings, PermOwnAccount,
	},
	store.RoleOperator: {
		PermViewPayments, PermViewBuyerData, PermInquire, PermCreateSession, PermMoveMoney, PermApplyAgain,
		PermOwnAccount,
	},
	store.RoleSupport: {
		PermViewPayments, PermInquire, PermOwnAccount,
	},
}

// Can reports whether role has permission p.
func Can(role store.Role, p Permission) bool {
	return slices.Contains(rolePermissions[role], p)
}

// can reports whether the user (nil = signed out) has permission p. Views
// use it to decide which buttons show; the route middleware is what counts.
func can(u *store.User, p Permission) bool {
	return u != nil && !u.Disabled && Can(u.Role, p)
}

// requirePermission returns errForbidden unless the signed-in user has p.
// Handlers rarely need it: the route table already demands one permission
// per route. Use it for a second, finer check inside a handler.
func requirePermission(c echo.Context, p Permission) error {
	if !can(currentUser(c), p) {
		return errForbidden("Your role does not allow this.")
	}
	return nil
}
