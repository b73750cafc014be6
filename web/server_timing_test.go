package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
)

func TestServerTiming(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := handlers.New(handlers.Deps{Store: st, Auth: handlers.AuthConfig{SessionKey: bytes.Repeat([]byte("k"), handlers.MinSessionKeyLength)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		on   bool
		path string
		want int
	}{
		{"on", true, "/healthz", http.StatusOK},
		{"on, error page", true, "/no-such-page", http.StatusNotFound},
		{"off", false, "/healthz", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{ServerTiming: tc.on}, h)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.want {
				t.Fatalf("GET %s: status %d, want %d", tc.path, rec.Code, tc.want)
			}
			got := rec.Header().Get("Server-Timing")
			if !tc.on {
				if got != "" {
					t.Fatalf("Server-Timing %q with ServerTiming off, want none", got)
				}
				return
			}
			v, ok := strings.CutPrefix(got, "app;dur=")
			ms, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || ms < 0 {
				t.Fatalf("Server-Timing %q, want app;dur=<ms>", got)
			}
		})
	}
}
