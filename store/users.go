package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Role is a staff role. What each may do is decided in package handlers.
type Role string

// The staff roles.
const (
	RoleAdmin    Role = "admin"    // everything, users, API keys, settings
	RoleOperator Role = "operator" // sessions, capture, cancel, refund, inquiries
	RoleSupport  Role = "support"  // read everything, re-run inquiries; no money
)

// Roles lists the roles from most to least powerful.
func Roles() []Role { return []Role{RoleAdmin, RoleOperator, RoleSupport} }

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleOperator, RoleSupport:
		return r, nil
	}
	return "", &FieldError{Field: "role", Message: "role must be admin, operator or support"}
}

// User is a staff account.
type User struct {
	ID                int64
	Email             string // lower-case
	Name              string
	Role              Role
	Disabled          bool
	PasswordHash      string // PHC argon2id; never rendered or logged
	CreatedAt         time.Time
	UpdatedAt         time.Time
	PasswordChangedAt time.Time
	LastLoginAt       time.Time // zero: never
	TimeZone          string    // IANA name the dashboard shows times in; "" is UTC
}

// DisplayName is the name, or the email when there is none.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Actor is the audit actor string for the user.
func (u *User) Actor() string { return "user:" + u.Email }

// NewUser is the input of CreateUser.
type NewUser struct {
	Email        string
	Name         string
	Role         Role
	PasswordHash string // from HashPassword
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// maxPasswordLength bounds hashing work for hostile input.
const maxPasswordLength = 256

// ValidatePassword says why a new password is refused, or returns nil.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return &FieldError{Field: "password", Message: "password is not valid UTF-8"}
	case n < MinPasswordLength:
		return &FieldError{Field: "password", Message: fmt.Sprintf("password is too short: use at least %d characters (a few words make a good one)", MinPasswordLength)}
	case len(pw) > maxPasswordLength:
		return &FieldError{Field: "password", Message: fmt.Sprintf("password is too long: use at most %d bytes", maxPasswordLength)}
	case strings.TrimSpace(pw) == "":
		return &FieldError{Field: "password", Message: "password cannot be only spaces"}
	}
	return nil
}

// NormalizeEmail validates an email address and returns it lower-case.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", &FieldError{Field: "email", Message: "enter an email address like name@example.com"}
	}
	return s, nil
}

// validateName checks a display name.
func validateName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > 100 || !utf8.ValidString(s) {
		return "", &FieldError{Field: "name", Message: "name must be at most 100 characters"}
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", &FieldError{Field: "name", Message: "name cannot contain control characters"}
		}
	}
	return s, nil
}

// PasswordParams are argon2id cost parameters. They are stored in each hash,
// so they can be raised later without breaking existing passwords.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams follow OWASP's argon2id recommendation in its
// 19 MiB, t=2, p=1 form, which OWASP rates as strong as 46 MiB, t=1 and keeps
// a sign-in's memory spike well inside the 100 MB resident-memory target.
// Hashes made with other parameters still verify (they carry their own).
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// HashPassword hashes pw with argon2id into the PHC string format.
func HashPassword(pw string, p PasswordParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("store: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC argon2id hash, in
// constant time. A malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(pw) > maxPasswordLength {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Memory > 1<<21 || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CreateUser inserts a staff user and audits it in the same transaction. A
// taken email is a *ConflictError; bad input a *FieldError.
func (s *Store) CreateUser(ctx context.Context, nu NewUser, by AuditContext) (*User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return nil, err
	}
	name, err := validateName(nu.Name)
	if err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(nu.Role)); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(nu.PasswordHash, "$argon2id$") {
		return nil, errors.New("store: create user: password hash is not argon2id")
	}
	now := s.now()
	var id int64
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE email = ?", email).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return conflictf("a user with email %s already exists", email)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, password_hash, created_at, updated_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, email, name, string(nu.Role), nu.PasswordHash, now.UnixMilli(), now.UnixMilli(), now.UnixMilli()).Scan(&id)
		if err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("user.create", "user:"+email, nil,
			map[string]any{"email": email, "name": name, "role": nu.Role}))
	})
	if err != nil {
		return nil, staffErr("create user", err)
	}
	return s.UserByID(ctx, id)
}

const userColumns = `id, email, name, role, disabled_at, password_hash, created_at, updated_at, password_changed_at, last_login_at, time_zone`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var disabled, lastLogin sql.NullInt64
	var created, updated, pwChanged int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &disabled, &u.PasswordHash, &created, &updated, &pwChanged, &lastLogin, &u.TimeZone); err != nil {
		return nil, err
	}
	u.Disabled = disabled.Valid
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = staffTime(created), staffTime(updated), staffTime(pwChanged)
	if lastLogin.Valid {
		u.LastLoginAt = staffTime(lastLogin.Int64)
	}
	return &u, nil
}

// UserByID returns a user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, staffErr(fmt.Sprintf("user %d", id), err)
}

// UserByEmail returns a user (disabled ones too) or ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := scanUser(s.rdb.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", email))
	return u, staffErr("user by email", err)
}

// ListUsers returns every user, ordered by email.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY email")
	if err != nil {
		return nil, staffErr("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, staffErr("list users", err)
		}
		out = append(out, *u)
	}
	return out, staffErr("list users", rows.Err())
}

// CountUsers returns how many users exist (disabled included).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n, staffErr("count users", err)
}

// SetUserRole changes a user's role. Demoting the last active admin is a
// *ConflictError.
func (s *Store) SetUserRole(ctx context.Context, id int64, role Role, by AuditContext) (*User, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := lastAdminGuard(ctx, tx, id, "change the role of"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", string(role), s.now().UnixMilli(), id); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("user.role", "user:"+u.Email,
			map[string]any{"role": u.Role}, map[string]any{"role": role}))
	})
	if err != nil {
		return nil, staffErr("set user role", err)
	}
	return s.UserByID(ctx, id)
}

// SetUserDisabled disables (ending all the user's sessions at once) or
// re-enables a user. Disabling the last active admin is a *ConflictError.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool, by AuditContext) (*User, error) {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		now := s.now().UnixMilli()
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if u.Role == RoleAdmin {
				if err := lastAdminGuard(ctx, tx, id, "disable"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?", now, now, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE user_id = ?", id); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled_at = NULL, updated_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry(action, "user:"+u.Email,
			map[string]any{"disabled": u.Disabled}, map[string]any{"disabled": disabled}))
	})
	if err != nil {
		return nil, staffErr("set user disabled", err)
	}
	return s.UserByID(ctx, id)
}

// SetUserPassword replaces a user's password hash and ends every session of
// the user except keepSessionHash (the caller's own, or "" for none).
func (s *Store) SetUserPassword(ctx context.Context, id int64, passwordHash, keepSessionHash string, by AuditContext) error {
	if !strings.HasPrefix(passwordHash, "$argon2id$") {
		return errors.New("store: set password: hash is not argon2id")
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var email string
		if err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", id).Scan(&email); err != nil {
			return err
		}
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
			passwordHash, now, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE user_id = ? AND id_hash <> ?", id, keepSessionHash); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("user.password", "user:"+email, nil, nil))
	})
	return staffErr("set user password", err)
}

// lastAdminGuard refuses to remove the only active admin other than id.
func lastAdminGuard(ctx context.Context, tx *sql.Tx, id int64, what string) error {
	var others int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?", id).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return conflictf("cannot %s the last active admin", what)
	}
	return nil
}

// ---- staff sessions ----

// StaffSession is the server-side record of a signed-in browser.
type StaffSession struct {
	IDHash              string // SHA-256 (hex) of the cookie's token
	UserID              int64
	CreatedAt           time.Time
	LastSeenAt          time.Time
	PasswordConfirmedAt time.Time
	RemoteAddr          string
	UserAgent           string
}

// HashToken returns the hex SHA-256 of a session token or API key: what the
// database stores and looks up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartStaffSession records a login: the new session row, the user's last
// login time and an audit entry, in one transaction. replaceHash, when not
// empty, is the browser's previous session, which is deleted (no fixation).
func (s *Store) StartStaffSession(ctx context.Context, ss StaffSession, replaceHash string, by AuditContext) error {
	now := s.now().UnixMilli()
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if replaceHash != "" {
			if _, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE id_hash = ?", replaceHash); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (id_hash, user_id, created_at, last_seen_at, password_confirmed_at, remote_addr, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, ss.IDHash, ss.UserID, now, now, now, ss.RemoteAddr, staffTruncate(ss.UserAgent, 256)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", now, ss.UserID); err != nil {
			return err
		}
		return s.insertAudit(ctx, tx, by.entry("auth.login", "", nil, nil))
	})
	return staffErr("start session", err)
}

// StaffSessionUser returns the session with hash idHash and its user, or
// ErrNotFound. Timeouts and disabled users are the caller's policy.
func (s *Store) StaffSessionUser(ctx context.Context, idHash string) (*StaffSession, *User, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT ss.id_hash, ss.user_id, ss.created_at, ss.last_seen_at, ss.password_confirmed_at, ss.remote_addr, ss.user_agent,
		u.id, u.email, u.name, u.role, u.disabled_at, u.password_hash, u.created_at, u.updated_at, u.password_changed_at, u.last_login_at, u.time_zone
		FROM staff_sessions ss JOIN users u ON u.id = ss.user_id WHERE ss.id_hash = ?`, idHash)
	var ss StaffSession
	var created, seen, confirmed int64
	var u User
	var disabled, lastLogin sql.NullInt64
	var uCreated, uUpdated, pwChanged int64
	err := row.Scan(&ss.IDHash, &ss.UserID, &created, &seen, &confirmed, &ss.RemoteAddr, &ss.UserAgent,
		&u.ID, &u.Email, &u.Name, &u.Role, &disabled, &u.PasswordHash, &uCreated, &uUpdated, &pwChanged, &lastLogin, &u.TimeZone)
	if err != nil {
		return nil, nil, staffErr("session", err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.PasswordConfirmedAt = staffTime(created), staffTime(seen), staffTime(confirmed)
	u.Disabled = disabled.Valid
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = staffTime(uCreated), staffTime(uUpdated), staffTime(pwChanged)
	if lastLogin.Valid {
		u.LastLoginAt = staffTime(lastLogin.Int64)
	}
	return &ss, &u, nil
}

// TouchStaffSession records activity on a session (for the idle timeout).
func (s *Store) TouchStaffSession(ctx context.Context, idHash string) error {
	now := s.now().UnixMilli()
	return staffErr("touch session", s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE staff_sessions SET last_seen_at = ? WHERE id_hash = ?", now, idHash)
		return err
	}))
}

// ConfirmStaffSessionPassword records that the user re-entered the password
// (step-up) now.
func (s *Store) ConfirmStaffSessionPassword(ctx context.Context, idHash string) error {
	now := s.now().UnixMilli()
	return staffErr("confirm session password", s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE staff_sessions SET password_confirmed_at = ?, last_seen_at = ? WHERE id_hash = ?", now, now, idHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return err
	}))
}

// EndStaffSession deletes a session (logout) and audits it when by is not zero.
func (s *Store) EndStaffSession(ctx context.Context, idHash string, by AuditContext) error {
	return staffErr("end session", s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE id_hash = ?", idHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || by.Actor == "" {
			return nil
		}
		return s.insertAudit(ctx, tx, by.entry("auth.logout", "", nil, nil))
	}))
}

// PurgeStaffSessions deletes sessions idle since before idleBefore or created
// before createdBefore, and returns how many went.
func (s *Store) PurgeStaffSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM staff_sessions WHERE last_seen_at < ? OR created_at < ?",
			idleBefore.UnixMilli(), createdBefore.UnixMilli())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, staffErr("purge sessions", err)
}

// ---- small helpers ----

// staffTime converts unix milliseconds to a UTC time.
func staffTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// staffErr prefixes err with the operation, maps sql.ErrNoRows to
// ErrNotFound, and keeps FieldError/ConflictError visible to errors.As.
func staffErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	var fe *FieldError
	var ce *ConflictError
	if errors.As(err, &fe) || errors.As(err, &ce) || strings.HasPrefix(err.Error(), "store: ") {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// staffTruncate cuts s to at most n bytes on a rune boundary.
func staffTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
