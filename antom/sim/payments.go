package sim

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"math/big"
	"time"

	"paydesk/antom"
)

// payment is one paymentRequestId: its session, its card attempt and its
// captures, refunds and cancel. Guarded by Simulator.mu.
type payment struct {
	requestID   string
	paymentID   string
	req         antom.CreatePaymentSessionRequest
	amount      int64
	currency    string
	value       string
	captureMode string
	threeDS     bool
	// settlementCurrency is the currency the merchant settles this payment
	// in; settlement fields are sent when it differs from currency.
	settlementCurrency string
	notifyURL          string
	redirectURL        string
	sessionData        string
	sessionID          string
	expiry             time.Time // session expiry
	createdAt          time.Time

	status        string // antom.PaymentProcessing, PaymentPending, PaymentSuccess, PaymentFail, PaymentCancelled
	resultCode    string
	resultMessage string
	paymentTime   time.Time
	authExpiry    time.Time
	cancelTime    time.Time
	cancelResp    []byte
	card          *antom.PaymentResultInfo
	challenge     *challenge

	captured    int64
	lastCapture bool
	refunded    int64
	captures    []*capture
	refunds     []*refund
	sdkEvents   []SDKEvent

	rev    uint64 // counts changes, for the state file's encoding cache
	enc    []byte // the payment's JSON in the state file, as of encRev
	encRev uint64
}

// final reports whether the payment can no longer be paid.
func (p *payment) final() bool {
	return p.status == antom.PaymentSuccess || p.status == antom.PaymentFail || p.status == antom.PaymentCancelled
}

func (p *payment) amountWire() *antom.Amount {
	return &antom.Amount{Currency: p.currency, Value: p.value}
}

type capture struct {
	requestID string
	captureID string
	paymentID string
	amount    int64
	currency  string
	at        time.Time
	auto      bool
}

type refund struct {
	requestID   string
	refundID    string
	referenceID string
	paymentID   string
	captureID   string
	reason      string
	amount      int64
	currency    string
	notifyURL   string
	at          time.Time
}

// wireAmount is the capture's amount in Antom's wire form.
func (c *capture) wireAmount() *antom.Amount {
	a := antom.NewAmount(c.amount, c.currency)
	return &a
}

// wireAmount is the refund's amount in Antom's wire form.
func (r *refund) wireAmount() *antom.Amount {
	a := antom.NewAmount(r.amount, r.currency)
	return &a
}

// idemEntry is what a request ID reached (section 8): the fingerprint of its
// key parameters and the exact answer body.
type idemEntry struct {
	fingerprint string
	body        []byte
}

// newIDLocked returns a fresh ~35-digit numeric ID shaped like Antom's
// (section 5): the date, a fixed marker and 21 random digits.
func (s *Simulator) newIDLocked(now time.Time) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic("sim: crypto/rand failed: " + err.Error())
		}
		digits := n.String()
		for len(digits) < 21 {
			digits = "0" + digits
		}
		id := now.In(s.loc).Format("20060102") + "194010" + digits
		if !s.ids[id] {
			s.ids[id] = true
			s.idOrd = append(s.idOrd, id)
			return id
		}
	}
}

func randomB64(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("sim: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// --- createPaymentSession (5.1) ---

type sessionResponse struct {
	Result                   antom.Result `json:"result"`
	PaymentSessionData       string       `json:"paymentSessionData"`
	PaymentSessionExpiryTime string       `json:"paymentSessionExpiryTime"`
	PaymentSessionID         string       `json:"paymentSessionId"`
	NormalURL                string       `json:"normalUrl,omitempty"`
}

func (s *Simulator) apiCreateSession(body []byte) []byte {
	var req antom.CreatePaymentSessionRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	in, err := validateSession(&req)
	if err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	fp := "session|" + req.PaymentAmount.Currency + "|" + req.PaymentAmount.Value + "|" + req.PaymentMethod.PaymentMethodID
	key := "createPaymentSession|" + req.PaymentRequestID

	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.idem[key]; ok {
		if e.fingerprint != fp {
			return failBody(codeRepeatReqInconsistent, "paymentRequestId "+req.PaymentRequestID+" was used with a different paymentAmount or paymentMethod")
		}
		p := s.payments[req.PaymentRequestID]
		switch {
		case p.status == antom.PaymentCancelled:
			return failBody(codeOrderIsCanceled, "the payment with this paymentRequestId was cancelled")
		case p.status == antom.PaymentFail && p.resultCode == codeOrderIsClosed:
			return failBody(codeOrderIsClosed, "the payment with this paymentRequestId was closed")
		}
		return e.body
	}
	now := s.clock.Now()
	expiry, err := in.sessionExpiry(now)
	if err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	p := &payment{
		requestID:          req.PaymentRequestID,
		paymentID:          s.newIDLocked(now),
		req:                req,
		amount:             in.amount,
		currency:           req.PaymentAmount.Currency,
		value:              req.PaymentAmount.Value,
		captureMode:        in.captureMode,
		threeDS:            in.threeDS,
		settlementCurrency: s.settlementCurrencyFor(&req),
		notifyURL:          req.PaymentNotifyURL,
		redirectURL:        req.PaymentRedirectURL,
		sessionData:        randomB64(48) + "&&SG&&111",
		sessionID:          randomB64(48),
		expiry:             expiry,
		createdAt:          now,
		status:             antom.PaymentProcessing,
	}
	if p.notifyURL == "" {
		p.notifyURL = s.cfg.DefaultNotifyURL
	}
	s.payments[p.requestID] = p
	s.byID[p.paymentID] = p
	s.bySession[p.sessionData] = p
	s.order = append(s.order, p)
	s.schedule(job{due: now.Add(s.cfg.OrderClose), kind: jobClose, ref: p.requestID})

	resp := sessionResponse{
		Result:                   successResult(),
		PaymentSessionData:       p.sessionData,
		PaymentSessionExpiryTime: s.formatTime(p.expiry),
		PaymentSessionID:         p.sessionID,
	}
	if req.ProductScene == "CHECKOUT_PAYMENT" {
		resp.NormalURL = s.CheckoutURL(p.sessionData)
	}
	b := mustJSON(resp)
	s.idem[key] = idemEntry{fingerprint: fp, body: b}
	s.changedLocked(p)
	s.log.Info("sim: session created", "paymentRequestId", p.requestID, "paymentId", p.paymentID, "amount", p.value, "currency", p.currency)
	return b
}

// --- inquiryPayment (5.2) ---

func (s *Simulator) apiInquiryPayment(body []byte) []byte {
	var req antom.InquiryPaymentRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	if err := checkEitherID("paymentRequestId", req.PaymentRequestID, "paymentId", req.PaymentID); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupLocked(req.PaymentID, req.PaymentRequestID)
	if p == nil {
		return failBody(codeOrderNotExist, "no payment has this paymentId or paymentRequestId")
	}
	return mustJSON(s.inquiryLocked(p))
}

// lookupLocked finds a payment by paymentId (which wins) or paymentRequestId.
func (s *Simulator) lookupLocked(paymentID, requestID string) *payment {
	if paymentID != "" {
		return s.byID[paymentID]
	}
	return s.payments[requestID]
}

func (s *Simulator) inquiryLocked(p *payment) *antom.InquiryPaymentResponse {
	r := &antom.InquiryPaymentResponse{
		Result:               successResult(),
		PaymentStatus:        p.status,
		PaymentResultCode:    p.resultCode,
		PaymentResultMessage: p.resultMessage,
		PaymentRequestID:     p.requestID,
		PaymentID:            p.paymentID,
		PaymentAmount:        p.amountWire(),
		PaymentCreateTime:    s.formatTime(p.createdAt),
		PaymentMethodType:    "CARD",
	}
	if p.resultCode == "" {
		r.PaymentResultCode = codePaymentInProcess
		r.PaymentResultMessage = "the payment is being processed"
	}
	if p.status == antom.PaymentSuccess || (p.status == antom.PaymentCancelled && !p.paymentTime.IsZero()) {
		r.PaymentTime = s.formatTime(p.paymentTime)
		r.AuthExpiryTime = s.formatTime(p.authExpiry)
		r.AcquirerReferenceNo = acquirerReferenceNo(p)
	}
	if p.status == antom.PaymentSuccess || p.status == antom.PaymentFail || p.status == antom.PaymentCancelled {
		r.PaymentResultInfo = p.card
		r.PaymentDetails = s.paymentDetailsLocked(p)
	}
	for _, c := range p.captures {
		tx := antom.Transaction{
			TransactionResult:    antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success"},
			TransactionID:        c.captureID,
			TransactionType:      antom.TxCapture,
			TransactionStatus:    antom.PaymentSuccess,
			TransactionAmount:    c.wireAmount(),
			TransactionRequestID: c.requestID,
			TransactionTime:      s.formatTime(c.at),
			AcquirerInfo:         s.captureAcquirerInfo(c),
		}
		tx.GrossSettlementAmount, tx.SettlementQuote = s.settlement(p, "capture", c.captureID, c.amount, c.at)
		r.Transactions = append(r.Transactions, tx)
	}
	for _, rf := range p.refunds {
		d := s.refundDetails(p, rf)
		r.Transactions = append(r.Transactions, antom.Transaction{
			TransactionResult:     antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success"},
			TransactionID:         rf.refundID,
			TransactionType:       antom.TxRefund,
			TransactionStatus:     antom.PaymentSuccess,
			TransactionAmount:     rf.wireAmount(),
			TransactionRequestID:  rf.requestID,
			TransactionTime:       s.formatTime(rf.at),
			AcquirerInfo:          d.AcquirerInfo,
			GrossSettlementAmount: d.GrossSettlementAmount,
			SettlementQuote:       d.SettlementQuote,
		})
	}
	if p.status == antom.PaymentCancelled {
		// Cancel has no merchant request ID; its transactionId is the
		// simulator's own, derived from the payment.
		id := cancelTransactionID(p)
		r.Transactions = append(r.Transactions, antom.Transaction{
			TransactionResult: antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success"},
			TransactionID:     id,
			TransactionType:   antom.TxCancel,
			TransactionStatus: antom.PaymentSuccess,
			TransactionAmount: p.amountWire(),
			TransactionTime:   s.formatTime(p.cancelTime),
			AcquirerInfo:      s.acquirerInfo("cancel", id, "00", "Approved or completed successfully"),
		})
	}
	return r
}

// --- capture (5.3) ---

func (s *Simulator) apiCapture(body []byte) []byte {
	var req antom.CaptureRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	if err := checkID("captureRequestId", req.CaptureRequestID, 64, true); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	if err := checkID("paymentId", req.PaymentID, 64, true); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	amount, err := checkAmount("captureAmount", req.CaptureAmount, 1)
	if err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	fp := req.PaymentID + "|" + req.CaptureAmount.Currency + "|" + req.CaptureAmount.Value
	key := "capture|" + req.CaptureRequestID

	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.idem[key]; ok {
		if e.fingerprint != fp {
			return failBody(codeRepeatReqInconsistent, "captureRequestId "+req.CaptureRequestID+" was used with a different captureAmount or paymentId")
		}
		return e.body
	}
	now := s.clock.Now()
	b := s.captureLocked(&req, amount, now)
	s.idem[key] = idemEntry{fingerprint: fp, body: b}
	s.changedLocked(s.byID[req.PaymentID])
	return b
}

func (s *Simulator) captureLocked(req *antom.CaptureRequest, amount int64, now time.Time) []byte {
	p := s.byID[req.PaymentID]
	switch {
	case p == nil:
		return failBody(codeAuthNotFound, "no authorization has this paymentId")
	case p.status == antom.PaymentCancelled:
		return failBody(codeAuthCancelled, "the authorization was cancelled; create a new payment")
	case p.status != antom.PaymentSuccess:
		return failBody(codeOrderStatusInvalid, "the payment is "+p.status+"; only an authorized payment can be captured")
	case p.captureMode == antom.CaptureAutomatic:
		return failBody(codeOrderStatusInvalid, "the payment was captured automatically (captureMode AUTOMATIC)")
	case p.lastCapture:
		return failBody(codeOrderStatusInvalid, "a capture with isLastCapture=true has already been made")
	case now.After(p.authExpiry):
		return failBody(codeAuthExpired, "the authorization expired at "+s.formatTime(p.authExpiry))
	case req.CaptureAmount.Currency != p.currency:
		return failBody("CURRENCY_NOT_SUPPORT", "captureAmount.currency must be the payment currency "+p.currency)
	case p.captured+amount > p.amount:
		return failBody(codeCaptureExceedAuth, "the total captured would exceed the authorized amount")
	}
	c := &capture{
		requestID: req.CaptureRequestID,
		captureID: s.newIDLocked(now),
		paymentID: p.paymentID,
		amount:    amount,
		currency:  p.currency,
		at:        now,
	}
	p.captures = append(p.captures, c)
	p.captured += amount
	if req.IsLastCapture != nil && bool(*req.IsLastCapture) {
		p.lastCapture = true
	}
	s.captures[c.captureID] = c
	s.sendInOrderLocked(p, s.captureNotification(c))
	s.log.Info("sim: captured", "paymentId", p.paymentID, "captureId", c.captureID, "amount", amount)
	return mustJSON(antom.CaptureResponse{
		Result:              successResult(),
		CaptureRequestID:    c.requestID,
		CaptureID:           c.captureID,
		PaymentID:           p.paymentID,
		CaptureAmount:       c.wireAmount(),
		CaptureTime:         s.formatTime(c.at),
		AcquirerReferenceNo: c.captureID[:31],
		AcquirerInfo:        s.captureAcquirerInfo(c),
	})
}

// --- cancel (5.4) ---

func (s *Simulator) apiCancel(body []byte) []byte {
	var req antom.CancelRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	if err := checkEitherID("paymentId", req.PaymentID, "paymentRequestId", req.PaymentRequestID); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lookupLocked(req.PaymentID, req.PaymentRequestID)
	now := s.clock.Now()
	switch {
	case p == nil:
		return failBody(codeOrderNotExist, "no payment has this paymentId or paymentRequestId")
	case p.status == antom.PaymentCancelled:
		// A retry of a cancel that happened gets the same answer.
		return p.cancelResp
	case p.status == antom.PaymentFail:
		return failBody(codeOrderIsClosed, "the payment failed or was closed; there is nothing to cancel")
	case p.captured > 0:
		return failBody(codeOrderStatusInvalid, "the payment has been captured; refund it instead")
	case p.status == antom.PaymentSuccess && now.After(p.paymentTime.Add(AuthorizationWindow)):
		return failBody(codeCancelWindowExceed, "the cancel window of 7 days has passed; refund instead")
	}
	p.status = antom.PaymentCancelled
	p.resultCode = codeOrderIsCanceled
	p.resultMessage = "the payment was cancelled by the merchant"
	p.cancelTime = now
	p.challenge = nil
	p.cancelResp = mustJSON(antom.CancelResponse{
		Result:           successResult(),
		PaymentID:        p.paymentID,
		PaymentRequestID: p.requestID,
		CancelTime:       s.formatTime(now),
	})
	s.changedLocked(p)
	s.log.Info("sim: cancelled", "paymentId", p.paymentID)
	return p.cancelResp
}

// --- refund (5.5) ---

func (s *Simulator) apiRefund(body []byte) []byte {
	var req antom.RefundRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	checks := []error{
		checkID("refundRequestId", req.RefundRequestID, 64, true),
		checkID("paymentId", req.PaymentID, 64, true),
		checkID("referenceRefundId", req.ReferenceRefundID, 64, false),
		checkID("captureId", req.CaptureID, 64, false),
		checkText("refundReason", req.RefundReason, 256, false),
		checkURL("refundNotifyUrl", req.RefundNotifyURL, 1024, false),
	}
	for _, err := range checks {
		if err != nil {
			return failBody(codeParamIllegal, err.Error())
		}
	}
	amount, err := checkAmount("refundAmount", req.RefundAmount, 1)
	if err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	fp := req.PaymentID + "|" + req.RefundAmount.Currency + "|" + req.RefundAmount.Value
	key := "refund|" + req.RefundRequestID

	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.idem[key]; ok {
		if e.fingerprint != fp {
			return failBody(codeRepeatReqInconsistent, "refundRequestId "+req.RefundRequestID+" was used with a different refundAmount or paymentId")
		}
		return e.body
	}
	b := s.refundLocked(&req, amount, s.clock.Now())
	s.idem[key] = idemEntry{fingerprint: fp, body: b}
	s.changedLocked(s.byID[req.PaymentID])
	return b
}

func (s *Simulator) refundLocked(req *antom.RefundRequest, amount int64, now time.Time) []byte {
	p := s.byID[req.PaymentID]
	switch {
	case p == nil:
		return failBody(codeOrderNotExist, "no payment has this paymentId")
	case p.status == antom.PaymentCancelled:
		return failBody(codeOrderIsCanceled, "the payment was cancelled")
	case p.status == antom.PaymentFail:
		return failBody(codeOrderIsClosed, "the payment failed or was closed")
	case p.status != antom.PaymentSuccess:
		return failBody(codeOrderStatusInvalid, "the payment is still "+p.status)
	case p.captured == 0:
		return failBody(codeOrderStatusInvalid, "nothing has been captured; cancel the authorization instead")
	case req.RefundAmount.Currency != p.currency:
		return failBody("CURRENCY_NOT_SUPPORT", "refundAmount.currency must be the payment currency "+p.currency)
	case p.refunded+amount > p.captured:
		return failBody(codeRefundAmountExceed, "the total refunded would exceed the captured amount")
	}
	if req.CaptureID != "" {
		if c := s.captures[req.CaptureID]; c == nil || c.paymentID != p.paymentID {
			return failBody(codeParamIllegal, "captureId does not belong to this payment")
		}
	}
	r := &refund{
		requestID:   req.RefundRequestID,
		refundID:    s.newIDLocked(now),
		referenceID: req.ReferenceRefundID,
		paymentID:   p.paymentID,
		captureID:   req.CaptureID,
		reason:      req.RefundReason,
		amount:      amount,
		currency:    p.currency,
		notifyURL:   req.RefundNotifyURL,
		at:          now,
	}
	if r.notifyURL == "" {
		// Stands in for the dashboard's refund notification URL.
		r.notifyURL = p.notifyURL
	}
	p.refunds = append(p.refunds, r)
	p.refunded += amount
	s.refunds[r.refundID] = r
	s.refundsReq[r.requestID] = r
	s.sendInOrderLocked(p, s.refundNotification(r))
	s.log.Info("sim: refunded", "paymentId", p.paymentID, "refundId", r.refundID, "amount", amount)
	return mustJSON(antom.RefundResponse{
		Result:              successResult(),
		RefundRequestID:     r.requestID,
		RefundID:            r.refundID,
		PaymentID:           p.paymentID,
		RefundAmount:        r.wireAmount(),
		RefundTime:          s.formatTime(r.at),
		AcquirerReferenceNo: r.refundID[:31],
		RefundDetails:       s.refundDetails(p, r),
	})
}

// --- inquiryRefund (5.6) ---

func (s *Simulator) apiInquiryRefund(body []byte) []byte {
	var req antom.InquiryRefundRequest
	if err := decodeBody(body, &req); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	if err := checkEitherID("refundRequestId", req.RefundRequestID, "refundId", req.RefundID); err != nil {
		return failBody(codeParamIllegal, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var r *refund
	if req.RefundID != "" {
		r = s.refunds[req.RefundID]
	} else {
		r = s.refundsReq[req.RefundRequestID]
	}
	if r == nil {
		return failBody(codeOrderNotExist, "no refund has this refundId or refundRequestId")
	}
	return mustJSON(antom.InquiryRefundResponse{
		Result:          successResult(),
		RefundID:        r.refundID,
		RefundRequestID: r.requestID,
		RefundAmount:    r.wireAmount(),
		RefundStatus:    antom.PaymentSuccess,
		RefundTime:      s.formatTime(r.at),
		RefundDetails:   s.refundDetails(s.byID[r.paymentID], r),
	})
}

// errNoPayment is returned by control lookups for an unknown payment.
var errNoPayment = errors.New("sim: no such payment")
