package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"paydesk/antom"
	"paydesk/views/paths"
)

// The app API's payment carries a card object with the card,
// authorisation, 3-D Secure, acquirer and settlement details Antom
// reported, and none of the buyer-identifying ones.
func TestAPIPaymentCard(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	id := app.createSession()
	r := app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusOK)
	if _, ok := r.JSON["card"]; ok {
		t.Errorf("a payment nobody paid has a card: %s", r.Body)
	}
	resp := &antom.InquiryPaymentResponse{Result: antom.Result{ResultStatus: "S", ResultCode: "SUCCESS"},
		PaymentStatus: antom.PaymentSuccess, PaymentID: "20990101000000000000000000000000091", PaymentRequestID: id,
		PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"},
		PaymentResultInfo: &antom.PaymentResultInfo{CardBrand: "VISA", CardNo: "411111******0768", IssuerName: "DBS Bank Ltd",
			IssuingCountry: "SG", Funding: "CREDIT", CardholderName: "Tan Ah Kow", CardBin: "411111", ExpiryMonth: "12", ExpiryYear: "29",
			AuthorizationCode: "A1B2C3", NetworkTransactionID: "NTI1", AvsResultRaw: "Y", CvvResultRaw: "M",
			ThreeDSResult: &antom.ThreeDSResult{ExemptionType: "LOW_RISK", ThreeDSOffered: true, CAVV: "CAVVSECRET"}},
		PaymentDetails: antom.PaymentDetails{
			AcquirerInfo:          &antom.AcquirerInfo{AcquirerName: "Acme Acquiring", AcquirerResultCode: "00"},
			GrossSettlementAmount: &antom.Amount{Currency: "USD", Value: "3102"},
			SettlementQuote:       &antom.Quote{QuoteCurrencyPair: "SGD/USD", QuotePrice: "0.7384"},
			PspCustomerInfo:       &antom.PspCustomerInfo{PspName: "GCASH", PspCustomerID: "psp-cust-9"},
		}}
	if _, err := app.Store.ApplyInquiry(context.Background(), id, resp, "poller"); err != nil {
		t.Fatal(err)
	}
	r = app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusOK)
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"card", "brand"}, "VISA"},
		{[]string{"card", "last4"}, "0768"},
		{[]string{"card", "issuerName"}, "DBS Bank Ltd"},
		{[]string{"card", "issuingCountry"}, "SG"},
		{[]string{"card", "funding"}, "CREDIT"},
		{[]string{"card", "authorizationCode"}, "A1B2C3"},
		{[]string{"card", "networkTransactionId"}, "NTI1"},
		{[]string{"card", "avsResultRaw"}, "Y"},
		{[]string{"card", "cvvResultRaw"}, "M"},
		{[]string{"card", "threeDS", "outcome"}, "Frictionless (exemption LOW_RISK)"},
		{[]string{"card", "threeDS", "exemptionType"}, "LOW_RISK"},
		{[]string{"card", "acquirer", "name"}, "Acme Acquiring"},
		{[]string{"card", "grossSettlementAmount", "value"}, "3102"},
		{[]string{"card", "grossSettlementAmount", "currency"}, "USD"},
		{[]string{"card", "settlementQuote", "currencyPair"}, "SGD/USD"},
		{[]string{"card", "settlementQuote", "price"}, "0.7384"},
	} {
		if got := str(r.JSON, tc.path...); got != tc.want {
			t.Errorf("%s = %q, want %q", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	for _, secret := range []string{"Tan Ah Kow", "psp-cust-9", "411111", "CAVVSECRET", "cardholderName"} {
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("the API payment contains %q", secret)
		}
	}
}
