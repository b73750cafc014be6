package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

// manualPayment creates a MANUAL-capture session notifying rcv and pays it,
// so that exactly one notification (PAYMENT_RESULT) follows.
func manualPayment(t *testing.T, e *env, id, notifyURL, card string) sim.PayOutcome {
	t.Helper()
	req := sessionRequest(id, "4200", notifyURL)
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	return e.pay(e.createSession(req).PaymentSessionData, card)
}

func wantOffsets() []time.Duration {
	return []time.Duration{0, 2 * time.Minute, 12 * time.Minute, 22 * time.Minute,
		time.Hour + 22*time.Minute, 3*time.Hour + 22*time.Minute, 9*time.Hour + 22*time.Minute, 24*time.Hour + 22*time.Minute}
}

func TestRetryOffsets(t *testing.T) {
	t.Parallel()
	for i, want := range wantOffsets() {
		if got := sim.RetryOffset(i + 1); got != want {
			t.Errorf("RetryOffset(%d) = %v, want %v", i+1, got, want)
		}
	}
}

// TestRetryScheduleManualClock steps a manual clock to each due time and
// checks that attempt n is made exactly then, never earlier, and that the
// eighth attempt is the last.
func TestRetryScheduleManualClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	rcv := newReceiver(t)
	rcv.setAnswer(func(received) (int, string) { return http.StatusInternalServerError, "boom" })
	e := newEnv(t, withClock(clock))
	manualPayment(t, e, "PR_SCHED", rcv.url(), sim.CardVisaSuccess)

	for n, off := range wantOffsets() {
		due := start.Add(off)
		if n > 0 {
			// One second before the due time nothing may happen.
			clock.Set(due.Add(-time.Second))
			clock.Set(due)
		}
		rcv.next(t)
		var got []sim.DeliveryAttempt
		waitFor(t, "attempt "+strconv.Itoa(n+1)+" in the log", func() bool {
			got = attemptsOf(e.sim, "PR_SCHED", antom.NotifyPaymentResult)
			return len(got) == n+1
		})
		a := got[n]
		if a.Attempt != n+1 || !a.Due.Equal(due) || !a.At.Equal(due) {
			t.Fatalf("attempt %d: number %d due %v at %v; want due and at %v (offset %v)", n+1, a.Attempt, a.Due, a.At, due, off)
		}
		if a.Acked || a.HTTPStatus != http.StatusInternalServerError {
			t.Errorf("attempt %d: acked %v status %d, want an unacknowledged 500", n+1, a.Acked, a.HTTPStatus)
		}
		if wantFinal := n == 7; a.Final != wantFinal {
			t.Errorf("attempt %d: final = %v, want %v", n+1, a.Final, wantFinal)
		}
	}
	if p := e.sim.PendingDeliveries(); p != 0 {
		t.Errorf("%d deliveries still pending after 8 attempts, want 0", p)
	}
	if rcv.count() != 8 {
		t.Errorf("the merchant saw %d attempts, want 8", rcv.count())
	}
}

// TestRetryScheduleScaledClock runs the whole 24-hour schedule on a scaled
// clock in about half a second of real time. Real-time scheduling jitter is
// multiplied by the scale, so how late an attempt is depends on the
// machine's load and is not asserted (it would be a timed assertion); the
// exact timing is TestRetryScheduleManualClock's job. Asserted here: the
// simulated due times, that no attempt is early, the order, the end.
func TestRetryScheduleScaledClock(t *testing.T) {
	t.Parallel()
	const scale = 200000 // 24h22m in about 0.44 s
	clock := sim.NewScaledClock(scale)
	rcv := newReceiver(t)
	rcv.setAnswer(func(received) (int, string) { return http.StatusOK, "OK" }) // not JSON: not an ack
	// The order-close notification needs no buyer, so nothing races the
	// fast clock: the unpaid order closes after one simulated minute.
	e := newEnv(t, withClock(clock), withOrderClose(time.Minute))
	id := "PR_SCALED"
	e.createSession(sessionRequest(id, "4200", rcv.url()))
	var got []sim.DeliveryAttempt
	waitFor(t, "8 attempts", func() bool {
		got = attemptsOf(e.sim, id, antom.NotifyPaymentResult)
		return len(got) == 8
	})
	for i, a := range got {
		off := wantOffsets()[i]
		if d := a.Due.Sub(got[0].Due); d != off {
			t.Errorf("attempt %d due at +%v, want +%v", i+1, d, off)
		}
		if a.At.Before(a.Due) {
			t.Errorf("attempt %d made at %v, before its due time %v", i+1, a.At, a.Due)
		}
		if i > 0 && !a.At.After(got[i-1].At) {
			t.Errorf("attempt %d not after attempt %d", i+1, i)
		}
		if a.Acked {
			t.Errorf("attempt %d acknowledged by a non-JSON answer", i+1)
		}
	}
	if !got[7].Final {
		t.Error("the eighth attempt is not final")
	}
	if got[0].ResultStatus != "F" || got[0].ResultCode != "ORDER_IS_CLOSED" {
		t.Errorf("notification result %s %s, want F ORDER_IS_CLOSED", got[0].ResultStatus, got[0].ResultCode)
	}
}

// TestAckRules checks what counts as an acknowledgement.
func TestAckRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		ack    bool
	}{
		{"exact body", 200, antom.AckBody, true},
		{"other message", 200, `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"}}`, true},
		{"F status", 200, `{"result":{"resultCode":"SUCCESS","resultStatus":"F"}}`, false},
		{"other code", 200, `{"result":{"resultCode":"PROCESS_FAIL","resultStatus":"S"}}`, false},
		{"not JSON", 200, `success`, false},
		{"ack with 500", 500, antom.AckBody, false},
		{"ack with 401", 401, antom.AckBody, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t)
			rcv.setAnswer(func(received) (int, string) { return tt.status, tt.body })
			e := newEnv(t, withClock(sim.NewManualClock(time.Now())))
			manualPayment(t, e, "PR_ACK", rcv.url(), sim.CardVisaSuccess)
			rcv.next(t)
			var got []sim.DeliveryAttempt
			waitFor(t, "the attempt in the log", func() bool {
				got = attemptsOf(e.sim, "PR_ACK", antom.NotifyPaymentResult)
				return len(got) == 1
			})
			if got[0].Acked != tt.ack || got[0].Final != tt.ack {
				t.Errorf("acked %v final %v, want %v", got[0].Acked, got[0].Final, tt.ack)
			}
			if want := !tt.ack; (e.sim.PendingDeliveries() == 1) != want {
				t.Errorf("pending deliveries %d, want a retry pending: %v", e.sim.PendingDeliveries(), want)
			}
		})
	}
}

// TestNotificationSignature verifies a notification with antom and with the
// openssl binary, over the exact bytes received.
func TestNotificationSignature(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"", sim.TimeFormatMillis, sim.TimeFormatISO8601} {
		name := format
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t)
			e := newEnv(t, withFaults(sim.Faults{RequestTimeFormat: format}))
			manualPayment(t, e, "PR_SIG", rcv.url(), sim.CardVisaSuccess)
			rec := rcv.next(t)
			clientID := rec.Header.Get("client-id")
			reqTime := rec.Header.Get("request-time")
			sigHeader := rec.Header.Get("signature")
			if clientID != testClientID {
				t.Errorf("client-id = %q, want %q", clientID, testClientID)
			}
			// The default is ISO 8601 with milliseconds and the offset, as
			// Antom's documented samples (2019-07-12T12:08:56.253+05:30).
			pattern := `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$`
			if format == sim.TimeFormatMillis {
				pattern = `^\d{13}$`
			}
			if ok, _ := regexp.MatchString(pattern, reqTime); !ok {
				t.Errorf("request-time %q does not match %s", reqTime, pattern)
			}
			if rec.Path != "/antom/notify" {
				t.Errorf("posted to %q", rec.Path)
			}
			if err := antom.VerifyMessage(&e.keys.antom.PublicKey, rec.Path, clientID, reqTime, sigHeader, rec.Body); err != nil {
				t.Fatalf("antom.VerifyMessage: %v", err)
			}
			if err := antom.VerifyMessage(&e.keys.merchant.PublicKey, rec.Path, clientID, reqTime, sigHeader, rec.Body); err == nil {
				t.Fatal("the notification verifies with the merchant's key too")
			}
			opensslVerify(t, &e.keys.antom.PublicKey, rec, true)
		})
	}
}

// opensslVerify checks a received notification's signature with
// `openssl dgst -sha256 -verify`.
func opensslVerify(t *testing.T, pub *rsa.PublicKey, rec received, want bool) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	pem, err := antom.MarshalPublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := antom.ParseSignatureHeader(rec.Header.Get("signature"))
	if err != nil {
		t.Fatal(err)
	}
	content := antom.SignContent("POST", rec.Path, rec.Header.Get("client-id"), rec.Header.Get("request-time"), rec.Body)
	for name, data := range map[string][]byte{"pub.pem": pem, "sig.bin": ps.Signature, "content": content} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "content")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	ok := err == nil && strings.Contains(string(out), "Verified OK")
	if ok != want {
		t.Fatalf("openssl verified: %v, want %v; output: %s (err %v)", ok, want, out, err)
	}
}

// TestFaultDuplicate delivers each notification three times in all.
func TestFaultDuplicate(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t, withFaults(sim.Faults{Duplicate: 3}))
	manualPayment(t, e, "PR_DUP", rcv.url(), sim.CardVisaSuccess)
	var bodies []string
	for range 3 {
		rec := rcv.next(t)
		if err := antom.VerifyMessage(&e.keys.antom.PublicKey, rec.Path, rec.Header.Get("client-id"), rec.Header.Get("request-time"), rec.Header.Get("signature"), rec.Body); err != nil {
			t.Errorf("copy signature: %v", err)
		}
		bodies = append(bodies, string(rec.Body))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Errorf("copies differ:\n%s", strings.Join(bodies, "\n"))
	}
	waitFor(t, "3 acknowledged attempts", func() bool { return len(attemptsOf(e.sim, "PR_DUP", antom.NotifyPaymentResult)) == 3 })
	copies := map[int]bool{}
	for _, a := range attemptsOf(e.sim, "PR_DUP", antom.NotifyPaymentResult) {
		if !a.Acked || a.Attempt != 1 {
			t.Errorf("copy %d: attempt %d acked %v", a.Copy, a.Attempt, a.Acked)
		}
		copies[a.Copy] = true
	}
	if len(copies) != 3 {
		t.Errorf("copies %v, want 1, 2 and 3", copies)
	}
}

// TestFaultReorder sends CAPTURE_RESULT before PAYMENT_RESULT.
func TestFaultReorder(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t, withFaults(sim.Faults{Reorder: true}))
	e.pay(e.createSession(sessionRequest("PR_REORDER", "4200", rcv.url())).PaymentSessionData, sim.CardVisaSuccess)
	first := notificationOf(t, rcv.next(t))
	second := notificationOf(t, rcv.next(t))
	if first.NotifyType != antom.NotifyCaptureResult || second.NotifyType != antom.NotifyPaymentResult {
		t.Errorf("order: %s then %s, want CAPTURE_RESULT then PAYMENT_RESULT", first.NotifyType, second.NotifyType)
	}
}

// TestFaultCorruptSignature: a verifying merchant refuses the notification
// with 401, the simulator retries, and once the fault is cleared the next
// retry is accepted.
func TestFaultCorruptSignature(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	rcv := newReceiver(t)
	k := getKeys(t)
	rcv.setAnswer(func(r received) (int, string) {
		if err := antom.VerifyMessage(&k.antom.PublicKey, r.Path, r.Header.Get("client-id"), r.Header.Get("request-time"), r.Header.Get("signature"), r.Body); err != nil {
			return http.StatusUnauthorized, `{"error":"bad signature"}`
		}
		return http.StatusOK, antom.AckBody
	})
	e := newEnv(t, withClock(clock), withFaults(sim.Faults{CorruptSignature: true}))
	manualPayment(t, e, "PR_CORRUPT", rcv.url(), sim.CardVisaSuccess)
	rec := rcv.next(t)
	opensslVerify(t, &k.antom.PublicKey, rec, false)
	waitFor(t, "attempt 1", func() bool { return len(attemptsOf(e.sim, "PR_CORRUPT", antom.NotifyPaymentResult)) == 1 })

	e.sim.SetFaults(sim.Faults{})
	clock.Set(start.Add(2 * time.Minute))
	rec = rcv.next(t)
	opensslVerify(t, &k.antom.PublicKey, rec, true)
	var got []sim.DeliveryAttempt
	waitFor(t, "attempt 2", func() bool {
		got = attemptsOf(e.sim, "PR_CORRUPT", antom.NotifyPaymentResult)
		return len(got) == 2
	})
	if got[0].Acked || got[0].HTTPStatus != 401 || !strings.Contains(strings.Join(got[0].Faults, ","), "corrupt-signature") {
		t.Errorf("attempt 1 = %+v, want a 401 with the corrupt-signature fault", got[0])
	}
	if !got[1].Acked || !got[1].Final {
		t.Errorf("attempt 2 = acked %v final %v, want acknowledged and final", got[1].Acked, got[1].Final)
	}
}

// TestFaultDropAndFailFirst: dropped attempts never reach the merchant;
// failed ones do but their acknowledgement is ignored.
func TestFaultDropAndFailFirst(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		faults sim.Faults
		seen   int // requests the merchant sees up to and including the acknowledged attempt
	}{
		{"drop", sim.Faults{DropFirst: 2}, 1},
		{"fail", sim.Faults{FailFirst: 2}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
			clock := sim.NewManualClock(start)
			rcv := newReceiver(t)
			e := newEnv(t, withClock(clock), withFaults(tt.faults))
			manualPayment(t, e, "PR_K", rcv.url(), sim.CardVisaSuccess)
			for n, off := range wantOffsets()[:3] {
				clock.Set(start.Add(off))
				waitFor(t, "attempt "+strconv.Itoa(n+1), func() bool { return len(attemptsOf(e.sim, "PR_K", antom.NotifyPaymentResult)) == n+1 })
			}
			got := attemptsOf(e.sim, "PR_K", antom.NotifyPaymentResult)
			for i, a := range got {
				wantAck := i == 2
				if a.Acked != wantAck {
					t.Errorf("attempt %d acked = %v, want %v", i+1, a.Acked, wantAck)
				}
				if tt.name == "drop" && a.Dropped != (i < 2) {
					t.Errorf("attempt %d dropped = %v", i+1, a.Dropped)
				}
			}
			if rcv.count() != tt.seen {
				t.Errorf("the merchant saw %d requests, want %d", rcv.count(), tt.seen)
			}
			if e.sim.PendingDeliveries() != 0 {
				t.Error("a delivery is still pending after its acknowledgement")
			}
		})
	}
}

// TestFaultWrongAmountAndSkew: the amount is off by one minor unit but
// correctly signed; request-time is shifted by the skew.
func TestFaultWrongAmountAndSkew(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	rcv := newReceiver(t)
	e := newEnv(t, withClock(sim.NewManualClock(start)), withFaults(sim.Faults{WrongAmount: true, RequestTimeSkew: -10 * time.Minute}))
	manualPayment(t, e, "PR_WRONG", rcv.url(), sim.CardVisaSuccess)
	rec := rcv.next(t)
	n := notificationOf(t, rec)
	if n.PaymentAmount.Value != "4201" {
		t.Errorf("paymentAmount.value = %q, want 4201", n.PaymentAmount.Value)
	}
	if err := antom.VerifyMessage(&e.keys.antom.PublicKey, rec.Path, rec.Header.Get("client-id"), rec.Header.Get("request-time"), rec.Header.Get("signature"), rec.Body); err != nil {
		t.Errorf("signature: %v", err)
	}
	// The default format, in the simulator's zone (UTC-8).
	if got, want := rec.Header.Get("request-time"), "2026-05-11T01:50:00.000-08:00"; got != want {
		t.Errorf("request-time = %s, want %s", got, want)
	}
	if at, err := antom.ParseRequestTime(rec.Header.Get("request-time")); err != nil || !at.Equal(start.Add(-10*time.Minute)) {
		t.Errorf("request-time parses to %v (%v), want %v", at, err, start.Add(-10*time.Minute))
	}
}

// TestFaultNotifyDelay postpones the first attempt.
func TestFaultNotifyDelay(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	rcv := newReceiver(t)
	e := newEnv(t, withClock(clock), withFaults(sim.Faults{NotifyDelay: 30 * time.Second}))
	manualPayment(t, e, "PR_DELAY", rcv.url(), sim.CardVisaSuccess)
	clock.Set(start.Add(29 * time.Second))
	clock.Set(start.Add(30 * time.Second))
	rcv.next(t)
	var got []sim.DeliveryAttempt
	waitFor(t, "the attempt", func() bool {
		got = attemptsOf(e.sim, "PR_DELAY", antom.NotifyPaymentResult)
		return len(got) == 1
	})
	if want := start.Add(30 * time.Second); !got[0].At.Equal(want) {
		t.Errorf("first attempt at %v, want %v", got[0].At, want)
	}
}

// TestRefundNotification goes to refundNotifyUrl.
func TestRefundNotification(t *testing.T) {
	t.Parallel()
	pay := newReceiver(t)
	ref := newReceiver(t)
	e := newEnv(t)
	o := e.pay(e.createSession(sessionRequest("PR_REFN", "4200", pay.url())).PaymentSessionData, sim.CardVisaSuccess)
	pay.next(t)
	pay.next(t)
	r, err := e.client.Refund(context.Background(), &antom.RefundRequest{RefundRequestID: "REF_N", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "4200"}, RefundNotifyURL: ref.url()})
	if err != nil {
		t.Fatal(err)
	}
	n := notificationOf(t, ref.next(t))
	if n.NotifyType != antom.NotifyRefundResult || n.RefundID != r.RefundID || n.RefundStatus != "SUCCESS" || n.RefundAmount.Value != "4200" {
		t.Errorf("refund notification = %+v", n)
	}
	if pay.count() != 2 {
		t.Errorf("the payment URL got %d notifications, want 2", pay.count())
	}
}

// TestControlFaultsAPI exercises GET/PUT /sim/faults.
func TestControlFaultsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put := func(body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/sim/faults", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return do(t, req)
	}
	res, b := put(`{"duplicate":3,"reorder":true,"notifyDelay":"5s","corruptSignature":true,"requestTimeFormat":"iso8601","requestTimeSkew":"-2m","apiUnknown":2,"apis":["capture"]}`)
	if res.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", res.StatusCode, b)
	}
	f := e.sim.Faults()
	if f.Duplicate != 3 || !f.Reorder || f.NotifyDelay != 5*time.Second || !f.CorruptSignature || f.RequestTimeFormat != "iso8601" ||
		f.RequestTimeSkew != -2*time.Minute || f.APIUnknown != 2 || len(f.APIs) != 1 {
		t.Errorf("faults = %+v", f)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/sim/faults", nil)
	_, b = do(t, req)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil || got["notifyDelay"] != "5s" || got["duplicate"] != float64(3) {
		t.Errorf("GET /sim/faults = %s (%v)", b, err)
	}
	for _, bad := range []string{`{"dupliate":1}`, `{"requestTimeFormat":"rfc1123"}`, `{"notifyDelay":"soon"}`, `{"apis":["pay"]}`, `{"duplicate":-1}`, `[]`} {
		res, b := put(bad)
		if res.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("PUT %s: %d %s, want 400 with an error", bad, res.StatusCode, b)
		}
	}
	if f2 := e.sim.Faults(); f2.Duplicate != 3 {
		t.Error("a refused PUT changed the faults")
	}
	if _, err := sim.New(sim.Config{ClientID: "X", MerchantPublicKey: &e.keys.merchant.PublicKey, Key: e.keys.antom, Faults: sim.Faults{FailFirst: -1}}); err == nil {
		t.Error("New accepted invalid faults")
	}
}

// TestControlPayAndPayments exercises POST /sim/pay and GET /sim/payments.
func TestControlPayAndPayments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createSession(sessionRequest("PR_CTRL", "4200", ""))
	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sim/pay", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, b := do(t, req)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("POST /sim/pay answer: %v: %s", err, b)
		}
		return res.StatusCode, m
	}
	if code, m := post(`{"paymentRequestId":"PR_CTRL","cardNumber":"4054695723100768","cvc":"99"}`); code != 422 || m["formErrors"].(map[string]any)["cvc"] != "invalid_cvc" {
		t.Errorf("2-digit CVC: %d %v", code, m)
	}
	if code, m := post(`{"paymentRequestId":"PR_CTRL","cardNumber":"4054 6957 2310 0768"}`); code != 200 || m["status"] != "SUCCESS" || m["sdkEvent"] != "SDK_PAYMENT_SUCCESSFUL" {
		t.Errorf("pay: %d %v", code, m)
	}
	if code, m := post(`{"paymentRequestId":"PR_CTRL","cardNumber":"4054695723100768"}`); code != 409 || m["status"] != "SUCCESS" {
		t.Errorf("pay again: %d %v, want 409 with the SUCCESS outcome", code, m)
	}
	if code, _ := post(`{"sessionData":"nope","cardNumber":"4054695723100768"}`); code != 404 {
		t.Errorf("unknown session: %d, want 404", code)
	}
	if code, _ := post(`{"cardNumber":"4054695723100768"}`); code != 400 {
		t.Errorf("no session: %d, want 400", code)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/sim/payments", nil)
	_, b := do(t, req)
	var list []sim.PaymentView
	if err := json.Unmarshal(b, &list); err != nil || len(list) != 1 || list[0].Status != "SUCCESS" || list[0].Captured != 4200 || len(list[0].SDKEvents) != 2 {
		t.Errorf("GET /sim/payments = %s (%v)", b, err)
	}
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/sim/payments/NOPE", nil)
	if res, _ := do(t, req); res.StatusCode != 404 {
		t.Errorf("GET /sim/payments/NOPE: %d", res.StatusCode)
	}
}

// TestDeliveryLogPages serves the log as JSON and HTML.
func TestDeliveryLogPages(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	manualPayment(t, e, "PR_LOG", rcv.url(), sim.CardVisaSuccess)
	rcv.next(t)
	waitFor(t, "the attempt in the log", func() bool { return len(e.sim.Deliveries()) == 1 })
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/sim/deliveries.json", nil)
	_, b := do(t, req)
	var log []sim.DeliveryAttempt
	if err := json.Unmarshal(b, &log); err != nil || len(log) != 1 || !log[0].Acked || log[0].Body == "" || log[0].Signature == "" {
		t.Errorf("deliveries.json = %s (%v)", b, err)
	}
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/sim/deliveries", nil)
	res, b := do(t, req)
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`data-testid="delivery-attempt"`)) || !bytes.Contains(b, []byte("PAYMENT_RESULT")) {
		t.Errorf("deliveries page: %d\n%s", res.StatusCode, b)
	}
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/sim/", nil)
	if res, b := do(t, req); res.StatusCode != 200 || !bytes.Contains(b, []byte("PR_LOG")) {
		t.Errorf("index page: %d", res.StatusCode)
	}
}

// TestNoNotifyURL: without paymentNotifyUrl nor a default, nothing is sent;
// with a default URL it is used.
func TestNoNotifyURL(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t, withDefaultNotifyURL(rcv.url()))
	manualPayment(t, e, "PR_DEFAULT", "", sim.CardVisaSuccess)
	if n := notificationOf(t, rcv.next(t)); n.PaymentRequestID != "PR_DEFAULT" {
		t.Errorf("notification for %s", n.PaymentRequestID)
	}
	e2 := newEnv(t)
	manualPayment(t, e2, "PR_NONE", "", sim.CardVisaSuccess)
	if e2.sim.PendingDeliveries() != 0 || len(e2.sim.Deliveries()) != 0 {
		t.Error("a delivery exists without any notification URL")
	}
}

// TestNotificationHeaderNamesOnTheWire reads a notification as raw bytes:
// the header names must be the lower-case client-id, request-time and
// signature.
func TestNotificationHeaderNamesOnTheWire(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	raw := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(conn)
		var head strings.Builder
		length := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length: "); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if line == "\r\n" {
				break
			}
		}
		_, _ = io.ReadFull(br, make([]byte, length))
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(antom.AckBody))+"\r\n\r\n"+antom.AckBody)
		raw <- head.String()
	}()
	e := newEnv(t)
	manualPayment(t, e, "PR_WIRE", "http://"+ln.Addr().String()+"/antom/notify", sim.CardVisaSuccess)
	var head string
	select {
	case head = <-raw:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification arrived")
	}
	if !strings.HasPrefix(head, "POST /antom/notify HTTP/1.1\r\n") {
		t.Errorf("request line: %q", strings.SplitN(head, "\r\n", 2)[0])
	}
	for _, h := range []string{"\r\nclient-id: " + testClientID + "\r\n", "\r\nrequest-time: ", "\r\nsignature: algorithm=RSA256,keyVersion=1,signature="} {
		if !strings.Contains(head, h) {
			t.Errorf("raw notification lacks %q:\n%s", strings.TrimSpace(h), head)
		}
	}
}

// TestControlAPIRefusesCrossSite: a web page cannot drive the control API
// through a visitor's browser: a cross-site text/plain POST (what a form
// or a "simple" fetch sends), another Origin, or cross-site fetch metadata
// are refused and change nothing; JSON from a tool goes through.
func TestControlAPIRefusesCrossSite(t *testing.T) {
	e := newEnv(t)
	send := func(method, path, body string, h map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	faults := `{"apiUnknown":-1}`
	for _, tc := range []struct {
		name string
		h    map[string]string
		want int
	}{
		{"text/plain form post", map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"no content type", nil, http.StatusUnsupportedMediaType},
		{"another origin", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		if got := send(http.MethodPut, "/sim/faults", faults, tc.h); got != tc.want {
			t.Errorf("PUT /sim/faults, %s: %d, want %d", tc.name, got, tc.want)
		}
		if got := send(http.MethodPost, "/sim/pay", `{"paymentRequestId":"PR_X","cardNumber":"4054695723100768"}`, tc.h); got != tc.want {
			t.Errorf("POST /sim/pay, %s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if f := e.sim.Faults(); f.APIUnknown != 0 {
		t.Fatalf("a refused request set faults: %+v", f)
	}
	if got := send(http.MethodPut, "/sim/faults", faults, map[string]string{"Content-Type": "application/json; charset=utf-8"}); got != http.StatusOK {
		t.Errorf("PUT /sim/faults as JSON: %d, want 200", got)
	}
}
