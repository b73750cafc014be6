package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// TestAuditShowsAmountsAndPayments: the audit log shows amounts in their
// currency, never raw minor units, and names the payment on every
// payment-related entry, a refused step-up included; the CSV reads the
// same and keeps minor units in a column of their own.
func TestAuditShowsAmountsAndPayments(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	admin := app.login(store.RoleAdmin)
	id := admin.createSession(sessionForm("amount", "230.00", "currency", "SGD", "captureMode", "MANUAL"))
	jpy := admin.createSession(sessionForm("amount", "1000", "currency", "JPY"))

	// A refund with a wrong password: refused before anything moves.
	res, _ := admin.post(paths.PaymentRefund(id), url.Values{"amount": {"12.50"}, "password": {"not the password"}, "confirm": {"1"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("refund with a wrong password: status %d, want 403", res.StatusCode)
	}

	d := admin.page(paths.Audit)
	byAction := map[string]string{}
	for _, n := range d.testIDs("audit-row") {
		text := nodeText(n)
		if strings.Contains(text, `"value"`) || strings.Contains(text, "23000") {
			t.Errorf("audit row shows raw minor units: %s", text)
		}
		action := attrOf(n, "data-action")
		if strings.HasPrefix(action, "payment.") || action == "auth.stepup_failed" {
			links := (&doc{t: t, root: n}).testIDs("audit-payment")
			if len(links) != 1 || nodeText(links[0]) == "" || attrOf(links[0], "href") != paths.Payment(nodeText(links[0])) {
				t.Errorf("%s entry does not link its payment: %s", action, text)
			}
		}
		byAction[action] += text + "\n"
	}
	if got := byAction["payment.session_create"]; !strings.Contains(got, "230.00 SGD") || !strings.Contains(got, "1,000 JPY") {
		t.Errorf("session entries lack their formatted amounts: %q", got)
	}
	stepUp := byAction["auth.stepup_failed"]
	for _, want := range []string{id, "refund", "12.50 SGD"} {
		if !strings.Contains(stepUp, want) {
			t.Errorf("refused step-up entry lacks %q: %q", want, stepUp)
		}
	}

	res, body := admin.get(paths.AuditCSV + "?action=payment.session_create")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("csv: status %d", res.StatusCode)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[col["payment_request_id"]]] = r
	}
	for pid, want := range map[string][3]string{id: {"230.00", "23000", "SGD"}, jpy: {"1,000", "1000", "JPY"}} {
		r := rows[pid]
		if r == nil {
			t.Fatalf("csv lacks the entry of %s", pid)
		}
		if got := [3]string{r[col["amount"]], r[col["amount_minor"]], r[col["currency"]]}; got != want {
			t.Errorf("csv amount columns of %s = %v, want %v", pid, got, want)
		}
		if after := r[col["after"]]; !strings.Contains(after, "amount: "+want[0]+" "+want[2]) {
			t.Errorf("csv after of %s = %q, want the amount formatted", pid, after)
		}
	}
}
