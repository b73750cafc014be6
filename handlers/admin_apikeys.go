package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// scopeHints explain each scope on the create form.
var scopeHints = map[store.APIScope][2]string{
	store.ScopeSessions:     {"sessions: create payment sessions; read and report on the payments this key created", "For the backend of the merchant's app."},
	store.ScopePaymentsRead: {"payments:read: read every payment (reconciliation)", "For reconciliation jobs; not needed to take payments."},
}

// APIKeyList handles "GET /admin/api-keys".
func (h *Handlers) APIKeyList(c echo.Context) error {
	return h.renderAPIKeys(c, http.StatusOK, pages.APIKeyListView{}, store.DefaultAPIScopes())
}

// renderAPIKeys renders the page with the create form's scopes checked.
func (h *Handlers) renderAPIKeys(c echo.Context, status int, vm pages.APIKeyListView, checked []store.APIScope) error {
	keys, err := h.Store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	vm.Now = h.viewerNow(c)
	for _, sc := range store.APIScopes() {
		vm.Scopes = append(vm.Scopes, pages.ScopeOptionView{Value: string(sc), Label: scopeHints[sc][0], Hint: scopeHints[sc][1],
			Checked: slices.Contains(checked, sc)})
	}
	for _, k := range keys {
		vm.Keys = append(vm.Keys, pages.APIKeyRowView{
			ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: strings.ReplaceAll(k.ScopeList(), ",", ", "), CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt,
			LastUsedAt: k.LastUsedAt, Revoked: !k.Active(), RevokedAt: k.RevokedAt, RevokeURL: paths.APIKeyRevoke(k.ID),
		})
	}
	return render(c, status, pages.APIKeyList(h.page(c, "API keys", layout.NavAPIKeys), vm))
}

// APIKeyCreate handles "POST /admin/api-keys": a key named name with the
// scopes checked (scopes, repeated); the new key is in this response only.
func (h *Handlers) APIKeyCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	form, err := c.FormParams()
	if err != nil {
		return errInvalid("", "The form could not be read.")
	}
	var scopes []store.APIScope
	for _, v := range form["scopes"] {
		scopes = append(scopes, store.APIScope(v))
	}
	var k *store.APIKey
	var token string
	if len(scopes) == 0 {
		err = &store.FieldError{Field: "scopes", Message: "choose at least one scope"}
	} else {
		k, token, err = h.Store.CreateAPIKey(c.Request().Context(), name, h.auditContext(c), scopes...)
	}
	var fe *store.FieldError
	if errors.As(err, &fe) {
		vm := pages.APIKeyListView{Name: name}
		if fe.Field == "scopes" {
			vm.ScopesError = fieldMessage(fe)
		} else {
			vm.Error = fieldMessage(fe)
		}
		return h.renderAPIKeys(c, http.StatusUnprocessableEntity, vm, scopes)
	}
	if err != nil {
		return err
	}
	return h.renderAPIKeys(c, http.StatusOK, pages.APIKeyListView{Secret: &pages.SecretView{
		Title: "API key " + k.Name + " created (" + k.ScopeList() + ")",
		Label: "Copy it now: it is shown only this once.",
		Value: token,
		Note:  "Keep it on the merchant's backend, never in an app, and send it as \"Authorization: Bearer <key>\". Revoke it here when it leaks or is no longer needed.",
	}}, store.DefaultAPIScopes())
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
