package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AuditContext is who acts and from where; staff methods take one and write
// their audit entry in the same transaction as the change.
type AuditContext struct {
	Actor       string // "user:<email>", "apikey:<name>", "cli:<os user>", "system"
	ActorUserID int64  // 0 when the actor is not a staff user
	RemoteAddr  string
	RequestID   string
}

// entry builds an audit entry for action on target with before/after values
// (marshalled to JSON; nil leaves them empty).
func (a AuditContext) entry(action, target string, before, after any) AuditEntry {
	return AuditEntry{
		Actor: a.Actor, ActorUserID: a.ActorUserID, Action: action, Target: target,
		Before: mustJSON(before), After: mustJSON(after),
		RemoteAddr: a.RemoteAddr, RequestID: a.RequestID,
	}
}

// PaymentEntry builds an audit entry for action on a payment with
// before/after values (marshalled to JSON; nil leaves them empty), for
// AddAudit.
func (a AuditContext) PaymentEntry(action, paymentRequestID string, before, after any) AuditEntry {
	e := a.entry(action, "", before, after)
	e.PaymentRequestID = paymentRequestID
	return e
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID               int64
	At               time.Time // set by the store when zero
	Actor            string
	ActorUserID      int64
	Action           string // e.g. "payment.capture", "payment.refund", "user.create"
	PaymentRequestID string
	Target           string // what was acted on when not a payment, e.g. "user:bob@example.com"
	Before           json.RawMessage
	After            json.RawMessage
	RemoteAddr       string
	RequestID        string
}

// AuditFilter selects audit entries, newest first. Zero fields do not filter.
type AuditFilter struct {
	Actor            string // exact
	Action           string // exact, or a prefix ending in "." ("payment.")
	PaymentRequestID string
	Cursor           string
	Limit            int // default 50, max 500
}

// AddAudit appends an entry on its own transaction. Prefer a store method
// that audits inside the transaction of the change when there is one.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	return staffErr("add audit", s.writeTx(ctx, func(tx *sql.Tx) error {
		return s.insertAudit(ctx, tx, e)
	}))
}

// insertAudit appends e inside tx; store methods call it so the audit row
// commits with the change it records.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return errors.New("store: audit entry needs an actor and an action")
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	var userID sql.NullInt64
	if e.ActorUserID != 0 {
		userID = sql.NullInt64{Int64: e.ActorUserID, Valid: true}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, actor_user_id, action, payment_request_id, target, before_json, after_json, remote_addr, request_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.UnixMilli(), e.Actor, userID, e.Action, e.PaymentRequestID, e.Target,
		string(e.Before), string(e.After), e.RemoteAddr, staffTruncate(e.RequestID, 64))
	return err
}

const auditColumns = `id, at, actor, actor_user_id, action, payment_request_id, target, before_json, after_json, remote_addr, request_id`

func scanAudit(row interface{ Scan(...any) error }) (AuditEntry, error) {
	var e AuditEntry
	var at int64
	var uid sql.NullInt64
	var before, after string
	err := row.Scan(&e.ID, &at, &e.Actor, &uid, &e.Action, &e.PaymentRequestID, &e.Target, &before, &after, &e.RemoteAddr, &e.RequestID)
	e.At = staffTime(at)
	e.ActorUserID = uid.Int64
	if before != "" {
		e.Before = json.RawMessage(before)
	}
	if after != "" {
		e.After = json.RawMessage(after)
	}
	return e, err
}

// auditQuery builds the WHERE clause for f with placeholders only.
func auditQuery(f AuditFilter) (string, []any, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "action >= ? AND action < ?"), append(args, f.Action, f.Action[:len(f.Action)-1]+"/")
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.PaymentRequestID != "" {
		where, args = append(where, "payment_request_id = ?"), append(args, f.PaymentRequestID)
	}
	if f.Cursor != "" {
		id, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || id <= 0 {
			return "", nil, &FieldError{Field: "cursor", Message: "cursor is not valid"}
		}
		where, args = append(where, "id < ?"), append(args, id)
	}
	q := "SELECT " + auditColumns + " FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY id DESC", args, nil
}

// ListAudit returns one page of audit entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) (Page[AuditEntry], error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q, args, err := auditQuery(f)
	if err != nil {
		return Page[AuditEntry]{}, err
	}
	rows, err := s.rdb.QueryContext(ctx, q+" LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return Page[AuditEntry]{}, staffErr("list audit", err)
	}
	defer rows.Close()
	var p Page[AuditEntry]
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return Page[AuditEntry]{}, staffErr("list audit", err)
		}
		p.Items = append(p.Items, e)
	}
	if err := rows.Err(); err != nil {
		return Page[AuditEntry]{}, staffErr("list audit", err)
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.NextCursor = strconv.FormatInt(p.Items[limit-1].ID, 10)
	}
	return p, nil
}

// EachAudit calls fn for every entry matching f (cursor and limit ignored),
// newest first, streaming: the CSV export uses it.
func (s *Store) EachAudit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	f.Cursor = ""
	q, args, err := auditQuery(f)
	if err != nil {
		return err
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return staffErr("export audit", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return staffErr("export audit", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return staffErr("export audit", rows.Err())
}

// AuditForPayment returns a payment's audit entries, oldest first, for its
// timeline.
func (s *Store) AuditForPayment(ctx context.Context, paymentRequestID string) ([]AuditEntry, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE payment_request_id = ? ORDER BY id", paymentRequestID)
	if err != nil {
		return nil, staffErr("payment audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, staffErr("payment audit", err)
		}
		out = append(out, e)
	}
	return out, staffErr("payment audit", rows.Err())
}

// mustJSON marshals v for an audit column; nil stays empty. Values here are
// maps of plain values built by store code, so marshalling cannot fail.
func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{"error":"unmarshalable"}`)
	}
	return b
}
