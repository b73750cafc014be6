package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
)

// Route names of the merchant app's JSON API (handlers/api_*.go);
// web/routes.go names its "app API routes" with these. Paths come from
// views/paths.
const (
	RouteAPIOpenAPI       = "api.openapi"           // GET  /api/v1/openapi.json
	RouteAPISessionCreate = "api.sessions.create"   // POST /api/v1/sessions
	RouteAPIPaymentList   = "api.payments.list"     // GET  /api/v1/payments
	RouteAPIPaymentShow   = "api.payments.show"     // GET  /api/v1/payments/:id
	RouteAPISDKEvent      = "api.sdk_events.create" // POST /api/v1/payments/:id/sdk-events
)

// The app API's stable error codes (the "code" of the JSON error body).
// The credential errors (401 missing_api_key, invalid_api_key,
// invalid_client_secret, client_secret_expired; 403 insufficient_scope)
// come from RequireAppCredential (auth_credential.go).
const (
	codeInvalidJSON         = "invalid_json"           // 400: the body is not the JSON object the endpoint takes
	codeInvalidParameter    = "invalid_parameter"      // 400: a query parameter or header is malformed
	codeForbiddenPayment    = "payment_forbidden"      // 403: the payment belongs to another client (one this key may read)
	codePaymentNotFound     = "payment_not_found"      // 404
	codeIdempotencyConflict = "idempotency_conflict"   // 409: same key, different request
	codeBodyTooLarge        = "body_too_large"         // 413
	codeUnsupportedMedia    = "unsupported_media_type" // 415: not application/json
	codeValidationFailed    = "validation_failed"      // 422: well-formed but not acceptable
	codeUnknownEventCode    = "unknown_event_code"     // 422: eventCode is not one of the SDK's
)

// maxAPIBody bounds an app API request body (the server-wide limit is larger).
const maxAPIBody = 64 << 10

// apiError is an app API error with a stable code and the field at fault.
func apiError(status int, code, field, format string, args ...any) *Error {
	kind := KindInvalid
	switch status {
	case http.StatusUnauthorized:
		kind = KindUnauthorized
	case http.StatusForbidden:
		kind = KindForbidden
	case http.StatusNotFound:
		kind = KindNotFound
	case http.StatusConflict:
		kind = KindConflict
	case http.StatusServiceUnavailable:
		kind = KindUnavailable
	}
	return &Error{Kind: kind, Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// decodeJSON reads the request body into v: application/json, one object,
// no unknown fields. Anything else is a 400 (or 415) naming the field at
// fault when there is one.
func decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return apiError(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "Content-Type",
			"Send the body as JSON with \"Content-Type: application/json\".")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil {
		return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body could not be read.")
	}
	if len(body) > maxAPIBody {
		return apiError(http.StatusRequestEntityTooLarge, codeBodyTooLarge, "", "The body is larger than %d bytes.", maxAPIBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body holds more than one JSON value.")
	}
	return nil
}

// jsonProblem turns a decoding error into a 400 that a developer can act on.
func jsonProblem(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body is empty; send a JSON object.")
	case errors.As(err, &syn):
		return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body must be a JSON object.")
		}
		return apiError(http.StatusBadRequest, codeInvalidJSON, typ.Field, "%s must be %s, not %s.", typ.Field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apiError(http.StatusBadRequest, codeInvalidJSON, field, "Unknown field %q.", field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body is not valid JSON (it ends too early).")
	}
	return apiError(http.StatusBadRequest, codeInvalidJSON, "", "The body is not valid JSON.")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a number"
}

// apiResult is Antom's result of the last call or notification.
type apiResult struct {
	ResultStatus  string `json:"resultStatus"`
	ResultCode    string `json:"resultCode"`
	ResultMessage string `json:"resultMessage,omitempty"`
}

func resultOf(status, code, message string) *apiResult {
	if status == "" && code == "" {
		return nil
	}
	return &apiResult{ResultStatus: status, ResultCode: code, ResultMessage: message}
}

// apiFlag is one flag with its explanation.
type apiFlag struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Meaning string `json:"meaning"`
	Action  string `json:"action"`
}

// apiPayment is a payment as the app API shows it: the server's truth.
type apiPayment struct {
	PaymentRequestID string       `json:"paymentRequestId"`
	PaymentID        string       `json:"paymentId,omitempty"`
	ReferenceOrderID string       `json:"referenceOrderId"`
	ReferenceBuyerID string       `json:"referenceBuyerId,omitempty"`
	OrderDescription string       `json:"orderDescription"`
	Amount           antom.Amount `json:"amount"`
	CaptureMode      string       `json:"captureMode"`
	TerminalType     string       `json:"terminalType"`
	OSType           string       `json:"osType,omitempty"`
	Sandbox          bool         `json:"sandbox"`
	Status           string       `json:"status"`
	// DisplayStatus is the status in words' stable key (store.DisplayWord.Key),
	// DisplayStatusText the words the dashboard shows.
	DisplayStatus     string       `json:"displayStatus"`
	DisplayStatusText string       `json:"displayStatusText"`
	Final             bool         `json:"final"`
	Result            *apiResult   `json:"result,omitempty"`
	CaptureState      string       `json:"captureState"`
	CapturedAmount    antom.Amount `json:"capturedAmount"`
	RefundedAmount    antom.Amount `json:"refundedAmount"`
	CardBrand         string       `json:"cardBrand,omitempty"`
	CardLast4         string       `json:"cardLast4,omitempty"`
	PaidAt            time.Time    `json:"paidAt,omitzero"`
	AuthExpiresAt     time.Time    `json:"authExpiresAt,omitzero"`
	SessionExpiresAt  time.Time    `json:"paymentSessionExpiryTime,omitzero"`
	NeedsAttention    bool         `json:"needsAttention"`
	Flags             []apiFlag    `json:"flags"`
	CreatedAt         time.Time    `json:"createdAt"`
	UpdatedAt         time.Time    `json:"updatedAt"`
	Version           int64        `json:"version"`
	// Card is the card, authorisation, acquirer and settlement details
	// (api_card.go); absent until Antom reports any, and in lists (the
	// store decodes them for one payment at a time).
	Card *apiCard `json:"card,omitempty"`
}

// apiCapture is one capture of a payment.
type apiCapture struct {
	CaptureRequestID string       `json:"captureRequestId"`
	CaptureID        string       `json:"captureId,omitempty"`
	Amount           antom.Amount `json:"amount"`
	Status           string       `json:"status"`
	Result           *apiResult   `json:"result,omitempty"`
	AcquirerRef      string       `json:"acquirerReferenceNo,omitempty"`
	CreatedAt        time.Time    `json:"createdAt"`
	CapturedAt       time.Time    `json:"capturedAt,omitzero"`
}

// apiRefund is one refund of a payment.
type apiRefund struct {
	RefundRequestID string       `json:"refundRequestId"`
	RefundID        string       `json:"refundId,omitempty"`
	Amount          antom.Amount `json:"amount"`
	Status          string       `json:"status"`
	Result          *apiResult   `json:"result,omitempty"`
	Reason          string       `json:"reason,omitempty"`
	CreatedAt       time.Time    `json:"createdAt"`
	RefundedAt      time.Time    `json:"refundedAt,omitzero"`
	ARN             string       `json:"arn,omitempty"`
	RRN             string       `json:"rrn,omitempty"`
}

// apiSDKEvent is one SDK event as the app reported it.
type apiSDKEvent struct {
	EventCode         string    `json:"eventCode"`
	PaymentResultCode string    `json:"paymentResultCode,omitempty"`
	Message           string    `json:"message,omitempty"`
	OccurredAt        time.Time `json:"occurredAt,omitzero"`
	ReceivedAt        time.Time `json:"receivedAt"`
}

// apiPaymentDetail is GET /api/v1/payments/{paymentRequestId}.
type apiPaymentDetail struct {
	apiPayment
	Captures  []apiCapture  `json:"captures"`
	Refunds   []apiRefund   `json:"refunds"`
	SDKEvents []apiSDKEvent `json:"sdkEvents"`
	// Failure is why a failed, cancelled or expired payment did not go
	// through; absent for any other payment.
	Failure *apiFailure `json:"failure,omitempty"`
}

// toAPIPayment is p as the app API shows it at now (the display status of
// a session past its expiry is Expired before the sweeper records it).
func toAPIPayment(p *store.Payment, now time.Time) apiPayment {
	flags := []apiFlag{}
	for _, f := range FlagExplanations(p.Flags) {
		flags = append(flags, apiFlag{Code: f.Code, Title: f.Title, Meaning: f.Meaning, Action: f.Action})
	}
	return apiPayment{
		PaymentRequestID:  p.PaymentRequestID,
		PaymentID:         p.PaymentID,
		ReferenceOrderID:  p.ReferenceOrderID,
		ReferenceBuyerID:  p.BuyerID,
		OrderDescription:  p.Description,
		Amount:            antom.NewAmount(p.AmountMinor, p.Currency),
		CaptureMode:       p.CaptureMode,
		TerminalType:      p.TerminalType,
		OSType:            p.OSType,
		Sandbox:           p.Sandbox,
		Status:            string(p.Status),
		DisplayStatus:     store.DisplayStatusOf(p, now).Word.Key(),
		DisplayStatusText: string(store.DisplayStatusOf(p, now).Word),
		Final:             p.Status.IsFinal(),
		Result:            resultOf(p.ResultStatus, p.ResultCode, p.ResultMessage),
		CaptureState:      string(p.CaptureState),
		CapturedAmount:    antom.NewAmount(p.CapturedMinor, p.Currency),
		RefundedAmount:    antom.NewAmount(p.RefundedMinor, p.Currency),
		CardBrand:         p.CardBrand,
		CardLast4:         p.CardLast4,
		PaidAt:            p.PaidAt,
		AuthExpiresAt:     p.AuthExpiresAt,
		SessionExpiresAt:  p.SessionExpiresAt,
		NeedsAttention:    p.Flags != 0,
		Flags:             flags,
		CreatedAt:         p.CreatedAt,
		UpdatedAt:         p.UpdatedAt,
		Version:           p.Version,
	}
}

func toAPIDetail(d *store.PaymentDetail, events []store.SDKEventRecord, now time.Time) apiPaymentDetail {
	out := apiPaymentDetail{apiPayment: toAPIPayment(&d.Payment, now),
		Captures: []apiCapture{}, Refunds: []apiRefund{}, SDKEvents: []apiSDKEvent{},
		Failure: failureOf(store.FailureInputOf(d, now))}
	// The card object comes with one payment, not in lists (whose rows do
	// not decode their details).
	out.Card = toAPICard(&d.Payment)
	for _, c := range d.Captures {
		out.Captures = append(out.Captures, apiCapture{
			CaptureRequestID: c.CaptureRequestID, CaptureID: c.CaptureID, Amount: antom.NewAmount(c.AmountMinor, c.Currency),
			Status: string(c.Status), Result: resultOf(c.ResultStatus, c.ResultCode, c.ResultMessage),
			AcquirerRef: c.AcquirerRef, CreatedAt: c.CreatedAt, CapturedAt: c.CapturedAt,
		})
	}
	for _, r := range d.Refunds {
		out.Refunds = append(out.Refunds, apiRefund{
			RefundRequestID: r.RefundRequestID, RefundID: r.RefundID, Amount: antom.NewAmount(r.AmountMinor, r.Currency),
			Status: string(r.Status), Result: resultOf(r.ResultStatus, r.ResultCode, r.ResultMessage),
			Reason: r.Reason, CreatedAt: r.CreatedAt, RefundedAt: r.RefundedAt, ARN: r.ARN, RRN: r.RRN,
		})
	}
	for _, e := range events {
		out.SDKEvents = append(out.SDKEvents, toAPISDKEvent(e))
	}
	return out
}

func toAPISDKEvent(e store.SDKEventRecord) apiSDKEvent {
	return apiSDKEvent{EventCode: e.EventCode, PaymentResultCode: e.PaymentResultCode, Message: e.Message,
		OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt}
}

// apiActor is the timeline and audit actor of the request's credential.
func apiActor(c echo.Context) string {
	cr := currentCredential(c)
	switch {
	case cr == nil:
		return "apikey:unknown"
	case cr.key != nil:
		return cr.key.Actor()
	}
	return clientSecretActor
}
