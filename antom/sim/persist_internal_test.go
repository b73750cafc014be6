package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"paydesk/antom"
)

// TestStateEncodingCache walks payments through every kind of change and
// checks after each that the state file written from the encoding cache is
// the one written from scratch: a change that does not name its payment
// (changedLocked(nil) where p was changed) would leave a stale encoding.
func TestStateEncodingCache(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	clock := NewManualClock(time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC))
	s, err := New(Config{ClientID: "SANDBOX_X", MerchantPublicKey: &key.PublicKey, Key: key, Clock: clock, DefaultNotifyURL: "http://127.0.0.1:1/notify"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(step string) {
		t.Helper()
		s.mu.Lock()
		defer s.mu.Unlock()
		cached, err := s.encodeLocked()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		for _, p := range s.order {
			p.enc = nil
		}
		s.enc = encCache{}
		fresh, err := s.encodeLocked()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if !bytes.Equal(cached.bytes(), fresh.bytes()) {
			t.Fatalf("%s: the cached state file differs from a fresh one:\n got %s\nwant %s", step, cached.bytes(), fresh.bytes())
		}
		var st stateFile
		if err := json.Unmarshal(fresh.bytes(), &st); err != nil {
			t.Fatalf("%s: the state file does not decode: %v", step, err)
		}
		if again, _ := json.Marshal(&st); !bytes.Equal(again, fresh.bytes()) {
			t.Fatalf("%s: the assembled file is not the encoding of its content:\n got %s\nwant %s", step, fresh.bytes(), again)
		}
	}
	session := func(id, mode string, threeDS bool) string {
		t.Helper()
		amount := antom.Amount{Currency: "SGD", Value: "4200"}
		req := antom.CreatePaymentSessionRequest{
			ProductCode: "CASHIER_PAYMENT", PaymentRequestID: id, PaymentAmount: amount,
			Order:              &antom.Order{ReferenceOrderID: "O_" + id, OrderDescription: "order", OrderAmount: &amount},
			PaymentMethod:      &antom.PaymentMethod{PaymentMethodType: "CARD", PaymentMethodMetaData: map[string]any{"is3DSAuthentication": threeDS}},
			PaymentFactor:      &antom.PaymentFactor{IsAuthorization: true, CaptureMode: mode},
			PaymentRedirectURL: "https://merchant.example/return",
		}
		body, _ := json.Marshal(req)
		var resp antom.CreatePaymentSessionResponse
		if err := json.Unmarshal(s.apiCreateSession(body), &resp); err != nil || resp.PaymentSessionData == "" {
			t.Fatalf("createPaymentSession %s: %v", id, err)
		}
		return resp.PaymentSessionData
	}
	call := func(api func([]byte) []byte, v any) {
		t.Helper()
		body, _ := json.Marshal(v)
		var r struct{ Result antom.Result }
		if err := json.Unmarshal(api(body), &r); err != nil || r.Result.ResultStatus != antom.StatusSuccess {
			t.Fatalf("call: %v %+v", err, r.Result)
		}
	}

	manual := session("PR_M", antom.CaptureManual, false)
	auto3DS := session("PR_3DS", antom.CaptureAutomatic, true)
	session("PR_CLOSE", antom.CaptureAutomatic, false)
	session("PR_CANCEL", antom.CaptureManual, false)
	check("sessions created")

	if o, _ := s.Pay(ctx, manual, Card{Number: "4111"}); len(o.FormErrors) == 0 {
		t.Fatal("a bad card number was accepted")
	}
	check("form error")
	if _, err := s.buyerCancel(ctx, manual, ""); err != nil {
		t.Fatal(err)
	}
	check("buyer left the checkout")
	o, err := s.Pay(ctx, manual, Card{Number: CardVisaSuccess})
	if err != nil || o.Status != antom.PaymentSuccess {
		t.Fatalf("pay: %v %s", err, o.Status)
	}
	check("paid")
	call(s.apiCapture, antom.CaptureRequest{CaptureRequestID: "C1", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1000"}})
	check("partial capture")
	last := antom.FlexBool(true)
	call(s.apiCapture, antom.CaptureRequest{CaptureRequestID: "C2", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "3200"}, IsLastCapture: &last})
	check("last capture")
	call(s.apiRefund, antom.RefundRequest{RefundRequestID: "R1", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "500"}})
	check("refund")

	if o, _ := s.Pay(ctx, auto3DS, Card{Number: CardVisaSuccess}); !o.Challenge {
		t.Fatalf("no 3DS challenge: %+v", o)
	}
	check("3DS challenge")
	if _, err := s.answerChallenge(ctx, auto3DS, "0000", ""); err != nil {
		t.Fatal(err)
	}
	check("wrong OTP")
	if o, err := s.answerChallenge(ctx, auto3DS, ThreeDSOTP, ""); err != nil || o.Status != antom.PaymentSuccess {
		t.Fatalf("3DS: %v %+v", err, o)
	}
	check("3DS passed, captured automatically")

	call(s.apiCancel, antom.CancelRequest{PaymentRequestID: "PR_CANCEL"})
	check("cancelled")
	clock.Advance(DefaultOrderClose)
	s.closeOrder("PR_CLOSE")
	check("order closed")
}
