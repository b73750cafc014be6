package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"paydesk/antom"
)

// ApplyInquiry applies an inquiryPayment answer (resp as the antom client
// returned it with a nil error) through the same state machines as the
// notifications: paymentStatus moves the payment, transactions[] of type
// CAPTURE and REFUND move (or create) captures and refunds, a CANCEL
// transaction that succeeded cancels. An answer whose result is not S is
// recorded on the timeline without a state change. actor is "poller",
// "user:<email>", "api:<key>" … Inquiries reschedule the poller.
func (s *Store) ApplyInquiry(ctx context.Context, paymentRequestID string, resp *antom.InquiryPaymentResponse, actor string) (*Payment, error) {
	if resp == nil {
		return nil, &FieldError{Field: "response", Message: "is missing"}
	}
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		now := s.now().UTC()
		p.LastInquiryAt = now
		p.PollCount++
		if resp.Result.ResultStatus != antom.StatusSuccess {
			summary := fmt.Sprintf("Inquiry answered %s %s", resp.Result.ResultStatus, resp.Result.ResultCode)
			_, err := s.addEvent(ctx, tx, p, EventInquiry, actor, summary, map[string]any{"result": resp.Result}, 0)
			return saveOpts{polled: true}, err
		}
		var parts []string
		ev := inquiryEvent(p.Status, resp.PaymentStatus)
		po := applyPaymentEvent(p, ev, paymentFacts{
			PaymentID: resp.PaymentID, Amount: resp.PaymentAmount, PaymentTime: resp.PaymentTime,
			AuthExpiry: resp.AuthExpiryTime, MethodType: resp.PaymentMethodType, AcquirerRef: resp.AcquirerReferenceNo,
			ResultInfo: resp.PaymentResultInfo, ResultIsFinal: resp.PaymentStatus != antom.PaymentProcessing && resp.PaymentStatus != antom.PaymentPending,
			Result: antom.Result{ResultStatus: paymentStatusLetter(resp.PaymentStatus), ResultCode: resp.PaymentResultCode, ResultMessage: resp.PaymentResultMessage},
		})
		parts = append(parts, "paymentStatus "+nonEmpty(resp.PaymentStatus, "(none)")+": "+describe(po.Transition))
		if po.Effect == EffectContradiction {
			p.Flags |= FlagContradiction
		} else if isAgreement(p.Status, resp.PaymentStatus) {
			// The inquiry is the answer to a contradiction or an unknown
			// outcome: when Antom's status agrees with ours, it is resolved.
			if p.Flags&FlagContradiction != 0 {
				parts = append(parts, "agrees with the recorded status: contradiction cleared")
			}
			p.Flags &^= FlagContradiction | FlagUnknownOutcome
		}
		if po.Mismatch {
			parts = append(parts, "amount differs from the payment's")
		}
		if po.LearnedPaymentID {
			if err := s.replayParked(ctx, tx, p); err != nil {
				return saveOpts{}, err
			}
		}
		for _, t := range resp.Transactions {
			part, err := s.applyInquiryTxn(ctx, tx, p, t)
			if err != nil {
				return saveOpts{}, err
			}
			if part != "" {
				parts = append(parts, part)
			}
		}
		_, err := s.addEvent(ctx, tx, p, EventInquiry, actor, "Inquiry: "+strings.Join(parts, "; "), map[string]any{
			"paymentStatus": resp.PaymentStatus, "paymentResultCode": resp.PaymentResultCode,
			"paymentResultMessage": resp.PaymentResultMessage, "paymentId": resp.PaymentID,
			"transactions": len(resp.Transactions), "effect": po.Effect, "from": po.From, "to": po.To,
		}, 0)
		return saveOpts{polled: true}, err
	})
}

// inquiryEvent maps inquiryPayment's paymentStatus to a payment event.
// PROCESSING on a session nobody has paid yet says nothing new (Antom has
// no payment for it), so it does not move SESSION_READY or CREATED.
func inquiryEvent(cur PaymentStatus, paymentStatus string) PaymentEvent {
	switch paymentStatus {
	case antom.PaymentSuccess:
		return EvSucceeded
	case antom.PaymentFail:
		return EvFailed
	case antom.PaymentCancelled:
		return EvCancelled
	case antom.PaymentPending:
		return EvPending
	case antom.PaymentProcessing:
		if cur == StatusSessionReady || cur == StatusCreated {
			return ""
		}
		return EvPending
	}
	return ""
}

func paymentStatusLetter(ps string) string {
	switch ps {
	case antom.PaymentSuccess:
		return antom.StatusSuccess
	case antom.PaymentFail, antom.PaymentCancelled:
		return antom.StatusFail
	case "":
		return ""
	}
	return antom.StatusUnknown
}

func isAgreement(cur PaymentStatus, paymentStatus string) bool {
	switch paymentStatus {
	case antom.PaymentSuccess:
		return cur == StatusSuccess
	case antom.PaymentFail:
		return cur == StatusFail
	case antom.PaymentCancelled:
		return cur == StatusCancelled
	}
	return false
}

func (s *Store) applyInquiryTxn(ctx context.Context, tx *sql.Tx, p *Payment, t antom.Transaction) (string, error) {
	ev, ok := txnEventOf(t.TransactionStatus)
	if !ok {
		ev, ok = txnEventOf(t.TransactionResult.ResultStatus)
	}
	rep := txnReport{RequestID: t.TransactionRequestID, ID: t.TransactionID, Amount: t.TransactionAmount,
		Event: ev, Result: t.TransactionResult, Time: t.TransactionTime}
	var a applied
	detail := map[string]any{}
	switch t.TransactionType {
	case antom.TxCapture:
		if !ok {
			return "", nil
		}
		to, err := s.applyCapture(ctx, tx, p, rep)
		if err != nil {
			return "", err
		}
		return s.txnSummary("capture", ev, to, detail, &a), nil
	case antom.TxRefund:
		if !ok {
			return "", nil
		}
		to, err := s.applyRefund(ctx, tx, p, rep)
		if err != nil {
			return "", err
		}
		return s.txnSummary("refund", ev, to, detail, &a), nil
	case antom.TxCancel:
		if ev != TxnEvSucceeded {
			return "", nil
		}
		tr := NextPaymentStatus(p.Status, EvCancelled)
		switch tr.Effect {
		case EffectApply:
			p.Status = tr.To
			p.Flags &^= FlagUnknownOutcome
		case EffectContradiction:
			p.Flags |= FlagContradiction
		}
		return "CANCEL SUCCESS: " + describe(tr), nil
	}
	return "", nil
}

// RecordInquiryError records an inquiry that did not get an answer (callErr
// as the antom client returned it: F such as ORDER_NOT_EXIST, U, or a
// transport failure). The status does not change; the poller is rescheduled.
func (s *Store) RecordInquiryError(ctx context.Context, paymentRequestID string, callErr error, actor string) (*Payment, error) {
	o := OutcomeOf(callErr)
	return s.updatePayment(ctx, paymentRequestID, func(ctx context.Context, tx *sql.Tx, p *Payment) (saveOpts, error) {
		p.LastInquiryAt = s.now().UTC()
		p.PollCount++
		summary := "Inquiry failed: " + strings.TrimSpace(o.Status+" "+o.Code)
		if o.Code == "ORDER_NOT_EXIST" {
			summary = "Inquiry: Antom has no payment for this request yet (ORDER_NOT_EXIST)"
		}
		_, err := s.addEvent(ctx, tx, p, EventInquiry, actor, summary, o, 0)
		return saveOpts{polled: true}, err
	})
}
