package web

// Whole-flow tests: Paydesk and the simulator over HTTP, a signed-in
// browser, the simulator paying as a buyer would, and the notifications
// arriving at the real webhook. The poller is off unless a test says so,
// so a notification is the only way a payment can move.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// outcomesOf lists the outcomes of a payment's deliveries of one notifyType.
func outcomesOf(ds []store.Delivery, notifyType string) []store.Outcome {
	var out []store.Outcome
	for _, d := range ds {
		if d.NotifyType == notifyType {
			out = append(out, d.Outcome)
		}
	}
	return out
}

// settled reports whether the payment reached status with its capture state.
func (a *payApp) settledAs(id string, status store.PaymentStatus, capture store.CaptureState) func() bool {
	return func() bool {
		d := a.payment(id)
		return d.Status == status && d.CaptureState == capture && d.Settled
	}
}

func TestFlowCreatePayNotifySuccess(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)

	id := op.createSession(sessionForm("amount", "42.5", "currency", "SGD", "referenceOrderId", "order-flow-1"))
	page := op.page(paths.Payment(id))
	if got := page.text("status-badge"); got != "Awaiting payment" {
		t.Fatalf("status before paying = %q, want Awaiting payment", got)
	}
	if got := page.text("amount"); got != "42.50 SGD" {
		t.Errorf("amount = %q, want 42.50 SGD", got)
	}
	if !page.has("open-checkout") {
		t.Error("no Open test checkout link in simulator mode")
	}
	if !page.has("live-indicator") {
		t.Error("a payment in flight should poll")
	}

	if o := app.pay(id, sim.CardVisaSuccess); o.Status != antom.PaymentSuccess {
		t.Fatalf("simulator pay = %s %s, want SUCCESS", o.Status, o.ResultCode)
	}
	app.waitFor("SUCCESS and capture SUCCESS", app.settledAs(id, store.StatusSuccess, store.CaptureFull))

	page = op.page(paths.Payment(id))
	if got := page.text("status-badge"); got != "Captured" {
		t.Errorf("status badge = %q, want Captured", got)
	}
	if got := page.texts("capture-status"); !slices.Equal(got, []string{"SUCCESS"}) {
		t.Errorf("capture statuses = %q, want [SUCCESS]", got)
	}
	if got := page.text("captured"); !strings.HasPrefix(got, "42.50 SGD") {
		t.Errorf("captured = %q, want 42.50 SGD", got)
	}
	if got := page.text("card"); !strings.Contains(got, "VISA") || !strings.Contains(got, "0768") {
		t.Errorf("card = %q, want VISA ending 0768", got)
	}
	if page.has("live-indicator") {
		t.Error("a settled payment still polls")
	}
	badges := strings.Join(page.texts("timeline-badge"), "|")
	if !strings.Contains(badges, "signature ok") || !strings.Contains(badges, "applied") {
		t.Errorf("timeline badges %q lack a verified, applied notification", badges)
	}
	kinds := map[string]bool{}
	for _, n := range page.testIDs("timeline-entry") {
		kinds[attrOf(n, "data-kind")] = true
	}
	for _, k := range []string{"created", "session_created", "notification"} {
		if !kinds[k] {
			t.Errorf("timeline has no %q entry; kinds: %v", k, kinds)
		}
	}
	if page.has("capture-form") || page.has("cancel-form") {
		t.Error("an automatically captured payment offers capture or cancel")
	}
	if !page.has("refund-form") {
		t.Error("a captured payment offers no refund")
	}
}

func TestFlowDuplicateNotificationThreeDeliveriesOneChange(t *testing.T) {
	app := startPayApp(t, payAppOptions{Faults: sim.Faults{Duplicate: 3}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("captureMode", "MANUAL"))
	app.pay(id, sim.CardVisaSuccess)

	app.waitFor("three PAYMENT_RESULT deliveries", func() bool {
		return len(outcomesOf(app.deliveries(id), antom.NotifyPaymentResult)) == 3
	})
	got := outcomesOf(app.deliveries(id), antom.NotifyPaymentResult)
	applied := 0
	for _, o := range got {
		if o == store.OutcomeApplied {
			applied++
		} else if o != store.OutcomeDuplicate {
			t.Errorf("unexpected outcome %q", o)
		}
	}
	if applied != 1 {
		t.Errorf("outcomes %v: %d applied, want exactly 1 (and 2 duplicates)", got, applied)
	}
	d := app.payment(id)
	if d.Status != store.StatusSuccess {
		t.Errorf("status = %s, want SUCCESS", d.Status)
	}
	changes := 0
	for _, e := range d.Timeline {
		if e.Kind == store.EventNotification && strings.Contains(e.Summary, "SUCCESS") && e.DeliveryID != 0 {
			for _, dl := range app.deliveries(id) {
				if dl.ID == e.DeliveryID && dl.Outcome == store.OutcomeApplied {
					changes++
				}
			}
		}
	}
	if changes != 1 {
		t.Errorf("%d applied notification events on the timeline, want 1", changes)
	}
	// The notifications page shows the duplicates as such.
	list := op.page(paths.Notifications + "?type=" + antom.NotifyPaymentResult)
	if n := strings.Count(strings.Join(list.texts("delivery-outcome"), "|"), "duplicate"); n != 2 {
		t.Errorf("notifications list shows %d duplicates, want 2", n)
	}
}

func TestFlowCaptureBeforePaymentResult(t *testing.T) {
	app := startPayApp(t, payAppOptions{Faults: sim.Faults{Reorder: true}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	app.pay(id, sim.CardMastercardSuccess)

	app.waitFor("both notifications stored", func() bool {
		ds := app.deliveries(id)
		return len(outcomesOf(ds, antom.NotifyPaymentResult)) == 1 && len(outcomesOf(ds, antom.NotifyCaptureResult)) == 1
	})
	ds := app.deliveries(id)
	if ds[0].NotifyType != antom.NotifyCaptureResult {
		t.Fatalf("first delivery is %s, want CAPTURE_RESULT (reorder fault)", ds[0].NotifyType)
	}
	if got := outcomesOf(ds, antom.NotifyCaptureResult); got[0] != store.OutcomeOutOfOrder {
		t.Errorf("capture-first outcome = %s, want out_of_order", got[0])
	}
	app.waitFor("SUCCESS with capture", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	page := op.page(paths.Payment(id))
	if got := page.text("status-badge"); got != "Captured" {
		t.Errorf("status = %q, want Captured", got)
	}
	if got := page.texts("capture-status"); !slices.Equal(got, []string{"SUCCESS"}) {
		t.Errorf("captures = %q, want one SUCCESS", got)
	}
}

func TestFlowBadSignatureIsRefusedAndChangesNothing(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	before := app.payment(id)
	_, _, forged := payKeys(t)

	body := mustJSONBody(t, antom.Notification{
		NotifyType: antom.NotifyPaymentResult, Result: antom.Result{ResultCode: "SUCCESS", ResultStatus: "S", ResultMessage: "success"},
		PaymentRequestID: id, PaymentID: "20990101000000000000000000000000001",
		PaymentAmount: &antom.Amount{Currency: "SGD", Value: "4200"}, PaymentCreateTime: "2025-01-01T00:00:00Z",
	})
	cases := []struct {
		name   string
		post   func() (*http.Response, string)
		wantVe store.Verdict
	}{
		{"signed by another key", func() (*http.Response, string) { return app.postNotification(forged, body, nil) }, store.VerdictBad},
		{"signature header missing", func() (*http.Response, string) {
			_, antomKey, _ := payKeys(t)
			return app.postNotification(antomKey, body, func(r *http.Request) { r.Header.Del(antom.HeaderSignature) })
		}, store.VerdictMissing},
		{"request-time changed after signing", func() (*http.Response, string) {
			_, antomKey, _ := payKeys(t)
			return app.postNotification(antomKey, body, func(r *http.Request) {
				r.Header.Set(antom.HeaderRequestTime, "1")
			})
		}, store.VerdictBad},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, answer := tc.post()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", res.StatusCode, answer)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			if strings.Contains(answer, `"resultStatus":"S"`) {
				t.Errorf("a refused notification was acknowledged: %s", answer)
			}
			// Rejected deliveries are not linked to the payment; look them up directly.
			all, err := app.Store.ListDeliveries(context.Background(), store.DeliveryFilter{Verdict: tc.wantVe, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(all.Items) == 0 {
				t.Fatalf("no delivery stored with verdict %s", tc.wantVe)
			}
			if got := all.Items[0].Outcome; got != store.OutcomeRejected {
				t.Errorf("outcome = %s, want rejected", got)
			}
			after := app.payment(id)
			if after.Status != before.Status || after.Version != before.Version {
				t.Errorf("after %d refused deliveries: status %s v%d, want %s v%d", i+1, after.Status, after.Version, before.Status, before.Version)
			}
		})
	}
}

func TestFlowReceiverDownThenRetriesDeliver(t *testing.T) {
	// The first two attempts of every notification never reach Paydesk; the
	// simulator retries on Antom's schedule (2 min, then 10 min, simulated).
	app := startPayApp(t, payAppOptions{Scale: 3000, Faults: sim.Faults{DropFirst: 2}})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	app.pay(id, sim.CardVisaSuccess)

	app.waitFor("SUCCESS after retries", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	// Paydesk applies a notification before it answers, and the simulator
	// logs an attempt only once it has read that answer: the payment can be
	// settled while the acknowledged attempt is not in the log yet. Wait for
	// the attempt the simulator marks final (acknowledged, or given up).
	paymentResults := func() []sim.DeliveryAttempt {
		var out []sim.DeliveryAttempt
		for _, a := range app.Sim.Sim.Deliveries() {
			if a.PaymentRequestID == id && a.NotifyType == antom.NotifyPaymentResult {
				out = append(out, a)
			}
		}
		return out
	}
	app.waitFor("the simulator logged the last PAYMENT_RESULT attempt", func() bool {
		return slices.ContainsFunc(paymentResults(), func(a sim.DeliveryAttempt) bool { return a.Final })
	})
	dropped, acked := 0, 0
	for _, a := range paymentResults() {
		if a.Dropped {
			dropped++
		}
		if a.Acked {
			acked++
			if a.Attempt != 3 {
				t.Errorf("acknowledged on attempt %d, want 3", a.Attempt)
			}
		}
	}
	if dropped != 2 || acked != 1 {
		t.Errorf("PAYMENT_RESULT attempts: %d dropped, %d acked; want 2 and 1", dropped, acked)
	}
	if got := outcomesOf(app.deliveries(id), antom.NotifyPaymentResult); !slices.Equal(got, []store.Outcome{store.OutcomeApplied}) {
		t.Errorf("stored PAYMENT_RESULT deliveries %v, want one applied", got)
	}
}

func TestFlowLivePoll(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleSupport)
	opr := app.login(store.RoleOperator)

	// In flight: the pending test card leaves the payment PROCESSING.
	id := opr.createSession(sessionForm())
	v0 := app.payment(id).Version
	live := func(v int64) string { return paths.PaymentLive(id, v) }

	res, body := op.htmx(live(v0))
	if res.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("unchanged poll: %d %q, want 204 and no body", res.StatusCode, body)
	}
	app.pay(id, sim.CardPending)
	app.waitFor("PROCESSING", func() bool { return app.payment(id).Status == store.StatusProcessing })
	res, body = op.htmx(live(v0))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("changed poll: status %d, want 200", res.StatusCode)
	}
	frag := parseDoc(t, body)
	if got := frag.text("status-badge"); got != "Processing" {
		t.Errorf("fragment status = %q, want Processing", got)
	}
	if strings.Contains(body, "<html") {
		t.Error("the poll answered a whole page, want the fragment")
	}
	v1 := app.payment(id).Version
	if want := paths.PaymentLive(id, v1); !strings.Contains(body, strings.ReplaceAll(want, "&", "&amp;")) {
		t.Errorf("fragment does not poll with the new version %d", v1)
	}
	if res, _ := op.htmx(live(v1)); res.StatusCode != http.StatusNoContent {
		t.Errorf("poll with the new version: %d, want 204", res.StatusCode)
	}

	// Final: a paid, captured payment answers 286 so htmx stops.
	id2 := opr.createSession(sessionForm())
	w0 := app.payment(id2).Version
	app.pay(id2, sim.CardVisaSuccess)
	app.waitFor("settled", app.settledAs(id2, store.StatusSuccess, store.CaptureFull))
	res, body = op.htmx(paths.PaymentLive(id2, w0))
	if res.StatusCode != 286 {
		t.Fatalf("final poll: status %d, want 286", res.StatusCode)
	}
	frag = parseDoc(t, body)
	if got := frag.text("status-badge"); got != "Captured" {
		t.Errorf("final fragment status = %q, want Captured", got)
	}
	if region := frag.testIDs("payment-live"); len(region) != 1 || attrOf(region[0], "hx-get") != "" || frag.has("live-indicator") {
		t.Error("the final fragment still polls")
	}
}

func TestFlowSearchFindsEachIDKind(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleSupport)
	opr := app.login(store.RoleOperator)
	id := opr.createSession(sessionForm("referenceOrderId", "order-search-7", "buyerId", "buyer-search-7"))
	app.pay(id, sim.CardVisaSuccess)
	app.waitFor("captured", app.settledAs(id, store.StatusSuccess, store.CaptureFull))
	d := app.payment(id)
	if d.PaymentID == "" || len(d.Captures) != 1 || d.Captures[0].CaptureID == "" {
		t.Fatalf("payment lacks paymentId or captureId: %+v", d.Payment)
	}
	for _, tc := range []struct{ kind, q string }{
		{"paymentRequestId", id},
		{"paymentId", d.PaymentID},
		{"referenceOrderId", "order-search-7"},
		{"buyer ID", "buyer-search-7"},
		{"captureId", d.Captures[0].CaptureID},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			res, body := op.get(paths.PaymentsSearch(tc.q))
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("search %q: status %d, want 303 to the payment\n%s", tc.q, res.StatusCode, body)
			}
			want := paths.Payment(id)
			if tc.kind == "captureId" { // the capture it matched highlighted (search_finds_test.go)
				want += "?highlight=" + url.QueryEscape(d.Captures[0].CaptureRequestID) + "#capture-" + strconv.FormatInt(d.Captures[0].ID, 10)
			}
			if got := res.Header.Get("Location"); got != want {
				t.Errorf("search %q went to %q, want %q", tc.q, got, want)
			}
		})
	}
	t.Run("prefix lists", func(t *testing.T) {
		page := op.page(paths.PaymentsSearch("order-search"))
		if got := page.testIDs("payment-row"); len(got) != 1 {
			t.Errorf("prefix search: %d rows, want 1", len(got))
		}
	})
}

func TestFlowHostileInputRendersHarmlessly(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm("description", "<script>alert(1)</script>", "referenceOrderId", "o'1\"<b>"))

	res, body := op.get(paths.PaymentsSearch("' OR 1=1 --"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("injection search: status %d, want 200", res.StatusCode)
	}
	page := parseDoc(t, body)
	if n := len(page.testIDs("payment-row")); n != 0 {
		t.Errorf("' OR 1=1 -- matched %d payments, want none", n)
	}
	if box := page.testIDs("search-box"); len(box) != 1 || attrOf(box[0], "value") != "' OR 1=1 --" {
		t.Errorf("the search box does not keep the query as typed")
	}

	res, body = op.get(paths.Payment(id))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d", res.StatusCode)
	}
	if strings.Contains(body, "<script>alert(1)</script>") || strings.Contains(body, "<b>") {
		t.Error("user input reached the page unescaped")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the description is not shown escaped")
	}
	if got := parseDoc(t, body).text("description"); got != "<script>alert(1)</script>" {
		t.Errorf("description text = %q", got)
	}
}
