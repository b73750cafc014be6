package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"paydesk/store"
)

// errDiskFull stands for the store's classified SQLite error: errors.Is
// finds store.ErrUnavailable, and its text is SQLite's.
var errDiskFull = fmt.Errorf("store: commit: database or disk is full (13): %w", store.ErrUnavailable)

func TestClassifyStorageFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"from the store", errDiskFull},
		{"wrapped again by a handler", fmt.Errorf("login: %w", errDiskFull)},
		{"as a cause of errUnavailable", errUnavailable(errDiskFull, "The notification could not be stored; retry later.")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := classify(tc.err)
			if e.StatusCode() != http.StatusServiceUnavailable || e.Kind != KindUnavailable {
				t.Errorf("got %d %s, want 503 %s", e.StatusCode(), e.Kind, KindUnavailable)
			}
			if e.RetryAfter != storageRetryAfter {
				t.Errorf("RetryAfter: got %v, want %v", e.RetryAfter, storageRetryAfter)
			}
		})
	}
	if got := classify(errDiskFull).publicMessage(); got != storageMessage {
		t.Errorf("message: got %q, want %q", got, storageMessage)
	}
	// An error that only reads like a lock is not a storage failure: only
	// the store's classification counts.
	if e := classify(errors.New("database is locked")); e.Kind != KindInternal {
		t.Errorf("unclassified text: got %s, want %s", e.Kind, KindInternal)
	}
}

func TestStorageFailureAnswers503WithRetryAfter(t *testing.T) {
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
	for _, tc := range []struct {
		method, path string
		json         bool
	}{
		{http.MethodPost, "/api/v1/sessions", true},
		{http.MethodPost, "/webhooks/antom", true},
		{http.MethodPost, "/login", false},
		{http.MethodPost, "/payments/pay_1/capture", false},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.path, nil)
			rec := newRecorder()
			h.HTTPErrorHandler(errDiskFull, e.NewContext(req, rec))
			body := rec.Body.String()
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("status: got %d, want 503\n%s", rec.Code, body)
			}
			if got := rec.Header().Get("Retry-After"); got != "30" {
				t.Errorf("Retry-After: got %q, want 30", got)
			}
			if strings.Contains(body, "disk is full (13)") {
				t.Errorf("SQLite's text reached the client: %s", body)
			}
			if !tc.json {
				if !strings.Contains(body, "Nothing was changed") {
					t.Errorf("page does not say nothing was changed: %s", body)
				}
				return
			}
			var eb errorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("body is not the JSON error envelope: %v\n%s", err, body)
			}
			if eb.Error.Code != "unavailable" || eb.Error.Message != storageMessage {
				t.Errorf("got code %q message %q, want unavailable %q", eb.Error.Code, eb.Error.Message, storageMessage)
			}
		})
	}
}
