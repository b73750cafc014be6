package antom

import (
	"encoding/json"
	"strings"
	"testing"
)

// section14Request is the typed form of the section-14 body.
func section14Request() *CreatePaymentSessionRequest {
	return &CreatePaymentSessionRequest{
		ProductCode:      "CASHIER_PAYMENT",
		PaymentRequestID: "PR_20240511_0001",
		Order: &Order{
			ReferenceOrderID: "ORDER_0001",
			OrderDescription: "antom sdk test order",
			OrderAmount:      &Amount{Currency: "SGD", Value: "4200"},
			Buyer:            &Buyer{ReferenceBuyerID: "buyer_0001"},
		},
		PaymentAmount:      NewAmount(4200, "SGD"),
		PaymentMethod:      &PaymentMethod{PaymentMethodType: "CARD"},
		PaymentFactor:      &PaymentFactor{IsAuthorization: true},
		SettlementStrategy: &SettlementStrategy{SettlementCurrency: "SGD"},
		PaymentNotifyURL:   "https://merchant.example.com/antom/notify",
		PaymentRedirectURL: "https://merchant.example.com/return",
	}
}

func TestCreatePaymentSessionRequestEncoding(t *testing.T) {
	got, err := encodeJSON(section14Request())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != exBody {
		t.Errorf("got  %s\nwant %s", got, exBody)
	}
	// URLs keep their '&' rather than json.Marshal's \u0026.
	req := section14Request()
	req.PaymentRedirectURL = "https://m.example.com/return?a=1&b=2"
	got, _ = encodeJSON(req)
	if want := `"paymentRedirectUrl":"https://m.example.com/return?a=1&b=2"`; !strings.Contains(string(got), want) {
		t.Errorf("got %s, want it to contain %s", got, want)
	}
}

func TestFlexBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{`true`, true, false},
		{`false`, false, false},
		{`"true"`, true, false},
		{`"false"`, false, false},
		{`"TRUE"`, true, false},
		{`""`, false, false},
		{`null`, false, false},
		{`"yes"`, false, true},
		{`1`, false, true},
		{`{}`, false, true},
	}
	for _, tc := range tests {
		var f PaymentFactor
		err := json.Unmarshal([]byte(`{"isAuthorization":`+tc.in+`}`), &f)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: got error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && bool(f.IsAuthorization) != tc.want {
			t.Errorf("%s: got %v, want %v", tc.in, f.IsAuthorization, tc.want)
		}
	}
	out, _ := json.Marshal(PaymentFactor{IsAuthorization: true, CaptureMode: CaptureManual})
	if string(out) != `{"isAuthorization":true,"captureMode":"MANUAL"}` {
		t.Errorf("got %s", out)
	}
}

// Responses from the protocol doc, with unknown fields added: decoding
// must keep the known fields and never fail on the unknown ones.
func TestResponsesIgnoreUnknownFields(t *testing.T) {
	t.Run("capture", func(t *testing.T) {
		body := `{"acquirerReferenceNo":"2022091919031300010740267587902","result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"success."},"captureTime":"2022-09-19T09:59:17-07:00","paymentId":"20220919194010890100111740275820195","captureRequestId":"capture_cangxi_lj_20220920_005914_845","captureId":"20220919194010890100111740275850565","captureAmount":{"currency":"HKD","value":"10"},"newField":{"a":[1,2]}}`
		var r CaptureResponse
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.CaptureID != "20220919194010890100111740275850565" || r.CaptureAmount.Value != "10" || r.Result.ResultStatus != "S" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("inquiryRefund", func(t *testing.T) {
		body := `{"refundAmount":{"currency":"HKD","value":"10000"},"refundId":"2021080419401080130018866020092XXXX","refundRequestId":"amsdemorefund_zhangyikai_zyk_20210804_165236_931","refundStatus":"SUCCESS","refundTime":"2021-08-04T01:52:37-07:00","result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"},"arn":"x","grossSettlementAmount":{"currency":"USD","value":"1"}}`
		var r InquiryRefundResponse
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.RefundStatus != "SUCCESS" || r.RefundAmount.Value != "10000" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("inquiryPayment", func(t *testing.T) {
		body := `{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentStatus":"SUCCESS","paymentId":"p1","paymentRequestId":"r1","paymentAmount":{"currency":"SGD","value":"4200"},"transactions":[{"transactionResult":{"resultCode":"SUCCESS","resultStatus":"S"},"transactionType":"CAPTURE","transactionStatus":"SUCCESS","transactionId":"c1","transactionRequestId":"cr1","transactionAmount":{"currency":"SGD","value":"4200"},"futureField":true}],"paymentResultInfo":{"cardBrand":"VISA","threeDSResult":{"challenged":false,"threeDSVersion":"2.2"}},"redirectActionForm":{"method":"POST"}}`
		var r InquiryPaymentResponse
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Transactions) != 1 || r.Transactions[0].TransactionType != TxCapture || r.PaymentResultInfo.CardBrand != "VISA" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("inquiryPayment with null transactions", func(t *testing.T) {
		var r InquiryPaymentResponse
		if err := json.Unmarshal([]byte(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"transactions":null,"paymentStatus":"PROCESSING"}`), &r); err != nil {
			t.Fatal(err)
		}
		if r.PaymentStatus != PaymentProcessing || r.Transactions != nil {
			t.Errorf("got %+v", r)
		}
	})
}
