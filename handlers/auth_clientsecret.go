package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// ClientSecretPrefix starts every payment's client secret.
const ClientSecretPrefix = "pdk_cs_"

// ClientSecretLifetime is how long a client secret keeps working after its
// payment first became final.
const ClientSecretLifetime = 24 * time.Hour

// clientSecretMACLen is the bytes of HMAC-SHA256 a client secret keeps (192 bits).
const clientSecretMACLen = 24

// maxClientSecret bounds a presented client secret: the prefix, a 64-byte
// paymentRequestId in base64, the separator and the MAC.
const maxClientSecret = 160

// ClientSecret returns the client secret of a payment, the app's
// credential for it: "pdk_cs_", the paymentRequestId in base64url, ".",
// and an HMAC of the paymentRequestId under a key derived from the session
// key. Nothing is stored: the same payment always has the same secret (an
// idempotent replay of POST /api/v1/sessions returns it again), and
// changing the session key changes every client secret.
func (h *Handlers) ClientSecret(paymentRequestID string) string {
	return ClientSecretPrefix + base64.RawURLEncoding.EncodeToString([]byte(paymentRequestID)) + "." +
		base64.RawURLEncoding.EncodeToString(h.clientSecretMAC(paymentRequestID))
}

func (h *Handlers) clientSecretMAC(paymentRequestID string) []byte {
	m := hmac.New(sha256.New, h.clientSecretKey)
	m.Write([]byte(paymentRequestID))
	return m.Sum(nil)[:clientSecretMACLen]
}

// clientSecretPayment returns the paymentRequestId a client secret was made
// for, or false when Paydesk did not make it (with this session key).
func (h *Handlers) clientSecretPayment(token string) (string, bool) {
	if len(token) > maxClientSecret {
		return "", false
	}
	id64, mac64, ok := strings.Cut(strings.TrimPrefix(token, ClientSecretPrefix), ".")
	if !ok {
		return "", false
	}
	id, err := base64.RawURLEncoding.DecodeString(id64)
	if err != nil || len(id) == 0 {
		return "", false
	}
	mac, err := base64.RawURLEncoding.DecodeString(mac64)
	if err != nil || !hmac.Equal(mac, h.clientSecretMAC(string(id))) {
		return "", false
	}
	return string(id), true
}

// authenticateClientSecret checks a presented client secret: made by
// Paydesk, for a payment that exists, not yet 24 hours past final.
func (h *Handlers) authenticateClientSecret(c echo.Context, token string) (*store.PaymentOwner, error) {
	invalid := &Error{Kind: KindUnauthorized, Code: codeInvalidClientSecret,
		Message: "The client secret is not valid: use the clientSecret POST /api/v1/sessions returned for this payment."}
	id, ok := h.clientSecretPayment(token)
	if !ok {
		return nil, invalid
	}
	owner, err := h.Store.PaymentOwner(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if !owner.FinalAt.IsZero() && !h.Now().Before(owner.FinalAt.Add(ClientSecretLifetime)) {
		return nil, &Error{Kind: KindUnauthorized, Code: codeClientSecretExpired,
			Message: "The client secret expired 24 hours after its payment became final; read the payment from your backend with a secret API key."}
	}
	return owner, nil
}

// withQueryParam returns u with the query parameter name=value added
// after the parameters it has (their encoding and order unchanged).
func withQueryParam(u, name, value string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.QueryEscape(name) + "=" + url.QueryEscape(value)
}
