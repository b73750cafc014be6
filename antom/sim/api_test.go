package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

func resultError(t *testing.T, err error) *antom.ResultError {
	t.Helper()
	var re *antom.ResultError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v, want an *antom.ResultError", err)
	}
	return re
}

func wantCode(t *testing.T, err error, status, code string) {
	t.Helper()
	re := resultError(t, err)
	if re.Result.ResultStatus != status || re.Result.ResultCode != code {
		t.Fatalf("got %s %s (%s), want %s %s", re.Result.ResultStatus, re.Result.ResultCode, re.Result.ResultMessage, status, code)
	}
}

// TestClientRoundTrip drives all six APIs with the antom client over HTTP:
// a MANUAL-capture payment captured twice and refunded twice, then a
// cancelled authorization.
func TestClientRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client

	req := sessionRequest("PR_RT_1", "4200", "")
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	sess := e.createSession(req)
	if !strings.HasSuffix(sess.PaymentSessionData, "&&SG&&111") || sess.PaymentSessionID == "" {
		t.Fatalf("session data %q / id %q do not look like Antom's", sess.PaymentSessionData, sess.PaymentSessionID)
	}
	exp, err := time.Parse(time.RFC3339, sess.PaymentSessionExpiryTime)
	if err != nil {
		t.Fatalf("paymentSessionExpiryTime %q: %v", sess.PaymentSessionExpiryTime, err)
	}
	if d := exp.Sub(time.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("session expires in %v, want about 1h", d)
	}

	inq, err := c.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_RT_1"})
	if err != nil {
		t.Fatalf("inquiryPayment before paying: %v", err)
	}
	if inq.PaymentStatus != antom.PaymentProcessing || inq.PaymentResultCode != "PAYMENT_IN_PROCESS" {
		t.Errorf("before paying: got %s/%s, want PROCESSING/PAYMENT_IN_PROCESS", inq.PaymentStatus, inq.PaymentResultCode)
	}
	if ok, _ := regexp.MatchString(`^[0-9]{35}$`, inq.PaymentID); !ok {
		t.Errorf("paymentId %q is not 35 digits", inq.PaymentID)
	}

	o := e.pay(sess.PaymentSessionData, sim.CardVisaSuccess)
	if o.Status != antom.PaymentSuccess || o.SDKEvent != antom.SDKPaymentSuccessful {
		t.Fatalf("pay: got %s/%s, want SUCCESS/SDK_PAYMENT_SUCCESSFUL", o.Status, o.SDKEvent)
	}
	inq, err = c.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentID: o.PaymentID})
	if err != nil {
		t.Fatal(err)
	}
	if inq.PaymentStatus != antom.PaymentSuccess || inq.PaymentTime == "" || inq.AuthExpiryTime == "" || len(inq.Transactions) != 0 {
		t.Fatalf("after paying: status %s time %q authExpiry %q transactions %d; want SUCCESS, times, none", inq.PaymentStatus, inq.PaymentTime, inq.AuthExpiryTime, len(inq.Transactions))
	}
	if inq.PaymentResultInfo == nil || inq.PaymentResultInfo.CardBrand != "VISA" || inq.PaymentResultInfo.LastFour != "0768" || !strings.Contains(inq.PaymentResultInfo.CardNo, "*") {
		t.Errorf("paymentResultInfo = %+v, want a masked VISA ending 0768", inq.PaymentResultInfo)
	}

	capture := func(id, value string) (*antom.CaptureResponse, error) {
		return c.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: id, PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: value}})
	}
	c1, err := capture("CAP_1", "1000")
	if err != nil {
		t.Fatalf("capture 1: %v", err)
	}
	if _, err := capture("CAP_2", "2000"); err != nil {
		t.Fatalf("capture 2: %v", err)
	}
	_, err = capture("CAP_3", "1201")
	wantCode(t, err, "F", "CAPTURE_AMOUNT_EXCEED_AUTH_LIMIT")

	inq, err = c.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_RT_1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inq.Transactions) != 2 || inq.Transactions[0].TransactionType != antom.TxCapture || inq.Transactions[0].TransactionID != c1.CaptureID ||
		inq.Transactions[0].TransactionRequestID != "CAP_1" || inq.Transactions[1].TransactionAmount.Value != "2000" {
		t.Fatalf("transactions = %+v, want CAP_1 (1000) and CAP_2 (2000)", inq.Transactions)
	}

	refund := func(id, value string) (*antom.RefundResponse, error) {
		return c.Refund(ctx, &antom.RefundRequest{RefundRequestID: id, PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: value}})
	}
	r1, err := refund("REF_1", "500")
	if err != nil {
		t.Fatalf("refund 1: %v", err)
	}
	if _, err := refund("REF_2", "2500"); err != nil {
		t.Fatalf("refund 2: %v", err)
	}
	_, err = refund("REF_3", "1")
	wantCode(t, err, "F", "REFUND_AMOUNT_EXCEED")

	for _, q := range []*antom.InquiryRefundRequest{{RefundID: r1.RefundID}, {RefundRequestID: "REF_1"}} {
		ir, err := c.InquiryRefund(ctx, q)
		if err != nil {
			t.Fatalf("inquiryRefund %+v: %v", q, err)
		}
		if ir.RefundID != r1.RefundID || ir.RefundStatus != "SUCCESS" || ir.RefundAmount.Value != "500" || ir.RefundTime == "" {
			t.Errorf("inquiryRefund %+v = %+v, want REF_1 SUCCESS 500", q, ir)
		}
	}
	_, err = c.InquiryRefund(ctx, &antom.InquiryRefundRequest{RefundRequestID: "NOPE"})
	wantCode(t, err, "F", "ORDER_NOT_EXIST")

	_, err = c.Cancel(ctx, &antom.CancelRequest{PaymentID: o.PaymentID})
	wantCode(t, err, "F", "ORDER_STATUS_INVALID")

	// A second authorization, cancelled before capture.
	req2 := sessionRequest("PR_RT_2", "990", "")
	req2.PaymentFactor.CaptureMode = antom.CaptureManual
	o2 := e.pay(e.createSession(req2).PaymentSessionData, sim.CardMastercardSuccess)
	cr, err := c.Cancel(ctx, &antom.CancelRequest{PaymentRequestID: "PR_RT_2"})
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if cr.PaymentID != o2.PaymentID || cr.CancelTime == "" {
		t.Errorf("cancel = %+v, want paymentId %s and a cancelTime", cr, o2.PaymentID)
	}
	again, err := c.Cancel(ctx, &antom.CancelRequest{PaymentID: o2.PaymentID})
	if err != nil || again.CancelTime != cr.CancelTime {
		t.Errorf("repeated cancel = %+v, %v; want the same answer", again, err)
	}
	_, err = c.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_X", PaymentID: o2.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "990"}})
	wantCode(t, err, "F", "AUTH_CANCELLED")
	inq, err = c.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentID: o2.PaymentID})
	if err != nil || inq.PaymentStatus != antom.PaymentCancelled {
		t.Errorf("after cancel: %v %v, want CANCELLED", inq.PaymentStatus, err)
	}
	_, err = c.Refund(ctx, &antom.RefundRequest{RefundRequestID: "REF_X", PaymentID: o2.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	wantCode(t, err, "F", "ORDER_IS_CANCELED")

	// Cancelling before the buyer pays blocks the payment.
	sess3 := e.createSession(sessionRequest("PR_RT_3", "100", ""))
	if _, err := c.Cancel(ctx, &antom.CancelRequest{PaymentRequestID: "PR_RT_3"}); err != nil {
		t.Fatalf("cancel before paying: %v", err)
	}
	if _, err := e.sim.Pay(ctx, sess3.PaymentSessionData, sim.Card{Number: sim.CardVisaSuccess}); !errors.Is(err, sim.ErrPaymentFinal) {
		t.Errorf("Pay after cancel: %v, want ErrPaymentFinal", err)
	}
	_, err = c.CreatePaymentSession(ctx, sessionRequest("PR_RT_3", "100", ""))
	wantCode(t, err, "F", "ORDER_IS_CANCELED")
}

// TestPathFamilies checks that both the production and the sandbox paths are
// served and that each answer is signed over the path that was called.
func TestPathFamilies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := []byte(`{"paymentRequestId":"NOPE"}`)
	for _, path := range []string{antom.PathInquiryPayment, antom.SandboxPath(antom.PathInquiryPayment)} {
		res, b := e.rawCall(path, testClientID, e.keys.merchant, body)
		if r := resultOf(t, b); r.ResultCode != "ORDER_NOT_EXIST" {
			t.Errorf("%s: got %s, want ORDER_NOT_EXIST", path, r.ResultCode)
		}
		if err := antom.VerifyMessage(&e.keys.antom.PublicKey, path, res.Header.Get("client-id"), res.Header.Get("response-time"), res.Header.Get("signature"), b); err != nil {
			t.Errorf("%s: response signature: %v", path, err)
		}
	}
}

// TestGatewayRejects covers the gateway's refusals (section 12).
func TestGatewayRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := antom.SandboxPath(antom.PathCreatePaymentSession)
	good, _ := json.Marshal(sessionRequest("PR_REJ", "4200", ""))
	reqTime := "1685599933871"
	sig := func(key string, body []byte) string {
		k := e.keys.merchant
		if key == "other" {
			k = e.keys.other
		}
		s, err := antom.SignMessage(k, path, testClientID, reqTime, body)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := []byte(strings.Replace(string(good), `"4200"`, `"4300"`, 2))
	tests := []struct {
		name     string
		path     string
		method   string
		headers  map[string]string
		body     []byte
		wantCode string
		signed   bool
	}{
		{"tampered body", path, "POST", map[string]string{"client-id": testClientID, "request-time": reqTime, "signature": sig("merchant", good)}, tampered, "INVALID_SIGNATURE", false},
		{"wrong key", path, "POST", map[string]string{"client-id": testClientID, "request-time": reqTime, "signature": sig("other", good)}, good, "INVALID_SIGNATURE", false},
		{"wrong request-time", path, "POST", map[string]string{"client-id": testClientID, "request-time": "1685599933872", "signature": sig("merchant", good)}, good, "INVALID_SIGNATURE", false},
		{"garbage signature", path, "POST", map[string]string{"client-id": testClientID, "request-time": reqTime, "signature": "algorithm=RSA256,keyVersion=1,signature=%%%"}, good, "INVALID_SIGNATURE", false},
		{"unknown client", path, "POST", map[string]string{"client-id": "SANDBOX_SOMEONE_ELSE", "request-time": reqTime, "signature": sig("merchant", good)}, good, "CLIENT_INVALID", true},
		{"missing client-id", path, "POST", map[string]string{"request-time": reqTime, "signature": sig("merchant", good)}, good, "PARAM_ILLEGAL", true},
		{"missing request-time", path, "POST", map[string]string{"client-id": testClientID, "signature": sig("merchant", good)}, good, "PARAM_ILLEGAL", true},
		{"missing signature", path, "POST", map[string]string{"client-id": testClientID, "request-time": reqTime}, good, "PARAM_ILLEGAL", true},
		{"unknown API", "/ams/api/v1/payments/pay", "POST", map[string]string{"client-id": testClientID}, good, "NO_INTERFACE_DEF", true},
		{"unknown path", "/ams/api/v2/whatever", "POST", map[string]string{"client-id": testClientID}, good, "NO_INTERFACE_DEF", true},
		{"GET", path, "GET", map[string]string{"client-id": testClientID}, nil, "METHOD_NOT_SUPPORTED", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.srv.URL+tt.path, strings.NewReader(string(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			res, b := do(t, req)
			if res.StatusCode != http.StatusOK {
				t.Errorf("HTTP %d, want 200", res.StatusCode)
			}
			r := resultOf(t, b)
			if r.ResultStatus != "F" || r.ResultCode != tt.wantCode {
				t.Errorf("got %s %s (%s), want F %s", r.ResultStatus, r.ResultCode, r.ResultMessage, tt.wantCode)
			}
			if strings.HasPrefix(tt.name, "missing ") && !strings.Contains(r.ResultMessage, strings.TrimPrefix(tt.name, "missing ")) {
				t.Errorf("message %q does not name the missing header", r.ResultMessage)
			}
			sigHeader := res.Header.Get("signature")
			if !tt.signed {
				if sigHeader != "" || res.Header.Get("response-time") != "" {
					t.Errorf("INVALID_SIGNATURE answer carries signature headers: %v", res.Header)
				}
				return
			}
			if err := antom.VerifyMessage(&e.keys.antom.PublicKey, tt.path, res.Header.Get("client-id"), res.Header.Get("response-time"), sigHeader, b); err != nil {
				t.Errorf("answer signature: %v", err)
			}
		})
	}
	if n := len(e.sim.Payments()); n != 0 {
		t.Errorf("rejected requests created %d payments, want 0", n)
	}
}

// TestResponseHeaders checks the exact header names and formats of a signed
// answer (section 2.2), read from the raw wire.
func TestResponseHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body, _ := json.Marshal(sessionRequest("PR_HDR", "4200", ""))
	path := antom.SandboxPath(antom.PathCreatePaymentSession)
	res, b := e.rawCall(path, testClientID, e.keys.merchant, body)
	if got := res.Header.Get("client-id"); got != testClientID {
		t.Errorf("client-id = %q, want %q", got, testClientID)
	}
	rt := res.Header.Get("response-time")
	if ok, _ := regexp.MatchString(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`, rt); !ok {
		t.Errorf("response-time %q is not ISO 8601 with offset and seconds", rt)
	}
	if ok, _ := regexp.MatchString(`^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$`, res.Header.Get("signature")); !ok {
		t.Errorf("signature header %q is not algorithm=RSA256,keyVersion=1,signature=<url-encoded>", res.Header.Get("signature"))
	}
	if r := resultOf(t, b); r.ResultCode != "SUCCESS" {
		t.Fatalf("got %+v", r)
	}
}

// TestLowerCaseHeaderNamesOnTheWire reads the raw response bytes: some SDKs
// compare header names case-sensitively.
func TestLowerCaseHeaderNamesOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := []byte(`{"paymentRequestId":"NOPE"}`)
	path := antom.PathInquiryPayment
	sig, _ := antom.SignMessage(e.keys.merchant, path, testClientID, "1", body)
	raw := rawHTTP(t, e.srv.URL, "POST "+path+" HTTP/1.1\r\nHost: x\r\nclient-id: "+testClientID+"\r\nrequest-time: 1\r\nsignature: "+sig+
		"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+string(body))
	for _, h := range []string{"\r\nclient-id: ", "\r\nresponse-time: ", "\r\nsignature: algorithm=RSA256"} {
		if !strings.Contains(raw, h) {
			t.Errorf("raw response lacks %q:\n%s", strings.TrimSpace(h), raw)
		}
	}
}

// TestIdempotency covers section 8: identical replays get the stored answer,
// a different amount under the same request ID is REPEAT_REQ_INCONSISTENT.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	path := antom.SandboxPath(antom.PathCreatePaymentSession)
	body, _ := json.Marshal(sessionRequest("PR_IDEM", "4200", ""))
	_, first := e.rawCall(path, testClientID, e.keys.merchant, body)
	// The same request with other whitespace is the same request.
	_, replay := e.rawCall(path, testClientID, e.keys.merchant, append(append([]byte(nil), body...), ' ', '\n'))
	if string(first) != string(replay) {
		t.Errorf("replay answer differs:\n%s\n%s", first, replay)
	}
	other, _ := json.Marshal(sessionRequest("PR_IDEM", "4300", ""))
	_, b := e.rawCall(path, testClientID, e.keys.merchant, other)
	if r := resultOf(t, b); r.ResultStatus != "F" || r.ResultCode != "REPEAT_REQ_INCONSISTENT" {
		t.Errorf("replay with another amount: got %+v, want F REPEAT_REQ_INCONSISTENT", r)
	}
	if n := len(e.sim.Payments()); n != 1 {
		t.Errorf("%d payments, want 1", n)
	}

	var sess antom.CreatePaymentSessionResponse
	_ = json.Unmarshal(first, &sess)
	req := sessionRequest("PR_IDEM_M", "4200", "")
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	o := e.pay(e.createSession(req).PaymentSessionData, sim.CardVisaSuccess)
	cap1, err := e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_IDEM", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "100"}})
	if err != nil {
		t.Fatal(err)
	}
	cap2, err := e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_IDEM", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "100"}})
	if err != nil || cap2.CaptureID != cap1.CaptureID {
		t.Errorf("capture replay: %+v %v, want captureId %s", cap2, err, cap1.CaptureID)
	}
	_, err = e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_IDEM", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "200"}})
	wantCode(t, err, "F", "REPEAT_REQ_INCONSISTENT")
	if v, _ := e.sim.Payment("PR_IDEM_M"); v.Captured != 100 || len(v.Captures) != 1 {
		t.Errorf("captured %d in %d captures, want 100 in 1", v.Captured, len(v.Captures))
	}

	ref1, err := e.client.Refund(ctx, &antom.RefundRequest{RefundRequestID: "REF_IDEM", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "50"}})
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := e.client.Refund(ctx, &antom.RefundRequest{RefundRequestID: "REF_IDEM", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "50"}})
	if err != nil || ref2.RefundID != ref1.RefundID {
		t.Errorf("refund replay: %+v %v, want refundId %s", ref2, err, ref1.RefundID)
	}
	_, err = e.client.Refund(ctx, &antom.RefundRequest{RefundRequestID: "REF_IDEM", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "60"}})
	wantCode(t, err, "F", "REPEAT_REQ_INCONSISTENT")
}

// TestParamIllegal checks that bad requests are refused with PARAM_ILLEGAL
// naming the field, and change nothing.
func TestParamIllegal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := antom.SandboxPath(antom.PathCreatePaymentSession)
	mod := func(f func(r *antom.CreatePaymentSessionRequest)) []byte {
		r := sessionRequest("PR_BAD", "4200", "")
		f(r)
		b, _ := json.Marshal(r)
		return b
	}
	tests := []struct {
		name  string
		body  []byte
		field string
	}{
		{"no paymentRequestId", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentRequestID = "" }), "paymentRequestId"},
		{"paymentRequestId too long", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentRequestID = strings.Repeat("x", 65) }), "paymentRequestId"},
		{"non-ASCII paymentRequestId", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentRequestID = "订单1" }), "paymentRequestId"},
		{"non-ASCII orderDescription", mod(func(r *antom.CreatePaymentSessionRequest) { r.Order.OrderDescription = "测试订单" }), "order.orderDescription"},
		{"orderDescription too long", mod(func(r *antom.CreatePaymentSessionRequest) { r.Order.OrderDescription = strings.Repeat("d", 257) }), "order.orderDescription"},
		{"non-ASCII referenceOrderId", mod(func(r *antom.CreatePaymentSessionRequest) { r.Order.ReferenceOrderID = "ördér" }), "order.referenceOrderId"},
		{"decimal amount", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Value = "42.00" }), "paymentAmount.value"},
		{"negative amount", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Value = "-1" }), "paymentAmount.value"},
		{"zero amount", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Value = "0" }), "paymentAmount.value"},
		{"17-digit amount", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Value = "12345678901234567" }), "paymentAmount.value"},
		{"no currency", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Currency = "" }), "paymentAmount.currency"},
		{"bad currency", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentAmount.Currency = "sgd" }), "paymentAmount.currency"},
		{"no order", mod(func(r *antom.CreatePaymentSessionRequest) { r.Order = nil }), "order"},
		{"no paymentMethod", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentMethod = nil }), "paymentMethod"},
		{"no redirect URL", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentRedirectURL = "" }), "paymentRedirectUrl"},
		{"relative notify URL", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentNotifyURL = "/notify" }), "paymentNotifyUrl"},
		{"bad capture mode", mod(func(r *antom.CreatePaymentSessionRequest) { r.PaymentFactor.CaptureMode = "LATER" }), "paymentFactor.captureMode"},
		{"bad productCode", mod(func(r *antom.CreatePaymentSessionRequest) { r.ProductCode = "IN_STORE_PAYMENT" }), "productCode"},
		{"expiry beyond 1h", mod(func(r *antom.CreatePaymentSessionRequest) {
			r.PaymentSessionExpiryTime = time.Now().Add(2 * time.Hour).Format(time.RFC3339)
		}), "paymentSessionExpiryTime"},
		{"bad 3DS flag", mod(func(r *antom.CreatePaymentSessionRequest) {
			r.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": "maybe"}
		}), "is3DSAuthentication"},
		{"amount value as a number", []byte(`{"productCode":"CASHIER_PAYMENT","paymentRequestId":"PR_BAD","paymentAmount":{"currency":"SGD","value":4200}}`), "paymentAmount.value"},
		{"not JSON", []byte(`{"productCode":`), "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, b := e.rawCall(path, testClientID, e.keys.merchant, tt.body)
			r := resultOf(t, b)
			if r.ResultStatus != "F" || r.ResultCode != "PARAM_ILLEGAL" {
				t.Fatalf("got %s %s (%s), want F PARAM_ILLEGAL", r.ResultStatus, r.ResultCode, r.ResultMessage)
			}
			if !strings.Contains(r.ResultMessage, tt.field) {
				t.Errorf("message %q does not name %s", r.ResultMessage, tt.field)
			}
		})
	}
	if n := len(e.sim.Payments()); n != 0 {
		t.Errorf("refused requests created %d payments", n)
	}
	// The same request ID is free after a refusal.
	e.createSession(sessionRequest("PR_BAD", "4200", ""))

	ctx := context.Background()
	o := e.pay(e.createSession(sessionRequest("PR_BAD_2", "100", "")).PaymentSessionData, sim.CardVisaSuccess)
	_, err := e.client.Capture(ctx, &antom.CaptureRequest{PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	if re := resultError(t, err); re.Result.ResultCode != "PARAM_ILLEGAL" || !strings.Contains(re.Result.ResultMessage, "captureRequestId") {
		t.Errorf("capture without captureRequestId: %+v", re.Result)
	}
	_, err = e.client.Refund(ctx, &antom.RefundRequest{RefundRequestID: "R", PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: "SGD", Value: "1.5"}})
	if re := resultError(t, err); re.Result.ResultCode != "PARAM_ILLEGAL" || !strings.Contains(re.Result.ResultMessage, "refundAmount.value") {
		t.Errorf("refund with a decimal amount: %+v", re.Result)
	}
	_, err = e.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{})
	wantCode(t, err, "F", "PARAM_ILLEGAL")
}

// TestAutomaticCapture checks that AUTOMATIC capture sends PAYMENT_RESULT
// then CAPTURE_RESULT and shows the capture in transactions[].
func TestAutomaticCapture(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	sess := e.createSession(sessionRequest("PR_AUTO", "4200", rcv.url()))
	o := e.pay(sess.PaymentSessionData, sim.CardVisaSuccess)

	first := notificationOf(t, rcv.next(t))
	second := notificationOf(t, rcv.next(t))
	if first.NotifyType != antom.NotifyPaymentResult || second.NotifyType != antom.NotifyCaptureResult {
		t.Fatalf("order: %s then %s, want PAYMENT_RESULT then CAPTURE_RESULT", first.NotifyType, second.NotifyType)
	}
	if first.Result.ResultStatus != "S" || first.PaymentID != o.PaymentID || first.PaymentAmount.Value != "4200" || first.PaymentTime == "" {
		t.Errorf("PAYMENT_RESULT = %+v", first)
	}
	if second.CaptureAmount.Value != "4200" || second.CaptureID == "" || second.CaptureRequestID == "" || second.PaymentID != o.PaymentID {
		t.Errorf("CAPTURE_RESULT = %+v", second)
	}
	inq, err := e.client.InquiryPayment(context.Background(), &antom.InquiryPaymentRequest{PaymentRequestID: "PR_AUTO"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inq.Transactions) != 1 || inq.Transactions[0].TransactionType != "CAPTURE" || inq.Transactions[0].TransactionID != second.CaptureID {
		t.Errorf("transactions = %+v, want the automatic capture", inq.Transactions)
	}
	_, err = e.client.Capture(context.Background(), &antom.CaptureRequest{CaptureRequestID: "CAP_AUTO", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	wantCode(t, err, "F", "ORDER_STATUS_INVALID")
}

// TestLifecycleWindows uses a manual clock for session expiry, order close
// and the 7-day authorization window.
func TestLifecycleWindows(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC)
	clock := sim.NewManualClock(start)
	rcv := newReceiver(t)
	e := newEnv(t, withClock(clock))
	ctx := context.Background()

	// A session asking for 10 minutes expires then; the order closes at 14.
	req := sessionRequest("PR_EXP", "4200", rcv.url())
	req.PaymentSessionExpiryTime = start.Add(10 * time.Minute).Format(time.RFC3339)
	sess := e.createSession(req)
	if got := sess.PaymentSessionExpiryTime; got != "2026-05-11T02:10:00-08:00" {
		t.Errorf("paymentSessionExpiryTime = %q, want 2026-05-11T02:10:00-08:00", got)
	}
	clock.Advance(10 * time.Minute)
	if _, err := e.sim.Pay(ctx, sess.PaymentSessionData, sim.Card{Number: sim.CardVisaSuccess}); !errors.Is(err, sim.ErrSessionExpired) {
		t.Fatalf("Pay after expiry: %v, want ErrSessionExpired", err)
	}
	if rcv.count() != 0 {
		t.Fatal("a notification was sent before the order closed")
	}
	clock.Advance(4 * time.Minute)
	n := notificationOf(t, rcv.next(t))
	if n.NotifyType != "PAYMENT_RESULT" || n.Result.ResultStatus != "F" || n.Result.ResultCode != "ORDER_IS_CLOSED" {
		t.Errorf("close notification = %+v, want PAYMENT_RESULT F ORDER_IS_CLOSED", n)
	}
	inq, err := e.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_EXP"})
	if err != nil || inq.PaymentStatus != "FAIL" || inq.PaymentResultCode != "ORDER_IS_CLOSED" {
		t.Errorf("inquiry after close: %+v %v", inq, err)
	}
	_, err = e.client.CreatePaymentSession(ctx, req)
	wantCode(t, err, "F", "ORDER_IS_CLOSED")

	// A paid order is not closed; its authorization lasts 7 days.
	req2 := sessionRequest("PR_AUTH", "4200", "")
	req2.PaymentFactor.CaptureMode = antom.CaptureManual
	o := e.pay(e.createSession(req2).PaymentSessionData, sim.CardVisaSuccess)
	// An unpaid session created after it closes after it: once that one is
	// closed, PR_AUTH's close job has run.
	e.createSession(sessionRequest("PR_BARRIER", "4200", ""))
	clock.Advance(sim.DefaultOrderClose)
	waitFor(t, "the close jobs to run", func() bool { v, _ := e.sim.Payment("PR_BARRIER"); return v.Status == "FAIL" })
	if v, _ := e.sim.Payment("PR_AUTH"); v.Status != "SUCCESS" {
		t.Fatalf("paid order status %s after the close window, want SUCCESS", v.Status)
	}
	clock.Advance(sim.AuthorizationWindow)
	_, err = e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_LATE", PaymentID: o.PaymentID, CaptureAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	wantCode(t, err, "F", "AUTH_EXPIRED")
	_, err = e.client.Cancel(ctx, &antom.CancelRequest{PaymentID: o.PaymentID})
	wantCode(t, err, "F", "CANCEL_WINDOW_EXCEED")
}

// TestAPIFaults covers U results, U after processing, 5xx and the API filter.
func TestAPIFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	e.sim.SetFaults(sim.Faults{APIUnknown: 1})
	_, err := e.client.CreatePaymentSession(ctx, sessionRequest("PR_U", "4200", ""))
	wantCode(t, err, "U", "UNKNOWN_EXCEPTION")
	if len(e.sim.Payments()) != 0 {
		t.Fatal("a U-before-processing call created a payment")
	}
	e.createSession(sessionRequest("PR_U", "4200", "")) // the fault was for one call

	e.sim.SetFaults(sim.Faults{APIUnknown: 1, APIUnknownProcessed: true})
	_, err = e.client.CreatePaymentSession(ctx, sessionRequest("PR_U2", "4200", ""))
	wantCode(t, err, "U", "UNKNOWN_EXCEPTION")
	if _, ok := e.sim.Payment("PR_U2"); !ok {
		t.Fatal("a U-after-processing call did not create the payment")
	}
	retry := e.createSession(sessionRequest("PR_U2", "4200", ""))
	if v, _ := e.sim.Payment("PR_U2"); v.SessionData != retry.PaymentSessionData {
		t.Errorf("the retry got another session")
	}

	e.sim.SetFaults(sim.Faults{APIHTTP5xx: -1, APIs: []string{"capture"}})
	_, err = e.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_U"})
	if err != nil {
		t.Errorf("inquiryPayment is not covered by the fault but failed: %v", err)
	}
	_, err = e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "C", PaymentID: "1", CaptureAmount: antom.Amount{Currency: "SGD", Value: "1"}})
	var te *antom.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "503") {
		t.Errorf("capture under the 5xx fault: %v, want a transport error with HTTP 503", err)
	}
	if f := e.sim.Faults(); f.APIHTTP5xx != -1 {
		t.Errorf("an 'every call' fault counter changed to %d", f.APIHTTP5xx)
	}

	e.sim.SetFaults(sim.Faults{APIDelay: 300 * time.Millisecond})
	slow := antom.NewClient(e.srv.URL, testClientID, e.keys.merchant, &e.keys.antom.PublicKey, antom.WithRetries(0), antom.WithTimeout(50*time.Millisecond))
	if _, err := slow.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_U"}); !errors.As(err, &te) {
		t.Errorf("a slow answer with a 50 ms client timeout: %v, want a transport error", err)
	}
}
