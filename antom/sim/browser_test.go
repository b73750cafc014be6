package sim_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"paydesk/antom"
	"paydesk/antom/sim"
)

// browser starts headless Chromium, or skips when it is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no Chromium installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// TestCheckoutInChromium pays a 3DS session in a real headless browser: a
// form error, then the card, the challenge, and the result page.
func TestCheckoutInChromium(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	e := newEnv(t)
	ctx := browser(t) // after newEnv: the browser closes first, then the simulator
	req := sessionRequest("PR_BROWSER", "4200", rcv.url())
	req.PaymentMethod.PaymentMethodMetaData = map[string]any{"is3DSAuthentication": "true"}
	sess := e.createSession(req)

	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return v.Value
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	do("open the checkout", chromedp.Navigate(e.sim.CheckoutURL(sess.PaymentSessionData)))
	amount := text(`[data-testid="amount"]`)
	do("submit a bad expiry",
		chromedp.SendKeys(chromedp.ID("cardNumber"), "4054 6957 2310 0768"),
		chromedp.SendKeys(chromedp.ID("expiry"), "13/30"),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(css(`[data-testid="error-expiry"]`)),
	)
	expiryErr := attr(`[data-testid="error-expiry"]`, "data-code")
	do("submit the card",
		chromedp.SetValue(chromedp.ID("expiry"), "12/30"),
		chromedp.SendKeys(chromedp.ID("cvc"), "123"),
		chromedp.Click(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.ID("otp")),
	)
	otp := text(`[data-testid="sandbox-otp"]`)
	do("answer the challenge",
		chromedp.SendKeys(chromedp.ID("otp"), sim.ThreeDSOTP),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(css(`[data-testid="return-link"]`)),
	)
	event := text(`[data-testid="sdk-event"]`)
	status := text(`[data-testid="payment-status"]`)
	href := attr(`[data-testid="return-link"]`, "href")
	if amount != "SGD 42.00" {
		t.Errorf("amount = %q", amount)
	}
	if expiryErr != "invalid_expiry_month" {
		t.Errorf("expiry error = %q, want invalid_expiry_month", expiryErr)
	}
	if otp != sim.ThreeDSOTP {
		t.Errorf("sandbox OTP shown = %q", otp)
	}
	if event != antom.SDKPaymentSuccessful || status != "SUCCESS" {
		t.Errorf("result: event %q status %q, want SDK_PAYMENT_SUCCESSFUL SUCCESS", event, status)
	}
	if href != req.PaymentRedirectURL {
		t.Errorf("return link %q, want %q", href, req.PaymentRedirectURL)
	}
	if n := notificationOf(t, rcv.next(t)); n.NotifyType != antom.NotifyPaymentResult || n.Result.ResultStatus != "S" {
		t.Errorf("notification = %+v", n)
	}
}
