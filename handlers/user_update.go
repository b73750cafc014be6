package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// UserRole handles "POST /admin/users/:id/role".
func (h *Handlers) UserRole(c echo.Context) error {
	id, err := userIDParam(c)
	if err != nil {
		return err
	}
	role, err := store.ParseRole(c.FormValue("role"))
	if err != nil {
		return errInvalid("role", "%s", fieldMessage(err))
	}
	u, err := h.Store.SetUserRole(c.Request().Context(), id, role, h.auditContext(c))
	if err != nil {
		return userUpdateError(err)
	}
	h.flash(c, flashSuccess, u.Email+" is now "+string(u.Role)+".")
	return redirect(c, paths.Users)
}

// UserDisable handles "POST /admin/users/:id/disable": the user's sessions
// end at once.
func (h *Handlers) UserDisable(c echo.Context) error {
	return h.setDisabled(c, true)
}

// UserEnable handles "POST /admin/users/:id/enable".
func (h *Handlers) UserEnable(c echo.Context) error {
	return h.setDisabled(c, false)
}

func (h *Handlers) setDisabled(c echo.Context, disabled bool) error {
	id, err := userIDParam(c)
	if err != nil {
		return err
	}
	if me := currentUser(c); disabled && me != nil && me.ID == id {
		return errConflict("You cannot disable your own account.")
	}
	u, err := h.Store.SetUserDisabled(c.Request().Context(), id, disabled, h.auditContext(c))
	if err != nil {
		return userUpdateError(err)
	}
	msg := u.Email + " is enabled."
	if disabled {
		msg = u.Email + " is disabled; their sessions have ended."
	}
	h.flash(c, flashSuccess, msg)
	return redirect(c, paths.Users)
}

// UserPassword handles "POST /admin/users/:id/password": a generated
// password, shown once; the user's sessions end.
func (h *Handlers) UserPassword(c echo.Context) error {
	id, err := userIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := h.Store.UserByID(ctx, id)
	if err != nil {
		return userUpdateError(err)
	}
	password, err := GeneratePassword()
	if err != nil {
		return err
	}
	hash, err := h.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	keep := ""
	if ss := currentSession(c); ss != nil && ss.UserID == id {
		keep = ss.IDHash
	}
	if err := h.Store.SetUserPassword(ctx, id, hash, keep, h.auditContext(c)); err != nil {
		return userUpdateError(err)
	}
	return h.renderUsers(c, http.StatusOK, pages.NewUserForm{Role: string(store.RoleSupport)}, &pages.SecretView{
		Title: "Password reset for " + u.Email,
		Label: "The new password (shown once — pass it on securely):",
		Value: password,
		Note:  "Their other sessions have ended.",
	})
}

// userUpdateError classifies the store's answer to a user change.
func userUpdateError(err error) error {
	var ce *store.ConflictError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("No such user.")
	case errors.As(err, &ce):
		return errConflict("%s", sentence(ce.Message))
	}
	return err
}
