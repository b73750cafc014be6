package sim_test

// The details the simulator fills per test card: issuer and card facts,
// the network's references and AVS/CVV on success, the raw refusal and
// merchant advice on declines, 3-D Secure (challenge, frictionless
// exemption, failed and cancelled challenges), the acquirer's side,
// settlement when the currencies differ, and refund trace numbers.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"paydesk/antom"
	"paydesk/antom/sim"
)

func withSettlementCurrency(c string) option {
	return func(cfg *sim.Config) { cfg.SettlementCurrency = c }
}

func matches(t *testing.T, field, pattern, v string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(v) {
		t.Errorf("%s = %q, want %s", field, v, pattern)
	}
}

func (e *env) inquiry(paymentID string) *antom.InquiryPaymentResponse {
	e.t.Helper()
	r, err := e.client.InquiryPayment(context.Background(), &antom.InquiryPaymentRequest{PaymentID: paymentID})
	if err != nil {
		e.t.Fatalf("inquiryPayment: %v", err)
	}
	return r
}

func testCard(t *testing.T, number string) sim.TestCard {
	t.Helper()
	for _, c := range sim.TestCards() {
		if c.Number == number {
			return c
		}
	}
	t.Fatalf("no test card %s", number)
	return sim.TestCard{}
}

func TestSuccessDetailsPerCard(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	for i, number := range []string{sim.CardVisaSuccess, sim.CardMastercardSuccess, sim.CardHyundaiSuccess, sim.CardBrazilSuccess,
		sim.CardMexicoSuccess, sim.CardChileSuccess, sim.CardPeruSuccess} {
		card := testCard(t, number)
		t.Run(card.Brand+"_"+card.Country, func(t *testing.T) {
			o := manualPayment(t, e, "PR_OK_"+string(rune('A'+i)), rcv.url(), number)
			if o.Status != antom.PaymentSuccess {
				t.Fatalf("status %s", o.Status)
			}
			r := e.inquiry(o.PaymentID)
			info := r.PaymentResultInfo
			if info == nil {
				t.Fatal("no paymentResultInfo")
			}
			if card.Country == "" || card.Issuer == "" || card.Category == "" || card.Funding == "" || card.Region == "" {
				t.Errorf("test card %s lacks issuer facts: %+v", number, card)
			}
			if info.IssuerName != card.Issuer || info.IssuingCountry != card.Country || info.CardCategory != card.Category ||
				info.Funding != card.Funding || info.PaymentMethodRegion != card.Region || info.CardBrand != card.Brand {
				t.Errorf("card facts %+v, want those of %+v", info, card)
			}
			if card.Brand == "MASTERCARD" {
				matches(t, "networkTransactionId", `^MCC[0-9A-Z]{6}\d{4}$`, info.NetworkTransactionID)
			} else {
				matches(t, "networkTransactionId", `^\d{15}$`, info.NetworkTransactionID)
			}
			matches(t, "authorizationCode", `^[0-9A-Z]{6}$`, info.AuthorizationCode)
			matches(t, "rrn", `^\d{12}$`, info.RRN)
			if info.AvsResultRaw != "Y" || info.CvvResultRaw != "M" || info.CardholderName != sim.DefaultCardholderName {
				t.Errorf("avs %q cvv %q holder %q", info.AvsResultRaw, info.CvvResultRaw, info.CardholderName)
			}
			if info.RefusalCodeRaw != "" || info.RefusalReasonRaw != "" || info.MerchantAdviceCode != "" || info.ThreeDSResult != nil {
				t.Errorf("a success carries refusal or 3DS fields: %+v", info)
			}
			a := info.AcquirerInfo
			if a == nil || a.AcquirerName != sim.SimAcquirerName || a.AcquirerTransactionID == "" || a.AcquirerMerchantID == "" ||
				a.ReferenceRequestID == "" || a.AcquirerResultCode != "00" || a.AcquirerResultMessage == "" {
				t.Errorf("acquirerInfo %+v", a)
			}
			if a != nil && r.AcquirerReferenceNo != a.AcquirerTransactionID {
				t.Errorf("acquirerReferenceNo %q, want the acquirer's transaction ID %q", r.AcquirerReferenceNo, a.AcquirerTransactionID)
			}
			if !reflect.DeepEqual(r.AcquirerInfo, a) {
				t.Errorf("top-level acquirerInfo %+v differs from paymentResultInfo's", r.AcquirerInfo)
			}
			ci := r.CardInfo
			if ci == nil || ci.CardBrand != card.Brand || ci.IssuingCountry != card.Country || ci.Funding != card.Funding ||
				ci.PaymentMethodRegion != card.Region || ci.CardNo != info.CardNo || ci.CardToken != info.CardToken {
				t.Errorf("cardInfo %+v", ci)
			}
			if r.ActualPaymentAmount == nil || *r.ActualPaymentAmount != (antom.Amount{Currency: "SGD", Value: "4200"}) {
				t.Errorf("actualPaymentAmount %+v", r.ActualPaymentAmount)
			}
			// Deterministic: a second inquiry says the same.
			if again := e.inquiry(o.PaymentID); !reflect.DeepEqual(again.PaymentResultInfo, info) || !reflect.DeepEqual(again.PaymentDetails, r.PaymentDetails) {
				t.Error("a second inquiry differs")
			}
		})
	}
	// The notifications carry what the inquiries say.
	for i := 0; i < 7; i++ {
		n := notificationOf(t, rcv.next(t))
		r := e.inquiry(n.PaymentID)
		if !reflect.DeepEqual(n.PaymentResultInfo, r.PaymentResultInfo) || !reflect.DeepEqual(n.PaymentDetails, r.PaymentDetails) {
			t.Errorf("notification of %s differs from its inquiry:\n%+v\n%+v", n.PaymentRequestID, n.PaymentResultInfo, r.PaymentResultInfo)
		}
	}
}

func TestCardholderNameFromTheForm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.createSession(sessionRequest("PR_HOLDER", "4200", ""))
	o, err := e.sim.Pay(context.Background(), resp.PaymentSessionData, sim.Card{Number: sim.CardVisaSuccess, Holder: " Jane Q. Buyer "})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.inquiry(o.PaymentID).PaymentResultInfo.CardholderName; got != "Jane Q. Buyer" {
		t.Errorf("cardholderName = %q, want the name typed", got)
	}
}

func TestDeclineDetails(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	cases := []struct {
		card, code, raw, reason, advice string
	}{
		{sim.CardVisaFailure, "ISSUER_REJECTS_TRANSACTION", "57", "57 Transaction not permitted to cardholder", "03"},
		{sim.CardMastercardFailure, "DO_NOT_HONOR", "05", "05 Do not honor", "02"},
		{"4111111111111111", "INVALID_CARD", "14", "14 Invalid card number", "01"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			o := manualPayment(t, e, "PR_DECL_"+c.raw, rcv.url(), c.card)
			if o.Status != antom.PaymentFail || o.ResultCode != c.code {
				t.Fatalf("outcome %s %s, want FAIL %s", o.Status, o.ResultCode, c.code)
			}
			r := e.inquiry(o.PaymentID)
			info := r.PaymentResultInfo
			if info.RefusalCodeRaw != c.raw || info.RefusalReasonRaw != c.reason || info.MerchantAdviceCode != c.advice {
				t.Errorf("refusal %q %q advice %q, want %q %q %q", info.RefusalCodeRaw, info.RefusalReasonRaw, info.MerchantAdviceCode, c.raw, c.reason, c.advice)
			}
			if info.AuthorizationCode != "" || info.NetworkTransactionID != "" || info.AvsResultRaw != "" {
				t.Errorf("a decline carries authorisation fields: %+v", info)
			}
			if info.AcquirerInfo == nil || info.AcquirerInfo.AcquirerResultCode != c.raw {
				t.Errorf("acquirerInfo %+v, want result code %s", info.AcquirerInfo, c.raw)
			}
			if r.GrossSettlementAmount != nil || r.ActualPaymentAmount != nil || r.AcquirerReferenceNo != "" {
				t.Error("a declined payment has settlement fields")
			}
			n := notificationOf(t, rcv.next(t))
			if n.PaymentResultInfo == nil || n.PaymentResultInfo.MerchantAdviceCode != c.advice || n.PaymentResultInfo.RefusalReasonRaw != c.reason {
				t.Errorf("notification paymentResultInfo %+v", n.PaymentResultInfo)
			}
		})
	}
	t.Run("risk reject has no issuer refusal", func(t *testing.T) {
		resp := e.createSession(sessionRequest("PR_DECL_RISK", sim.RiskRejectAmountValue, ""))
		o := e.pay(resp.PaymentSessionData, sim.CardVisaSuccess)
		if o.ResultCode != "RISK_REJECT" {
			t.Fatalf("code %s", o.ResultCode)
		}
		info := e.inquiry(o.PaymentID).PaymentResultInfo
		if info.RefusalCodeRaw != "" || info.MerchantAdviceCode != "" || info.AcquirerInfo != nil {
			t.Errorf("risk reject carries issuer fields: %+v", info)
		}
	})
}

// threeDSSession opens a session that asks for 3DS.
func threeDSSession(e *env, id, notifyURL string) string {
	req := sessionRequest(id, "4200", notifyURL)
	req.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": true}
	return e.createSession(req).PaymentSessionData
}

func TestThreeDSResults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	uuid := `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

	t.Run("challenge passed", func(t *testing.T) {
		for _, c := range []struct{ card, eci string }{{sim.CardVisaSuccess, "05"}, {sim.CardMastercardSuccess, "02"}} {
			sd := threeDSSession(e, "PR_3DS_OK_"+c.eci, "")
			o, err := e.sim.Pay(ctx, sd, sim.Card{Number: c.card, OTP: sim.ThreeDSOTP})
			if err != nil || o.Status != antom.PaymentSuccess {
				t.Fatalf("pay: %v %s", err, o.Status)
			}
			r := e.inquiry(o.PaymentID).PaymentResultInfo.ThreeDSResult
			if r == nil || r.ThreeDSVersion != "2.2.0" || r.ECI != c.eci || !bool(r.Challenged) || !bool(r.ThreeDSOffered) ||
				r.CAVV == "" || r.XID == "" || r.ChallengeCancel != "" || r.ExemptionType != "" || r.ThreeDSTransactionStatusReason != "" {
				t.Errorf("threeDSResult %+v", r)
			}
			matches(t, "dsTransactionId", uuid, r.DSTransactionID)
		}
	})
	t.Run("frictionless exemption", func(t *testing.T) {
		for _, asked := range []bool{true, false} {
			var sd string
			if asked {
				sd = threeDSSession(e, "PR_3DS_EXEMPT", "")
			} else {
				sd = e.createSession(sessionRequest("PR_NO3DS_EXEMPT", "4200", "")).PaymentSessionData
			}
			o := e.pay(sd, sim.Card3DSExemption)
			if o.Status != antom.PaymentSuccess || o.Challenge {
				t.Fatalf("outcome %+v", o)
			}
			resp := e.inquiry(o.PaymentID)
			r := resp.PaymentResultInfo.ThreeDSResult
			if r == nil || r.ExemptionType != "LOW_RISK" || bool(r.Challenged) || !bool(r.ThreeDSOffered) || r.ECI != "05" || r.CAVV == "" {
				t.Errorf("3DS asked %v: threeDSResult %+v", asked, r)
			}
			if resp.CardInfo == nil || !reflect.DeepEqual(resp.CardInfo.ThreeDSResult, r) {
				t.Errorf("cardInfo.threeDSResult %+v", resp.CardInfo)
			}
		}
	})
	t.Run("challenge failed", func(t *testing.T) {
		sd := threeDSSession(e, "PR_3DS_BAD", "")
		if o := e.pay(sd, sim.CardVisaSuccess); !o.Challenge {
			t.Fatalf("no challenge: %+v", o)
		}
		// Three wrong codes on the challenge page.
		for i := 0; i < 3; i++ {
			do(t, mustRequest(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sd}, "otp": {"0000"}}))
		}
		resp, err := e.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_3DS_BAD"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.PaymentStatus != antom.PaymentFail || resp.PaymentResultCode != "USER_PAYMENT_VERIFICATION_FAILED" {
			t.Fatalf("payment %s %s", resp.PaymentStatus, resp.PaymentResultCode)
		}
		r := resp.PaymentResultInfo.ThreeDSResult
		if r == nil || !bool(r.Challenged) || r.ThreeDSTransactionStatusReason != "01" || r.ECI != "07" || r.CAVV != "" || r.ChallengeCancel != "" {
			t.Errorf("threeDSResult %+v", r)
		}
	})
	t.Run("challenge cancelled by the buyer", func(t *testing.T) {
		rcv := newReceiver(t)
		sd := threeDSSession(e, "PR_3DS_CANCEL", rcv.url())
		o := e.pay(sd, sim.CardMastercardSuccess)
		if !o.Challenge {
			t.Fatalf("no challenge: %+v", o)
		}
		o, err := e.sim.CancelChallenge(ctx, sd, "")
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != antom.PaymentFail || o.ResultCode != "USER_PAYMENT_VERIFICATION_FAILED" || o.Challenge {
			t.Fatalf("outcome %+v", o)
		}
		r := e.inquiry(o.PaymentID).PaymentResultInfo.ThreeDSResult
		if r == nil || r.ChallengeCancel != "01" || !bool(r.Challenged) || r.ECI != "00" || r.CAVV != "" {
			t.Errorf("threeDSResult %+v", r)
		}
		n := notificationOf(t, rcv.next(t))
		if n.Result.ResultCode != "USER_PAYMENT_VERIFICATION_FAILED" || n.PaymentResultInfo.ThreeDSResult.ChallengeCancel != "01" {
			t.Errorf("notification %+v", n)
		}
	})
	t.Run("cancelled through the control API", func(t *testing.T) {
		threeDSSession(e, "PR_3DS_CANCEL_API", "")
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sim/pay",
			strings.NewReader(`{"paymentRequestId":"PR_3DS_CANCEL_API","cardNumber":"`+sim.CardVisaSuccess+`","cancelChallenge":true}`))
		req.Header.Set("Content-Type", "application/json")
		res, body := do(t, req)
		var o sim.PayOutcome
		if err := json.Unmarshal(body, &o); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("answer %d %s", res.StatusCode, body)
		}
		if o.Status != antom.PaymentFail || o.ResultCode != "USER_PAYMENT_VERIFICATION_FAILED" {
			t.Errorf("outcome %+v", o)
		}
		if r := e.inquiry(o.PaymentID).PaymentResultInfo.ThreeDSResult; r == nil || r.ChallengeCancel != "01" {
			t.Errorf("threeDSResult %+v", r)
		}
	})
	t.Run("cancel on the checkout's challenge page", func(t *testing.T) {
		sd := threeDSSession(e, "PR_3DS_CANCEL_PAGE", "")
		if o := e.pay(sd, sim.CardVisaSuccess); !o.Challenge {
			t.Fatalf("no challenge: %+v", o)
		}
		page := challengePage(t, e, sd)
		if !strings.Contains(page, `data-testid="cancel-challenge"`) {
			t.Fatal("the challenge page has no cancel button")
		}
		res, body := do(t, mustRequest(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sd}, "action": {"cancel"}}))
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "USER_PAYMENT_VERIFICATION_FAILED") {
			t.Errorf("answer %d, want the failed result page: %s", res.StatusCode, body)
		}
		r, err := e.client.InquiryPayment(ctx, &antom.InquiryPaymentRequest{PaymentRequestID: "PR_3DS_CANCEL_PAGE"})
		if err != nil {
			t.Fatal(err)
		}
		if r.PaymentResultInfo == nil || r.PaymentResultInfo.ThreeDSResult == nil || r.PaymentResultInfo.ThreeDSResult.ChallengeCancel != "01" {
			t.Errorf("inquiry after the page's cancel: %+v", r.PaymentResultInfo)
		}
	})
}

func challengePage(t *testing.T, e *env, sessionData string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/checkout?sessionData="+url.QueryEscape(sessionData), nil)
	_, body := do(t, req)
	return string(body)
}

func mustRequest(t *testing.T, target string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// settledPayment pays, captures and refunds part of a payment and returns
// its inquiry, the capture and refund answers and the refund notification.
func settledPayment(t *testing.T, e *env, rcv *receiver, id string, req *antom.CreatePaymentSessionRequest) (*antom.InquiryPaymentResponse, *antom.CaptureResponse, *antom.RefundResponse, *antom.InquiryRefundResponse) {
	t.Helper()
	ctx := context.Background()
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	o := e.pay(e.createSession(req).PaymentSessionData, sim.CardVisaSuccess)
	cur := req.PaymentAmount.Currency
	capResp, err := e.client.Capture(ctx, &antom.CaptureRequest{CaptureRequestID: "CAP_" + id, PaymentID: o.PaymentID, CaptureAmount: req.PaymentAmount})
	if err != nil {
		t.Fatal(err)
	}
	refResp, err := e.client.Refund(ctx, &antom.RefundRequest{RefundRequestID: "REF_" + id, PaymentID: o.PaymentID, RefundAmount: antom.Amount{Currency: cur, Value: "1000"}})
	if err != nil {
		t.Fatal(err)
	}
	iref, err := e.client.InquiryRefund(ctx, &antom.InquiryRefundRequest{RefundID: refResp.RefundID})
	if err != nil {
		t.Fatal(err)
	}
	return e.inquiry(o.PaymentID), capResp, refResp, iref
}

func TestSettlementFieldsOnlyWhenCurrenciesDiffer(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t) // settles in USD by default

	t.Run("SGD payment settled in USD", func(t *testing.T) {
		req := sessionRequest("PR_FX", "4200", rcv.url())
		req.SettlementStrategy = nil
		r, capResp, refResp, iref := settledPayment(t, e, rcv, "FX", req)
		// 1 SGD = 1/1.35 USD = 0.74074074; 42.00 SGD → 31.11 USD.
		wantQuote := func(what string, q *antom.Quote) {
			t.Helper()
			if q == nil || q.QuoteCurrencyPair != "SGD/USD" || q.QuotePrice != "0.74074074" || q.QuoteID == "" || q.QuoteStartTime == "" {
				t.Errorf("%s settlementQuote %+v", what, q)
			}
		}
		if r.GrossSettlementAmount == nil || *r.GrossSettlementAmount != (antom.Amount{Currency: "USD", Value: "3111"}) {
			t.Errorf("grossSettlementAmount %+v, want 3111 USD", r.GrossSettlementAmount)
		}
		wantQuote("payment", r.SettlementQuote)
		if len(r.Transactions) != 2 {
			t.Fatalf("%d transactions", len(r.Transactions))
		}
		for _, tx := range r.Transactions {
			if tx.TransactionID == "" || tx.AcquirerInfo == nil || tx.AcquirerInfo.AcquirerTransactionID == "" || tx.GrossSettlementAmount == nil {
				t.Errorf("transaction %+v", tx)
			}
			wantQuote(tx.TransactionType, tx.SettlementQuote)
		}
		if r.Transactions[1].GrossSettlementAmount.Value != "741" { // 10.00 SGD refunded
			t.Errorf("refund transaction gross settlement %+v, want 741 USD", r.Transactions[1].GrossSettlementAmount)
		}
		if capResp.AcquirerInfo == nil || capResp.AcquirerInfo.AcquirerResultCode != "00" {
			t.Errorf("capture acquirerInfo %+v", capResp.AcquirerInfo)
		}
		if refResp.GrossSettlementAmount == nil || refResp.GrossSettlementAmount.Value != "741" || refResp.ActualRefundAmount == nil ||
			refResp.ActualRefundAmount.Value != "1000" || refResp.AcquirerInfo == nil {
			t.Errorf("refund response details %+v", refResp.RefundDetails)
		}
		wantQuote("refund", refResp.SettlementQuote)
		matches(t, "arn", `^\d{23}$`, refResp.ARN)
		matches(t, "refund rrn", `^\d{12}$`, refResp.RRN)
		if !reflect.DeepEqual(iref.RefundDetails, refResp.RefundDetails) {
			t.Errorf("inquiryRefund details %+v differ from the refund's %+v", iref.RefundDetails, refResp.RefundDetails)
		}
		// Notifications: payment, capture, refund.
		var sawCapture, sawRefund bool
		for i := 0; i < 3; i++ {
			n := notificationOf(t, rcv.next(t))
			switch n.NotifyType {
			case antom.NotifyPaymentResult:
				if n.GrossSettlementAmount == nil || n.GrossSettlementAmount.Value != "3111" {
					t.Errorf("notifyPayment grossSettlementAmount %+v", n.GrossSettlementAmount)
				}
			case antom.NotifyCaptureResult:
				sawCapture = true
				if !reflect.DeepEqual(n.AcquirerInfo, capResp.AcquirerInfo) || n.GrossSettlementAmount == nil {
					t.Errorf("notifyCapture acquirerInfo %+v gross %+v", n.AcquirerInfo, n.GrossSettlementAmount)
				}
			case antom.NotifyRefundResult:
				sawRefund = true
				if n.ARN != refResp.ARN || n.RRN != refResp.RRN || !reflect.DeepEqual(n.AcquirerInfo, refResp.AcquirerInfo) ||
					!reflect.DeepEqual(n.GrossSettlementAmount, refResp.GrossSettlementAmount) || !reflect.DeepEqual(n.ActualRefundAmount, refResp.ActualRefundAmount) {
					t.Errorf("notifyRefund %+v differs from the refund response %+v", n, refResp)
				}
			}
		}
		if !sawCapture || !sawRefund {
			t.Error("capture or refund notification missing")
		}
	})
	t.Run("JPY rounds to cents", func(t *testing.T) {
		req := sessionRequest("PR_FX_JPY", "1000", "")
		req.PaymentAmount.Currency, req.Order.OrderAmount.Currency = "JPY", "JPY"
		req.SettlementStrategy = nil
		o := e.pay(e.createSession(req).PaymentSessionData, sim.CardVisaSuccess)
		r := e.inquiry(o.PaymentID)
		// 1/151.6 = 0.00659630606… → 0.00659631; ¥1000 → 6.59631 USD → 660 cents.
		if r.SettlementQuote == nil || r.SettlementQuote.QuotePrice != "0.00659631" || *r.GrossSettlementAmount != (antom.Amount{Currency: "USD", Value: "660"}) {
			t.Errorf("quote %+v gross %+v", r.SettlementQuote, r.GrossSettlementAmount)
		}
	})
	t.Run("same currency has none", func(t *testing.T) {
		r, capResp, refResp, iref := settledPayment(t, e, rcv, "SAME", sessionRequest("PR_SAME", "4200", "")) // settlementStrategy SGD
		if r.GrossSettlementAmount != nil || r.SettlementQuote != nil || refResp.GrossSettlementAmount != nil || iref.SettlementQuote != nil {
			t.Error("settlement fields for a payment settled in its own currency")
		}
		for _, tx := range r.Transactions {
			if tx.GrossSettlementAmount != nil || tx.SettlementQuote != nil || tx.TransactionID == "" || tx.AcquirerInfo == nil {
				t.Errorf("transaction %+v", tx)
			}
		}
		if capResp.AcquirerInfo == nil || refResp.ARN == "" || refResp.AcquirerInfo == nil {
			t.Error("acquirer details missing without settlement")
		}
	})
	t.Run("the session's settlementStrategy wins over the configuration", func(t *testing.T) {
		e2 := newEnv(t, withSettlementCurrency("SGD"))
		req := sessionRequest("PR_CFG", "4200", "")
		req.SettlementStrategy = nil
		o := e2.pay(e2.createSession(req).PaymentSessionData, sim.CardVisaSuccess)
		if r := e2.inquiry(o.PaymentID); r.GrossSettlementAmount != nil {
			t.Errorf("configured SGD, paid SGD: gross %+v", r.GrossSettlementAmount)
		}
		req = sessionRequest("PR_CFG_EUR", "4200", "")
		req.SettlementStrategy = &antom.SettlementStrategy{SettlementCurrency: "EUR"}
		o = e2.pay(e2.createSession(req).PaymentSessionData, sim.CardVisaSuccess)
		r := e2.inquiry(o.PaymentID)
		if r.SettlementQuote == nil || r.SettlementQuote.QuoteCurrencyPair != "SGD/EUR" || r.GrossSettlementAmount.Currency != "EUR" {
			t.Errorf("quote %+v gross %+v", r.SettlementQuote, r.GrossSettlementAmount)
		}
	})
}

func TestSettlementCurrencyConfig(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	_, err := sim.New(sim.Config{ClientID: testClientID, MerchantPublicKey: &k.merchant.PublicKey, Key: k.antom, SettlementCurrency: "XXQ"})
	if err == nil || !strings.Contains(err.Error(), "SettlementCurrency") {
		t.Errorf("New with a bad settlement currency: %v", err)
	}
}

func TestCancelTransactionHasAnID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := manualPayment(t, e, "PR_CANCEL_TX", "", sim.CardVisaSuccess)
	if _, err := e.client.Cancel(context.Background(), &antom.CancelRequest{PaymentID: o.PaymentID}); err != nil {
		t.Fatal(err)
	}
	r := e.inquiry(o.PaymentID)
	if len(r.Transactions) != 1 {
		t.Fatalf("%d transactions", len(r.Transactions))
	}
	tx := r.Transactions[0]
	if tx.TransactionType != antom.TxCancel || tx.AcquirerInfo == nil || tx.TransactionRequestID != "" {
		t.Errorf("cancel transaction %+v", tx)
	}
	matches(t, "cancel transactionId", `^\d{8}194010\d{21}$`, tx.TransactionID)
	if again := e.inquiry(o.PaymentID).Transactions[0]; again.TransactionID != tx.TransactionID {
		t.Error("the cancel transactionId changes between inquiries")
	}
}

// TestDetailsSurviveRestart: the details are the same after the simulator
// restarts from its state file.
func TestDetailsSurviveRestart(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "state.json")
	e := newEnv(t, withStateFile(state))
	req := sessionRequest("PR_RESTART_FX", "4200", "")
	req.SettlementStrategy = nil
	req.PaymentFactor.CaptureMode = antom.CaptureManual
	o, err := e.sim.Pay(context.Background(), e.createSession(req).PaymentSessionData, sim.Card{Number: sim.CardMastercardSuccess, Holder: "Ann Example"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(e.inquiry(o.PaymentID))
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// Restart with another configured settlement currency: the payment
	// keeps the one it was made with.
	e2 := newEnv(t, withStateFile(state), withSettlementCurrency("EUR"))
	after, _ := json.Marshal(e2.inquiry(o.PaymentID))
	if string(before) != string(after) {
		t.Errorf("inquiry after restart differs:\n%s\n%s", before, after)
	}
	if !strings.Contains(string(after), `"cardholderName":"Ann Example"`) || !strings.Contains(string(after), `"quoteCurrencyPair":"SGD/USD"`) {
		t.Errorf("inquiry after restart: %s", after)
	}
}

func TestExtendInfoIsAString(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/ams/api/v1/payments/createPaymentSession"
	build := func(id, extendInfo string) []byte {
		req := sessionRequest(id, "4200", "")
		b, _ := json.Marshal(req)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		pm := m["paymentMethod"].(map[string]any)
		pm["extendInfo"] = json.RawMessage(extendInfo)
		b, _ = json.Marshal(m)
		return b
	}
	// As the official clients send it: a string holding JSON text.
	_, body := e.rawCall(path, testClientID, e.keys.merchant, build("PR_EXT_STR", `"{\"cardholderEmail\":\"a@example.com\"}"`))
	if r := resultOf(t, body); r.ResultStatus != antom.StatusSuccess {
		t.Errorf("extendInfo as a string: %+v", r)
	}
	// An object is not Antom's type.
	_, body = e.rawCall(path, testClientID, e.keys.merchant, build("PR_EXT_OBJ", `{"cardholderEmail":"a@example.com"}`))
	if r := resultOf(t, body); r.ResultCode != "PARAM_ILLEGAL" || !strings.Contains(r.ResultMessage, "extendInfo") || !strings.Contains(r.ResultMessage, "want a string") {
		t.Errorf("extendInfo as an object: %+v", r)
	}
}
