package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
)

// apiSessionRequest is the body of POST /api/v1/sessions. Field names are
// createPaymentSession's where Antom has one.
type apiSessionRequest struct {
	PaymentRequestID   string    `json:"paymentRequestId"`
	Order              *apiOrder `json:"order"`
	CaptureMode        string    `json:"captureMode"`
	ThreeDS            bool      `json:"threeDS"`
	Env                *apiEnv   `json:"env"`
	PaymentRedirectURL string    `json:"paymentRedirectUrl"`
}

type apiOrder struct {
	ReferenceOrderID string        `json:"referenceOrderId"`
	OrderDescription string        `json:"orderDescription"`
	OrderAmount      *antom.Amount `json:"orderAmount"`
	Buyer            *apiBuyer     `json:"buyer"`
}

type apiBuyer struct {
	ReferenceBuyerID string `json:"referenceBuyerId"`
}

type apiEnv struct {
	TerminalType string `json:"terminalType"`
	OSType       string `json:"osType"`
}

// apiSession is the answer of POST /api/v1/sessions: what the backend
// hands to the app (paymentSessionData for the client SDK, and the
// payment's client secret), and the payment's status.
type apiSession struct {
	PaymentRequestID         string       `json:"paymentRequestId"`
	Status                   string       `json:"status"`
	ClientSecret             string       `json:"clientSecret"`
	PaymentSessionData       string       `json:"paymentSessionData,omitempty"`
	PaymentSessionID         string       `json:"paymentSessionId,omitempty"`
	PaymentSessionExpiryTime time.Time    `json:"paymentSessionExpiryTime,omitzero"`
	Sandbox                  bool         `json:"sandbox"`
	ReferenceOrderID         string       `json:"referenceOrderId"`
	Amount                   antom.Amount `json:"amount"`
	Result                   *apiResult   `json:"result,omitempty"`
}

// sessionFieldNames maps the store's input names to the API body's paths.
var sessionFieldNames = map[string]string{
	"paymentRequestId": "paymentRequestId",
	"idempotencyKey":   "Idempotency-Key",
	"referenceOrderId": "order.referenceOrderId",
	"description":      "order.orderDescription",
	"amount":           "order.orderAmount.value",
	"currency":         "order.orderAmount.currency",
	"buyerId":          "order.buyer.referenceBuyerId",
	"captureMode":      "captureMode",
	"threeDS":          "threeDS",
	"terminalType":     "env.terminalType",
	"osType":           "env.osType",
	"redirectUrl":      "paymentRedirectUrl",
	"notifyUrl":        "(server) notify URL",
	"sandbox":          "(server) environment",
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// APISessionCreate handles the "POST /api/v1/sessions" route (keys with
// sessions): the merchant's backend asks for a payment session for an
// order and gets the paymentSessionData the app's client SDK needs, and
// the payment's client secret the app reads and reports with. It is the
// dashboard's code path (store.CreatePayment, then createSession) with the
// terminal the app names. The payment belongs to the key.
//
// Idempotent: the same Idempotency-Key (per API key name) or the same
// merchant paymentRequestId with the same body returns the same session
// and client secret; a different body is a 409 naming the fields that
// differ. 200 with the session (SESSION_READY, or SESSION_FAILED with
// Antom's result); 202 when Antom's answer is not known yet (send the same
// request again).
func (h *Handlers) APISessionCreate(c echo.Context) error {
	var req apiSessionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	idem, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	np, err := req.newPayment()
	if err != nil {
		return err
	}
	key := currentAPIKey(c)
	if key == nil {
		return &Error{Kind: KindInternal, Err: errors.New("sessions route without a secret API key")}
	}
	actor := key.Actor()
	np.CreatedBy, np.CreatedByKey, np.NotifyURL, np.Sandbox = actor, key.ID, h.NotifyURL, h.Sandbox
	if idem != "" {
		np.IdempotencyKey = scopedIdempotencyKey(actor, idem)
	}
	if np.RedirectURL == "" {
		np.RedirectURL = h.RedirectURL
	}
	ctx := c.Request().Context()
	if np.PaymentRequestID != "" {
		d, err := h.Store.GetPayment(ctx, np.PaymentRequestID)
		switch {
		case err == nil && d.CreatedByKey != key.ID:
			return errOtherClient(np.PaymentRequestID)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	p, err := h.Store.CreatePayment(ctx, np)
	if err != nil {
		return sessionStoreError(err)
	}
	if p.CreatedByKey != key.ID { // created meanwhile by someone else, or under the key's name by another key
		return errOtherClient(p.PaymentRequestID)
	}
	if p.Status == store.StatusCreated {
		// New, or an earlier attempt whose outcome is unknown: Antom is
		// idempotent on the paymentRequestId, so asking again is safe.
		if p, err = h.Operations.CreateSession(ctx, p); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if p.Status == store.StatusCreated {
		status = http.StatusAccepted
	}
	return c.JSON(status, apiSession{
		PaymentRequestID:         p.PaymentRequestID,
		Status:                   string(p.Status),
		ClientSecret:             h.ClientSecret(p.PaymentRequestID),
		PaymentSessionData:       p.SessionData,
		PaymentSessionID:         p.SessionID,
		PaymentSessionExpiryTime: p.SessionExpiresAt,
		Sandbox:                  p.Sandbox,
		ReferenceOrderID:         p.ReferenceOrderID,
		Amount:                   antom.NewAmount(p.AmountMinor, p.Currency),
		Result:                   resultOf(p.ResultStatus, p.ResultCode, p.ResultMessage),
	})
}

// newPayment checks what the store does not know about (the JSON shape,
// Antom's currency table, the amount's form) and builds the store's input.
func (r apiSessionRequest) newPayment() (store.NewPayment, error) {
	invalid := func(field, msg string) (store.NewPayment, error) {
		return store.NewPayment{}, apiError(http.StatusUnprocessableEntity, codeValidationFailed, field, "%s %s", field, msg)
	}
	switch {
	case r.Order == nil:
		return invalid("order", "is required")
	case r.Order.OrderAmount == nil:
		return invalid("order.orderAmount", "is required")
	case r.Order.OrderAmount.Currency == "":
		return invalid("order.orderAmount.currency", "is required")
	case !slices.Contains(sessionCurrencies, r.Order.OrderAmount.Currency):
		return invalid("order.orderAmount.currency", "must be one of Antom's currencies: "+strings.Join(sessionCurrencies, ", "))
	}
	minor, err := r.Order.OrderAmount.Minor()
	if err != nil {
		return invalid("order.orderAmount.value", "must be a positive whole number of minor units as a string, e.g. \"4200\" for 42.00 SGD")
	}
	np := store.NewPayment{
		PaymentRequestID: r.PaymentRequestID,
		ReferenceOrderID: r.Order.ReferenceOrderID,
		Description:      r.Order.OrderDescription,
		AmountMinor:      minor,
		Currency:         r.Order.OrderAmount.Currency,
		CaptureMode:      r.CaptureMode,
		ThreeDS:          r.ThreeDS,
		TerminalType:     "APP",
		RedirectURL:      r.PaymentRedirectURL,
	}
	if r.Order.Buyer != nil {
		np.BuyerID = r.Order.Buyer.ReferenceBuyerID
	}
	if r.Env != nil {
		if r.Env.TerminalType != "" {
			np.TerminalType = r.Env.TerminalType
		}
		np.OSType = r.Env.OSType
	}
	if np.TerminalType == "APP" && np.OSType == "" {
		return invalid("env.osType", "is required for terminalType APP: ANDROID or IOS")
	}
	return np, nil
}

// sessionStoreError maps the store's refusals to API errors with the body's
// field names.
func sessionStoreError(err error) error {
	var fe *store.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &fe):
		field, ok := sessionFieldNames[fe.Field]
		if !ok || strings.HasPrefix(field, "(server)") {
			return &Error{Kind: KindInternal, Err: err} // our configuration, not the request
		}
		return apiError(http.StatusUnprocessableEntity, codeValidationFailed, field, "%s %s", field, fe.Message)
	case errors.As(err, &ce) && len(ce.Fields) > 0:
		names := make([]string, 0, len(ce.Fields))
		for _, f := range ce.Fields {
			names = append(names, nonEmptyString(sessionFieldNames[f], f))
		}
		return apiError(http.StatusConflict, codeIdempotencyConflict, names[0],
			"%s; these fields differ from the first request: %s. Send the same body to get the same session, or use a new key.",
			strings.TrimSuffix(sentence(ce.Message), "."), strings.Join(names, ", "))
	case errors.As(err, &ce):
		return apiError(http.StatusConflict, codeIdempotencyConflict, "paymentRequestId", "%s", sentence(ce.Message))
	}
	return err
}

// errOtherClient refuses a paymentRequestId that belongs to a payment made
// by another client (another API key, or staff): its session data and
// client secret are not this client's to see.
func errOtherClient(paymentRequestID string) error {
	return apiError(http.StatusForbidden, codeForbiddenPayment, "paymentRequestId",
		"paymentRequestId %s belongs to a payment created by another client; choose another paymentRequestId.", paymentRequestID)
}

// idempotencyKey reads the optional Idempotency-Key header.
func idempotencyKey(c echo.Context) (string, error) {
	k := c.Request().Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > maxIdempotencyKey {
		return "", apiError(http.StatusBadRequest, codeInvalidParameter, "Idempotency-Key", "Idempotency-Key is longer than %d characters.", maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", apiError(http.StatusBadRequest, codeInvalidParameter, "Idempotency-Key", "Idempotency-Key must be printable ASCII without spaces.")
		}
	}
	return k, nil
}

// scopedIdempotencyKey scopes an Idempotency-Key to the client (the API
// key's name, which survives key rotation), so two apps never share one.
func scopedIdempotencyKey(actor, key string) string {
	sum := sha256.Sum256([]byte(actor))
	return hex.EncodeToString(sum[:8]) + ":" + key
}

func nonEmptyString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
