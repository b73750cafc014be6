package store

// Money operations as durable intents (migrations/0004_operations.sql).
//
// A capture, cancel or refund that staff ask for is an operation row,
// committed in the same transaction as the capture or refund it creates and
// before Antom is called. While it is pending it belongs to the operations
// layer (store/ops): the first send, then the reconciler's re-sends with
// the same request ID or inquiries, until Antom's answer is definitive. The
// store decides nothing about timing: callers pass when the next attempt is
// due. An operation is settled by the ledger, whatever told it: the answer
// to our call, a notification, or an inquiry — savePayment settles every
// pending operation whose capture, refund or cancel the ledger now knows
// the outcome of (settleOperations).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"paydesk/antom"
)

// OpKind is what an operation asks Antom to do.
type OpKind string

// Operation kinds.
const (
	OpCapture OpKind = "capture"
	OpCancel  OpKind = "cancel"
	OpRefund  OpKind = "refund"
)

// OpState is where an operation is.
type OpState string

// Operation states: pending until Antom's answer is definitive.
const (
	OpPending   OpState = "pending"
	OpSucceeded OpState = "succeeded"
	OpFailed    OpState = "failed"
)

// OpMode is how the reconciler learns a pending operation's outcome.
type OpMode string

// Operation modes.
const (
	// OpSend sends the request (again) with the same request ID, which
	// Antom is idempotent on: the first attempt, after a crash, and after
	// an inquiry showed that Antom does not have it.
	OpSend OpMode = "send"
	// OpInquire asks Antom for the outcome (inquiryPayment for a capture or
	// a cancel, inquiryRefund for a refund): after a send whose answer was
	// not definitive (U, a timeout, HTTP 5xx, no connection). What Antom
	// has is never sent twice; what it has not is sent again.
	OpInquire OpMode = "inquire"
)

// Operation is one money operation Paydesk asked Antom for.
type Operation struct {
	ID               int64
	PaymentRequestID string
	PaymentID        string // Antom's paymentId of the payment
	NotifyURL        string // the payment's notify URL (refundNotifyUrl)
	Kind             OpKind
	RequestID        string // captureRequestId, refundRequestId; paymentRequestId for a cancel
	AmountMinor      int64  // 0 for a cancel
	Currency         string
	Reason           string // refundReason
	Actor            string
	State            OpState
	Mode             OpMode
	Attempts         int  // sends and inquiries started
	Unknown          bool // an attempt ended without a definitive answer
	NextAttemptAt    time.Time
	LastAttemptAt    time.Time
	LastAnswer       string // what the last attempt learnt, in words
	ResultCode       string // Antom's definitive code
	ResultMessage    string
	Overdue          bool // past Antom's window while still pending
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ResolvedAt       time.Time

	paymentFK int64
}

// Title names the operation for people: "Capture of 42.00 SGD", "Cancel".
func (o *Operation) Title() string {
	switch o.Kind {
	case OpCapture:
		return "Capture of " + antom.FormatMinor(o.AmountMinor, o.Currency) + " " + o.Currency
	case OpRefund:
		return "Refund of " + antom.FormatMinor(o.AmountMinor, o.Currency) + " " + o.Currency
	}
	return "Cancel"
}

const opCols = `o.id, p.payment_request_id, coalesce(p.payment_id, ''), p.notify_url, o.kind, o.request_id,
	o.amount_minor, o.currency, o.reason, o.actor, o.state, o.mode, o.attempts, o.unknown,
	o.next_attempt_at, o.last_attempt_at, o.last_answer, o.result_code, o.result_message, o.overdue,
	o.created_at, o.updated_at, o.resolved_at, o.payment_fk`

func scanOperation(sc scanner) (*Operation, error) {
	var o Operation
	var next, last, resolved sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&o.ID, &o.PaymentRequestID, &o.PaymentID, &o.NotifyURL, &o.Kind, &o.RequestID,
		&o.AmountMinor, &o.Currency, &o.Reason, &o.Actor, &o.State, &o.Mode, &o.Attempts, &o.Unknown,
		&next, &last, &o.LastAnswer, &o.ResultCode, &o.ResultMessage, &o.Overdue,
		&created, &updated, &resolved, &o.paymentFK); err != nil {
		return nil, err
	}
	o.NextAttemptAt, o.LastAttemptAt, o.ResolvedAt = fromMS(next), fromMS(last), fromMS(resolved)
	o.CreatedAt, o.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &o, nil
}

func operationByID(ctx context.Context, q querier, id int64) (*Operation, error) {
	o, err := scanOperation(q.QueryRowContext(ctx, "SELECT "+opCols+
		" FROM operations o JOIN payments p ON p.id = o.payment_fk WHERE o.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: load operation: %w", err)
	}
	return o, nil
}

func collectOperations(rows *sql.Rows) ([]Operation, error) {
	defer rows.Close()
	var out []Operation
	for rows.Next() {
		o, err := scanOperation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: operations: %w", err)
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

// GetOperation loads one operation.
func (s *Store) GetOperation(ctx context.Context, id int64) (*Operation, error) {
	return operationByID(ctx, s.rdb, id)
}

// PaymentOperations lists a payment's operations, oldest first.
func (s *Store) PaymentOperations(ctx context.Context, paymentRequestID string) ([]Operation, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
		WHERE p.payment_request_id = ? ORDER BY o.id`, paymentRequestID)
	if err != nil {
		return nil, fmt.Errorf("store: operations: %w", err)
	}
	return collectOperations(rows)
}

// insertOperation adds a pending operation whose first attempt starts now
// and is leased until firstLease: if nothing is recorded by then (a crash
// between commit and send), the reconciler sends it again.
func (s *Store) insertOperation(ctx context.Context, tx *sql.Tx, p *Payment, o *Operation, firstLease time.Time) error {
	now := s.now().UTC()
	o.State, o.Mode, o.Attempts = OpPending, OpSend, 1
	o.CreatedAt, o.UpdatedAt, o.LastAttemptAt, o.NextAttemptAt = now, now, now, firstLease.UTC()
	o.PaymentRequestID, o.PaymentID, o.NotifyURL, o.paymentFK = p.PaymentRequestID, p.PaymentID, p.NotifyURL, p.ID
	err := tx.QueryRowContext(ctx, `INSERT INTO operations (payment_fk, kind, request_id, amount_minor, currency,
		reason, actor, state, mode, attempts, next_attempt_at, last_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ID, o.Kind, o.RequestID, o.AmountMinor, o.Currency, o.Reason, o.Actor, o.State, o.Mode, o.Attempts,
		ms(o.NextAttemptAt), ms(o.LastAttemptAt), now.UnixMilli(), now.UnixMilli()).Scan(&o.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return conflictf("a %s is already in progress; wait for its result", o.Kind)
		}
		return fmt.Errorf("store: insert operation: %w", err)
	}
	return nil
}

// ClaimDueOperations takes the pending operations whose next attempt is due
// at now, earliest due first, at most limit: each gets one more attempt,
// leased until now+lease (offered again if nothing is recorded by then). An
// operation whose last attempt recorded nothing is marked unknown and asked
// about before it is sent again.
func (s *Store) ClaimDueOperations(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Operation, error) {
	var out []Operation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
			WHERE o.state = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?`,
			now.UnixMilli(), pageLimit(limit))
		if err != nil {
			return fmt.Errorf("store: due operations: %w", err)
		}
		ops, err := collectOperations(rows)
		if err != nil {
			return err
		}
		until := now.Add(lease).UTC()
		for i := range ops {
			o := &ops[i]
			if !o.Unknown {
				// The last attempt recorded nothing before its lease
				// ended (Paydesk stopped, or the record failed): its
				// outcome is unknown, so ask Antom before sending again.
				o.Unknown, o.Mode, o.LastAnswer = true, OpInquire, noAnswerRecorded
			}
			if _, err := tx.ExecContext(ctx, `UPDATE operations SET attempts = attempts + 1, last_attempt_at = ?,
				next_attempt_at = ?, unknown = 1, mode = ?, last_answer = ?, updated_at = ? WHERE id = ?`,
				now.UnixMilli(), until.UnixMilli(), o.Mode, o.LastAnswer, now.UnixMilli(), o.ID); err != nil {
				return fmt.Errorf("store: claim operation: %w", err)
			}
			o.Attempts++
			o.LastAttemptAt, o.NextAttemptAt = now.UTC(), until
			if o.LastAnswer == noAnswerRecorded {
				if err := s.noteLostAttempt(ctx, tx, o); err != nil {
					return err
				}
			}
		}
		out = ops
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// noAnswerRecorded is the last answer of an attempt whose lease ended with
// nothing recorded.
const noAnswerRecorded = "no answer recorded (Paydesk stopped during the call, or could not record it)"

// noteLostAttempt tells the timeline that an attempt's answer was lost and
// saves the payment, which raises unknown_outcome.
func (s *Store) noteLostAttempt(ctx context.Context, tx *sql.Tx, o *Operation) error {
	p, err := paymentByID(ctx, tx, o.paymentFK)
	if err != nil {
		return err
	}
	summary := fmt.Sprintf("%s: no answer was recorded for attempt %d (Paydesk stopped during the call, or could not record it); asking Antom before sending it again",
		o.Title(), o.Attempts-1)
	if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "system", summary, map[string]any{"operation": o.ID, "attempt": o.Attempts - 1}, 0); err != nil {
		return err
	}
	return s.savePayment(ctx, tx, p, p.Status, saveOpts{})
}

// NextOperationDue is when the earliest pending operation is due (zero when none).
func (s *Store) NextOperationDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM operations WHERE state = 'pending'`).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next operation: %w", err)
	}
	return fromMS(at), nil
}

// Attempt is what one attempt of an operation learnt, for the record.
type Attempt struct {
	Outcome APIOutcome // the call's outcome (OutcomeOf the client's error)
	// Next is when to try again if the outcome is still not known.
	Next time.Time
}

// AttemptWords says what an attempt learnt: "Antom answered U
// UNKNOWN_EXCEPTION", "no answer: context deadline exceeded".
func AttemptWords(o APIOutcome) string {
	switch {
	case o.Status == antom.StatusUnknown && o.Code == "":
		return "no answer from Antom (" + o.Message + ")"
	default:
		s := "Antom answered " + strings.TrimSpace(o.Status+" "+o.Code)
		if o.Message != "" && o.Status != antom.StatusSuccess {
			s += " (" + o.Message + ")"
		}
		return s
	}
}

// afterAttempt records on a still-pending operation that an attempt did
// not settle it: when the next one is due and how it is made. Operations
// the ledger settled meanwhile are left alone (settleOperations has run).
func (s *Store) afterAttempt(ctx context.Context, tx *sql.Tx, opID int64, a Attempt, words string, mode OpMode) error {
	now := s.now().UTC()
	_, err := tx.ExecContext(ctx, `UPDATE operations SET unknown = 1, mode = ?, next_attempt_at = ?, last_answer = ?,
		updated_at = ? WHERE id = ? AND state = 'pending'`, mode, ms(a.Next), words, now.UnixMilli(), opID)
	if err != nil {
		return fmt.Errorf("store: record attempt: %w", err)
	}
	return nil
}

// resolveOperation ends a pending operation.
func (s *Store) resolveOperation(ctx context.Context, tx *sql.Tx, p *Payment, o *Operation, state OpState, code, message, answer string) error {
	now := s.now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE operations SET state = ?, next_attempt_at = NULL, resolved_at = ?,
		result_code = ?, result_message = ?, last_answer = CASE WHEN ? = '' THEN last_answer ELSE ? END, updated_at = ?
		WHERE id = ? AND state = 'pending'`, state, now.UnixMilli(), code, message, answer, answer, now.UnixMilli(), o.ID)
	if err != nil {
		return fmt.Errorf("store: resolve operation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	summary := o.Title() + " confirmed by Antom"
	if state == OpFailed {
		summary = o.Title() + " refused by Antom"
		if code != "" {
			summary += ": " + code
		}
	}
	if o.Attempts > 1 {
		summary += fmt.Sprintf(" after %d attempts", o.Attempts)
	}
	_, err = s.addEvent(ctx, tx, p, EventOperation, "system", summary, map[string]any{
		"operation": o.ID, "kind": o.Kind, "requestId": o.RequestID, "state": state, "resultCode": code, "attempts": o.Attempts,
	}, 0)
	return err
}

// operationAndPayment loads an operation and its payment inside tx.
func operationAndPayment(ctx context.Context, tx *sql.Tx, opID int64) (*Operation, *Payment, error) {
	o, err := operationByID(ctx, tx, opID)
	if err != nil {
		return nil, nil, err
	}
	p, err := paymentByID(ctx, tx, o.paymentFK)
	if err != nil {
		return nil, nil, err
	}
	return o, p, nil
}

// pendingOperations loads the pending operations of a payment inside tx.
func pendingOperations(ctx context.Context, q querier, paymentFK int64) ([]Operation, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
		WHERE o.payment_fk = ? AND o.state = 'pending' ORDER BY o.id`, paymentFK)
	if err != nil {
		return nil, fmt.Errorf("store: pending operations: %w", err)
	}
	return collectOperations(rows)
}

// settleOperations ends the pending operations of p whose outcome the
// ledger now knows: a capture or refund that is SUCCESS or FAIL, a cancel
// of a payment that is CANCELLED (or closed otherwise, so there is nothing
// left to cancel). A cancel is never settled by a payment status that does
// not say cancelled: Antom may not have processed it yet. It reports how
// many it ended.
func (s *Store) settleOperations(ctx context.Context, tx *sql.Tx, p *Payment) (int, error) {
	ops, err := pendingOperations(ctx, tx, p.ID)
	if err != nil {
		return 0, err
	}
	ended := 0
	for i := range ops {
		o := &ops[i]
		state, code, message, err := s.ledgerOutcome(ctx, tx, p, o)
		if err != nil {
			return 0, err
		}
		if state != OpPending {
			if err := s.resolveOperation(ctx, tx, p, o, state, code, message, ""); err != nil {
				return 0, err
			}
			ended++
		}
	}
	return ended, nil
}

// ledgerOutcome is what the ledger knows of an operation's outcome: the
// state of its capture or refund, or for a cancel the payment's status.
func (s *Store) ledgerOutcome(ctx context.Context, tx *sql.Tx, p *Payment, o *Operation) (state OpState, code, message string, err error) {
	var status TxnStatus
	switch o.Kind {
	case OpCapture:
		c, err := captureBy(ctx, tx, "capture_request_id", o.RequestID)
		if err != nil {
			return OpPending, "", "", err
		}
		status, code, message = c.Status, c.ResultCode, c.ResultMessage
	case OpRefund:
		r, err := refundBy(ctx, tx, "refund_request_id", o.RequestID)
		if err != nil {
			return OpPending, "", "", err
		}
		status, code, message = r.Status, r.ResultCode, r.ResultMessage
	case OpCancel:
		switch p.Status {
		case StatusCancelled:
			return OpSucceeded, "SUCCESS", "", nil
		case StatusFail, StatusExpired, StatusSessionFailed:
			return OpFailed, "ORDER_IS_CLOSED", "the payment ended " + string(p.Status) + " before the cancel was confirmed; there is nothing to cancel", nil
		}
		return OpPending, "", "", nil
	}
	switch status {
	case TxnSuccess:
		return OpSucceeded, code, message, nil
	case TxnFail:
		return OpFailed, code, message, nil
	}
	return OpPending, "", "", nil
}

// RecordCaptureAnswer records the answer to one send of a capture
// operation: resp and callErr as the antom client returned them. S and F
// settle the capture (and with it the operation); anything else leaves it
// pending, to ask Antom for the outcome at a.Next.
func (s *Store) RecordCaptureAnswer(ctx context.Context, opID int64, resp *antom.CaptureResponse, callErr error, a Attempt) (*Operation, error) {
	return s.recordTxnAnswer(ctx, opID, captureKind, a, func(rep *txnReport) {
		if callErr == nil && resp != nil {
			rep.ID, rep.Amount, rep.Time, rep.AcquirerRef, rep.Result = resp.CaptureID, resp.CaptureAmount, resp.CaptureTime, resp.AcquirerReferenceNo, resp.Result
			rep.Details = txnDetailsReport{Acquirer: resp.AcquirerInfo}
		}
	})
}

// RecordRefundAnswer records the answer to one send of a refund operation.
func (s *Store) RecordRefundAnswer(ctx context.Context, opID int64, resp *antom.RefundResponse, callErr error, a Attempt) (*Operation, error) {
	return s.recordTxnAnswer(ctx, opID, refundKind, a, func(rep *txnReport) {
		if callErr == nil && resp != nil {
			rep.ID, rep.Amount, rep.Time, rep.AcquirerRef, rep.Result = resp.RefundID, resp.RefundAmount, resp.RefundTime, resp.AcquirerReferenceNo, resp.Result
			rep.Details = refundDetailsReport(resp.RefundDetails)
		}
	})
}

// recordTxnAnswer is RecordCaptureAnswer and RecordRefundAnswer: the answer
// moves the capture or refund through its machine (S, F; anything else
// keeps it PROCESSING), savePayment settles the operation when it is final,
// and an undecided answer schedules the next attempt.
func (s *Store) recordTxnAnswer(ctx context.Context, opID int64, k txnKind, a Attempt, fill func(*txnReport)) (*Operation, error) {
	var out *Operation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, p, err := operationAndPayment(ctx, tx, opID)
		if err != nil {
			return err
		}
		old := p.Status
		oc := a.Outcome
		rep := txnReport{RequestID: o.RequestID, Result: antom.Result{ResultStatus: oc.Status, ResultCode: oc.Code, ResultMessage: oc.Message}}
		fill(&rep)
		rep.Event, _ = txnEventOf(nonEmpty(rep.Result.ResultStatus, antom.StatusUnknown))
		to, err := k.apply(s, ctx, tx, p, rep)
		if err != nil {
			return err
		}
		var ap applied
		words := AttemptWords(oc)
		summary := fmt.Sprintf("%s (attempt %d); %s", answerSummary(o.Title(), oc), o.Attempts, s.txnSummary(k.name, rep.Event, to, map[string]any{}, &ap))
		if oc.Status != antom.StatusSuccess && oc.Status != antom.StatusFail && o.State == OpPending {
			if err := s.afterAttempt(ctx, tx, o.ID, a, words, OpInquire); err != nil {
				return err
			}
			summary += fmt.Sprintf("; asking Antom for its outcome at %s", a.Next.UTC().Format(time.RFC3339))
		}
		if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "antom", summary, map[string]any{
			"api": k.name, k.requestKey: o.RequestID, "outcome": oc, "effect": to.Effect, "attempt": o.Attempts,
		}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: ap.needsInquiry}); err != nil {
			return err
		}
		out, err = operationByID(ctx, tx, opID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordCancelAnswer records the answer to one send of a cancel operation:
// S cancels the payment; F ends the operation with Antom's refusal (the
// status is unchanged); anything else keeps it pending, to ask Antom at
// a.Next (and send it again if Antom has not cancelled), and the payment
// flagged unknown_outcome until then.
func (s *Store) RecordCancelAnswer(ctx context.Context, opID int64, resp *antom.CancelResponse, a Attempt) (*Operation, error) {
	var out *Operation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, p, err := operationAndPayment(ctx, tx, opID)
		if err != nil {
			return err
		}
		old := p.Status
		oc := a.Outcome
		var opts saveOpts
		words := AttemptWords(oc)
		summary := fmt.Sprintf("%s (attempt %d)", answerSummary("Cancel", oc), o.Attempts)
		switch oc.Status {
		case antom.StatusSuccess:
			f := paymentFacts{}
			if resp != nil {
				f.PaymentID = resp.PaymentID
			}
			po := applyPaymentEvent(p, EvCancelled, f)
			summary += "; " + describe(po.Transition)
			if po.LearnedPaymentID {
				if err := s.replayParked(ctx, tx, p); err != nil {
					return err
				}
			}
			opts.pollNow = po.Effect == EffectContradiction
		case antom.StatusFail:
			if o.State == OpPending {
				if err := s.resolveOperation(ctx, tx, p, o, OpFailed, oc.Code, oc.Message, words); err != nil {
					return err
				}
			}
			summary += "; refused, status unchanged"
		default:
			if o.State == OpPending {
				if err := s.afterAttempt(ctx, tx, o.ID, a, words, OpInquire); err != nil {
					return err
				}
				summary += "; asking Antom for its outcome at " + a.Next.UTC().Format(time.RFC3339)
			}
		}
		if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "antom", summary, map[string]any{"api": "cancel", "outcome": oc, "attempt": o.Attempts}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, opts); err != nil {
			return err
		}
		out, err = operationByID(ctx, tx, opID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RecordRefundInquiry records an inquiryRefund made for a pending refund
// operation: refundStatus SUCCESS or FAIL settles the refund; PROCESSING
// keeps it pending; ORDER_NOT_EXIST means Antom has no such refund, so the
// next attempt sends it again (same refundRequestId). resp and callErr are
// as the antom client returned them.
func (s *Store) RecordRefundInquiry(ctx context.Context, opID int64, resp *antom.InquiryRefundResponse, callErr error, a Attempt) (*Operation, error) {
	var out *Operation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, p, err := operationAndPayment(ctx, tx, opID)
		if err != nil {
			return err
		}
		old := p.Status
		oc := a.Outcome
		summary := fmt.Sprintf("%s, inquiry (attempt %d): %s", o.Title(), o.Attempts, AttemptWords(oc))
		var ap applied
		mode := OpInquire
		switch {
		case callErr == nil && resp != nil:
			ev, ok := txnEventOf(resp.RefundStatus)
			if !ok {
				ev = TxnEvPending
			}
			rep := txnReport{RequestID: o.RequestID, ID: resp.RefundID, Amount: resp.RefundAmount, Event: ev, Time: resp.RefundTime,
				Result:  antom.Result{ResultStatus: paymentStatusLetter(resp.RefundStatus), ResultCode: resp.RefundStatus},
				Details: refundDetailsReport(resp.RefundDetails)}
			to, err := s.applyRefund(ctx, tx, p, rep)
			if err != nil {
				return err
			}
			summary += "; refundStatus " + nonEmpty(resp.RefundStatus, "(none)") + ": " + s.txnSummary("refund", ev, to, map[string]any{}, &ap)
		case oc.Code == "ORDER_NOT_EXIST":
			mode = OpSend
			summary += "; Antom has no such refund: it will be sent again with the same refundRequestId"
		}
		if err := s.afterAttempt(ctx, tx, o.ID, a, AttemptWords(oc), mode); err != nil {
			return err
		}
		if _, err := s.addEvent(ctx, tx, p, EventInquiry, "system", summary, map[string]any{"api": "inquiryRefund", "outcome": oc, "attempt": o.Attempts}, 0); err != nil {
			return err
		}
		if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: ap.needsInquiry}); err != nil {
			return err
		}
		out, err = operationByID(ctx, tx, opID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RescheduleOperation records an attempt that settled nothing on its own
// (an inquiry for a capture or cancel, applied by ApplyInquiry): the
// operation, if still pending, is tried again at next, the same way (mode
// unchanged) unless resend says Antom does not have it, so it is sent
// again. answer says in words what the attempt learnt. The payment is
// saved (its version moves, so live pages show the new attempt), and a
// re-send is told on the timeline.
func (s *Store) RescheduleOperation(ctx context.Context, opID int64, next time.Time, resend bool, answer string) (*Operation, error) {
	var out *Operation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		o, err := operationByID(ctx, tx, opID)
		if err != nil {
			return err
		}
		if o.State != OpPending {
			out = o
			return nil
		}
		mode := o.Mode
		if resend {
			mode = OpSend
		}
		if err := s.afterAttempt(ctx, tx, o.ID, Attempt{Next: next}, answer, mode); err != nil {
			return err
		}
		p, err := paymentByID(ctx, tx, o.paymentFK)
		if err != nil {
			return err
		}
		if resend {
			summary := fmt.Sprintf("%s: %s; sending it again with the same request ID at %s", o.Title(), answer, next.UTC().Format(time.RFC3339))
			if _, err := s.addEvent(ctx, tx, p, EventAPIResponse, "system", summary, map[string]any{"operation": o.ID, "attempt": o.Attempts}, 0); err != nil {
				return err
			}
		}
		if err := s.savePayment(ctx, tx, p, p.Status, saveOpts{}); err != nil {
			return err
		}
		out, err = operationByID(ctx, tx, opID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OperationsHealth is the state of the operations backlog, for admins.
type OperationsHealth struct {
	Pending        int       // operations in flight
	Unknown        int       // of which an attempt's outcome was not definitive
	Overdue        int       // of which past Antom's window
	OldestDueAt    time.Time // the earliest next attempt (zero when none)
	OldestPending  time.Time // when the oldest pending operation was asked for
	PollsDue       int       // payments whose inquiry is due now
	OldestPollDue  time.Time // the earliest due inquiry (zero when none)
	RecentFailures int       // operations Antom refused in the last 24 h
}

// OperationsHealth reads the backlog as of now.
func (s *Store) OperationsHealth(ctx context.Context, now time.Time) (OperationsHealth, error) {
	var h OperationsHealth
	var due, oldest, pollDue sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(unknown), 0), coalesce(sum(overdue), 0),
		min(next_attempt_at), min(created_at) FROM operations WHERE state = 'pending'`).Scan(&h.Pending, &h.Unknown, &h.Overdue, &due, &oldest)
	if err != nil {
		return h, fmt.Errorf("store: operations health: %w", err)
	}
	h.OldestDueAt, h.OldestPending = fromMS(due), fromMS(oldest)
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*), min(next_poll_at) FROM payments WHERE next_poll_at IS NOT NULL AND next_poll_at <= ?`,
		now.UnixMilli()).Scan(&h.PollsDue, &pollDue)
	if err != nil {
		return h, fmt.Errorf("store: poll health: %w", err)
	}
	h.OldestPollDue = fromMS(pollDue)
	err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM operations WHERE state = 'failed' AND resolved_at >= ?`,
		now.Add(-24*time.Hour).UnixMilli()).Scan(&h.RecentFailures)
	if err != nil {
		return h, fmt.Errorf("store: operations health: %w", err)
	}
	return h, nil
}

// PendingOperations lists the operations in flight, earliest due first, at most limit.
func (s *Store) PendingOperations(ctx context.Context, limit int) ([]Operation, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
		WHERE o.state = 'pending' ORDER BY o.next_attempt_at, o.id LIMIT ?`, pageLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: pending operations: %w", err)
	}
	return collectOperations(rows)
}

// Antom's windows for money operations (protocol 5.3, 5.4): a card
// authorization can be captured or cancelled within 7 days of payment.
// Refunds have no documented window for the answer; a refund still unknown
// a day after it was asked for is past anything Antom documents.
const (
	AuthorizationWindow = 7 * 24 * time.Hour
	refundAnswerWindow  = 24 * time.Hour
)

// opDeadline is when a pending operation of p is past Antom's window.
func opDeadline(p *Payment, o *Operation) time.Time {
	switch o.Kind {
	case OpCapture, OpCancel:
		switch {
		case !p.AuthExpiresAt.IsZero():
			return p.AuthExpiresAt
		case !p.PaidAt.IsZero():
			return p.PaidAt.Add(AuthorizationWindow)
		}
		return o.CreatedAt.Add(AuthorizationWindow)
	}
	return o.CreatedAt.Add(refundAnswerWindow)
}

// markOverdueOperations flags the pending operations past Antom's window
// as of now (at most 500), each with a timeline event saying what to do.
func (s *Store) markOverdueOperations(ctx context.Context, tx *sql.Tx, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+opCols+` FROM operations o JOIN payments p ON p.id = o.payment_fk
		WHERE o.state = 'pending' AND o.overdue = 0 AND o.created_at <= ? ORDER BY o.id LIMIT 500`,
		now.Add(-min(refundAnswerWindow, AuthorizationWindow)).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: overdue operations: %w", err)
	}
	ops, err := collectOperations(rows)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range ops {
		o := &ops[i]
		p, err := paymentByID(ctx, tx, o.paymentFK)
		if err != nil {
			return n, err
		}
		if now.Before(opDeadline(p, o)) {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE operations SET overdue = 1, updated_at = ? WHERE id = ?", now.UnixMilli(), o.ID); err != nil {
			return n, fmt.Errorf("store: mark overdue: %w", err)
		}
		summary := fmt.Sprintf("%s (%s) is still unconfirmed past Antom's window; Paydesk keeps asking, but a person should contact Antom with this request ID",
			o.Title(), o.RequestID)
		if _, err := s.addEvent(ctx, tx, p, EventFlag, "system", summary, map[string]any{"set": FlagOperationOverdue.Names(), "operation": o.ID}, 0); err != nil {
			return n, err
		}
		if err := s.savePayment(ctx, tx, p, p.Status, saveOpts{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
