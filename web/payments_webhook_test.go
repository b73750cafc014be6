package web

// The webhook through the real router: verification over the raw bytes
// and the path as received, the answers, and that every delivery is kept.

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// lastDelivery is the newest stored delivery.
func (a *payApp) lastDelivery() *store.Delivery {
	a.t.Helper()
	page, err := a.Store.ListDeliveries(context.Background(), store.DeliveryFilter{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		a.t.Fatalf("no delivery stored (err %v)", err)
	}
	d, err := a.Store.GetDelivery(context.Background(), page.Items[0].ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return d
}

func paymentResult(id, paymentID, status, code string) []byte {
	n := antom.Notification{
		NotifyType:       antom.NotifyPaymentResult,
		Result:           antom.Result{ResultCode: code, ResultStatus: status, ResultMessage: strings.ToLower(code)},
		PaymentRequestID: id, PaymentID: paymentID,
		PaymentAmount:     &antom.Amount{Currency: "SGD", Value: "4200"},
		PaymentCreateTime: "2025-01-01T00:00:00-08:00",
	}
	b, _ := jsonMarshal(n)
	return b
}

func TestWebhookAnswers(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)

	t.Run("unknown payment is acknowledged and kept", func(t *testing.T) {
		body := paymentResult("pay_from_elsewhere", "20990000000000000000000000000000042", "S", "SUCCESS")
		res, answer := app.postNotification(antomKey, body, nil)
		if res.StatusCode != http.StatusOK || answer != antom.AckBody {
			t.Fatalf("answer %d %q, want 200 and the exact ack", res.StatusCode, answer)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		d := app.lastDelivery()
		if d.Verdict != store.VerdictOK || d.Outcome != store.OutcomeUnknownPayment {
			t.Errorf("stored verdict %s outcome %s, want ok and unknown_payment", d.Verdict, d.Outcome)
		}
		if !bytes.Equal(d.Body, body) || d.ResponseStatus != 200 || d.ResponseBody != antom.AckBody {
			t.Error("the stored delivery differs from what was received or answered")
		}
		if d.Headers[http.CanonicalHeaderKey(antom.HeaderClientID)][0] != payTestClientID {
			t.Errorf("headers not stored: %v", d.Headers)
		}
	})
	t.Run("verified but malformed JSON", func(t *testing.T) {
		res, answer := app.postNotification(antomKey, []byte(`{"notifyType":"PAYMENT_RESULT",`), nil)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(answer, `"error"`) {
			t.Fatalf("answer %d %q, want 400 JSON", res.StatusCode, answer)
		}
		d := app.lastDelivery()
		if d.Verdict != store.VerdictOK || d.ParseError == "" || d.Outcome != store.OutcomeRejected || d.ResponseStatus != 400 {
			t.Errorf("stored %s/%s parse error %q status %d", d.Verdict, d.Outcome, d.ParseError, d.ResponseStatus)
		}
	})
	t.Run("verified, unknown notifyType", func(t *testing.T) {
		res, _ := app.postNotification(antomKey, []byte(`{"notifyType":"SOMETHING_NEW","result":{"resultStatus":"S","resultCode":"SUCCESS"}}`), nil)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := append([]byte(`{"notifyType":"PAYMENT_RESULT","pad":"`), bytes.Repeat([]byte("x"), handlers.MaxWebhookBody)...)
		big = append(big, `"}`...)
		res, answer := app.postNotification(antomKey, big, nil)
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "too_large") {
			t.Fatalf("answer %d %q, want 413 JSON", res.StatusCode, answer)
		}
		// Refused: summarised, with the size of what was read (the limit
		// and one byte; the rest is not read).
		d := app.lastDelivery()
		if len(d.Body) != store.RefusedBodyBudget || !d.Summarised || d.BodySize != handlers.MaxWebhookBody+1 ||
			d.Verdict != store.VerdictUnverifiable || d.ResponseStatus != 413 {
			t.Errorf("stored %d bytes of %d (summarised %v), verdict %s, status %d", len(d.Body), d.BodySize, d.Summarised, d.Verdict, d.ResponseStatus)
		}
	})
	t.Run("query string signed with the path", func(t *testing.T) {
		body := paymentResult("pay_q", "20990000000000000000000000000000043", "S", "SUCCESS")
		// Sign over "/webhooks/antom?src=x" and post to that URL.
		reqTime := "1700000000000"
		sig, _ := antom.SignMessage(antomKey, paths.WebhookAntom+"?src=x", payTestClientID, reqTime, body)
		req, _ := http.NewRequest(http.MethodPost, app.URL+paths.WebhookAntom+"?src=x", bytes.NewReader(body))
		req.Header.Set(antom.HeaderClientID, payTestClientID)
		req.Header.Set(antom.HeaderRequestTime, reqTime)
		req.Header.Set(antom.HeaderSignature, sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", res.StatusCode)
		}
	})
	t.Run("ISO request-time and un-encoded signature", func(t *testing.T) {
		body := paymentResult("pay_iso", "20990000000000000000000000000000044", "S", "SUCCESS")
		reqTime := "2025-05-11T10:13:06-08:00"
		b64, _ := antom.Sign(antomKey, antom.SignContent("POST", paths.WebhookAntom, payTestClientID, reqTime, body))
		res, _ := app.postNotification(antomKey, body, func(r *http.Request) {
			r.Header.Set(antom.HeaderRequestTime, reqTime)
			r.Header.Set(antom.HeaderSignature, "algorithm=RSA256, keyVersion=1, signature="+b64)
		})
		if res.StatusCode != http.StatusOK {
			t.Errorf("status %d, want 200", res.StatusCode)
		}
	})
}

func TestWebhookContradictionAsksForInquiry(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("captureMode", "MANUAL"))
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("authorized", app.settledAs(id, store.StatusSuccess, store.CaptureNone))
	d := app.payment(id)

	res, answer := app.postNotification(antomKey, paymentResult(id, d.PaymentID, "F", "PROCESS_FAIL"), nil)
	if res.StatusCode != http.StatusOK || answer != antom.AckBody {
		t.Fatalf("contradiction answered %d %q, want the ack", res.StatusCode, answer)
	}
	if got := app.lastDelivery().Outcome; got != store.OutcomeContradiction {
		t.Errorf("outcome %s, want contradiction", got)
	}
	after := app.payment(id)
	if after.Status != store.StatusSuccess || !after.Flags.Has(store.FlagContradiction) {
		t.Fatalf("after F: %s flags %s, want SUCCESS kept and flagged", after.Status, after.Flags)
	}
	page := op.page(paths.Payment(id))
	if !strings.Contains(strings.Join(page.texts("payment-flag"), "|"), "contradiction") {
		t.Error("the page does not flag the contradiction")
	}
	// The poller, not the webhook, asks Antom.
	inquiries := func() int {
		n := 0
		for _, e := range app.payment(id).Timeline {
			if e.Kind == store.EventInquiry {
				n++
			}
		}
		return n
	}
	before := inquiries()
	if n, err := app.Jobs.PollOnce(t.Context()); err != nil || n == 0 {
		t.Fatalf("poll round handled %d payments (err %v), want the flagged one", n, err)
	}
	if inquiries() != before+1 {
		t.Errorf("inquiries on the timeline: %d → %d, want one more", before, inquiries())
	}
	if got := app.payment(id).Status; got != store.StatusSuccess {
		t.Errorf("status after the inquiry: %s, want SUCCESS (Antom's truth)", got)
	}
}
