package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"
)

var staffTestParams = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func staffUser(t *testing.T, s *Store, email string, role Role) *User {
	t.Helper()
	hash, err := HashPassword("a long enough password", staffTestParams)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(context.Background(), NewUser{Email: email, Name: "N", Role: role, PasswordHash: hash}, AuditContext{Actor: "test"})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("correct horse battery", staffTestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash format: %s", h)
	}
	h2, _ := HashPassword("correct horse battery", staffTestParams)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterz") || CheckPassword(h, "") {
		t.Errorf("CheckPassword gives wrong answers")
	}
	for _, bad := range []string{"", "$argon2id$x", "$2a$10$abc", strings.Replace(h, "m=64", "m=999999999", 1), strings.Replace(h, "t=1", "t=0", 1)} {
		if CheckPassword(bad, "correct horse battery") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	for pw, want := range map[string]string{
		"short":                  "at least 12 characters",
		"            ":           "only spaces",
		strings.Repeat("x", 300): "too long",
		"twelve chars":           "",
		"ünïcödé pässwörd":       "",
	} {
		err := ValidatePassword(pw)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidatePassword(%q) = %v, want %q", pw, err, want)
		}
	}
}

func TestUsers(t *testing.T) {
	s, clk := newTestStore(t)
	ctx := context.Background()
	admin := staffUser(t, s, "Admin@Example.com ", RoleAdmin)
	if admin.Email != "admin@example.com" || admin.Role != RoleAdmin || admin.Disabled {
		t.Fatalf("created: %+v", admin)
	}
	if _, err := s.CreateUser(ctx, NewUser{Email: "ADMIN@example.com", Role: RoleSupport, PasswordHash: admin.PasswordHash}, AuditContext{Actor: "test"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate email (other case): %v, want ErrConflict", err)
	}
	for _, nu := range []NewUser{
		{Email: "not-an-email", Role: RoleSupport, PasswordHash: admin.PasswordHash},
		{Email: "Ana <ana@example.com>", Role: RoleSupport, PasswordHash: admin.PasswordHash},
		{Email: "ana@example.com", Role: "root", PasswordHash: admin.PasswordHash},
		{Email: "ana@example.com", Role: RoleSupport, Name: "a\x00b", PasswordHash: admin.PasswordHash},
	} {
		var fe *FieldError
		if _, err := s.CreateUser(ctx, nu, AuditContext{Actor: "test"}); !errors.As(err, &fe) {
			t.Errorf("CreateUser(%+v): %v, want a FieldError", nu, err)
		}
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Errorf("bad input created users: %d", n)
	}

	op := staffUser(t, s, "op@example.com", RoleOperator)
	by := AuditContext{Actor: admin.Actor(), ActorUserID: admin.ID, RemoteAddr: "127.0.0.1", RequestID: "r1"}
	if u, err := s.SetUserRole(ctx, op.ID, RoleSupport, by); err != nil || u.Role != RoleSupport {
		t.Fatalf("set role: %v %+v", err, u)
	}
	// The last active admin can be neither demoted nor disabled.
	if _, err := s.SetUserRole(ctx, admin.ID, RoleOperator, by); !errors.Is(err, ErrConflict) {
		t.Errorf("demote the last admin: %v, want ErrConflict", err)
	}
	if _, err := s.SetUserDisabled(ctx, admin.ID, true, by); !errors.Is(err, ErrConflict) {
		t.Errorf("disable the last admin: %v, want ErrConflict", err)
	}
	if _, err := s.SetUserRole(ctx, 9999, RoleSupport, by); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v, want ErrNotFound", err)
	}

	// Sessions: disabling and password changes end them.
	if err := s.StartStaffSession(ctx, StaffSession{IDHash: HashToken("t1"), UserID: op.ID}, "", by); err != nil {
		t.Fatal(err)
	}
	if err := s.StartStaffSession(ctx, StaffSession{IDHash: HashToken("t2"), UserID: op.ID}, "", by); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	ss, u, err := s.StaffSessionUser(ctx, HashToken("t1"))
	if err != nil || u.ID != op.ID || u.LastLoginAt.IsZero() || !ss.CreatedAt.Equal(ss.PasswordConfirmedAt) {
		t.Fatalf("session: %v %+v %+v", err, ss, u)
	}
	if err := s.SetUserPassword(ctx, op.ID, admin.PasswordHash, HashToken("t2"), by); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StaffSessionUser(ctx, HashToken("t1")); !errors.Is(err, ErrNotFound) {
		t.Errorf("other session after a password change: %v, want ErrNotFound", err)
	}
	if _, _, err := s.StaffSessionUser(ctx, HashToken("t2")); err != nil {
		t.Errorf("kept session after a password change: %v", err)
	}
	if _, err := s.SetUserDisabled(ctx, op.ID, true, by); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StaffSessionUser(ctx, HashToken("t2")); !errors.Is(err, ErrNotFound) {
		t.Errorf("session of a disabled user: %v, want ErrNotFound", err)
	}
	// Replacing a session at login deletes the old one.
	if err := s.StartStaffSession(ctx, StaffSession{IDHash: HashToken("a1"), UserID: admin.ID}, "", by); err != nil {
		t.Fatal(err)
	}
	if err := s.StartStaffSession(ctx, StaffSession{IDHash: HashToken("a2"), UserID: admin.ID}, HashToken("a1"), by); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.StaffSessionUser(ctx, HashToken("a1")); !errors.Is(err, ErrNotFound) {
		t.Errorf("replaced session: %v", err)
	}
	clk.Add(2 * time.Hour)
	if n, err := s.PurgeStaffSessions(ctx, clk.Now().Add(-time.Hour), clk.Now().Add(-12*time.Hour)); err != nil || n != 1 {
		t.Errorf("purge: %d %v, want 1", n, err)
	}

	page, err := s.ListAudit(ctx, AuditFilter{Actor: admin.Actor()})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Items {
		actions = append(actions, e.Action)
		if e.RemoteAddr != "127.0.0.1" || e.RequestID != "r1" || e.ActorUserID != admin.ID {
			t.Errorf("audit entry %s lacks who/where: %+v", e.Action, e)
		}
	}
	want := "auth.login,auth.login,user.disable,user.password,auth.login,auth.login,user.role"
	if got := strings.Join(actions, ","); got != want {
		t.Errorf("audit actions (newest first): %s, want %s", got, want)
	}
	role := page.Items[len(page.Items)-1]
	if string(role.Before) != `{"role":"operator"}` || string(role.After) != `{"role":"support"}` {
		t.Errorf("role change before/after: %s → %s", role.Before, role.After)
	}
}

func TestAPIKeys(t *testing.T) {
	s, clk := newTestStore(t)
	ctx := context.Background()
	by := AuditContext{Actor: "user:admin@example.com"}
	k, token, err := s.CreateAPIKey(ctx, "android-app", by)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "pdk_live_") || len(token) != len("pdk_live_")+32 || !strings.HasPrefix(token, k.Prefix) || k.Prefix == token {
		t.Fatalf("token %q prefix %q", token, k.Prefix)
	}
	var stored string
	if err := s.rdb.QueryRow("SELECT key_hash FROM api_keys WHERE id = ?", k.ID).Scan(&stored); err != nil || stored != HashToken(token) || strings.Contains(stored, token) {
		t.Errorf("stored %q, want only the SHA-256", stored)
	}
	got, err := s.AuthenticateAPIKey(ctx, token)
	if err != nil || got.ID != k.ID || got.LastUsedAt.IsZero() {
		t.Fatalf("authenticate: %v %+v", err, got)
	}
	for _, bad := range []string{"", "pdk_live_", token + "x", strings.ToUpper(token), "Bearer " + token} {
		if _, err := s.AuthenticateAPIKey(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("AuthenticateAPIKey(%q): %v, want ErrNotFound", bad, err)
		}
	}
	var fe *FieldError
	if _, _, err := s.CreateAPIKey(ctx, "  ", by); !errors.As(err, &fe) {
		t.Errorf("blank name: %v", err)
	}
	clk.Add(time.Hour)
	if err := s.RevokeAPIKey(ctx, k.ID, by); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateAPIKey(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked key: %v, want ErrNotFound at once", err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, by); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, 999, by); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: %v", err)
	}
	keys, _ := s.ListAPIKeys(ctx)
	if len(keys) != 1 || keys[0].Active() || keys[0].RevokedBy != by.Actor {
		t.Errorf("list: %+v", keys)
	}
	page, _ := s.ListAudit(ctx, AuditFilter{Action: "apikey."})
	if len(page.Items) != 2 || page.Items[0].Action != "apikey.revoke" || page.Items[1].Action != "apikey.create" {
		t.Errorf("audit: %+v", page.Items)
	}
}

func TestAuditLogIsAppendOnlyAndPaginates(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for i := range 7 {
		pr := ""
		if i%2 == 0 {
			pr = "pay_1"
		}
		if err := s.AddAudit(ctx, AuditEntry{Actor: "user:a@example.com", Action: "payment.capture", PaymentRequestID: pr,
			Before: []byte(`{"captured":0}`), After: []byte(`{"captured":100}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddAudit(ctx, AuditEntry{Action: "x"}); err == nil {
		t.Errorf("an entry without actor was accepted")
	}
	p1, err := s.ListAudit(ctx, AuditFilter{Limit: 3})
	if err != nil || len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("page 1: %v %d %q", err, len(p1.Items), p1.NextCursor)
	}
	p2, _ := s.ListAudit(ctx, AuditFilter{Limit: 3, Cursor: p1.NextCursor})
	p3, _ := s.ListAudit(ctx, AuditFilter{Limit: 3, Cursor: p2.NextCursor})
	if len(p2.Items) != 3 || len(p3.Items) != 1 || p3.NextCursor != "" || p2.Items[0].ID >= p1.Items[2].ID {
		t.Errorf("pages: %d %d next %q", len(p2.Items), len(p3.Items), p3.NextCursor)
	}
	if _, err := s.ListAudit(ctx, AuditFilter{Cursor: "' OR 1=1 --"}); err == nil {
		t.Errorf("a bad cursor was accepted")
	}
	byPay, _ := s.AuditForPayment(ctx, "pay_1")
	if len(byPay) != 4 || byPay[0].ID > byPay[3].ID || string(byPay[0].After) != `{"captured":100}` {
		t.Errorf("payment audit: %d entries", len(byPay))
	}
	n := 0
	if err := s.EachAudit(ctx, AuditFilter{PaymentRequestID: "pay_1"}, func(AuditEntry) error { n++; return nil }); err != nil || n != 4 {
		t.Errorf("each: %d %v", n, err)
	}
	for _, q := range []string{"UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"} {
		err := s.writeTx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}
