package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// UserCreate handles "POST /admin/users": a new staff user; an empty
// password field generates one, shown once.
func (h *Handlers) UserCreate(c echo.Context) error {
	form := pages.NewUserForm{
		Email: strings.TrimSpace(c.FormValue("email")),
		Name:  strings.TrimSpace(c.FormValue("name")),
		Role:  c.FormValue("role"),
	}
	password := c.FormValue("password")
	generated := password == ""
	if generated {
		var err error
		if password, err = GeneratePassword(); err != nil {
			return err
		}
	}
	errs := map[string]string{}
	if _, err := store.NormalizeEmail(form.Email); err != nil {
		errs["email"] = fieldMessage(err)
	}
	role, err := store.ParseRole(form.Role)
	if err != nil {
		errs["role"] = fieldMessage(err)
	}
	if err := store.ValidatePassword(password); err != nil {
		errs["password"] = fieldMessage(err)
	}
	if len(errs) > 0 {
		form.Errors, form.Message = errs, "The user was not created. Fix the fields below."
		return h.renderUsers(c, http.StatusUnprocessableEntity, form, nil)
	}
	hash, err := h.hashPassword(c.Request().Context(), password)
	if err != nil {
		return err
	}
	u, err := h.Store.CreateUser(c.Request().Context(), store.NewUser{Email: form.Email, Name: form.Name, Role: role, PasswordHash: hash}, h.auditContext(c))
	var fe *store.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &fe):
		form.Errors = map[string]string{fe.Field: fieldMessage(fe)}
		return h.renderUsers(c, http.StatusUnprocessableEntity, form, nil)
	case errors.As(err, &ce):
		form.Errors = map[string]string{"email": sentence(ce.Message)}
		return h.renderUsers(c, http.StatusConflict, form, nil)
	case err != nil:
		return err
	}
	if generated {
		return h.renderUsers(c, http.StatusOK, pages.NewUserForm{Role: string(store.RoleSupport)}, &pages.SecretView{
			Title: "User " + u.Email + " created",
			Label: "Their password (shown once — pass it on securely):",
			Value: password,
			Note:  "They can change it on their account page.",
		})
	}
	h.flash(c, flashSuccess, "User "+u.Email+" created.")
	return redirect(c, paths.Users)
}

// fieldMessage is a store validation message as a sentence for a person.
func fieldMessage(err error) string {
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return sentence(fe.Message)
	}
	return "Not valid."
}

// sentence capitalises the first letter and ends with a period.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
