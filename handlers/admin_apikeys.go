package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// APIKeyList handles "GET /admin/api-keys".
func (h *Handlers) APIKeyList(c echo.Context) error {
	return h.renderAPIKeys(c, http.StatusOK, pages.APIKeyListView{})
}

func (h *Handlers) renderAPIKeys(c echo.Context, status int, vm pages.APIKeyListView) error {
	keys, err := h.Store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	vm.Now = h.Now()
	for _, k := range keys {
		vm.Keys = append(vm.Keys, pages.APIKeyRowView{
			ID: k.ID, Name: k.Name, Prefix: k.Prefix, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt,
			LastUsedAt: k.LastUsedAt, Revoked: !k.Active(), RevokedAt: k.RevokedAt, RevokeURL: paths.APIKeyRevoke(k.ID),
		})
	}
	return render(c, status, pages.APIKeyList(h.page(c, "API keys", layout.NavAPIKeys), vm))
}

// APIKeyCreate handles "POST /admin/api-keys": the new key is in this
// response only.
func (h *Handlers) APIKeyCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	k, token, err := h.Store.CreateAPIKey(c.Request().Context(), name, h.auditContext(c))
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return h.renderAPIKeys(c, http.StatusUnprocessableEntity, pages.APIKeyListView{Name: name, Error: fieldMessage(fe)})
	}
	if err != nil {
		return err
	}
	return h.renderAPIKeys(c, http.StatusOK, pages.APIKeyListView{Secret: &pages.SecretView{
		Title: "API key " + k.Name + " created",
		Label: "Copy it now: it is shown only this once.",
		Value: token,
		Note:  "Send it as \"Authorization: Bearer <key>\". Revoke it here when it leaks or is no longer needed.",
	}})
}

// APIKeyRevoke handles "POST /admin/api-keys/:id/revoke": effective on the
// key's next request.
func (h *Handlers) APIKeyRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound("No such API key.")
	}
	if err := h.Store.RevokeAPIKey(c.Request().Context(), id, h.auditContext(c)); errors.Is(err, store.ErrNotFound) {
		return errNotFound("No such API key.")
	} else if err != nil {
		return err
	}
	h.flash(c, flashSuccess, "API key revoked.")
	return redirect(c, paths.APIKeys)
}
