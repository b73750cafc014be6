package handlers

import "paydesk/store"

// apiFailure is why a payment failed, was cancelled or expired, for the
// merchant's app to tell the buyer the same thing the dashboard says
// (store.ExplainFailure).
type apiFailure struct {
	// Code is the code explained: Antom's result code, or one of Paydesk's
	// situation codes (CLOSED_UNPAID, SESSION_EXPIRED, STAFF_CANCEL, …).
	Code string `json:"code"`
	// Reason is what happened, in plain words, for staff.
	Reason string `json:"reason"`
	// CustomerMessage is safe to show the buyer as it is.
	CustomerMessage string `json:"customerMessage"`
	// Retryable says whether a new attempt can work at all; Retry says how:
	// yes, later, another_card or no.
	Retryable bool   `json:"retryable"`
	Retry     string `json:"retry"`
	// StoppedBy is who stopped it: issuer, risk, 3ds, buyer, merchant,
	// closed_unpaid, session_expired, setup, antom or unknown.
	StoppedBy     string `json:"stoppedBy"`
	RefusalReason string `json:"refusalReason,omitempty"` // the issuer's raw refusal reason
	AdviceCode    string `json:"adviceCode,omitempty"`    // Mastercard's merchant advice code
	AdviceMeaning string `json:"adviceMeaning,omitempty"`
	// Unknown is true when Paydesk has no explanation for the code: the
	// explanation is a safe generic one.
	Unknown bool `json:"unknown"`
}

// failureOf is the app API's failure object for in; nil when the payment
// did not fail.
func failureOf(in store.FailureInput) *apiFailure {
	e, ok := store.ExplainFailure(in)
	if !ok {
		return nil
	}
	return &apiFailure{
		Code: e.Code, Reason: e.Reason, CustomerMessage: e.CustomerMessage,
		Retryable: e.Retry.Can(), Retry: string(e.Retry), StoppedBy: string(e.StoppedBy),
		RefusalReason: e.Refusal, AdviceCode: e.AdviceCode, AdviceMeaning: e.AdviceMeaning, Unknown: e.Unknown,
	}
}
