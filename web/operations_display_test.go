package web

// What staff read about money operations, through the real router: the
// payment page's Operations section and notices while a capture's answer
// is unknown, re-sent and confirmed; a refusal; a cancel; an operation
// past Antom's window; and the admin page on the background work.

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// opView is one operation as a page shows it.
type opView struct {
	Title, State, Sentence, LastAnswer, RequestID, Actor, Attempts, PaymentURL string
}

// operationsOf reads the operations a page lists, in page order.
func operationsOf(d *doc) []opView {
	var out []opView
	for _, n := range d.testIDs("operation") {
		o := &doc{t: d.t, root: n}
		v := opView{Title: o.text("operation-title"), State: o.text("operation-state"), Sentence: o.text("operation-sentence"),
			LastAnswer: o.text("operation-last-answer"), RequestID: o.text("operation-request-id"), Actor: o.text("operation-actor"),
			Attempts: o.text("operation-attempts")}
		if links := o.testIDs("operation-payment"); len(links) > 0 {
			v.PaymentURL = attrOf(links[0], "href")
		}
		out = append(out, v)
	}
	return out
}

// oneOperation is the only operation a page lists.
func oneOperation(t *testing.T, d *doc) opView {
	t.Helper()
	ops := operationsOf(d)
	if len(ops) != 1 {
		t.Fatalf("the page lists %d operations %+v, want one", len(ops), ops)
	}
	return ops[0]
}

// timelineEntries are the page's timeline entries of a kind.
func timelineEntries(d *doc, kind string) []*html.Node {
	var out []*html.Node
	for _, n := range d.testIDs("timeline-entry") {
		if attrOf(n, "data-kind") == kind {
			out = append(out, n)
		}
	}
	return out
}

// flagAction is the "what to do" of a flag, as the page must show it.
func flagAction(t *testing.T, f store.Flag) string {
	t.Helper()
	v := handlers.FlagExplanations(f)
	if len(v) != 1 {
		t.Fatalf("flag %s has %d explanations", f, len(v))
	}
	return v[0].Action
}

// pendingCapture makes a 42.00 SGD manual payment and asks for its full
// capture while Antom answers U without capturing and drops notifications:
// the capture stays pending, for the reconciler to finish.
func pendingCapture(t *testing.T, app *payApp, op *browser) string {
	t.Helper()
	id := manualAuthorized(t, app, op)
	app.Sim.Sim.SetFaults(sim.Faults{APIUnknown: 1, APIs: []string{"capture"}, DropFirst: 8})
	res, body := op.post(paths.PaymentCapture(id), url.Values{"amount": {"42.00"}, "password": {payTestPassword}, "confirm": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("capture: status %d, want 303\n%s", res.StatusCode, body)
	}
	return id
}

// reconcile makes the attempts due a moment later and reports how many.
func reconcile(t *testing.T, app *payApp) int {
	t.Helper()
	app.advanceJobs(time.Second)
	n, err := app.Jobs.ReconcileOnce(t.Context())
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return n
}

const clockRE = `\d\d:\d\d:\d\d UTC`

func TestOperationUnknownThenConfirmedOnThePaymentPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := pendingCapture(t, app, op)
	stored := app.payment(id).Operations
	if len(stored) != 1 {
		t.Fatalf("operations %+v, want the capture", stored)
	}

	page := op.page(paths.Payment(id))
	got := oneOperation(t, page)
	if got.Title != "Capture of 42.00 SGD" || got.State != "pending" || got.RequestID != stored[0].RequestID ||
		got.Actor != "user:operator@example.com" || got.Attempts != "1 attempt" {
		t.Errorf("operation %+v, want the pending capture of 42.00 SGD asked by the operator, request ID %s", got, stored[0].RequestID)
	}
	want := regexp.MustCompile(`^Capture of 42\.00 SGD sent ` + clockRE + `, Antom's answer unknown, asking Antom for the outcome \(attempt 1, next (` + clockRE + `|due now)\)\.$`)
	if !want.MatchString(got.Sentence) {
		t.Errorf("pending sentence %q, want it to match %s", got.Sentence, want)
	}
	if !strings.Contains(got.LastAnswer, "Antom answered U UNKNOWN_EXCEPTION") {
		t.Errorf("last answer %q, want Antom's U", got.LastAnswer)
	}
	if ops := page.testIDs("operations"); len(ops) != 1 || !inside(ops[0], "payment-live") {
		t.Error("the Operations section is not in the live region, so polling would not update it")
	}
	if !page.has("live-indicator") {
		t.Error("a payment with a pending operation is not polled")
	}
	notices := strings.Join(page.texts("notice"), " ")
	if !strings.Contains(notices, "The capture of 42.00 SGD is not confirmed yet: Antom's answer was unknown, so Paydesk is asking Antom for the outcome.") ||
		strings.Contains(notices, "awaits Antom's result") {
		t.Errorf("notices %q, want the operation's notice and no second one for its capture", notices)
	}
	if flags := strings.Join(page.texts("flag"), " "); !strings.Contains(flags, flagAction(t, store.FlagUnknownOutcome)) {
		t.Errorf("flags %q, want unknown_outcome with what to do", flags)
	}
	answers := timelineEntries(page, "api_response")
	if len(answers) != 1 || (&doc{t: t, root: answers[0]}).text("timeline-kind") != "Antom's answer" {
		t.Errorf("api_response entries %d, want one labelled “Antom's answer”", len(answers))
	}

	// The reconciler asks Antom, which has no capture: it will be sent again.
	v := app.payment(id).Version
	if n := reconcile(t, app); n != 1 {
		t.Fatalf("reconciler made %d attempts, want 1", n)
	}
	res, body := op.htmx(paths.PaymentLive(id, v))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("poll after the inquiry: status %d, want 200 with the new state", res.StatusCode)
	}
	got = oneOperation(t, parseDoc(t, body))
	want = regexp.MustCompile(`^Capture of 42\.00 SGD sent ` + clockRE + `, Antom's answer unknown and Antom has no record of it, re-sending with the same request ID \(attempt 2, next (` + clockRE + `|due now)\)\.$`)
	if got.State != "pending" || !want.MatchString(got.Sentence) || got.LastAnswer != "Last answer: inquiry: Antom has no record of this capture" {
		t.Errorf("after the inquiry: %+v, want pending, re-sending, and the inquiry's finding as the last answer", got)
	}

	// The re-send is captured.
	v = app.payment(id).Version
	if n := reconcile(t, app); n != 1 {
		t.Fatalf("reconciler made %d attempts, want 1", n)
	}
	res, body = op.htmx(paths.PaymentLive(id, v))
	if res.StatusCode != handlers.StatusStopPolling {
		t.Fatalf("poll after the capture: status %d, want %d (settled)", res.StatusCode, handlers.StatusStopPolling)
	}
	frag := parseDoc(t, body)
	got = oneOperation(t, frag)
	want = regexp.MustCompile(`^Capture of 42\.00 SGD confirmed by Antom ` + clockRE + `\.$`)
	if got.State != "confirmed" || !want.MatchString(got.Sentence) || got.Attempts != "3 attempts" || got.LastAnswer != "" {
		t.Errorf("settled: %+v, want confirmed after 3 attempts", got)
	}
	if frag.has("notice") || frag.has("flag") {
		t.Errorf("the settled page still shows notices %q or flags %q", frag.texts("notice"), frag.texts("flag"))
	}
	ends := timelineEntries(frag, "operation")
	if len(ends) != 1 {
		t.Fatalf("operation timeline entries %d, want one", len(ends))
	}
	end := &doc{t: t, root: ends[0]}
	if end.text("timeline-kind") != "operation confirmed" || end.text("timeline-summary") != "Capture of 42.00 SGD confirmed by Antom after 3 attempts" ||
		!strings.Contains(attrOf(ends[0], "class"), "tl-tone-ok") {
		t.Errorf("operation entry %q / %q (class %q), want “operation confirmed”: the capture confirmed after 3 attempts",
			end.text("timeline-kind"), end.text("timeline-summary"), attrOf(ends[0], "class"))
	}
	if got := frag.text("capture-status"); got != "SUCCESS" {
		t.Errorf("capture %q, want SUCCESS", got)
	}
}

func TestOperationRefusedAndCancelConfirmedOnThePaymentPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	// Someone refunds the whole payment at Antom behind Paydesk's back (no
	// notification reaches it): Antom refuses Paydesk's refund.
	id := op.createSession(sessionForm())
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	app.Sim.Sim.SetFaults(sim.Faults{DropFirst: 8})
	if _, err := app.H.Antom.Refund(t.Context(), &antom.RefundRequest{RefundRequestID: "elsewhere-1", PaymentID: app.payment(id).PaymentID,
		RefundAmount: antom.NewAmount(4200, "SGD")}); err != nil {
		t.Fatalf("refund at Antom: %v", err)
	}
	res, body := op.post(paths.PaymentRefund(id), url.Values{"amount": {"5.00"}, "reason": {"test"}, "password": {payTestPassword}, "confirm": {"1"}})
	if res.StatusCode >= 500 {
		t.Fatalf("refund: status %d\n%s", res.StatusCode, body)
	}
	page := op.page(paths.Payment(id))
	got := oneOperation(t, page)
	want := regexp.MustCompile(`^Refund of 5\.00 SGD refused by Antom ` + clockRE + `: REFUND_AMOUNT_EXCEED\.$`)
	if got.State != "refused" || !want.MatchString(got.Sentence) {
		t.Errorf("refused refund: %+v, want state refused and a sentence matching %s", got, want)
	}
	if ends := timelineEntries(page, "operation"); len(ends) != 1 || (&doc{t: t, root: ends[0]}).text("timeline-kind") != "operation refused" {
		t.Errorf("want one timeline entry “operation refused”")
	}

	// A cancel Antom confirms at once.
	app.Sim.Sim.SetFaults(sim.Faults{})
	manual := manualAuthorized(t, app, op, "amount", "1000", "currency", "JPY")
	res, body = op.post(paths.PaymentCancel(manual), url.Values{"password": {payTestPassword}, "confirm": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: status %d, want 303\n%s", res.StatusCode, body)
	}
	got = oneOperation(t, op.page(paths.Payment(manual)))
	want = regexp.MustCompile(`^Cancel confirmed by Antom ` + clockRE + `\.$`)
	if got.Title != "Cancel" || got.State != "confirmed" || !want.MatchString(got.Sentence) || got.RequestID != manual {
		t.Errorf("cancel: %+v, want confirmed, matching %s, request ID the paymentRequestId", got, want)
	}
}

func TestOperationPastAntomsWindowSaysWhatToDo(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	admin := app.login(store.RoleAdmin)
	id := pendingCapture(t, app, op)
	requestID := app.payment(id).Operations[0].RequestID

	// Eight days on for the sweeper: past the 7-day capture window.
	app.advanceJobs(8 * 24 * time.Hour)
	if err := app.Jobs.SweepOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	page := op.page(paths.Payment(id))
	got := oneOperation(t, page)
	if got.State != "overdue" || !strings.HasSuffix(got.Sentence, "It is past Antom's window: contact Antom with request ID "+requestID+".") {
		t.Errorf("overdue operation %+v, want state overdue and whom to ask with which request ID", got)
	}
	if notices := strings.Join(page.texts("notice"), " "); !strings.Contains(notices, "The capture of 42.00 SGD is still unconfirmed past Antom's window: contact Antom with request ID "+requestID) {
		t.Errorf("notices %q, want the overdue capture and its request ID", notices)
	}
	if flags := strings.Join(page.texts("flag"), " "); !strings.Contains(flags, flagAction(t, store.FlagOperationOverdue)) {
		t.Errorf("flags %q, want operation_overdue with what to do", flags)
	}

	health := admin.page(paths.Operations)
	if health.text("health-overdue") != "1" || !strings.Contains(strings.Join(health.texts("notice"), " "), "1 operation is still unconfirmed past Antom's window") {
		t.Errorf("background work: overdue %q, notices %q; want 1 and a notice", health.text("health-overdue"), health.texts("notice"))
	}
	if got := oneOperation(t, health); got.State != "overdue" {
		t.Errorf("background work lists %+v, want the overdue capture", got)
	}
}

func TestBackgroundWorkPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	admin := app.login(store.RoleAdmin)
	op := app.login(store.RoleOperator)
	support := app.login(store.RoleSupport)

	for role, b := range map[store.Role]*browser{store.RoleOperator: op, store.RoleSupport: support} {
		if res, _ := b.get(paths.Operations); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: GET %s status %d, want 403", role, paths.Operations, res.StatusCode)
		}
		if b.page(paths.Payments).has("nav-operations") {
			t.Errorf("%s sees the Background work link", role)
		}
	}
	if nav := admin.page(paths.Payments).testIDs("nav-operations"); len(nav) != 1 || attrOf(nav[0], "href") != paths.Operations {
		t.Error("the admin's nav has no Background work link")
	}

	quiet := admin.page(paths.Operations)
	if quiet.text("health-pending") != "0" || !quiet.has("pending-empty") || quiet.has("operation") {
		t.Errorf("nothing in flight: pending %q, empty state %v", quiet.text("health-pending"), quiet.has("pending-empty"))
	}

	id := pendingCapture(t, app, op)
	payPage := oneOperation(t, op.page(paths.Payment(id)))
	health := admin.page(paths.Operations)
	if health.text("health-pending") != "1" || health.text("health-unknown") != "1" || health.text("health-overdue") != "0" {
		t.Errorf("in flight %q, unknown %q, overdue %q; want 1, 1, 0",
			health.text("health-pending"), health.text("health-unknown"), health.text("health-overdue"))
	}
	got := oneOperation(t, health)
	if got.PaymentURL != paths.Payment(id) || got.Title != "Capture of 42.00 SGD" || got.RequestID != payPage.RequestID ||
		!strings.Contains(got.Sentence, "Antom's answer unknown, asking Antom for the outcome (attempt 1") {
		t.Errorf("listed %+v, want the capture linked to its payment with its state in words", got)
	}
	if !strings.Contains(health.text("health-in-flight"), "at most 8") {
		t.Errorf("calls in flight %q, want the bound", health.text("health-in-flight"))
	}

	// Two minutes on, the reconciler has not run: the page says how late.
	app.advance(2 * time.Minute)
	late := admin.page(paths.Operations)
	if lag := late.text("health-lag"); !strings.HasPrefix(lag, "Capture of 42.00 SGD on "+id+", due ") || !strings.Contains(lag, "min") {
		t.Errorf("most overdue attempt %q, want the capture and how late it is", lag)
	}
	if notices := strings.Join(late.texts("notice"), " "); !strings.Contains(notices, "Operations are running") {
		t.Errorf("notices %q, want that operations run late", notices)
	}

	reconcile(t, app)
	reconcile(t, app)
	done := admin.page(paths.Operations)
	if done.text("health-pending") != "0" || !done.has("pending-empty") || done.text("health-reconciled") != "2" || done.has("notice") {
		t.Errorf("after the reconciler: pending %q, reconciled %q, notices %q; want 0, 2, none",
			done.text("health-pending"), done.text("health-reconciled"), done.texts("notice"))
	}
}
