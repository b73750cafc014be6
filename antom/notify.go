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

	// CAPTURE_RESULT.
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
}

// ParseNotification decodes a notification body and checks the fields its
// notifyType requires. The error names the first missing or bad field.
func ParseNotification(body []byte) (*Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("antom: notification is not valid JSON: %w", err)
	}
	if n.Result.ResultStatus == "" {
		return nil, errors.New("antom: notification: result.resultStatus is missing")
	}
	switch n.NotifyType {
	case NotifyPaymentResult, NotifyPaymentPending:
		switch {
		case n.PaymentRequestID == "" && n.PaymentID == "":
			return nil, errors.New("antom: notification: paymentRequestId and paymentId are missing")
		case n.PaymentAmount != nil:
			if _, err := ParseValue(n.PaymentAmount.Value); err != nil {
				return nil, fmt.Errorf("antom: notification: paymentAmount: %w", err)
			}
		}
	case NotifyCaptureResult:
		switch {
		case n.PaymentID == "":
			return nil, errors.New("antom: notification: paymentId is missing")
		case n.CaptureRequestID == "" && n.CaptureID == "":
			return nil, errors.New("antom: notification: captureRequestId and captureId are missing")
		case n.CaptureAmount == nil:
			return nil, errors.New("antom: notification: captureAmount is missing")
		}
		if _, err := ParseValue(n.CaptureAmount.Value); err != nil {
			return nil, fmt.Errorf("antom: notification: captureAmount: %w", err)
		}
	case NotifyRefundResult:
		switch {
		case n.RefundRequestID == "" && n.RefundID == "":
			return nil, errors.New("antom: notification: refundRequestId and refundId are missing")
		case n.RefundAmount == nil:
			return nil, errors.New("antom: notification: refundAmount is missing")
		}
		if _, err := ParseValue(n.RefundAmount.Value); err != nil {
			return nil, fmt.Errorf("antom: notification: refundAmount: %w", err)
		}
	case "":
		return nil, errors.New("antom: notification: notifyType is missing")
	default:
		return nil, fmt.Errorf("antom: notification: unknown notifyType %q", n.NotifyType)
	}
	return &n, nil
}

// DedupeKey identifies the effect of a notification, since Antom sends no
// notification ID: the same notifyType, subject ID and result is the same
// event however many times it is delivered.
func (n *Notification) DedupeKey() string {
	subject := n.PaymentID
	switch n.NotifyType {
	case NotifyCaptureResult:
		subject = firstNonEmpty(n.CaptureID, n.CaptureRequestID)
	case NotifyRefundResult:
		subject = firstNonEmpty(n.RefundID, n.RefundRequestID)
	default:
		subject = firstNonEmpty(n.PaymentID, n.PaymentRequestID)
	}
	return n.NotifyType + "|" + subject + "|" + n.Result.ResultStatus + "|" + n.Result.ResultCode
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
