package store

// Why a payment failed, in plain words: one table maps every Antom result
// code, every family of the issuer's raw refusal reason (ISO 8583 response
// codes), every Mastercard merchant advice code and every client SDK event
// code to who stopped the payment, what to tell the buyer and whether trying
// again can work. The payment page, the app API and the reference page
// "Decline and failure reasons" all read this one table.
//
// The words for the buyer never reveal a fraud or risk suspicion, a lost or
// stolen card, or a sanctions hit: those read like any other decline.

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"paydesk/antom"
)

// StoppedBy is who or what stopped a payment.
type StoppedBy string

// Who stopped a payment.
const (
	StoppedByIssuer         StoppedBy = "issuer"          // the card issuer (the buyer's bank) declined
	StoppedByRisk           StoppedBy = "risk"            // Antom's risk control
	StoppedBy3DS            StoppedBy = "3ds"             // 3-D Secure authentication failed or was not done
	StoppedByBuyer          StoppedBy = "buyer"           // the buyer left or gave up
	StoppedByMerchant       StoppedBy = "merchant"        // the merchant's own cancel
	StoppedByClosedUnpaid   StoppedBy = "closed_unpaid"   // Antom closed the checkout unpaid
	StoppedBySessionExpired StoppedBy = "session_expired" // the payment session expired unused
	StoppedBySetup          StoppedBy = "setup"           // a Paydesk or Antom set-up error
	StoppedByAntom          StoppedBy = "antom"           // Antom's systems: an error or no final answer yet
	StoppedByUnknown        StoppedBy = "unknown"         // no entry explains the code
)

// StoppedByValues lists every StoppedBy, in the order above.
var StoppedByValues = []StoppedBy{
	StoppedByIssuer, StoppedByRisk, StoppedBy3DS, StoppedByBuyer, StoppedByMerchant,
	StoppedByClosedUnpaid, StoppedBySessionExpired, StoppedBySetup, StoppedByAntom, StoppedByUnknown,
}

var stoppedByText = map[StoppedBy]string{
	StoppedByIssuer:         "The card issuer",
	StoppedByRisk:           "Antom's risk control",
	StoppedBy3DS:            "3-D Secure",
	StoppedByBuyer:          "The buyer",
	StoppedByMerchant:       "The merchant's own cancel",
	StoppedByClosedUnpaid:   "The checkout closing unpaid",
	StoppedBySessionExpired: "The session expiring",
	StoppedBySetup:          "A Paydesk or Antom set-up error",
	StoppedByAntom:          "Antom's systems",
	StoppedByUnknown:        "Unknown",
}

// Text is who stopped it, for people: "The card issuer".
func (s StoppedBy) Text() string {
	if t, ok := stoppedByText[s]; ok {
		return t
	}
	return string(s)
}

// Retry says whether trying again can work.
type Retry string

// Retry answers.
const (
	RetryYes         Retry = "yes"          // trying again can work now
	RetryLater       Retry = "later"        // trying again can work, after a while
	RetryAnotherCard Retry = "another_card" // not with this card; another card can work
	RetryNo          Retry = "no"           // trying again will fail the same way
)

// RetryValues lists every Retry answer, most hopeful first.
var RetryValues = []Retry{RetryYes, RetryLater, RetryAnotherCard, RetryNo}

var retryText = map[Retry]string{
	RetryYes:         "Yes",
	RetryLater:       "Yes, later",
	RetryAnotherCard: "With another card",
	RetryNo:          "No",
}

// Text is the answer for people: "Yes, later".
func (r Retry) Text() string {
	if t, ok := retryText[r]; ok {
		return t
	}
	return string(r)
}

// Can reports whether a new attempt can work at all (now, later or with
// another card).
func (r Retry) Can() bool { return r == RetryYes || r == RetryLater || r == RetryAnotherCard }

// ReasonKind is which family of codes a table entry explains.
type ReasonKind string

// Reason kinds, in the reference page's order.
const (
	ReasonState   ReasonKind = "state"   // a ledger situation: closed unpaid, expired, cancelled
	ReasonResult  ReasonKind = "result"  // an Antom result code
	ReasonRefusal ReasonKind = "refusal" // an ISO 8583 response code in refusalReasonRaw
	ReasonAdvice  ReasonKind = "advice"  // a Mastercard merchant advice code
	ReasonSDK     ReasonKind = "sdk"     // a client SDK event code
)

// ReasonKinds lists the kinds in the reference page's order.
var ReasonKinds = []ReasonKind{ReasonState, ReasonResult, ReasonRefusal, ReasonAdvice, ReasonSDK}

// Reason is one entry of the table: a code of one kind and what it means.
type Reason struct {
	Kind            ReasonKind
	Code            string // e.g. DO_NOT_HONOR, "05", "03", SDK_PAYMENT_CANCEL
	Name            string // the code's short name, e.g. "Do not honor" (refusal and advice codes)
	StoppedBy       StoppedBy
	Reason          string // for staff: what happened, in plain words
	CustomerMessage string // safe to show the buyer
	Retry           Retry  // empty for an advice code that does not change the answer
}

// Messages for the buyer. None reveals a risk or fraud suspicion.
const (
	msgBankDeclined  = "Your bank declined the payment. Please use another card or contact your bank."
	msgCardDetails   = "The card details could not be verified. Please check the card number, expiry date and security code, or use another card."
	msgCardExpired   = "The card has expired. Please use another card."
	msgNotCompleted  = "The payment could not be completed. Please use another card or payment method."
	msgVerification  = "Your bank's verification was not completed. Please try again and complete the verification step, or use another card."
	msgCardNotUsable = "This card cannot be used for this payment. Please use another card."
	msgTryLater      = "The payment could not be completed right now. Please try again in a few minutes."
	msgOurSide       = "The payment could not be completed because of a problem on our side. No money was taken. Please try again later or contact us."
	msgClosed        = "The checkout closed before the payment was completed. No money was taken. Please start the payment again."
	msgExpired       = "The checkout expired before the payment was completed. No money was taken. Please start the payment again."
	msgCancelled     = "The merchant cancelled this payment. Any amount reserved on your card will be released by your bank."
	msgNotPaid       = "The payment was not completed and no money was taken. You can start the payment again."
	msgLimit         = "The payment exceeds a limit for this card. Please use another card or contact your bank."
	msgInProcess     = "Your payment is still being processed. Please wait for the result before trying again."
	msgRetryNow      = "The payment did not go through. Please try again."
)

// Codes of the ledger situations (ReasonState), which no Antom code names.
const (
	StateClosedUnpaid   = "CLOSED_UNPAID"
	StateBuyerLeft      = "BUYER_LEFT"
	StateSessionExpired = "SESSION_EXPIRED"
	StateStaffCancel    = "STAFF_CANCEL"
	StateMerchantCancel = "MERCHANT_CANCEL"
	StateCancelledUnpd  = "CANCELLED_UNPAID"
	StateSessionFailed  = "SESSION_FAILED"
	StateUnknown        = "UNKNOWN"
)

// reasons is the table. Result codes come from antom-protocol.md §4.1, §5
// and §6 and from the simulator; refusal codes are the ISO 8583 response
// codes card issuers answer with; advice codes are Mastercard's merchant
// advice codes; SDK codes are antom.SDKCodes.
var reasons = []Reason{
	// ---- ledger situations ----
	{ReasonState, StateClosedUnpaid, "", StoppedByClosedUnpaid, "Nobody paid: the checkout stayed unpaid until Antom closed the order (about 14 minutes after the buyer opened it). Not a decline.", msgClosed, RetryYes},
	{ReasonState, StateBuyerLeft, "", StoppedByBuyer, "The buyer left the checkout without paying (the app reported SDK_PAYMENT_CANCEL) and the payment ended unpaid. Not a decline.", msgNotPaid, RetryYes},
	{ReasonState, StateSessionExpired, "", StoppedBySessionExpired, "The payment session expired before the buyer paid; nothing was submitted to the card issuer. Not a decline.", msgExpired, RetryYes},
	{ReasonState, StateStaffCancel, "", StoppedByMerchant, "A member of staff cancelled the payment in Paydesk; an authorisation on the card is released.", msgCancelled, RetryNo},
	{ReasonState, StateMerchantCancel, "", StoppedByMerchant, "The merchant cancelled the authorised payment (Antom confirmed the cancel); the hold on the card is released.", msgCancelled, RetryNo},
	{ReasonState, StateCancelledUnpd, "", StoppedByClosedUnpaid, "The payment was cancelled before anyone paid: Antom closed the unpaid order. No money moved.", msgClosed, RetryYes},
	{ReasonState, StateSessionFailed, "", StoppedBySetup, "Antom refused to create the payment session, so the buyer never saw a card form.", msgOurSide, RetryLater},
	{ReasonState, StateUnknown, "", StoppedByUnknown, "Antom gave a code this table does not know. Read Antom's result message; run an inquiry to ask Antom for its current answer.", msgNotCompleted, RetryLater},

	// ---- Antom result codes ----
	// Issuer declines.
	{ReasonResult, "DO_NOT_HONOR", "", StoppedByIssuer, "The card issuer declined the payment without giving a reason (do not honor).", msgBankDeclined, RetryAnotherCard},
	{ReasonResult, "ISSUER_REJECTS_TRANSACTION", "", StoppedByIssuer, "The card issuer rejected the payment.", msgBankDeclined, RetryAnotherCard},
	{ReasonResult, "INVALID_CARD", "", StoppedByIssuer, "The card is not valid for this payment (unknown, closed or not a card the issuer accepts).", msgCardDetails, RetryAnotherCard},
	{ReasonResult, "INVALID_CARD_NUMBER", "", StoppedByIssuer, "The card number is not valid.", msgCardDetails, RetryAnotherCard},
	{ReasonResult, "INVALID_EXPIRATION_DATE", "", StoppedByIssuer, "The card's expiry date is wrong or the card has expired.", msgCardDetails, RetryAnotherCard},
	{ReasonResult, "INVALID_EXPIRY_DATE_FORMAT", "", StoppedBySetup, "The expiry date was sent in a format Antom does not accept.", msgCardDetails, RetryYes},
	{ReasonResult, "CARD_NOT_SUPPORTED", "", StoppedBySetup, "This card (brand or type) is not supported for the merchant's contract.", msgCardNotUsable, RetryAnotherCard},
	{ReasonResult, "SELECTED_CARD_BRAND_NOT_AVAILABLE", "", StoppedBySetup, "The card brand the buyer chose is not available for this payment.", msgCardNotUsable, RetryAnotherCard},
	{ReasonResult, "USER_BALANCE_NOT_ENOUGH", "", StoppedByIssuer, "The issuer declined for lack of funds or credit.", msgBankDeclined, RetryAnotherCard},
	{ReasonResult, "USER_AMOUNT_EXCEED_LIMIT", "", StoppedByIssuer, "The amount is over the card's or the buyer's limit.", msgLimit, RetryAnotherCard},
	{ReasonResult, "USER_STATUS_ABNORMAL", "", StoppedByIssuer, "The buyer's card account is not in a state that allows payments (blocked, frozen or closed).", msgBankDeclined, RetryAnotherCard},
	{ReasonResult, "USER_KYC_NOT_QUALIFIED", "", StoppedByIssuer, "The buyer's account has not passed the identity checks this payment needs.", msgNotCompleted, RetryAnotherCard},
	{ReasonResult, "USER_NOT_EXIST", "", StoppedByIssuer, "The buyer's account does not exist.", msgCardDetails, RetryAnotherCard},
	{ReasonResult, "PAYMENT_PROHIBITED", "", StoppedByIssuer, "The payment is not allowed for this card.", msgCardNotUsable, RetryAnotherCard},
	// Antom's risk control. The buyer is never told.
	{ReasonResult, "RISK_REJECT", "", StoppedByRisk, "Antom's risk control rejected the payment. Do not tell the buyer it was a risk decision.", msgNotCompleted, RetryAnotherCard},
	{ReasonResult, "FRAUD_REJECT", "", StoppedByRisk, "Antom's risk control rejected the payment as suspected fraud. Do not tell the buyer.", msgNotCompleted, RetryNo},
	{ReasonResult, "SUSPECTED_CARD", "", StoppedByRisk, "Antom's risk control suspects the card. Do not tell the buyer.", msgNotCompleted, RetryAnotherCard},
	{ReasonResult, "SUSPECTED_RISK", "", StoppedByRisk, "Antom's risk control found the payment risky. Do not tell the buyer.", msgNotCompleted, RetryAnotherCard},
	{ReasonResult, "PAYMENT_NOT_QUALIFIED", "", StoppedByRisk, "The payment does not qualify (a rule of Antom or the merchant's contract).", msgNotCompleted, RetryAnotherCard},
	// 3-D Secure.
	{ReasonResult, "USER_PAYMENT_VERIFICATION_FAILED", "", StoppedBy3DS, "3-D Secure authentication failed: the buyer did not complete the bank's verification (wrong code, or the challenge was abandoned).", msgVerification, RetryYes},
	{ReasonResult, "AUTHENTICATION_REQUIRED", "", StoppedBy3DS, "The issuer requires 3-D Secure authentication and the payment was made without it. Create the session with 3-D Secure.", msgVerification, RetryYes},
	{ReasonResult, "VERIFY_TIMES_EXCEED_LIMIT", "", StoppedBy3DS, "The buyer failed verification too many times.", msgVerification, RetryLater},
	{ReasonResult, "VERIFY_UNMATCHED", "", StoppedBy3DS, "The verification the buyer entered did not match.", msgVerification, RetryYes},
	{ReasonResult, "EXPIRED_CODE", "", StoppedBy3DS, "The verification code expired before the buyer entered it.", msgVerification, RetryYes},
	// The checkout closing, cancels, sessions.
	{ReasonResult, "ORDER_IS_CLOSED", "", StoppedByClosedUnpaid, "Antom closed the order: nobody paid before the order-close time (about 14 minutes), or the paymentRequestId belongs to a closed payment. Not a card decline.", msgClosed, RetryYes},
	{ReasonResult, "ORDER_IS_CANCELED", "", StoppedByMerchant, "The payment with this paymentRequestId was cancelled; a new attempt needs a new paymentRequestId.", msgCancelled, RetryNo},
	{ReasonResult, "ORDER_NOT_EXIST", "", StoppedBySetup, "Antom has no payment with this ID (yet): a wrong ID, another environment (sandbox or live), or asked too early.", msgOurSide, RetryLater},
	{ReasonResult, "ORDER_STATUS_INVALID", "", StoppedBySetup, "The payment's state does not allow the operation (for example capturing a failed payment).", msgOurSide, RetryNo},
	{ReasonResult, "AUTH_CANCELLED", "", StoppedByMerchant, "The authorisation was cancelled; a new payment needs a new paymentRequestId.", msgCancelled, RetryNo},
	{ReasonResult, "AUTH_EXPIRED", "", StoppedBySessionExpired, "The authorisation expired (7 days) before it was captured; the hold on the card was released.", msgNotPaid, RetryYes},
	{ReasonResult, "AUTH_NOT_FOUND", "", StoppedBySetup, "Antom found no authorisation to capture.", msgOurSide, RetryNo},
	{ReasonResult, "CANCEL_WINDOW_EXCEED", "", StoppedBySetup, "The cancel window has passed; refund instead.", msgOurSide, RetryNo},
	{ReasonResult, "PAYMENT_IN_PROCESS", "", StoppedByAntom, "Not final yet: the payment is still being processed. Wait for the notification or run an inquiry.", msgInProcess, RetryLater},
	{ReasonResult, "CAPTURE_IN_PROCESS", "", StoppedByAntom, "Not final yet: the capture is still being processed.", msgInProcess, RetryLater},
	{ReasonResult, "REFUND_IN_PROCESS", "", StoppedByAntom, "Not final yet: the refund is still being processed; do not send it again.", msgInProcess, RetryLater},
	// Amounts, limits, currencies.
	{ReasonResult, "PAYMENT_AMOUNT_EXCEED_LIMIT", "", StoppedBySetup, "The amount is over a limit of the merchant's contract or of the payment method.", msgLimit, RetryAnotherCard},
	{ReasonResult, "PAYMENT_COUNT_EXCEED_LIMIT", "", StoppedBySetup, "Too many payments (or captures) for the limit of the contract or payment method.", msgTryLater, RetryLater},
	{ReasonResult, "INVALID_AMOUNT", "", StoppedBySetup, "The amount is not valid for this payment.", msgOurSide, RetryNo},
	{ReasonResult, "CURRENCY_NOT_SUPPORT", "", StoppedBySetup, "The currency is not supported for this merchant or card.", msgCardNotUsable, RetryNo},
	{ReasonResult, "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT", "", StoppedBySetup, "The captures would add up to more than was authorised.", msgOurSide, RetryNo},
	{ReasonResult, "MULTI_CAPTURE_NOT_SUPPORTED", "", StoppedBySetup, "This card or contract allows one capture only.", msgOurSide, RetryNo},
	{ReasonResult, "REFUND_AMOUNT_EXCEED", "", StoppedBySetup, "The refunds would add up to more than was paid.", msgOurSide, RetryNo},
	{ReasonResult, "REFUND_WINDOW_EXCEED", "", StoppedBySetup, "The refund window of the contract has passed.", msgOurSide, RetryNo},
	{ReasonResult, "REFUND_NOT_SUPPORTED", "", StoppedBySetup, "This payment cannot be refunded.", msgOurSide, RetryNo},
	{ReasonResult, "PARTIAL_REFUND_NOT_SUPPORTED", "", StoppedBySetup, "Only a full refund is possible for this payment.", msgOurSide, RetryNo},
	{ReasonResult, "MULTIPLE_REFUNDS_NOT_SUPPORTED", "", StoppedBySetup, "This payment allows one refund only.", msgOurSide, RetryNo},
	{ReasonResult, "MERCHANT_BALANCE_NOT_ENOUGH", "", StoppedBySetup, "The merchant's Antom balance is too low for the refund; retry later with a new refundRequestId.", msgOurSide, RetryLater},
	{ReasonResult, "PAYMENT_METHOD_NOT_SUPPORTED", "", StoppedBySetup, "The payment method does not support this operation.", msgCardNotUsable, RetryNo},
	{ReasonResult, "NO_PAY_OPTIONS", "", StoppedBySetup, "No payment method is available for this payment (contract, currency or amount).", msgCardNotUsable, RetryNo},
	{ReasonResult, "INVALID_PAYMENT_METHOD_META_DATA", "", StoppedBySetup, "The payment method's metadata in the request is not valid.", msgOurSide, RetryNo},
	// Merchant account and contract.
	{ReasonResult, "INVALID_CONTRACT", "", StoppedBySetup, "The request does not match the merchant's contract with Antom.", msgOurSide, RetryNo},
	{ReasonResult, "SETTLE_CONTRACT_NOT_MATCH", "", StoppedBySetup, "The settlement currency does not match the merchant's settlement contract.", msgOurSide, RetryNo},
	{ReasonResult, "INVALID_MERCHANT_STATUS", "", StoppedBySetup, "The merchant's Antom account is not active.", msgOurSide, RetryNo},
	{ReasonResult, "MERCHANT_KYB_NOT_QUALIFIED", "", StoppedBySetup, "The merchant has not passed Antom's business verification (KYB).", msgOurSide, RetryNo},
	{ReasonResult, "MERCHANT_NOT_REGISTERED", "", StoppedBySetup, "The merchant is not registered with Antom.", msgOurSide, RetryNo},
	// Gateway and integration errors.
	{ReasonResult, "ACCESS_DENIED", "", StoppedBySetup, "Antom denied access: the client ID may not call this API.", msgOurSide, RetryNo},
	{ReasonResult, "INVALID_API", "", StoppedBySetup, "The API is not valid or not active for this client ID.", msgOurSide, RetryNo},
	{ReasonResult, "API_INVALID", "", StoppedBySetup, "The API is not valid or not active for this client ID.", msgOurSide, RetryNo},
	{ReasonResult, "CLIENT_INVALID", "", StoppedBySetup, "The client ID is not valid or is restricted.", msgOurSide, RetryNo},
	{ReasonResult, "INVALID_SIGNATURE", "", StoppedBySetup, "The request's signature did not verify: the merchant private key does not match the public key in the Antom dashboard.", msgOurSide, RetryNo},
	{ReasonResult, "SIGNATURE_INVALID", "", StoppedBySetup, "The signature did not verify (the name one of Antom's samples uses for INVALID_SIGNATURE).", msgOurSide, RetryNo},
	{ReasonResult, "KEY_NOT_FOUND", "", StoppedBySetup, "Antom found no key for the merchant (or its own key): upload the merchant public key.", msgOurSide, RetryNo},
	{ReasonResult, "INVALID_ACCESS_TOKEN", "", StoppedBySetup, "The access token is not valid.", msgOurSide, RetryNo},
	{ReasonResult, "MEDIA_TYPE_NOT_ACCEPTABLE", "", StoppedBySetup, "The request's media type is not accepted.", msgOurSide, RetryNo},
	{ReasonResult, "METHOD_NOT_SUPPORTED", "", StoppedBySetup, "The HTTP method is not supported (Antom takes POST only).", msgOurSide, RetryNo},
	{ReasonResult, "NO_INTERFACE_DEF", "", StoppedBySetup, "The API is not defined: the URL is wrong.", msgOurSide, RetryNo},
	{ReasonResult, "PARAM_ILLEGAL", "", StoppedBySetup, "A header or field of the request is missing or not valid; Antom's result message names it.", msgOurSide, RetryNo},
	{ReasonResult, "REPEAT_REQ_INCONSISTENT", "", StoppedBySetup, "The same request ID was sent before with different content.", msgOurSide, RetryNo},
	{ReasonResult, "PROCESS_FAIL", "", StoppedByAntom, "A general business failure at Antom. Do not retry the same request; it needs a person.", msgOurSide, RetryNo},
	{ReasonResult, "SYSTEM_ERROR", "", StoppedByAntom, "A system error at Antom. Do not retry the same request; it needs a person.", msgOurSide, RetryLater},
	{ReasonResult, "REQUEST_TRAFFIC_EXCEED_LIMIT", "", StoppedByAntom, "Antom rate-limited the request; calling again works.", msgTryLater, RetryYes},
	{ReasonResult, "UNKNOWN_EXCEPTION", "", StoppedByAntom, "Antom had an unknown error and gave no final answer; calling again works.", msgTryLater, RetryYes},

	// ---- ISO 8583 response codes (refusalReasonRaw) ----
	{ReasonRefusal, "01", "Refer to card issuer", StoppedByIssuer, "The issuer wants the buyer to contact it before it approves.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "02", "Refer to card issuer, special condition", StoppedByIssuer, "The issuer wants the buyer to contact it before it approves.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "03", "Invalid merchant", StoppedBySetup, "The issuer does not accept the merchant (acquirer or merchant set-up).", msgNotCompleted, RetryAnotherCard},
	{ReasonRefusal, "04", "Pick up card", StoppedByIssuer, "The issuer declined and asks to retain the card. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "05", "Do not honor", StoppedByIssuer, "The issuer declined without giving a reason.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "06", "Error", StoppedByIssuer, "The issuer reported an error.", msgTryLater, RetryLater},
	{ReasonRefusal, "07", "Pick up card, special condition", StoppedByIssuer, "The issuer declined and asks to retain the card. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "12", "Invalid transaction", StoppedByIssuer, "The issuer does not allow this kind of transaction on the card.", msgCardNotUsable, RetryAnotherCard},
	{ReasonRefusal, "13", "Invalid amount", StoppedByIssuer, "The issuer refused the amount.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "14", "Invalid card number", StoppedByIssuer, "The card number does not exist at the issuer.", msgCardDetails, RetryAnotherCard},
	{ReasonRefusal, "15", "No such issuer", StoppedByIssuer, "No issuer is known for this card number.", msgCardDetails, RetryAnotherCard},
	{ReasonRefusal, "19", "Re-enter transaction", StoppedByIssuer, "The issuer asks to try the transaction again.", msgRetryNow, RetryYes},
	{ReasonRefusal, "30", "Format error", StoppedBySetup, "The issuer could not read the message (a network or acquirer format problem).", msgTryLater, RetryLater},
	{ReasonRefusal, "41", "Lost card", StoppedByIssuer, "The card is reported lost. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "43", "Stolen card", StoppedByIssuer, "The card is reported stolen. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "46", "Closed account", StoppedByIssuer, "The card's account is closed.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "51", "Insufficient funds", StoppedByIssuer, "Not enough funds or credit on the card.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "54", "Expired card", StoppedByIssuer, "The card has expired.", msgCardExpired, RetryAnotherCard},
	{ReasonRefusal, "55", "Incorrect PIN", StoppedByIssuer, "The PIN was wrong.", msgCardDetails, RetryYes},
	{ReasonRefusal, "57", "Transaction not permitted to cardholder", StoppedByIssuer, "The card may not be used for this kind of purchase (for example online or abroad).", msgCardNotUsable, RetryAnotherCard},
	{ReasonRefusal, "58", "Transaction not permitted to terminal", StoppedBySetup, "The issuer does not allow this transaction from this merchant or terminal.", msgCardNotUsable, RetryAnotherCard},
	{ReasonRefusal, "59", "Suspected fraud", StoppedByIssuer, "The issuer suspects fraud. Do not tell the buyer; it reads as a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "61", "Exceeds amount limit", StoppedByIssuer, "The amount is over the card's limit.", msgLimit, RetryLater},
	{ReasonRefusal, "62", "Restricted card", StoppedByIssuer, "The card is restricted (for example not valid in this country).", msgCardNotUsable, RetryAnotherCard},
	{ReasonRefusal, "63", "Security violation", StoppedByIssuer, "The issuer reported a security violation. Do not tell the buyer more than a decline.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "65", "Exceeds frequency limit", StoppedByIssuer, "Too many payments on the card in a period; the issuer may also want 3-D Secure.", msgLimit, RetryLater},
	{ReasonRefusal, "75", "PIN tries exceeded", StoppedByIssuer, "Too many wrong PINs.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "78", "Blocked, first use", StoppedByIssuer, "The card is not activated yet.", msgBankDeclined, RetryAnotherCard},
	{ReasonRefusal, "82", "Negative CVV result", StoppedByIssuer, "The security code (CVV) was wrong.", msgCardDetails, RetryYes},
	{ReasonRefusal, "N7", "CVV2 failure", StoppedByIssuer, "The security code (CVV2) was wrong.", msgCardDetails, RetryYes},
	{ReasonRefusal, "85", "No reason to decline", StoppedByIssuer, "An account verification answered that the card is valid; a payment was not declined for it.", msgRetryNow, RetryYes},
	{ReasonRefusal, "91", "Issuer unavailable", StoppedByIssuer, "The issuer could not be reached.", msgTryLater, RetryLater},
	{ReasonRefusal, "92", "Unable to route", StoppedBySetup, "The network could not route the transaction to the issuer.", msgTryLater, RetryLater},
	{ReasonRefusal, "93", "Violation of law", StoppedByIssuer, "The transaction cannot be completed by law. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "94", "Duplicate transaction", StoppedByIssuer, "The issuer saw the same transaction twice.", msgInProcess, RetryNo},
	{ReasonRefusal, "96", "System malfunction", StoppedByIssuer, "The issuer or network had a system error.", msgTryLater, RetryLater},
	{ReasonRefusal, "1A", "Additional authentication required", StoppedBy3DS, "The issuer requires strong customer authentication (3-D Secure).", msgVerification, RetryYes},
	{ReasonRefusal, "R0", "Stop payment order", StoppedByIssuer, "The buyer asked the issuer to stop this merchant's payments.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "R1", "Revocation of authorisation order", StoppedByIssuer, "The buyer revoked the authorisation for this merchant's recurring payments.", msgBankDeclined, RetryNo},
	{ReasonRefusal, "R3", "Revocation of all authorisations order", StoppedByIssuer, "The buyer revoked all recurring authorisations on the card.", msgBankDeclined, RetryNo},

	// ---- Mastercard merchant advice codes ----
	{ReasonAdvice, "01", "New account information available", StoppedByIssuer, "The card's details changed (new number or expiry date). Get the new details from the buyer or an account updater before trying again.", msgCardDetails, RetryAnotherCard},
	{ReasonAdvice, "02", "Cannot approve at this time, try again later", StoppedByIssuer, "The issuer cannot approve now; trying again later can work.", msgTryLater, RetryLater},
	{ReasonAdvice, "03", "Do not try again", StoppedByIssuer, "The issuer will never approve this card for this merchant; do not try again (Mastercard charges for retries).", msgBankDeclined, RetryAnotherCard},
	{ReasonAdvice, "04", "Token requirements not fulfilled for this token type", StoppedBySetup, "The token was used in a way its type does not allow; try again with the full card details.", msgRetryNow, RetryYes},
	{ReasonAdvice, "21", "Payment cancellation", StoppedByIssuer, "The buyer cancelled the recurring payment or subscription with the issuer; stop recurring payments on this card.", msgBankDeclined, RetryNo},
	{ReasonAdvice, "22", "Merchant does not qualify for product code", StoppedBySetup, "The merchant does not qualify for the card's product code.", msgCardNotUsable, RetryAnotherCard},
	{ReasonAdvice, "24", "Retry after 1 hour", StoppedByIssuer, "The issuer asks not to try again for 1 hour.", msgTryLater, RetryLater},
	{ReasonAdvice, "25", "Retry after 24 hours", StoppedByIssuer, "The issuer asks not to try again for 24 hours.", msgTryLater, RetryLater},
	{ReasonAdvice, "26", "Retry after 2 days", StoppedByIssuer, "The issuer asks not to try again for 2 days.", msgTryLater, RetryLater},
	{ReasonAdvice, "27", "Retry after 4 days", StoppedByIssuer, "The issuer asks not to try again for 4 days.", msgTryLater, RetryLater},
	{ReasonAdvice, "28", "Retry after 6 days", StoppedByIssuer, "The issuer asks not to try again for 6 days.", msgTryLater, RetryLater},
	{ReasonAdvice, "29", "Retry after 8 days", StoppedByIssuer, "The issuer asks not to try again for 8 days.", msgTryLater, RetryLater},
	{ReasonAdvice, "30", "Retry after 10 days", StoppedByIssuer, "The issuer asks not to try again for 10 days.", msgTryLater, RetryLater},
	{ReasonAdvice, "40", "Consumer non-reloadable prepaid card", StoppedByIssuer, "A non-reloadable prepaid card: not suitable for recurring payments.", msgCardNotUsable, RetryAnotherCard},
	{ReasonAdvice, "41", "Consumer single-use virtual card number", StoppedByIssuer, "A single-use virtual card number: it cannot be charged again.", msgCardNotUsable, RetryAnotherCard},
	{ReasonAdvice, "42", "Sanctions scoring service: score exceeds threshold", StoppedByIssuer, "The network's sanctions screening stopped the payment. Do not tell the buyer more than a decline.", msgBankDeclined, RetryNo},
	{ReasonAdvice, "43", "Consumer multi-use virtual card number", StoppedByIssuer, "A multi-use virtual card number (for information).", msgBankDeclined, ""},

	// ---- client SDK event codes (antom.SDKCodes) ----
	{ReasonSDK, antom.SDKPaymentSuccessful, "", StoppedByUnknown, "The buyer was shown success, but the server's result is what counts: if the payment failed, the flag “SDK success, server not paid” explains the disagreement.", msgInProcess, RetryLater},
	{ReasonSDK, antom.SDKPaymentProcessing, "", StoppedByAntom, "The buyer was told the payment is being processed; wait for Antom's final result.", msgInProcess, RetryLater},
	{ReasonSDK, antom.SDKPaymentFail, "", StoppedByUnknown, "The buyer was told the payment failed; the payment's result code says who declined.", msgNotCompleted, RetryAnotherCard},
	{ReasonSDK, antom.SDKPaymentCancel, "", StoppedByBuyer, "The buyer left the payment page without submitting; the session stays payable until it expires.", msgNotPaid, RetryYes},
	{ReasonSDK, antom.SDKPaymentError, "", StoppedByAntom, "The SDK reported an abnormal payment status; run an inquiry for the truth.", msgTryLater, RetryLater},
	{ReasonSDK, antom.SDKFormVerificationFailed, "", StoppedByBuyer, "The card form refused what the buyer typed; nothing reached Antom.", msgCardDetails, RetryYes},
	{ReasonSDK, antom.SDKStartOfLoading, "", StoppedByUnknown, "The payment component started loading; it says nothing about a failure.", msgNotPaid, RetryYes},
	{ReasonSDK, antom.SDKEndOfLoading, "", StoppedByUnknown, "The payment component finished loading; it says nothing about a failure.", msgNotPaid, RetryYes},
	{ReasonSDK, antom.SDKInternalError, "", StoppedBySetup, "The SDK failed internally; the buyer did not reach the card form. Contact Antom technical support.", msgOurSide, RetryLater},
	{ReasonSDK, antom.SDKCreatePaymentParameterError, "", StoppedBySetup, "The app passed wrong parameters to the SDK (check that it passes the whole paymentSessionData); the buyer did not reach the card form.", msgOurSide, RetryNo},
	{ReasonSDK, antom.SDKCallURLError, "", StoppedBySetup, "The redirect to the merchant page failed or paymentRedirectUrl is wrong.", msgOurSide, RetryNo},
	{ReasonSDK, antom.SDKIntegrationError, "", StoppedBySetup, "The app lacks SDK dependencies; the buyer did not reach the card form.", msgOurSide, RetryNo},
}

// Reasons returns the whole table, grouped by kind in ReasonKinds order.
func Reasons() []Reason {
	out := make([]Reason, 0, len(reasons))
	for _, k := range ReasonKinds {
		for _, r := range reasons {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}

// LookupReason returns the table's entry for a code of a kind. Codes are
// matched exactly, after trimming spaces (and upper-casing refusal codes
// such as "n7").
func LookupReason(kind ReasonKind, code string) (Reason, bool) {
	code = strings.TrimSpace(code)
	if kind == ReasonRefusal {
		code = strings.ToUpper(code)
	}
	for _, r := range reasons {
		if r.Kind == kind && r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// refusalCodeRE finds the ISO 8583 response code leading a raw refusal
// reason: "05 Do not honor", "51: Insufficient funds", "N7-CVV2 failure",
// "(05) Do not honor", or the code alone.
var refusalCodeRE = regexp.MustCompile(`^\(?([0-9A-Za-z]{2})\)?(?:$|[\s:\-–—.,/|)])`)

// RefusalCode is the ISO 8583 response code that leads a raw refusal reason
// ("05 Do not honor" → "05"), or, when no code leads it, the code whose
// name the text is ("Insufficient funds" → "51"); "" when neither.
func RefusalCode(raw string) string {
	raw = strings.TrimSpace(raw)
	if m := refusalCodeRE.FindStringSubmatch(raw); m != nil {
		if r, ok := LookupReason(ReasonRefusal, m[1]); ok {
			return r.Code
		}
	}
	for _, r := range reasons {
		if r.Kind == ReasonRefusal && strings.EqualFold(r.Name, raw) {
			return r.Code
		}
	}
	return ""
}

// FailureInput is what ExplainFailure reads: plain facts of a payment.
type FailureInput struct {
	Status             PaymentStatus
	ResultCode         string // Antom's result code
	ResultMessage      string
	RefusalReasonRaw   string // the issuer's raw refusal reason, e.g. "05 Do not honor"
	MerchantAdviceCode string // Mastercard's merchant advice code, e.g. "03"
	LastSDKEvent       string // the newest SDK event code the app reported; "" for none
	Paid               bool   // Antom reported a paymentTime (PaidAt)
	StaffCancel        bool   // a staff member's cancel operation ended it
	CancelledBy        string // that staff member, e.g. "user:ann@example.com"
	SessionExpired     bool   // the payment session expired unused
}

// Explanation is why a payment failed, in plain words.
type Explanation struct {
	Code            string // what is explained: the result code, or a State* code when no result code says it
	StoppedBy       StoppedBy
	Reason          string // for staff: what happened
	CustomerMessage string // safe to show the buyer
	Retry           Retry
	Refusal         string // the issuer's raw refusal reason, when there is one
	RefusalCode     string // its ISO 8583 code, when one is recognised
	AdviceCode      string // the merchant advice code, when there is one
	AdviceMeaning   string // what it means; "" for an unknown advice code
	CancelledBy     string // the staff member who cancelled, for a staff cancel
	// Unknown is true when no entry of the table explains the code: the
	// explanation is a safe generic one.
	Unknown bool
}

// Failed reports whether in describes a payment that failed, was cancelled
// or expired (or whose session failed): the payments ExplainFailure
// explains.
func (in FailureInput) Failed() bool {
	switch in.Status {
	case StatusFail, StatusCancelled, StatusExpired, StatusSessionFailed:
		return true
	case StatusSessionReady:
		return in.SessionExpired
	}
	return false
}

// ExplainFailure says why a payment failed: who stopped it, what to tell the
// buyer and whether trying again can work. false when the payment did not
// fail (it is paid, or still in flight).
//
// The most specific fact wins: a staff cancel, a checkout that closed
// unpaid, the buyer leaving, then the issuer's own refusal reason over
// Antom's generic decline code, and the merchant advice code over both for
// whether to try again (it is the issuer's instruction).
func ExplainFailure(in FailureInput) (Explanation, bool) {
	if !in.Failed() {
		return Explanation{}, false
	}
	state := func(code string) Explanation {
		r, _ := LookupReason(ReasonState, code)
		return fromReason(r)
	}
	var e Explanation
	switch in.Status {
	case StatusCancelled:
		switch {
		case in.StaffCancel:
			e = state(StateStaffCancel)
			e.CancelledBy = in.CancelledBy
		case in.Paid:
			e = state(StateMerchantCancel)
		case in.LastSDKEvent == antom.SDKPaymentCancel:
			e = state(StateBuyerLeft)
		default:
			e = state(StateCancelledUnpd)
		}
		return e, true
	case StatusExpired, StatusSessionReady:
		e = state(StateSessionExpired)
		if r, ok := LookupReason(ReasonSDK, in.LastSDKEvent); ok && (r.StoppedBy == StoppedBySetup || r.StoppedBy == StoppedByBuyer) {
			// The app's last word says why nobody paid: the buyer left, or
			// the SDK never showed the card form.
			e = fromReason(r)
			e.Code = StateSessionExpired
			e.Reason = "The payment session expired unpaid. The app's last SDK event was " + r.Code + ": " + r.Reason
			if r.StoppedBy == StoppedByBuyer {
				e.CustomerMessage = msgExpired
				e.Retry = RetryYes
			}
		}
		return e, true
	}
	code := strings.TrimSpace(in.ResultCode)
	if in.Status == StatusFail && code == antom.CodeOrderIsClosed && !in.Paid {
		e = state(StateClosedUnpaid)
		e.Code = code
		if in.LastSDKEvent == antom.SDKPaymentCancel {
			b := state(StateBuyerLeft)
			e.StoppedBy, e.Reason = b.StoppedBy, b.Reason+" Antom closed the order (ORDER_IS_CLOSED)."
		}
		return e, true
	}
	if r, ok := LookupReason(ReasonResult, code); ok {
		e = fromReason(r)
	} else {
		e = state(StateUnknown)
		if in.Status == StatusSessionFailed {
			e = state(StateSessionFailed)
		}
		e.Code = code
		e.Unknown = true
		if code == "" {
			e.Code = string(in.Status)
		}
		if msg := clip(in.ResultMessage); msg != "" {
			e.Reason += " Antom's message: “" + msg + "”."
		}
	}
	if raw := strings.TrimSpace(in.RefusalReasonRaw); raw != "" {
		e.Refusal = raw
		e.RefusalCode = RefusalCode(raw)
		if r, ok := LookupReason(ReasonRefusal, e.RefusalCode); ok && (e.Unknown || e.StoppedBy == StoppedByIssuer) {
			// The issuer's own reason is more precise than Antom's
			// generic decline code.
			e.StoppedBy, e.Reason, e.CustomerMessage, e.Retry = r.StoppedBy, r.Reason, r.CustomerMessage, r.Retry
			e.Unknown = false
		}
	}
	if mac := strings.TrimSpace(in.MerchantAdviceCode); mac != "" {
		e.AdviceCode = mac
		if r, ok := LookupReason(ReasonAdvice, mac); ok {
			e.AdviceMeaning = r.Name + ": " + r.Reason
			if r.Retry != "" {
				e.Retry = r.Retry
				if r.Retry == RetryLater && e.CustomerMessage == msgBankDeclined {
					e.CustomerMessage = msgTryLater
				}
			}
		}
	}
	return e, true
}

func fromReason(r Reason) Explanation {
	return Explanation{Code: r.Code, StoppedBy: r.StoppedBy, Reason: r.Reason, CustomerMessage: r.CustomerMessage, Retry: r.Retry}
}

// FailureInputOfPayment is the FailureInput of a payment at now from its own
// fields: status, Antom's result, whether it was paid and whether its
// session expired. The staff cancel and the app's last SDK event come from
// the payment's detail (FailureInputOf).
func FailureInputOfPayment(p *Payment, now time.Time) FailureInput {
	return FailureInput{
		Status:             p.Status,
		ResultCode:         p.ResultCode,
		ResultMessage:      p.ResultMessage,
		RefusalReasonRaw:   p.RefusalReasonRaw,
		MerchantAdviceCode: p.MerchantAdviceCode,
		Paid:               !p.PaidAt.IsZero(),
		SessionExpired:     p.Status == StatusExpired || (p.Status == StatusSessionReady && p.SessionExpired(now)),
	}
}

// FailureInputOf is the FailureInput of a loaded payment at now: its own
// fields, whether a staff cancel operation ended it (one Antom did not
// refuse), and the newest SDK event on its timeline.
func FailureInputOf(d *PaymentDetail, now time.Time) FailureInput {
	in := FailureInputOfPayment(&d.Payment, now)
	for _, o := range d.Operations {
		if o.Kind == OpCancel && o.State != OpFailed {
			in.StaffCancel, in.CancelledBy = true, o.Actor
		}
	}
	for _, ev := range slices.Backward(d.Timeline) {
		if ev.Kind != EventSDK {
			continue
		}
		var detail struct {
			EventCode string `json:"eventCode"`
		}
		if json.Unmarshal(ev.Detail, &detail) == nil && detail.EventCode != "" {
			in.LastSDKEvent = detail.EventCode
			break
		}
	}
	return in
}
