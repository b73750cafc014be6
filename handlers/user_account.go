package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// AccountShow handles "GET /account".
func (h *Handlers) AccountShow(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, nil)
}

func (h *Handlers) renderAccount(c echo.Context, status int, errs map[string]string) error {
	return h.renderAccountZone(c, status, errs, pages.ZoneForm{Value: currentUser(c).TimeZone})
}

// renderAccountZone renders the Account page with the time-zone form zf
// (its Value and Error; the rest is filled in here).
func (h *Handlers) renderAccountZone(c echo.Context, status int, errs map[string]string, zf pages.ZoneForm) error {
	u := currentUser(c)
	now := h.viewerNow(c)
	zf.Label, zf.Saved, zf.Now = components.ZoneLabel(now.Location(), now), u.TimeZone != "", components.FormatTime(now, now.Location())
	vm := pages.AccountView{Email: u.Email, Name: u.Name, Role: string(u.Role), Errors: errs, Zone: zf}
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
	ctx := c.Request().Context()
	res, wait, err := h.accountThrottle.reserve(ctx, h.Now(), selfKeys(u.ID, ss.IDHash)...)
	if err != nil {
		return err
	}
	if wait > 0 {
		return errRateLimited(wait)
	}
	ok, err := h.checkPassword(ctx, u.PasswordHash, current)
	if err != nil {
		res.release(ctx)
		return err
	}
	if ok {
		res.release(ctx)
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
