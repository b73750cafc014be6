package pages

import (
	"context"
	"strings"
	"testing"
)

// A row with no buyer shows a dash named for screen readers (which the
// phone layout leaves out, as it does an empty refund, instead of an
// empty "Buyer:" label); a buyer is shown.
func TestPaymentRowBuyerCell(t *testing.T) {
	render := func(buyer string) string {
		t.Helper()
		var b strings.Builder
		rows := PaymentRows{Rows: []PaymentRow{{Key: "pay_1", URL: "/payments/pay_1", PaymentRequestID: "pay_1", ReferenceOrderID: "ORD-1", BuyerID: buyer}}}
		if err := PaymentRowsLive(rows).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		i := strings.Index(html, `data-label="Buyer"`)
		j := strings.Index(html[i:], "</td>")
		if i < 0 || j < 0 {
			t.Fatalf("no buyer cell in %s", html)
		}
		return html[i : i+j]
	}
	if cell := render(""); !strings.Contains(cell, `aria-label="no buyer ID">—</span>`) || strings.Contains(cell, `class="id"`) {
		t.Errorf("no buyer: cell %q, want a dash", cell)
	}
	if cell := render("BUYER-42"); !strings.Contains(cell, `title="BUYER-42"`) || strings.Contains(cell, "—") {
		t.Errorf("a buyer: cell %q, want the ID", cell)
	}
}
