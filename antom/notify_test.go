package antom

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Samples from the protocol doc (section 6 and the seed page), verbatim
// except PAYMENT_PENDING, for which the doc has no sample.
const (
	samplePaymentResult  = `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentRequestId":"paymentRequestId01","paymentId":"2020010123456789XXXX","paymentAmount":{"value":"4200","currency":"SGD"},"paymentCreateTime":"2020-01-01T12:01:00+08:30","paymentTime":"2020-01-01T12:01:01+08:30"}`
	samplePaymentPending = `{"notifyType":"PAYMENT_PENDING","result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"S","resultMessage":"processing"},"paymentRequestId":"paymentRequestId01","paymentId":"2020010123456789XXXX","paymentAmount":{"value":"4200","currency":"SGD"},"paymentCreateTime":"2020-01-01T12:01:00+08:30"}`
	sampleCaptureSuccess = `{
  "captureAmount": {
    "currency": "SGD",
    "value": "4200"
  },
  "notifyType": "CAPTURE_RESULT",
  "captureId": "2022XXXXXXX",
  "captureRequestId": "captureRequestId01",
  "captureTime": "2022-11-10T00:34:52-08:00",
  "paymentId": "2022XXXXXXX",
  "result": {
    "resultCode": "SUCCESS",
    "resultMessage": "success.",
    "resultStatus": "S"
  }
}`
	sampleCaptureFailure = `{"captureAmount":{"currency":"SGD","value":"4200"},"notifyType":"CAPTURE_RESULT","captureId":"2022XXXXXXX","captureRequestId":"captureRequestId01","captureTime":"2022-11-10T00:34:52-08:00","paymentId":"2022XXXXXXX","result":{"resultCode":"PROCESS_FAIL","resultMessage":"fail.","resultStatus":"F"}}`
	sampleRefundResult   = `{"notifyType":"REFUND_RESULT","refundAmount":{"currency":"HKD","value":"10000"},"refundId":"2021080419401080130018866020092XXXX","refundRequestId":"amsdemorefund_zhangyikai_zyk_20210804_165236_931","refundStatus":"SUCCESS","refundTime":"2021-08-04T01:52:37-07:00","result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"}}`
)

func TestParseNotificationSamples(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, n *Notification)
	}{
		{"PAYMENT_RESULT", samplePaymentResult, func(t *testing.T, n *Notification) {
			want := Notification{
				NotifyType:        NotifyPaymentResult,
				Result:            Result{ResultCode: "SUCCESS", ResultStatus: "S", ResultMessage: "success"},
				PaymentRequestID:  "paymentRequestId01",
				PaymentID:         "2020010123456789XXXX",
				PaymentAmount:     &Amount{Currency: "SGD", Value: "4200"},
				PaymentCreateTime: "2020-01-01T12:01:00+08:30",
				PaymentTime:       "2020-01-01T12:01:01+08:30",
			}
			assertNotification(t, n, want)
		}},
		{"section 14 PAYMENT_RESULT", exNotifyBody, func(t *testing.T, n *Notification) {
			if n.PaymentRequestID != "PR_20240511_0001" || n.PaymentID != "20240511194010800100188000000001" {
				t.Errorf("got IDs %q %q", n.PaymentRequestID, n.PaymentID)
			}
		}},
		{"PAYMENT_PENDING", samplePaymentPending, func(t *testing.T, n *Notification) {
			if n.NotifyType != NotifyPaymentPending || n.Result.ResultStatus != StatusSuccess || n.PaymentTime != "" {
				t.Errorf("got %+v", n)
			}
		}},
		{"CAPTURE_RESULT success", sampleCaptureSuccess, func(t *testing.T, n *Notification) {
			want := Notification{
				NotifyType:       NotifyCaptureResult,
				Result:           Result{ResultCode: "SUCCESS", ResultStatus: "S", ResultMessage: "success."},
				PaymentID:        "2022XXXXXXX",
				CaptureRequestID: "captureRequestId01",
				CaptureID:        "2022XXXXXXX",
				CaptureAmount:    &Amount{Currency: "SGD", Value: "4200"},
				CaptureTime:      "2022-11-10T00:34:52-08:00",
			}
			assertNotification(t, n, want)
		}},
		{"CAPTURE_RESULT failure", sampleCaptureFailure, func(t *testing.T, n *Notification) {
			if n.Result.ResultStatus != StatusFail || n.Result.ResultCode != CodeProcessFail {
				t.Errorf("got result %+v", n.Result)
			}
		}},
		{"REFUND_RESULT", sampleRefundResult, func(t *testing.T, n *Notification) {
			want := Notification{
				NotifyType:      NotifyRefundResult,
				Result:          Result{ResultCode: "SUCCESS", ResultStatus: "S", ResultMessage: "Success"},
				RefundRequestID: "amsdemorefund_zhangyikai_zyk_20210804_165236_931",
				RefundID:        "2021080419401080130018866020092XXXX",
				RefundAmount:    &Amount{Currency: "HKD", Value: "10000"},
				RefundStatus:    "SUCCESS",
				RefundTime:      "2021-08-04T01:52:37-07:00",
			}
			assertNotification(t, n, want)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNotification([]byte(tc.body))
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			tc.check(t, n)
		})
	}
}

func assertNotification(t *testing.T, got *Notification, want Notification) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("got  %s\nwant %s", g, w)
	}
}

// edit decodes a sample into a map, applies f and re-encodes it.
func edit(t *testing.T, body string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseNotificationRejects(t *testing.T) {
	del := func(keys ...string) func(m map[string]any) {
		return func(m map[string]any) {
			for _, k := range keys {
				delete(m, k)
			}
		}
	}
	set := func(k string, v any) func(m map[string]any) {
		return func(m map[string]any) { m[k] = v }
	}
	setResult := func(k string, v any) func(m map[string]any) {
		return func(m map[string]any) { m["result"].(map[string]any)[k] = v }
	}
	tests := []struct {
		name string
		body []byte
		msg  string
	}{
		{"empty body", []byte(""), "not valid JSON"},
		{"truncated", []byte(samplePaymentResult[:40]), "not valid JSON"},
		{"trailing garbage", []byte(samplePaymentResult + "x"), "not valid JSON"},
		{"array", []byte("[]"), "not valid JSON"},
		{"null", []byte("null"), "notifyType is missing"},
		{"empty object", []byte("{}"), "notifyType is missing"},
		{"value as a number", []byte(strings.Replace(samplePaymentResult, `"4200"`, `4200`, 1)), "not valid JSON"},
		{"no notifyType", edit(t, samplePaymentResult, del("notifyType")), "notifyType is missing"},
		{"no result", edit(t, samplePaymentResult, del("result")), "result.resultStatus is missing"},
		{"bad resultStatus", edit(t, samplePaymentResult, setResult("resultStatus", "OK")), `"OK" is not S, F or U`},
		{"no resultCode", edit(t, samplePaymentResult, setResult("resultCode", "")), "result.resultCode is missing"},
		{"payment: no paymentRequestId", edit(t, samplePaymentResult, del("paymentRequestId")), "PAYMENT_RESULT: paymentRequestId is missing"},
		{"payment: no paymentId", edit(t, samplePaymentResult, del("paymentId")), "PAYMENT_RESULT: paymentId is missing"},
		{"successful payment: no paymentAmount", edit(t, samplePaymentResult, del("paymentAmount")), "paymentAmount is missing"},
		{"payment: decimal value", edit(t, samplePaymentResult, set("paymentAmount", map[string]any{"currency": "SGD", "value": "42.00"})), "paymentAmount.value"},
		{"payment: negative value", edit(t, samplePaymentResult, set("paymentAmount", map[string]any{"currency": "SGD", "value": "-4200"})), "paymentAmount.value"},
		{"payment: no currency", edit(t, samplePaymentResult, set("paymentAmount", map[string]any{"value": "4200"})), "paymentAmount.currency"},
		{"pending: no paymentId", edit(t, samplePaymentPending, del("paymentId")), "PAYMENT_PENDING: paymentId is missing"},
		{"capture: no captureRequestId", edit(t, sampleCaptureSuccess, del("captureRequestId")), "captureRequestId is missing"},
		{"capture: no paymentId", edit(t, sampleCaptureSuccess, del("paymentId")), "CAPTURE_RESULT: paymentId is missing"},
		{"capture: no captureAmount", edit(t, sampleCaptureSuccess, del("captureAmount")), "captureAmount is missing"},
		{"capture: empty value", edit(t, sampleCaptureSuccess, set("captureAmount", map[string]any{"currency": "SGD", "value": ""})), "captureAmount.value"},
		{"refund: no refundRequestId", edit(t, sampleRefundResult, del("refundRequestId")), "refundRequestId is missing"},
		{"refund: no refundAmount", edit(t, sampleRefundResult, del("refundAmount")), "refundAmount is missing"},
		{"refund: bad currency", edit(t, sampleRefundResult, set("refundAmount", map[string]any{"currency": "hkd", "value": "1"})), "refundAmount.currency"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNotification(tc.body)
			if n != nil {
				t.Error("got a notification, want nil")
			}
			wantErrContains(t, err, tc.msg)
			if errors.Is(err, ErrUnknownNotifyType) {
				t.Error("error wraps ErrUnknownNotifyType")
			}
		})
	}

	t.Run("unknown notifyType", func(t *testing.T) {
		_, err := ParseNotification(edit(t, samplePaymentResult, set("notifyType", "DISPUTE_RESULT")))
		if !errors.Is(err, ErrUnknownNotifyType) {
			t.Fatalf("got %v, want ErrUnknownNotifyType", err)
		}
		wantErrContains(t, err, `"DISPUTE_RESULT"`)
	})
}

func TestParseNotificationOptionalFields(t *testing.T) {
	// A failed capture or refund may come without Antom's own ID.
	for _, body := range [][]byte{
		edit(t, sampleCaptureFailure, func(m map[string]any) { delete(m, "captureId"); delete(m, "captureTime") }),
		edit(t, sampleRefundResult, func(m map[string]any) {
			delete(m, "refundId")
			delete(m, "refundTime")
			delete(m, "refundStatus")
		}),
		edit(t, samplePaymentResult, func(m map[string]any) { delete(m, "paymentTime"); delete(m, "paymentCreateTime") }),
		// A failed payment may come without paymentAmount (Antom's
		// documentation shows one); the ledger knows the amount.
		edit(t, samplePaymentResult, func(m map[string]any) {
			delete(m, "paymentAmount")
			m["result"] = map[string]any{"resultCode": "DO_NOT_HONOR", "resultStatus": "F", "resultMessage": "do not honor"}
		}),
	} {
		if _, err := ParseNotification(body); err != nil {
			t.Errorf("%s: got %v, want no error", body, err)
		}
	}
}

func TestParseNotificationIgnoresUnknownFields(t *testing.T) {
	body := edit(t, samplePaymentResult, func(m map[string]any) {
		m["brandNewField"] = "x"
		m["anotherOne"] = map[string]any{"nested": []any{1, "two", nil, true}}
		m["paymentAmount"].(map[string]any)["extra"] = 1.5
		m["result"].(map[string]any)["resultDetail"] = map[string]any{}
		m["paymentResultInfo"] = map[string]any{
			"cardBrand": "VISA", "cardNo": "************0768", "newInfo": "x",
			"threeDSResult": map[string]any{"challenged": "true", "eci": "05", "unknown": []any{}},
		}
	})
	n, err := ParseNotification(body)
	if err != nil {
		t.Fatalf("got %v, want no error", err)
	}
	if n.PaymentResultInfo == nil || n.PaymentResultInfo.CardBrand != "VISA" || !bool(n.PaymentResultInfo.ThreeDSResult.Challenged) {
		t.Errorf("known nested fields lost: %+v", n.PaymentResultInfo)
	}
}

func TestDedupeKey(t *testing.T) {
	parse := func(body []byte) string {
		t.Helper()
		n, err := ParseNotification(body)
		if err != nil {
			t.Fatal(err)
		}
		return n.DedupeKey()
	}
	golden := []struct{ body, want string }{
		{samplePaymentResult, "PAYMENT_RESULT|2020010123456789XXXX|S|SUCCESS"},
		{samplePaymentPending, "PAYMENT_PENDING|2020010123456789XXXX|S|PAYMENT_IN_PROCESS"},
		{sampleCaptureSuccess, "CAPTURE_RESULT|2022XXXXXXX|S|SUCCESS"},
		{sampleCaptureFailure, "CAPTURE_RESULT|2022XXXXXXX|F|PROCESS_FAIL"},
		{sampleRefundResult, "REFUND_RESULT|2021080419401080130018866020092XXXX|S|SUCCESS|SUCCESS"},
	}
	for _, g := range golden {
		if got := parse([]byte(g.body)); got != g.want {
			t.Errorf("got %q, want %q", got, g.want)
		}
	}

	base := parse([]byte(samplePaymentResult))
	same := map[string][]byte{
		"re-encoded with other key order": edit(t, samplePaymentResult, func(map[string]any) {}),
		"extra fields":                    edit(t, samplePaymentResult, func(m map[string]any) { m["x"] = 1 }),
		"other message": edit(t, samplePaymentResult, func(m map[string]any) {
			m["result"].(map[string]any)["resultMessage"] = "Success."
		}),
		"pretty-printed": []byte(strings.ReplaceAll(samplePaymentResult, `,"`, ",\n  \"")),
	}
	for name, body := range same {
		if got := parse(body); got != base {
			t.Errorf("%s: got %q, want %q", name, got, base)
		}
	}
	different := []struct {
		name       string
		base, body []byte
	}{
		{"failure", []byte(samplePaymentResult), edit(t, samplePaymentResult, func(m map[string]any) {
			m["result"] = map[string]any{"resultCode": "ORDER_IS_CLOSED", "resultStatus": "F"}
		})},
		{"other code", []byte(samplePaymentResult), edit(t, samplePaymentResult, func(m map[string]any) {
			m["result"].(map[string]any)["resultCode"] = "OTHER"
		})},
		{"other payment", []byte(samplePaymentResult), edit(t, samplePaymentResult, func(m map[string]any) { m["paymentId"] = "other" })},
		{"pending", []byte(samplePaymentResult), edit(t, samplePaymentResult, func(m map[string]any) { m["notifyType"] = NotifyPaymentPending })},
		{"other capture", []byte(sampleCaptureSuccess), edit(t, sampleCaptureSuccess, func(m map[string]any) { m["captureId"] = "other" })},
		{"refund status", []byte(sampleRefundResult), edit(t, sampleRefundResult, func(m map[string]any) { m["refundStatus"] = "FAIL" })},
	}
	for _, tc := range different {
		if a, b := parse(tc.base), parse(tc.body); a == b {
			t.Errorf("%s: got the same key %q for both", tc.name, a)
		}
	}
	// Without Antom's ID the merchant's request ID is the subject.
	noID := edit(t, sampleCaptureFailure, func(m map[string]any) { delete(m, "captureId") })
	if got, want := parse(noID), "CAPTURE_RESULT|captureRequestId01|F|PROCESS_FAIL"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAckBody(t *testing.T) {
	var v struct {
		Result Result `json:"result"`
	}
	if err := json.Unmarshal([]byte(AckBody), &v); err != nil {
		t.Fatal(err)
	}
	if v.Result != (Result{ResultCode: "SUCCESS", ResultStatus: "S", ResultMessage: "success"}) {
		t.Errorf("got %+v", v.Result)
	}
	if strings.ContainsAny(AckBody, " \n") {
		t.Error("AckBody should be compact")
	}
}

func FuzzParseNotification(f *testing.F) {
	for _, s := range []string{
		samplePaymentResult, samplePaymentPending, sampleCaptureSuccess,
		sampleCaptureFailure, sampleRefundResult, exNotifyBody,
		"", "{}", "null", `{"notifyType":"PAYMENT_RESULT"}`,
		`{"notifyType":"REFUND_RESULT","result":{"resultCode":"X","resultStatus":"U"},"refundRequestId":"r","refundAmount":{"currency":"JPY","value":"1"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotification(body)
		if err != nil {
			if n != nil {
				t.Fatal("got a notification and an error")
			}
			return
		}
		key := n.DedupeKey()
		if key == "" || !strings.HasPrefix(key, n.NotifyType+"|") {
			t.Fatalf("bad dedupe key %q", key)
		}
		// Re-encoding an accepted notification keeps it valid and keeps its key.
		again, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := ParseNotification(again)
		if err != nil {
			t.Fatalf("re-encoded notification rejected: %v\n%s", err, again)
		}
		if n2.DedupeKey() != key {
			t.Fatalf("dedupe key changed: %q → %q", key, n2.DedupeKey())
		}
	})
}
