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
			ResultInfo: resp.PaymentResultInfo, Details: &resp.PaymentDetails, ResultIsFinal: resp.PaymentStatus != antom.PaymentProcessing && resp.PaymentStatus != antom.PaymentPending,
			Result: antom.Result{ResultStatus: paymentStatusLetter(resp.PaymentStatus), ResultCode: resp.PaymentResultCode, ResultMessage: resp.PaymentResultMessage},
		})
		parts = append(parts, "paymentStatus "+nonEmpty(resp.PaymentStatus, "(none)")+": "+describe(po.Transition))
		if po.Effect == EffectContradiction {
			p.Flags |= FlagContradiction
		} else if isAgreement(p.Status, resp.PaymentStatus) {
			// The inquiry is the answer to a contradiction: when Antom's
			// status agrees with ours, it is resolved. (An unknown outcome
			// is an operation's, and clears only when the operation
			// settles: an inquiry that agrees says nothing about a cancel
			// Antom may not have processed yet.)
			if p.Flags&FlagContradiction != 0 {
				parts = append(parts, "agrees with the recorded status: contradiction cleared")
			}
			p.Flags &^= FlagContradiction
		}
		if po.Mismatch {
			parts = append(parts, "amount differs from the payment's")
		}
		if po.LearnedPaymentID {
			if err := s.replayParked(ctx, tx, p); err != nil {
				return saveOpts{}, err
			}
		}
		mismatch := po.Mismatch || resp.PaymentAmount == nil
		for _, t := range resp.Transactions {
			part, txnMismatch, err := s.applyInquiryTxn(ctx, tx, p, t)
			if err != nil {
				return saveOpts{}, err
			}
			mismatch = mismatch || txnMismatch
			if part != "" {
				parts = append(parts, part)
			}
		}
		if !mismatch && p.Flags&FlagAmountMismatch != 0 && po.Effect != EffectContradiction {
			// Our own request is the truth for amounts; the inquiry,
			// which we asked for, confirms them: the mismatch a
			// notification raised is answered.
			p.Flags &^= FlagAmountMismatch
			parts = append(parts, "Antom's amounts agree with the ledger: amount mismatch cleared")
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

// applyInquiryTxn applies one of inquiryPayment's transactions and says
// what it did, and whether its amount disagrees with the ledger.
func (s *Store) applyInquiryTxn(ctx context.Context, tx *sql.Tx, p *Payment, t antom.Transaction) (string, bool, error) {
	ev, ok := txnEventOf(t.TransactionStatus)
	if !ok {
		ev, ok = txnEventOf(t.TransactionResult.ResultStatus)
	}
	rep := txnReport{RequestID: t.TransactionRequestID, ID: t.TransactionID, Amount: t.TransactionAmount,
		Event: ev, Result: t.TransactionResult, Time: t.TransactionTime, FromInquiry: true,
		Details: txnDetailsReport{Acquirer: t.AcquirerInfo, Gross: t.GrossSettlementAmount, Quote: t.SettlementQuote}}
	var a applied
	detail := map[string]any{}
	var k txnKind
	switch t.TransactionType {
	case antom.TxCapture:
		k = captureKind
	case antom.TxRefund:
		k = refundKind
	case antom.TxCancel:
		if ev != TxnEvSucceeded {
			return "", false, nil
		}
		tr := NextPaymentStatus(p.Status, EvCancelled)
		switch tr.Effect {
		case EffectApply:
			p.Status = tr.To
		case EffectContradiction:
			p.Flags |= FlagContradiction
		}
		return "CANCEL SUCCESS: " + describe(tr), false, nil
	default:
		return "", false, nil
	}
	if !ok {
		return "", false, nil
	}
	to, err := k.apply(s, ctx, tx, p, rep)
	if err != nil {
		return "", false, err
	}
	part := s.txnSummary(k.name, ev, to, detail, &a)
	if to.Corrected {
		part += "; booked amount corrected to Antom's"
	}
	return part, to.Mismatch, nil
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
