package sim_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
)

// page is an HTML answer of the checkout.
type page struct {
	status int
	html   string
}

func getPage(t *testing.T, u string) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	res, b := do(t, req)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q", u, ct)
	}
	return page{res.StatusCode, string(b)}
}

func postForm(t *testing.T, u string, form url.Values) page {
	t.Helper()
	res, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(b)}
}

func cardForm(sessionData, number, expiry, cvc string) url.Values {
	return url.Values{"sessionData": {sessionData}, "cardNumber": {number}, "expiry": {expiry}, "cvc": {cvc}, "holder": {"Ada Buyer"}, "action": {"pay"}}
}

// TestCheckoutPage checks the form the buyer sees: the URL pattern, the
// amount in the currency's decimals, stable field names and test hooks.
func TestCheckoutPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sess := e.createSession(sessionRequest("PR_PAGE", "4200", ""))
	u := e.sim.CheckoutURL(sess.PaymentSessionData)
	if want := e.srv.URL + "/checkout?sessionData=" + url.QueryEscape(sess.PaymentSessionData); u != want {
		t.Errorf("CheckoutURL = %s, want %s", u, want)
	}
	p := getPage(t, u)
	if p.status != 200 {
		t.Fatalf("GET checkout: %d\n%s", p.status, p.html)
	}
	if got := byTestID(p.html, "amount"); got != "SGD 42.00" {
		t.Errorf("amount = %q, want SGD 42.00", got)
	}
	for _, hook := range []string{`id="cardNumber" name="cardNumber"`, `id="expiry" name="expiry"`, `id="cvc" name="cvc"`, `id="holder" name="holder"`,
		`id="pay"`, `data-testid="card-number"`, `data-testid="card-expiry"`, `data-testid="card-cvc"`, `data-testid="pay"`, sim.CardVisaSuccess} {
		if !strings.Contains(p.html, hook) {
			t.Errorf("page lacks %s", hook)
		}
	}
	if strings.Contains(p.html, `data-testid="error-`) || strings.Contains(p.html, `aria-invalid="true"`) || strings.Contains(p.html, antom.SDKFormVerificationFailed) {
		t.Error("a fresh form shows errors")
	}
	if strings.Contains(p.html, "<script") || strings.Contains(p.html, "src=\"http") {
		t.Error("the page loads scripts or external assets")
	}

	req := sessionRequest("PR_JPY", "1000", "")
	req.PaymentAmount.Currency = "JPY"
	req.Order.OrderAmount = &req.PaymentAmount
	jpy := e.createSession(req)
	if got := byTestID(getPage(t, e.sim.CheckoutURL(jpy.PaymentSessionData)).html, "amount"); got != "JPY 1,000" {
		t.Errorf("JPY amount = %q, want JPY 1,000", got)
	}

	// sessionData contains '+', '/', '=' and '&': unencoded it is another session.
	if p := getPage(t, e.srv.URL+"/checkout?sessionData="+sess.PaymentSessionData); p.status != 404 || byTestID(p.html, "sdk-event") != antom.SDKCreatePaymentParameterError {
		t.Errorf("un-encoded sessionData: %d %q, want 404 with SDK_CREATEPAYMENT_PARAMETER_ERROR", p.status, byTestID(p.html, "sdk-event"))
	}
	if p := getPage(t, e.srv.URL+"/checkout"); p.status != 400 {
		t.Errorf("no sessionData: %d, want 400", p.status)
	}
}

// TestCheckoutFormValidation shows form errors and changes nothing.
func TestCheckoutFormValidation(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	sess := e.createSession(sessionRequest("PR_FORM", "4200", rcv.url()))
	tests := []struct {
		name, number, expiry, cvc string
		field, code               string
	}{
		{"expiry month 13", sim.CardVisaSuccess, "13/30", "123", "expiry", "invalid_expiry_month"},
		{"2-digit CVC", sim.CardVisaSuccess, "12/30", "99", "cvc", "invalid_cvc"},
		{"Luhn", "4054695723100769", "12/30", "123", "cardNumber", "invalid_number"},
		{"letters", "4054abcd23100768", "12/30", "123", "cardNumber", "invalid_number"},
		{"empty number", "", "12/30", "123", "cardNumber", "incomplete_number"},
		{"past expiry", sim.CardVisaSuccess, "01/20", "123", "expiry", "invalid_expiry_year"},
		{"no slash", sim.CardVisaSuccess, "1230", "123", "expiry", "incomplete_expiry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, tt.number, tt.expiry, tt.cvc))
			if p.status != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", p.status)
			}
			if !strings.Contains(p.html, `data-testid="error-`+tt.field+`" data-code="`+tt.code+`"`) {
				t.Errorf("no %s error %s in:\n%s", tt.field, tt.code, p.html)
			}
			if n := strings.Count(p.html, `data-testid="error-`); n != 1 {
				t.Errorf("%d field errors shown, want 1", n)
			}
			if got := byTestID(p.html, "sdk-event"); got != antom.SDKFormVerificationFailed {
				t.Errorf("sdk-event = %q, want %s", got, antom.SDKFormVerificationFailed)
			}
			if strings.Contains(p.html, `value="`+tt.cvc+`"`) && tt.cvc != "" && tt.field != "cardNumber" {
				t.Error("the page echoes the CVC")
			}
		})
	}
	v, _ := e.sim.Payment("PR_FORM")
	if v.Status != antom.PaymentProcessing || v.Card != nil {
		t.Errorf("after form errors: status %s card %v, want PROCESSING and no card", v.Status, v.Card)
	}
	// Then a valid card pays.
	p := postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, "4054 6957 2310 0768", "12 / 30", "123"))
	if got := byTestID(p.html, "sdk-event"); got != antom.SDKPaymentSuccessful {
		t.Fatalf("sdk-event = %q, want SDK_PAYMENT_SUCCESSFUL\n%s", got, p.html)
	}
	if !strings.Contains(p.html, `href="https://merchant.example.com/return?order=PR_FORM"`) || !strings.Contains(p.html, `data-testid="return-link"`) {
		t.Errorf("no link back to paymentRedirectUrl:\n%s", p.html)
	}
	if got := byTestID(p.html, "payment-status"); got != "SUCCESS" {
		t.Errorf("payment-status = %q", got)
	}
	if n := notificationOf(t, rcv.next(t)); n.NotifyType != antom.NotifyPaymentResult || n.Result.ResultStatus != "S" {
		t.Errorf("notification = %+v", n)
	}
	// Reloading the checkout shows the result, not the form.
	if p := getPage(t, e.sim.CheckoutURL(sess.PaymentSessionData)); byTestID(p.html, "sdk-event") != antom.SDKPaymentSuccessful || strings.Contains(p.html, `id="cardNumber"`) {
		t.Errorf("reload after paying does not show the result")
	}
}

// TestCheckoutOutcomes covers failure cards, risk reject, the pending card
// and the buyer's cancel.
func TestCheckoutOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, card    string
		status, code, sdkEvt string
		notifyType           string
	}{
		{"visa failure", "4200", sim.CardVisaFailure, "FAIL", "ISSUER_REJECTS_TRANSACTION", antom.SDKPaymentFail, antom.NotifyPaymentResult},
		{"mastercard failure", "4200", sim.CardMastercardFailure, "FAIL", "DO_NOT_HONOR", antom.SDKPaymentFail, antom.NotifyPaymentResult},
		{"risk reject", "11", sim.CardVisaSuccess, "FAIL", "RISK_REJECT", antom.SDKPaymentFail, antom.NotifyPaymentResult},
		{"unknown card", "4200", "4111111111111111", "FAIL", "INVALID_CARD", antom.SDKPaymentFail, antom.NotifyPaymentResult},
		{"pending", "4200", sim.CardPending, "PENDING", "PAYMENT_IN_PROCESS", antom.SDKPaymentProcessing, antom.NotifyPaymentPending},
		{"korean success", "4200", sim.CardHyundaiSuccess, "SUCCESS", "SUCCESS", antom.SDKPaymentSuccessful, antom.NotifyPaymentResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcv := newReceiver(t)
			e := newEnv(t)
			req := sessionRequest("PR_OUT", tt.value, rcv.url())
			req.PaymentFactor.CaptureMode = antom.CaptureManual
			sess := e.createSession(req)
			p := postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, tt.card, "12/30", "123"))
			if got := byTestID(p.html, "payment-status"); got != tt.status {
				t.Errorf("payment-status = %q, want %s", got, tt.status)
			}
			if got := byTestID(p.html, "result-code"); got != tt.code {
				t.Errorf("result-code = %q, want %s", got, tt.code)
			}
			if got := byTestID(p.html, "sdk-event"); got != tt.sdkEvt {
				t.Errorf("sdk-event = %q, want %s", got, tt.sdkEvt)
			}
			n := notificationOf(t, rcv.next(t))
			if n.NotifyType != tt.notifyType {
				t.Errorf("notifyType = %s, want %s", n.NotifyType, tt.notifyType)
			}
			if tt.status == "FAIL" && (n.Result.ResultStatus != "F" || n.Result.ResultCode != tt.code) {
				t.Errorf("notification result = %+v, want F %s", n.Result, tt.code)
			}
			inq, err := e.client.InquiryPayment(context.Background(), &antom.InquiryPaymentRequest{PaymentRequestID: "PR_OUT"})
			if err != nil || inq.PaymentStatus != tt.status || inq.PaymentResultCode != tt.code {
				t.Errorf("inquiry: %s %s (%v), want %s %s", inq.PaymentStatus, inq.PaymentResultCode, err, tt.status, tt.code)
			}
		})
	}

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		sess := e.createSession(sessionRequest("PR_CANCEL", "4200", ""))
		form := cardForm(sess.PaymentSessionData, "", "", "")
		form.Set("action", "cancel")
		p := postForm(t, e.srv.URL+"/checkout", form)
		if got := byTestID(p.html, "sdk-event"); got != antom.SDKPaymentCancel {
			t.Errorf("sdk-event = %q, want SDK_PAYMENT_CANCEL", got)
		}
		if v, _ := e.sim.Payment("PR_CANCEL"); v.Status != antom.PaymentProcessing {
			t.Errorf("status after the buyer's cancel = %s, want PROCESSING (the session stays payable)", v.Status)
		}
		if !strings.Contains(p.html, `data-testid="retry-link"`) {
			t.Error("no way back to the payment page")
		}
	})
}

// TestCheckout3DS walks the 3DS challenge in the browser flow.
func TestCheckout3DS(t *testing.T) {
	t.Parallel()
	for _, flag := range []any{true, "true"} {
		rcv := newReceiver(t)
		e := newEnv(t)
		req := sessionRequest("PR_3DS", "4200", rcv.url())
		req.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": flag}
		sess := e.createSession(req)

		p := postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, sim.CardVisaSuccess, "12/30", "123"))
		if p.status != 200 || !strings.Contains(p.html, `id="otp"`) || byTestID(p.html, "sandbox-otp") != sim.ThreeDSOTP {
			t.Fatalf("is3DSAuthentication=%v: no challenge page with the sandbox OTP:\n%s", flag, p.html)
		}
		if byTestID(p.html, "card-last4") != "0768" {
			t.Errorf("challenge page does not name the card")
		}
		// The GET shows the pending challenge too.
		if g := getPage(t, e.sim.CheckoutURL(sess.PaymentSessionData)); !strings.Contains(g.html, `id="otp"`) {
			t.Error("reloading the checkout loses the challenge")
		}
		p = postForm(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sess.PaymentSessionData}, "otp": {"0000"}})
		if p.status != 422 || !strings.Contains(p.html, `data-code="invalid_otp"`) {
			t.Errorf("wrong OTP: %d, want 422 with invalid_otp", p.status)
		}
		if rcv.count() != 0 {
			t.Error("a notification was sent during the challenge")
		}
		p = postForm(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sess.PaymentSessionData}, "otp": {sim.ThreeDSOTP}})
		if got := byTestID(p.html, "sdk-event"); got != antom.SDKPaymentSuccessful {
			t.Fatalf("after the OTP: sdk-event %q, want SDK_PAYMENT_SUCCESSFUL", got)
		}
		n := notificationOf(t, rcv.next(t))
		if n.PaymentResultInfo == nil || n.PaymentResultInfo.ThreeDSResult == nil || !bool(n.PaymentResultInfo.ThreeDSResult.Challenged) {
			t.Errorf("notification paymentResultInfo = %+v, want a challenged threeDSResult", n.PaymentResultInfo)
		}
	}
}

// TestPay3DS covers the challenge through Pay: stop at it, fail it, or skip
// it with the exemption card.
func TestPay3DS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	newSession := func(id string) string {
		req := sessionRequest(id, "4200", "")
		req.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": "true"}
		return e.createSession(req).PaymentSessionData
	}

	sd := newSession("PR_3DS_STOP")
	o, err := e.sim.Pay(ctx, sd, sim.Card{Number: sim.CardVisaSuccess})
	if err != nil || !o.Challenge || o.Status != "PROCESSING" || o.SDKEvent != "" {
		t.Fatalf("Pay without OTP: %+v %v, want a waiting challenge", o, err)
	}
	o, err = e.sim.Pay(ctx, sd, sim.Card{Number: sim.CardVisaSuccess, OTP: sim.ThreeDSOTP})
	if err != nil || o.Status != "SUCCESS" {
		t.Errorf("Pay with OTP: %+v %v", o, err)
	}

	// A new Pay call is a new card submission with a new challenge; the
	// remaining tries are spent on the challenge page.
	sd = newSession("PR_3DS_FAIL")
	o, err = e.sim.Pay(ctx, sd, sim.Card{Number: sim.CardVisaSuccess, OTP: "9999"})
	if err != nil || o.Status != "PROCESSING" || o.FormErrors["otp"] != "invalid_otp" || o.ChallengeTriesLeft != 2 {
		t.Fatalf("wrong OTP through Pay: %+v %v", o, err)
	}
	p := postForm(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sd}, "otp": {"8888"}})
	if p.status != 422 {
		t.Errorf("second wrong OTP: %d, want 422", p.status)
	}
	p = postForm(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sd}, "otp": {"7777"}})
	if got := byTestID(p.html, "sdk-event"); got != antom.SDKPaymentFail {
		t.Errorf("third wrong OTP: sdk-event %q, want SDK_PAYMENT_FAIL", got)
	}
	if v, _ := e.sim.Payment("PR_3DS_FAIL"); v.Status != "FAIL" || v.ResultCode != "USER_PAYMENT_VERIFICATION_FAILED" {
		t.Errorf("after 3 wrong codes: %s %s, want FAIL USER_PAYMENT_VERIFICATION_FAILED", v.Status, v.ResultCode)
	}

	sd = newSession("PR_3DS_EXEMPT")
	o, err = e.sim.Pay(ctx, sd, sim.Card{Number: sim.Card3DSExemption})
	if err != nil || o.Challenge || o.Status != "SUCCESS" {
		t.Errorf("exemption card: %+v %v, want SUCCESS without a challenge", o, err)
	}
	v, _ := e.sim.Payment("PR_3DS_EXEMPT")
	if v.Card == nil || v.Card.ThreeDSResult == nil || bool(v.Card.ThreeDSResult.Challenged) || v.Card.ThreeDSResult.ExemptionType == "" {
		t.Errorf("exemption threeDSResult = %+v", v.Card)
	}
}

// TestSDKEventReport checks that the checkout reports the buyer's SDK event
// to the merchant app API, as an app would.
func TestSDKEventReport(t *testing.T) {
	t.Parallel()
	type report struct {
		path, auth string
		body       sim.SDKEvent
	}
	var mu sync.Mutex
	var got []report
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev sim.SDKEvent
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		got = append(got, report{r.URL.EscapedPath(), r.Header.Get("Authorization"), ev})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(app.Close)
	clock := sim.NewManualClock(time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, withClock(clock), withSDKEventURL(app.URL+"/api/v1/payments/{paymentRequestId}/sdk-events"))
	sess := e.createSession(sessionRequest("PR/SDK 1", "4200", ""))
	p := postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, sim.CardVisaFailure, "12/30", "123"))
	if got := byTestID(p.html, "sdk-event-report"); got != "reported: HTTP 201" {
		t.Errorf("sdk-event-report = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1", len(got))
	}
	r := got[0]
	if r.path != "/api/v1/payments/PR%2FSDK%201/sdk-events" || r.auth != "Bearer app-key" {
		t.Errorf("reported to %s with %q", r.path, r.auth)
	}
	if r.body.EventCode != antom.SDKPaymentFail || r.body.PaymentResultCode != "ISSUER_REJECTS_TRANSACTION" || !r.body.When.Equal(clock.Now()) {
		t.Errorf("report body = %+v", r.body)
	}
}

// TestSDKEventReportWithClientSecret checks that the checkout reports with
// the client secret it was opened with, as the merchant's app would: kept
// through the card form and the 3DS challenge, given to Pay as
// Card.ClientSecret, and not reported at all without one (no API key
// configured).
func TestSDKEventReportWithClientSecret(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var auths []string
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(app.Close)
	e := newEnv(t, func(cfg *sim.Config) { cfg.SDKEventURL = app.URL + "/api/v1/payments/{paymentRequestId}/sdk-events" })
	reports := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), auths...)
	}
	hidden := regexp.MustCompile(`name="clientSecret" value="([^"]*)"`)

	// The browser: checkout URL with the secret, card form, 3DS challenge.
	req := sessionRequest("PR_CS_3DS", "4200", "")
	req.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": "true"}
	sd := e.createSession(req).PaymentSessionData
	pg := getPage(t, e.sim.CheckoutURL(sd)+"&clientSecret="+url.QueryEscape("pdk_cs_A.b+c"))
	m := hidden.FindStringSubmatch(pg.html)
	if m == nil || html.UnescapeString(m[1]) != "pdk_cs_A.b+c" {
		t.Fatalf("card form keeps client secret %v, want pdk_cs_A.b+c", m)
	}
	form := cardForm(sd, sim.CardVisaSuccess, "12/30", "123")
	form.Set("clientSecret", html.UnescapeString(m[1]))
	pg = postForm(t, e.srv.URL+"/checkout", form)
	if m = hidden.FindStringSubmatch(pg.html); m == nil || html.UnescapeString(m[1]) != "pdk_cs_A.b+c" {
		t.Fatalf("challenge form keeps client secret %v, want pdk_cs_A.b+c", m)
	}
	pg = postForm(t, e.srv.URL+"/checkout/3ds", url.Values{"sessionData": {sd}, "otp": {sim.ThreeDSOTP}, "clientSecret": {html.UnescapeString(m[1])}})
	if got := byTestID(pg.html, "sdk-event-report"); got != "reported: HTTP 201" {
		t.Errorf("after the challenge: sdk-event-report %q", got)
	}
	if got := reports(); len(got) != 1 || got[0] != "Bearer pdk_cs_A.b+c" {
		t.Errorf("reports %q, want one with Bearer pdk_cs_A.b+c", got)
	}

	// Pay, given the secret.
	sd = e.createSession(sessionRequest("PR_CS_PAY", "4200", "")).PaymentSessionData
	if o, err := e.sim.Pay(context.Background(), sd, sim.Card{Number: sim.CardVisaFailure, ClientSecret: "pdk_cs_B.x"}); err != nil || o.SDKEventReport != "reported: HTTP 201" {
		t.Errorf("Pay with a client secret: %+v %v", o, err)
	}
	if got := reports(); len(got) != 2 || got[1] != "Bearer pdk_cs_B.x" {
		t.Errorf("reports %q, want the second with Bearer pdk_cs_B.x", got)
	}

	// Without a secret (and no API key configured) nothing is sent.
	sd = e.createSession(sessionRequest("PR_CS_NONE", "4200", "")).PaymentSessionData
	o, err := e.sim.Pay(context.Background(), sd, sim.Card{Number: sim.CardVisaSuccess})
	if err != nil || !strings.HasPrefix(o.SDKEventReport, "not reported") {
		t.Errorf("Pay without a client secret: report %q (%v), want not reported", o.SDKEventReport, err)
	}
	if got := reports(); len(got) != 2 {
		t.Errorf("%d reports, want still 2", len(got))
	}
	// A page whose URL carries the secret does not pass it on in Referer.
	res, _ := http.Get(e.sim.CheckoutURL(sd) + "&clientSecret=x")
	if res != nil {
		res.Body.Close()
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy %q, want no-referrer", got)
		}
	}
}

// TestCheckoutExpired shows the expired page.
func TestCheckoutExpired(t *testing.T) {
	t.Parallel()
	clock := sim.NewManualClock(time.Date(2026, 5, 11, 10, 0, 0, 0, time.UTC))
	e := newEnv(t, withClock(clock), withOrderClose(2*time.Hour))
	sess := e.createSession(sessionRequest("PR_OLD", "4200", ""))
	clock.Advance(time.Hour)
	p := getPage(t, e.sim.CheckoutURL(sess.PaymentSessionData))
	if p.status != http.StatusGone || byTestID(p.html, "sdk-event") != antom.SDKPaymentError {
		t.Errorf("expired session: %d %q, want 410 SDK_PAYMENT_ERROR", p.status, byTestID(p.html, "sdk-event"))
	}
	p = postForm(t, e.srv.URL+"/checkout", cardForm(sess.PaymentSessionData, sim.CardVisaSuccess, "12/30", "123"))
	if p.status != http.StatusGone {
		t.Errorf("paying an expired session: %d, want 410", p.status)
	}
	if v, _ := e.sim.Payment("PR_OLD"); v.Status != "PROCESSING" || !v.SessionExpired {
		t.Errorf("expired session: %+v", v)
	}
}
