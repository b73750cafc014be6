package antom

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Notification types (section 6).
const (
	NotifyPaymentResult  = "PAYMENT_RESULT"
	NotifyPaymentPending = "PAYMENT_PENDING"
	NotifyCaptureResult  = "CAPTURE_RESULT"
	NotifyRefundResult   = "REFUND_RESULT"
)

// AckBody is the exact acknowledgement body a merchant returns for a
// notification it has durably accepted (section 6.4).
const AckBody = `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}`

// Notification is any of Antom's notifications. Fields that a given
// notifyType does not carry stay empty; unknown fields are ignored.
type Notification struct {
	NotifyType string `json:"notifyType"`
	Result     Result `json:"result"`

	// PAYMENT_RESULT and PAYMENT_PENDING.
	PaymentRequestID    string             `json:"paymentRequestId,omitempty"`
	PaymentID           string             `json:"paymentId,omitempty"`
	PaymentAmount       *Amount            `json:"paymentAmount,omitempty"`
	PaymentCreateTime   string             `json:"paymentCreateTime,omitempty"`
	PaymentTime         string             `json:"paymentTime,omitempty"`
	PaymentResultInfo   *PaymentResultInfo `json:"paymentResultInfo,omitempty"`
	AuthExpiryTime      string             `json:"authExpiryTime,omitempty"`
	PaymentMethodType   string             `json:"paymentMethodType,omitempty"`
	AcquirerReferenceNo string             `json:"acquirerReferenceNo,omitempty"`
	PaymentDetails

	// CAPTURE_RESULT (acquirerInfo is PaymentDetails').
	CaptureRequestID string  `json:"captureRequestId,omitempty"`
	CaptureID        string  `json:"captureId,omitempty"`
	CaptureAmount    *Amount `json:"captureAmount,omitempty"`
	CaptureTime      string  `json:"captureTime,omitempty"`

	// REFUND_RESULT.
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundID        string  `json:"refundId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundStatus    string  `json:"refundStatus,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
	// The refund's acquirerInfo, grossSettlementAmount and settlementQuote
	// decode into PaymentDetails' fields of the same names.
	ActualRefundAmount *Amount `json:"actualRefundAmount,omitempty"`
	ARN                string  `json:"arn,omitempty"`
	RRN                string  `json:"rrn,omitempty"`
}

// ErrUnknownNotifyType is wrapped by ParseNotification for a well-formed
// notification of a type this package does not know, so a receiver can
// record it and decide whether to acknowledge it.
var ErrUnknownNotifyType = errors.New("antom: notification: unknown notifyType")

// ParseNotification decodes a notification body and checks it. Unknown
// fields are ignored. It requires notifyType, a result with status S, F or
// U and a code, and the fields a merchant needs to find and apply the event
// (section 6): for PAYMENT_RESULT and PAYMENT_PENDING paymentRequestId,
// paymentId and, when the result is S, paymentAmount (a failed or unknown
// result may omit it; when present it must be valid); for CAPTURE_RESULT captureRequestId,
// paymentId and captureAmount; for REFUND_RESULT refundRequestId and
// refundAmount. Antom's own captureId, refundId and refundStatus, and the
// timestamps, are not required: a failed result may lack them, and refusing
// a notification over a field Paydesk does not need would only make Antom
// resend it until it gives up. The error names the first missing or bad field.
func ParseNotification(body []byte) (*Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("antom: notification is not valid JSON: %w", err)
	}
	if n.NotifyType == "" {
		return nil, errors.New("antom: notification: notifyType is missing")
	}
	switch n.Result.ResultStatus {
	case StatusSuccess, StatusFail, StatusUnknown:
	case "":
		return nil, errors.New("antom: notification: result.resultStatus is missing")
	default:
		return nil, fmt.Errorf("antom: notification: result.resultStatus %q is not S, F or U", n.Result.ResultStatus)
	}
	if n.Result.ResultCode == "" {
		return nil, errors.New("antom: notification: result.resultCode is missing")
	}
	var err error
	switch n.NotifyType {
	case NotifyPaymentResult, NotifyPaymentPending:
		err = firstError(
			required("paymentRequestId", n.PaymentRequestID),
			required("paymentId", n.PaymentID),
			optionalAmount("paymentAmount", n.PaymentAmount, n.Result.ResultStatus != StatusSuccess),
		)
	case NotifyCaptureResult:
		err = firstError(
			required("captureRequestId", n.CaptureRequestID),
			required("paymentId", n.PaymentID),
			checkAmount("captureAmount", n.CaptureAmount),
		)
	case NotifyRefundResult:
		err = firstError(
			required("refundRequestId", n.RefundRequestID),
			checkAmount("refundAmount", n.RefundAmount),
		)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownNotifyType, n.NotifyType)
	}
	if err != nil {
		return nil, fmt.Errorf("antom: notification %s: %w", n.NotifyType, err)
	}
	return &n, nil
}

func required(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s is missing", field)
	}
	return nil
}

func checkAmount(field string, a *Amount) error {
	if a == nil {
		return fmt.Errorf("%s is missing", field)
	}
	if _, err := Exponent(a.Currency); err != nil {
		return fmt.Errorf("%s.currency: %w", field, err)
	}
	if _, err := ParseValue(a.Value); err != nil {
		return fmt.Errorf("%s.value: %w", field, err)
	}
	return nil
}

// optionalAmount checks a when it is there or when it must be: a failed
// payment's notification may omit paymentAmount (Antom's documentation
// shows one), and the ledger already knows the amount it asked for.
func optionalAmount(field string, a *Amount, mayOmit bool) error {
	if a == nil && mayOmit {
		return nil
	}
	return checkAmount(field, a)
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// DedupeKey identifies the effect of a notification, since Antom sends no
// notification ID (DESIGN.md): the notifyType, the subject's ID (Antom's
// paymentId, captureId or refundId, else the merchant's request ID), the
// result status and code, and for refunds the refundStatus. Redeliveries of
// the same event give the same key however the JSON is formatted; a
// different outcome for the same subject gives a different key.
func (n *Notification) DedupeKey() string {
	var subject string
	switch n.NotifyType {
	case NotifyCaptureResult:
		subject = firstNonEmpty(n.CaptureID, n.CaptureRequestID)
	case NotifyRefundResult:
		subject = firstNonEmpty(n.RefundID, n.RefundRequestID)
	default:
		subject = firstNonEmpty(n.PaymentID, n.PaymentRequestID)
	}
	key := n.NotifyType + "|" + subject + "|" + n.Result.ResultStatus + "|" + n.Result.ResultCode
	if n.NotifyType == NotifyRefundResult {
		key += "|" + n.RefundStatus
	}
	return key
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
