package store

// The state machines are plain functions of (status, event); the store
// applies them inside the transaction that records the event.

// PaymentEvent is something that can move a payment's status.
type PaymentEvent string

// Payment events, whatever their source (session API, notification, inquiry,
// staff action, expiry sweeper).
const (
	EvSessionCreated PaymentEvent = "session_created" // createPaymentSession S
	EvSessionFailed  PaymentEvent = "session_failed"  // createPaymentSession F
	EvPending        PaymentEvent = "pending"         // PAYMENT_PENDING, inquiry PENDING: the buyer submitted, result awaited
	EvSucceeded      PaymentEvent = "succeeded"       // PAYMENT_RESULT S, inquiry SUCCESS
	EvFailed         PaymentEvent = "failed"          // PAYMENT_RESULT F, inquiry FAIL
	EvCancelled      PaymentEvent = "cancelled"       // cancel S, inquiry CANCELLED, a CANCEL transaction
	EvCaptured       PaymentEvent = "captured"        // a capture succeeded, so the authorization did
	EvSessionExpired PaymentEvent = "session_expired" // the session expiry passed with nothing paid
)

// PaymentEvents lists every payment event.
var PaymentEvents = []PaymentEvent{
	EvSessionCreated, EvSessionFailed, EvPending, EvSucceeded, EvFailed,
	EvCancelled, EvCaptured, EvSessionExpired,
}

// Effect is what an event does to a status.
type Effect string

// Effects.
const (
	// EffectApply: the status moves to Transition.To.
	EffectApply Effect = "apply"
	// EffectSame: the event confirms the current status; details it
	// carries (card, times, codes) may still be recorded.
	EffectSame Effect = "same"
	// EffectIgnore: the event is stale or does not apply to this status;
	// nothing changes (it is still kept on the timeline).
	EffectIgnore Effect = "ignore"
	// EffectContradiction: the event contradicts a final result (S then F);
	// the status stays, the payment is flagged and an inquiry is due.
	EffectContradiction Effect = "contradiction"
)

// Transition is the result of a state machine step.
type Transition struct {
	From, To PaymentStatus // To == From unless Effect is EffectApply
	Effect   Effect
}

// NextPaymentStatus is the payment state machine.
//
// Forward only: CREATED → SESSION_READY | SESSION_FAILED; SESSION_READY →
// PROCESSING → SUCCESS | FAIL | CANCELLED; SESSION_READY → EXPIRED. Antom's
// word on a payment (pending, success, failure, cancel, capture) may skip
// steps, because notifications and inquiries overtake each other. SUCCESS,
// FAIL and CANCELLED are Antom's verdicts and never move back; the one move
// out of SUCCESS is CANCELLED (an authorization voided by cancel). A success
// after a failure or a failure after a success is a contradiction.
// SESSION_FAILED and EXPIRED are Paydesk's own conclusions about the session,
// not Antom's about a payment, so later evidence from Antom that a payment
// happened moves them on.
func NextPaymentStatus(from PaymentStatus, ev PaymentEvent) Transition {
	to, eff := nextPayment(from, ev)
	if eff != EffectApply {
		to = from
	}
	return Transition{From: from, To: to, Effect: eff}
}

func nextPayment(from PaymentStatus, ev PaymentEvent) (PaymentStatus, Effect) {
	apply := func(to PaymentStatus) (PaymentStatus, Effect) {
		if to == from {
			return from, EffectSame
		}
		return to, EffectApply
	}
	// Antom's evidence about a payment, before any verdict of Antom's.
	antomEvidence := func() (PaymentStatus, Effect) {
		switch ev {
		case EvPending:
			return apply(StatusProcessing)
		case EvSucceeded, EvCaptured:
			return apply(StatusSuccess)
		case EvFailed:
			return apply(StatusFail)
		case EvCancelled:
			return apply(StatusCancelled)
		}
		return from, EffectIgnore
	}
	switch from {
	case StatusCreated:
		switch ev {
		case EvSessionCreated:
			return apply(StatusSessionReady)
		case EvSessionFailed:
			return apply(StatusSessionFailed)
		case EvSessionExpired:
			return from, EffectIgnore // no session yet
		}
		return antomEvidence()
	case StatusSessionReady:
		switch ev {
		case EvSessionCreated:
			return from, EffectSame
		case EvSessionFailed:
			return from, EffectIgnore // a late failure of a retried create; the session exists
		case EvSessionExpired:
			return apply(StatusExpired)
		}
		return antomEvidence()
	case StatusSessionFailed, StatusExpired:
		switch ev {
		case EvSessionCreated, EvSessionFailed, EvSessionExpired:
			if (from == StatusSessionFailed && ev == EvSessionFailed) || (from == StatusExpired && ev == EvSessionExpired) {
				return from, EffectSame
			}
			return from, EffectIgnore
		}
		return antomEvidence()
	case StatusProcessing:
		switch ev {
		case EvSessionCreated, EvSessionFailed, EvSessionExpired:
			return from, EffectIgnore // the buyer already submitted
		}
		return antomEvidence()
	case StatusSuccess:
		switch ev {
		case EvSucceeded, EvCaptured:
			return from, EffectSame
		case EvFailed:
			return from, EffectContradiction
		case EvCancelled:
			return apply(StatusCancelled)
		}
		return from, EffectIgnore
	case StatusFail:
		switch ev {
		case EvFailed:
			return from, EffectSame
		case EvSucceeded, EvCaptured:
			return from, EffectContradiction
		}
		return from, EffectIgnore
	case StatusCancelled:
		switch ev {
		case EvCancelled:
			return from, EffectSame
		case EvCaptured:
			return from, EffectContradiction // money captured on a cancelled payment
		}
		// A late success is the authorization that preceded the cancel.
		return from, EffectIgnore
	}
	return from, EffectIgnore
}

// TxnEvent is a result about a capture or a refund.
type TxnEvent string

// Capture and refund events.
const (
	TxnEvSucceeded TxnEvent = "succeeded" // S / SUCCESS
	TxnEvFailed    TxnEvent = "failed"    // F / FAIL
	TxnEvPending   TxnEvent = "pending"   // U / PROCESSING
)

// TxnEvents lists every capture/refund event.
var TxnEvents = []TxnEvent{TxnEvSucceeded, TxnEvFailed, TxnEvPending}

// TxnTransition is the result of a capture or refund state machine step.
type TxnTransition struct {
	From, To TxnStatus
	Effect   Effect
}

// NextTxnStatus is the capture machine and the refund machine (they are the
// same): PROCESSING → SUCCESS | FAIL; a final status never moves, and the
// opposite final result is a contradiction.
func NextTxnStatus(from TxnStatus, ev TxnEvent) TxnTransition {
	t := TxnTransition{From: from, To: from, Effect: EffectIgnore}
	switch from {
	case TxnProcessing:
		switch ev {
		case TxnEvSucceeded:
			t.To, t.Effect = TxnSuccess, EffectApply
		case TxnEvFailed:
			t.To, t.Effect = TxnFail, EffectApply
		case TxnEvPending:
			t.Effect = EffectSame
		}
	case TxnSuccess:
		switch ev {
		case TxnEvSucceeded:
			t.Effect = EffectSame
		case TxnEvFailed:
			t.Effect = EffectContradiction
		}
	case TxnFail:
		switch ev {
		case TxnEvFailed:
			t.Effect = EffectSame
		case TxnEvSucceeded:
			t.Effect = EffectContradiction
		}
	}
	return t
}

// txnEventOf maps a result status (S/F/U) or a transaction/refund status
// (SUCCESS/FAIL/PROCESSING/PENDING) to a TxnEvent; ok is false for anything else.
func txnEventOf(status string) (TxnEvent, bool) {
	switch status {
	case "S", "SUCCESS":
		return TxnEvSucceeded, true
	case "F", "FAIL", "FAILED":
		return TxnEvFailed, true
	case "U", "PROCESSING", "PENDING":
		return TxnEvPending, true
	}
	return "", false
}
