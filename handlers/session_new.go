package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/layout"
	"paydesk/views/pages"
	"paydesk/views/paths"
)

// sessionCurrencies are the currencies of Antom's published table (protocol
// section 9), offered by the form and the payments filter.
var sessionCurrencies = []string{
	"AUD", "BDT", "BRL", "CAD", "CLP", "CNY", "EUR", "GBP", "HKD", "IDR", "JPY", "KRW",
	"MXN", "MYR", "NZD", "PEN", "PHP", "PKR", "PLN", "SGD", "THB", "TWD", "USD", "VND",
}

// Limits of the session form's fields (protocol section 5.1).
const (
	maxIDLength          = 64
	maxDescriptionLength = 256
)

// sessionFormFields are the form's input names, which are also the store's
// FieldError names.
var sessionFormFields = []string{"amount", "currency", "description", "referenceOrderId", "buyerId", "captureMode"}

// sessionForm is the new-session form as posted.
type sessionForm struct {
	Amount           string
	Currency         string
	Description      string
	ReferenceOrderID string
	BuyerID          string
	CaptureMode      string
	ThreeDS          bool
	FormToken        string // idempotency token of this form instance
}

func parseSessionForm(c echo.Context) sessionForm {
	return sessionForm{
		Amount:           strings.TrimSpace(c.FormValue("amount")),
		Currency:         strings.ToUpper(strings.TrimSpace(c.FormValue("currency"))),
		Description:      strings.TrimSpace(c.FormValue("description")),
		ReferenceOrderID: strings.TrimSpace(c.FormValue("referenceOrderId")),
		BuyerID:          strings.TrimSpace(c.FormValue("buyerId")),
		CaptureMode:      c.FormValue("captureMode"),
		ThreeDS:          c.FormValue("threeDS") == "true",
		FormToken:        validFormToken(c.FormValue("formToken")),
	}
}

// validFormToken returns t when it looks like a token newFormToken made, and
// "" otherwise (an absent or forged token only loses the double-submit guard).
func validFormToken(t string) string {
	if len(t) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(t); err != nil {
		return ""
	}
	return t
}

// newFormToken identifies one showing of the new-session form.
func newFormToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// formTokenOr keeps the token of a form shown again with errors, so fixing
// the errors and submitting twice still makes one payment.
func formTokenOr(t string) string {
	if t != "" {
		return t
	}
	return newFormToken()
}

// validate checks the form and returns the amount in minor units; errs maps
// form field names to messages. Nothing is stored when errs is not empty.
func (f sessionForm) validate() (minor int64, errs map[string]string) {
	errs = map[string]string{}
	if !slices.Contains(sessionCurrencies, f.Currency) {
		errs["currency"] = "Choose one of the listed currencies."
	} else {
		m, err := antom.ParseMajor(f.Amount, f.Currency)
		if err != nil {
			errs["amount"] = sentence(err.Error())
		}
		minor = m
	}
	if msg := asciiProblem(f.Description, maxDescriptionLength); f.Description == "" {
		errs["description"] = "Enter a description."
	} else if msg != "" {
		errs["description"] = msg
	}
	if msg := asciiProblem(f.ReferenceOrderID, maxIDLength); msg != "" {
		errs["referenceOrderId"] = msg
	}
	if msg := asciiProblem(f.BuyerID, maxIDLength); msg != "" {
		errs["buyerId"] = msg
	}
	if f.CaptureMode != antom.CaptureAutomatic && f.CaptureMode != antom.CaptureManual {
		errs["captureMode"] = "Choose automatic or manual capture."
	}
	return minor, errs
}

// asciiProblem explains why s is not acceptable to Antom in an ID or a
// description (the seed's FAQ: no Chinese or other non-ASCII characters), or
// returns "".
func asciiProblem(s string, max int) string {
	if n := utf8.RuneCountInString(s); len(s) > max {
		return fmt.Sprintf("At most %d characters (this has %d).", max, n)
	}
	for i, r := range s {
		if r < 0x20 || r > 0x7e {
			return fmt.Sprintf("Use printable ASCII only: %q at position %d is not (Antom rejects non-ASCII characters here).", r, utf8.RuneCountInString(s[:i])+1)
		}
	}
	return ""
}

// SessionNew handles the "GET /sessions/new" route: the test-session form.
func (h *Handlers) SessionNew(c echo.Context) error {
	vm := h.sessionFormView(c, sessionForm{Currency: "SGD", CaptureMode: antom.CaptureAutomatic, Description: "Paydesk test order"}, nil, "")
	return render(c, http.StatusOK, pages.SessionNew(h.page(c, "New test session", layout.NavNewSession), vm))
}

// SessionCreate handles the "POST /sessions/new" route: validate, persist the
// payment as CREATED (its paymentRequestId is durable before Antom is
// called), call createPaymentSession, record the outcome and go to the
// payment's page. An unknown outcome (U or a timeout) leaves the payment
// CREATED and flagged; the poller or the "Retry" button repeats the call with
// the same paymentRequestId.
func (h *Handlers) SessionCreate(c echo.Context) error {
	f := parseSessionForm(c)
	minor, errs := f.validate()
	if len(errs) > 0 {
		return h.sessionFormFailed(c, f, errs, "")
	}
	a := h.auditContext(c)
	orderID, idemKey := f.ReferenceOrderID, ""
	if f.FormToken != "" {
		// A double submit of the same form finds the payment the first
		// submit created instead of making a second one.
		idemKey = "form:" + a.Actor + ":" + f.FormToken
		if orderID == "" {
			orderID = "order_" + f.FormToken[:16]
		}
	}
	if orderID == "" {
		orderID = newOrderID()
	}
	p, err := h.Store.CreatePayment(c.Request().Context(), store.NewPayment{
		IdempotencyKey:   idemKey,
		ReferenceOrderID: orderID,
		BuyerID:          f.BuyerID,
		Description:      f.Description,
		AmountMinor:      minor,
		Currency:         f.Currency,
		CaptureMode:      f.CaptureMode,
		ThreeDS:          f.ThreeDS,
		TerminalType:     "WEB",
		NotifyURL:        h.NotifyURL,
		RedirectURL:      redirectURL(h.RedirectURL, orderID),
		Sandbox:          h.Sandbox,
		CreatedBy:        a.Actor,
	})
	var fe *store.FieldError
	switch {
	case errors.As(err, &fe) && slices.Contains(sessionFormFields, fe.Field):
		return h.sessionFormFailed(c, f, map[string]string{fe.Field: sentence(fe.Message)}, "")
	case errors.Is(err, store.ErrConflict) && idemKey != "":
		f.FormToken = ""
		return h.sessionFormFailed(c, f, nil, "This form was already submitted with other values; the new form below makes a new session.")
	case errors.As(err, &fe):
		// notifyUrl, redirectUrl: configuration, not the form.
		return h.sessionFormFailed(c, f, nil, "The server's Antom settings are not valid: "+fe.Field+" "+fe.Message+".")
	case err != nil:
		return err
	}
	if p.Status != store.StatusCreated || p.ResultStatus != "" {
		h.flash(c, flashInfo, "This form was already submitted; here is the session it created.")
		return redirect(c, paths.Payment(p.PaymentRequestID))
	}
	if err := h.auditPayment(c, "payment.session_create", p.PaymentRequestID, nil, map[string]any{
		"amount": antom.NewAmount(minor, f.Currency), "referenceOrderId": orderID, "captureMode": f.CaptureMode}); err != nil {
		return err
	}
	p, err = h.Operations.CreateSession(c.Request().Context(), p)
	if err != nil {
		return err
	}
	switch p.Status {
	case store.StatusSessionReady:
		h.flash(c, flashSuccess, "Session created.")
	case store.StatusSessionFailed:
		h.flash(c, flashError, "Antom refused the session: "+resultText(p.ResultStatus, p.ResultCode, p.ResultMessage))
	default:
		h.flash(c, flashInfo, "Antom did not confirm the session yet; it is retried with the same paymentRequestId.")
	}
	return redirect(c, paths.Payment(p.PaymentRequestID))
}

// sessionFormFailed shows the form again with inline errors (422).
func (h *Handlers) sessionFormFailed(c echo.Context, f sessionForm, errs map[string]string, formErr string) error {
	vm := h.sessionFormView(c, f, errs, formErr)
	return render(c, http.StatusUnprocessableEntity, pages.SessionNew(h.page(c, "New test session", layout.NavNewSession), vm))
}

// sessionFormView builds the form's view model.
func (h *Handlers) sessionFormView(c echo.Context, f sessionForm, errs map[string]string, formErr string) pages.SessionForm {
	opts := make([]pages.Option, 0, len(sessionCurrencies))
	for _, cur := range sessionCurrencies {
		opts = append(opts, pages.Option{Value: cur, Label: cur, Selected: cur == f.Currency})
	}
	if errs == nil {
		errs = map[string]string{}
	}
	return pages.SessionForm{
		ActionURL:        paths.NewSession,
		CSRFToken:        csrfToken(c),
		FormToken:        formTokenOr(f.FormToken),
		Amount:           f.Amount,
		Currency:         f.Currency,
		Currencies:       opts,
		Description:      f.Description,
		ReferenceOrderID: f.ReferenceOrderID,
		BuyerID:          f.BuyerID,
		CaptureMode:      f.CaptureMode,
		ThreeDS:          f.ThreeDS,
		Errors:           errs,
		FormError:        formErr,
		Simulator:        h.Simulated,
	}
}

// redirectURL is where the test checkout sends the buyer back:
// Deps.RedirectURL (the dashboard's payments list) searched for the order,
// which opens the payment when it is the order's only attempt. An empty base
// sends no paymentRedirectUrl.
func redirectURL(base, orderID string) string {
	u, err := url.Parse(base)
	if base == "" || err != nil {
		return base
	}
	q := u.Query()
	q.Set("q", orderID)
	u.RawQuery = q.Encode()
	return u.String()
}

// newOrderID mints a referenceOrderId for a test session left without one.
func newOrderID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "order_" + hex.EncodeToString(b)
}
