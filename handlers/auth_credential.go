package handlers

// App credentials: who may call the app API (/api/v1). Two kinds, as in
// Stripe's secret key / client secret split:
//
//   - a secret API key (pdk_live_…), held by the merchant's backend and
//     never shipped in an app, with scopes chosen at creation;
//   - a payment's client secret (pdk_cs_…, auth_clientsecret.go), handed
//     by the backend to the app with paymentSessionData: it reads that one
//     payment and reports its SDK events, nothing else.
//
// The route table says which credential a route takes (APIAccess);
// RequireAppCredential checks it, and authorizePayment checks the payment
// named in the path.

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// APIScope is a scope of secret API keys (store.APIScope), as the route
// table names it.
type APIScope = store.APIScope

// The scopes of secret API keys.
const (
	// ScopeSessions creates sessions, and reads and reports SDK events on
	// the payments the key created.
	ScopeSessions = store.ScopeSessions
	// ScopePaymentsRead reads every payment (reconciliation).
	ScopePaymentsRead = store.ScopePaymentsRead
)

// APIAccess says which app credentials may call an app API route.
type APIAccess struct {
	// Scopes: a secret API key holding any one of them may call the route.
	Scopes []APIScope
	// ClientSecret: the client secret of a payment may call it too, for
	// that payment only (the handler checks the payment in the path).
	ClientSecret bool
}

// Codes of the app API's credential errors.
const (
	codeMissingAPIKey       = "missing_api_key"       // 401: no Bearer credential
	codeInvalidAPIKey       = "invalid_api_key"       // 401: unknown or revoked key
	codeInvalidClientSecret = "invalid_client_secret" // 401: not a client secret Paydesk made
	codeClientSecretExpired = "client_secret_expired" // 401: 24 h after the payment became final
	codeInsufficientScope   = "insufficient_scope"    // 403: the credential may not call this route
)

// appCredential is the credential of an app API request: a secret API key
// or a payment's client secret.
type appCredential struct {
	key    *store.APIKey       // a secret API key; nil for a client secret
	secret *store.PaymentOwner // the payment a client secret opens; nil for a key
}

// currentCredential returns the app credential of an /api/v1 request, or nil.
func currentCredential(c echo.Context) *appCredential {
	cr, _ := c.Get(ctxCredentialKey).(*appCredential)
	return cr
}

// currentAPIKey returns the secret API key of an /api/v1 request, or nil
// (no credential, or a client secret).
func currentAPIKey(c echo.Context) *store.APIKey {
	if cr := currentCredential(c); cr != nil {
		return cr.key
	}
	return nil
}

// clientSecretActor is the timeline actor of what a client secret reports.
const clientSecretActor = "app:client-secret"

// RequireAppCredential is the middleware of the app API routes: it demands
// "Authorization: Bearer <credential>", a secret API key or a client
// secret, that access allows, and puts it in the request state
// (currentCredential). A missing, unknown, revoked or expired credential
// is a JSON 401; a valid one the route does not take is a 403
// insufficient_scope naming the scope it needs. Revocation takes effect on
// the next request: nothing is cached.
func (h *Handlers) RequireAppCredential(access APIAccess) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			auth := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, token, ok := strings.Cut(auth, " ")
			token = strings.TrimSpace(token)
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return &Error{Kind: KindUnauthorized, Code: codeMissingAPIKey,
					Message: "Send a secret API key (from your backend) or the payment's client secret (from the app) as \"Authorization: Bearer <credential>\"."}
			}
			cred := &appCredential{}
			if strings.HasPrefix(token, ClientSecretPrefix) {
				owner, err := h.authenticateClientSecret(c, token)
				if err != nil {
					return err
				}
				if !access.ClientSecret {
					return errScope(access.Scopes, "A client secret reads and reports on its own payment only; this request needs a secret API key, on the merchant's backend")
				}
				cred.secret = owner
			} else {
				k, err := h.Store.AuthenticateAPIKey(c.Request().Context(), token)
				if errors.Is(err, store.ErrNotFound) {
					return &Error{Kind: KindUnauthorized, Code: codeInvalidAPIKey, Message: "The API key is not valid or was revoked."}
				}
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(access.Scopes, k.Has) {
					return errScope(access.Scopes, "This API key ("+k.ScopeList()+") lacks the scope this request needs")
				}
				cred.key = k
			}
			c.Set(ctxCredentialKey, cred)
			return next(c)
		}
	}
}

// errScope is the 403 for a credential the route does not take; scopes
// are the ones it would take (the first is named in "scope").
func errScope(scopes []store.APIScope, why string) *Error {
	e := &Error{Kind: KindForbidden, Code: codeInsufficientScope}
	if len(scopes) == 0 {
		e.Message = why + "."
		return e
	}
	names := make([]string, len(scopes))
	for i, sc := range scopes {
		names[i] = string(sc)
	}
	e.Scope = names[0]
	e.Message = why + ": scope " + strings.Join(names, " or ") + ". An admin chooses a key's scopes when creating it (API keys page, or paydesk apikey create NAME -scopes " + names[0] + ")."
	return e
}

// authorizePayment checks that the request's credential may use payment id:
// read it, or with report, report its SDK events. A payment outside the
// credential's scope does not exist for it (404 payment_not_found, as a
// missing one), except for a key that may read every payment, which is told
// it may not report (403 payment_forbidden): it knows the payment exists.
func (h *Handlers) authorizePayment(c echo.Context, id string, report bool) error {
	cred := currentCredential(c)
	switch {
	case cred == nil:
		return &Error{Kind: KindInternal, Err: errors.New("app API route without RequireAppCredential")}
	case cred.secret != nil:
		if cred.secret.PaymentRequestID == id {
			return nil
		}
		return errPaymentNotFound(id)
	}
	k := cred.key
	if !report && k.Has(store.ScopePaymentsRead) {
		return nil
	}
	owner, err := h.Store.PaymentOwner(c.Request().Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errPaymentNotFound(id)
	case err != nil:
		return err
	case k.Has(store.ScopeSessions) && owner.CreatedByKey == k.ID:
		return nil
	case k.Has(store.ScopePaymentsRead):
		return apiError(http.StatusForbidden, codeForbiddenPayment, "paymentRequestId",
			"Only the API key that created payment %.80s, or its client secret, reports its SDK events.", id)
	}
	return errPaymentNotFound(id)
}
