package antom

// QA: the client against a hostile Antom. Whatever comes back that is not a
// verified answer is a *TransportError (the outcome is unknown), nothing of
// it is decoded into the response, and a repeat is always the identical
// request (same request IDs, same bytes).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestQAClientHostileAnswers(t *testing.T) {
	const answer = `{"captureId":"C_1","captureRequestId":"CR_1",` + okResult + `}`
	for _, tc := range []struct {
		name     string
		respond  func(f *fakeAntom, r recorded, w http.ResponseWriter, req *http.Request)
		attempts int // with WithRetries(2)
		status   int // of the TransportError
	}{
		{"signed answer under HTTP 500", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {
			sig, _ := SignMessage(f.antom, r.path, exClientID, testResponseTime, []byte(answer))
			w.Header()["client-id"] = []string{exClientID}
			w.Header()["response-time"] = []string{testResponseTime}
			w.Header()["signature"] = []string{sig}
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, answer)
		}, 3, http.StatusInternalServerError},
		{"signed answer under HTTP 502 with an HTML body", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}, 3, http.StatusBadGateway},
		{"huge body", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {
			f.writeSigned(w, r.path, answer+strings.Repeat(" ", maxResponseBytes))
		}, 1, http.StatusOK},
		{"not JSON", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "<html>maintenance</html>")
		}, 1, http.StatusOK},
		{"JSON array", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {
			f.writeSigned(w, r.path, `[1,2,3]`)
		}, 1, http.StatusOK},
		{"empty 200", func(f *fakeAntom, r recorded, w http.ResponseWriter, _ *http.Request) {}, 1, http.StatusOK},
		{"redirect elsewhere", func(f *fakeAntom, r recorded, w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, "/login", http.StatusFound)
		}, 1, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeAntom
			f = newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, req *http.Request) {
				if strings.HasPrefix(req.URL.Path, "/login") {
					http.NotFound(w, req)
					return
				}
				tc.respond(f, r, w, req)
			})
			resp, err := f.client(exClientID, WithRetries(2)).Capture(context.Background(),
				&CaptureRequest{CaptureRequestID: "CR_1", PaymentID: "P_1", CaptureAmount: NewAmount(4200, "SGD")})
			var te *TransportError
			if !errors.As(err, &te) {
				t.Fatalf("got %v, want a *TransportError (outcome unknown)", err)
			}
			if te.StatusCode != tc.status {
				t.Errorf("status %d, want %d", te.StatusCode, tc.status)
			}
			if resp.CaptureID != "" || resp.Result.ResultStatus != "" {
				t.Errorf("an unverified answer was decoded: %+v", resp)
			}
			var posts []recorded
			for _, r := range f.requests() {
				if !strings.HasPrefix(r.path, "/login") {
					posts = append(posts, r)
				}
			}
			if len(posts) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(posts), tc.attempts)
			}
			for i, r := range posts[1:] {
				if !bytes.Equal(r.body, posts[0].body) {
					t.Errorf("attempt %d sent a different body", i+2)
				}
			}
		})
	}
}

// A body that stalls after the headers: each attempt times out on its own
// and the call ends as a transport failure wrapping the deadline.
func TestQAClientStalledBody(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, req *http.Request) {
		w.Header()["signature"] = []string{"algorithm=RSA256,signature=AAAA"}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"result":`)
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
		case <-release:
		}
	})
	start := time.Now()
	_, err := f.client(exClientID, WithTimeout(50*time.Millisecond), WithRetries(2)).Refund(context.Background(),
		&RefundRequest{RefundRequestID: "RR_1", PaymentID: "P_1", RefundAmount: NewAmount(1, "SGD")})
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a *TransportError wrapping the deadline", err)
	}
	if n := len(f.requests()); n < 1 {
		t.Errorf("%d attempts", n)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the call was not bounded by its timeout")
	}
}
