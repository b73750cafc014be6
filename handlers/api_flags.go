package handlers

import (
	"strconv"

	"paydesk/store"
	"paydesk/views/pages"
)

// flagExplanations says, for each flag, what it means and what a support
// agent should do. It is the one source for the detail page (FlagList), the
// reference page and the app API's "flags".
var flagExplanations = []struct {
	flag store.Flag
	view pages.FlagView
}{
	{store.FlagSDKFailServerSuccess, pages.FlagView{
		Label: "SDK failure, server paid", Title: "SDK failure, but the payment succeeded", Tone: pages.ToneBad,
		Meaning: "The buyer was shown a failure or a cancel (SDK_PAYMENT_FAIL, SDK_PAYMENT_CANCEL or SDK_PAYMENT_ERROR), but Antom says the payment is SUCCESS: the buyer was charged while being told they were not.",
		Action:  "Contact the buyer before they pay twice: either fulfil the order, or give the money back (refund, or cancel an uncaptured authorization). The flag clears when the payment is refunded in full or cancelled, or when the SDK later reports success.",
	}},
	{store.FlagSDKSuccessServerFail, pages.FlagView{
		Label: "SDK success, server not paid", Title: "SDK success, but the payment did not succeed", Tone: pages.ToneBad,
		Meaning: "The buyer was shown “Payment was successful” (SDK_PAYMENT_SUCCESSFUL), but the server says the payment failed, was cancelled or expired.",
		Action:  "Do not fulfil the order on the SDK's word. Tell the buyer the payment did not go through and offer a new payment. If the buyer shows a charge, re-run the inquiry and contact Antom Technical Support with the paymentRequestId. The flag clears if Antom reports success or the SDK reports the failure.",
	}},
	{store.FlagContradiction, pages.FlagView{
		Label: "contradiction", Title: "Antom contradicted itself", Tone: pages.ToneBad,
		Meaning: "Antom reported incompatible results for this payment (for example a final notification said SUCCESS and an inquiry said FAIL). Paydesk kept the first final status and did not guess.",
		Action:  "An inquiry was started automatically; the flag clears when Antom's answer agrees with the recorded status. Until then neither ship nor refund. If it persists, contact Antom Technical Support with the paymentRequestId and paymentId.",
	}},
	{store.FlagSDKSuccessNoNotify, pages.FlagView{
		Label: "SDK success, no result", Title: "SDK success, no payment result from Antom", Tone: pages.ToneWarn,
		Meaning: "The buyer was shown “Payment was successful” (SDK_PAYMENT_SUCCESSFUL), but 10 seconds later Antom had sent no payment result (it usually notifies within 3–5 seconds) and no inquiry had confirmed it.",
		Action:  "Do not fulfil the order yet. An inquiry was started automatically; if it has no final answer either, check on the Notifications page that Antom's notifications reach Paydesk, then re-run the inquiry. The flag clears when the payment result arrives.",
	}},
	{store.FlagSDKProcessingStuck, pages.FlagView{
		Label: "SDK processing, nothing final", Title: "SDK processing, nothing final after the order-close window", Tone: pages.ToneWarn,
		Meaning: "The buyer was shown “Payment was being processed” (SDK_PAYMENT_PROCESSING) and nothing final came within Antom's order-close window (about 14 minutes).",
		Action:  "An inquiry was started automatically. If Antom still says PROCESSING, contact Antom Technical Support with the paymentRequestId, and ask the buyer not to pay again until it is resolved. The flag clears when a final result arrives.",
	}},
	{store.FlagStuck, pages.FlagView{
		Label: "stuck", Title: "No final result after the order-close window", Tone: pages.ToneWarn,
		Meaning: "The payment has been in flight for longer than Antom's order-close window (about 14 minutes) without a final result.",
		Action:  "Re-run the inquiry. If Antom still says PROCESSING, contact Antom Technical Support with the paymentRequestId.",
	}},
	{store.FlagAmountMismatch, pages.FlagView{
		Label: "amount mismatch", Title: "Amount or currency mismatch", Tone: pages.ToneBad,
		Meaning: "Antom reported an amount or currency different from the one this payment, capture or refund was created with.",
		Action:  "Compare the notification's raw payload with the order before fulfilling or refunding, and contact Antom Technical Support with the paymentId.",
	}},
	{store.FlagUnknownOutcome, pages.FlagView{
		Label: "outcome unknown", Title: "Outcome of an Antom call unknown", Tone: pages.ToneInfo,
		Meaning: "An Antom call answered U (unknown), failed with an HTTP error, or got no answer in time, so Paydesk does not know yet whether it took effect.",
		Action:  "Usually nothing: Paydesk re-sends the same request (same request ID, which Antom is idempotent on) or asks Antom, with growing pauses, until Antom answers; the payment page shows each attempt and when the next one is due.",
	}},
	{store.FlagOperationOverdue, pages.FlagView{
		Label: "operation overdue", Title: "A capture, cancel or refund is still unconfirmed past Antom's window", Tone: pages.ToneBad,
		Meaning: "Paydesk asked Antom for a capture, cancel or refund and has not had a definitive answer, although Antom's window for it (7 days after authorisation for a capture or cancel, a day for a refund) has passed.",
		Action:  "Contact Antom Technical Support with the request ID shown under Operations and ask whether it took effect. Paydesk keeps asking; the flag clears when Antom answers.",
	}},
}

// FlagExplanations explains each flag set in f, most urgent first: what it
// means and what to do. The payment detail page renders it with
// pages.FlagList; the list's "Needs attention" filter selects payments with
// any flag.
func FlagExplanations(f store.Flag) []pages.FlagView {
	var out []pages.FlagView
	known := store.Flag(0)
	for _, e := range flagExplanations {
		known |= e.flag
		if f&e.flag != 0 {
			v := e.view
			v.Code = e.flag.String()
			out = append(out, v)
		}
	}
	// A flag added to the store without an explanation here still shows.
	for bit := store.Flag(1); bit != 0 && bit <= f; bit <<= 1 {
		if f&bit != 0 && known&bit == 0 {
			name := bit.String()
			if name == "" {
				name = "flag " + strconv.FormatUint(uint64(bit), 10)
			}
			out = append(out, pages.FlagView{Code: name, Label: name, Title: name, Tone: pages.ToneWarn,
				Meaning: "Paydesk flagged this payment for a person to look at.", Action: "Read the timeline."})
		}
	}
	return out
}

// allFlags is every flag with an explanation, for the reference page.
func allFlags() store.Flag {
	var f store.Flag
	for _, e := range flagExplanations {
		f |= e.flag
	}
	return f
}
