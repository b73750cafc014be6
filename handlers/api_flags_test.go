package handlers_test

// Each disagreement flag, raised by a scenario built with the simulator (and
// its faults) and cleared when the truth arrives.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

var bg = context.Background()

// needsAttention lists the paymentRequestIds of the API's "needs attention" filter.
func (a *apiApp) needsAttention() []string {
	a.t.Helper()
	r := a.call(http.MethodGet, paths.APIPayments+"?needsAttention=true", a.ReadKey, nil).want(a.t, http.StatusOK)
	var out []string
	for _, p := range r.JSON["payments"].([]any) {
		out = append(out, str(p.(map[string]any), "paymentRequestId"))
	}
	return out
}

// kinds lists the payment's timeline kinds in time order, checking the order.
func (a *apiApp) kinds(id string) []string {
	a.t.Helper()
	var out []string
	var last time.Time
	for _, e := range a.payment(id).Timeline {
		if e.At.Before(last) {
			a.t.Errorf("timeline out of time order at %s %q", e.Kind, e.Summary)
		}
		last = e.At
		out = append(out, string(e.Kind))
	}
	return out
}

// before reports whether kind a first appears before kind b's first appearance after it.
func before(kinds []string, a, b string) bool {
	i := slices.Index(kinds, a)
	return i >= 0 && slices.Index(kinds[i+1:], b) >= 0
}

// The SDK said success; Antom's notification is lost: flagged after the
// grace period, an inquiry is asked for, and Antom's retry clears it.
func TestFlagSDKSuccessWithoutNotification(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{Faults: sim.Faults{DropFirst: 1}})
	id := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	p := app.payment(id)
	if p.Status != store.StatusSessionReady || p.Flags != 0 {
		t.Fatalf("right after paying: %s %v, want SESSION_READY (notification dropped) and no flag", p.Status, p.Flags)
	}
	if !p.NextPollAt.Equal(app.Clock.Now()) {
		t.Errorf("next inquiry %v, want now: the SDK's success asks for one", p.NextPollAt)
	}
	app.Clock.Advance(store.SDKNotifyGrace - time.Second)
	if n, err := app.H.CheckSDKFlags(bg); err != nil || n != 0 {
		t.Fatalf("inside the grace: %d, %v", n, err)
	}
	app.Clock.Advance(time.Second)
	if n, err := app.H.CheckSDKFlags(bg); err != nil || n != 1 {
		t.Fatalf("after the grace: %d, %v; want 1", n, err)
	}
	if got := app.flagCodes(id); !slices.Equal(got, []string{"sdk_success_no_notification"}) {
		t.Fatalf("flags %v", got)
	}
	if !slices.Contains(app.needsAttention(), id) {
		t.Error("not in the needs-attention list")
	}
	if p := app.payment(id); !p.NextPollAt.Equal(app.Clock.Now()) {
		t.Errorf("next inquiry %v, want now: the flag starts one", p.NextPollAt)
	}
	// Antom retries after 2 minutes; the notification is the truth.
	app.Clock.Advance(2 * time.Minute)
	app.waitFor("the retried notification", func() bool { return app.payment(id).Status == store.StatusSuccess })
	if got := app.flagCodes(id); len(got) != 0 {
		t.Errorf("flags after the notification: %v", got)
	}
	if slices.Contains(app.needsAttention(), id) {
		t.Error("still needs attention")
	}
	k := app.kinds(id)
	if !before(k, "session_created", "sdk_event") || !before(k, "sdk_event", "flag") || !before(k, "flag", "notification") || !before(k, "notification", "flag") {
		t.Errorf("timeline kinds %v: want session, SDK event, flag raised, notification, flag cleared", k)
	}
}

// The app reports a failure, the payment succeeds anyway (its notification
// late): flagged when the truth arrives; a full refund settles it.
func TestFlagSDKFailureButServerSuccess(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{NoSimSDKEvents: true, Faults: sim.Faults{NotifyDelay: time.Minute}})
	id := app.createSession()
	app.call(http.MethodPost, paths.APISDKEvents(id), app.Key, map[string]any{
		"eventCode": "SDK_PAYMENT_FAIL", "paymentResultCode": "PROCESS_FAIL", "occurredAt": app.Clock.Now().Format(time.RFC3339),
	}).want(t, http.StatusCreated)
	if _, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	if got := app.flagCodes(id); len(got) != 0 {
		t.Fatalf("before the truth: flags %v", got)
	}
	app.advanceUntil("payment and capture SUCCESS", time.Minute, func() bool {
		p := app.payment(id)
		return p.Status == store.StatusSuccess && p.CaptureState == store.CaptureFull
	})
	if got := app.flagCodes(id); !slices.Equal(got, []string{"sdk_fail_server_success"}) {
		t.Fatalf("flags %v, want sdk_fail_server_success", got)
	}
	if !slices.Contains(app.needsAttention(), id) {
		t.Error("not in the needs-attention list")
	}
	// Support refunds the buyer in full: the two sides agree again.
	p := app.payment(id)
	if _, err := app.H.Operations.Refund(bg, id, p.AmountMinor, "buyer was told it failed", store.AuditContext{Actor: "user:ops@example.com"}); err != nil {
		t.Fatal(err)
	}
	app.advanceUntil("the refund", time.Minute, func() bool { return app.payment(id).RefundedMinor == p.AmountMinor })
	if got := app.flagCodes(id); len(got) != 0 {
		t.Errorf("after the full refund: flags %v", got)
	}
}

// The buyer's payment stays pending: the SDK said PROCESSING; past the
// order-close window it is flagged, and Antom closing the order clears it.
func TestFlagSDKProcessingStuck(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{OrderClose: 30 * time.Minute})
	id := app.createSession()
	out, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "pending"))
	if err != nil || out.SDKEvent != "SDK_PAYMENT_PROCESSING" {
		t.Fatalf("pay: %+v, %v", out, err)
	}
	app.waitFor("PAYMENT_PENDING", func() bool { return app.payment(id).Status == store.StatusProcessing })
	app.Clock.Advance(store.OrderCloseWindow - time.Second)
	if n, _ := app.H.CheckSDKFlags(bg); n != 0 {
		t.Fatalf("inside the window: %d flagged", n)
	}
	app.Clock.Advance(time.Second)
	if n, err := app.H.CheckSDKFlags(bg); err != nil || n != 1 {
		t.Fatalf("after the window: %d, %v", n, err)
	}
	if got := app.flagCodes(id); !slices.Contains(got, "sdk_processing_stuck") {
		t.Fatalf("flags %v", got)
	}
	app.Clock.Advance(30*time.Minute - store.OrderCloseWindow)
	app.waitFor("the order to close", func() bool { return app.payment(id).Status == store.StatusFail })
	if got := app.flagCodes(id); slices.Contains(got, "sdk_processing_stuck") {
		t.Errorf("after the final result: flags %v", got)
	}
}

// The SDK said success, every notification is lost for over an hour and
// the session sweeper expires the payment: the buyer was told it was paid
// and the server says EXPIRED. Antom's late retry clears it.
func TestFlagSDKSuccessButExpired(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{Faults: sim.Faults{DropFirst: 4}})
	id := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	app.Clock.Advance(store.SDKNotifyGrace)
	if n, err := app.H.CheckSDKFlags(bg); err != nil || n != 1 {
		t.Fatalf("after the grace: %d, %v", n, err)
	}
	app.Clock.Set(app.payment(id).SessionExpiresAt)
	if n, err := app.Store.ExpireSessions(bg, app.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("ExpireSessions: %d, %v", n, err)
	}
	if got := app.flagCodes(id); !slices.Equal(got, []string{"sdk_success_server_fail"}) {
		t.Fatalf("flags %v, want sdk_success_server_fail (and no longer no_notification)", got)
	}
	// Antom keeps retrying (0, 2m, 10m, 10m, 1h, …): the fifth attempt gets through.
	app.advanceUntil("the late notification", 10*time.Minute, func() bool { return app.payment(id).Status == store.StatusSuccess })
	if got := app.flagCodes(id); len(got) != 0 {
		t.Errorf("after the notification: flags %v", got)
	}
}

// A final notification contradicts what the ledger (and an inquiry) say:
// flagged, an inquiry is asked for, and its agreeing answer clears it.
func TestFlagContradiction(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	id := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	app.waitFor("SUCCESS", func() bool { return app.payment(id).Status == store.StatusSuccess })
	if _, err := app.H.Operations.Inquire(bg, id, "test"); err != nil {
		t.Fatal(err)
	}
	p := app.payment(id)
	// A PAYMENT_RESULT F for the same payment, signed with Antom's key.
	body, _ := json.Marshal(map[string]any{
		"notifyType": "PAYMENT_RESULT", "paymentRequestId": id, "paymentId": p.PaymentID,
		"result":        map[string]string{"resultStatus": "F", "resultCode": "PROCESS_FAIL", "resultMessage": "fail"},
		"paymentAmount": antom.NewAmount(p.AmountMinor, p.Currency),
	})
	app.postNotification(body)
	if got := app.flagCodes(id); !slices.Contains(got, "contradiction") {
		t.Fatalf("flags %v, want contradiction", got)
	}
	if p := app.payment(id); p.Status != store.StatusSuccess || !p.NextPollAt.Equal(app.Clock.Now()) {
		t.Errorf("status %s next inquiry %v: want SUCCESS kept and an inquiry now", p.Status, p.NextPollAt)
	}
	if !slices.Contains(app.needsAttention(), id) {
		t.Error("not in the needs-attention list")
	}
	if _, err := app.H.Operations.Inquire(bg, id, "poller"); err != nil {
		t.Fatal(err)
	}
	if got := app.flagCodes(id); slices.Contains(got, "contradiction") {
		t.Errorf("after an agreeing inquiry: flags %v", got)
	}
}

// advanceUntil moves the clock by step while cond is false, giving the
// simulator's deliveries a moment after each step.
func (a *apiApp) advanceUntil(what string, step time.Duration, cond func() bool) {
	a.t.Helper()
	for i := 0; !cond(); i++ {
		if i == 200 {
			a.t.Fatalf("no %s after %s of simulated time", what, 200*step)
		}
		a.Clock.Advance(step)
		settle := time.Now().Add(200 * time.Millisecond)
		for !cond() && time.Now().Before(settle) {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// postNotification posts a notification to the webhook signed with the
// simulator's ("Antom's") key.
func (a *apiApp) postNotification(body []byte) {
	a.t.Helper()
	_, antomKey := apiKeys(a.t)
	reqTime := strconv.FormatInt(a.Clock.Now().UnixMilli(), 10)
	sig, err := antom.Sign(antomKey, antom.SignContent(http.MethodPost, paths.WebhookAntom, apiTestClientID, reqTime, body))
	if err != nil {
		a.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL+paths.WebhookAntom, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(antom.HeaderClientID, apiTestClientID)
	req.Header.Set(antom.HeaderRequestTime, reqTime)
	req.Header.Set(antom.HeaderSignature, antom.SignatureHeader(sig, antom.DefaultKeyVersion))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("webhook: %d", res.StatusCode)
	}
}

// The staff side: the reference page for every role, and the SDK's event
// and the flag on the payment's page.
func TestSDKEventsOnStaffPages(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	var support *staff
	for _, role := range store.Roles() {
		s := app.login(role)
		if role == store.RoleSupport {
			support = s
		}
		code, body := s.get(paths.SDKEventCodes)
		if code != http.StatusOK {
			t.Fatalf("%s: reference page %d", role, code)
		}
		for _, c := range store.SDKCodes() {
			if !strings.Contains(body, `id="`+c.Code+`"`) {
				t.Errorf("%s: reference page lacks %s", role, c.Code)
			}
		}
		if !strings.Contains(body, "Contact Antom Technical Support to resolve the issue.") || !strings.Contains(body, `data-flag="sdk_fail_server_success"`) {
			t.Errorf("%s: reference page lacks the seed's actions or the flags", role)
		}
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(app.URL + paths.SDKEventCodes)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Errorf("signed out: %d, want a redirect to the login page", res.StatusCode)
	}

	id := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(bg, id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	app.waitFor("SUCCESS", func() bool { return app.payment(id).Status == store.StatusSuccess })
	code, body := support.get(paths.Payment(id))
	if code != http.StatusOK || !strings.Contains(body, "SDK_PAYMENT_SUCCESSFUL") {
		t.Errorf("payment page (%d) does not show the SDK's event", code)
	}
}
