package web

// Antom's documented notification samples (antom/testdata/golden), signed
// with the test keys and posted to /webhooks/antom as Antom would: each is
// acknowledged and stored (about a payment Paydesk does not know), and a
// failed PAYMENT_RESULT without paymentAmount applies to a known unpaid
// payment as a failure.

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"paydesk/antom"
	"paydesk/store"
)

func readGoldenBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "antom", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookGoldenSamplesAreAcknowledged(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	for _, name := range []string{
		"notify_payment_success.json",
		"notify_capture_success.json",
		"notify_capture_failure.json",
		"notify_refund_success.json",
		"constructed/notify_payment_pending.json",
		"constructed/notify_payment_failed_no_amount.json",
	} {
		t.Run(name, func(t *testing.T) {
			body := readGoldenBody(t, name)
			n := app.deliveryCount()
			status, answer := app.qaPost(qaSigned{body: body, key: antomKey})
			if status != http.StatusOK || answer != antom.AckBody {
				t.Fatalf("answer %d %q, want 200 and the ack", status, answer)
			}
			if app.deliveryCount() != n+1 {
				t.Fatal("the delivery was not stored")
			}
			d := app.lastDelivery()
			if d.Verdict != store.VerdictOK || d.ParseError != "" || d.ResponseStatus != http.StatusOK {
				t.Errorf("stored verdict %s parse error %q status %d", d.Verdict, d.ParseError, d.ResponseStatus)
			}
			// None of the samples is about a payment this Paydesk made.
			if d.Outcome != store.OutcomeUnknownPayment {
				t.Errorf("stored outcome %s, want %s", d.Outcome, store.OutcomeUnknownPayment)
			}
		})
	}
}

func TestWebhookFailedResultWithoutAmountAppliesToUnpaidPayment(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	if p := app.payment(id); p.Status != store.StatusSessionReady {
		t.Fatalf("new payment is %s, want %s", p.Status, store.StatusSessionReady)
	}
	// The constructed sample's shape, about this payment: no paymentAmount.
	body := qaPaymentNotification(t, id, map[string]any{
		"result":        map[string]any{"resultCode": "ORDER_IS_CLOSED", "resultStatus": "F", "resultMessage": "Order is closed."},
		"paymentAmount": nil,
		"paymentTime":   nil,
	})
	status, answer := app.qaPost(qaSigned{body: body, key: antomKey})
	if status != http.StatusOK || answer != antom.AckBody {
		t.Fatalf("answer %d %q, want 200 and the ack", status, answer)
	}
	d := app.lastDelivery()
	if d.Verdict != store.VerdictOK || d.Outcome != store.OutcomeApplied {
		t.Errorf("stored verdict %s outcome %s (parse error %q), want ok and applied", d.Verdict, d.Outcome, d.ParseError)
	}
	p := app.payment(id)
	if p.Status != store.StatusFail || p.ResultCode != "ORDER_IS_CLOSED" {
		t.Errorf("payment is %s %s, want %s ORDER_IS_CLOSED", p.Status, p.ResultCode, store.StatusFail)
	}
	if p.AmountMinor != 4200 || p.Currency != "SGD" {
		t.Errorf("payment amount %d %s changed, want the 42.00 SGD it was created with", p.AmountMinor, p.Currency)
	}
}

// goldenAbout returns a golden sample with its fields set to name a
// payment this Paydesk made (the sample's amount, 42.00 SGD, is the
// session form's).
func goldenAbout(t *testing.T, name string, set map[string]string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readGoldenBody(t, name), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	return mustJSONBody(t, m)
}

func TestWebhookGoldenSamplesApplyToKnownPayment(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("captureMode", "MANUAL"))
	const paymentID = "2020010123456789XXXX" // the sample's own

	post := func(what string, body []byte) *store.Delivery {
		t.Helper()
		status, answer := app.qaPost(qaSigned{body: body, key: antomKey})
		if status != http.StatusOK || answer != antom.AckBody {
			t.Fatalf("%s: answer %d %q, want 200 and the ack", what, status, answer)
		}
		return app.lastDelivery()
	}
	d := post("payment success", goldenAbout(t, "notify_payment_success.json", map[string]string{"paymentRequestId": id}))
	if d.Outcome != store.OutcomeApplied {
		t.Errorf("payment result stored as %s (parse error %q), want applied", d.Outcome, d.ParseError)
	}
	if p := app.payment(id); p.Status != store.StatusSuccess || p.PaymentID != paymentID {
		t.Fatalf("payment is %s with paymentId %q, want %s %s", p.Status, p.PaymentID, store.StatusSuccess, paymentID)
	}
	d = post("capture success", goldenAbout(t, "notify_capture_success.json", map[string]string{"paymentId": paymentID}))
	if d.Outcome != store.OutcomeApplied {
		t.Errorf("capture result stored as %s (parse error %q), want applied", d.Outcome, d.ParseError)
	}
	if p := app.payment(id); p.Status != store.StatusSuccess || len(p.Captures) != 1 {
		t.Errorf("payment %s with %d captures, want %s with the sample's capture", p.Status, len(p.Captures), store.StatusSuccess)
	}
}
