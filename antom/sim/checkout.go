package sim

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"paydesk/antom"
)

//go:embed templates/*.html
var templateFS embed.FS

func parseTemplates() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.html")
}

// formError is one field error on the checkout form.
type formError struct {
	Code string
	Text string
}

// checkoutData is the view model of the checkout pages.
type checkoutData struct {
	Action           string
	SessionData      string
	ClientSecret     string // the app's credential for SDK events, kept from page to page
	CheckoutURL      string
	Amount           string // e.g. "SGD 42.00"
	Description      string
	ReferenceOrderID string
	PaymentRequestID string
	Expires          string
	ThreeDS          bool
	Card             Card
	Errors           map[string]*formError // pointers: a missing field is nil, which templates treat as empty
	Cards            []TestCard
	Last4            string
	OTP              string
	TriesLeft        int
	MaxTries         int
	Title            string
	Retry            bool
	Outcome          PayOutcome
}

// messageData is the view model of a checkout error page.
type messageData struct {
	Title       string
	Message     string
	SDKEvent    string
	RedirectURL string
}

// sessionView reads what the checkout shows about a session opened with
// clientSecret.
func (s *Simulator) sessionView(sessionData, clientSecret string) (checkoutData, *payment, PayOutcome, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.bySession[sessionData]
	if p == nil {
		return checkoutData{}, nil, PayOutcome{}, false
	}
	d := checkoutData{
		SessionData:      sessionData,
		ClientSecret:     clientSecret,
		CheckoutURL:      s.checkoutURLFor(sessionData, clientSecret),
		Amount:           p.currency + " " + antom.FormatMinor(p.amount, p.currency),
		PaymentRequestID: p.requestID,
		Expires:          s.formatTime(p.expiry),
		ThreeDS:          p.threeDS,
		Cards:            TestCards(),
		OTP:              ThreeDSOTP,
		MaxTries:         maxChallengeTries,
	}
	if o := p.req.Order; o != nil {
		d.Description = o.OrderDescription
		d.ReferenceOrderID = o.ReferenceOrderID
	}
	if p.challenge != nil {
		d.Last4 = p.challenge.number[len(p.challenge.number)-4:]
		d.TriesLeft = p.challenge.triesLeft
	}
	return d, p, s.outcomeLocked(p), true
}

// handleCheckoutPage serves GET /checkout?sessionData=…[&clientSecret=…]:
// the card form, the pending 3DS challenge, or the result of a session
// already paid. The client secret, the app's credential, is kept in the
// forms and reports the buyer's SDK event.
func (s *Simulator) handleCheckoutPage(w http.ResponseWriter, r *http.Request) {
	sessionData := r.URL.Query().Get("sessionData")
	clientSecret := r.URL.Query().Get("clientSecret")
	if sessionData == "" {
		s.renderMessage(w, http.StatusBadRequest, messageData{Title: "No payment session", Message: "The checkout needs ?sessionData=<url-encoded paymentSessionData>.", SDKEvent: antom.SDKCreatePaymentParameterError})
		return
	}
	d, p, o, ok := s.sessionView(sessionData, clientSecret)
	if !ok {
		s.renderUnknownSession(w)
		return
	}
	now := s.clock.Now()
	switch {
	case o.Status != antom.PaymentProcessing:
		s.renderResult(w, d, o)
	case !now.Before(p.expiry):
		s.renderMessage(w, http.StatusGone, messageData{Title: "Session expired", Message: "This payment session expired at " + d.Expires + ". Ask the merchant for a new one.", SDKEvent: antom.SDKPaymentError, RedirectURL: o.RedirectURL})
	case o.Challenge:
		s.renderChallenge(w, http.StatusOK, d, nil)
	default:
		s.renderForm(w, http.StatusOK, d, Card{}, nil)
	}
}

// handleCheckoutSubmit serves POST /checkout: a card submission or the
// buyer's cancel.
func (s *Simulator) handleCheckoutSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, http.StatusBadRequest, messageData{Title: "Bad form", Message: "The form could not be read.", SDKEvent: antom.SDKPaymentError})
		return
	}
	sessionData := r.PostForm.Get("sessionData")
	card := Card{
		Number: r.PostForm.Get("cardNumber"),
		Expiry: r.PostForm.Get("expiry"),
		CVC:    r.PostForm.Get("cvc"),
		Holder: r.PostForm.Get("holder"),
		// The app's credential, kept from the checkout URL.
		ClientSecret: r.PostForm.Get("clientSecret"),
	}
	var o PayOutcome
	var err error
	if r.PostForm.Get("action") == "cancel" {
		o, err = s.buyerCancel(r.Context(), sessionData, card.ClientSecret)
	} else {
		o, err = s.submit(r.Context(), sessionData, card.ClientSecret, func(p *payment, now time.Time) PayOutcome {
			return s.submitCardLocked(p, card, now)
		})
	}
	s.afterSubmit(w, sessionData, card, o, err)
}

// handleChallengeSubmit serves POST /checkout/3ds: the buyer's OTP.
func (s *Simulator) handleChallengeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderMessage(w, http.StatusBadRequest, messageData{Title: "Bad form", Message: "The form could not be read.", SDKEvent: antom.SDKPaymentError})
		return
	}
	sessionData := r.PostForm.Get("sessionData")
	card := Card{ClientSecret: r.PostForm.Get("clientSecret")}
	var o PayOutcome
	var err error
	if r.PostForm.Get("action") == "cancel" {
		o, err = s.CancelChallenge(r.Context(), sessionData, card.ClientSecret)
	} else {
		o, err = s.answerChallenge(r.Context(), sessionData, r.PostForm.Get("otp"), card.ClientSecret)
	}
	s.afterSubmit(w, sessionData, card, o, err)
}

func (s *Simulator) afterSubmit(w http.ResponseWriter, sessionData string, card Card, o PayOutcome, err error) {
	d, _, _, ok := s.sessionView(sessionData, card.ClientSecret)
	switch {
	case errors.Is(err, ErrStateNotSaved):
		s.renderMessage(w, http.StatusServiceUnavailable, messageData{Title: "Try again", Message: "The payment service could not record this step. Go back and submit again.", SDKEvent: antom.SDKPaymentError})
	case errors.Is(err, ErrUnknownSession) || !ok:
		s.renderUnknownSession(w)
	case errors.Is(err, ErrSessionExpired):
		s.renderMessage(w, http.StatusGone, messageData{Title: "Session expired", Message: o.ResultMessage + ". Ask the merchant for a new one.", SDKEvent: antom.SDKPaymentError, RedirectURL: o.RedirectURL})
	case errors.Is(err, ErrPaymentFinal):
		s.renderResult(w, d, o)
	case o.Challenge:
		s.renderChallenge(w, statusFor(o), d, o.FormErrors)
	case o.SDKEvent == antom.SDKFormVerificationFailed:
		s.renderForm(w, http.StatusUnprocessableEntity, d, card, o.FormErrors)
	case o.Status == antom.PaymentProcessing && o.SDKEvent == "":
		// A challenge answered after it was withdrawn: show the form again.
		s.renderForm(w, http.StatusOK, d, Card{}, nil)
	default:
		s.renderResult(w, d, o)
	}
}

func statusFor(o PayOutcome) int {
	if len(o.FormErrors) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

func withErrors(errs map[string]string) map[string]*formError {
	out := map[string]*formError{}
	for f, code := range errs {
		out[f] = &formError{Code: code, Text: formErrorText(code)}
	}
	return out
}

func (s *Simulator) renderForm(w http.ResponseWriter, status int, d checkoutData, c Card, errs map[string]string) {
	d.Action = "/checkout"
	d.Card = Card{Number: c.Number, Expiry: c.Expiry, Holder: c.Holder} // never echo the CVC
	d.Errors = withErrors(errs)
	s.render(w, status, "checkout", d)
}

func (s *Simulator) renderChallenge(w http.ResponseWriter, status int, d checkoutData, errs map[string]string) {
	d.Action = "/checkout/3ds"
	d.Errors = withErrors(errs)
	s.render(w, status, "challenge", d)
}

func (s *Simulator) renderResult(w http.ResponseWriter, d checkoutData, o PayOutcome) {
	d.Outcome = o
	switch o.SDKEvent {
	case antom.SDKPaymentSuccessful:
		d.Title = "Payment successful"
	case antom.SDKPaymentProcessing:
		d.Title = "Payment is being processed"
	case antom.SDKPaymentFail:
		d.Title = "Payment failed"
	case antom.SDKPaymentCancel:
		d.Title = "Payment cancelled"
		d.Retry = true
	default:
		d.Title = "Payment " + strings.ToLower(o.Status)
		if o.SDKEvent == "" {
			d.Outcome.SDKEvent = antom.SDKPaymentError
		}
	}
	s.render(w, http.StatusOK, "result", d)
}

func (s *Simulator) renderUnknownSession(w http.ResponseWriter) {
	s.renderMessage(w, http.StatusNotFound, messageData{Title: "Unknown payment session", Message: "No payment session has this paymentSessionData. Check that it was URL-encoded in full.", SDKEvent: antom.SDKCreatePaymentParameterError})
}

func (s *Simulator) renderMessage(w http.ResponseWriter, status int, m messageData) {
	s.render(w, status, "message", m)
}

// render executes a template into a buffer first, so a failed render never
// sends half a page.
func (s *Simulator) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("sim: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The page's URL may carry the app's client secret: links out of it
	// (back to the merchant) must not pass it on.
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
