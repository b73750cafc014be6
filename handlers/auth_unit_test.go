package handlers

import (
	"context"
	"errors"
	"fmt"
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

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(3, 10*time.Minute)
	for i := range 3 {
		if _, w := th.reserve(now, "k"); w != 0 {
			t.Fatalf("attempt %d: wait %v, want 0", i+1, w)
		}
		now = now.Add(time.Minute)
	}
	// Attempts at 0, 1, 2 min; now 3 min: locked until the first leaves the window.
	if _, w := th.reserve(now, "k"); w != 7*time.Minute {
		t.Errorf("locked: wait %v, want 7m", w)
	}
	if r, w := th.reserve(now, "other"); w != 0 {
		t.Errorf("another key: wait %v, want 0", w)
	} else {
		r.release()
	}
	// A refused reservation on one key reserves none of the others.
	if _, w := th.reserve(now, "fresh", "k"); w == 0 {
		t.Error("reserved although k is locked")
	}
	if n := len(th.fails["fresh"]); n != 0 {
		t.Errorf("a refused reservation counted %d attempts on another key", n)
	}
	now = now.Add(7 * time.Minute)
	r, w := th.reserve(now, "k")
	if w != 0 {
		t.Errorf("after the window: wait %v, want 0", w)
	}
	// A successful attempt is forgiven.
	r.release()
	if got := len(th.fails["k"]); got != 2 {
		t.Errorf("after a release: %d attempts counted, want 2", got)
	}
	// Memory stays bounded under a flood of keys.
	for i := range throttleMaxKeys + 10 {
		th.reserve(now, fmt.Sprint("flood", i))
	}
	now = now.Add(11 * time.Minute)
	th.reserve(now, "last")
	if n := len(th.fails); n > 2 {
		t.Errorf("stale keys kept: %d", n)
	}
}

// TestThrottleBurst: simultaneous attempts are evaluated at most up to the
// limit, however many arrive at once.
func TestThrottleBurst(t *testing.T) {
	th := newThrottle(5, 15*time.Minute)
	now := time.Now()
	var wg sync.WaitGroup
	var admitted atomic.Int64
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, w := th.reserve(now, "acct", "addr"); w == 0 {
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
