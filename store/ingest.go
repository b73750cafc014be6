package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"paydesk/antom"
)

// IngestNotification is the webhook's single transaction. It always stores
// the delivery (raw bytes, headers, verdict, parse error, our answer, the
// body's size and SHA-256, how far request-time was from receipt); a
// refused one (a verdict other than ok, or DeliveryInput.Refused) keeps
// only the first RefusedBodyBudget bytes of its body and
// RefusedHeadersBudget of its headers. When the signature verdict is ok,
// the delivery is not refused and the body parsed, it applies the
// notification by notifyType in the same transaction:
//
//   - an effect is applied once: a later delivery with the same dedupe key
//     (antom.Notification.DedupeKey) is recorded as a duplicate;
//   - a CAPTURE_RESULT S before the PAYMENT_RESULT records the capture and
//     moves the payment to SUCCESS (outcome out_of_order), so the late
//     PAYMENT_RESULT S is consistent;
//   - S after F (or F after S) is a contradiction: kept, flagged, status
//     unchanged, and DeliveryResult.NeedsInquiry is set;
//   - a notification about a payment the ledger does not know is kept as
//     unknown_payment and applied when the payment's paymentId becomes known.
//
// A nil error means the transaction committed durably (synchronous=FULL),
// so the caller may acknowledge.
func (s *Store) IngestNotification(ctx context.Context, in DeliveryInput) (*DeliveryResult, error) {
	switch in.Verdict {
	case VerdictOK, VerdictMissing, VerdictBad, VerdictUnverifiable:
	default:
		return nil, &FieldError{Field: "verdict", Message: fmt.Sprintf("%q is not ok, missing, bad or unverifiable", in.Verdict)}
	}
	// A delivery not accepted as Antom's is summarised and never applied.
	refused := in.Refused || in.Verdict != VerdictOK
	kept, err := keepDelivery(&in, refused)
	if err != nil {
		return nil, err
	}
	var res *DeliveryResult
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res = nil
		received := in.ReceivedAt
		if received.IsZero() {
			received = s.now()
		}
		// The row is written once, with its outcome; the timeline event that
		// points at it comes first (events.delivery_fk is checked at commit).
		// The writer is the only one inserting, so max(id)+1 is this row's id.
		var id int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) + 1 FROM deliveries").Scan(&id); err != nil {
			return fmt.Errorf("store: delivery id: %w", err)
		}
		d := deliveryRow{id: id, outcome: OutcomeRejected}
		n := in.Notification
		if n != nil {
			d.notifyType, d.resultStatus, d.resultCode, d.paymentID, d.subject = n.NotifyType, n.Result.ResultStatus, n.Result.ResultCode, n.PaymentID, subjectOf(n)
		}
		res = &DeliveryResult{DeliveryID: id, Outcome: OutcomeRejected}
		// Never a state change without a verified, parsed notification.
		if !refused && n != nil && in.NotApplied {
			// Applying it failed: recorded with its payment, not applied.
			d.outcome, res.Outcome = OutcomeNotApplied, OutcomeNotApplied
			if p, err := s.findNotificationPayment(ctx, tx, n); err == nil {
				d.paymentFK, res.PaymentRequestID = p.ID, p.PaymentRequestID
			}
		} else if !refused && n != nil {
			d.dedupeKey = n.DedupeKey()
			v, err := s.applyVerified(ctx, tx, id, n)
			if err != nil {
				return err
			}
			d.outcome, d.duplicateOf, d.paymentFK = v.outcome, v.duplicateOf, v.paymentFK
			res.Outcome, res.DuplicateOf, res.PaymentRequestID, res.NeedsInquiry = v.outcome, v.duplicateOf, v.paymentRequestID, v.needsInquiry
		}
		skew, timeErr := requestTimeColumns(&in, received)
		_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (id, received_at, path, headers, body, client_id,
			request_time, verdict, parse_error, notify_type, result_status, result_code, payment_id,
			subject_id, dedupe_key, duplicate_of, outcome, response_status, response_body, payment_fk,
			refused, body_size, body_sha256, headers_size, summarised, request_skew_ms, request_time_error, raw_query)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, received.UnixMilli(), in.Path, string(kept.headers), kept.body, in.ClientID, in.RequestTime, in.Verdict,
			in.ParseError, d.notifyType, d.resultStatus, d.resultCode, d.paymentID, d.subject,
			nullStr(d.dedupeKey), nullInt(d.duplicateOf), d.outcome, in.ResponseStatus, in.ResponseBody, nullInt(d.paymentFK),
			refused, kept.bodySize, kept.bodySHA256, kept.headersSize, kept.summarised, skew, timeErr, shorten(in.RawQuery, 2048))
		if err != nil {
			return fmt.Errorf("store: insert delivery: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// verifiedResult is what applying a verified notification did.
type verifiedResult struct {
	outcome          Outcome
	duplicateOf      int64
	paymentFK        int64
	paymentRequestID string
	needsInquiry     bool
}

// applyVerified applies a verified, parsed notification for delivery id
// inside tx: by its payment when the ledger knows it (dedupe, state
// machines, timeline, save), else kept as about an unknown payment. The
// webhook and ApplyDeliveryAgain share it, so a delivery applied again
// follows the rules of a fresh arrival.
func (s *Store) applyVerified(ctx context.Context, tx *sql.Tx, id int64, n *antom.Notification) (verifiedResult, error) {
	var v verifiedResult
	if first := s.knownClaim(tx, n.DedupeKey()); first != 0 && first != id {
		// A redelivery of a notification already applied (claims.go): its
		// payment's row ID is all the duplicate's record needs.
		p, err := s.findNotificationPaymentRef(ctx, tx, n)
		if err == nil {
			a, err := s.recordDuplicate(ctx, tx, p, id, n, first)
			if err != nil {
				return v, err
			}
			return verifiedResult{outcome: a.outcome, duplicateOf: a.duplicateOf, paymentFK: p.ID, paymentRequestID: p.PaymentRequestID}, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return v, err
		}
		// Not found: the full path below says so as for any delivery.
	}
	p, err := s.findNotificationPayment(ctx, tx, n)
	switch {
	case errors.Is(err, ErrNotFound):
		// Kept for follow-up: applied when the paymentId becomes known.
		dup, err := firstWithKey(ctx, tx, n.DedupeKey(), id)
		if err != nil {
			return v, err
		}
		v.outcome, v.duplicateOf = OutcomeUnknownPayment, dup
		return v, nil
	case err != nil:
		return v, err
	}
	old := p.Status
	ap, err := s.applyNotification(ctx, tx, p, id, n)
	if err != nil {
		return v, err
	}
	v = verifiedResult{outcome: ap.outcome, duplicateOf: ap.duplicateOf, paymentFK: p.ID, paymentRequestID: p.PaymentRequestID, needsInquiry: ap.needsInquiry}
	if ap.outcome == OutcomeDuplicate {
		// Nothing changed but the timeline (recordDuplicate touched it).
		return v, nil
	}
	if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: ap.needsInquiry}); err != nil {
		return v, err
	}
	return v, nil
}

// deliveryRow is what IngestNotification writes besides the input.
type deliveryRow struct {
	id                                                       int64
	notifyType, resultStatus, resultCode, paymentID, subject string
	dedupeKey                                                string
	duplicateOf, paymentFK                                   int64
	outcome                                                  Outcome
}

// subjectOf is the ID a notification is about: captureId, refundId or paymentId.
func subjectOf(n *antom.Notification) string {
	switch n.NotifyType {
	case antom.NotifyCaptureResult:
		return nonEmpty(n.CaptureID, n.CaptureRequestID)
	case antom.NotifyRefundResult:
		return nonEmpty(n.RefundID, n.RefundRequestID)
	}
	return nonEmpty(n.PaymentID, n.PaymentRequestID)
}

// findNotificationPayment finds the payment a notification is about. It is
// liberal: any ID the payload carries that the ledger knows will do.
func (s *Store) findNotificationPayment(ctx context.Context, tx *sql.Tx, n *antom.Notification) (*Payment, error) {
	return findPaymentOf(ctx, tx, n, false)
}

// findNotificationPaymentRef is findNotificationPayment by the same rules,
// but loads only the payment's row ID and paymentRequestId: enough to
// record a duplicate.
func (s *Store) findNotificationPaymentRef(ctx context.Context, tx *sql.Tx, n *antom.Notification) (*Payment, error) {
	return findPaymentOf(ctx, tx, n, true)
}

func findPaymentOf(ctx context.Context, tx *sql.Tx, n *antom.Notification, ref bool) (*Payment, error) {
	try := func(col, val string) (*Payment, error) {
		if val == "" {
			return nil, ErrNotFound
		}
		if ref {
			return paymentRefBy(ctx, tx, col, val)
		}
		return paymentBy(ctx, tx, col, val)
	}
	byID := func(id int64) (*Payment, error) {
		if ref {
			return paymentRefBy(ctx, tx, "id", id)
		}
		return paymentByID(ctx, tx, id)
	}
	// A capture or refund we know leads to its payment. Only "not found"
	// falls through to the payment IDs: any other error is returned, never
	// swallowed, so a failed statement cannot pass for a miss inside the
	// writer's transaction.
	type key struct{ col, val string }
	switch n.NotifyType {
	case antom.NotifyCaptureResult:
		for _, k := range []key{{"capture_request_id", n.CaptureRequestID}, {"capture_id", n.CaptureID}} {
			if k.val == "" {
				continue
			}
			fk, err := txnPaymentFK(ctx, tx, "captures", k.col, k.val)
			if err == nil {
				return byID(fk)
			}
			if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
	case antom.NotifyRefundResult:
		for _, k := range []key{{"refund_request_id", n.RefundRequestID}, {"refund_id", n.RefundID}} {
			if k.val == "" {
				continue
			}
			fk, err := txnPaymentFK(ctx, tx, "refunds", k.col, k.val)
			if err == nil {
				return byID(fk)
			}
			if !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
	}
	p, err := try("payment_request_id", n.PaymentRequestID)
	if errors.Is(err, ErrNotFound) {
		p, err = try("payment_id", n.PaymentID)
	}
	return p, err
}

// claimNotification records that delivery id is the one whose effect counts
// for the notification with dedupe key key, unless another delivery was
// first: then it returns that one (0 when id is first). The key is unique
// in applied_notifications and the claim is an INSERT … ON CONFLICT DO
// NOTHING, so two deliveries of one notification can never both be applied,
// whatever else runs at the same time (two replicas, on PostgreSQL).
func (s *Store) claimNotification(ctx context.Context, tx *sql.Tx, key string, id int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO applied_notifications (dedupe_key, delivery_id) VALUES (?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`, key, id)
	if err != nil {
		return 0, fmt.Errorf("store: dedupe: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("store: dedupe: %w", err)
	} else if n == 1 {
		s.learnClaim(tx, key, id)
		return 0, nil
	}
	var first int64
	if err := tx.QueryRowContext(ctx, "SELECT delivery_id FROM applied_notifications WHERE dedupe_key = ?", key).Scan(&first); err != nil {
		return 0, fmt.Errorf("store: dedupe: %w", err)
	}
	s.learnClaim(tx, key, first)
	if first == id {
		return 0, nil
	}
	return first, nil
}

// firstWithKey returns the earliest other delivery with the dedupe key,
// whatever its outcome; 0 if none. (A notification about a payment Paydesk
// does not know claims nothing: it is applied when the payment is known.)
func firstWithKey(ctx context.Context, q querier, key string, self int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM deliveries WHERE dedupe_key = ? AND id <> ? ORDER BY id LIMIT 1", key, self).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: dedupe: %w", err)
	}
	return id, nil
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

type applied struct {
	outcome      Outcome
	duplicateOf  int64
	needsInquiry bool
}

// applyNotification applies a verified notification to p (loaded in tx),
// and records the timeline event. It neither saves p nor writes the delivery row.
func (s *Store) applyNotification(ctx context.Context, tx *sql.Tx, p *Payment, deliveryID int64, n *antom.Notification) (applied, error) {
	var a applied
	dup, err := s.claimNotification(ctx, tx, n.DedupeKey(), deliveryID)
	if err != nil {
		return a, err
	}
	if dup != 0 {
		return s.recordDuplicate(ctx, tx, p, deliveryID, n, dup)
	}
	head := fmt.Sprintf("%s %s %s", n.NotifyType, n.Result.ResultStatus, n.Result.ResultCode)
	detail := map[string]any{"notifyType": n.NotifyType, "result": n.Result}
	summary, err := s.applyNotificationEffect(ctx, tx, p, n, &a, detail)
	if err != nil {
		return a, err
	}
	summary = head + ": " + summary
	if _, err := s.addEvent(ctx, tx, p, EventNotification, "antom", summary, detail, deliveryID); err != nil {
		return a, err
	}
	return a, nil
}

// recordDuplicate records delivery deliveryID of n, a duplicate of delivery
// first, on p's timeline, and touches p (version and change sequence, so
// live pages show the event). A duplicate changes nothing else: p need
// only carry its row ID and paymentRequestId.
func (s *Store) recordDuplicate(ctx context.Context, tx *sql.Tx, p *Payment, deliveryID int64, n *antom.Notification, first int64) (applied, error) {
	a := applied{outcome: OutcomeDuplicate, duplicateOf: first}
	head := fmt.Sprintf("%s %s %s", n.NotifyType, n.Result.ResultStatus, n.Result.ResultCode)
	summary := fmt.Sprintf("%s: duplicate of delivery #%d, nothing changed", head, first)
	detail := map[string]any{"notifyType": n.NotifyType, "result": n.Result, "duplicateOf": first}
	if _, err := s.addEvent(ctx, tx, p, EventNotification, "antom", summary, detail, deliveryID); err != nil {
		return a, err
	}
	return a, s.touchPayment(ctx, tx, p)
}

// applyNotificationEffect runs the state machines for a notification that
// is not a duplicate and returns the timeline summary.
func (s *Store) applyNotificationEffect(ctx context.Context, tx *sql.Tx, p *Payment, n *antom.Notification, a *applied, detail map[string]any) (string, error) {
	switch n.NotifyType {
	case antom.NotifyPaymentResult, antom.NotifyPaymentPending:
		var ev PaymentEvent
		switch {
		case n.NotifyType == antom.NotifyPaymentPending && n.Result.ResultStatus == antom.StatusSuccess:
			ev = EvPending // with PAYMENT_PENDING, S means processing
		case n.NotifyType == antom.NotifyPaymentPending:
			ev = "" // not a status; recorded only
		case n.Result.ResultStatus == antom.StatusSuccess:
			ev = EvSucceeded
		case n.Result.ResultStatus == antom.StatusFail:
			ev = EvFailed
		default:
			ev = EvPending
		}
		po := applyPaymentEvent(p, ev, paymentFacts{
			PaymentID: n.PaymentID, Amount: n.PaymentAmount, PaymentTime: n.PaymentTime,
			AuthExpiry: n.AuthExpiryTime, MethodType: n.PaymentMethodType, AcquirerRef: n.AcquirerReferenceNo,
			ResultInfo: n.PaymentResultInfo, Details: &n.PaymentDetails, Result: n.Result, ResultIsFinal: n.NotifyType == antom.NotifyPaymentResult,
		})
		detail["effect"], detail["from"], detail["to"] = po.Effect, po.From, po.To
		a.outcome = outcomeOf(po.Effect, false)
		a.needsInquiry = po.Effect == EffectContradiction || po.Mismatch
		summary := describe(po.Transition)
		if po.Mismatch {
			summary += "; amount differs from the payment's"
		}
		if po.LearnedPaymentID {
			if err := s.replayParked(ctx, tx, p); err != nil {
				return "", err
			}
		}
		return summary, nil
	case antom.NotifyCaptureResult:
		if p.PaymentID == "" && n.PaymentID != "" {
			p.PaymentID = n.PaymentID
		}
		ev, _ := txnEventOf(n.Result.ResultStatus)
		to, err := s.applyCapture(ctx, tx, p, txnReport{RequestID: n.CaptureRequestID, ID: n.CaptureID,
			Amount: n.CaptureAmount, Event: ev, Result: n.Result, Time: n.CaptureTime, AcquirerRef: n.AcquirerReferenceNo,
			Details: txnDetailsReport{Acquirer: n.AcquirerInfo, Gross: n.GrossSettlementAmount, Quote: n.SettlementQuote}})
		if err != nil {
			return "", err
		}
		return s.txnSummary("capture", ev, to, detail, a), nil
	case antom.NotifyRefundResult:
		ev, ok := txnEventOf(n.RefundStatus)
		if !ok {
			ev, _ = txnEventOf(n.Result.ResultStatus)
		}
		to, err := s.applyRefund(ctx, tx, p, txnReport{RequestID: n.RefundRequestID, ID: n.RefundID,
			Amount: n.RefundAmount, Event: ev, Result: n.Result, Time: n.RefundTime,
			Details: txnDetailsReport{Acquirer: n.AcquirerInfo, Gross: n.GrossSettlementAmount, Quote: n.SettlementQuote,
				ActualAmount: n.ActualRefundAmount, ARN: n.ARN, RRN: n.RRN}})
		if err != nil {
			return "", err
		}
		return s.txnSummary("refund", ev, to, detail, a), nil
	}
	a.outcome = OutcomeStale
	return "notifyType not handled", nil
}

// txnSummary says in words what applying a capture or refund report did.
// ev is what the report said: a pending report (U, PROCESSING) never reads
// as a result, and a result reads as the status it recorded.
func (s *Store) txnSummary(what string, ev TxnEvent, to txnOutcome, detail map[string]any, a *applied) string {
	detail["effect"] = to.Effect
	a.outcome = outcomeOf(to.Effect, to.OutOfOrder)
	if to.PaymentEff == EffectContradiction {
		a.outcome = OutcomeContradiction
	}
	a.needsInquiry = a.outcome == OutcomeContradiction || to.Mismatch
	var b strings.Builder
	switch to.Effect {
	case EffectApply:
		b.WriteString(what + " " + string(to.To) + " recorded")
	case EffectSame:
		if ev == TxnEvPending {
			b.WriteString(what + " still " + string(to.To) + " until a notification or an inquiry settles it")
		} else {
			b.WriteString(what + " " + string(to.To) + " confirmed (already recorded)")
		}
	case EffectIgnore:
		b.WriteString(what + " is already " + string(to.From) + "; nothing changed")
	case EffectContradiction:
		b.WriteString(what + " reported " + txnStatusWord(ev) + ", contradicting the recorded " + string(to.From) + "; kept, flagged for inquiry")
	}
	if to.Created {
		b.WriteString(" (new " + what + ")")
	}
	if to.OutOfOrder {
		b.WriteString("; arrived before the payment result: payment treated as authorized (SUCCESS)")
	}
	if to.PaymentEff == EffectContradiction {
		b.WriteString("; a captured payment whose status says otherwise: flagged")
	}
	if to.Mismatch {
		b.WriteString("; amount differs from the " + what + "'s")
	}
	return b.String()
}

// txnStatusWord names the status a capture or refund report claims.
func txnStatusWord(ev TxnEvent) string {
	switch ev {
	case TxnEvSucceeded:
		return string(TxnSuccess)
	case TxnEvFailed:
		return string(TxnFail)
	}
	return string(TxnProcessing)
}

// answerSummary says in one clause what Antom answered one of our calls:
// "Capture request: Antom answered U UNKNOWN_EXCEPTION (outcome unknown)".
func answerSummary(what string, o APIOutcome) string {
	s := what + " request: "
	if o.Status == antom.StatusUnknown && o.Code == "" {
		s += "no answer from Antom"
		if o.Message != "" {
			s += " (" + o.Message + ")"
		}
	} else {
		s += "Antom answered " + strings.TrimSpace(o.Status+" "+o.Code)
	}
	if o.Status == antom.StatusUnknown {
		s += " (outcome unknown)"
	}
	return s
}

func outcomeOf(e Effect, outOfOrder bool) Outcome {
	switch {
	case outOfOrder:
		return OutcomeOutOfOrder
	case e == EffectApply || e == EffectSame:
		return OutcomeApplied
	case e == EffectContradiction:
		return OutcomeContradiction
	}
	return OutcomeStale
}

func describe(t Transition) string {
	switch t.Effect {
	case EffectApply:
		return string(t.From) + " → " + string(t.To)
	case EffectSame:
		return "confirms " + string(t.To)
	case EffectContradiction:
		return "contradicts " + string(t.From) + "; status kept, flagged for inquiry"
	}
	return "ignored: payment is already " + string(t.From)
}

// replayParked applies the unknown_payment deliveries that name p's newly
// learned paymentId (a capture result that overtook its payment result).
// Their outcome becomes out_of_order, or what applying them gave.
func (s *Store) replayParked(ctx context.Context, tx *sql.Tx, p *Payment) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, body FROM deliveries WHERE outcome = 'unknown_payment' AND payment_id = ? ORDER BY id", p.PaymentID)
	if err != nil {
		return fmt.Errorf("store: parked deliveries: %w", err)
	}
	type parked struct {
		id   int64
		body []byte
	}
	var list []parked
	for rows.Next() {
		var pk parked
		if err := rows.Scan(&pk.id, &pk.body); err != nil {
			rows.Close()
			return fmt.Errorf("store: parked deliveries: %w", err)
		}
		list = append(list, pk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: parked deliveries: %w", err)
	}
	for _, pk := range list {
		n, err := antom.ParseNotification(pk.body)
		if err != nil {
			continue // it parsed when it was received; leave it parked if not now
		}
		a, err := s.applyNotification(ctx, tx, p, pk.id, n)
		if err != nil {
			return err
		}
		if a.outcome == OutcomeApplied {
			a.outcome = OutcomeOutOfOrder // it arrived before what it follows
		}
		if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET outcome = ?, duplicate_of = ?, payment_fk = ? WHERE id = ?",
			a.outcome, nullInt(a.duplicateOf), p.ID, pk.id); err != nil {
			return fmt.Errorf("store: update delivery: %w", err)
		}
	}
	return nil
}
