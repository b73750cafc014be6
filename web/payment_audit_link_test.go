package web

import (
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// TestPaymentPageLinksItsAuditEntries: an admin reaches the payment's staff
// actions in the audit log from its page; roles that may not read the audit
// log get no link.
func TestPaymentPageLinksItsAuditEntries(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	admin := app.login(store.RoleAdmin)
	id := admin.createSession(sessionForm())
	if res, _ := admin.post(paths.PaymentInquiry(id), nil); res.StatusCode >= 400 {
		t.Fatalf("inquiry: status %d", res.StatusCode)
	}

	links := admin.page(paths.Payment(id)).testIDs("audit-link")
	if len(links) != 1 {
		t.Fatalf("admin sees %d audit links, want 1", len(links))
	}
	_, body := admin.get(attrOf(links[0], "href"))
	for _, want := range []string{"payment.session_create", "payment.inquiry", id} {
		if !strings.Contains(body, want) {
			t.Errorf("the linked audit page lacks %q", want)
		}
	}

	for _, role := range []store.Role{store.RoleOperator, store.RoleSupport} {
		if app.login(role).page(paths.Payment(id)).has("audit-link") {
			t.Errorf("%s sees the audit link without the right to read the audit log", role)
		}
	}
}
