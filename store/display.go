package store

import (
	"time"

	"paydesk/antom"
)

// DisplayWord is a payment's status as the dashboard, the orders list, the
// filters and the app API say it: one word (or short phrase) derived from
// the ledger — status, captures, refunds — that answers "where is the money".
type DisplayWord string

// Display words, in lifecycle order (DisplayWords).
const (
	WordAwaitingPayment   DisplayWord = "Awaiting payment"
	WordProcessing        DisplayWord = "Processing"
	WordAuthorised        DisplayWord = "Authorised (not captured)"
	WordPartiallyCaptured DisplayWord = "Partially captured"
	WordCaptured          DisplayWord = "Captured"
	WordPartiallyRefunded DisplayWord = "Partially refunded"
	WordRefunded          DisplayWord = "Refunded"
	WordCancelled         DisplayWord = "Cancelled"
	WordDeclined          DisplayWord = "Declined"
	WordClosedUnpaid      DisplayWord = "Closed unpaid"
	WordExpired           DisplayWord = "Expired"
	WordSessionFailed     DisplayWord = "Session failed"
)

// DisplayWords lists every display word, in lifecycle order (the status
// filter's options).
var DisplayWords = []DisplayWord{
	WordAwaitingPayment, WordProcessing, WordAuthorised, WordPartiallyCaptured,
	WordCaptured, WordPartiallyRefunded, WordRefunded, WordCancelled,
	WordDeclined, WordClosedUnpaid, WordExpired, WordSessionFailed,
}

// displayKeys are the stable machine forms of the words: the status filter's
// query values and the app API's displayStatus.
var displayKeys = map[DisplayWord]string{
	WordAwaitingPayment:   "awaiting_payment",
	WordProcessing:        "processing",
	WordAuthorised:        "authorised",
	WordPartiallyCaptured: "partially_captured",
	WordCaptured:          "captured",
	WordPartiallyRefunded: "partially_refunded",
	WordRefunded:          "refunded",
	WordCancelled:         "cancelled",
	WordDeclined:          "declined",
	WordClosedUnpaid:      "closed_unpaid",
	WordExpired:           "expired",
	WordSessionFailed:     "session_failed",
}

// Key is the word's stable machine form, e.g. "partially_refunded"; "" for
// an unknown word.
func (w DisplayWord) Key() string { return displayKeys[w] }

// DisplayWordByKey is the word whose Key is key; false when there is none.
func DisplayWordByKey(key string) (DisplayWord, bool) {
	for w, k := range displayKeys {
		if k == key {
			return w, true
		}
	}
	return "", false
}

// Tone is the colour family a display word is shown in.
type Tone string

// Tones.
const (
	ToneOK      Tone = "ok"      // money is with the merchant
	ToneBad     Tone = "bad"     // the payment failed
	ToneWarn    Tone = "warn"    // money went back or never came; worth a look
	ToneInfo    Tone = "info"    // still moving
	ToneNeutral Tone = "neutral" // nothing to say
)

// DisplayStatus is a payment's status in words, with its tone.
type DisplayStatus struct {
	Word DisplayWord
	Tone Tone
}

// DisplayStatusOf derives a payment's display status from the ledger at now.
// Refunds win over captures (a fully refunded payment reads Refunded, not
// Captured); an uncaptured success reads Authorised (not captured); a
// SESSION_READY payment past its session expiry reads Expired before the
// sweeper records it; a cancel of a payment that was never paid (no
// paymentTime), and a FAIL whose code is ORDER_IS_CLOSED on a payment that
// was never paid, are Antom closing the order: they read Closed unpaid, in
// grey (nobody declined anything).
func DisplayStatusOf(p *Payment, now time.Time) DisplayStatus {
	switch p.Status {
	case StatusCreated:
		return DisplayStatus{WordAwaitingPayment, ToneInfo}
	case StatusSessionReady:
		if p.SessionExpired(now) {
			return DisplayStatus{WordExpired, ToneWarn}
		}
		return DisplayStatus{WordAwaitingPayment, ToneInfo}
	case StatusSessionFailed:
		return DisplayStatus{WordSessionFailed, ToneBad}
	case StatusProcessing:
		return DisplayStatus{WordProcessing, ToneInfo}
	case StatusFail:
		if closedUnpaid(p) {
			return DisplayStatus{WordClosedUnpaid, ToneNeutral}
		}
		return DisplayStatus{WordDeclined, ToneBad}
	case StatusExpired:
		return DisplayStatus{WordExpired, ToneWarn}
	case StatusCancelled:
		if p.PaidAt.IsZero() {
			return DisplayStatus{WordClosedUnpaid, ToneNeutral}
		}
		return DisplayStatus{WordCancelled, ToneWarn}
	case StatusSuccess:
		switch {
		case p.RefundedMinor > 0 && p.RefundedMinor >= p.CapturedMinor:
			return DisplayStatus{WordRefunded, ToneWarn}
		case p.RefundedMinor > 0:
			return DisplayStatus{WordPartiallyRefunded, ToneWarn}
		case p.CaptureState == CaptureFull:
			return DisplayStatus{WordCaptured, ToneOK}
		case p.CaptureState == CapturePartial:
			return DisplayStatus{WordPartiallyCaptured, ToneOK}
		}
		return DisplayStatus{WordAuthorised, ToneInfo}
	}
	return DisplayStatus{DisplayWord(p.Status), ToneNeutral}
}

// closedUnpaid reports whether a FAIL is Antom closing an order nobody
// paid (ORDER_IS_CLOSED, no paymentTime) rather than a decline.
func closedUnpaid(p *Payment) bool {
	return p.Status == StatusFail && p.ResultCode == antom.CodeOrderIsClosed && p.PaidAt.IsZero()
}

// displayCondition is the list query's WHERE condition selecting the
// payments DisplayStatusOf calls w at now, written on indexed columns
// (status, capture_state) so the list still reads an index in order. The
// three words spanning two statuses keep SQLite off the status index ("+status")
// so it reads payments_created in order and filters, rather than sorting
// every match (the plan test forbids a sort); the cost is that a page of
// these words reads past the rows in other states.
func displayCondition(w DisplayWord, now time.Time) (string, []any, bool) {
	ms := now.UnixMilli()
	switch w {
	case WordAwaitingPayment:
		return "+status IN ('CREATED', 'SESSION_READY') AND (status = 'CREATED' OR session_expires_at IS NULL OR session_expires_at > ?)", []any{ms}, true
	case WordProcessing:
		return "status = 'PROCESSING'", nil, true
	case WordAuthorised:
		return "status = 'SUCCESS' AND refunded_minor = 0 AND capture_state NOT IN ('CAPTURED', 'PARTIAL')", nil, true
	case WordPartiallyCaptured:
		return "capture_state = 'PARTIAL' AND status = 'SUCCESS' AND refunded_minor = 0", nil, true
	case WordCaptured:
		return "capture_state = 'CAPTURED' AND status = 'SUCCESS' AND refunded_minor = 0", nil, true
	case WordPartiallyRefunded:
		return "status = 'SUCCESS' AND refunded_minor > 0 AND refunded_minor < captured_minor", nil, true
	case WordRefunded:
		return "status = 'SUCCESS' AND refunded_minor > 0 AND refunded_minor >= captured_minor", nil, true
	case WordCancelled:
		return "status = 'CANCELLED' AND paid_at IS NOT NULL", nil, true
	case WordDeclined:
		return "status = 'FAIL' AND NOT (result_code = 'ORDER_IS_CLOSED' AND paid_at IS NULL)", nil, true
	case WordClosedUnpaid:
		return "+status IN ('CANCELLED', 'FAIL') AND paid_at IS NULL AND (status = 'CANCELLED' OR result_code = 'ORDER_IS_CLOSED')", nil, true
	case WordExpired:
		return "+status IN ('EXPIRED', 'SESSION_READY') AND (status = 'EXPIRED' OR session_expires_at <= ?)", []any{ms}, true
	case WordSessionFailed:
		return "status = 'SESSION_FAILED'", nil, true
	}
	return "", nil, false
}
