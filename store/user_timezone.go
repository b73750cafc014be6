package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	// The zone database is compiled in: a preference saved on one machine
	// must load on every replica, whatever zoneinfo its image ships.
	_ "time/tzdata"
)

// maxTimeZoneLen bounds a zone name; the longest IANA name is 32 bytes
// (America/Argentina/ComodRivadavia).
const maxTimeZoneLen = 64

// ValidateTimeZone checks an IANA time-zone name (e.g. "Asia/Singapore",
// "UTC") and returns it trimmed with its location. "", "Local" (the
// server's own zone, not a viewer's) and names the zone database does not
// know are a *FieldError on field "time_zone".
func ValidateTimeZone(name string) (string, *time.Location, error) {
	name = strings.TrimSpace(name)
	bad := func(msg string) (string, *time.Location, error) {
		return "", nil, &FieldError{Field: "time_zone", Message: msg}
	}
	switch {
	case name == "":
		return bad("Enter a time zone, such as Asia/Singapore or UTC.")
	case len(name) > maxTimeZoneLen:
		return bad("That is not a time zone name: use an IANA name such as Asia/Singapore.")
	case name == "Local" || strings.ContainsAny(name, `\.`) || strings.HasPrefix(name, "/"):
		return bad(fmt.Sprintf("%q is not a time zone name: use an IANA name such as Asia/Singapore.", name))
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return bad(fmt.Sprintf("%q is not a known time zone: use an IANA name such as Asia/Singapore or Europe/Berlin.", name))
	}
	return name, loc, nil
}

// SetUserTimeZone saves the user's time-zone preference (an IANA name,
// checked with ValidateTimeZone) and audits the change. With onlyIfUnset
// (the browser's zone at sign-in) a user who already has one keeps it and
// nothing is written; changed reports whether the row changed. A bad name
// is a *FieldError and changes nothing.
func (s *Store) SetUserTimeZone(ctx context.Context, id int64, name string, onlyIfUnset bool, by AuditContext) (changed bool, err error) {
	name, _, err = ValidateTimeZone(name)
	if err != nil {
		return false, err
	}
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var email, old string
		if err := tx.QueryRowContext(ctx, "SELECT email, time_zone FROM users WHERE id = ?", id).Scan(&email, &old); err != nil {
			return err
		}
		if old == name || (onlyIfUnset && old != "") {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET time_zone = ?, updated_at = ? WHERE id = ?", name, s.now().UnixMilli(), id); err != nil {
			return err
		}
		changed = true
		return s.insertAudit(ctx, tx, by.entry("user.time_zone", "user:"+email,
			map[string]any{"timeZone": old}, map[string]any{"timeZone": name}))
	})
	if err != nil {
		return false, staffErr("set user time zone", err)
	}
	return changed, nil
}
