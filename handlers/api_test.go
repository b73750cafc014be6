package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"paydesk/antom/sim"
	"paydesk/store"
	"paydesk/views/paths"
)

// Every API route refuses requests without a valid key, before doing anything.
func TestAPIRequiresKey(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	id := app.createSession()
	routes := []struct{ method, path string }{
		{http.MethodPost, paths.APISessions},
		{http.MethodGet, paths.APIPayments},
		{http.MethodGet, paths.APIPayment(id)},
		{http.MethodPost, paths.APISDKEvents(id)},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := app.call(rt.method, rt.path, "", "{}").want(t, http.StatusUnauthorized, "missing_api_key")
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want Bearer", r.Header.Get("WWW-Authenticate"))
			}
			app.call(rt.method, rt.path, "", "{}", "Authorization", "Basic dXNlcjpwYXNz").want(t, http.StatusUnauthorized, "missing_api_key")
			app.call(rt.method, rt.path, "pdk_live_notakey", "{}").want(t, http.StatusUnauthorized, "invalid_api_key")
		})
	}
	if n := len(app.payment(id).Timeline); n == 0 {
		t.Fatal("no timeline")
	}
	evs, _ := app.Store.SDKEvents(context.Background(), id)
	if len(evs) != 0 {
		t.Errorf("unauthenticated requests recorded %d SDK events", len(evs))
	}
	// The OpenAPI document is public.
	r := app.call(http.MethodGet, paths.APIOpenAPI, "", nil).want(t, http.StatusOK)
	if str(r.JSON, "openapi") != "3.1.0" {
		t.Errorf("openapi.json: %.100s", r.Body)
	}
}

// Revoking a key locks it out on the very next request.
func TestAPIKeyRevocationIsImmediate(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	id := app.createSession()
	app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusOK)
	if err := app.Store.RevokeAPIKey(context.Background(), app.KeyID, store.AuditContext{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusUnauthorized, "invalid_api_key")
	app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody()).want(t, http.StatusUnauthorized, "invalid_api_key")
	page, err := app.Store.ListPayments(context.Background(), store.PaymentFilter{})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("a revoked key created %d payments after the first (%v)", len(page.Items)-1, err)
	}
	// Another key still works.
	app.call(http.MethodGet, paths.APIPayments, app.ReadKey, nil).want(t, http.StatusOK)
}

func TestAPISessionCreate(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	r := app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody(func(b map[string]any) {
		b["env"] = map[string]any{"terminalType": "APP", "osType": "IOS"}
		b["paymentRedirectUrl"] = "https://shop.example/app/payment-result"
	})).want(t, http.StatusOK)
	id := str(r.JSON, "paymentRequestId")
	if id == "" || str(r.JSON, "status") != "SESSION_READY" || str(r.JSON, "paymentSessionData") == "" {
		t.Fatalf("got %s", r.Body)
	}
	if r.JSON["sandbox"] != true || str(r.JSON, "paymentSessionExpiryTime") == "" || str(r.JSON, "amount", "value") != "4200" {
		t.Errorf("got %s", r.Body)
	}
	p := app.payment(id)
	if p.TerminalType != "APP" || p.OSType != "IOS" || p.RedirectURL != "https://shop.example/app/payment-result" || p.CreatedBy != "apikey:shop-app" {
		t.Errorf("stored terminal %s/%s redirect %q by %q", p.TerminalType, p.OSType, p.RedirectURL, p.CreatedBy)
	}
	if p.SessionData != str(r.JSON, "paymentSessionData") {
		t.Errorf("session data differs from the store's")
	}
	// The simulator holds the same session: the dashboard's code path called Antom.
	if v, ok := app.Sim.Sim.Payment(id); !ok || v.SessionData != p.SessionData {
		t.Errorf("simulator has %+v, %v", v, ok)
	}
	// The terminal defaults to APP, which needs an osType.
	app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody(func(b map[string]any) { delete(b, "env") })).
		want(t, http.StatusUnprocessableEntity, "validation_failed", "env.osType")
	// A web terminal needs none.
	app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody(func(b map[string]any) {
		b["env"] = map[string]any{"terminalType": "WEB"}
	})).want(t, http.StatusOK)
}

func TestAPISessionIdempotency(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	post := func(key, idem string, body map[string]any) apiResponse {
		return app.call(http.MethodPost, paths.APISessions, key, body, "Idempotency-Key", idem)
	}
	first := post(app.Key, "order-1001-try-1", sessionBody()).want(t, http.StatusOK)
	id := str(first.JSON, "paymentRequestId")

	t.Run("same key, same body", func(t *testing.T) {
		again := post(app.Key, "order-1001-try-1", sessionBody()).want(t, http.StatusOK)
		if str(again.JSON, "paymentRequestId") != id || str(again.JSON, "paymentSessionData") != str(first.JSON, "paymentSessionData") {
			t.Errorf("replay: got %s, want the first session %s", again.Body, first.Body)
		}
		if cs := str(again.JSON, "clientSecret"); !strings.HasPrefix(cs, "pdk_cs_") || cs != str(first.JSON, "clientSecret") {
			t.Errorf("replay: clientSecret %q, want the first one %q", cs, str(first.JSON, "clientSecret"))
		}
	})
	t.Run("same key, different body", func(t *testing.T) {
		r := post(app.Key, "order-1001-try-1", sessionBody(func(b map[string]any) {
			o := b["order"].(map[string]any)
			o["orderAmount"] = map[string]any{"currency": "SGD", "value": "4300"}
			o["orderDescription"] = "Three coffees"
		})).want(t, http.StatusConflict, "idempotency_conflict", "order.orderDescription")
		msg := str(r.JSON, "error", "message")
		if !strings.Contains(msg, "order.orderAmount.value") || !strings.Contains(msg, "order.orderDescription") {
			t.Errorf("message %q does not say what differs", msg)
		}
	})
	t.Run("same key, another client", func(t *testing.T) {
		r := post(app.OtherKey, "order-1001-try-1", sessionBody()).want(t, http.StatusOK)
		if str(r.JSON, "paymentRequestId") == id || str(r.JSON, "clientSecret") == str(first.JSON, "clientSecret") {
			t.Error("another API key got the first client's session")
		}
	})
	t.Run("merchant paymentRequestId", func(t *testing.T) {
		body := sessionBody(func(b map[string]any) { b["paymentRequestId"] = "shop-pay-0001" })
		a := app.call(http.MethodPost, paths.APISessions, app.Key, body).want(t, http.StatusOK)
		b := app.call(http.MethodPost, paths.APISessions, app.Key, body).want(t, http.StatusOK)
		if str(a.JSON, "paymentRequestId") != "shop-pay-0001" || str(b.JSON, "paymentSessionData") != str(a.JSON, "paymentSessionData") {
			t.Errorf("got %s then %s", a.Body, b.Body)
		}
		body["captureMode"] = "MANUAL"
		app.call(http.MethodPost, paths.APISessions, app.Key, body).want(t, http.StatusConflict, "idempotency_conflict", "captureMode")
		// Another client may not see or reuse it.
		delete(body, "captureMode")
		app.call(http.MethodPost, paths.APISessions, app.OtherKey, body).want(t, http.StatusForbidden, "payment_forbidden", "paymentRequestId")
	})
	page, err := app.Store.ListPayments(context.Background(), store.PaymentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Errorf("got %d payments, want 3 (first, the other client's, shop-pay-0001)", len(page.Items))
	}
}

// A credential the route does not take is a 403 naming the scope, in the
// body and in WWW-Authenticate (RFC 6750).
func TestAPIInsufficientScope(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	r := app.call(http.MethodGet, paths.APIPayments, app.Key, nil).want(t, http.StatusForbidden, "insufficient_scope")
	if str(r.JSON, "error", "scope") != "payments:read" || !strings.Contains(str(r.JSON, "error", "message"), "payments:read") {
		t.Errorf("body %s, want scope payments:read named", r.Body)
	}
	if got := r.Header.Get("WWW-Authenticate"); got != `Bearer realm="paydesk", error="insufficient_scope", scope="payments:read"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
	r = app.call(http.MethodPost, paths.APISessions, app.ReadKey, sessionBody()).want(t, http.StatusForbidden, "insufficient_scope")
	if str(r.JSON, "error", "scope") != "sessions" {
		t.Errorf("body %s, want scope sessions", r.Body)
	}
	id := app.createSession()
	r = app.call(http.MethodPost, paths.APISessions, app.secrets[id], sessionBody()).want(t, http.StatusForbidden, "insufficient_scope")
	if !strings.Contains(str(r.JSON, "error", "message"), "client secret") {
		t.Errorf("a client secret creating a session: %s, want the message to say why", r.Body)
	}
}

func TestAPISessionRejectsBadRequests(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	order := func(f func(o map[string]any)) func(map[string]any) {
		return func(b map[string]any) { f(b["order"].(map[string]any)) }
	}
	for _, tc := range []struct {
		name   string
		body   any
		header []string
		status int
		code   string
		field  string
	}{
		{"not JSON", "{order:", nil, 400, "invalid_json", ""},
		{"empty", "", nil, 400, "invalid_json", ""},
		{"array", "[]", nil, 400, "invalid_json", ""},
		{"two values", `{} {}`, nil, 400, "invalid_json", ""},
		{"unknown field", sessionBody(func(b map[string]any) { b["amount"] = 1 }), nil, 400, "invalid_json", "amount"},
		{"number for a string", sessionBody(order(func(o map[string]any) { o["orderAmount"] = map[string]any{"currency": "SGD", "value": 4200} })), nil, 400, "invalid_json", "order.orderAmount.value"},
		{"form content type", sessionBody(), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", "Content-Type"},
		{"bad Idempotency-Key", sessionBody(), []string{"Idempotency-Key", "has space"}, 400, "invalid_parameter", "Idempotency-Key"},
		{"too large", `{"paymentRequestId":"` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "body_too_large", ""},
		{"no order", map[string]any{"captureMode": "AUTOMATIC"}, nil, 422, "validation_failed", "order"},
		{"no amount", sessionBody(order(func(o map[string]any) { delete(o, "orderAmount") })), nil, 422, "validation_failed", "order.orderAmount"},
		{"unknown currency", sessionBody(order(func(o map[string]any) { o["orderAmount"] = map[string]any{"currency": "XXX", "value": "1"} })), nil, 422, "validation_failed", "order.orderAmount.currency"},
		{"decimal amount", sessionBody(order(func(o map[string]any) { o["orderAmount"] = map[string]any{"currency": "SGD", "value": "42.00"} })), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"zero amount", sessionBody(order(func(o map[string]any) { o["orderAmount"] = map[string]any{"currency": "SGD", "value": "0"} })), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"non-ASCII description", sessionBody(order(func(o map[string]any) { o["orderDescription"] = "两杯咖啡" })), nil, 422, "validation_failed", "order.orderDescription"},
		{"no reference order", sessionBody(order(func(o map[string]any) { delete(o, "referenceOrderId") })), nil, 422, "validation_failed", "order.referenceOrderId"},
		{"capture mode", sessionBody(func(b map[string]any) { b["captureMode"] = "LATER" }), nil, 422, "validation_failed", "captureMode"},
		{"os type", sessionBody(func(b map[string]any) { b["env"] = map[string]any{"terminalType": "APP", "osType": "SYMBIAN"} }), nil, 422, "validation_failed", "env.osType"},
		{"terminal", sessionBody(func(b map[string]any) { b["env"] = map[string]any{"terminalType": "TV", "osType": "IOS"} }), nil, 422, "validation_failed", "env.terminalType"},
		{"redirect URL", sessionBody(func(b map[string]any) { b["paymentRedirectUrl"] = "not a url" }), nil, 422, "validation_failed", "paymentRedirectUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := app.call(http.MethodPost, paths.APISessions, app.Key, tc.body, tc.header...)
			r.want(t, tc.status, tc.code, tc.field)
			if str(r.JSON, "error", "message") == "" || str(r.JSON, "error", "requestId") == "" {
				t.Errorf("error without message or request ID: %s", r.Body)
			}
		})
	}
	page, err := app.Store.ListPayments(context.Background(), store.PaymentFilter{})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("refused requests created %d payments (%v)", len(page.Items), err)
	}
}

// A session Antom does not confirm is a 202; the same request again gets it.
func TestAPISessionUnknownOutcome(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	// U on every try (the client retries U for this API).
	app.Sim.Sim.SetFaults(sim.Faults{APIUnknown: -1, APIs: []string{"createPaymentSession"}})
	r := app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody(), "Idempotency-Key", "k1").want(t, http.StatusAccepted)
	if str(r.JSON, "status") != "CREATED" || str(r.JSON, "paymentSessionData") != "" {
		t.Fatalf("got %s", r.Body)
	}
	app.Sim.Sim.SetFaults(sim.Faults{})
	again := app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody(), "Idempotency-Key", "k1").want(t, http.StatusOK)
	if str(again.JSON, "status") != "SESSION_READY" || str(again.JSON, "paymentRequestId") != str(r.JSON, "paymentRequestId") {
		t.Errorf("retry: got %s", again.Body)
	}
}

func TestAPISDKEvents(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{NoSimSDKEvents: true})
	id := app.createSession()
	post := func(body any) apiResponse {
		return app.call(http.MethodPost, paths.APISDKEvents(id), app.Key, body)
	}
	occurred := apiEpoch.Add(-3 * time.Second).Format(time.RFC3339)
	ev := map[string]any{"eventCode": "SDK_PAYMENT_CANCEL", "message": "buyer left", "occurredAt": occurred}
	r := post(ev).want(t, http.StatusCreated)
	if r.JSON["duplicate"] != false || str(r.JSON, "event", "eventCode") != "SDK_PAYMENT_CANCEL" ||
		str(r.JSON, "event", "occurredAt") != occurred || str(r.JSON, "payment", "status") != "SESSION_READY" {
		t.Errorf("got %s", r.Body)
	}
	r = post(ev).want(t, http.StatusOK)
	if r.JSON["duplicate"] != true {
		t.Errorf("retry: got %s, want duplicate", r.Body)
	}
	// "when" is accepted for occurredAt (the simulator's name).
	post(map[string]any{"eventCode": "SDK_START_OF_LOADING", "when": occurred}).want(t, http.StatusCreated)
	post(map[string]any{"eventCode": "SDK_END_OF_LOADING"}).want(t, http.StatusCreated)

	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown code", map[string]any{"eventCode": "SDK_PAYMENT_MAYBE"}, 422, "unknown_event_code", "eventCode"},
		{"no code", map[string]any{"message": "x"}, 422, "validation_failed", "eventCode"},
		{"bad time", map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "occurredAt": "yesterday"}, 422, "validation_failed", "occurredAt"},
		{"two times", map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "occurredAt": occurred, "when": apiEpoch.Format(time.RFC3339)}, 422, "validation_failed", "when"},
		{"result code", map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "paymentResultCode": "ÉCHEC"}, 422, "validation_failed", "paymentResultCode"},
		{"unknown field", map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "code": "x"}, 400, "invalid_json", "code"},
		{"wrong type", map[string]any{"eventCode": 7}, 400, "invalid_json", "eventCode"},
	} {
		t.Run(tc.name, func(t *testing.T) { post(tc.body).want(t, tc.status, tc.code, tc.field) })
	}
	app.call(http.MethodPost, paths.APISDKEvents("nope"), app.Key, map[string]any{"eventCode": "SDK_PAYMENT_FAIL"}).
		want(t, http.StatusNotFound, "payment_not_found", "paymentRequestId")

	evs, err := app.Store.SDKEvents(context.Background(), id)
	if err != nil || len(evs) != 3 {
		t.Fatalf("got %d events (%v), want 3: refused reports change nothing", len(evs), err)
	}
	// They are on the timeline as sdk_event entries.
	n := 0
	for _, e := range app.payment(id).Timeline {
		if e.Kind == store.EventSDK {
			n++
		}
	}
	if n != 3 {
		t.Errorf("timeline has %d sdk_event entries, want 3", n)
	}
}

func TestAPIPaymentShow(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	id := app.createSession()
	if _, err := app.Sim.Sim.PayByRequestID(context.Background(), id, app.card(id, "success")); err != nil {
		t.Fatal(err)
	}
	var r apiResponse
	app.waitFor("payment and capture SUCCESS", func() bool {
		r = app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusOK)
		return str(r.JSON, "status") == "SUCCESS" && str(r.JSON, "captureState") == "CAPTURED"
	})
	if str(r.JSON, "paymentId") == "" || str(r.JSON, "result", "resultCode") != "SUCCESS" || r.JSON["final"] != true {
		t.Errorf("truth: %s", r.Body)
	}
	if str(r.JSON, "displayStatus") != "captured" || str(r.JSON, "displayStatusText") != "Captured" {
		t.Errorf("displayStatus %q (%q), want captured (Captured)", str(r.JSON, "displayStatus"), str(r.JSON, "displayStatusText"))
	}
	caps, _ := r.JSON["captures"].([]any)
	if len(caps) != 1 || str(caps[0].(map[string]any), "status") != "SUCCESS" {
		t.Errorf("captures: %v", r.JSON["captures"])
	}
	if refunds, ok := r.JSON["refunds"].([]any); !ok || len(refunds) != 0 {
		t.Errorf("refunds: %v", r.JSON["refunds"])
	}
	// The simulator's checkout reported the SDK event like an app would.
	evs, _ := r.JSON["sdkEvents"].([]any)
	if len(evs) != 1 || str(evs[0].(map[string]any), "eventCode") != "SDK_PAYMENT_SUCCESSFUL" {
		t.Errorf("sdkEvents: %v", r.JSON["sdkEvents"])
	}
	if flags, _ := r.JSON["flags"].([]any); len(flags) != 0 || r.JSON["needsAttention"] != false {
		t.Errorf("flags on an agreeing payment: %s", r.Body)
	}
	app.call(http.MethodGet, paths.APIPayment("pay_missing"), app.Key, nil).want(t, http.StatusNotFound, "payment_not_found", "paymentRequestId")
}

func TestAPIPaymentList(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	var ids []string
	for i := range 5 {
		app.Clock.Advance(time.Second)
		ids = append(ids, app.createSession(func(b map[string]any) {
			b["order"].(map[string]any)["referenceOrderId"] = fmt.Sprintf("order-%d", i)
		}))
	}
	// Walk the pages: newest first, every payment once.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		path := paths.APIPayments + "?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := app.call(http.MethodGet, path, app.ReadKey, nil).want(t, http.StatusOK)
		for _, p := range r.JSON["payments"].([]any) {
			got = append(got, str(p.(map[string]any), "paymentRequestId"))
		}
		if cursor = str(r.JSON, "nextCursor"); cursor == "" {
			break
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages: got %v, want %v", got, want)
	}
	// Filters: search by any ID, status, needsAttention.
	r := app.call(http.MethodGet, paths.APIPayments+"?q=order-3", app.ReadKey, nil).want(t, http.StatusOK)
	if ps := r.JSON["payments"].([]any); len(ps) != 1 || str(ps[0].(map[string]any), "paymentRequestId") != ids[3] {
		t.Errorf("q=order-3: %s", r.Body)
	}
	r = app.call(http.MethodGet, paths.APIPayments+"?status=SUCCESS", app.ReadKey, nil).want(t, http.StatusOK)
	if ps := r.JSON["payments"].([]any); len(ps) != 0 {
		t.Errorf("status=SUCCESS: %d payments, want 0", len(ps))
	}
	r = app.call(http.MethodGet, paths.APIPayments+"?status=SESSION_READY&currency=sgd&from=2025-03-01&to=2025-03-01", app.ReadKey, nil).want(t, http.StatusOK)
	if ps := r.JSON["payments"].([]any); len(ps) != 5 {
		t.Errorf("status, currency and dates: %d payments, want 5", len(ps))
	}
	for query, want := range map[string]int{"displayStatus=awaiting_payment": 5, "displayStatus=refunded": 0} {
		r = app.call(http.MethodGet, paths.APIPayments+"?"+query, app.ReadKey, nil).want(t, http.StatusOK)
		ps := r.JSON["payments"].([]any)
		if len(ps) != want {
			t.Errorf("%s: %d payments, want %d", query, len(ps), want)
		}
		for _, p := range ps {
			if got := str(p.(map[string]any), "displayStatus"); got != "awaiting_payment" {
				t.Errorf("%s: a payment with displayStatus %q", query, got)
			}
		}
	}
	r = app.call(http.MethodGet, paths.APIPayments+"?needsAttention=true", app.ReadKey, nil).want(t, http.StatusOK)
	if ps := r.JSON["payments"].([]any); len(ps) != 0 {
		t.Errorf("needsAttention: %d payments, want 0", len(ps))
	}
	for _, tc := range []struct{ query, field string }{
		{"status=PAID", "status"},
		{"displayStatus=Refunded", "displayStatus"},
		{"currency=XXX", "currency"},
		{"captureState=SOME", "captureState"},
		{"from=yesterday", "from"},
		{"from=2025-03-02&to=2025-03-01", "to"},
		{"needsAttention=maybe", "needsAttention"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"cursor=not-a-cursor", "cursor"},
		{"sort=asc", "sort"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			app.call(http.MethodGet, paths.APIPayments+"?"+tc.query, app.ReadKey, nil).want(t, http.StatusBadRequest, "invalid_parameter", tc.field)
		})
	}
}
