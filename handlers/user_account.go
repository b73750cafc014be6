package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// AccountShow handles "GET /account".
func (h *Handlers) AccountShow(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, nil)
}

func (h *Handlers) renderAccount(c echo.Context, status int, errs map[string]string) error {
	u := currentUser(c)
	vm := pages.AccountView{Email: u.Email, Name: u.Name, Role: string(u.Role), Errors: errs}
	return render(c, status, pages.Account(h.page(c, "Your account", layout.NavAccount), vm))
}

// AccountPassword handles "POST /account": change one's own password with
// the current one; the user's other sessions end.
func (h *Handlers) AccountPassword(c echo.Context) error {
	u, ss := currentUser(c), currentSession(c)
	current, password, confirm := c.FormValue("current"), c.FormValue("password"), c.FormValue("confirm")
	errs := map[string]string{}
	if err := store.ValidatePassword(password); err != nil {
		errs["password"] = fieldMessage(err)
	} else if password != confirm {
		errs["confirm"] = "The two new passwords differ."
	}
	res, wait := h.accountThrottle.reserve(h.Now(), selfKeys(u.ID, ss.IDHash)...)
	if wait > 0 {
		return errRateLimited(wait)
	}
	ctx := c.Request().Context()
	ok, err := h.checkPassword(ctx, u.PasswordHash, current)
	if err != nil {
		res.release()
		return err
	}
	if ok {
		res.release()
	} else {
		errs["current"] = "The current password is incorrect."
	}
	if len(errs) > 0 {
		return h.renderAccount(c, http.StatusUnprocessableEntity, errs)
	}
	hash, err := h.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	if err := h.Store.SetUserPassword(ctx, u.ID, hash, ss.IDHash, h.auditContext(c)); err != nil {
		return err
	}
	h.flash(c, flashSuccess, "Password changed. Your other sessions have ended.")
	return redirect(c, paths.Account)
}
