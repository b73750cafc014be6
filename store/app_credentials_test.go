package store

import (
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestAPIKeyScopes(t *testing.T) {
	s, _ := newTestStore(t)
	by := AuditContext{Actor: "test"}
	def, _, err := s.CreateAPIKey(ctx, "backend", by)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def.Scopes, []APIScope{ScopeSessions}) || !def.Has(ScopeSessions) || def.Has(ScopePaymentsRead) {
		t.Errorf("default scopes %v, want [sessions]", def.Scopes)
	}
	both, token, err := s.CreateAPIKey(ctx, "back-office", by, ScopePaymentsRead, ScopeSessions, ScopePaymentsRead)
	if err != nil {
		t.Fatal(err)
	}
	if both.ScopeList() != "sessions,payments:read" {
		t.Errorf("scopes %q, want sessions,payments:read (canonical order, each once)", both.ScopeList())
	}
	if k, err := s.AuthenticateAPIKey(ctx, token); err != nil || k.ScopeList() != "sessions,payments:read" {
		t.Errorf("authenticated key: %+v %v", k, err)
	}
	var fe *FieldError
	if _, _, err := s.CreateAPIKey(ctx, "x", by, "payments:write"); !errors.As(err, &fe) || fe.Field != "scopes" {
		t.Errorf("unknown scope: %v, want a FieldError on scopes", err)
	}
	for _, tc := range []struct {
		in   string
		want string // "" for an error
	}{
		{"sessions", "sessions"},
		{" payments:read , sessions ", "sessions,payments:read"},
		{"payments:read,payments:read", "payments:read"},
		{"", ""},
		{",", ""},
		{"sessions,admin", ""},
		{"SESSIONS", ""},
	} {
		got, err := ParseAPIScopes(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ParseAPIScopes(%q) = %v, want an error", tc.in, got)
		case tc.want != "" && (err != nil || joinScopes(got) != tc.want):
			t.Errorf("ParseAPIScopes(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	keys, err := s.ListAPIKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ScopeList() != "sessions,payments:read" || keys[1].ScopeList() != "sessions" {
		t.Errorf("list: %+v %v", keys, err)
	}
}

// A payment records the key that created it and the time it first became
// final; a later change of a final payment does not move that time.
func TestPaymentOwnerAndFinalAt(t *testing.T) {
	s, clk := newTestStore(t)
	k, _, err := s.CreateAPIKey(ctx, "backend", AuditContext{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	p := mustReady(t, s, func(np *NewPayment) { np.CreatedBy, np.CreatedByKey = k.Actor(), k.ID })
	o, err := s.PaymentOwner(ctx, p.PaymentRequestID)
	if err != nil || o.CreatedByKey != k.ID || !o.FinalAt.IsZero() {
		t.Fatalf("owner of a ready payment: %+v %v, want key %d and no final time", o, err, k.ID)
	}
	clk.Add(time.Minute)
	final := clk.Now()
	deliver(t, s, paymentResult(p.PaymentRequestID, "PID-1", "S", "SUCCESS", 4200))
	clk.Add(time.Hour)
	deliver(t, s, captureResult("PID-1", "cap-1", "CAP-1", "S", 4200))
	d := mustGet(t, s, p.PaymentRequestID)
	if d.CaptureState != CaptureFull || !d.FinalAt.Equal(final) || d.CreatedByKey != k.ID {
		t.Errorf("after success and capture: capture %s final at %v key %d; want CAPTURED, %v, %d", d.CaptureState, d.FinalAt, d.CreatedByKey, final, k.ID)
	}
	if o, err := s.PaymentOwner(ctx, p.PaymentRequestID); err != nil || !o.FinalAt.Equal(final) {
		t.Errorf("owner: %+v %v, want final at %v", o, err, final)
	}
	staff := mustCreate(t, s, func(np *NewPayment) { np.ReferenceOrderID = "order-2" })
	if o, err := s.PaymentOwner(ctx, staff.PaymentRequestID); err != nil || o.CreatedByKey != 0 {
		t.Errorf("a dashboard payment's owner: %+v %v, want no key", o, err)
	}
	if _, err := s.PaymentOwner(ctx, "pay_missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing payment: %v, want ErrNotFound", err)
	}
}

// Migration 0006 on a database of the version before: old keys get
// sessions alone, old payments their key when its name is unambiguous, and
// final payments a final time.
func TestAppCredentialsMigration(t *testing.T) {
	sqliteOnly(t)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(m migrationFile) {
		t.Helper()
		body, err := fs.ReadFile(migrationFS, sqliteMigrations+"/"+m.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	i := slices.IndexFunc(files, func(m migrationFile) bool { return m.name == "0006_app_credentials.sql" })
	if i < 0 {
		t.Fatal("no 0006_app_credentials.sql")
	}
	for _, m := range files[:i] {
		apply(m)
	}
	for _, q := range []string{
		`INSERT INTO api_keys (id, name, prefix, key_hash, created_at) VALUES (1, 'android-app', 'pdk_live_a', 'h1', 1), (2, 'twin', 'pdk_live_b', 'h2', 1), (3, 'twin', 'pdk_live_c', 'h3', 1)`,
		`INSERT INTO payments (payment_request_id, reference_order_id, amount_minor, currency, capture_mode, status, created_by, created_at, updated_at, seq)
			VALUES ('p-app', 'o1', 100, 'SGD', 'AUTOMATIC', 'SUCCESS', 'apikey:android-app', 1, 5000, 1),
			('p-twin', 'o2', 100, 'SGD', 'AUTOMATIC', 'SESSION_READY', 'apikey:twin', 1, 6000, 2),
			('p-staff', 'o3', 100, 'SGD', 'AUTOMATIC', 'EXPIRED', 'user:ana@example.com', 1, 7000, 3)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	apply(files[i])
	var scopes string
	if err := db.QueryRow("SELECT group_concat(DISTINCT scopes) FROM api_keys").Scan(&scopes); err != nil || scopes != "sessions" {
		t.Errorf("old keys' scopes %q (%v), want sessions", scopes, err)
	}
	for _, tc := range []struct {
		id    string
		key   sql.NullInt64
		final sql.NullInt64
	}{
		{"p-app", sql.NullInt64{Int64: 1, Valid: true}, sql.NullInt64{Int64: 5000, Valid: true}},
		{"p-twin", sql.NullInt64{}, sql.NullInt64{}}, // two keys had that name
		{"p-staff", sql.NullInt64{}, sql.NullInt64{Int64: 7000, Valid: true}},
	} {
		var key, final sql.NullInt64
		if err := db.QueryRow("SELECT created_by_key, final_at FROM payments WHERE payment_request_id = ?", tc.id).Scan(&key, &final); err != nil {
			t.Fatal(err)
		}
		if key != tc.key || final != tc.final {
			t.Errorf("%s: key %v final %v, want %v %v", tc.id, key, final, tc.key, tc.final)
		}
	}
}
