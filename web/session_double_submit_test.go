package web

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// TestSessionFormDoubleSubmitMakesOnePayment: the same form posted twice
// (a double click, a resubmit after Back) creates one payment and one
// Antom session; the same form with other values is refused and changes
// nothing.
func TestSessionFormDoubleSubmitMakesOnePayment(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	tokens := op.page(paths.NewSession).all("name", "formToken")
	if len(tokens) != 1 || len(attrOf(tokens[0], "value")) != 32 {
		t.Fatalf("the form has %d formToken fields, want 1 with a 32-character value", len(tokens))
	}
	form := sessionForm("formToken", attrOf(tokens[0], "value"))

	var wg sync.WaitGroup
	ids := make([]string, 2)
	for i := range ids {
		wg.Go(func() {
			res, _ := op.post(paths.NewSession, form)
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("submit %d: status %d, want 303", i, res.StatusCode)
				return
			}
			ids[i] = strings.TrimPrefix(res.Header.Get("Location"), paths.Payments+"/")
		})
	}
	wg.Wait()
	if ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("two submits of one form went to %q and %q, want the same payment", ids[0], ids[1])
	}
	page, err := app.Store.ListPayments(t.Context(), store.PaymentFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("%d payments after a double submit, want 1", len(page.Items))
	}
	if d := app.payment(ids[0]); d.Status != store.StatusSessionReady {
		t.Errorf("status %s, want SESSION_READY", d.Status)
	}

	before, _ := app.Store.LatestSeq(t.Context())
	changed := sessionForm("formToken", form.Get("formToken"), "amount", "43.00")
	res, body := op.post(paths.NewSession, changed)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("same form, other amount: status %d, want 422", res.StatusCode)
	}
	if got := parseDoc(t, body).text("form-error"); !strings.Contains(got, "already submitted") {
		t.Errorf("form error %q, want it to say the form was already submitted", got)
	}
	if after, _ := app.Store.LatestSeq(t.Context()); after != before {
		t.Errorf("the refused resubmit changed the ledger (seq %d → %d)", before, after)
	}
}
