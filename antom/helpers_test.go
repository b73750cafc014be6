package antom

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Section 14 of the protocol doc: the worked example.
const (
	exClientID    = "SANDBOX_5X00000000000000"
	exRequestTime = "1685599933871"
	exPath        = "/ams/sandbox/api/v1/payments/createPaymentSession"
	exBody        = `{"productCode":"CASHIER_PAYMENT","paymentRequestId":"PR_20240511_0001","order":{"referenceOrderId":"ORDER_0001","orderDescription":"antom sdk test order","orderAmount":{"currency":"SGD","value":"4200"},"buyer":{"referenceBuyerId":"buyer_0001"}},"paymentAmount":{"currency":"SGD","value":"4200"},"paymentMethod":{"paymentMethodType":"CARD"},"paymentFactor":{"isAuthorization":true},"settlementStrategy":{"settlementCurrency":"SGD"},"paymentNotifyUrl":"https://merchant.example.com/antom/notify","paymentRedirectUrl":"https://merchant.example.com/return"}`
	exLen         = 647
	exSHA256      = "32e0d00f8d9cef8f456acf45eb2159d907806362a36c7209a0375abd8499b8dc"

	exNotifyPath   = "/antom/notify"
	exNotifyTime   = "2024-05-11T10:13:06+08:00"
	exNotifyBody   = `{"notifyType":"PAYMENT_RESULT","result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"},"paymentRequestId":"PR_20240511_0001","paymentId":"20240511194010800100188000000001","paymentAmount":{"value":"4200","currency":"SGD"},"paymentCreateTime":"2024-05-11T10:13:00+08:00","paymentTime":"2024-05-11T10:13:05+08:00"}`
	exNotifyLen    = 405
	exNotifySHA256 = "665c6240f81ee7bc8e80e92b4d31aa2bea46417de05aa6203f38c975d3a6cb17"
)

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func testPrivateKey(tb testing.TB, name string) *rsa.PrivateKey {
	tb.Helper()
	k, err := ParsePrivateKey(readTestdata(tb, name))
	if err != nil {
		tb.Fatalf("ParsePrivateKey(%s): %v", name, err)
	}
	return k
}

func testPublicKey(tb testing.TB, name string) *rsa.PublicKey {
	tb.Helper()
	k, err := ParsePublicKey(readTestdata(tb, name))
	if err != nil {
		tb.Fatalf("ParsePublicKey(%s): %v", name, err)
	}
	return k
}

func merchantKey(tb testing.TB) *rsa.PrivateKey { return testPrivateKey(tb, "merchant_pkcs8.pem") }
func merchantPub(tb testing.TB) *rsa.PublicKey  { return testPublicKey(tb, "merchant_public.pem") }
func antomKey(tb testing.TB) *rsa.PrivateKey    { return testPrivateKey(tb, "antom_pkcs8.pem") }
func antomPub(tb testing.TB) *rsa.PublicKey     { return testPublicKey(tb, "antom_public.pem") }

func wantErrContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("got error %q, want it to contain %q", err, want)
	}
}
