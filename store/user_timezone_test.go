package store

import (
	"context"
	"errors"
	"testing"
)

func TestValidateTimeZone(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Asia/Singapore", "Asia/Singapore", true},
		{"  Asia/Kathmandu ", "Asia/Kathmandu", true},
		{"UTC", "UTC", true},
		{"America/Argentina/ComodRivadavia", "America/Argentina/ComodRivadavia", true},
		{"", "", false},
		{"Local", "", false},
		{"Mars/Olympus_Mons", "", false},
		{"asia/singapore", "", false},
		{"../../etc/passwd", "", false},
		{"/etc/localtime", "", false},
		{"+08:00", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, loc, err := ValidateTimeZone(tc.in)
			if tc.ok {
				if err != nil || got != tc.want || loc == nil || loc.String() != tc.want {
					t.Fatalf("ValidateTimeZone(%q) = %q, %v, %v; want %q", tc.in, got, loc, err, tc.want)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "time_zone" || fe.Message == "" {
				t.Fatalf("ValidateTimeZone(%q) error = %v, want a time_zone FieldError", tc.in, err)
			}
		})
	}
}

func TestSetUserTimeZone(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	u := staffUser(t, s, "tz@example.com", RoleSupport)
	if u.TimeZone != "" {
		t.Fatalf("new user's zone = %q, want none", u.TimeZone)
	}
	by := AuditContext{Actor: u.Actor(), ActorUserID: u.ID}

	// First sign-in: the browser's zone is saved when there is none.
	if changed, err := s.SetUserTimeZone(ctx, u.ID, "Asia/Singapore", true, by); err != nil || !changed {
		t.Fatalf("first default: changed %v, err %v; want saved", changed, err)
	}
	// A later sign-in from elsewhere does not overwrite it.
	if changed, err := s.SetUserTimeZone(ctx, u.ID, "Europe/Berlin", true, by); err != nil || changed {
		t.Fatalf("second default: changed %v, err %v; want kept", changed, err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.TimeZone != "Asia/Singapore" {
		t.Fatalf("zone = %q, want Asia/Singapore", got.TimeZone)
	}
	// The Account page changes it.
	if changed, err := s.SetUserTimeZone(ctx, u.ID, "Asia/Kathmandu", false, by); err != nil || !changed {
		t.Fatalf("explicit change: changed %v, err %v", changed, err)
	}
	// A bad name changes nothing.
	if _, err := s.SetUserTimeZone(ctx, u.ID, "Nowhere/Land", false, by); err == nil {
		t.Fatal("a bad zone was accepted")
	}
	got, _ = s.UserByID(ctx, u.ID)
	if got.TimeZone != "Asia/Kathmandu" {
		t.Fatalf("after a bad name, zone = %q, want Asia/Kathmandu", got.TimeZone)
	}
	page, err := s.ListAudit(ctx, AuditFilter{Action: "user.time_zone"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 {
		t.Fatalf("time-zone audit entries = %d, want 2 (set, changed)", len(page.Items))
	}
	if _, err := s.SetUserTimeZone(ctx, 99999, "UTC", false, by); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: err %v, want ErrNotFound", err)
	}
}

// BenchmarkValidateTimeZone is the cost of loading a zone from the
// compiled-in database, which the handlers cache per name.
func BenchmarkValidateTimeZone(b *testing.B) {
	for b.Loop() {
		if _, _, err := ValidateTimeZone("America/Los_Angeles"); err != nil {
			b.Fatal(err)
		}
	}
}
