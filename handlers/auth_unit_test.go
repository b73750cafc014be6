package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
)

// TestThrottle: the throttle counts in the store, each throttle on keys of
// its own, and forgives a released attempt.
func TestThrottle(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	accounts := newThrottle(st, "account", 2, 10*time.Minute, slog.New(slog.DiscardHandler))
	addresses := newThrottle(st, "address", 2, 10*time.Minute, slog.New(slog.DiscardHandler))
	for i := range 2 {
		if _, w, err := accounts.reserve(ctx, now, "k"); err != nil || w != 0 {
			t.Fatalf("attempt %d: wait %v, %v; want 0", i+1, w, err)
		}
	}
	if _, w, _ := accounts.reserve(ctx, now.Add(time.Minute), "k"); w != 9*time.Minute {
		t.Errorf("locked: wait %v, want 9m", w)
	}
	// The same key on another throttle counts apart.
	r, w, err := addresses.reserve(ctx, now, "k")
	if err != nil || w != 0 {
		t.Fatalf("the other throttle: wait %v, %v; want 0", w, err)
	}
	r.release(ctx)
	r, _, _ = addresses.reserve(ctx, now, "k")
	r.release(ctx)
	if _, w, _ := addresses.reserve(ctx, now, "k"); w != 0 {
		t.Errorf("released attempts still counted: wait %v", w)
	}
	var none *reservation
	none.release(ctx) // nil: nothing
}

// TestThrottleBurst: simultaneous attempts through two handlers' throttles
// on one store (two replicas) are evaluated at most up to the limit.
func TestThrottleBurst(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	replicas := []*throttle{newThrottle(st, "account", 5, 15*time.Minute, log), newThrottle(st, "account", 5, 15*time.Minute, log)}
	now := time.Now()
	var wg sync.WaitGroup
	var admitted atomic.Int64
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, w, err := replicas[i%2].reserve(context.Background(), now, "acct", "addr"); err == nil && w == 0 {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := admitted.Load(); n != 5 {
		t.Errorf("%d of 100 simultaneous attempts admitted, want 5", n)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		kind   ErrorKind
		public string
	}{
		{"not found", fmt.Errorf("store: payment x: %w", store.ErrNotFound), 404, KindNotFound, "Not found."},
		{"field", &store.FieldError{Field: "amount", Message: "must be positive"}, 422, KindInvalid, "Must be positive."},
		{"conflict", &store.ConflictError{Message: "reused id", Fields: []string{"amount"}}, 409, KindConflict, "Reused id. Differs: amount."},
		{"transport", &antom.TransportError{API: "capture", Err: errors.New("dial tcp: refused")}, 503, KindUnavailable, "Antom did not answer. The request is safe to retry."},
		{"timeout", context.DeadlineExceeded, 503, KindUnavailable, "A service did not answer. Try again in a moment."},
		{"echo 404", echo.ErrNotFound, 404, KindNotFound, "Page not found."},
		{"echo 413", echo.ErrStatusRequestEntityTooLarge, 413, KindInvalid, "The request body is too large."},
		{"internal", errors.New("sql: database is locked near SELECT secret"), 500, KindInternal, "Internal error."},
		{"typed", errConflict("You cannot disable your own account."), 409, KindConflict, "You cannot disable your own account."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := classify(tc.err)
			if e.StatusCode() != tc.status || e.Kind != tc.kind || e.publicMessage() != tc.public {
				t.Errorf("got %d %s %q, want %d %s %q", e.StatusCode(), e.Kind, e.publicMessage(), tc.status, tc.kind, tc.public)
			}
		})
	}
}

func TestInternalErrorsShowOnlyARequestID(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(Deps{Store: st, Log: discardLog(), Auth: AuthConfig{SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyz")}})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	for _, path := range []string{"/admin/users", "/api/v1/payments"} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		rec := newRecorder()
		c := e.NewContext(req, rec)
		c.Response().Header().Set(echo.HeaderXRequestID, "req-123")
		h.HTTPErrorHandler(errors.New("store: query: near \"SELECT password_hash\": syntax error"), c)
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "SELECT") || strings.Contains(body, "password_hash") || !strings.Contains(body, "req-123") {
			t.Errorf("%s: status %d body %q", path, rec.Code, body)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/payments",
		"/payments/p1?tab=raw":  "/payments/p1?tab=raw",
		"//evil.example/x":      "/payments",
		"/\\evil.example":       "/payments",
		"https://evil.example/": "/payments",
		"javascript:alert(1)":   "/payments",
		"/login":                "/payments",
		"/a\r\nSet-Cookie: x=y": "/payments",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		300 * time.Millisecond: "1 second", 45 * time.Second: "45 seconds", 60 * time.Second: "1 minute",
		61 * time.Second: "2 minutes", 15 * time.Minute: "15 minutes",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestCSVCellDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "-2": "'-2", "@SUM": "'@SUM", "\tx": "'\tx",
		"user:ana@example.com": "user:ana@example.com", "": "",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if err := store.ValidatePassword(p); err != nil || len(p) != 23 || seen[p] {
			t.Fatalf("password %q: %v (len %d, repeated %v)", p, err, len(p), seen[p])
		}
		seen[p] = true
	}
}
