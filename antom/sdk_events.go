package antom

import "slices"

// The event codes of Antom's client SDK, as onEventCallback (or onError)
// reports them to the merchant app (the seed's "Display payment results" and
// "Event codes" tables, and SDK_FORM_VERIFICATION_FAILED from its sample
// code). They are protocol facts: the simulator shows them and the store
// records them.
const (
	SDKPaymentSuccessful           = "SDK_PAYMENT_SUCCESSFUL"
	SDKPaymentProcessing           = "SDK_PAYMENT_PROCESSING"
	SDKPaymentFail                 = "SDK_PAYMENT_FAIL"
	SDKPaymentCancel               = "SDK_PAYMENT_CANCEL"
	SDKPaymentError                = "SDK_PAYMENT_ERROR"
	SDKFormVerificationFailed      = "SDK_FORM_VERIFICATION_FAILED"
	SDKStartOfLoading              = "SDK_START_OF_LOADING"
	SDKEndOfLoading                = "SDK_END_OF_LOADING"
	SDKInternalError               = "SDK_INTERNAL_ERROR"
	SDKCreatePaymentParameterError = "SDK_CREATEPAYMENT_PARAMETER_ERROR"
	SDKCallURLError                = "SDK_CALL_URL_ERROR"
	SDKIntegrationError            = "SDK_INTEGRATION_ERROR"
)

// SDKCodeKind groups the SDK's event codes as the seed does.
type SDKCodeKind string

// SDK code kinds.
const (
	// SDKKindResult: a payment result shown to the buyer (for display only;
	// the server's status is the truth).
	SDKKindResult SDKCodeKind = "result"
	// SDKKindForm: the card form refused the input; nothing reached Antom.
	SDKKindForm SDKCodeKind = "form"
	// SDKKindStatus: a status code of the component's lifecycle.
	SDKKindStatus SDKCodeKind = "status"
	// SDKKindError: an error code of the component's initialization.
	SDKKindError SDKCodeKind = "error"
)

// SDKCode is one event code of the client SDK with the seed's explanation.
type SDKCode struct {
	Code    string
	Kind    SDKCodeKind
	Meaning string // what the seed says it means
	Action  string // the seed's recommended action
}

// sdkCodes is the catalogue, in the seed's order. Meaning and Action are the
// seed's words.
var sdkCodes = []SDKCode{
	{SDKPaymentSuccessful, SDKKindResult,
		"Payment was successful.",
		"Suggest redirecting buyers to the payment result page."},
	{SDKPaymentProcessing, SDKKindResult,
		"Payment was being processed.",
		"We suggest that you check the value of paymentResultCode in the onEventCallback result data for details. Guide buyers to retry the payment based on the provided information."},
	{SDKPaymentFail, SDKKindResult,
		"Payment failed.",
		"We suggest that you check the value of paymentResultCode in the onEventCallback result data for details. Guide buyers to retry the payment based on the provided information."},
	{SDKPaymentCancel, SDKKindResult,
		"The buyer exits the payment page without submitting the order.",
		"The SDK can be re-invoked with a paymentSessionData within the validity period; if it has expired, the paymentSessionData needs to be re-requested."},
	{SDKPaymentError, SDKKindResult,
		"The payment status was abnormal.",
		"We suggest that you check the value of paymentResultCode in the onEventCallback result data for details. Guide buyers to retry the payment based on the provided information."},
	{SDKFormVerificationFailed, SDKKindForm,
		"The SDK displays a form error code on the element collection page if the form submission fails.",
		"No action: the buyer corrects the card details and submits again. (The seed shows this code in its sample code only.)"},
	{SDKStartOfLoading, SDKKindStatus,
		"The loading animation starts to play during the payment component creation.",
		"No further action."},
	{SDKEndOfLoading, SDKKindStatus,
		"The loading animation ends during the payment component creation.",
		"No further action."},
	{SDKInternalError, SDKKindError,
		"The internal error of the SDK occurs.",
		"Contact Antom Technical Support to resolve the issue."},
	{SDKCreatePaymentParameterError, SDKKindError,
		"The parameters passed into the createComponent method are incorrect.",
		"Ensure the parameters are passed correctly and send a new request."},
	{SDKCallURLError, SDKKindError,
		"Represents one of the following cases: the redirection to the merchant page failed to be executed; the parameter paymentRedirectUrl in your createPaymentSession (Cashier Payment) request is not passed or passed incorrectly.",
		"Contact Antom Technical Support to resolve the issue."},
	{SDKIntegrationError, SDKKindError,
		"Dependencies are not found.",
		"Ensure that the dependencies are added correctly and retry the integration process."},
}

// SDKCodes returns the SDK's event codes with their explanations, in the
// seed's order.
func SDKCodes() []SDKCode { return slices.Clone(sdkCodes) }

// LookupSDKCode returns the catalogue entry of an event code. Codes are
// matched exactly.
func LookupSDKCode(code string) (SDKCode, bool) {
	for _, c := range sdkCodes {
		if c.Code == code {
			return c, true
		}
	}
	return SDKCode{}, false
}
