package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// attemptsOf matches a payment's deliveries of one notifyType to Antom's
// schedule at the simulator's now.
func (a *payApp) attemptsOf(id, notifyType string) (store.NotificationAttempts, bool) {
	a.t.Helper()
	ds, err := a.Store.PaymentDeliveries(context.Background(), id)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, g := range store.DeliveryAttempts(ds, a.Sim.Sim.Now()) {
		if g.First.NotifyType == notifyType {
			return g, true
		}
	}
	return store.NotificationAttempts{}, false
}

func states(r antom.AttemptReport) string {
	var out []string
	for _, a := range r.Attempts {
		out = append(out, strconv.Itoa(a.N)+":"+string(a.State))
	}
	return strings.Join(out, " ")
}

// The simulator's failFirst fault ignores Paydesk's acknowledgements of the
// first attempts, so Antom's schedule brings them again: Paydesk matches
// them to attempts 1, 2 and 3 and says the acknowledgements were lost.
// dropFirst never sends the first attempt: it shows as never arrived,
// placed by the payment's own paymentTime.
func TestDeliveryAttemptsFollowAntomsSchedule(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults sim.Faults
		want   string
		lost   int
	}{
		{"failFirst 2", sim.Faults{FailFirst: 2}, "1:arrived 2:arrived 3:arrived", 2},
		{"dropFirst 1", sim.Faults{DropFirst: 1}, "1:missing 2:arrived", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := startPayApp(t, payAppOptions{Faults: tc.faults, SimClock: true})
			op := app.login(store.RoleOperator)
			id := op.createSession(sessionForm("captureMode", "MANUAL"))
			app.pay(id, sim.CardVisaSuccess)
			want := strings.Count(tc.want, "arrived")
			app.waitFor("Antom's attempts", func() bool {
				g, ok := app.attemptsOf(id, antom.NotifyPaymentResult)
				return ok && len(g.Deliveries) >= want && g.Report.Acked
			})
			g, _ := app.attemptsOf(id, antom.NotifyPaymentResult)
			if got := states(g.Report); got != tc.want || g.Report.LostAcks != tc.lost {
				t.Errorf("attempts %q lost %d, want %q lost %d", got, g.Report.LostAcks, tc.want, tc.lost)
			}
		})
	}
}

// ingestNotApplied stores a verified notification as the webhook does when
// applying it failed.
func (a *payApp) ingestNotApplied(body []byte) int64 {
	a.t.Helper()
	n, err := antom.ParseNotification(body)
	if err != nil {
		a.t.Fatal(err)
	}
	res, err := a.Store.IngestNotification(context.Background(), store.DeliveryInput{
		Path: paths.WebhookAntom, Body: body, ClientID: payTestClientID, RequestTime: "1746958386000",
		Verdict: store.VerdictOK, Notification: n, NotApplied: true, ParseError: "verified, but could not be applied: database is locked",
		ResponseStatus: 500, ResponseBody: `{"result":{"resultCode":"not_applied","resultStatus":"F"}}`,
	})
	if err != nil || res.Outcome != store.OutcomeNotApplied {
		a.t.Fatalf("ingest: %+v %v", res, err)
	}
	return res.DeliveryID
}

func TestApplyAgainFromTheDashboard(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	support := app.login(store.RoleSupport)
	id := op.createSession(sessionForm("captureMode", "MANUAL"))
	delivery := app.ingestNotApplied(qaPaymentNotification(t, id, nil))
	page := paths.Notification(delivery)

	if d := support.page(page); d.has("apply-again-form") || !d.has("apply-again") {
		t.Error("support: want the not-applied note without the form")
	}
	if res, _ := support.post(page+"/apply-again", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("support apply again: %d, want 403", res.StatusCode)
	}
	if !op.page(page).has("apply-again-form") {
		t.Fatal("operator: no apply-again form")
	}
	if p := app.payment(id); p.Status != store.StatusSessionReady {
		t.Fatalf("status %s before applying again", p.Status)
	}
	for i := 0; i < 2; i++ { // the second click changes nothing
		if res, body := op.post(page+"/apply-again", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("apply again %d: %d\n%s", i, res.StatusCode, body)
		}
	}
	if p := app.payment(id); p.Status != store.StatusSuccess {
		t.Errorf("status %s after applying again, want SUCCESS", p.Status)
	}
	d := op.page(page)
	if !strings.Contains(d.text("applied-again"), "Applied again by user:") {
		t.Errorf("page says %q", d.text("applied-again"))
	}
	audit, err := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: "delivery.apply_again"})
	if err != nil || len(audit.Items) != 1 || audit.Items[0].PaymentRequestID != id {
		t.Errorf("audit: %+v %v", audit.Items, err)
	}

	// Bulk, after an outage: two more, applied from the list.
	var ids []string
	for i := 0; i < 2; i++ {
		x := op.createSession(sessionForm("captureMode", "MANUAL"))
		ids = append(ids, x)
		app.ingestNotApplied(qaPaymentNotification(t, x, map[string]any{"paymentId": "2099000000000000000000000000077" + strconv.Itoa(i)}))
	}
	list := op.page(paths.Notifications)
	if !list.has("apply-again-bulk-form") {
		t.Fatal("no bulk form on the list")
	}
	if res, _ := op.post(paths.Notifications+"/apply-again", url.Values{"since": {"next week"}}); res.StatusCode != http.StatusUnprocessableEntity && res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad since: %d", res.StatusCode)
	}
	since := app.now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	res, _ := op.post(paths.Notifications+"/apply-again", url.Values{"since": {since}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk: %d", res.StatusCode)
	}
	if got := op.page(res.Header.Get("Location")).text("apply-again-result"); !strings.Contains(got, "Applied again: 2.") {
		t.Errorf("bulk result %q", got)
	}
	for _, x := range ids {
		if p := app.payment(x); p.Status != store.StatusSuccess {
			t.Errorf("%s: %s after the bulk run", x, p.Status)
		}
	}
	if op.page(paths.Notifications).has("apply-again-bulk-form") {
		t.Error("the bulk form is still offered with nothing left")
	}
}

// Each signature-diagnosis verdict, from a real delivery to the webhook.
func TestSignatureDiagnosisPage(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, otherKey := payKeys(t)
	admin := app.login(store.RoleAdmin)
	op := app.login(store.RoleOperator)
	id := admin.createSession(sessionForm("captureMode", "MANUAL"))
	body := qaPaymentNotification(t, id, nil)
	for _, tc := range []struct {
		name  string
		s     qaSigned
		cause antom.SignatureCause
		says  string
	}{
		{"signed for another path", qaSigned{body: body, key: antomKey, signedPath: paths.WebhookAntom + "/"}, antom.CausePath, "arrived at"},
		{"request-time changed", qaSigned{body: body, key: antomKey, reqTime: "2025-05-11T10:13:06Z", header: func(h http.Header, _ string) {
			h.Set(antom.HeaderRequestTime, "1746958386000")
		}}, antom.CauseRequestTime, "changed the header"},
		{"body re-encoded", qaSigned{body: []byte(strings.ReplaceAll(string(body), `":`, `": `)), signedBody: body, key: antomKey}, antom.CauseBodyReencoded, "re-encoded"},
		{"another key", qaSigned{body: body, key: otherKey}, antom.CauseUnexplained, "another key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, answer := app.qaPost(tc.s); status != http.StatusUnauthorized {
				t.Fatalf("answer %d %s, want 401", status, answer)
			}
			d := app.lastDelivery()
			page := admin.page(paths.Notification(d.ID))
			diag := page.testIDs("signature-diagnosis")
			if len(diag) != 1 || attrOf(diag[0], "data-cause") != string(tc.cause) {
				t.Fatalf("diagnosis %v, want cause %s: %s", diag, tc.cause, page.text("diagnosis-verdict"))
			}
			if !strings.Contains(page.text("diagnosis-verdict"), tc.says) {
				t.Errorf("verdict %q does not say %q", page.text("diagnosis-verdict"), tc.says)
			}
			if page.text("key-fingerprint") != antom.KeyFingerprint(&antomKey.PublicKey) {
				t.Errorf("fingerprint %q", page.text("key-fingerprint"))
			}
			if tc.cause != antom.CauseUnexplained && !page.has("diagnosis-signed-text") {
				t.Error("admin: no string-to-sign")
			}
			if op.page(paths.Notification(d.ID)).has("diagnosis-signed-text") {
				t.Error("operator sees the string-to-sign; it is for admins")
			}
		})
	}
	// A run of failures after verified deliveries reads as a key rotation.
	if status, _ := app.qaPost(qaSigned{body: body, key: antomKey}); status != http.StatusOK {
		t.Fatalf("verified delivery: %d", status)
	}
	for i := 0; i < 3; i++ {
		app.qaPost(qaSigned{body: body, key: otherKey})
	}
	if got := admin.page(paths.Notification(app.lastDelivery().ID)).text("diagnosis-history"); !strings.Contains(got, "key rotation at Antom is likely") {
		t.Errorf("history %q", got)
	}
}
