package antom

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAntom is an httptest server that records every request and answers
// with whatever the test's respond function writes.
type fakeAntom struct {
	t       *testing.T
	srv     *httptest.Server
	antom   *rsa.PrivateKey
	mu      sync.Mutex
	reqs    []recorded
	respond func(attempt int, r recorded, w http.ResponseWriter, req *http.Request)
}

type recorded struct {
	path   string
	header http.Header
	body   []byte
}

func newFakeAntom(t *testing.T, respond func(attempt int, r recorded, w http.ResponseWriter, req *http.Request)) *fakeAntom {
	t.Helper()
	f := &fakeAntom{t: t, antom: antomKey(t), respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
			return
		}
		rec := recorded{path: req.URL.RequestURI(), header: req.Header.Clone(), body: body}
		f.mu.Lock()
		attempt := len(f.reqs)
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		f.respond(attempt, rec, w, req)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAntom) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

const testResponseTime = "2019-05-28T12:12:14+08:00"

// writeSigned answers as Antom does: HTTP 200, lower-case headers, the body
// signed over the request path.
func (f *fakeAntom) writeSigned(w http.ResponseWriter, path, body string) {
	f.writeSignedWith(w, f.antom, path, body, body, nil)
}

// writeSignedWith signs signedBody but sends sentBody, to fake tampering,
// and lets edit change the headers before they are sent.
func (f *fakeAntom) writeSignedWith(w http.ResponseWriter, key *rsa.PrivateKey, path, signedBody, sentBody string, edit func(h http.Header)) {
	sig, err := SignMessage(key, path, exClientID, testResponseTime, []byte(signedBody))
	if err != nil {
		f.t.Error(err)
	}
	h := w.Header()
	h["client-id"] = []string{exClientID}
	h["response-time"] = []string{testResponseTime}
	h["signature"] = []string{sig}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	if edit != nil {
		edit(h)
	}
	io.WriteString(w, sentBody)
}

func writeUnsigned(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

func resetConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with RST
	}
	conn.Close()
}

func (f *fakeAntom) client(clientID string, opts ...Option) *Client {
	opts = append([]Option{WithRetryBackoff(time.Millisecond)}, opts...)
	return NewClient(f.srv.URL, clientID, merchantKey(f.t), antomPub(f.t), opts...)
}

const (
	okResult      = `"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}`
	unknownResult = `"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"unknown"}`
)

func TestClientSendsSection14Request(t *testing.T) {
	const answer = `{` + okResult + `,"paymentSessionData":"abc&&SG&&111","paymentSessionExpiryTime":"2023-04-06T03:28:49Z","paymentSessionId":"sid","extra":1}`
	f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
		writeSignedAnswer(t, w, r.path, answer)
	})
	exMillis, _ := strconv.ParseInt(exRequestTime, 10, 64)
	c := f.client(exClientID, WithClock(func() time.Time { return time.UnixMilli(exMillis) }))
	resp, err := c.CreatePaymentSession(context.Background(), section14Request())
	if err != nil {
		t.Fatalf("got %v", err)
	}
	if resp.PaymentSessionData != "abc&&SG&&111" || resp.PaymentSessionID != "sid" || resp.Result.ResultStatus != StatusSuccess {
		t.Errorf("got response %+v", resp)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.path != exPath {
		t.Errorf("got path %q, want %q", r.path, exPath)
	}
	if string(r.body) != exBody {
		t.Errorf("got body\n%s\nwant\n%s", r.body, exBody)
	}
	want := SignatureHeader(strings.TrimSpace(string(readTestdata(t, "section14_merchant.sig.b64"))), 1)
	for name, v := range map[string]string{
		"client-id":    exClientID,
		"request-time": exRequestTime,
		"signature":    want,
		"content-type": "application/json; charset=UTF-8",
	} {
		if got := r.header.Get(name); got != v {
			t.Errorf("header %s: got %q, want %q", name, got, v)
		}
	}
}

// writeSignedAnswer signs with the fixed Antom key without a fakeAntom.
func writeSignedAnswer(t *testing.T, w http.ResponseWriter, path, body string) {
	sig, err := SignMessage(antomKey(t), path, exClientID, testResponseTime, []byte(body))
	if err != nil {
		t.Error(err)
	}
	w.Header()["client-id"] = []string{exClientID}
	w.Header()["response-time"] = []string{testResponseTime}
	w.Header()["signature"] = []string{sig}
	io.WriteString(w, body)
}

func TestSandboxPath(t *testing.T) {
	tests := map[string]string{
		PathCreatePaymentSession: "/ams/sandbox/api/v1/payments/createPaymentSession",
		PathInquiryRefund:        "/ams/sandbox/api/v1/payments/inquiryRefund",
		"/ams/api/ams/api/x":     "/ams/sandbox/api/ams/api/x", // first occurrence only
		"/other/path":            "/other/path",
	}
	for in, want := range tests {
		if got := SandboxPath(in); got != want {
			t.Errorf("SandboxPath(%q): got %q, want %q", in, got, want)
		}
	}
	for id, want := range map[string]bool{"SANDBOX_5X00000000000000": true, "5X00000000000000": false, "sandbox_5X": false, "": false} {
		if got := IsSandboxClientID(id); got != want {
			t.Errorf("IsSandboxClientID(%q): got %v, want %v", id, got, want)
		}
	}
}

// apiCalls drives each API with a minimal request.
var apiCalls = []struct {
	name, path string
	retryU     bool
	call       func(c *Client, ctx context.Context) (any, error)
}{
	{"createPaymentSession", PathCreatePaymentSession, true, func(c *Client, ctx context.Context) (any, error) {
		return c.CreatePaymentSession(ctx, section14Request())
	}},
	{"inquiryPayment", PathInquiryPayment, true, func(c *Client, ctx context.Context) (any, error) {
		return c.InquiryPayment(ctx, &InquiryPaymentRequest{PaymentRequestID: "PR_1"})
	}},
	{"capture", PathCapture, false, func(c *Client, ctx context.Context) (any, error) {
		return c.Capture(ctx, &CaptureRequest{CaptureRequestID: "CR_1", PaymentID: "P_1", CaptureAmount: NewAmount(4200, "SGD")})
	}},
	{"cancel", PathCancel, true, func(c *Client, ctx context.Context) (any, error) {
		return c.Cancel(ctx, &CancelRequest{PaymentID: "P_1"})
	}},
	{"refund", PathRefund, false, func(c *Client, ctx context.Context) (any, error) {
		return c.Refund(ctx, &RefundRequest{RefundRequestID: "RR_1", PaymentID: "P_1", RefundAmount: NewAmount(100, "SGD")})
	}},
	{"inquiryRefund", PathInquiryRefund, true, func(c *Client, ctx context.Context) (any, error) {
		return c.InquiryRefund(ctx, &InquiryRefundRequest{RefundRequestID: "RR_1"})
	}},
}

var epochMillis = regexp.MustCompile(`^[0-9]{13}$`)

func TestClientPathsAndRequestSignature(t *testing.T) {
	for _, clientID := range []string{"SANDBOX_5X00000000000000", "5X00000000000000"} {
		for _, api := range apiCalls {
			t.Run(clientID+"/"+api.name, func(t *testing.T) {
				f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
					writeSignedAnswer(t, w, r.path, `{`+okResult+`}`)
				})
				before := time.Now().UnixMilli()
				if _, err := api.call(f.client(clientID), context.Background()); err != nil {
					t.Fatalf("got %v", err)
				}
				after := time.Now().UnixMilli()
				r := f.requests()[0]
				wantPath := api.path
				if IsSandboxClientID(clientID) {
					wantPath = strings.Replace(api.path, "/ams/api/", "/ams/sandbox/api/", 1)
				}
				if r.path != wantPath {
					t.Errorf("got path %q, want %q", r.path, wantPath)
				}
				rt := r.header.Get("request-time")
				ms, err := strconv.ParseInt(rt, 10, 64)
				if !epochMillis.MatchString(rt) || err != nil || ms < before || ms > after {
					t.Errorf("request-time %q is not epoch milliseconds between %d and %d", rt, before, after)
				}
				if got := r.header.Get("client-id"); got != clientID {
					t.Errorf("got client-id %q, want %q", got, clientID)
				}
				// The signature covers the exact bytes sent, on the path as sent.
				if err := VerifyMessage(merchantPub(t), r.path, clientID, rt, r.header.Get("signature"), r.body); err != nil {
					t.Errorf("request signature: %v", err)
				}
				if !json.Valid(r.body) {
					t.Errorf("body is not JSON: %s", r.body)
				}
			})
		}
	}
}

func TestClientResponseVerification(t *testing.T) {
	const good = `{` + okResult + `,"captureId":"C_1","captureRequestId":"CR_1","paymentId":"P_1","captureAmount":{"currency":"SGD","value":"4200"}}`
	tampered := strings.Replace(good, `"4200"`, `"42000"`, 1)
	tests := []struct {
		name    string
		respond func(f *fakeAntom, r recorded, w http.ResponseWriter)
		check   func(t *testing.T, resp *CaptureResponse, err error)
	}{
		{"signed S", func(f *fakeAntom, r recorded, w http.ResponseWriter) { f.writeSigned(w, r.path, good) },
			func(t *testing.T, resp *CaptureResponse, err error) {
				if err != nil {
					t.Fatalf("got %v", err)
				}
				if resp.CaptureID != "C_1" || resp.CaptureAmount == nil || resp.CaptureAmount.Value != "4200" {
					t.Errorf("got %+v", resp)
				}
			}},
		{"lower-case hex and spaces in the signature header", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			sig, _ := SignMessage(f.antom, r.path, exClientID, testResponseTime, []byte(good))
			w.Header()["signature"] = []string{strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d", ",", ", ").Replace(sig)}
			w.Header()["response-time"] = []string{testResponseTime}
			w.Header()["client-id"] = []string{exClientID}
			io.WriteString(w, good)
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			if err != nil {
				t.Fatalf("got %v", err)
			}
		}},
		{"no client-id header: ours is used", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSignedWith(w, f.antom, r.path, good, good, func(h http.Header) { delete(h, "client-id") })
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			if err != nil {
				t.Fatalf("got %v", err)
			}
		}},
		{"tampered body", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSignedWith(w, f.antom, r.path, good, tampered, nil)
		}, wantBadSignature},
		{"signed with the wrong key", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSignedWith(w, merchantKey(t), r.path, good, good, nil)
		}, wantBadSignature},
		{"signed over another path", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSigned(w, PathCapture, good) // production path, but we called the sandbox one
		}, wantBadSignature},
		{"response-time missing", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSignedWith(w, f.antom, r.path, good, good, func(h http.Header) { delete(h, "response-time") })
		}, wantBadSignature},
		{"client-id of another merchant", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSignedWith(w, f.antom, r.path, good, good, func(h http.Header) { h["client-id"] = []string{"SANDBOX_OTHER"} })
		}, wantBadSignature},
		{"garbage signature header", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			w.Header()["signature"] = []string{"nonsense"}
			io.WriteString(w, good)
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			if !errors.Is(err, ErrMalformedSignature) {
				t.Fatalf("got %v, want ErrMalformedSignature", err)
			}
		}},
		{"unsigned S", func(f *fakeAntom, r recorded, w http.ResponseWriter) { writeUnsigned(w, good) },
			func(t *testing.T, resp *CaptureResponse, err error) {
				if !errors.Is(err, ErrUnsignedResponse) {
					t.Fatalf("got %v, want ErrUnsignedResponse", err)
				}
				if resp.CaptureID != "" || resp.Result.ResultStatus != "" {
					t.Errorf("an unverified answer leaked into the response: %+v", resp)
				}
			}},
		{"unsigned F", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			writeUnsigned(w, `{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"bad signature"}}`)
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			var re *ResultError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want *ResultError", err)
			}
			if re.API != "capture" || re.Result.ResultCode != CodeInvalidSignature || re.Unknown() {
				t.Errorf("got %+v", re)
			}
			if resp.Result.ResultCode != CodeInvalidSignature {
				t.Errorf("response result: got %+v", resp.Result)
			}
			wantErrContains(t, err, "capture: F INVALID_SIGNATURE: bad signature")
		}},
		{"unsigned U", func(f *fakeAntom, r recorded, w http.ResponseWriter) { writeUnsigned(w, `{`+unknownResult+`}`) },
			func(t *testing.T, resp *CaptureResponse, err error) {
				var re *ResultError
				if !errors.As(err, &re) || !re.Unknown() {
					t.Fatalf("got %v, want an unknown *ResultError", err)
				}
			}},
		{"signed F", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSigned(w, r.path, `{"result":{"resultCode":"CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT","resultStatus":"F","resultMessage":"too much"}}`)
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			var re *ResultError
			if !errors.As(err, &re) || re.Result.ResultCode != CodeCaptureAmountExceedAuth {
				t.Fatalf("got %v, want *ResultError CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT", err)
			}
		}},
		{"not JSON", func(f *fakeAntom, r recorded, w http.ResponseWriter) { io.WriteString(w, "<html>gateway</html>") },
			wantTransport(http.StatusOK)},
		{"JSON without result", func(f *fakeAntom, r recorded, w http.ResponseWriter) { f.writeSigned(w, r.path, `{"paymentId":"P_1"}`) },
			wantTransport(http.StatusOK)},
		{"signed S with a field of the wrong type", func(f *fakeAntom, r recorded, w http.ResponseWriter) {
			f.writeSigned(w, r.path, `{`+okResult+`,"captureAmount":"4200"}`)
		}, func(t *testing.T, resp *CaptureResponse, err error) {
			wantErrContains(t, err, "decode response")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f *fakeAntom
			f = newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) { tc.respond(f, r, w) })
			resp, err := f.client(exClientID, WithRetries(0)).Capture(context.Background(),
				&CaptureRequest{CaptureRequestID: "CR_1", PaymentID: "P_1", CaptureAmount: NewAmount(4200, "SGD")})
			if resp == nil {
				t.Fatal("got a nil response")
			}
			tc.check(t, resp, err)
		})
	}
}

func wantBadSignature(t *testing.T, resp *CaptureResponse, err error) {
	t.Helper()
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("got %v, want ErrBadSignature", err)
	}
	if resp.CaptureID != "" || resp.CaptureAmount != nil {
		t.Errorf("an unverified answer leaked into the response: %+v", resp)
	}
}

func wantTransport(status int) func(t *testing.T, resp *CaptureResponse, err error) {
	return func(t *testing.T, resp *CaptureResponse, err error) {
		t.Helper()
		var te *TransportError
		if !errors.As(err, &te) {
			t.Fatalf("got %v, want *TransportError", err)
		}
		if te.StatusCode != status {
			t.Errorf("got status %d, want %d", te.StatusCode, status)
		}
	}
}

func TestClientRetriesUnknownOnlyWhereSafe(t *testing.T) {
	for _, api := range apiCalls {
		t.Run(api.name, func(t *testing.T) {
			f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
				writeSignedAnswer(t, w, r.path, `{`+unknownResult+`}`)
			})
			_, err := api.call(f.client(exClientID, WithRetries(2)), context.Background())
			var re *ResultError
			if !errors.As(err, &re) || !re.Unknown() || re.API != api.name {
				t.Fatalf("got %v, want an unknown *ResultError from %s", err, api.name)
			}
			want := 1
			if api.retryU {
				want = 3
			}
			reqs := f.requests()
			if len(reqs) != want {
				t.Fatalf("got %d attempts, want %d", len(reqs), want)
			}
			for i, r := range reqs[1:] {
				if !bytes.Equal(r.body, reqs[0].body) {
					t.Errorf("attempt %d sent a different body:\n%s\nwant\n%s", i+2, r.body, reqs[0].body)
				}
			}
		})
	}
}

func TestClientInquiryRetryThenSuccess(t *testing.T) {
	f := newFakeAntom(t, func(attempt int, r recorded, w http.ResponseWriter, _ *http.Request) {
		if attempt == 0 {
			// Fields of an answer that is retried must not leak into the result.
			writeSignedAnswer(t, w, r.path, `{`+unknownResult+`,"paymentResultCode":"STALE","paymentStatus":"PROCESSING"}`)
			return
		}
		writeSignedAnswer(t, w, r.path, `{`+okResult+`,"paymentStatus":"SUCCESS","paymentId":"P_1"}`)
	})
	resp, err := f.client(exClientID).InquiryPayment(context.Background(), &InquiryPaymentRequest{PaymentRequestID: "PR_1"})
	if err != nil {
		t.Fatalf("got %v", err)
	}
	if resp.PaymentStatus != PaymentSuccess || resp.PaymentID != "P_1" || resp.PaymentResultCode != "" {
		t.Errorf("got %+v", resp)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("got %d attempts, want 2", n)
	}
}

func TestClientRetriesTransportFailuresWithSameBody(t *testing.T) {
	failures := []struct {
		name string
		fail func(t *testing.T, w http.ResponseWriter)
	}{
		{"HTTP 500", func(t *testing.T, w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) }},
		{"HTTP 503", func(t *testing.T, w http.ResponseWriter) { http.Error(w, "busy", http.StatusServiceUnavailable) }},
		{"HTTP 429", func(t *testing.T, w http.ResponseWriter) { http.Error(w, "slow down", http.StatusTooManyRequests) }},
		{"connection reset", resetConnection},
	}
	for _, api := range apiCalls {
		for _, fl := range failures {
			t.Run(api.name+"/"+fl.name, func(t *testing.T) {
				f := newFakeAntom(t, func(attempt int, r recorded, w http.ResponseWriter, _ *http.Request) {
					if attempt < 2 {
						fl.fail(t, w)
						return
					}
					writeSignedAnswer(t, w, r.path, `{`+okResult+`}`)
				})
				if _, err := api.call(f.client(exClientID, WithRetries(2)), context.Background()); err != nil {
					t.Fatalf("got %v, want success on the third attempt", err)
				}
				reqs := f.requests()
				if len(reqs) != 3 {
					t.Fatalf("got %d attempts, want 3", len(reqs))
				}
				for i, r := range reqs[1:] {
					if !bytes.Equal(r.body, reqs[0].body) {
						t.Errorf("attempt %d sent a different body:\n%s\nwant\n%s", i+2, r.body, reqs[0].body)
					}
					// Each attempt is signed afresh over its own request-time.
					if err := VerifyMessage(merchantPub(t), r.path, exClientID, r.header.Get("request-time"), r.header.Get("signature"), r.body); err != nil {
						t.Errorf("attempt %d signature: %v", i+2, err)
					}
				}
			})
		}
	}
}

func TestClientTransportErrors(t *testing.T) {
	capture := func(c *Client, ctx context.Context) error {
		_, err := c.Capture(ctx, &CaptureRequest{CaptureRequestID: "CR_1", PaymentID: "P_1", CaptureAmount: NewAmount(1, "SGD")})
		return err
	}
	t.Run("retries exhausted", func(t *testing.T) {
		f := newFakeAntom(t, func(_ int, _ recorded, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusBadGateway)
		})
		err := capture(f.client(exClientID, WithRetries(3)), context.Background())
		wantTransportStatus(t, err, http.StatusBadGateway)
		if n := len(f.requests()); n != 4 {
			t.Errorf("got %d attempts, want 4", n)
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		f := newFakeAntom(t, func(_ int, _ recorded, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no", http.StatusNotFound)
		})
		err := capture(f.client(exClientID, WithRetries(3)), context.Background())
		wantTransportStatus(t, err, http.StatusNotFound)
		if n := len(f.requests()); n != 1 {
			t.Errorf("got %d attempts, want 1", n)
		}
	})
	t.Run("bad signature is not retried", func(t *testing.T) {
		f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
			writeSignedAnswer(t, w, "/elsewhere", `{`+okResult+`}`)
		})
		err := capture(f.client(exClientID, WithRetries(3)), context.Background())
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("got %v, want ErrBadSignature", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("got %d attempts, want 1", n)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		f := newFakeAntom(t, func(_ int, _ recorded, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		})
		wantTransportStatus(t, capture(f.client(exClientID, WithRetries(0)), context.Background()), http.StatusInternalServerError)
		if n := len(f.requests()); n != 1 {
			t.Errorf("got %d attempts, want 1", n)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		c := NewClient("http://"+addr, exClientID, merchantKey(t), antomPub(t), WithRetries(1), WithRetryBackoff(time.Millisecond))
		wantTransportStatus(t, capture(c, context.Background()), 0)
	})
}

func wantTransportStatus(t *testing.T, err error, status int) {
	t.Helper()
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TransportError", err)
	}
	if te.StatusCode != status {
		t.Errorf("got status %d, want %d", te.StatusCode, status)
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFakeAntom(t, func(_ int, _ recorded, _ http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := f.client(exClientID, WithTimeout(20*time.Millisecond), WithRetries(1))
	_, err := c.Refund(context.Background(), &RefundRequest{RefundRequestID: "RR_1", PaymentID: "P_1", RefundAmount: NewAmount(1, "SGD")})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TransportError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want it to wrap context.DeadlineExceeded", err)
	}
	// Each attempt has its own timeout, and a timeout is retried.
	if n := len(f.requests()); n != 2 {
		t.Errorf("got %d attempts, want 2", n)
	}
}

func TestClientContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeAntom(t, func(_ int, _ recorded, w http.ResponseWriter, _ *http.Request) {
		cancel()
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	// A long backoff: only the cancellation can end the call early.
	c := f.client(exClientID, WithRetries(5), WithRetryBackoff(time.Hour))
	_, err := c.InquiryPayment(ctx, &InquiryPaymentRequest{PaymentID: "P_1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TransportError", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("got %d attempts, want 1", n)
	}

	t.Run("cancelled before the call", func(t *testing.T) {
		f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
			writeSignedAnswer(t, w, r.path, `{`+okResult+`}`)
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.client(exClientID).InquiryPayment(ctx, &InquiryPaymentRequest{PaymentID: "P_1"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("got %d attempts, want 0", n)
		}
	})

	t.Run("cancelled while waiting after U", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f := newFakeAntom(t, func(_ int, r recorded, w http.ResponseWriter, _ *http.Request) {
			writeSignedAnswer(t, w, r.path, `{`+unknownResult+`}`)
		})
		// Cancel once the client has read the U answer, so the only thing
		// the cancellation can interrupt is the wait before the retry.
		hc := &http.Client{Transport: closeHook{http.DefaultTransport, cancel}}
		_, err := f.client(exClientID, WithHTTPClient(hc), WithRetryBackoff(time.Hour)).InquiryPayment(ctx, &InquiryPaymentRequest{PaymentID: "P_1"})
		var re *ResultError
		if !errors.As(err, &re) || !re.Unknown() {
			t.Fatalf("got %v, want the unknown *ResultError", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("got %d attempts, want 1", n)
		}
	})
}

// closeHook is a real transport that calls onClose when a response body is
// closed.
type closeHook struct {
	rt      http.RoundTripper
	onClose func()
}

func (h closeHook) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := h.rt.RoundTrip(r)
	if err == nil {
		res.Body = hookedBody{res.Body, h.onClose}
	}
	return res, err
}

type hookedBody struct {
	io.ReadCloser
	onClose func()
}

func (b hookedBody) Close() error {
	err := b.ReadCloser.Close()
	b.onClose()
	return err
}

func TestClientOptions(t *testing.T) {
	c := NewClient(BaseURLSG+"/", "SANDBOX_X", nil, nil, WithHTTPClient(nil), WithRetries(-3))
	if c.httpClient == nil {
		t.Error("WithHTTPClient(nil) removed the HTTP client")
	}
	if c.retries != 0 {
		t.Errorf("WithRetries(-3): got %d retries, want 0", c.retries)
	}
	if c.baseURL != BaseURLSG {
		t.Errorf("got base URL %q, want the trailing slash trimmed", c.baseURL)
	}
	if !c.Sandbox() || c.ClientID() != "SANDBOX_X" || c.Path(PathCapture) != "/ams/sandbox/api/v1/payments/capture" {
		t.Errorf("sandbox client: Sandbox %v, ClientID %q, Path %q", c.Sandbox(), c.ClientID(), c.Path(PathCapture))
	}
	// A client without a key fails the call with an error, not a panic.
	if _, err := c.Cancel(context.Background(), &CancelRequest{PaymentID: "P"}); err == nil || !strings.Contains(err.Error(), "no private key") {
		t.Errorf("got %v, want a missing-key error", err)
	}
}
