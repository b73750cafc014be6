package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"paydesk/antom"
)

// MaxAttempts is how many times a notification is sent at most.
const MaxAttempts = 8

// RetryIntervals returns the waits before each of Antom's at most 8 sends
// of a notification that is not acknowledged (section 6.4): 0, 2m, 10m, 10m,
// 1h, 2h, 6h, 15h, each measured from the previous send's scheduled time.
func RetryIntervals() []time.Duration { return antom.NotifyRetryIntervals() }

// RetryOffset returns the scheduled offset of attempt n (1-based) from the
// first attempt: 0, 2m, 12m, 22m, 1h22m, 3h22m, 9h22m, 24h22m.
func RetryOffset(n int) time.Duration { return antom.NotifyRetryOffset(n) }

// Delivery states.
const (
	deliveryWaiting   = "waiting"   // for an earlier notification of the same payment
	deliveryScheduled = "scheduled" // the next attempt has a due time
	deliverySending   = "sending"
	deliveryAcked     = "acked"
	deliveryGaveUp    = "gave-up"
)

// delivery is one copy of one notification and its attempts. Guarded by
// Simulator.mu.
type delivery struct {
	id               string
	notifyType       string
	paymentRequestID string
	paymentID        string
	subjectID        string
	result           antom.Result
	url              string
	path             string
	body             []byte
	copy             int
	attempts         int
	first            time.Time // due time of attempt 1
	next             time.Time // due time of the next attempt
	state            string
	followers        []string // deliveries released when this one's first attempt ends
}

// DeliveryAttempt is one entry of the delivery log: one attempt to send one
// copy of a notification.
type DeliveryAttempt struct {
	DeliveryID       string    `json:"deliveryId"`
	NotifyType       string    `json:"notifyType"`
	PaymentRequestID string    `json:"paymentRequestId"`
	PaymentID        string    `json:"paymentId"`
	SubjectID        string    `json:"subjectId"` // paymentId, captureId or refundId
	ResultStatus     string    `json:"resultStatus"`
	ResultCode       string    `json:"resultCode"`
	URL              string    `json:"url"`
	Copy             int       `json:"copy"`    // 1-based copy number (Duplicate fault)
	Attempt          int       `json:"attempt"` // 1..8
	Due              time.Time `json:"due"`     // simulated time the attempt was scheduled for
	At               time.Time `json:"at"`      // simulated time it was made
	ClientID         string    `json:"clientId"`
	RequestTime      string    `json:"requestTime"`
	Signature        string    `json:"signature"`
	Body             string    `json:"body"`
	HTTPStatus       int       `json:"httpStatus"` // 0 when there was no answer
	Response         string    `json:"response"`   // the answer body, cut at 4 KiB
	Error            string    `json:"error,omitempty"`
	Acked            bool      `json:"acked"`
	Dropped          bool      `json:"dropped"`          // not sent (DropFirst fault)
	Faults           []string  `json:"faults,omitempty"` // faults applied to this attempt
	Final            bool      `json:"final"`            // no attempt of this delivery follows
}

// Deliveries returns the delivery log, oldest attempt first.
func (s *Simulator) Deliveries() []DeliveryAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DeliveryAttempt, len(s.attempts))
	copy(out, s.attempts)
	return out
}

// PendingDeliveries returns how many notification copies are neither
// acknowledged nor given up.
func (s *Simulator) PendingDeliveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.deliveries {
		if d.state != deliveryAcked && d.state != deliveryGaveUp {
			n++
		}
	}
	return n
}

// --- building notifications (section 6) ---

func (s *Simulator) paymentNotification(p *payment) *antom.Notification {
	n := &antom.Notification{
		NotifyType:        antom.NotifyPaymentResult,
		PaymentRequestID:  p.requestID,
		PaymentID:         p.paymentID,
		PaymentAmount:     p.amountWire(),
		PaymentCreateTime: s.formatTime(p.createdAt),
		PaymentMethodType: "CARD",
		PaymentResultInfo: p.card,
		PaymentDetails:    s.paymentDetailsLocked(p),
	}
	if p.status == antom.PaymentSuccess {
		n.Result = antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success"}
		n.PaymentTime = s.formatTime(p.paymentTime)
		n.AuthExpiryTime = s.formatTime(p.authExpiry)
		n.AcquirerReferenceNo = acquirerReferenceNo(p)
	} else {
		n.Result = antom.Result{ResultStatus: antom.StatusFail, ResultCode: p.resultCode, ResultMessage: p.resultMessage}
	}
	return n
}

func (s *Simulator) pendingNotification(p *payment) *antom.Notification {
	return &antom.Notification{
		NotifyType:        antom.NotifyPaymentPending,
		Result:            antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "the buyer completed the payment; the final result follows"},
		PaymentRequestID:  p.requestID,
		PaymentID:         p.paymentID,
		PaymentAmount:     p.amountWire(),
		PaymentCreateTime: s.formatTime(p.createdAt),
		PaymentMethodType: "CARD",
	}
}

// The caller holds s.mu.
func (s *Simulator) captureNotification(c *capture) *antom.Notification {
	n := &antom.Notification{
		NotifyType:          antom.NotifyCaptureResult,
		Result:              antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success."},
		CaptureRequestID:    c.requestID,
		PaymentID:           c.paymentID,
		CaptureID:           c.captureID,
		CaptureAmount:       c.wireAmount(),
		CaptureTime:         s.formatTime(c.at),
		AcquirerReferenceNo: c.captureID[:31],
	}
	n.AcquirerInfo = s.captureAcquirerInfo(c)
	if p := s.byID[c.paymentID]; p != nil {
		n.GrossSettlementAmount, n.SettlementQuote = s.settlement(p, "capture", c.captureID, c.amount, c.at)
	}
	return n
}

// The caller holds s.mu.
func (s *Simulator) refundNotification(r *refund) *antom.Notification {
	d := s.refundDetails(s.byID[r.paymentID], r)
	n := &antom.Notification{
		NotifyType:         antom.NotifyRefundResult,
		Result:             antom.Result{ResultStatus: antom.StatusSuccess, ResultCode: codeSuccess, ResultMessage: "success"},
		RefundRequestID:    r.requestID,
		RefundID:           r.refundID,
		RefundAmount:       r.wireAmount(),
		RefundStatus:       antom.PaymentSuccess,
		RefundTime:         s.formatTime(r.at),
		ActualRefundAmount: d.ActualRefundAmount,
		ARN:                d.ARN,
		RRN:                d.RRN,
	}
	// notifyRefund's acquirerInfo and settlement fields share the names of
	// notifyPayment's, so they travel in PaymentDetails.
	n.AcquirerInfo = d.AcquirerInfo
	n.GrossSettlementAmount, n.SettlementQuote = d.GrossSettlementAmount, d.SettlementQuote
	return n
}

// sendInOrderLocked queues notifications of one payment so that each one's
// first attempt starts after the previous one's first attempt has ended.
// The caller holds s.mu.
func (s *Simulator) sendInOrderLocked(p *payment, notes ...*antom.Notification) {
	now := s.clock.Now()
	var prev *delivery
	for _, n := range notes {
		target := p.notifyURL
		if n.NotifyType == antom.NotifyRefundResult {
			if r := s.refunds[n.RefundID]; r != nil {
				target = r.notifyURL
			}
		}
		if target == "" {
			s.log.Info("sim: no notification URL; notification not sent", "notifyType", n.NotifyType, "paymentRequestId", p.requestID)
			continue
		}
		copies := s.newDeliveriesLocked(p, n, target)
		for _, d := range copies {
			if prev == nil {
				s.releaseLocked(d, now)
			} else {
				d.state = deliveryWaiting
				prev.followers = append(prev.followers, d.id)
			}
		}
		prev = copies[0]
	}
}

// newDeliveriesLocked creates the copies of one notification, with the
// body fixed once for all attempts as Antom resends the same message.
func (s *Simulator) newDeliveriesLocked(p *payment, n *antom.Notification, target string) []*delivery {
	f := s.faults
	if f.WrongAmount {
		n = wrongAmount(n)
	}
	body := mustJSON(n)
	path := "/"
	if u, err := url.Parse(target); err == nil && u.EscapedPath() != "" {
		path = u.EscapedPath()
	}
	subject := p.paymentID
	switch n.NotifyType {
	case antom.NotifyCaptureResult:
		subject = n.CaptureID
	case antom.NotifyRefundResult:
		subject = n.RefundID
	}
	var out []*delivery
	for i := 1; i <= f.copies(); i++ {
		s.seq++
		d := &delivery{
			id:               "d" + strconv.Itoa(s.seq),
			notifyType:       n.NotifyType,
			paymentRequestID: p.requestID,
			paymentID:        p.paymentID,
			subjectID:        subject,
			result:           n.Result,
			url:              target,
			path:             path,
			body:             body,
			copy:             i,
		}
		s.deliveries[d.id] = d
		out = append(out, d)
	}
	return out
}

// wrongAmount returns a copy of n with one minor unit added to its amount.
func wrongAmount(n *antom.Notification) *antom.Notification {
	c := *n
	bump := func(a *antom.Amount) *antom.Amount {
		if a == nil {
			return nil
		}
		v, err := antom.ParseValue(a.Value)
		if err != nil {
			return a
		}
		return &antom.Amount{Currency: a.Currency, Value: antom.FormatValue(v + 1)}
	}
	c.PaymentAmount = bump(c.PaymentAmount)
	c.CaptureAmount = bump(c.CaptureAmount)
	c.RefundAmount = bump(c.RefundAmount)
	return &c
}

// releaseLocked schedules a delivery's first attempt.
func (s *Simulator) releaseLocked(d *delivery, now time.Time) {
	d.first = now.Add(s.faults.NotifyDelay)
	d.next = d.first
	d.state = deliveryScheduled
	s.schedule(job{due: d.next, kind: jobAttempt, ref: d.id})
}

// startAttempt begins the next attempt of a delivery in its own goroutine.
// It is called from the Run loop only.
func (s *Simulator) startAttempt(ctx context.Context, id string) {
	s.mu.Lock()
	d := s.deliveries[id]
	if d == nil || d.state != deliveryScheduled {
		s.mu.Unlock()
		return
	}
	d.attempts++
	d.state = deliverySending
	rec := DeliveryAttempt{
		DeliveryID:       d.id,
		NotifyType:       d.notifyType,
		PaymentRequestID: d.paymentRequestID,
		PaymentID:        d.paymentID,
		SubjectID:        d.subjectID,
		ResultStatus:     d.result.ResultStatus,
		ResultCode:       d.result.ResultCode,
		URL:              d.url,
		Copy:             d.copy,
		Attempt:          d.attempts,
		Due:              d.next,
		At:               s.clock.Now(),
		ClientID:         s.cfg.ClientID,
		Body:             string(d.body),
	}
	f := s.faults
	path, body := d.path, d.body
	s.inflight.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.inflight.Done()
		s.send(ctx, &rec, f, path, body)
		s.finishAttempt(d.id, rec)
	}()
}

// send makes one attempt and fills in rec.
func (s *Simulator) send(ctx context.Context, rec *DeliveryAttempt, f Faults, path string, body []byte) {
	if rec.Attempt <= f.DropFirst {
		rec.Dropped = true
		rec.Faults = append(rec.Faults, "drop")
		rec.Error = "dropped by fault (not sent)"
		return
	}
	t := rec.At
	if f.RequestTimeSkew != 0 {
		t = t.Add(f.RequestTimeSkew)
		rec.Faults = append(rec.Faults, "skew "+f.RequestTimeSkew.String())
	}
	if f.timeFormat() == TimeFormatMillis {
		rec.RequestTime = strconv.FormatInt(t.UnixMilli(), 10)
		rec.Faults = append(rec.Faults, "millis")
	} else {
		rec.RequestTime = s.formatRequestTime(t)
	}
	signed := body
	if f.CorruptSignature {
		// A well-formed signature over other bytes: it parses but fails.
		signed = append(append([]byte(nil), body...), ' ')
		rec.Faults = append(rec.Faults, "corrupt-signature")
	}
	sig, err := antom.SignMessage(s.cfg.Key, path, s.cfg.ClientID, rec.RequestTime, signed)
	if err != nil {
		rec.Error = "sign: " + err.Error()
		return
	}
	rec.Signature = sig
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rec.URL, bytes.NewReader(body))
	if err != nil {
		rec.Error = err.Error()
		return
	}
	h := req.Header
	h["Content-Type"] = []string{"application/json; charset=UTF-8"}
	h[antom.HeaderClientID] = []string{s.cfg.ClientID}
	h[antom.HeaderRequestTime] = []string{rec.RequestTime}
	h[antom.HeaderSignature] = []string{sig}
	res, err := s.http.Do(req)
	if err != nil {
		rec.Error = err.Error()
		return
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	rec.HTTPStatus = res.StatusCode
	rec.Response = string(answer)
	if err != nil {
		rec.Error = "read answer: " + err.Error()
		return
	}
	rec.Acked = res.StatusCode >= 200 && res.StatusCode < 300 && isAck(answer)
	if !rec.Acked {
		rec.Error = fmt.Sprintf("not acknowledged: HTTP %d", res.StatusCode)
	}
	if rec.Acked && rec.Attempt <= f.FailFirst {
		rec.Acked = false
		rec.Faults = append(rec.Faults, "fail")
		rec.Error = "acknowledgement ignored by fault"
	}
}

// isAck reports whether a merchant's answer is the acknowledgement of
// section 6.4: result.resultCode SUCCESS and result.resultStatus S.
func isAck(body []byte) bool {
	var a struct {
		Result *antom.Result `json:"result"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Result == nil {
		return false
	}
	return a.Result.ResultCode == codeSuccess && a.Result.ResultStatus == antom.StatusSuccess
}

// finishAttempt records an attempt and schedules what follows.
func (s *Simulator) finishAttempt(id string, rec DeliveryAttempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deliveries[id]
	switch {
	case rec.Acked:
		d.state = deliveryAcked
		rec.Final = true
	case d.attempts >= MaxAttempts:
		d.state = deliveryGaveUp
		rec.Final = true
	default:
		d.next = d.first.Add(RetryOffset(d.attempts + 1))
		d.state = deliveryScheduled
		s.schedule(job{due: d.next, kind: jobAttempt, ref: d.id})
	}
	s.attempts = append(s.attempts, rec)
	s.changedLocked(nil)
	s.log.Info("sim: notification attempt", "notifyType", rec.NotifyType, "url", rec.URL, "attempt", rec.Attempt, "status", rec.HTTPStatus, "acked", rec.Acked, "err", rec.Error)
	if d.attempts == 1 {
		now := s.clock.Now()
		for _, fid := range d.followers {
			if fd := s.deliveries[fid]; fd != nil && fd.state == deliveryWaiting {
				s.releaseLocked(fd, now)
			}
		}
		d.followers = nil
	}
}
