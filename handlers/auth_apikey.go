package handlers

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// RequireAPIKey is middleware for /api/v1: it demands "Authorization:
// Bearer <key>" with an active API key and puts the key in the request state
// (currentAPIKey). A missing, unknown or revoked key is a JSON 401.
// Revocation takes effect on the next request: nothing is cached.
func (h *Handlers) RequireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return &Error{Kind: KindUnauthorized, Code: "missing_api_key",
				Message: "Send an API key as \"Authorization: Bearer <key>\"."}
		}
		k, err := h.Store.AuthenticateAPIKey(c.Request().Context(), strings.TrimSpace(token))
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: KindUnauthorized, Code: "invalid_api_key", Message: "The API key is not valid or was revoked."}
		}
		if err != nil {
			return err
		}
		c.Set(ctxAPIKeyKey, k)
		return next(c)
	}
}
