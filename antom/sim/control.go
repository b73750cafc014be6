package sim

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"paydesk/antom"
)

// PaymentView is the simulator's record of one payment, as the control API
// shows it.
type PaymentView struct {
	PaymentRequestID string                   `json:"paymentRequestId"`
	PaymentID        string                   `json:"paymentId"`
	ReferenceOrderID string                   `json:"referenceOrderId,omitempty"`
	Amount           antom.Amount             `json:"amount"`
	CaptureMode      string                   `json:"captureMode"`
	ThreeDS          bool                     `json:"threeDS"`
	Status           string                   `json:"status"`
	ResultCode       string                   `json:"resultCode,omitempty"`
	ResultMessage    string                   `json:"resultMessage,omitempty"`
	SessionData      string                   `json:"sessionData"`
	SessionExpiry    time.Time                `json:"sessionExpiry"`
	SessionExpired   bool                     `json:"sessionExpired"`
	CheckoutURL      string                   `json:"checkoutUrl"`
	NotifyURL        string                   `json:"notifyUrl,omitempty"`
	RedirectURL      string                   `json:"redirectUrl"`
	CreatedAt        time.Time                `json:"createdAt"`
	OrderCloseAt     time.Time                `json:"orderCloseAt"`
	PaymentTime      time.Time                `json:"paymentTime,omitzero"`
	AuthExpiry       time.Time                `json:"authExpiry,omitzero"`
	CancelTime       time.Time                `json:"cancelTime,omitzero"`
	Challenge        bool                     `json:"challenge"` // a 3DS challenge waits for its OTP
	Card             *antom.PaymentResultInfo `json:"card,omitempty"`
	Captured         int64                    `json:"captured"` // minor units
	Refunded         int64                    `json:"refunded"` // minor units
	Captures         []CaptureView            `json:"captures"`
	Refunds          []RefundView             `json:"refunds"`
	SDKEvents        []SDKEvent               `json:"sdkEvents"`
}

// CaptureView is one capture of a payment.
type CaptureView struct {
	CaptureRequestID string       `json:"captureRequestId"`
	CaptureID        string       `json:"captureId"`
	Amount           antom.Amount `json:"amount"`
	Time             time.Time    `json:"time"`
	Automatic        bool         `json:"automatic"`
}

// RefundView is one refund of a payment.
type RefundView struct {
	RefundRequestID string       `json:"refundRequestId"`
	RefundID        string       `json:"refundId"`
	Amount          antom.Amount `json:"amount"`
	Time            time.Time    `json:"time"`
	NotifyURL       string       `json:"notifyUrl,omitempty"`
}

// Payments returns every payment, oldest first.
func (s *Simulator) Payments() []PaymentView {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := make([]PaymentView, 0, len(s.order))
	for _, p := range s.order {
		out = append(out, s.viewLocked(p, now))
	}
	return out
}

// Payment returns one payment by paymentRequestId.
func (s *Simulator) Payment(paymentRequestID string) (PaymentView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[paymentRequestID]
	if p == nil {
		return PaymentView{}, false
	}
	return s.viewLocked(p, s.clock.Now()), true
}

func (s *Simulator) viewLocked(p *payment, now time.Time) PaymentView {
	v := PaymentView{
		PaymentRequestID: p.requestID,
		PaymentID:        p.paymentID,
		Amount:           *p.amountWire(),
		CaptureMode:      p.captureMode,
		ThreeDS:          p.threeDS,
		Status:           p.status,
		ResultCode:       p.resultCode,
		ResultMessage:    p.resultMessage,
		SessionData:      p.sessionData,
		SessionExpiry:    p.expiry,
		SessionExpired:   !now.Before(p.expiry),
		CheckoutURL:      s.CheckoutURL(p.sessionData),
		NotifyURL:        p.notifyURL,
		RedirectURL:      p.redirectURL,
		CreatedAt:        p.createdAt,
		OrderCloseAt:     p.createdAt.Add(s.cfg.OrderClose),
		PaymentTime:      p.paymentTime,
		AuthExpiry:       p.authExpiry,
		CancelTime:       p.cancelTime,
		Challenge:        p.challenge != nil,
		Captured:         p.captured,
		Refunded:         p.refunded,
		Captures:         []CaptureView{},
		Refunds:          []RefundView{},
		SDKEvents:        append([]SDKEvent{}, p.sdkEvents...),
	}
	if p.req.Order != nil {
		v.ReferenceOrderID = p.req.Order.ReferenceOrderID
	}
	if p.card != nil {
		c := *p.card
		v.Card = &c
	}
	for _, c := range p.captures {
		v.Captures = append(v.Captures, CaptureView{CaptureRequestID: c.requestID, CaptureID: c.captureID, Amount: antom.NewAmount(c.amount, c.currency), Time: c.at, Automatic: c.auto})
	}
	for _, r := range p.refunds {
		v.Refunds = append(v.Refunds, RefundView{RefundRequestID: r.requestID, RefundID: r.refundID, Amount: antom.NewAmount(r.amount, r.currency), Time: r.at, NotifyURL: r.notifyURL})
	}
	return v
}

// --- control API handlers ---

func controlJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type controlError struct {
	Error string `json:"error"`
}

// handleFaultsGet serves GET /sim/faults.
func (s *Simulator) handleFaultsGet(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, s.Faults())
}

// sameSiteJSON guards the control API's state changes against requests a
// web page on another site makes the browser send: they must declare
// application/json (which a cross-site form or a "simple" fetch cannot
// send without a preflight the simulator never grants) and must not come
// from another origin (Sec-Fetch-Site, Origin). curl and test clients send
// neither header; they only need the Content-Type.
func sameSiteJSON(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none":
		default:
			controlJSON(w, http.StatusForbidden, controlError{"cross-site requests to the control API are refused"})
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			if u, err := url.Parse(o); err != nil || u.Host != r.Host {
				controlJSON(w, http.StatusForbidden, controlError{"requests from another origin (" + o + ") to the control API are refused"})
				return
			}
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			controlJSON(w, http.StatusUnsupportedMediaType, controlError{"send the body as JSON with Content-Type: application/json"})
			return
		}
		next(w, r)
	}
}

// handleFaultsPut serves PUT /sim/faults: the body replaces every fault
// (missing fields are off).
func (s *Simulator) handleFaultsPut(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		controlJSON(w, http.StatusBadRequest, controlError{"the body could not be read"})
		return
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		controlJSON(w, http.StatusBadRequest, controlError{"the body is not a JSON object: " + err.Error()})
		return
	}
	known := []string{"duplicate", "reorder", "notifyDelay", "failFirst", "dropFirst", "corruptSignature", "wrongAmount",
		"requestTimeSkew", "requestTimeFormat", "apiUnknown", "apiUnknownProcessed", "apiDelay", "apiHttp5xx", "apis"}
	for k := range keys {
		if !slices.Contains(known, k) {
			controlJSON(w, http.StatusBadRequest, controlError{"unknown fault " + strconv.Quote(k) + "; known: " + jsonList(known)})
			return
		}
	}
	var f Faults
	if err := json.Unmarshal(body, &f); err != nil {
		controlJSON(w, http.StatusBadRequest, controlError{err.Error()})
		return
	}
	if err := f.Validate(); err != nil {
		controlJSON(w, http.StatusBadRequest, controlError{err.Error()})
		return
	}
	s.SetFaults(f)
	s.log.Info("sim: faults set", "faults", string(mustJSON(f)))
	controlJSON(w, http.StatusOK, s.Faults())
}

func jsonList(items []string) string {
	return string(mustJSON(items))
}

// payRequest is the body of POST /sim/pay.
type payRequest struct {
	SessionData      string `json:"sessionData"`
	PaymentRequestID string `json:"paymentRequestId"`
	Card
}

type payResponse struct {
	PayOutcome
	Error string `json:"error,omitempty"`
}

// handlePay serves POST /sim/pay: Pay through the control API.
func (s *Simulator) handlePay(w http.ResponseWriter, r *http.Request) {
	var req payRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		controlJSON(w, http.StatusBadRequest, controlError{"the body must be a JSON object with sessionData or paymentRequestId, and cardNumber: " + err.Error()})
		return
	}
	if req.SessionData == "" && req.PaymentRequestID == "" {
		controlJSON(w, http.StatusBadRequest, controlError{"sessionData or paymentRequestId is required"})
		return
	}
	var o PayOutcome
	var err error
	if req.SessionData != "" {
		o, err = s.Pay(r.Context(), req.SessionData, req.Card)
	} else {
		o, err = s.PayByRequestID(r.Context(), req.PaymentRequestID, req.Card)
	}
	status := http.StatusOK
	switch {
	case errors.Is(err, ErrUnknownSession):
		status = http.StatusNotFound
	case errors.Is(err, ErrSessionExpired):
		status = http.StatusGone
	case errors.Is(err, ErrPaymentFinal):
		status = http.StatusConflict
	case errors.Is(err, ErrStateNotSaved):
		status = http.StatusServiceUnavailable
	case len(o.FormErrors) > 0:
		status = http.StatusUnprocessableEntity
	}
	resp := payResponse{PayOutcome: o}
	if err != nil {
		resp.Error = err.Error()
	}
	controlJSON(w, status, resp)
}

// handlePayments serves GET /sim/payments.
func (s *Simulator) handlePayments(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, s.Payments())
}

// handlePayment serves GET /sim/payments/{paymentRequestId}.
func (s *Simulator) handlePayment(w http.ResponseWriter, r *http.Request) {
	v, ok := s.Payment(r.PathValue("paymentRequestId"))
	if !ok {
		controlJSON(w, http.StatusNotFound, controlError{errNoPayment.Error()})
		return
	}
	controlJSON(w, http.StatusOK, v)
}

// handleDeliveriesJSON serves GET /sim/deliveries.json: every attempt,
// oldest first.
func (s *Simulator) handleDeliveriesJSON(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, s.Deliveries())
}

type pendingRow struct {
	ID, NotifyType, Subject, URL, State, Due string
	NextAttempt                              int
}

type attemptRow struct {
	DeliveryAttempt
	At, Due string
}

// handleDeliveriesPage serves GET /sim/deliveries: the delivery log as HTML.
func (s *Simulator) handleDeliveriesPage(w http.ResponseWriter, r *http.Request) {
	var data struct {
		Pending  []pendingRow
		Attempts []attemptRow
	}
	s.mu.Lock()
	for _, d := range s.deliveries {
		if d.state == deliveryAcked || d.state == deliveryGaveUp {
			continue
		}
		row := pendingRow{ID: d.id, NotifyType: d.notifyType, Subject: d.subjectID, URL: d.url, State: d.state, NextAttempt: d.attempts + 1}
		if d.state == deliveryScheduled {
			row.Due = s.formatTime(d.next)
		}
		data.Pending = append(data.Pending, row)
	}
	for i := len(s.attempts) - 1; i >= 0; i-- {
		a := s.attempts[i]
		data.Attempts = append(data.Attempts, attemptRow{DeliveryAttempt: a, At: s.formatTime(a.At), Due: s.formatTime(a.Due)})
	}
	s.mu.Unlock()
	slices.SortFunc(data.Pending, func(a, b pendingRow) int {
		return cmpNumericID(a.ID, b.ID)
	})
	s.render(w, http.StatusOK, "deliveries", data)
}

// cmpNumericID orders delivery IDs ("d12") by their number.
func cmpNumericID(a, b string) int {
	na, _ := strconv.Atoi(a[1:])
	nb, _ := strconv.Atoi(b[1:])
	return na - nb
}

type indexRow struct {
	Created, PaymentRequestID, Amount, CaptureMode, Status, ResultCode, CheckoutURL string
	ThreeDS, Payable                                                                bool
}

// handleIndex serves GET /sim/: what the simulator is and its payments.
func (s *Simulator) handleIndex(w http.ResponseWriter, r *http.Request) {
	base := s.public
	if base == "" {
		base = "http://" + r.Host
	}
	var data struct {
		ClientID, Base, Now string
		Payments            []indexRow
	}
	data.ClientID = s.cfg.ClientID
	data.Base = base
	now := s.clock.Now()
	data.Now = s.formatTime(now)
	for _, v := range slices.Backward(s.Payments()) {
		data.Payments = append(data.Payments, indexRow{
			Created:          s.formatTime(v.CreatedAt),
			PaymentRequestID: v.PaymentRequestID,
			Amount:           v.Amount.Currency + " " + antom.FormatMinor(mustMinor(v.Amount), v.Amount.Currency),
			CaptureMode:      v.CaptureMode,
			Status:           v.Status,
			ResultCode:       v.ResultCode,
			CheckoutURL:      v.CheckoutURL,
			ThreeDS:          v.ThreeDS,
			Payable:          v.Status == antom.PaymentProcessing && !v.SessionExpired,
		})
	}
	s.render(w, http.StatusOK, "index", data)
}

func mustMinor(a antom.Amount) int64 {
	n, _ := a.Minor()
	return n
}
