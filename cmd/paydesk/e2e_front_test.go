package main

// The phone and accessibility pass of the browser test: every main page at
// 1440×900 and at a 390×844 phone, with no sideways scrolling, the nav menu
// that opens on a phone, the skip link, copy buttons, and axe-core's
// accessibility check (vendored in testdata/, see static/VENDOR.md) with
// zero serious or critical violations.

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

//go:embed testdata/axe.min.js
var axeSource string

// viewport is a screen size the pages are checked at.
type viewport struct {
	name          string
	width, height int64
	phone         bool
}

var viewports = []viewport{
	{name: "desktop", width: 1440, height: 900},
	{name: "phone", width: 390, height: 844, phone: true},
}

// mainPage is one screen the pass visits; ready is the data-testid that
// says it has loaded.
type mainPage struct {
	name, path, ready string
}

// mainPages are the dashboard's main screens; paymentID is a payment with a
// capture, deliveryPath one notification's page.
func mainPages(paymentID, deliveryPath string) []mainPage {
	return []mainPage{
		{"payments", "/payments", "payments-table"},
		{"payment-detail", "/payments/" + paymentID, "payment-page"},
		{"orders", "/orders", "orders-table"},
		{"captures", "/captures", "captures-table"},
		{"notifications", "/notifications", "notifications-table"},
		{"notification-detail", deliveryPath, "notification-page"},
		{"new-session", "/sessions/new", "session-form"},
		{"sdk-codes", "/reference/sdk-events", "sdk-event-codes-page"},
		{"failure-reasons", "/reference/failure-reasons", "failure-reasons-page"},
		{"account", "/account", "account-page"},
		{"users", "/admin/users", "users-page"},
		{"api-keys", "/admin/api-keys", "apikeys-page"},
		{"audit", "/admin/audit", "audit-page"},
		{"jobs", "/admin/operations", "operations-page"},
		{"not-found", "/no/such/page", "error-page"},
		{"payment-not-found", "/payments/pay_no_such_payment", "error-page"},
	}
}

// checkEveryPage visits every page at both sizes: no horizontal overflow,
// zero serious or critical axe violations, a screenshot of each when
// PAYDESK_E2E_SCREENSHOTS is set; signed in, on a phone, the nav menu opens.
func checkEveryPage(t *testing.T, tb *tab, baseURL, shots string, pages []mainPage, signedIn bool) {
	t.Helper()
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			tb := tb.with(t)
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateLandscape}
			if vp.phone {
				opts = []chromedp.EmulateViewportOption{chromedp.EmulatePortrait, chromedp.EmulateMobile}
			}
			tb.do("set the viewport", chromedp.EmulateViewport(vp.width, vp.height, opts...))
			for i, p := range pages {
				t.Run(p.name, func(t *testing.T) {
					tb := tb.with(t)
					tb.do("open "+p.path, chromedp.Navigate(baseURL+p.path), chromedp.WaitVisible(testID(p.ready)))
					tb.assertNoHorizontalOverflow()
					tb.assertAccessible()
					tb.assertBadgesReadable()
					tb.shot(shots, fmt.Sprintf("%s-%02d-%s", vp.name, i+1, p.name), nil)
				})
			}
			if vp.phone && signedIn {
				t.Run("nav menu", func(t *testing.T) {
					tb := tb.with(t)
					tb.do("open the payments list", chromedp.Navigate(baseURL+"/payments"), chromedp.WaitVisible(testID("payments-table")))
					if n := tb.visibleCount(`nav.nav-wide a`); n != 0 {
						t.Errorf("%d wide-nav links are shown on a phone, want them in the menu", n)
					}
					tb.do("open the menu", chromedp.Click(testID("nav-toggle")), chromedp.WaitVisible(testID("nav-narrow")))
					if open := tb.evalString(`String(document.querySelector('[data-testid="nav-menu"]').open)`); open != "true" {
						t.Fatalf("the menu did not open")
					}
					// Every section is a tappable link with its width, not
					// squeezed to nothing.
					got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="nav-narrow"] a')]
						.filter(a => a.getBoundingClientRect().width >= 100 && a.getBoundingClientRect().height >= 24)
						.map(a => a.textContent.trim())`))
					if err != nil {
						t.Fatal(err)
					}
					for _, want := range []string{"Payments", "Orders", "Captures", "Notifications", "New session", "Users", "API keys", "Audit log", "Jobs"} {
						if !containsString(got, want) {
							t.Errorf("the open menu shows %q, want %q among them", got, want)
						}
					}
					if n := tb.visibleCount(`[data-testid="logout-narrow"]`); n != 1 {
						t.Errorf("Sign out is not in the open menu")
					}
					tb.assertNoHorizontalOverflow()
					tb.assertAccessible()
					tb.shot(shots, "phone-00-nav-menu-open", nil)
					tb.do("close it with Escape", chromedp.KeyEvent(kb.Escape))
					if open := tb.evalString(`String(document.querySelector('[data-testid="nav-menu"]').open)`); open != "false" {
						t.Errorf("the menu is still open after Escape")
					}
					tb.do("open the menu again", chromedp.Click(testID("nav-toggle")), chromedp.WaitVisible(testID("nav-narrow")))
					tb.do("follow a menu link", chromedp.Click(`[data-testid="nav-narrow"] a[href="/orders"]`), chromedp.WaitVisible(testID("orders-table")))
				})
			}
		})
	}
	tb.do("back to the desktop viewport", chromedp.EmulateViewport(1280, 900))
}

// assertNoHorizontalOverflow fails when the page scrolls sideways, naming
// the elements that stick out.
func (tb *tab) assertNoHorizontalOverflow() {
	tb.t.Helper()
	type overflow struct {
		ScrollWidth, ClientWidth int
		Wide                     []string
	}
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[overflow](`(() => {
		const d = document.documentElement, cw = d.clientWidth;
		const wide = [...document.querySelectorAll('body *')]
			.filter(e => e.getClientRects().length && e.getBoundingClientRect().right > cw + 1)
			.slice(0, 6)
			.map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
				' right=' + Math.round(e.getBoundingClientRect().right));
		return {ScrollWidth: d.scrollWidth, ClientWidth: cw, Wide: wide};
	})()`))
	if err != nil {
		tb.t.Fatalf("tab %s: measure the page width: %v", tb.name, err)
	}
	if got.ScrollWidth > got.ClientWidth {
		tb.t.Errorf("the page scrolls sideways: scrollWidth %d > clientWidth %d; sticking out: %s",
			got.ScrollWidth, got.ClientWidth, strings.Join(got.Wide, "; "))
	}
}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// assertAccessible runs axe-core on the page and fails on any serious or
// critical violation.
func (tb *tab) assertAccessible() {
	tb.t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](axeSource+"\n;typeof axe === 'object'")); err != nil {
		tb.t.Fatalf("tab %s: load axe-core: %v", tb.name, err)
	}
	raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
		})))
	)`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("tab %s: run axe-core: %v", tb.name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.t.Fatalf("tab %s: axe-core's answer %q: %v", tb.name, raw, err)
	}
	for _, v := range vs {
		tb.t.Errorf("axe %s (%s): %s\n\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
	}
}

// assertBadgesReadable: every badge is at least 12 px (axe's
// color-contrast rule checks their 4.5:1).
func (tb *tab) assertBadgesReadable() {
	tb.t.Helper()
	small, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.badge, .env, .role')]
		.filter(b => b.getClientRects().length && parseFloat(getComputedStyle(b).fontSize) < 12)
		.map(b => b.textContent.trim() + ' ' + getComputedStyle(b).fontSize)`))
	if err != nil {
		tb.t.Fatalf("tab %s: measure the badges: %v", tb.name, err)
	}
	if len(small) > 0 {
		tb.t.Errorf("badges under 12 px: %q", small)
	}
}

// visibleCount is the number of elements matching css that take up space.
func (tb *tab) visibleCount(css string) int {
	tb.t.Helper()
	n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](fmt.Sprintf(
		`[...document.querySelectorAll(%q)].filter(e => e.getClientRects().length > 0).length`, css)))
	if err != nil {
		tb.t.Fatalf("tab %s: count visible %s: %v", tb.name, css, err)
	}
	return n
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkSkipLinkAndCopy: the first Tab reaches the skip link, which moves
// focus to the main content; a copy button copies the payment's ID and
// says so; the API keys page shows a new key once, with its copy button,
// and keeps the creation time and its author apart.
func checkSkipLinkAndCopy(t *testing.T, tb *tab, baseURL, shots, paymentID string) {
	t.Helper()
	tb.do("open the payment", chromedp.Navigate(baseURL+"/payments/"+paymentID), chromedp.WaitVisible(testID("payment-page")))
	tb.do("press Tab", chromedp.KeyEvent("\t"))
	if got := tb.evalString(`document.activeElement.getAttribute('data-testid') || document.activeElement.tagName`); got != "skip-link" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	// The next Tab reaches the dark top bar: its focus ring is the light
	// one, not the page's blue that was faint there.
	tb.do("press Tab again", chromedp.KeyEvent("\t"))
	if got := tb.evalString(`(() => { const e = document.activeElement, s = getComputedStyle(e);
		return (e.closest('.topbar') ? 'topbar ' : 'elsewhere ') + s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor; })()`); got != "topbar solid 2px rgb(255, 209, 102)" {
		t.Errorf("focus in the top bar: %q, want a 2px rgb(255, 209, 102) ring", got)
	}
	tb.do("back to the skip link", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="skip-link"]').focus()`))
	tb.do("follow the skip link", chromedp.KeyEvent("\r"))
	if got := tb.evalString(`document.activeElement.id`); got != "main" {
		t.Errorf("after the skip link the focus is on #%s, want #main", got)
	}

	tb.do("copy the paymentRequestId", chromedp.Click(`.page-head [data-copy]`))
	tb.waitFor("the copy button to say Copied", `text('.page-head [data-copy] .copy-label') === "Copied" && text('[data-testid="copy-status"]') === "Copied"`)
	if got := tb.evalString(`document.querySelector('.page-head [data-copy]').getAttribute('data-copy')`); got != paymentID {
		t.Errorf("the copy button copies %q, want %q", got, paymentID)
	}

	tb.do("create an API key",
		chromedp.Navigate(baseURL+"/admin/api-keys"),
		chromedp.WaitVisible(testID("apikey-create-form")),
		chromedp.SendKeys(`[data-testid="apikey-create-form"] input[name="name"]`, "e2e-backend"),
		chromedp.Click(testID("scope-payments:read")),
		chromedp.Click(`[data-testid="apikey-create-form"] button[type="submit"]`),
		chromedp.WaitVisible(testID("secret-value")),
	)
	key := tb.text(testID("secret-value"))
	if got := tb.evalString(`document.querySelector('[data-testid="secret"] [data-copy]').getAttribute('data-copy')`); got != key || key == "" {
		t.Errorf("the new key's copy button copies %q, want the key %q", got, key)
	}
	if got := tb.text(testID("apikey-created-by")); got != "by user:"+e2eEmail {
		t.Errorf("API key author = %q, want %q on a line of its own", got, "by user:"+e2eEmail)
	}
	tb.shot(shots, "desktop-20-api-key-shown-once", nil)

	// A new user without a password gets a generated one, shown once.
	tb.do("add a user with a generated password",
		chromedp.Navigate(baseURL+"/admin/users"),
		chromedp.WaitVisible(testID("user-create-form")),
		chromedp.SendKeys(`[data-testid="user-create-form"] input[name="email"]`, "e2e-support@example.com"),
		chromedp.SendKeys(`[data-testid="user-create-form"] input[name="name"]`, "E2E Support"),
		chromedp.Click(`[data-testid="user-create-form"] button[type="submit"]`),
		chromedp.WaitVisible(testID("secret-value")),
	)
	password := tb.text(testID("secret-value"))
	if got := tb.evalString(`document.querySelector('[data-testid="secret"] [data-copy]').getAttribute('data-copy')`); got != password || password == "" {
		t.Errorf("the new password's copy button copies %q, want the password", got)
	}
	tb.do("copy the password", chromedp.Click(`[data-testid="secret"] [data-copy]`))
	tb.waitFor("the copy button to say Copied", `text('[data-testid="secret"] [data-copy] .copy-label') === "Copied"`)
	tb.shot(shots, "desktop-21-user-password-shown-once", nil)
}

func (tb *tab) evalString(expr string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		tb.t.Fatalf("tab %s: evaluate %s: %v", tb.name, expr, err)
	}
	return v
}
