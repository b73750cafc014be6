package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

// TestStateSurvivesRestart runs a payment on one simulator, closes it, and
// checks that a second simulator on the same state file knows everything
// the first one answered and still delivers what it had not delivered.
func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "antomsim", "state.json")
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.setAnswer(func(received) (int, string) { return http.StatusServiceUnavailable, "down" })

	// --- the first life ---
	clockA := sim.NewManualClock(start)
	a := newEnv(t, withClock(clockA), withStateFile(file))
	req := sessionRequest("PR_KEEP", "4200", rcv.url())
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	sessionPath := antom.SandboxPath(antom.PathCreatePaymentSession)
	sessionBody, _ := json.Marshal(req)
	_, sessionA := a.rawCall(sessionPath, testClientID, a.keys.merchant, sessionBody)
	var sess antom.CreatePaymentSessionResponse
	if err := json.Unmarshal(sessionA, &sess); err != nil || sess.PaymentSessionData == "" {
		t.Fatalf("createPaymentSession: %v %s", err, sessionA)
	}
	paid := a.pay(sess.PaymentSessionData, sim.CardVisaSuccess)
	if paid.Status != antom.PaymentSuccess {
		t.Fatalf("pay: status %s, want SUCCESS", paid.Status)
	}
	capturePath := antom.SandboxPath(antom.PathCapture)
	capture1, _ := json.Marshal(antom.CaptureRequest{CaptureRequestID: "CAP_1", PaymentID: paid.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1000"}})
	_, captureA := a.rawCall(capturePath, testClientID, a.keys.merchant, capture1)
	if r := resultOf(t, captureA); r.ResultStatus != antom.StatusSuccess {
		t.Fatalf("capture: %+v", r)
	}
	open := a.createSession(sessionRequest("PR_OPEN", "1500", ""))
	inquiryA, err := a.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_KEEP"})
	if err != nil {
		t.Fatal(err)
	}
	// The receiver is down: PAYMENT_RESULT and CAPTURE_RESULT each fail
	// their first attempt and wait for the second, 2 minutes later.
	waitFor(t, "two failed first attempts", func() bool { return len(a.sim.Deliveries()) == 2 })
	// Nobody waits for a notification attempt: the background writer saves it.
	waitFor(t, "the failed attempts saved in the background", func() bool {
		var st struct{ Attempts []json.RawMessage }
		data, _ := os.ReadFile(file)
		return json.Unmarshal(data, &st) == nil && len(st.Attempts) == 2
	})
	clockA.Advance(30 * time.Second)
	if err := a.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	logA := a.sim.Deliveries()
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("the state directory holds %d entries, want only the state file (no temporary files)", len(entries))
	}

	// --- the second life: its clock starts where the first one's started,
	// and the simulator continues from the saved simulated time ---
	rcv.setAnswer(func(received) (int, string) { return http.StatusOK, antom.AckBody })
	clockB := sim.NewManualClock(start)
	b := newEnv(t, withClock(clockB), withStateFile(file))
	if got, want := b.sim.Now(), start.Add(30*time.Second); !got.Equal(want) {
		t.Errorf("simulated time after restart = %v, want %v (it must not run backwards)", got, want)
	}
	inquiryB, err := b.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_KEEP"})
	if err != nil {
		t.Fatalf("inquiryPayment after restart: %v", err)
	}
	if !reflect.DeepEqual(inquiryA, inquiryB) {
		t.Errorf("inquiryPayment after restart:\n got %+v\nwant %+v", inquiryB, inquiryA)
	}
	if len(inquiryB.Transactions) != 1 || inquiryB.Transactions[0].TransactionRequestID != "CAP_1" {
		t.Errorf("transactions after restart: %+v, want the capture CAP_1", inquiryB.Transactions)
	}
	if _, replay := b.rawCall(sessionPath, testClientID, b.keys.merchant, sessionBody); !bytes.Equal(replay, sessionA) {
		t.Errorf("createPaymentSession replay after restart:\n got %s\nwant %s", replay, sessionA)
	}
	if _, replay := b.rawCall(capturePath, testClientID, b.keys.merchant, capture1); !bytes.Equal(replay, captureA) {
		t.Errorf("capture replay after restart:\n got %s\nwant %s", replay, captureA)
	}
	capture2, err := b.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_2", PaymentID: paid.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "3200"}})
	if err != nil || capture2.CaptureID == "" {
		t.Fatalf("second capture up to the authorized amount: %v", err)
	}
	_, err = b.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_3", PaymentID: paid.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	var re *antom.ResultError
	if !errors.As(err, &re) || re.Result.ResultCode != "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT" {
		t.Errorf("capture beyond the authorized amount after restart: %v, want CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT", err)
	}

	// The unpaid session can still be paid in the checkout.
	checkout := b.sim.CheckoutURL(open.PaymentSessionData)
	if p := getPage(t, checkout); p.status != http.StatusOK || !strings.Contains(p.html, `data-testid="pay"`) {
		t.Fatalf("checkout of an unpaid session after restart: %d\n%s", p.status, p.html)
	}
	result := postForm(t, b.srv.URL+"/checkout", cardForm(open.PaymentSessionData, sim.CardVisaSuccess, "12/30", "123"))
	if got := byTestID(result.html, "payment-status"); got != antom.PaymentSuccess {
		t.Errorf("checkout after restart: status %q, want SUCCESS\n%s", got, result.html)
	}

	// The notifications the first life could not deliver go out at their
	// second attempt, with the body of their first. (The checkout payment
	// just made has a delivery of its own, pending for a moment while its
	// goroutine runs: wait for that one to end, not for the first life's.)
	waitFor(t, "the two deliveries of the first life pending, and nothing else", func() bool { return b.sim.PendingDeliveries() == 2 })
	if got := b.sim.Deliveries(); !reflect.DeepEqual(got[:len(logA)], logA) {
		t.Errorf("delivery log after restart does not start with the first life's:\n got %+v\nwant %+v", got, logA)
	}
	clockB.Advance(90 * time.Second) // simulated time start+2m
	waitFor(t, "every delivery acknowledged", func() bool { return b.sim.PendingDeliveries() == 0 })
	for _, typ := range []string{antom.NotifyPaymentResult, antom.NotifyCaptureResult} {
		var got []sim.DeliveryAttempt
		for _, at := range attemptsOf(b.sim, "PR_KEEP", typ) {
			if typ != antom.NotifyCaptureResult || strings.Contains(at.Body, `"CAP_1"`) {
				got = append(got, at)
			}
		}
		if len(got) != 2 {
			t.Fatalf("%s: %d attempts, want 2", typ, len(got))
		}
		second := got[1]
		if second.Attempt != 2 || !second.Acked || !second.Due.Equal(start.Add(2*time.Minute)) || second.Body != got[0].Body {
			t.Errorf("%s second attempt: number %d acked %v due %v, same body %v; want 2, true, %v, true",
				typ, second.Attempt, second.Acked, second.Due, second.Body == got[0].Body, start.Add(2*time.Minute))
		}
	}
	var delivered *received
	rcv.mu.Lock()
	for i := range rcv.all {
		if r := rcv.all[i]; strings.Contains(string(r.Body), antom.NotifyPaymentResult) && strings.Contains(string(r.Body), "PR_KEEP") {
			delivered = &r
		}
	}
	rcv.mu.Unlock()
	if delivered == nil {
		t.Fatal("the merchant never saw PR_KEEP's PAYMENT_RESULT")
	}
	h := delivered.Header
	if err := antom.VerifyMessage(&b.keys.antom.PublicKey, delivered.Path, h.Get("client-id"), h.Get("request-time"), h.Get("signature"), delivered.Body); err != nil {
		t.Errorf("the resumed notification does not verify: %v", err)
	}
}

// TestStateFileRefused checks that a state file the simulator cannot use
// stops it with an error naming the file and the way out, and is left as
// it was; a missing file is a fresh start.
func TestStateFileRefused(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	config := func(file string) sim.Config {
		return sim.Config{ClientID: testClientID, MerchantPublicKey: &k.merchant.PublicKey, Key: k.antom, StateFile: file}
	}
	dir := t.TempDir()

	fresh := filepath.Join(dir, "new", "state.json")
	s, err := sim.New(config(fresh))
	if err != nil {
		t.Fatalf("New with a missing state file: %v", err)
	}
	if n := len(s.Payments()); n != 0 {
		t.Errorf("fresh start with %d payments", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("the fresh state file was not written: %v", err)
	}

	good := filepath.Join(dir, "good.json")
	e := newEnv(t, withStateFile(good))
	e.createSession(sessionRequest("PR_FILE", "4200", ""))
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(valid, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name    string
		content []byte
		dir     bool
	}{
		{name: "garbage", content: []byte("not a state file")},
		{name: "empty", content: []byte{}},
		{name: "truncated", content: valid[:len(valid)/2]},
		{name: "other version", content: edit(func(m map[string]any) { m["version"] = 99 })},
		{name: "other client", content: edit(func(m map[string]any) { m["clientId"] = "SANDBOX_OTHER" })},
		{name: "idempotency record without its payment", content: edit(func(m map[string]any) { m["payments"] = []any{} })},
		{name: "unknown status", content: edit(func(m map[string]any) {
			m["payments"].([]any)[0].(map[string]any)["status"] = "PAID"
		})},
		{name: "a directory", dir: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "state.json")
			if tc.dir {
				if err := os.Mkdir(file, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(file, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := sim.New(config(file))
			if err == nil {
				t.Fatal("New accepted the state file")
			}
			if msg := err.Error(); !strings.Contains(msg, file) || !strings.Contains(msg, "delete the file") {
				t.Errorf("error %q does not name the file and say how to reset", msg)
			}
			if !tc.dir {
				if after, _ := os.ReadFile(file); !bytes.Equal(after, tc.content) {
					t.Error("the refused state file was changed")
				}
			}
		})
	}
}

// TestStateSaveFailure checks that an answer is sent only once its state
// is on disk: when the file cannot be written the merchant gets U and the
// buyer an error, and the same calls succeed once it can.
func TestStateSaveFailure(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	file := filepath.Join(dir, "state.json")
	e := newEnv(t, withStateFile(file))
	ctx := context.Background()
	sess := e.createSession(sessionRequest("PR_SAVED", "4200", ""))
	if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), "PR_SAVED") {
		t.Fatalf("the session is not on disk when its answer arrives: %v", err)
	}

	// A regular file where the state directory was: nothing can be saved.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	lost := sessionRequest("PR_UNSAVED", "4200", "")
	_, err := e.client.CreatePaymentSession(ctx, lost)
	var re *antom.ResultError
	if !errors.As(err, &re) || re.Result.ResultStatus != antom.StatusUnknown {
		t.Errorf("createPaymentSession that cannot be saved: %v, want a U result", err)
	}
	if _, err := e.sim.Pay(ctx, sess.PaymentSessionData, sim.Card{Number: sim.CardVisaSuccess}); !errors.Is(err, sim.ErrStateNotSaved) {
		t.Errorf("Pay that cannot be saved: %v, want ErrStateNotSaved", err)
	}

	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreatePaymentSession(ctx, lost); err != nil {
		t.Errorf("createPaymentSession retried once saving works: %v", err)
	}
	o, err := e.sim.Pay(ctx, sess.PaymentSessionData, sim.Card{Number: sim.CardVisaSuccess})
	if !errors.Is(err, sim.ErrPaymentFinal) || o.Status != antom.PaymentSuccess {
		t.Errorf("Pay retried once saving works: %v %s, want the saved SUCCESS", err, o.Status)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), "PR_UNSAVED") || !strings.Contains(string(data), `"status":"SUCCESS"`) {
		t.Errorf("the state on disk lacks the retried session or the payment: %v", err)
	}
}

// BenchmarkStateSave measures an API call that changes the state (a
// capture, refused for want of an authorization) with and without a state
// file, over a state of 1,000 payments: the cost of rewriting the file per
// answered change.
func BenchmarkStateSave(b *testing.B) {
	for _, persist := range []bool{false, true} {
		name := "memory"
		if persist {
			name = "file"
		}
		b.Run(name, func(b *testing.B) {
			k := getKeys(b)
			cfg := sim.Config{ClientID: testClientID, MerchantPublicKey: &k.merchant.PublicKey, Key: k.antom}
			if persist {
				cfg.StateFile = filepath.Join(b.TempDir(), "state.json")
			}
			s, err := sim.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			h := s.Handler()
			call := func(path string, v any) {
				body, _ := json.Marshal(v)
				sig, err := antom.SignMessage(k.merchant, path, testClientID, "1685599933871", body)
				if err != nil {
					b.Fatal(err)
				}
				req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
				req.Header.Set("client-id", testClientID)
				req.Header.Set("request-time", "1685599933871")
				req.Header.Set("signature", sig)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: HTTP %d", path, rec.Code)
				}
			}
			for i := range 1000 {
				call(antom.PathCreatePaymentSession, sessionRequest("PR_BENCH_"+strconv.Itoa(i), "4200", ""))
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				call(antom.PathCapture, antom.CaptureRequest{CaptureRequestID: "CAP_BENCH_" + strconv.Itoa(i), PaymentID: "0", CaptureAmount: antom.Amount{Currency: "SGD", Value: "100"}})
			}
			if persist {
				if fi, err := os.Stat(cfg.StateFile); err == nil {
					b.ReportMetric(float64(fi.Size()), "file-bytes")
				}
			}
		})
	}
}
