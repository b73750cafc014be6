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
	ReferenceOrderID string    `json:"referenceOrderId,omitempty"`
	OrderDescription string    `json:"orderDescription,omitempty"`
	OrderAmount      *Amount   `json:"orderAmount,omitempty"`
	Buyer            *Buyer    `json:"buyer,omitempty"`
	Goods            []Goods   `json:"goods,omitempty"`
	Merchant         *Merchant `json:"merchant,omitempty"`
	Shipping         *Shipping `json:"shipping,omitempty"`
}

// Address is Antom's postal address (order.merchant.merchantAddress,
// order.shipping.shippingAddress).
type Address struct {
	Region   string `json:"region,omitempty"` // ISO 3166 alpha-2
	State    string `json:"state,omitempty"`
	City     string `json:"city,omitempty"`
	Address1 string `json:"address1,omitempty"`
	Address2 string `json:"address2,omitempty"`
	ZipCode  string `json:"zipCode,omitempty"`
	Label    string `json:"label,omitempty"`
}

// Merchant is order.merchant: the (sub-)merchant the order is sold by.
type Merchant struct {
	ReferenceMerchantID  string   `json:"referenceMerchantId,omitempty"`
	MerchantMCC          string   `json:"merchantMCC,omitempty"`
	MerchantName         string   `json:"merchantName,omitempty"`
	MerchantDisplayName  string   `json:"merchantDisplayName,omitempty"`
	MerchantAddress      *Address `json:"merchantAddress,omitempty"`
	MerchantRegisterDate string   `json:"merchantRegisterDate,omitempty"`
}

// Shipping is order.shipping. shippingName has buyerName's shape (Antom's
// UserName).
type Shipping struct {
	ShippingName        *BuyerName `json:"shippingName,omitempty"`
	ShippingAddress     *Address   `json:"shippingAddress,omitempty"`
	ShippingCarrier     string     `json:"shippingCarrier,omitempty"`
	ShippingPhoneNo     string     `json:"shippingPhoneNo,omitempty"`
	ShipToEmail         string     `json:"shipToEmail,omitempty"`
	ShippingFeeID       string     `json:"shippingFeeId,omitempty"`
	ShippingFee         *Amount    `json:"shippingFee,omitempty"`
	ShippingDescription string     `json:"shippingDescription,omitempty"`
	ShippingNumber      string     `json:"shippingNumber,omitempty"`
	TrackingURL         string     `json:"trackingUrl,omitempty"`
}

// Env describes the buyer's environment. The screen and colour fields are
// strings and timeZoneOffset a number (minutes), as Antom's models type them.
type Env struct {
	TerminalType   string `json:"terminalType,omitempty"` // WEB, WAP, APP, MINI_APP
	OSType         string `json:"osType,omitempty"`       // IOS, ANDROID
	OSVersion      string `json:"osVersion,omitempty"`
	UserAgent      string `json:"userAgent,omitempty"`
	ClientIP       string `json:"clientIp,omitempty"`
	DeviceTokenID  string `json:"deviceTokenId,omitempty"`
	CookieID       string `json:"cookieId,omitempty"`
	DeviceBrand    string `json:"deviceBrand,omitempty"`
	DeviceModel    string `json:"deviceModel,omitempty"`
	DeviceLanguage string `json:"deviceLanguage,omitempty"`
	DeviceID       string `json:"deviceId,omitempty"`
	ColorDepth     string `json:"colorDepth,omitempty"`
	ScreenHeight   string `json:"screenHeight,omitempty"`
	ScreenWidth    string `json:"screenWidth,omitempty"`
	TimeZoneOffset int    `json:"timeZoneOffset,omitempty"`
	ExtendInfo     string `json:"extendInfo,omitempty"`
}

// PaymentMethod is the payment method of a session. extendInfo is a string
// (usually JSON text) in Antom's models, not an object.
type PaymentMethod struct {
	PaymentMethodType     string         `json:"paymentMethodType,omitempty"`
	PaymentMethodID       string         `json:"paymentMethodId,omitempty"`
	PaymentMethodMetaData map[string]any `json:"paymentMethodMetaData,omitempty"`
	CustomerID            string         `json:"customerId,omitempty"`
	ExtendInfo            string         `json:"extendInfo,omitempty"`
}

// PaymentFactor carries isAuthorization, captureMode and
// isPaymentEvaluation (ask Antom to evaluate, not to pay).
type PaymentFactor struct {
	IsAuthorization     FlexBool  `json:"isAuthorization"`
	CaptureMode         string    `json:"captureMode,omitempty"`
	IsPaymentEvaluation *FlexBool `json:"isPaymentEvaluation,omitempty"`
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
	MerchantAccountID        string              `json:"merchantAccountId,omitempty"`
	MerchantRegion           string              `json:"merchantRegion,omitempty"`
	Metadata                 string              `json:"metadata,omitempty"`
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
	PaymentRequestID  string `json:"paymentRequestId,omitempty"`
	PaymentID         string `json:"paymentId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
}

// ThreeDSResult is paymentResultInfo.threeDSResult (and cardInfo's).
// challengeCancel and threeDStransactionStatusReason are strings (codes) in
// Antom's models; challenged and threeDSOffered booleans.
type ThreeDSResult struct {
	ThreeDSVersion                 string   `json:"threeDSVersion,omitempty"`
	ECI                            string   `json:"eci,omitempty"`
	CAVV                           string   `json:"cavv,omitempty"`
	XID                            string   `json:"xid,omitempty"`
	DSTransactionID                string   `json:"dsTransactionId,omitempty"`
	Challenged                     FlexBool `json:"challenged,omitempty"`
	ExemptionType                  string   `json:"exemptionType,omitempty"`
	ThreeDSOffered                 FlexBool `json:"threeDSOffered,omitempty"`
	ChallengeCancel                string   `json:"challengeCancel,omitempty"`
	ThreeDSTransactionStatusReason string   `json:"threeDStransactionStatusReason,omitempty"`
}

// AcquirerInfo is the acquirer's side of a payment, capture or refund.
type AcquirerInfo struct {
	AcquirerName              string `json:"acquirerName,omitempty"`
	ReferenceRequestID        string `json:"referenceRequestId,omitempty"`
	AcquirerTransactionID     string `json:"acquirerTransactionId,omitempty"`
	AcquirerMerchantID        string `json:"acquirerMerchantId,omitempty"`
	AcquirerMerchantName      string `json:"acquirerMerchantName,omitempty"`
	AcquirerResultCode        string `json:"acquirerResultCode,omitempty"`
	AcquirerResultMessage     string `json:"acquirerResultMessage,omitempty"`
	AcquirerReasonDescription string `json:"acquirerReasonDescription,omitempty"`
}

// Quote is an exchange-rate quote (settlementQuote): quotePrice is a number
// in some of Antom's samples and a string in others, so it is kept as text.
type Quote struct {
	QuoteID           string     `json:"quoteId,omitempty"`
	QuoteCurrencyPair string     `json:"quoteCurrencyPair,omitempty"` // e.g. "SGD/USD"
	QuotePrice        FlexNumber `json:"quotePrice,omitempty"`
	QuoteStartTime    string     `json:"quoteStartTime,omitempty"`
	QuoteExpiryTime   string     `json:"quoteExpiryTime,omitempty"`
	Guaranteed        FlexBool   `json:"guaranteed,omitempty"`
}

// FlexNumber is a decimal number Antom may send as a JSON number or a JSON
// string; it keeps the decimal text exactly (never a float) and is sent as a
// string.
type FlexNumber string

// UnmarshalJSON accepts a JSON number, a string holding one, "" and null.
func (n *FlexNumber) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		return nil
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s != "" {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				return fmt.Errorf("antom: %q is not a number", s)
			}
		}
		*n = FlexNumber(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(data, &num); err != nil {
		return err
	}
	*n = FlexNumber(num.String())
	return nil
}

// CardInfo is inquiryPayment's and notifyPayment's cardInfo.
type CardInfo struct {
	CardNo              string         `json:"cardNo,omitempty"`
	CardBrand           string         `json:"cardBrand,omitempty"`
	CardToken           string         `json:"cardToken,omitempty"`
	IssuingCountry      string         `json:"issuingCountry,omitempty"`
	Funding             string         `json:"funding,omitempty"`
	PaymentMethodRegion string         `json:"paymentMethodRegion,omitempty"`
	ThreeDSResult       *ThreeDSResult `json:"threeDSResult,omitempty"`
}

// PspCustomerInfo identifies the buyer at a wallet or PSP: buyer data.
type PspCustomerInfo struct {
	PspName             string `json:"pspName,omitempty"`
	PspCustomerID       string `json:"pspCustomerId,omitempty"`
	DisplayCustomerID   string `json:"displayCustomerId,omitempty"`
	DisplayCustomerName string `json:"displayCustomerName,omitempty"`
}

// PaymentResultInfo carries card and authorisation details for CARD
// payments: what the issuer, the network and 3-D Secure said.
type PaymentResultInfo struct {
	CardNo               string         `json:"cardNo,omitempty"`
	CardBrand            string         `json:"cardBrand,omitempty"`
	CardToken            string         `json:"cardToken,omitempty"`
	IssuingCountry       string         `json:"issuingCountry,omitempty"`
	IssuerName           string         `json:"issuerName,omitempty"`
	Funding              string         `json:"funding,omitempty"` // CREDIT, DEBIT, PREPAID, ...
	CardCategory         string         `json:"cardCategory,omitempty"`
	PaymentMethodRegion  string         `json:"paymentMethodRegion,omitempty"`
	CardholderName       string         `json:"cardholderName,omitempty"`
	CardBin              string         `json:"cardBin,omitempty"`
	LastFour             string         `json:"lastFour,omitempty"`
	ExpiryMonth          string         `json:"expiryMonth,omitempty"`
	ExpiryYear           string         `json:"expiryYear,omitempty"`
	RefusalCodeRaw       string         `json:"refusalCodeRaw,omitempty"`
	RefusalReasonRaw     string         `json:"refusalReasonRaw,omitempty"`
	MerchantAdviceCode   string         `json:"merchantAdviceCode,omitempty"`
	NetworkTransactionID string         `json:"networkTransactionId,omitempty"`
	AuthorizationCode    string         `json:"authorizationCode,omitempty"`
	AvsResultRaw         string         `json:"avsResultRaw,omitempty"`
	CvvResultRaw         string         `json:"cvvResultRaw,omitempty"`
	RRN                  string         `json:"rrn,omitempty"`
	AcquirerInfo         *AcquirerInfo  `json:"acquirerInfo,omitempty"`
	ThreeDSResult        *ThreeDSResult `json:"threeDSResult,omitempty"`
}

// Transaction is one entry of inquiryPayment's transactions[]. A CANCEL
// entry may have no transactionId or transactionRequestId.
type Transaction struct {
	TransactionResult     Result        `json:"transactionResult"`
	TransactionID         string        `json:"transactionId,omitempty"`
	TransactionType       string        `json:"transactionType,omitempty"`
	TransactionStatus     string        `json:"transactionStatus,omitempty"`
	TransactionAmount     *Amount       `json:"transactionAmount,omitempty"`
	TransactionRequestID  string        `json:"transactionRequestId,omitempty"`
	TransactionTime       string        `json:"transactionTime,omitempty"`
	AcquirerInfo          *AcquirerInfo `json:"acquirerInfo,omitempty"`
	GrossSettlementAmount *Amount       `json:"grossSettlementAmount,omitempty"`
	SettlementQuote       *Quote        `json:"settlementQuote,omitempty"`
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
	PaymentDetails
}

// PaymentDetails are the fields inquiryPayment and notifyPayment share
// beyond status and amount: card, acquirer, settlement and PSP details.
type PaymentDetails struct {
	CardInfo              *CardInfo        `json:"cardInfo,omitempty"`
	AcquirerInfo          *AcquirerInfo    `json:"acquirerInfo,omitempty"`
	ActualPaymentAmount   *Amount          `json:"actualPaymentAmount,omitempty"`
	GrossSettlementAmount *Amount          `json:"grossSettlementAmount,omitempty"`
	SettlementQuote       *Quote           `json:"settlementQuote,omitempty"`
	PspCustomerInfo       *PspCustomerInfo `json:"pspCustomerInfo,omitempty"`
	MerchantAccountID     string           `json:"merchantAccountId,omitempty"`
	Metadata              string           `json:"metadata,omitempty"`
}

// CaptureRequest is the body of capture (5.3).
type CaptureRequest struct {
	CaptureRequestID string    `json:"captureRequestId"`
	PaymentID        string    `json:"paymentId"`
	CaptureAmount    Amount    `json:"captureAmount"`
	IsLastCapture    *FlexBool `json:"isLastCapture,omitempty"`
	CaptureType      string    `json:"captureType,omitempty"`
}

// CaptureResponse is the answer to capture.
type CaptureResponse struct {
	Result              Result        `json:"result"`
	CaptureRequestID    string        `json:"captureRequestId,omitempty"`
	CaptureID           string        `json:"captureId,omitempty"`
	PaymentID           string        `json:"paymentId,omitempty"`
	CaptureAmount       *Amount       `json:"captureAmount,omitempty"`
	CaptureTime         string        `json:"captureTime,omitempty"`
	AcquirerReferenceNo string        `json:"acquirerReferenceNo,omitempty"`
	AcquirerInfo        *AcquirerInfo `json:"acquirerInfo,omitempty"`
}

// CancelRequest is the body of cancel (5.4).
type CancelRequest struct {
	PaymentID         string `json:"paymentId,omitempty"`
	PaymentRequestID  string `json:"paymentRequestId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
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
	Metadata          string `json:"metadata,omitempty"`
	ExtendInfo        string `json:"extendInfo,omitempty"`
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
	RefundDetails
}

// RefundDetails are the fields refund, inquiryRefund and notifyRefund share
// beyond status and amount: acquirer, settlement and the network's
// references (ARN, RRN) a buyer's bank can trace the refund by.
type RefundDetails struct {
	AcquirerInfo          *AcquirerInfo `json:"acquirerInfo,omitempty"`
	ActualRefundAmount    *Amount       `json:"actualRefundAmount,omitempty"`
	GrossSettlementAmount *Amount       `json:"grossSettlementAmount,omitempty"`
	SettlementQuote       *Quote        `json:"settlementQuote,omitempty"`
	ARN                   string        `json:"arn,omitempty"`
	RRN                   string        `json:"rrn,omitempty"`
}

// InquiryRefundRequest is the body of inquiryRefund (5.6).
type InquiryRefundRequest struct {
	RefundRequestID   string `json:"refundRequestId,omitempty"`
	RefundID          string `json:"refundId,omitempty"`
	MerchantAccountID string `json:"merchantAccountId,omitempty"`
}

// InquiryRefundResponse is the answer to inquiryRefund.
type InquiryRefundResponse struct {
	Result          Result  `json:"result"`
	RefundID        string  `json:"refundId,omitempty"`
	RefundRequestID string  `json:"refundRequestId,omitempty"`
	RefundAmount    *Amount `json:"refundAmount,omitempty"`
	RefundStatus    string  `json:"refundStatus,omitempty"`
	RefundTime      string  `json:"refundTime,omitempty"`
	RefundDetails
}
