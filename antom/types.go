package antom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Result statuses (section 4).
const (
	StatusSuccess = "S"
	StatusFail    = "F"
	StatusUnknown = "U"
)

// Result codes (resultCode) that Paydesk and the simulator act on (sections
// 4.1 and 5). Antom has more; any other code is carried through as a string.
const (
	CodeSuccess                   = "SUCCESS"
	CodeAccessDenied              = "ACCESS_DENIED"
	CodeClientInvalid             = "CLIENT_INVALID"
	CodeInvalidSignature          = "INVALID_SIGNATURE"
	CodeKeyNotFound               = "KEY_NOT_FOUND"
	CodeMethodNotSupported        = "METHOD_NOT_SUPPORTED"
	CodeNoInterfaceDef            = "NO_INTERFACE_DEF"
	CodeParamIllegal              = "PARAM_ILLEGAL"
	CodeProcessFail               = "PROCESS_FAIL"
	CodeSystemError               = "SYSTEM_ERROR"
	CodeRepeatReqInconsistent     = "REPEAT_REQ_INCONSISTENT"
	CodeRiskReject                = "RISK_REJECT"
	CodeOrderNotExist             = "ORDER_NOT_EXIST"
	CodeOrderStatusInvalid        = "ORDER_STATUS_INVALID"
	CodeOrderIsClosed             = "ORDER_IS_CLOSED"
	CodeOrderIsCanceled           = "ORDER_IS_CANCELED"
	CodeAuthExpired               = "AUTH_EXPIRED"
	CodeCaptureAmountExceedAuth   = "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT"
	CodeCancelWindowExceed        = "CANCEL_WINDOW_EXCEED"
	CodeRefundAmountExceed        = "REFUND_AMOUNT_EXCEED"
	CodeCurrencyNotSupport        = "CURRENCY_NOT_SUPPORT"
	CodePaymentInProcess          = "PAYMENT_IN_PROCESS"
	CodeCaptureInProcess          = "CAPTURE_IN_PROCESS"
	CodeRefundInProcess           = "REFUND_IN_PROCESS"
	CodeRequestTrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT"
	CodeUnknownException          = "UNKNOWN_EXCEPTION"
)

// Result is Antom's result object, present on every response and notification.
type Result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage,omitempty"`
}

// Amount is Antom's money: a currency code and a string of minor units.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// FlexBool is a boolean that Antom may send either as a JSON boolean or as a
// string ("true"); it is always sent as a JSON boolean, as the SDKs do.
type FlexBool bool

// UnmarshalJSON accepts true, false, "true", "false" and null.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s == "" {
			*b = false
			return nil
		}
		v, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("antom: %q is not a boolean", s)
		}
		*b = FlexBool(v)
		return nil
	}
	var v bool
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*b = FlexBool(v)
	return nil
}

// Capture modes (paymentFactor.captureMode).
const (
	CaptureAutomatic = "AUTOMATIC"
	CaptureManual    = "MANUAL"
)

// Payment statuses returned by inquiryPayment (paymentStatus) and transaction
// statuses (transactionStatus).
const (
	PaymentSuccess    = "SUCCESS"
	PaymentFail       = "FAIL"
	PaymentProcessing = "PROCESSING"
	PaymentCancelled  = "CANCELLED"
	PaymentPending    = "PENDING"
)

// Transaction types in inquiryPayment's transactions[].
const (
	TxPayment = "PAYMENT"
	TxCapture = "CAPTURE"
	TxRefund  = "REFUND"
	TxCancel  = "CANCEL"
)

// Buyer is order.buyer.
type Buyer struct {
	ReferenceBuyerID string     `json:"referenceBuyerId,omitempty"`
	BuyerName        *BuyerName `json:"buyerName,omitempty"`
	BuyerPhoneNo     string     `json:"buyerPhoneNo,omitempty"`
	BuyerEmail       string     `json:"buyerEmail,omitempty"`
}

// BuyerName is buyer.buyerName.
type BuyerName struct {
	FirstName  string `json:"firstName,omitempty"`
	MiddleName string `json:"middleName,omitempty"`
	LastName   string `json:"lastName,omitempty"`
	FullName   string `json:"fullName,omitempty"`
}

// Goods is one item of order.goods.
type Goods struct {
	ReferenceGoodsID string  `json:"referenceGoodsId,omitempty"`
	GoodsName        string  `json:"goodsName,omitempty"`
	GoodsCategory    string  `json:"goodsCategory,omitempty"`
	GoodsUnitAmount  *Amount `json:"goodsUnitAmount,omitempty"`
	GoodsQuantity    string  `json:"goodsQuantity,omitempty"`
}

// Order is the order of a payment session.
type Order struct {
	ReferenceOrderID string  `json:"referenceOrderId,omitempty"`
	OrderDescription string  `json:"orderDescription,omitempty"`
	OrderAmount      *Amount `json:"orderAmount,omitempty"`
	Buyer            *Buyer  `json:"buyer,omitempty"`
	Goods            []Goods `json:"goods,omitempty"`
}

// Env describes the buyer's environment.
type Env struct {
	TerminalType string `json:"terminalType,omitempty"` // WEB, WAP, APP, MINI_APP
	OSType       string `json:"osType,omitempty"`       // IOS, ANDROID
	UserAgent    string `json:"userAgent,omitempty"`
	ClientIP     string `json:"clientIp,omitempty"`
}

// PaymentMethod is the payment method of a session.
type PaymentMethod struct {
	PaymentMethodType     string            `json:"paymentMethodType,omitempty"`
	PaymentMethodID       string            `json:"paymentMethodId,omitempty"`
	PaymentMethodMetaData map[string]any    `json:"paymentMethodMetaData,omitempty"`
	ExtendInfo            map[string]string `json:"extendInfo,omitempty"`
}

// PaymentFactor carries isAuthorization and captureMode.
type PaymentFactor struct {
	IsAuthorization FlexBool `json:"isAuthorization"`
	CaptureMode     string   `json:"captureMode,omitempty"`
}

// SettlementStrategy is the settlement currency choice.
type SettlementStrategy struct {
	SettlementCurrency string `json:"settlementCurrency,omitempty"`
}

// CreatePaymentSessionRequest is the body of createPaymentSession (5.1).
type CreatePaymentSessionRequest struct {
	ProductCode              string              `json:"productCode"`
	PaymentRequestID         string              `json:"paymentRequestId"`
	Order                    *Order              `json:"order,omitempty"`
	PaymentAmount            Amount              `json:"paymentAmount"`
	PaymentMethod            *PaymentMethod      `json:"paymentMethod,omitempty"`
	PaymentFactor            *PaymentFactor      `json:"paymentFactor,omitempty"`
	SettlementStrategy       *SettlementStrategy `json:"settlementStrategy,omitempty"`
	PaymentNotifyURL         string              `json:"paymentNotifyUrl,omitempty"`
	PaymentRedirectURL       string              `json:"paymentRedirectUrl,omitempty"`
	PaymentSessionExpiryTime string              `json:"paymentSessionExpiryTime,omitempty"`
	Env                      *Env                `json:"env,omitempty"`
	Locale                   string              `json:"locale,omitempty"`
	ProductScene             string              `json:"productScene,omitempty"`
}

// CreatePaymentSessionResponse is the answer to createPaymentSession.
type CreatePaymentSessionResponse struct {
	Result                   Result `json:"result"`
	PaymentSessionData       string `json:"paymentSessionData,omitempty"`
	PaymentSessionExpiryTime string `json:"paymentSessionExpiryTime,omitempty"`
	PaymentSessionID         string `json:"paymentSessionId,omitempty"`
	NormalURL                string `json:"normalUrl,omitempty"`
	URL                      string `json:"url,omitempty"`
}

// InquiryPaymentRequest is the body of inquiryPayment (5.2).
type InquiryPaymentRequest struct {
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
	PaymentID        string `json:"paymentId,omitempty"`
}

// ThreeDSResult is paymentResultInfo.threeDSResult.
type ThreeDSResult struct {
	ThreeDSVersion string   `json:"threeDSVersion,omitempty"`
	ECI            string   `json:"eci,omitempty"`
	Challenged     FlexBool `json:"challenged,omitempty"`
	ExemptionType  string   `json:"exemptionType,omitempty"`
}

// PaymentResultInfo carries card details for CARD payments.
type PaymentResultInfo struct {
	CardNo         string         `json:"cardNo,omitempty"`
	CardBrand      string         `json:"cardBrand,omitempty"`
	CardToken      string         `json:"cardToken,omitempty"`
	IssuingCountry string         `json:"issuingCountry,omitempty"`
	Funding        string         `json:"funding,omitempty"`
	CardBin        string         `json:"cardBin,omitempty"`
	LastFour       string         `json:"lastFour,omitempty"`
	ExpiryMonth    string         `json:"expiryMonth,omitempty"`
	ExpiryYear     string         `json:"expiryYear,omitempty"`
	RefusalCodeRaw string         `json:"refusalCodeRaw,omitempty"`
	ThreeDSResult  *ThreeDSResult `json:"threeDSResult,omitempty"`
}

// Transaction is one entry of inquiryPayment's transactions[].
type Transaction struct {
	TransactionResult    Result  `json:"transactionResult"`
	TransactionID        string  `json:"transactionId,omitempty"`
	TransactionType      string  `json:"transactionType,omitempty"`
	TransactionStatus    string  `json:"transactionStatus,omitempty"`
	TransactionAmount    *Amount `json:"transactionAmount,omitempty"`
	TransactionRequestID string  `json:"transactionRequestId,omitempty"`
	TransactionTime      string  `json:"transactionTime,omitempty"`
}

// InquiryPaymentResponse is the answer to inquiryPayment.
type InquiryPaymentResponse struct {
	Result               Result             `json:"result"`
	PaymentStatus        string             `json:"paymentStatus,omitempty"`
	PaymentResultCode    string             `json:"paymentResultCode,omitempty"`
	PaymentResultMessage string             `json:"paymentResultMessage,omitempty"`
	PaymentRequestID     string             `json:"paymentRequestId,omitempty"`
	PaymentID            string             `json:"paymentId,omitempty"`
	PaymentAmount        *Amount            `json:"paymentAmount,omitempty"`
	PaymentCreateTime    string             `json:"paymentCreateTime,omitempty"`
	PaymentTime          string             `json:"paymentTime,omitempty"`
	AuthExpiryTime       string             `json:"authExpiryTime,omitempty"`
	PaymentMethodType    string             `json:"paymentMethodType,omitempty"`
	AcquirerReferenceNo  string             `json:"acquirerReferenceNo,omitempty"`
	PaymentResultInfo    *PaymentResultInfo `json:"paymentResultInfo,omitempty"`
	Transactions         []Transaction      `json:"transactions,omitempty"`
}

// CaptureRequest is the body of capture (5.3).
type CaptureRequest struct {
	CaptureRequestID string    `json:"captureRequestId"`
	PaymentID        string    `json:"paymentId"`
	CaptureAmount    Amount    `json:"captureAmount"`
	IsLastCapture    *FlexBool `json:"isLastCapture,omitempty"`
}

// CaptureResponse is the answer to capture.
type CaptureResponse struct {
	Result              Result  `json:"result"`
	CaptureRequestID    string  `json:"captureRequestId,omitempty"`
	CaptureID           string  `json:"captureId,omitempty"`
	PaymentID           string  `json:"paymentId,omitempty"`
	CaptureAmount       *Amount `json:"captureAmount,omitempty"`
	CaptureTime         string  `json:"captureTime,omitempty"`
	AcquirerReferenceNo string  `json:"acquirerReferenceNo,omitempty"`
}

// CancelRequest is the body of cancel (5.4).
type CancelRequest struct {
	PaymentID        string `json:"paymentId,omitempty"`
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
}

// CancelResponse is the answer to cancel.
type CancelResponse struct {
	Result           Result `json:"result"`
	PaymentID        string `json:"paymentId,omitempty"`
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
	CancelTime       string `json:"cancelTime,omitempty"`
}

// RefundRequest is the body of refund (5.5).
type RefundRequest struct {
	RefundRequestID   string `json:"refundRequestId"`
	PaymentID         string `json:"paymentId"`
	RefundAmount      Amount `json:"refundAmount"`
	ReferenceRefundID string `json:"referenceRefundId,omitempty"`
	RefundReason      string `json:"refundReason,omitempty"`
	RefundNotifyURL   string `json:"refundNotifyUrl,omitempty"`
	CaptureID         string `json:"captureId,omitempty"`
}

// RefundResponse is the answer to refund.
type RefundResponse struct {
	Result              Result  `json:"result"`
	RefundRequestID     string  `json:"refundRequestId,omitempty"`
	RefundID            string  `json:"refundId,omitempty"`
	PaymentID           string  `json:"paymentId,omitempty"`
	RefundAmount        *Amount `json:"refundAmount,omitempty"`
	RefundTime          string  `json:"refundTime,omitempty"`
	AcquirerReferenceNo string  `json:"acquirerReferenceNo,omitempty"`
}

// InquiryRefundRequest is the body of inquiryRefund (5.6).
type InquiryRefundRequest struct {
	RefundRequestID string `json:"refundRequestId,omitempty"`
	RefundID        string `json:"refundId,omitempty"`
}

// InquiryRefundResponse is the answer to inquiryRefund.
type InquiryRefundResponse struct {
	Result          Result  `json:"result"`
	RefundID        string  `json:"refundId,omitempty"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundStatus    string  `json:"refundStatus,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
}
