package handlers

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/pages"
)

func TestMoneyAndPlainMajor(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		money    string
		plain    string
	}{
		{420000, "SGD", "4,200.00 SGD", "4200.00"},
		{5, "USD", "0.05 USD", "0.05"},
		{1500, "JPY", "1,500 JPY", "1500"},
		{1234567, "KRW", "1,234,567 KRW", "1234567"},
		{0, "EUR", "0.00 EUR", "0.00"},
	}
	for _, tc := range tests {
		if got := money(tc.minor, tc.currency); got != tc.money {
			t.Errorf("money(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.money)
		}
		if got := plainMajor(tc.minor, tc.currency); got != tc.plain {
			t.Errorf("plainMajor(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.plain)
		}
	}
}

func TestFlagBadges(t *testing.T) {
	got := flagBadges(store.FlagStuck | store.FlagContradiction)
	var labels []string
	for _, b := range got {
		labels = append(labels, b.Label)
		if b.Title == "" || (b.Tone != pages.ToneWarn && b.Tone != pages.ToneBad) {
			t.Errorf("badge %+v: want a warning or failure tone with an explanation", b)
		}
	}
	if want := []string{"contradiction", "stuck"}; !slices.Equal(labels, want) {
		t.Errorf("labels = %q, want %q (most urgent first)", labels, want)
	}
	if got := flagBadges(0); len(got) != 0 {
		t.Errorf("no flags gave %d badges", len(got))
	}
	if got := flagBadges(1 << 31); len(got) != 1 || got[0].Label == "" {
		t.Errorf("an unknown flag = %+v, want a generic badge", got)
	}
}

func TestStatusBadges(t *testing.T) {
	for _, tc := range []struct {
		p     store.Payment
		label string
		tone  pages.Tone
	}{
		{store.Payment{Status: store.StatusSuccess, CaptureState: store.CaptureFull, CapturedMinor: 100}, "Captured", pages.ToneOK},
		{store.Payment{Status: store.StatusSuccess, CaptureState: store.CaptureNone}, "Authorised (not captured)", pages.ToneInfo},
		{store.Payment{Status: store.StatusSuccess, CaptureState: store.CaptureFull, CapturedMinor: 100, RefundedMinor: 100}, "Refunded", pages.ToneWarn},
		{store.Payment{Status: store.StatusFail}, "Declined", pages.ToneBad},
		{store.Payment{Status: store.StatusSessionFailed}, "Session failed", pages.ToneBad},
		{store.Payment{Status: store.StatusProcessing}, "Processing", pages.ToneInfo},
		{store.Payment{Status: store.StatusCreated}, "Awaiting payment", pages.ToneInfo},
		{store.Payment{Status: store.StatusCancelled}, "Closed unpaid", pages.ToneNeutral},
		{store.Payment{Status: store.StatusFail, ResultCode: "ORDER_IS_CLOSED"}, "Closed unpaid", pages.ToneNeutral},
		{store.Payment{Status: store.StatusExpired}, "Expired", pages.ToneWarn},
	} {
		got := shownStatus(&tc.p, time.Time{})
		if got.Tone != tc.tone || got.Label != tc.label || !strings.Contains(got.Title, string(tc.p.Status)) {
			t.Errorf("shownStatus(%s) = %+v, want %q in tone %s, the raw status in its title", tc.p.Status, got, tc.label, tc.tone)
		}
	}
	if got := captureStateBadge(store.CaptureNotApply); got.Label != "" {
		t.Errorf("N/A capture state shows %q, want nothing", got.Label)
	}
	if got := verdictBadge(store.VerdictBad); got.Tone != pages.ToneBad {
		t.Errorf("bad signature tone %s", got.Tone)
	}
	if got := outcomeBadge(store.OutcomeUnknownPayment); got.Label != "unknown payment" {
		t.Errorf("outcome label %q", got.Label)
	}
}

func TestResultText(t *testing.T) {
	tests := []struct{ status, code, msg, want string }{
		{"S", "SUCCESS", "success", "SUCCESS"},
		{"F", "PROCESS_FAIL", "General business failure.", "F PROCESS_FAIL: General business failure."},
		{"U", "", "antom: capture: timeout", "U: antom: capture: timeout"},
		{"", "", "", ""},
	}
	for _, tc := range tests {
		if got := resultText(tc.status, tc.code, tc.msg); got != tc.want {
			t.Errorf("resultText(%q, %q, %q) = %q, want %q", tc.status, tc.code, tc.msg, got, tc.want)
		}
	}
}

func TestRawTextAndPrettyJSON(t *testing.T) {
	if got := rawText([]byte("a\xffb\u00e9")); got != `a\xffb`+"\u00e9" {
		t.Errorf("rawText = %q", got)
	}
	if got := rawText([]byte(`{"a":1}`)); got != `{"a":1}` {
		t.Errorf("rawText changed valid text: %q", got)
	}
	if got, _ := prettyBounded([]byte(`{"a":{"b":[1,2]}}`)); got != "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  }\n}" {
		t.Errorf("prettyBounded = %q", got)
	}
	if got, _ := prettyBounded([]byte(`{"a":`)); got != "" {
		t.Errorf("prettyBounded of broken JSON = %q, want empty", got)
	}
}

func TestRedactJSON(t *testing.T) {
	in := []byte(`{"paymentRequestId":"p1","paymentAmount":{"value":"4200","currency":"SGD"},
		"paymentResultInfo":{"cardNo":"************0768","cardBrand":"VISA","cardholderName":"Ann Lee","lastFour":"0768"},
		"list":[{"buyerEmail":"a@b.c"}]}`)
	var got map[string]any
	if err := json.Unmarshal(redactJSON(in), &got); err != nil {
		t.Fatal(err)
	}
	info := got["paymentResultInfo"].(map[string]any)
	if info["cardNo"] != "[redacted]" || info["cardholderName"] != "[redacted]" {
		t.Errorf("card fields not redacted: %v", info)
	}
	if info["cardBrand"] != "VISA" || got["paymentRequestId"] != "p1" {
		t.Errorf("non-personal fields changed: %v", got)
	}
	if got["list"].([]any)[0].(map[string]any)["buyerEmail"] != "[redacted]" {
		t.Error("nested array not redacted")
	}
	if amount := got["paymentAmount"].(map[string]any); amount["value"] != "4200" {
		t.Errorf("amount changed: %v", amount)
	}
	if got := string(redactJSON([]byte("not json"))); strings.Contains(got, "not json") {
		t.Errorf("a non-JSON body leaked: %q", got)
	}
}

func TestASCIIProblem(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string // substring; "" means acceptable
	}{
		{"order-1 (test) #2", 64, ""},
		{"", 64, ""},
		{"订单", 64, "position 1"},
		{"abc\u00e9", 64, "position 4"},
		{"tab\there", 64, "ASCII"},
		{strings.Repeat("a", 65), 64, "At most 64"},
	}
	for _, tc := range tests {
		got := asciiProblem(tc.in, tc.max)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("asciiProblem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSessionFormValidate(t *testing.T) {
	f := sessionForm{Amount: "1,234.5", Currency: "USD", Description: "ok", CaptureMode: "MANUAL"}
	minor, errs := f.validate()
	if len(errs) != 0 || minor != 123450 {
		t.Fatalf("validate = %d %v, want 123450 and no errors", minor, errs)
	}
	f = sessionForm{Amount: "", Currency: "usd", Description: "", CaptureMode: ""}
	_, errs = f.validate()
	for _, k := range []string{"currency", "description", "captureMode"} {
		if errs[k] == "" {
			t.Errorf("no error for %s in %v", k, errs)
		}
	}
}

func TestIDParamUnescapes(t *testing.T) {
	e := echo.New()
	req := httptest.NewRequest("GET", "/payments/a%2Fb", nil)
	c := e.NewContext(req, httptest.NewRecorder())
	c.SetParamNames("id")
	c.SetParamValues("a%2Fb")
	if got := idParam(c, "id"); got != "a/b" {
		t.Errorf("idParam = %q, want a/b", got)
	}
}

func TestVerifyNotification(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"notifyType":"PAYMENT_RESULT"}`)
	sign := func(path string) string {
		h, err := antom.SignMessage(key, path, "client-1", "1700000000000", body)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	request := func(target, sig, clientID string) (*http.Request, store.DeliveryInput) {
		r := httptest.NewRequest(http.MethodPost, target, nil)
		if sig != "" {
			r.Header.Set(antom.HeaderSignature, sig)
		}
		return r, store.DeliveryInput{Path: r.URL.EscapedPath(), ClientID: clientID, RequestTime: "1700000000000"}
	}
	tests := []struct {
		name   string
		target string
		sig    string
		client string
		key    *rsa.PublicKey
		body   []byte
		want   store.Verdict
	}{
		{"good", "/webhooks/antom", sign("/webhooks/antom"), "client-1", &key.PublicKey, body, store.VerdictOK},
		{"no signature", "/webhooks/antom", "", "client-1", &key.PublicKey, body, store.VerdictMissing},
		{"no client-id", "/webhooks/antom", sign("/webhooks/antom"), "", &key.PublicKey, body, store.VerdictMissing},
		{"no key configured", "/webhooks/antom", sign("/webhooks/antom"), "client-1", nil, body, store.VerdictUnverifiable},
		{"body changed", "/webhooks/antom", sign("/webhooks/antom"), "client-1", &key.PublicKey, []byte(`{"notifyType":"PAYMENT_RESULT" }`), store.VerdictBad},
		{"other path", "/other", sign("/webhooks/antom"), "client-1", &key.PublicKey, body, store.VerdictBad},
		{"other client", "/webhooks/antom", sign("/webhooks/antom"), "client-2", &key.PublicKey, body, store.VerdictBad},
		{"query signed", "/webhooks/antom?a=1", sign("/webhooks/antom?a=1"), "client-1", &key.PublicKey, body, store.VerdictOK},
		{"query not signed", "/webhooks/antom?a=1", sign("/webhooks/antom"), "client-1", &key.PublicKey, body, store.VerdictOK},
		{"garbage header", "/webhooks/antom", "algorithm=RSA256,signature=%%%", "client-1", &key.PublicKey, body, store.VerdictBad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, in := request(tc.target, tc.sig, tc.client)
			if got := verifyNotification(tc.key, r, in, tc.body); got != tc.want {
				t.Errorf("verdict = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRedirectURL(t *testing.T) {
	tests := []struct{ base, order, want string }{
		{"http://localhost:8080/payments", "order 1", "http://localhost:8080/payments?q=order+1"},
		{"https://desk.example.com/payments?x=1", "o-2", "https://desk.example.com/payments?q=o-2&x=1"},
		{"", "o-3", ""},
	}
	for _, tc := range tests {
		if got := redirectURL(tc.base, tc.order); got != tc.want {
			t.Errorf("redirectURL(%q, %q) = %q, want %q", tc.base, tc.order, got, tc.want)
		}
	}
}
