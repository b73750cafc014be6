package pages

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// The Go components write what their templ versions wrote, byte for byte,
// escaping every value the same way.
func TestLeafComponentsHTML(t *testing.T) {
	tests := []struct {
		name string
		c    templ.Component
		want string
	}{
		{"badge", badge(Badge{Label: "Captured", Tone: ToneOK, Title: "Ledger status SUCCESS"}, "row-status"),
			`<span class="badge badge-ok" data-testid="row-status" title="Ledger status SUCCESS">Captured</span>`},
		{"badge without test ID or title", badge(Badge{Label: "CAPTURED", Tone: ToneInfo}, ""),
			`<span class="badge badge-pending">CAPTURED</span>`},
		{"badge escaped", badge(Badge{Label: `<b>&"x"`, Tone: `o"k<`, Title: `a "t" & <u>`}, `id"<`),
			`<span class="badge badge-o&#34;k&lt;" data-testid="id&#34;&lt;" title="a &#34;t&#34; &amp; &lt;u&gt;">&lt;b&gt;&amp;&#34;x&#34;</span>`},
		{"badge without a label", badge(Badge{Tone: ToneBad, Title: "nothing"}, "x"), ``},
		{"copy button", copyButton("pay_1", "paymentRequestId"),
			`<button type="button" class="copy-btn" data-copy="pay_1" data-testid="copy-button" title="Copy paymentRequestId">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy paymentRequestId</span></button>`},
		{"copy button escaped", copyButton(`a"<&'b`, `<id>`),
			`<button type="button" class="copy-btn" data-copy="a&#34;&lt;&amp;&#39;b" data-testid="copy-button" title="Copy &lt;id&gt;">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy &lt;id&gt;</span></button>`},
		{"stamp", stamp(Stamp{Text: "2026-11-25 18:42:10 UTC", ISO: "2026-11-25T18:42:10Z", Ago: "3 min ago", NowMS: 1764096310000}),
			`<time class="stamp" datetime="2026-11-25T18:42:10Z">2026-11-25 18:42:10 UTC</time> ` +
				`<span class="ago" data-at="2026-11-25T18:42:10Z" data-now="1764096310000">3 min ago</span>`},
		{"stamp without a hint", stamp(Stamp{Text: "2026-11-25 18:42:10 UTC", ISO: "2026-11-25T18:42:10Z", NowMS: 1}),
			`<time class="stamp" datetime="2026-11-25T18:42:10Z">2026-11-25 18:42:10 UTC</time> `},
		{"stamp escaped", stamp(Stamp{Text: `<a>&"`, ISO: `"x'`, Ago: `>1 d`, NowMS: -5}),
			`<time class="stamp" datetime="&#34;x&#39;">&lt;a&gt;&amp;&#34;</time> ` +
				`<span class="ago" data-at="&#34;x&#39;" data-now="-5">&gt;1 d</span>`},
		{"no stamp", stamp(Stamp{ISO: "2026-11-25T18:42:10Z", Ago: "now"}), `<span class="muted">—</span>`},
		{"copy ID", copyID("2025de6e5a00000000000000001997", "paymentId", ""),
			`<span class="copy-id"><span class="id" title="2025de6e5a00000000000000001997"><span class="id-part">2025de6e5a00000000000000001997</span></span>` +
				`<button type="button" class="copy-btn" data-copy="2025de6e5a00000000000000001997" data-testid="copy-button" title="Copy paymentId">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy paymentId</span></button></span>`},
		{"copy ID escaped, with a test ID", copyID(`a_"<b>`, "x", `t"`),
			`<span class="copy-id"><span class="id" title="a_&#34;&lt;b&gt;" data-testid="t&#34;"><span class="id-part">a_</span><wbr><span class="id-part">&#34;&lt;b&gt;</span></span>` +
				`<button type="button" class="copy-btn" data-copy="a_&#34;&lt;b&gt;" data-testid="copy-button" title="Copy x">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy x</span></button></span>`},
		{"no ID", copyID("", "x", "t"), ``},
		{"copy link ID", copyLinkID("pay_1", "paymentRequestId", "payment-link", "/payments/pay_1?a=1&b=2"),
			`<span class="copy-id"><a class="id" href="/payments/pay_1?a=1&amp;b=2" title="pay_1" data-testid="payment-link"><span class="id-part">pay_</span><wbr><span class="id-part">1</span></a>` +
				`<button type="button" class="copy-btn" data-copy="pay_1" data-testid="copy-button" title="Copy paymentRequestId">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy paymentRequestId</span></button></span>`},
		{"copy link ID, unsafe href", copyLinkID("x", "y", "", `javascript:alert("1")`),
			`<span class="copy-id"><a class="id" href="about:invalid#TemplFailedSanitizationURL" title="x"><span class="id-part">x</span></a>` +
				`<button type="button" class="copy-btn" data-copy="x" data-testid="copy-button" title="Copy y">` +
				`<span class="copy-label" aria-hidden="true">Copy</span> <span class="visually-hidden">Copy y</span></button></span>`},
		{"no link ID", copyLinkID("", "x", "t", "/a"), ``},
	}
	for _, tc := range tests {
		var sb strings.Builder
		if err := tc.c.Render(context.Background(), &sb); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if sb.String() != tc.want {
			t.Errorf("%s rendered\n%s\nwant\n%s", tc.name, sb.String(), tc.want)
		}
	}
}
