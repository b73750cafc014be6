package store

// What Antom's client SDK told the buyer (onEventCallback), as the merchant
// app reports it through the app API, and the disagreement flags that compare
// it with the server's truth.
//
// The seed is explicit that the SDK's result is "only for front-end display,
// and the final order status is subject to the server side". The flags below
// make the two sides' disagreements visible:
//
//   - FlagSDKSuccessNoNotify: the SDK said SUCCESSFUL, and SDKNotifyGrace
//     later the server has no final result (Antom usually notifies in 3–5 s);
//   - FlagSDKSuccessServerFail: the SDK said SUCCESSFUL, the server says
//     FAIL, CANCELLED or EXPIRED;
//   - FlagSDKFailServerSuccess: the SDK said FAIL, CANCEL or ERROR, the
//     server says SUCCESS (and the money was not returned);
//   - FlagSDKProcessingStuck: the SDK said PROCESSING and nothing final came
//     within OrderCloseWindow.
//
// They are derived, not stored opinions: savePayment recomputes them from the
// latest payment-result SDK event (table sdk_states) in the same transaction
// as every change of the payment, so they are raised and cleared together with
// the notification, inquiry or action that changes the truth. The two timed
// ones are raised by EvaluateSDKFlags, which a background job calls.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paydesk/antom"
)

// SDKCode is one event code of the client SDK (antom.SDKCodes) with what
// Paydesk does when an app reports it.
type SDKCode struct {
	antom.SDKCode
	Paydesk string // what Paydesk does when an app reports it
}

// sdkPaydesk says, for each of antom.SDKCodes, what Paydesk does when an app
// reports it.
var sdkPaydesk = map[string]string{
	antom.SDKPaymentSuccessful:           "Expects Antom's payment result within 10 s (Antom usually notifies in 3–5 s). If none has arrived, flags “SDK success, no server result” and starts an inquiry; if the server says FAIL, CANCELLED or EXPIRED, flags “SDK success, server not paid”.",
	antom.SDKPaymentProcessing:           "Starts an inquiry. If nothing final arrives within Antom's order-close window (~14 minutes), flags “SDK processing, nothing final”.",
	antom.SDKPaymentFail:                 "Starts an inquiry. If the server says SUCCESS, flags “SDK failure, server paid”.",
	antom.SDKPaymentCancel:               "Recorded; the session stays payable until it expires. If the server says SUCCESS, flags “SDK failure, server paid”.",
	antom.SDKPaymentError:                "Starts an inquiry. If the server says SUCCESS, flags “SDK failure, server paid”.",
	antom.SDKFormVerificationFailed:      "Recorded on the timeline; nothing was submitted to Antom.",
	antom.SDKStartOfLoading:              "Recorded on the timeline.",
	antom.SDKEndOfLoading:                "Recorded on the timeline.",
	antom.SDKInternalError:               "Recorded on the timeline; the buyer did not reach the card form.",
	antom.SDKCreatePaymentParameterError: "Recorded on the timeline; check that the app passes the whole paymentSessionData.",
	antom.SDKCallURLError:                "Recorded on the timeline; the payment's redirect URL is on the detail page.",
	antom.SDKIntegrationError:            "Recorded on the timeline; the buyer did not reach the card form.",
}

// SDKCodes returns the SDK's event codes with their explanations and what
// Paydesk does with each, in the seed's order.
func SDKCodes() []SDKCode {
	codes := antom.SDKCodes()
	out := make([]SDKCode, len(codes))
	for i, c := range codes {
		out[i] = SDKCode{SDKCode: c, Paydesk: sdkPaydesk[c.Code]}
	}
	return out
}

// SDKNotifyGrace is how long after the SDK reports success Paydesk waits for
// Antom's payment result before flagging FlagSDKSuccessNoNotify: Antom
// "will usually send you an asynchronous notification within 3 to 5
// seconds" (seed), doubled with margin.
const SDKNotifyGrace = 10 * time.Second

// maxSDKMessageLen bounds an SDK event's message, in bytes.
const maxSDKMessageLen = 1024

// sdkFlagMask are the flags this file owns.
const sdkFlagMask = FlagSDKSuccessNoNotify | FlagSDKSuccessServerFail | FlagSDKFailServerSuccess | FlagSDKProcessingStuck

// SDKEventRecord is one stored SDK event.
type SDKEventRecord struct {
	ID                int64
	PaymentRequestID  string
	EventCode         string
	PaymentResultCode string
	Message           string
	OccurredAt        time.Time // as the app reported it; zero when it did not
	ReceivedAt        time.Time
	Actor             string
	EventID           int64 // the timeline event
}

// SDKReport is what ReportSDKEvent did.
type SDKReport struct {
	Event SDKEventRecord
	// Duplicate is true when the same event (code, paymentResultCode and
	// occurredAt) was already recorded: nothing changed, Event is the first.
	Duplicate bool
	// Payment is the payment after the event, with its flags.
	Payment *Payment
}

// ReportSDKEvent records an event the client SDK reported to the merchant
// app: a timeline event of kind sdk_event and a row of sdk_events, in one
// transaction with the payment's disagreement flags. A payment-result code
// the server has not answered yet (SUCCESSFUL, PROCESSING, FAIL, ERROR)
// schedules an inquiry at once.
//
// An app retrying a report is harmless when it sends occurredAt: the same
// code, paymentResultCode and occurredAt is recorded once. Invalid input is a
// *FieldError (eventCode, paymentResultCode, message) and changes nothing; an
// unknown payment is ErrNotFound.
func (s *Store) ReportSDKEvent(ctx context.Context, paymentRequestID string, ev SDKEvent) (*SDKReport, error) {
	code, err := validateSDKEvent(ev)
	if err != nil {
		return nil, err
	}
	actor := nonEmpty(ev.Actor, "sdk")
	var out *SDKReport
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = nil
		p, err := paymentBy(ctx, tx, "payment_request_id", paymentRequestID)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		rec := SDKEventRecord{PaymentRequestID: p.PaymentRequestID, EventCode: code.Code,
			PaymentResultCode: ev.PaymentResultCode, Message: ev.Message, ReceivedAt: now, Actor: actor}
		occurred := now
		if !ev.At.IsZero() {
			rec.OccurredAt = ev.At.UTC().Truncate(time.Millisecond)
			occurred = rec.OccurredAt
			first, found, err := sameSDKEvent(ctx, tx, p, rec)
			if err != nil {
				return err
			}
			if found {
				out = &SDKReport{Event: first, Duplicate: true, Payment: p}
				return nil
			}
		}
		old := p.Status
		e, err := s.addEvent(ctx, tx, p, EventSDK, actor, sdkEventSummary(code, ev.PaymentResultCode), sdkEventDetail(code, rec, p), 0)
		if err != nil {
			return err
		}
		rec.EventID = e.ID
		err = tx.QueryRowContext(ctx, `INSERT INTO sdk_events (payment_fk, event_fk, event_code, result_code,
			message, occurred_at, occurred_given, received_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.ID, e.ID, rec.EventCode, rec.PaymentResultCode, rec.Message, occurred.UnixMilli(),
			!rec.OccurredAt.IsZero(), now.UnixMilli(), actor).Scan(&rec.ID)
		if err != nil {
			return fmt.Errorf("store: insert sdk event: %w", err)
		}
		if code.Kind == antom.SDKKindResult {
			// The latest result by the app's clock is what the buyer was
			// last told; an older report arriving late does not replace it.
			_, err = tx.ExecContext(ctx, `INSERT INTO sdk_states (payment_fk, event_code, result_code, occurred_at, received_at)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (payment_fk) DO UPDATE SET event_code = excluded.event_code,
				result_code = excluded.result_code, occurred_at = excluded.occurred_at,
				received_at = excluded.received_at, check_at = NULL
				WHERE excluded.occurred_at >= sdk_states.occurred_at`,
				p.ID, rec.EventCode, rec.PaymentResultCode, occurred.UnixMilli(), now.UnixMilli())
			if err != nil {
				return fmt.Errorf("store: sdk state: %w", err)
			}
		}
		inquire := code.Kind == antom.SDKKindResult && code.Code != antom.SDKPaymentCancel && !p.Status.IsFinal()
		if err := s.savePayment(ctx, tx, p, old, saveOpts{pollNow: inquire}); err != nil {
			return err
		}
		out = &SDKReport{Event: rec, Payment: p}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validateSDKEvent checks an SDK event against the catalogue and the limits.
func validateSDKEvent(ev SDKEvent) (antom.SDKCode, error) {
	if ev.EventCode == "" {
		return antom.SDKCode{}, &FieldError{Field: "eventCode", Message: "is required"}
	}
	code, ok := antom.LookupSDKCode(ev.EventCode)
	if !ok {
		return antom.SDKCode{}, &FieldError{Field: "eventCode", Message: fmt.Sprintf("%.80q is not an event code of Antom's client SDK", ev.EventCode)}
	}
	if err := checkASCII("paymentResultCode", ev.PaymentResultCode, maxIDLen, false); err != nil {
		return antom.SDKCode{}, err
	}
	switch {
	case len(ev.Message) > maxSDKMessageLen:
		return antom.SDKCode{}, &FieldError{Field: "message", Message: fmt.Sprintf("is %d bytes long; the limit is %d", len(ev.Message), maxSDKMessageLen)}
	case !utf8.ValidString(ev.Message):
		return antom.SDKCode{}, &FieldError{Field: "message", Message: "is not valid UTF-8"}
	case strings.IndexFunc(ev.Message, unicode.IsControl) >= 0:
		return antom.SDKCode{}, &FieldError{Field: "message", Message: "must not contain control characters"}
	}
	return code, nil
}

// sameSDKEvent finds an earlier report of the same event (an app's retry).
func sameSDKEvent(ctx context.Context, q querier, p *Payment, rec SDKEventRecord) (SDKEventRecord, bool, error) {
	row := q.QueryRowContext(ctx, "SELECT "+sdkEventCols+` FROM sdk_events e WHERE e.payment_fk = ?
		AND e.event_code = ? AND e.result_code = ? AND e.occurred_at = ? AND e.occurred_given = 1
		ORDER BY e.id LIMIT 1`, p.ID, rec.EventCode, rec.PaymentResultCode, rec.OccurredAt.UnixMilli())
	r, err := scanSDKEvent(row, p.PaymentRequestID)
	if errors.Is(err, sql.ErrNoRows) {
		return SDKEventRecord{}, false, nil
	}
	if err != nil {
		return SDKEventRecord{}, false, fmt.Errorf("store: sdk event: %w", err)
	}
	return r, true, nil
}

const sdkEventCols = `e.id, e.event_fk, e.event_code, e.result_code, e.message, e.occurred_at, e.occurred_given, e.received_at, e.actor`

func scanSDKEvent(sc scanner, paymentRequestID string) (SDKEventRecord, error) {
	r := SDKEventRecord{PaymentRequestID: paymentRequestID}
	var occurred, received int64
	var given bool
	if err := sc.Scan(&r.ID, &r.EventID, &r.EventCode, &r.PaymentResultCode, &r.Message, &occurred, &given, &received, &r.Actor); err != nil {
		return r, err
	}
	if given {
		r.OccurredAt = time.UnixMilli(occurred).UTC()
	}
	r.ReceivedAt = time.UnixMilli(received).UTC()
	return r, nil
}

// sdkEventSummary is the timeline line: the code and what the buyer saw.
func sdkEventSummary(code antom.SDKCode, resultCode string) string {
	s := "SDK " + code.Code
	if resultCode != "" {
		s += " (paymentResultCode " + resultCode + ")"
	}
	switch code.Kind {
	case antom.SDKKindResult:
		return s + ": the buyer was shown “" + code.Meaning + "”"
	case antom.SDKKindError:
		return s + ": the SDK failed to start: " + code.Meaning
	}
	return s + ": " + code.Meaning
}

// sdkEventDetail is the timeline event's detail JSON: eventCode, codeKind
// (result, form, status, error), paymentResultCode, message and occurredAt
// (when the app sent them), receivedAt, and serverStatus (the payment's
// status when the event arrived).
func sdkEventDetail(code antom.SDKCode, rec SDKEventRecord, p *Payment) map[string]any {
	d := map[string]any{
		"eventCode":    code.Code,
		"codeKind":     code.Kind,
		"receivedAt":   rec.ReceivedAt,
		"serverStatus": p.Status,
	}
	if rec.PaymentResultCode != "" {
		d["paymentResultCode"] = rec.PaymentResultCode
	}
	if rec.Message != "" {
		d["message"] = rec.Message
	}
	if !rec.OccurredAt.IsZero() {
		d["occurredAt"] = rec.OccurredAt
	}
	return d
}

// SDKEvents lists a payment's SDK events in the order they happened (by the
// app's occurredAt where it sent one, else by arrival).
func (s *Store) SDKEvents(ctx context.Context, paymentRequestID string) ([]SDKEventRecord, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+sdkEventCols+` FROM sdk_events e
		JOIN payments p ON p.id = e.payment_fk WHERE p.payment_request_id = ?
		ORDER BY e.occurred_at, e.id`, paymentRequestID)
	if err != nil {
		return nil, fmt.Errorf("store: sdk events: %w", err)
	}
	defer rows.Close()
	out := []SDKEventRecord{}
	for rows.Next() {
		r, err := scanSDKEvent(rows, paymentRequestID)
		if err != nil {
			return nil, fmt.Errorf("store: sdk events: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sdk events: %w", err)
	}
	return out, nil
}

// ---- disagreement flags ----

// sdkState is the latest payment-result SDK event of a payment.
type sdkState struct {
	Code       string
	ResultCode string
	ReceivedAt time.Time
	CheckAt    time.Time // zero: no timed check pending
}

func loadSDKState(ctx context.Context, q querier, paymentFK int64) (sdkState, bool, error) {
	var st sdkState
	var received int64
	var check sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT event_code, result_code, received_at, check_at
		FROM sdk_states WHERE payment_fk = ?`, paymentFK).Scan(&st.Code, &st.ResultCode, &received, &check)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("store: sdk state: %w", err)
	}
	st.ReceivedAt = time.UnixMilli(received).UTC()
	st.CheckAt = fromMS(check)
	return st, true, nil
}

// sdkFlagsFor is the rule: the SDK flags p should carry at now, given what
// the buyer was last told (st), and when a timed check is next due (zero:
// none). p.Flags is read for the timed flags only, which stay raised until
// the truth arrives rather than flickering with the clock.
//
// staffActed says a staff capture, cancel or refund asked for after the SDK
// event was confirmed by Antom: a person acted on the payment knowing its
// state, which makes the disagreement moot (a deliberate cancel after the
// buyer saw success is not a false success; a capture or refund after the
// buyer saw a failure was chosen).
func sdkFlagsFor(p *Payment, st sdkState, now time.Time, staffActed bool) (Flag, time.Time) {
	have := p.Flags & sdkFlagMask
	timed := func(f Flag, deadline time.Time) (Flag, time.Time) {
		if have&f != 0 || !now.Before(deadline) {
			return f, time.Time{}
		}
		return 0, deadline
	}
	switch st.Code {
	case antom.SDKPaymentSuccessful:
		switch {
		case p.Status == StatusSuccess:
			return 0, time.Time{}
		case p.Status.IsFinal() && !staffActed:
			return FlagSDKSuccessServerFail, time.Time{}
		case p.Status.IsFinal():
			return 0, time.Time{}
		}
		return timed(FlagSDKSuccessNoNotify, st.ReceivedAt.Add(SDKNotifyGrace))
	case antom.SDKPaymentProcessing:
		if p.Status.IsFinal() {
			return 0, time.Time{}
		}
		return timed(FlagSDKProcessingStuck, st.ReceivedAt.Add(OrderCloseWindow))
	case antom.SDKPaymentFail, antom.SDKPaymentCancel, antom.SDKPaymentError:
		// Money returned in full (refunded; a void moves the status to
		// CANCELLED) ends the disagreement: the buyer was told it failed,
		// and it did not take their money.
		if p.Status == StatusSuccess && p.RefundedMinor < p.AmountMinor && !staffActed {
			return FlagSDKFailServerSuccess, time.Time{}
		}
	}
	return 0, time.Time{}
}

// reconcileSDKFlags brings p's SDK flags in line with the rule at now (p is
// loaded in tx and saved by the caller), records a timeline event for every
// flag raised or cleared and keeps the timed check's due time. raised tells
// the caller to ask the poller for an inquiry at once.
func (s *Store) reconcileSDKFlags(ctx context.Context, tx *sql.Tx, p *Payment, now time.Time) (changed, raised bool, err error) {
	st, ok, err := loadSDKState(ctx, tx, p.ID)
	if err != nil || !ok {
		return false, false, err
	}
	var acted int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM operations WHERE payment_fk = ? AND state = 'succeeded'
		AND created_at >= ?`, p.ID, st.ReceivedAt.UnixMilli()).Scan(&acted); err != nil {
		return false, false, fmt.Errorf("store: staff operations: %w", err)
	}
	want, checkAt := sdkFlagsFor(p, st, now, acted > 0)
	if !checkAt.Equal(st.CheckAt) {
		if _, err := tx.ExecContext(ctx, "UPDATE sdk_states SET check_at = ? WHERE payment_fk = ?", ms(checkAt), p.ID); err != nil {
			return false, false, fmt.Errorf("store: sdk check: %w", err)
		}
	}
	have := p.Flags & sdkFlagMask
	if want == have {
		return false, false, nil
	}
	set, cleared := want&^have, have&^want
	p.Flags = p.Flags&^sdkFlagMask | want
	_, err = s.addEvent(ctx, tx, p, EventFlag, flagActor, sdkFlagSummary(set, cleared, st, p), map[string]any{
		"set": set.Names(), "cleared": cleared.Names(), "sdkEvent": st.Code, "serverStatus": p.Status,
	}, 0)
	if err != nil {
		return false, false, err
	}
	return true, set != 0, nil
}

// flagActor is the timeline actor of the flags' own conclusions.
const flagActor = "system"

// sdkFlagSummary says in one line what was raised or cleared, and why.
func sdkFlagSummary(set, cleared Flag, st sdkState, p *Payment) string {
	var parts []string
	shown := st.Code + " at " + st.ReceivedAt.Format("15:04:05Z07:00")
	for _, f := range []Flag{FlagSDKSuccessNoNotify, FlagSDKSuccessServerFail, FlagSDKFailServerSuccess, FlagSDKProcessingStuck} {
		switch {
		case set&f != 0:
			switch f {
			case FlagSDKSuccessNoNotify:
				parts = append(parts, fmt.Sprintf("Flag raised: the SDK reported %s and no payment result arrived within %s; inquiry started", shown, SDKNotifyGrace))
			case FlagSDKSuccessServerFail:
				parts = append(parts, fmt.Sprintf("Flag raised: the buyer was shown %s but the payment is %s", shown, p.Status))
			case FlagSDKFailServerSuccess:
				parts = append(parts, fmt.Sprintf("Flag raised: the buyer was shown %s but the payment is SUCCESS", shown))
			case FlagSDKProcessingStuck:
				parts = append(parts, fmt.Sprintf("Flag raised: the SDK reported %s and nothing final came within the order-close window (%s); inquiry started", shown, OrderCloseWindow))
			}
		case cleared&f != 0:
			why := "the payment is now " + string(p.Status)
			switch {
			case p.Status == StatusSuccess && p.RefundedMinor >= p.AmountMinor && f == FlagSDKFailServerSuccess:
				why = "the payment was refunded in full"
			case !sdkCodeRaises(st.Code, f):
				why = "the SDK since reported " + st.Code
			}
			parts = append(parts, "Flag cleared: "+f.String()+": "+why)
		}
	}
	return strings.Join(parts, "; ")
}

// sdkCodeRaises reports whether the SDK code can raise flag f at all.
func sdkCodeRaises(code string, f Flag) bool {
	switch f {
	case FlagSDKSuccessNoNotify, FlagSDKSuccessServerFail:
		return code == antom.SDKPaymentSuccessful
	case FlagSDKProcessingStuck:
		return code == antom.SDKPaymentProcessing
	case FlagSDKFailServerSuccess:
		return code == antom.SDKPaymentFail || code == antom.SDKPaymentCancel || code == antom.SDKPaymentError
	}
	return false
}

// sdkChecksBatch bounds the payments one EvaluateSDKFlags call looks at.
const sdkChecksBatch = 200

// EvaluateSDKFlags runs the timed disagreement checks that are due at now:
// SDK success with no payment result after SDKNotifyGrace, SDK processing
// with nothing final after OrderCloseWindow. A flag raised this way asks the
// poller for an inquiry at once. It returns how many payments' flags changed.
// A background job calls it every second or so; one indexed read when
// nothing is due.
func (s *Store) EvaluateSDKFlags(ctx context.Context, now time.Time) (int, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT payment_fk FROM sdk_states
		WHERE check_at IS NOT NULL AND check_at <= ? ORDER BY check_at LIMIT ?`, now.UnixMilli(), sdkChecksBatch)
	if err != nil {
		return 0, fmt.Errorf("store: due sdk checks: %w", err)
	}
	var due []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: due sdk checks: %w", err)
		}
		due = append(due, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: due sdk checks: %w", err)
	}
	n := 0
	for _, id := range due {
		var changed bool
		err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			changed = false
			p, err := paymentByID(ctx, tx, id)
			if err != nil {
				return err
			}
			old := p.Status
			ch, raised, err := s.reconcileSDKFlags(ctx, tx, p, now)
			if err != nil || !ch {
				return err
			}
			changed = true
			return s.savePayment(ctx, tx, p, old, saveOpts{pollNow: raised})
		})
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}
