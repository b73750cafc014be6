package main

// End-to-end tests in a real headless Chromium: the whole program as
// "make run" starts it (embedded simulator, its own data dir), a staff user
// who signs in through the login form, creates sessions, pays them in the
// simulator's hosted checkout in a second tab, and watches the detail page
// change without a reload.
//
// Chromium is Debian's /usr/bin/chromium; "make test" installs it. Without
// it the test fails, unless PAYDESK_ALLOW_SKIP_BROWSER=1. With
// PAYDESK_E2E_SCREENSHOTS=<dir> it also saves a PNG of every main screen.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"paydesk/store"
)

const (
	e2eEmail    = "e2e-admin@example.com"
	e2ePassword = "e2e admin password, long enough"

	cardSuccess  = "4054695723100768"
	cardDeclined = "4054692760174822"

	// scenarioTimeout bounds one scenario; waits inside it are bounded by it.
	scenarioTimeout = 60 * time.Second
)

// TestBrowser runs the dashboard's main flows in headless Chromium against
// the whole program: automatic capture, manual capture with step-up, and a
// declined card. Every status change is watched on a detail page that is
// never reloaded.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	app := startProgram(t)
	browser := startBrowser(t, chromium)
	shots := newShotDir(t)

	first := openTab(t, browser, "main")
	first.shot(shots, "01-login", func() { first.do("open the login page", chromedp.Navigate(app.url+"/login")) })
	first.do("sign in",
		chromedp.WaitVisible(testID("login-form")),
		chromedp.SendKeys(testID("login-email"), e2eEmail),
		chromedp.SendKeys(testID("login-password"), e2ePassword),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("payments-page")),
	)
	if role := first.text(testID("user-role")); role != "admin" {
		t.Fatalf("signed in with role %q, want admin", role)
	}
	// At 1280 px every link of an admin's nav is in view (none scrolled off).
	if clipped, err := chromedp.Run(first.ctx, chromedp.Evaluate[bool](
		`(() => { const n = document.querySelector('.nav-wide'); return n.scrollWidth > n.clientWidth + 1; })()`)); err != nil || clipped {
		t.Errorf("the nav is wider than its bar at 1280 px (clipped: %v, %v)", clipped, err)
	}

	var capturedID string // a payment with a capture, for the page pass
	ok := t.Run("automatic capture", func(t *testing.T) {
		tb := first.with(t)
		tb.do("open New session from the nav",
			chromedp.Click(chromedp.CSS(`nav a[href="/sessions/new"]`)),
			chromedp.WaitVisible(testID("session-form")),
		)
		// A non-ASCII description is refused inline and nothing is created.
		fillSession(tb, sessionInput{Amount: "42.50", Currency: "SGD", Description: "Café crème",
			OrderID: "E2E-AUTO-1", BuyerID: "buyer-auto-1", Capture: "AUTOMATIC"})
		tb.do("submit the invalid form",
			chromedp.Click(testID("session-submit")),
			chromedp.WaitVisible(testID("description-error")),
		)
		tb.shot(shots, "02-new-session-error", nil)
		if inv, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(testID("description-input"), "aria-invalid")); err != nil || inv.Value != "true" {
			t.Errorf("the refused description is not marked aria-invalid=\"true\": %+v %v", inv, err)
		}
		if got := tb.value(testID("order-id-input")); got != "E2E-AUTO-1" {
			t.Errorf("order ID after the refused submit = %q, want the typed value kept", got)
		}
		tb.do("fix the description and submit",
			chromedp.SetValue(testID("description-input"), "E2E automatic capture"),
			chromedp.Click(testID("session-submit")),
			chromedp.WaitVisible(testID("payment-page")),
		)
		prID := tb.text(testID("payment-request-id"))
		if got := tb.text(testID("status-badge")); got != "Awaiting payment" {
			t.Fatalf("new payment %s status %q, want Awaiting payment", prID, got)
		}
		if got := tb.text(testID("amount")); got != "42.50 SGD" {
			t.Errorf("detail amount = %q, want 42.50 SGD", got)
		}

		tb.markPage()
		checkout := tb.openCheckout(app.simURL)
		checkout.shot(shots, "03-checkout", nil)
		if got := checkout.text(testID("amount")); got != "SGD 42.50" {
			t.Errorf("checkout amount = %q, want SGD 42.50", got)
		}
		if got := checkout.text(testID("reference-order-id")); got != "E2E-AUTO-1" {
			t.Errorf("checkout reference = %q, want E2E-AUTO-1", got)
		}
		checkout.pay(cardSuccess)
		checkout.shot(shots, "04-checkout-result", nil)
		if ev, st := checkout.text(testID("sdk-event")), checkout.text(testID("payment-status")); ev != "SDK_PAYMENT_SUCCESSFUL" || st != "SUCCESS" {
			t.Fatalf("checkout result: event %q status %q, want SDK_PAYMENT_SUCCESSFUL SUCCESS", ev, st)
		}
		// The checkout reported the event as the app would, with the
		// payment's client secret from the payment page's link.
		if got := checkout.text(testID("sdk-event-report")); got != "reported: HTTP 201" {
			t.Errorf("checkout's SDK event report = %q, want reported: HTTP 201", got)
		}
		checkout.close()

		tb.activate()
		tb.waitFor("the payment and its capture to turn SUCCESS", `
			text('[data-testid="status-badge"]') === "Captured" &&
			text('[data-testid="raw-status"]') === "SUCCESS" &&
			text('[data-testid="capture-status"]') === "SUCCESS" &&
			text('[data-testid="capture-state"]') === "CAPTURED"`)
		tb.assertNotReloaded()
		if got := tb.text(testID("captured")); !strings.HasPrefix(got, "42.50 SGD") {
			t.Errorf("captured = %q, want 42.50 SGD", got)
		}
		if n := tb.count(`[data-testid="timeline-entry"][data-kind="notification"]`); n < 2 {
			t.Errorf("timeline has %d notification entries, want the payment and the capture results", n)
		}
		tb.waitFor("polling to stop once settled", `!document.querySelector('[data-testid="live-indicator"]')`)
		tb.shot(shots, "05-payment-detail-success", nil)
		capturedID = prID
	})
	if !ok {
		t.FailNow() // the other scenarios reuse the signed-in browser
	}

	t.Run("manual capture with step-up", func(t *testing.T) {
		tab := openTab(t, browser, "manual")
		// Signing in counts as a password confirmation for five minutes; age it
		// so the capture's confirmation asks for the password, as it does
		// later in a shift.
		expireStepUp(t, app.dataDir)
		createSession(tab, app.url, sessionInput{Amount: "25", Currency: "USD", Description: "E2E manual capture",
			OrderID: "E2E-MANUAL-1", BuyerID: "buyer-manual-1", Capture: "MANUAL"})
		tab.markPage()
		checkout := tab.openCheckout(app.simURL)
		checkout.pay(cardSuccess)
		if ev := checkout.text(testID("sdk-event")); ev != "SDK_PAYMENT_SUCCESSFUL" {
			t.Fatalf("checkout event %q, want SDK_PAYMENT_SUCCESSFUL", ev)
		}
		checkout.close()
		tab.activate()
		tab.waitFor("the payment to turn SUCCESS with a capture form", `
			text('[data-testid="status-badge"]') === "Authorised (not captured)" &&
			text('[data-testid="capture-state"]') === "NOT CAPTURED" &&
			!!document.querySelector('[data-testid="capture-form"]')`)
		tab.assertNotReloaded()
		if n := tab.count(`[data-testid="capture-row"]`); n != 0 {
			t.Fatalf("%d captures before capturing", n)
		}

		// The amount starts empty; "Full amount" fills it in (static/app.js),
		// and the first submit only asks for confirmation.
		if got := tab.value(testID("capture-amount")); got != "" {
			t.Errorf("capture amount starts as %q, want empty", got)
		}
		tab.do("fill in the full amount", chromedp.Click(testID("capture-full")))
		if got := tab.value(testID("capture-amount")); got != "25.00" {
			t.Errorf("capture amount after “Full amount” = %q, want 25.00", got)
		}
		tab.do("review the capture",
			chromedp.Click(testID("capture-submit")),
			chromedp.WaitVisible(testID("capture-confirm")),
		)
		if got := tab.text(testID("capture-confirm-text")); !strings.Contains(got, "Capture 25.00 USD of payment") {
			t.Errorf("capture confirmation %q, want it to name 25.00 USD and the payment", got)
		}
		if n := tab.count(`[data-testid="capture-row"]`); n != 0 {
			t.Fatalf("asking for confirmation made %d captures", n)
		}
		tab.shot(shots, "05b-capture-confirm", nil)
		tab.do("confirm with a wrong password",
			chromedp.SendKeys(testID("capture-password"), "not my password"),
			chromedp.Click(testID("capture-confirm-submit")),
			chromedp.WaitVisible(testID("capture-password-error")),
		)
		if n := tab.count(`[data-testid="capture-row"]`); n != 0 {
			t.Fatalf("a wrong step-up password made %d captures", n)
		}

		// Antom answers the capture "unknown" (it is processed all the same)
		// and its notification comes a little later: the page must show the
		// capture PROCESSING and then turn it SUCCESS by itself.
		setFaults(t, app.simURL, `{"apiUnknown":1,"apiUnknownProcessed":true,"apis":["capture"],"notifyDelay":"2s"}`)
		tab.do("confirm with the right password",
			chromedp.SendKeys(testID("capture-password"), e2ePassword),
			chromedp.Click(testID("capture-confirm-submit")),
			chromedp.WaitVisible(testID("capture-row")),
		)
		setFaults(t, app.simURL, `{}`)
		if got := tab.text(testID("capture-status")); got != "PROCESSING" {
			t.Errorf("capture right after the unknown answer = %q, want PROCESSING", got)
		}
		tab.markPage()
		tab.waitFor("the capture to turn SUCCESS", `
			text('[data-testid="capture-status"]') === "SUCCESS" &&
			text('[data-testid="capture-state"]') === "CAPTURED"`)
		tab.assertNotReloaded()
		if got := tab.text(testID("captured")); !strings.HasPrefix(got, "25.00 USD") {
			t.Errorf("captured = %q, want 25.00 USD", got)
		}
		if n := tab.count(`[data-testid="capture-form"]`); n != 0 {
			t.Errorf("the capture form is still offered after a full capture")
		}
		tab.shot(shots, "06-payment-detail-manual-captured", nil)
	})

	t.Run("declined card", func(t *testing.T) {
		tab := openTab(t, browser, "declined")
		createSession(tab, app.url, sessionInput{Amount: "9.99", Currency: "SGD", Description: "E2E declined card",
			OrderID: "E2E-DECLINED-1", Capture: "AUTOMATIC"}) // no buyer ID
		tab.markPage()
		checkout := tab.openCheckout(app.simURL)
		checkout.pay(cardDeclined)
		if ev, code := checkout.text(testID("sdk-event")), checkout.text(testID("result-code")); ev != "SDK_PAYMENT_FAIL" || code != "ISSUER_REJECTS_TRANSACTION" {
			t.Fatalf("checkout result: event %q code %q, want SDK_PAYMENT_FAIL ISSUER_REJECTS_TRANSACTION", ev, code)
		}
		checkout.close()
		tab.activate()
		tab.waitFor("the payment to turn FAIL", `
			text('[data-testid="status-badge"]') === "Declined" &&
			text('[data-testid="result-code"]') === "ISSUER_REJECTS_TRANSACTION"`)
		tab.assertNotReloaded()
		if who := tab.text(testID("failure-stopped-by")); who != "The card issuer" {
			t.Errorf("the live page's failure explanation says %q stopped it, want The card issuer", who)
		}
		if n := tab.count(`[data-testid="capture-row"]`); n != 0 {
			t.Errorf("a declined payment shows %d captures", n)
		}
		if n := tab.count(`[data-testid="capture-form"], [data-testid="refund-form"]`); n != 0 {
			t.Errorf("a declined payment offers capture or refund")
		}
		tab.shot(shots, "07-payment-detail-fail", nil)
		// Without a buyer ID its list row shows a dash; on a phone the cell
		// is left out (as an empty refund is) rather than an empty "Buyer:".
		const buyerCell = `tr:has(span[title="E2E-DECLINED-1"]) td[data-label="Buyer"]`
		tab.do("open the payments list", chromedp.Navigate(app.url+"/payments"), chromedp.WaitVisible(testID("payments-table")))
		if got := tab.text(buyerCell); got != "—" {
			t.Errorf("the list's buyer cell of a payment without a buyer shows %q, want —", got)
		}
		tab.do("as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile))
		shown, err := chromedp.Run(tab.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+buyerCell+`')).display`))
		if err != nil {
			t.Fatal(err)
		}
		if shown != "none" {
			t.Errorf("on a phone the buyer cell of a payment without a buyer is shown (display %q)", shown)
		}
		tab.do("back to the desktop viewport", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("identical inquiries fold into one line", func(t *testing.T) {
		tab := openTab(t, browser, "fold")
		createSession(tab, app.url, sessionInput{Amount: "5.00", Currency: "SGD", Description: "E2E inquiries fold",
			OrderID: "E2E-FOLD-1", BuyerID: "buyer-fold-1", Capture: "MANUAL"})
		// Three inquiries by the same person that all say the same thing
		// read as one timeline line (the poller's own inquiries fold too).
		// They are posted from the page's own form (its CSRF field), one
		// after the other, then the page is loaded again.
		tab.do("re-run the inquiry three times", chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.querySelector('[data-testid="inquiry-form"]');
			for (let i = 0; i < 3; i++) {
				const x = new XMLHttpRequest();
				x.open('POST', f.action, false);
				x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded');
				x.send(new URLSearchParams(new FormData(f)).toString());
				if (x.status !== 200) throw new Error('inquiry answered ' + x.status);
			}
		})()`))
		here, err := chromedp.Run(tab.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		tab.do("reload the payment", chromedp.Navigate(here), chromedp.WaitVisible(testID("payment-page")))
		tab.waitFor("a folded line", `[...document.querySelectorAll('[data-testid="timeline-fold-summary"]')].some(e => / inquiries .*, all /.test(e.textContent))`)
		tab.do("expand the folded line", chromedp.Click(testID("timeline-fold-summary")))
		tab.waitFor("the folded inquiries listed", `[...document.querySelectorAll('[data-testid="timeline-folded-entry"]')].some(e => e.offsetParent !== null)`)
		tab.shot(shots, "08-timeline-folded", nil)
	})

	t.Run("skip link and copy buttons", func(t *testing.T) {
		checkSkipLinkAndCopy(t, first.with(t), app.url, shots, capturedID)
	})
	t.Run("every page at both sizes", func(t *testing.T) {
		tb := first.with(t)
		tb.do("open the notifications", chromedp.Navigate(app.url+"/notifications"), chromedp.WaitVisible(testID("delivery-link")))
		delivery, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(testID("delivery-link"), "href"))
		if err != nil || !delivery.Exists {
			t.Fatalf("no notification to open: %v", err)
		}
		checkEveryPage(t, tb, app.url, shots, mainPages(capturedID, delivery.Value), true)
	})
	t.Run("signed-out pages at both sizes", func(t *testing.T) {
		out := openTab(t, browser, "signed-out", chromedp.WithNewBrowserContext())
		checkEveryPage(t, out, app.url, shots, []mainPage{
			{"signed-out-login", "/login", "login-form"},
			{"signed-out-not-found", "/no/such/page", "error-page"},
		}, false)
	})

	if shots != "" {
		t.Run("screenshots", func(t *testing.T) {
			tb := first.with(t)
			for _, s := range []struct{ name, path, ready string }{
				{"08-payments", "/payments", "payments-table"},
				{"09-orders", "/orders", "orders-table"},
				{"10-captures", "/captures", "captures-table"},
				{"11-notifications", "/notifications", "notifications-table"},
			} {
				tb.shot(shots, s.name, func() {
					tb.do("open "+s.path, chromedp.Navigate(app.url+s.path), chromedp.WaitVisible(testID(s.ready)))
				})
			}
			tb.shot(shots, "12-notification-raw", func() {
				tb.do("open a notification",
					chromedp.Click(testID("delivery-link")),
					chromedp.WaitVisible(testID("notification-page")),
				)
			})
			t.Logf("screenshots in %s", shots)
		})
	}
}

// --- the program -------------------------------------------------------

// program is Paydesk running as "paydesk serve".
type program struct {
	url, simURL, dataDir string
}

// startProgram runs Run(ctx, ["serve"], …) as main does, on a free loopback
// port with a temp data dir, and stops it when the test ends.
func startProgram(t *testing.T) *program {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"PAYDESK_DATA_DIR":       dir,
		"PAYDESK_ADDR":           "127.0.0.1:0",
		"PAYDESK_ADMIN_EMAIL":    e2eEmail,
		"PAYDESK_ADMIN_PASSWORD": e2ePassword,
	}
	var stdout, stderr syncBuffer
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"serve"}, envOf(env), &stdout, &stderr) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("paydesk serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("paydesk serve did not stop within 20s of its context ending")
		}
		if t.Failed() {
			t.Logf("paydesk log (tail):\n%s", tail(stderr.String(), 6000))
		}
	})

	started := regexp.MustCompile(`Paydesk is running on (\S+) \(simulator at (\S+)\)`)
	deadline := time.After(30 * time.Second)
	for {
		if m := started.FindStringSubmatch(stdout.String()); m != nil {
			return &program{url: m[1], simURL: m[2], dataDir: dir}
		}
		select {
		case err := <-done:
			t.Fatalf("paydesk serve ended before it started: %v\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("paydesk serve did not print its URL within 30s; stdout %q", stdout.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// expireStepUp ages every staff session's password confirmation past the
// step-up window. Paydesk has no setting for the window, so the test does
// to the database what five minutes would.
func expireStepUp(t *testing.T, dataDir string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, store.DBFile)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec("UPDATE staff_sessions SET password_confirmed_at = 0")
	if err != nil {
		t.Fatalf("age the step-up confirmation: %v", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("age the step-up confirmation: no staff session")
	}
}

// setFaults replaces the simulator's faults (its control API).
func setFaults(t *testing.T, simURL, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, simURL+"/sim/faults", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("set simulator faults: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("set simulator faults %s: HTTP %d", body, res.StatusCode)
	}
}

// --- the browser -------------------------------------------------------

// chromiumPath finds Debian's chromium. Missing, it fails the test: CI must
// not pass without the browser test. PAYDESK_ALLOW_SKIP_BROWSER=1 skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("PAYDESK_ALLOW_SKIP_BROWSER") == "1" {
		t.Skip("chromium is not installed (PAYDESK_ALLOW_SKIP_BROWSER=1)")
	}
	t.Fatal("chromium is not installed: run `make test`, which installs Debian's chromium, " +
		"or `apt-get install -y chromium`; set PAYDESK_ALLOW_SKIP_BROWSER=1 to skip the browser tests")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile; it closes when
// the test ends.
func startBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Do starts the browser and binds its life to bctx, which has
	// no deadline; each scenario's tab has its own.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// tab is one browser tab. base has no deadline, so a failed scenario can
// still be photographed; ctx carries the scenario's timeout.
type tab struct {
	t      *testing.T
	name   string
	base   context.Context
	ctx    context.Context
	closed bool // by close: nothing left to dump
}

// openTab opens a tab; when the test fails its screenshot and HTML are saved.
func openTab(t *testing.T, parent context.Context, name string, opts ...chromedp.ContextOption) *tab {
	t.Helper()
	base, cancelTab := chromedp.NewContext(parent, opts...)
	if err := chromedp.Do(base); err != nil {
		cancelTab()
		t.Fatalf("open tab %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(base, scenarioTimeout)
	tb := &tab{t: t, name: name, base: base, ctx: ctx}
	var mu sync.Mutex
	var problems []string
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range chromedp.Console(base) {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.URL+": "+m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			tb.dump()
		}
		cancel()
		cancelTab()
		<-consoleDone
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("tab %s: browser console: %s", name, p)
		}
	})
	return tb
}

// with returns the tab for use in subtest t (failures report there); its
// timeout starts afresh.
func (tb *tab) with(t *testing.T) *tab {
	ctx, cancel := context.WithTimeout(tb.base, scenarioTimeout)
	t.Cleanup(cancel)
	n := &tab{t: t, name: tb.name, base: tb.base, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			n.dump()
		}
	})
	return n
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("tab %s: %s: %v", tb.name, what, err)
	}
}

func (tb *tab) text(sel chromedp.CSS) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Text(sel))
	if err != nil {
		tb.t.Fatalf("tab %s: text of %s: %v", tb.name, sel, err)
	}
	return strings.TrimSpace(v)
}

func (tb *tab) value(sel chromedp.CSS) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Value(sel))
	if err != nil {
		tb.t.Fatalf("tab %s: value of %s: %v", tb.name, sel, err)
	}
	return v
}

// count is the number of elements that match a CSS selector now.
func (tb *tab) count(css string) int {
	tb.t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%s).length", strconv.Quote(css))))
	if err != nil {
		tb.t.Fatalf("tab %s: count %s: %v", tb.name, css, err)
	}
	return n
}

// waitFor polls a JavaScript condition until it holds. text(sel) is the
// trimmed text of the first match, or null. It polls on a timer, not on
// animation frames, which background tabs do not get.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	expr := `(() => { const text = (s) => { const e = document.querySelector(s); return e ? e.textContent.trim() : null; }; return (` + cond + `); })()`
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		tb.t.Fatalf("tab %s: waiting for %s: %v", tb.name, what, err)
	}
}

// markPage sets a marker on the page's window; a reload or a navigation
// would lose it.
func (tb *tab) markPage() {
	tb.t.Helper()
	tb.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eMarker = 1`))
}

// assertNotReloaded checks that the page marked by markPage is still the
// same document.
func (tb *tab) assertNotReloaded() {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__e2eMarker === 1`))
	if err != nil {
		tb.t.Fatalf("tab %s: read the page marker: %v", tb.name, err)
	}
	if !v {
		tb.t.Fatalf("tab %s: the page was reloaded (window.__e2eMarker is gone); the change did not arrive live", tb.name)
	}
}

// activate brings the tab to the front, as a person switching back to it.
func (tb *tab) activate() {
	tb.t.Helper()
	id := chromedp.FromContext(tb.base).Target.TargetID
	if _, err := chromedp.CallBrowser(tb.ctx, target.ActivateTarget, target.ActivateTargetParams{TargetID: id}); err != nil {
		tb.t.Fatalf("tab %s: activate: %v", tb.name, err)
	}
}

// openCheckout clicks "Open test checkout" (target=_blank) and returns the
// new tab, on the simulator's checkout page.
func (tb *tab) openCheckout(simURL string) *tab {
	tb.t.Helper()
	href, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(testID("open-checkout"), "href"))
	if err != nil {
		tb.t.Fatalf("tab %s: no test checkout link: %v", tb.name, err)
	}
	if !strings.HasPrefix(href.Value, simURL+"/checkout?sessionData=") {
		tb.t.Fatalf("checkout link %q is not the simulator's checkout at %s", href.Value, simURL)
	}
	opened := chromedp.WaitNewTarget(tb.ctx, func(i *target.Info) bool {
		return i.Type == "page" && strings.HasPrefix(i.URL, simURL+"/checkout")
	})
	tb.do("click Open test checkout", chromedp.Click(testID("open-checkout")))
	var id target.ID
	select {
	case v, ok := <-opened:
		if !ok {
			tb.t.Fatalf("tab %s: the checkout tab did not open", tb.name)
		}
		id = v
	case <-tb.ctx.Done():
		tb.t.Fatalf("tab %s: waiting for the checkout tab: %v", tb.name, tb.ctx.Err())
	}
	co := openTab(tb.t, tb.base, "checkout", chromedp.WithTargetID(id))
	co.do("load the checkout", chromedp.WaitVisible(testID("card-form")))
	return co
}

// pay fills the simulator's card form and waits for its result page.
func (tb *tab) pay(card string) {
	tb.t.Helper()
	expiry := fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100)
	tb.do("pay by card",
		chromedp.SendKeys(testID("card-number"), card),
		chromedp.SendKeys(testID("card-expiry"), expiry),
		chromedp.SendKeys(testID("card-cvc"), "123"),
		chromedp.SendKeys(testID("card-holder"), "E2E Buyer"),
		chromedp.Click(testID("pay")),
		chromedp.WaitVisible(testID("payment-status")),
	)
}

// close closes the tab (the checkout, once paid).
func (tb *tab) close() {
	tb.t.Helper()
	tb.closed = true
	if err := chromedp.Cancel(tb.base); err != nil && !errors.Is(err, context.Canceled) {
		tb.t.Logf("tab %s: close: %v", tb.name, err)
	}
}

// shot runs load (if any) and, when screenshots are on, saves a full-page PNG.
func (tb *tab) shot(dir, name string, load func()) {
	tb.t.Helper()
	if load != nil {
		load()
	}
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("tab %s: screenshot %s: %v", tb.name, name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// dump saves a full-page screenshot and the HTML of the tab for a failed
// test and logs where they are.
func (tb *tab) dump() {
	if tb.closed {
		return
	}
	ctx, cancel := context.WithTimeout(tb.base, 10*time.Second)
	defer cancel()
	// ArtifactDir is kept only with "go test -artifacts"; otherwise the
	// files go where they outlive the test.
	var dir string
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		dir = tb.t.ArtifactDir()
	} else {
		dir = filepath.Join(os.TempDir(), "paydesk-e2e-failures", fmt.Sprintf("%s-%d", strings.ReplaceAll(tb.t.Name(), "/", "_"), time.Now().UnixNano()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.t.Logf("tab %s: no dump: %v", tb.name, err)
			return
		}
	}
	base := filepath.Join(dir, tb.name)
	if url, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		tb.t.Logf("tab %s was at %s", tb.name, url)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		tb.t.Logf("tab %s: no screenshot: %v", tb.name, err)
	} else if err := os.WriteFile(base+".png", png, 0o644); err == nil {
		tb.t.Logf("tab %s: screenshot %s", tb.name, base+".png")
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil {
		tb.t.Logf("tab %s: no HTML: %v", tb.name, err)
	} else if err := os.WriteFile(base+".html", []byte(html), 0o644); err == nil {
		tb.t.Logf("tab %s: HTML %s", tb.name, base+".html")
	}
}

// --- the new-session form ----------------------------------------------

type sessionInput struct {
	Amount, Currency, Description, OrderID, BuyerID, Capture string
}

// fillSession fills the new-session form that the tab shows.
func fillSession(tb *tab, in sessionInput) {
	tb.t.Helper()
	capture := testID("capture-automatic")
	if in.Capture == "MANUAL" {
		capture = testID("capture-manual")
	}
	var steps []chromedp.Action[chromedp.Void]
	for _, f := range []struct{ id, v string }{{"amount-input", in.Amount}, {"description-input", in.Description},
		{"order-id-input", in.OrderID}, {"buyer-id-input", in.BuyerID}} {
		steps = append(steps, chromedp.Clear(testID(f.id)), chromedp.SendKeys(testID(f.id), f.v))
	}
	steps = append(steps, chromedp.SetValue(testID("currency-select"), in.Currency), chromedp.Click(capture))
	tb.do("fill the session form", steps...)
}

// createSession creates a session through the form and waits for its
// detail page.
func createSession(tb *tab, baseURL string, in sessionInput) {
	tb.t.Helper()
	tb.do("open the new-session form", chromedp.Navigate(baseURL+"/sessions/new"), chromedp.WaitVisible(testID("session-form")))
	fillSession(tb, in)
	tb.do("create the session", chromedp.Click(testID("session-submit")), chromedp.WaitVisible(testID("payment-page")))
	if got := tb.text(testID("status-badge")); got != "Awaiting payment" {
		tb.t.Fatalf("new payment status %q, want Awaiting payment", got)
	}
}

// --- helpers -----------------------------------------------------------

func testID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// newShotDir returns PAYDESK_E2E_SCREENSHOTS (created), or "" when unset.
func newShotDir(t *testing.T) string {
	dir := os.Getenv("PAYDESK_E2E_SCREENSHOTS")
	if dir == "" {
		return ""
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("PAYDESK_E2E_SCREENSHOTS: %v", err)
	}
	return dir
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestBrowserLiveChangesAndTimeZone (issue 11, live changes and time
// zones): a browser in Kathmandu signs in for the first time and every time
// reads in +0545; a payment page that changes live highlights what changed
// and announces the new status; a payments list whose changed row is
// below the fold offers "N updated", which scrolls to the row.
func TestBrowserLiveChangesAndTimeZone(t *testing.T) {
	chromium := chromiumPath(t)
	app := startProgram(t)
	browser := startBrowser(t, chromium)
	shots := newShotDir(t)
	tb := openTab(t, browser, "live")
	if _, err := chromedp.Call(tb.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kathmandu"}); err != nil {
		t.Fatalf("emulate the time zone: %v", err)
	}
	tb.do("sign in",
		chromedp.Navigate(app.url+"/login"),
		chromedp.WaitVisible(testID("login-form")),
		chromedp.SendKeys(testID("login-email"), e2eEmail),
		chromedp.SendKeys(testID("login-password"), e2ePassword),
		chromedp.Click(testID("login-submit")),
		chromedp.WaitVisible(testID("payments-page")),
	)
	// Every announcement is kept, so later ones cannot hide earlier ones.
	recordAnnouncements := chromedp.Evaluate[chromedp.Void](`(() => {
		window.__announced = [];
		const a = document.getElementById("live-announcer");
		if (a) new MutationObserver(() => { if (a.textContent) window.__announced.push(a.textContent); }).observe(a, {childList: true, characterData: true, subtree: true});
		window.__highlighted = [];
		new MutationObserver((ms) => { for (const m of ms) if (m.target.hasAttribute && m.target.hasAttribute("data-live-changed")) window.__highlighted.push(m.target.getAttribute("data-payment-request-id") || m.target.getAttribute("data-testid") || m.target.id); })
			.observe(document.body, {attributes: true, attributeFilter: ["data-live-changed"], subtree: true});
	})()`)

	// A: the payment paid while its page is open.
	createSession(tb, app.url, sessionInput{Amount: "230.00", Currency: "SGD", Description: "E2E live", OrderID: "E2E-LIVE-A", BuyerID: "buyer-live", Capture: "AUTOMATIC"})
	prA := tb.text(testID("payment-request-id"))
	tb.waitFor("the session card to show times in Kathmandu", `[...document.querySelectorAll('#session time.stamp')].some(e => e.textContent.trim().endsWith('+0545'))`)
	tb.do("record announcements", recordAnnouncements)
	tb.markPage()
	co := tb.openCheckout(app.simURL)
	co.pay(cardSuccess)
	co.close()
	tb.activate()
	// A later poll may replace a highlighted element, so the record of
	// highlights (window.__highlighted) is what is checked.
	tb.waitFor("the status to change live, highlighted and announced", `
		text('[data-testid="status-badge"]') === "Captured" &&
		window.__highlighted.includes("status-badge") &&
		window.__highlighted.includes("timeline-entry") &&
		window.__announced.includes("Payment now Captured")`)
	tb.assertNotReloaded()
	tb.shot(shots, "live-01-payment-changed", nil)
	hl, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`window.__highlighted`))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range hl {
		if id == "amount" || id == "payment-request-id" {
			t.Errorf("the unchanged %s was highlighted (highlights: %q)", id, hl)
		}
	}

	// B: paid while the list is open, its row below the fold.
	createSession(tb, app.url, sessionInput{Amount: "12.00", Currency: "SGD", Description: "E2E below the fold", OrderID: "E2E-LIVE-B", BuyerID: "buyer-live", Capture: "AUTOMATIC"})
	prB := tb.text(testID("payment-request-id"))
	href, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(testID("open-checkout"), "href"))
	if err != nil {
		t.Fatalf("no checkout link for %s: %v", prB, err)
	}
	for i := range 3 {
		createSession(tb, app.url, sessionInput{Amount: "1.00", Currency: "SGD", Description: "E2E filler", OrderID: fmt.Sprintf("E2E-LIVE-F%d", i), BuyerID: "buyer-live", Capture: "AUTOMATIC"})
	}
	rowB := `document.querySelector('tr[data-payment-request-id="` + prB + `"]')`
	tb.do("open the list in a short window",
		chromedp.EmulateViewport(1280, 320),
		chromedp.Navigate(app.url+"/payments"),
		chromedp.WaitVisible(testID("payments-table")),
	)
	tb.waitFor("B's row to be below the fold", rowB+` !== null && `+rowB+`.getBoundingClientRect().top >= window.innerHeight`)
	if got := tb.text(chromedp.CSS(`tr[data-payment-request-id="` + prA + `"] td.time time`)); !strings.HasSuffix(got, "+0545") {
		t.Errorf("list time of %s = %q, want it in Kathmandu (+0545)", prA, got)
	}
	tb.do("record announcements", recordAnnouncements)
	pay := openTab(t, browser, "checkout-b")
	pay.do("open B's checkout", chromedp.Navigate(href.Value), chromedp.WaitVisible(testID("card-form")))
	pay.pay(cardSuccess)
	pay.close()
	tb.activate()
	// Other rows change too (the poller learns the fillers' paymentIds), so
	// the row in view after the click is the first changed one out of view.
	tb.waitFor("B's change to be highlighted, announced and counted out of view", `(() => {
		const n = document.querySelector('[data-testid="live-updates"]');
		return text('tr[data-payment-request-id="`+prB+`"] [data-testid="row-status"]') === "Captured" &&
			window.__highlighted.includes("`+prB+`") &&
			window.__announced.some(s => s.includes("`+prB+` now Captured") || /payments changed status/.test(s)) &&
			n && !n.hidden && /^\d+ updated/.test(n.textContent);
	})()`)
	// The click highlights the row it scrolls to: the first highlight after
	// it names that row, which must then be in view.
	tb.shot(shots, "live-02-list-updated-out-of-view", nil)
	tb.do("click the notice",
		chromedp.Evaluate[chromedp.Void](`window.__beforeClick = window.__highlighted.length`),
		chromedp.Click(testID("live-updates")))
	tb.waitFor("the changed row in view and the notice gone", `(() => {
		const id = window.__highlighted[window.__beforeClick];
		const tr = id && document.querySelector('tr[data-payment-request-id="' + id + '"]');
		if (!tr) return false;
		const r = tr.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= window.innerHeight && window.scrollY > 0 &&
			document.querySelector('[data-testid="live-updates"]').hidden;
	})()`)
	tb.do("back to a full window", chromedp.EmulateViewport(1280, 900))
	tb.shot(shots, "live-03-account-time-zone", func() {
		tb.do("open the account page", chromedp.Navigate(app.url+"/account"), chromedp.WaitVisible(testID("time-zone-form")))
	})
	// Chromium names the zone by its older alias, Asia/Katmandu; both load.
	if got := tb.text(testID("time-zone-current")); !strings.Contains(got, "Asia/Kathmandu (+0545)") && !strings.Contains(got, "Asia/Katmandu (+0545)") {
		t.Errorf("account page says %q, want the browser's zone Asia/Kathmandu (+0545) saved at the first sign-in", got)
	}
	tb.shot(shots, "live-04-audit-amounts", func() {
		tb.do("open the audit log", chromedp.Navigate(app.url+"/admin/audit?action=payment."), chromedp.WaitVisible(testID("audit-table")))
	})
	if got := tb.text(chromedp.CSS(`[data-testid="audit-row"][data-action="payment.session_create"] [data-testid="audit-after"]`)); !strings.Contains(got, "SGD") || strings.Contains(got, `"value"`) {
		t.Errorf("audit entry's after = %q, want its amount formatted", got)
	}

	// The highlight animates, except for people who ask for reduced motion.
	animation := func() string {
		v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`(() => {
			const d = document.createElement("div");
			d.className = "live-changed";
			document.body.appendChild(d);
			const a = getComputedStyle(d).animationName + " " + getComputedStyle(d).outlineStyle;
			d.remove();
			return a;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := animation(); !strings.HasPrefix(got, "live-ring ") {
		t.Errorf("highlight animation = %q, want live-ring", got)
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	if got := animation(); got != "none solid" {
		t.Errorf("highlight with reduced motion = %q, want no animation and a solid outline", got)
	}
}
