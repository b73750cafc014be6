package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
)

// StepUpField is the form field that carries the password for step-up.
const StepUpField = "password"

// ConfirmField is the form field a money action's confirmation panel
// posts ("1"); without it the action only asks for confirmation.
const ConfirmField = "confirm"

// confirmed reports whether a money POST comes from its confirmation panel.
func confirmed(c echo.Context) bool { return c.FormValue(ConfirmField) == "1" }

// RequireRecentPassword is the one step-up guard of money actions
// (capture, cancel, refund: the route table's money() routes). A POST
// without the confirmation field passes: its handler changes nothing and
// only renders the confirmation panel, which asks for the password. A
// confirmed POST passes when the user confirmed the password within the
// step-up window (captures only: stepUpEveryTime), else it demands a
// correct "password" form field (requireRecentPassword). A refusal is
// shown inline on the confirmation panel, values kept.
func (h *Handlers) RequireRecentPassword(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !confirmed(c) {
			return next(c)
		}
		if err := h.requireRecentPassword(c); err != nil {
			return h.stepUpFailed(c, err)
		}
		return next(c)
	}
}

// stepUpAttempt is what a failed step-up audit entry records as tried:
// the money action (the route's last segment) and the amount typed, in the
// payment's currency when it reads as one (the audit log formats it like
// every amount), else as typed. A wrong password is rare and throttled,
// so reading the payment here costs nothing that matters.
func (h *Handlers) stepUpAttempt(c echo.Context) map[string]any {
	p := c.Path()
	attempt := map[string]any{"action": p[strings.LastIndexByte(p, '/')+1:]}
	typed := strings.TrimSpace(c.FormValue("amount"))
	if typed == "" {
		return attempt
	}
	attempt["amountTyped"] = truncateRunes(typed, 32)
	if d, err := h.Store.GetPayment(c.Request().Context(), idParam(c, "id")); err == nil {
		if minor, err := antom.ParseMajor(typed, d.Payment.Currency); err == nil {
			delete(attempt, "amountTyped")
			attempt["amount"] = antom.NewAmount(minor, d.Payment.Currency)
		}
	}
	return attempt
}

// passwordRecentlyConfirmed reports whether the signed-in user confirmed the
// password within the step-up window; the capture form uses it to decide
// whether to show the password field.
func (h *Handlers) passwordRecentlyConfirmed(c echo.Context) bool {
	ss := currentSession(c)
	return ss != nil && h.Now().Sub(ss.PasswordConfirmedAt) < h.Auth.StepUpWindow
}

// stepUpEveryTime reports whether the route asks for the password on every
// submit whatever the window: refunds and cancels give money back or
// release it for good, so a session left open must not be enough.
func stepUpEveryTime(c echo.Context) bool {
	return strings.HasSuffix(c.Path(), "/refund") || strings.HasSuffix(c.Path(), "/cancel")
}

// requireRecentPassword returns nil when the password was confirmed within
// the step-up window (not for refunds and cancels) or the request's "password" field is correct (which
// records a new confirmation). Otherwise it returns an *Error and nothing
// may change: 422 "password_required" when the field is missing, 403
// "password_incorrect" when it is wrong, 429 when too many were wrong.
func (h *Handlers) requireRecentPassword(c echo.Context) error {
	u, ss := currentUser(c), currentSession(c)
	if u == nil || ss == nil {
		return &Error{Kind: KindUnauthorized}
	}
	if !stepUpEveryTime(c) && h.passwordRecentlyConfirmed(c) {
		return nil
	}
	pw := c.FormValue(StepUpField)
	if pw == "" {
		return &Error{Kind: KindInvalid, Status: http.StatusUnprocessableEntity, Code: "password_required", Field: StepUpField,
			Message: "Confirm your password to move money.", Fields: map[string]string{StepUpField: "Enter your password to confirm."}}
	}
	now := h.Now()
	ctx := c.Request().Context()
	res, wait, err := h.accountThrottle.reserve(ctx, now, selfKeys(u.ID, ss.IDHash)...)
	if err != nil {
		return err
	}
	if wait > 0 {
		return errRateLimited(wait)
	}
	ok, err := h.checkPassword(ctx, u.PasswordHash, pw)
	if err != nil {
		res.release(ctx)
		return err
	}
	if !ok {
		// The entry names the payment and what was tried on it, so the
		// audit log tells which money a wrong password stood in front of.
		if err := h.Store.AddAudit(ctx, h.auditContextFor(c, u).PaymentEntry("auth.stepup_failed", idParam(c, "id"), nil, h.stepUpAttempt(c))); err != nil {
			return err
		}
		return &Error{Kind: KindForbidden, Code: "password_incorrect", Field: StepUpField,
			Message: "The password is incorrect. Nothing was changed.", Fields: map[string]string{StepUpField: "The password is incorrect."}}
	}
	res.release(ctx)
	if err := h.Store.ConfirmStaffSessionPassword(ctx, ss.IDHash); err != nil {
		return err
	}
	ss.PasswordConfirmedAt = now
	return nil
}
