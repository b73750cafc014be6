package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// apiSDKEventRequest is the body of POST /api/v1/payments/{id}/sdk-events:
// an onEventCallback event as the app received it.
type apiSDKEventRequest struct {
	EventCode         string `json:"eventCode"`
	PaymentResultCode string `json:"paymentResultCode"`
	Message           string `json:"message"`
	OccurredAt        string `json:"occurredAt"`
	// When is accepted as another name of occurredAt (the simulator's
	// hosted checkout sends it).
	When string `json:"when"`
}

// apiSDKEventAnswer is the answer: the event as recorded, and the server's
// truth about the payment right after it (status and flags).
type apiSDKEventAnswer struct {
	Event     apiSDKEvent `json:"event"`
	Duplicate bool        `json:"duplicate"`
	Payment   apiPayment  `json:"payment"`
}

// APISDKEventCreate handles the "POST /api/v1/payments/:id/sdk-events"
// route: the app reports what the client SDK showed the buyer. The event
// joins the payment's timeline and is compared with the server's status
// (disagreement flags, an inquiry when it helps). 201 when recorded, 200
// when the same event (code, paymentResultCode, occurredAt) was already.
// The payment's client secret (the app) or the key that created it (the
// backend) may report; for anyone else the payment does not exist.
func (h *Handlers) APISDKEventCreate(c echo.Context) error {
	id := idParam(c, "id")
	if err := h.authorizePayment(c, id, true); err != nil {
		return err
	}
	var req apiSDKEventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	at, err := req.occurred()
	if err != nil {
		return err
	}
	r, err := h.Store.ReportSDKEvent(c.Request().Context(), id, store.SDKEvent{
		EventCode: req.EventCode, PaymentResultCode: req.PaymentResultCode, Message: req.Message,
		At: at, Actor: apiActor(c),
	})
	var fe *store.FieldError
	switch {
	case errors.As(err, &fe) && fe.Field == "eventCode" && req.EventCode != "":
		return apiError(http.StatusUnprocessableEntity, codeUnknownEventCode, "eventCode",
			"eventCode %.80q is not one of the client SDK's codes: %s.", req.EventCode, strings.Join(sdkCodeNames(), ", "))
	case errors.As(err, &fe):
		return apiError(http.StatusUnprocessableEntity, codeValidationFailed, fe.Field, "%s %s", fe.Field, fe.Message)
	case errors.Is(err, store.ErrNotFound):
		return errPaymentNotFound(id)
	case err != nil:
		return err
	}
	status := http.StatusCreated
	if r.Duplicate {
		status = http.StatusOK
	}
	return c.JSON(status, apiSDKEventAnswer{Event: toAPISDKEvent(r.Event), Duplicate: r.Duplicate, Payment: toAPIPayment(r.Payment, h.Now())})
}

// occurred parses occurredAt (or its alias when) as RFC 3339.
func (r apiSDKEventRequest) occurred() (time.Time, error) {
	parse := func(field, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, apiError(http.StatusUnprocessableEntity, codeValidationFailed, field,
				"%s must be an RFC 3339 time such as 2025-03-01T10:00:03Z or 2025-03-01T18:00:03+08:00.", field)
		}
		return t, nil
	}
	at, err := parse("occurredAt", r.OccurredAt)
	if err != nil {
		return at, err
	}
	when, err := parse("when", r.When)
	if err != nil {
		return at, err
	}
	switch {
	case at.IsZero():
		at = when
	case !when.IsZero() && !when.Equal(at):
		return at, apiError(http.StatusUnprocessableEntity, codeValidationFailed, "when", "when and occurredAt name the same time; send one of them.")
	}
	if at.Year() <= 1 { // Go's zero time, as a client may serialise "no time"
		return time.Time{}, nil
	}
	return at, nil
}

// sdkCodeNames lists every SDK event code, in the seed's order.
func sdkCodeNames() []string {
	codes := store.SDKCodes()
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Code
	}
	return out
}

// errPaymentNotFound is the API's 404 for a paymentRequestId.
func errPaymentNotFound(id string) error {
	return apiError(http.StatusNotFound, codePaymentNotFound, "paymentRequestId", "No payment has paymentRequestId %.80q.", id)
}
