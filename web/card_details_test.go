package web

// The payment page's header, summaries and "Card and authorisation"
// section (issues 10 and 11), through the real router and a signed
// notification built by hand as Antom would send it.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/paths"
)

// richNotification is a PAYMENT_RESULT S with every card, authorisation,
// acquirer, settlement and buyer field.
func richNotification(t testing.TB, id string) []byte {
	return mustJSONBody(t, map[string]any{
		"notifyType":       "PAYMENT_RESULT",
		"result":           map[string]string{"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"},
		"paymentRequestId": id, "paymentId": "20990101000000000000000000000000077",
		"paymentAmount": map[string]string{"currency": "SGD", "value": "4200"},
		"paymentTime":   "2025-03-01T18:00:03+08:00",
		"paymentResultInfo": map[string]any{
			"cardBrand": "VISA", "cardNo": "411111******0768", "funding": "CREDIT", "issuerName": "DBS Bank Ltd",
			"issuingCountry": "SG", "cardCategory": "CONSUMER", "cardholderName": "Tan Ah Kow",
			"expiryMonth": "12", "expiryYear": "29", "networkTransactionId": "NTI123456789",
			"authorizationCode": "A1B2C3", "avsResultRaw": "Y", "cvvResultRaw": "M", "rrn": "412345678901",
			"threeDSResult": map[string]any{"threeDSVersion": "2.2.0", "eci": "05", "challenged": true,
				"cavv": "CAVVSECRETVALUE", "dsTransactionId": "ds-tx-1"},
		},
		"acquirerInfo":          map[string]string{"acquirerName": "Acme Acquiring", "acquirerTransactionId": "ACQTX1", "acquirerResultCode": "00", "acquirerResultMessage": "Approved"},
		"grossSettlementAmount": map[string]string{"currency": "USD", "value": "3102"},
		"settlementQuote":       map[string]any{"quoteCurrencyPair": "SGD/USD", "quotePrice": "0.7384"},
		"pspCustomerInfo":       map[string]string{"pspName": "GCASH", "pspCustomerId": "psp-cust-9"},
	})
}

func postSigned(t *testing.T, app *payApp, body []byte) {
	t.Helper()
	_, antomKey, _ := payKeys(t)
	if res, b := app.postNotification(antomKey, body, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("notification: %d %s", res.StatusCode, b)
	}
}

func TestCardSectionByRole(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	postSigned(t, app, richNotification(t, id))

	page := op.page(paths.Payment(id))
	for testID, want := range map[string]string{
		"card":              "VISA •••• 0768",
		"card-issuer":       "DBS Bank Ltd",
		"card-country":      "SG",
		"card-funding":      "Credit, consumer",
		"card-auth-code":    "A1B2C3",
		"card-network-txn":  "NTI123456789",
		"card-avs":          "Y: address and ZIP code match",
		"card-cvv":          "M: match",
		"card-3ds":          "Challenged, authenticated (ECI 05); version 2.2.0",
		"card-3ds-id":       "ds-tx-1",
		"card-rrn":          "412345678901",
		"card-acquirer":     "Acme Acquiring: 00 Approved",
		"card-settlement":   "Settles as 31.02 USD at 0.7384 SGD/USD",
		"cardholder-name":   "Tan Ah Kow",
		"card-psp-customer": "GCASH / psp-cust-9",
		"card-bin":          "411111",
		"card-expires":      "12/29",
	} {
		if got := page.text(testID); got != want {
			t.Errorf("operator: %s = %q, want %q", testID, got, want)
		}
	}
	for _, n := range page.testIDs("card-issuer") {
		if !inside(n, "card-section") || !inside(n, "payment-live") {
			t.Error("the card section is not in the live region")
		}
	}
	_, body := op.get(paths.Payment(id))
	if strings.Contains(body, "CAVVSECRETVALUE") {
		t.Error("the page shows the CAVV")
	}

	support := app.login(store.RoleSupport)
	spage := support.page(paths.Payment(id))
	if got := spage.text("card-avs"); got != "Y: address and ZIP code match" {
		t.Errorf("support: AVS %q", got)
	}
	for _, hidden := range []string{"cardholder-name", "card-psp-customer", "card-bin", "card-expires", "card-buyer"} {
		if spage.has(hidden) {
			t.Errorf("support sees %s", hidden)
		}
	}
	if !spage.has("card-buyer-hidden") {
		t.Error("support is not told the buyer fields exist")
	}
	_, sbody := support.get(paths.Payment(id))
	for _, secret := range []string{"Tan Ah Kow", "psp-cust-9", "411111", "CAVVSECRETVALUE"} {
		if strings.Contains(sbody, secret) {
			t.Errorf("support's page contains %q", secret)
		}
	}
	// The live poll renders the same gate.
	_, live := support.htmx(paths.PaymentLive(id, 0))
	if strings.Contains(live, "Tan Ah Kow") || !strings.Contains(live, "DBS Bank Ltd") {
		t.Error("the live region's card section differs from the page's gate")
	}
}

// The header has the amount, the status words and the key IDs; a decline
// shows no session expiry, no captured or refunded totals and no
// authorisation expiry, and the failure-explanation slot follows the header.
func TestDetailHierarchyOnADecline(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("amount", "42.50", "referenceOrderId", "ORD-20435"))

	page := op.page(paths.Payment(id))
	if !page.has("session-expiry") || page.has("captured") || page.has("refunded") {
		t.Errorf("awaiting payment: session expiry %v captured %v refunded %v; want only the session expiry",
			page.has("session-expiry"), page.has("captured"), page.has("refunded"))
	}
	if !strings.Contains(page.text("session-card"), "Expires") {
		t.Errorf("awaiting payment: the session card has no expiry: %q", page.text("session-card"))
	}
	if got := page.text("card-empty"); got == "" {
		t.Error("no word on the missing card")
	}

	postSigned(t, app, mustJSONBody(t, map[string]any{
		"notifyType": "PAYMENT_RESULT", "paymentRequestId": id, "paymentId": "20990101000000000000000000000000078",
		"result":            map[string]string{"resultStatus": "F", "resultCode": "DO_NOT_HONOR", "resultMessage": "do not honor"},
		"paymentResultInfo": map[string]string{"refusalReasonRaw": "05 Do not honour", "merchantAdviceCode": "03", "cardBrand": "MASTERCARD", "cardNo": "************4444"},
		"authExpiryTime":    time.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339),
	}))
	if got := app.payment(id).Status; got != store.StatusFail {
		t.Fatalf("status %s, want FAIL", got)
	}
	page = op.page(paths.Payment(id))
	for _, gone := range []string{"session-expiry", "captured", "refunded", "auth-expires", "capture-state"} {
		if page.has(gone) {
			t.Errorf("a declined payment shows %s: %q", gone, page.text(gone))
		}
	}
	if strings.Contains(page.text("session-card"), "Expires") {
		t.Errorf("a declined payment's session card still shows the expiry: %q", page.text("session-card"))
	}
	if got := page.text("amount"); got != "42.50 SGD" {
		t.Errorf("amount %q", got)
	}
	for _, tid := range []string{"amount", "status-badge", "payment-id", "reference-order-id"} {
		nodes := page.testIDs(tid)
		if len(nodes) != 1 || !inside(nodes[0], "payment-header") {
			t.Errorf("%s: %d nodes, want one in the header", tid, len(nodes))
		}
	}
	if got := page.text("reference-order-id"); got != "ORD-20435" {
		t.Errorf("referenceOrderId %q", got)
	}
	if got := page.text("status-badge"); got != "Declined" {
		t.Errorf("status %q, want Declined", got)
	}
	if got := page.text("card-refusal-reason"); got != "05 Do not honour" {
		t.Errorf("refusal reason %q", got)
	}
	if got := page.text("card-advice-code"); got != "03" {
		t.Errorf("advice code %q", got)
	}
	_, body := op.get(paths.Payment(id))
	head := strings.Index(body, `data-testid="payment-header"`)
	slot := strings.Index(body, `data-testid="failure-explanation"`)
	order := strings.Index(body, `data-testid="order-card"`)
	timeline := strings.Index(body, `data-testid="timeline"`)
	if head < 0 || slot < head || order < slot || timeline < order {
		t.Errorf("page order: header %d, failure slot %d, order %d, timeline %d; want that order", head, slot, order, timeline)
	}
}

// A refund row shows its ARN and RRN; a capture its settlement.
func TestRefundRowShowsBankReferences(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	postSigned(t, app, richNotification(t, id))
	pid := app.payment(id).PaymentID
	postSigned(t, app, mustJSONBody(t, map[string]any{
		"notifyType": "CAPTURE_RESULT", "paymentId": pid, "captureRequestId": "cap-" + id, "captureId": "CAP-1",
		"result":                map[string]string{"resultStatus": "S", "resultCode": "SUCCESS"},
		"captureAmount":         map[string]string{"currency": "SGD", "value": "4200"},
		"acquirerInfo":          map[string]string{"acquirerName": "Acme Acquiring", "acquirerResultCode": "00"},
		"grossSettlementAmount": map[string]string{"currency": "USD", "value": "3102"},
		"settlementQuote":       map[string]any{"quoteCurrencyPair": "SGD/USD", "quotePrice": 0.7384},
	}))
	op2, err := app.Store.BeginRefund(context.Background(), id, 1000, "customer asked", store.AuditContext{Actor: "user:op"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	postSigned(t, app, mustJSONBody(t, antom.Notification{
		NotifyType: antom.NotifyRefundResult, Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
		RefundRequestID: op2.RequestID, RefundID: "REF-1", RefundStatus: "SUCCESS",
		RefundAmount: &antom.Amount{Currency: "SGD", Value: "1000"}, ARN: "74537605123456789012345", RRN: "998877665544",
	}))
	page := op.page(paths.Payment(id))
	if got := page.text("refund-arn"); got != "ARN 74537605123456789012345" {
		t.Errorf("refund ARN %q", got)
	}
	if got := page.text("refund-rrn"); got != "RRN 998877665544" {
		t.Errorf("refund RRN %q", got)
	}
	if got := page.text("capture-settlement"); got != "Settles as 31.02 USD at 0.7384 SGD/USD" {
		t.Errorf("capture settlement %q", got)
	}
	if got := page.text("capture-acquirer"); got != "Acme Acquiring: 00" {
		t.Errorf("capture acquirer %q", got)
	}
	if got := page.text("refunded"); !strings.HasPrefix(got, "10.00 SGD") {
		t.Errorf("refunded %q", got)
	}
}
