package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// UserList handles "GET /admin/users".
func (h *Handlers) UserList(c echo.Context) error {
	return h.renderUsers(c, http.StatusOK, pages.NewUserForm{Role: string(store.RoleSupport)}, nil)
}

// renderUsers renders the users page with the create form and, after a
// password was generated, the secret shown once.
func (h *Handlers) renderUsers(c echo.Context, status int, form pages.NewUserForm, secret *pages.SecretView) error {
	users, err := h.Store.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	me := currentUser(c)
	vm := pages.UserListView{Form: form, Secret: secret, Now: h.viewerNow(c), Roles: roleOptions()}
	for _, u := range users {
		vm.Users = append(vm.Users, pages.UserRowView{
			ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Disabled: u.Disabled,
			Self: me != nil && me.ID == u.ID, LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt,
			RoleURL: paths.UserRole(u.ID), DisableURL: paths.UserDisable(u.ID),
			EnableURL: paths.UserEnable(u.ID), PasswordURL: paths.UserPassword(u.ID),
		})
	}
	vm.RoleSet, vm.Matrix = permissionMatrixView()
	return render(c, status, pages.UserList(h.page(c, "Users", layout.NavUsers), vm))
}

func roleOptions() []components.Option {
	var out []components.Option
	for _, r := range store.Roles() {
		out = append(out, components.Option{Value: string(r), Label: string(r)})
	}
	return out
}

// permissionDescriptions say in words what each permission allows.
var permissionDescriptions = map[Permission]string{
	PermViewPayments:   "Search and read payments, orders, captures, notifications",
	PermViewBuyerData:  "See buyer contact data in raw payloads",
	PermInquire:        "Re-run inquiries",
	PermCreateSession:  "Create test payment sessions",
	PermMoveMoney:      "Capture, cancel, refund (with password)",
	PermApplyAgain:     "Apply again a notification that could not be applied",
	PermManageUsers:    "Manage users and roles",
	PermManageAPIKeys:  "Manage API keys",
	PermViewAudit:      "Read and export the audit log",
	PermManageSettings: "Change settings",
	PermOwnAccount:     "Change own password",
}

// permissionMatrixView is the matrix as the users page shows it.
func permissionMatrixView() ([]string, []pages.PermissionRowView) {
	var roles []string
	for _, r := range store.Roles() {
		roles = append(roles, string(r))
	}
	var rows []pages.PermissionRowView
	for _, p := range AllPermissions() {
		row := pages.PermissionRowView{Permission: string(p), Description: permissionDescriptions[p]}
		for _, r := range store.Roles() {
			row.Allowed = append(row.Allowed, Can(r, p))
		}
		rows = append(rows, row)
	}
	return roles, rows
}

// userIDParam parses the :id of a user route; a bad one is not found.
func userIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound("No such user.")
	}
	return id, nil
}
