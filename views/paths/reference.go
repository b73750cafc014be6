package paths

// FailureReasons is the dashboard's reference of decline and failure
// reasons: every result code, refusal reason, merchant advice code and SDK
// event with who stopped the payment, what to tell the buyer and whether a
// retry can work.
const FailureReasons = "/reference/failure-reasons"

// FailureReason is the row of one code of a kind on the reference page.
func FailureReason(kind, code string) string {
	return FailureReasons + "#" + FailureReasonAnchor(kind, code)
}

// FailureReasonAnchor is the id of a code's row on the reference page, e.g.
// "result-DO_NOT_HONOR" (a code can be of several kinds: "01" is both an
// ISO 8583 response code and a merchant advice code).
func FailureReasonAnchor(kind, code string) string {
	return kind + "-" + code
}
