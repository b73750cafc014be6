package handlers_test

// QA: the app API under hostile and careless clients. Every refusal is a
// JSON error with a stable code (and the field at fault when there is one),
// and changes nothing; concurrent retries of one request make one session.

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// qaPayments is the number of payments in the ledger.
func (a *apiApp) qaPayments() int {
	a.t.Helper()
	page, err := a.Store.ListPayments(context.Background(), store.PaymentFilter{Limit: 500})
	if err != nil {
		a.t.Fatal(err)
	}
	return len(page.Items)
}

func TestQAAPIRefusesMalformedRequests(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	valid := `{"order":{"referenceOrderId":"o-1","orderDescription":"d","orderAmount":{"currency":"SGD","value":"100"}},"env":{"terminalType":"APP","osType":"IOS"}}`
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		code   string
		field  string
	}{
		{"truncated JSON", valid[:40], nil, 400, "invalid_json", ""},
		{"trailing garbage", valid + "x", nil, 400, "invalid_json", ""},
		{"null", "null", nil, 422, "validation_failed", "order"},
		{"string", `"hello"`, nil, 400, "invalid_json", ""},
		{"number", `42`, nil, 400, "invalid_json", ""},
		{"NUL byte", "{\x00}", nil, 400, "invalid_json", ""},
		{"invalid UTF-8 in a string", `{"order":{"referenceOrderId":"o-` + "\xff" + `","orderDescription":"d","orderAmount":{"currency":"SGD","value":"100"}},"env":{"terminalType":"WEB"}}`, nil, 422, "validation_failed", "order.referenceOrderId"},
		{"duplicate keys, second wrong", `{"captureMode":"AUTOMATIC","captureMode":"SOON","order":{"referenceOrderId":"o-1","orderDescription":"d","orderAmount":{"currency":"SGD","value":"100"}},"env":{"terminalType":"WEB"}}`, nil, 422, "validation_failed", "captureMode"},
		{"unknown nested field", strings.Replace(valid, `"value":"100"`, `"value":"100","exponent":2`, 1), nil, 400, "invalid_json", "exponent"}, // encoding/json names the key, not its path,
		{"amount as a number", strings.Replace(valid, `"value":"100"`, `"value":100`, 1), nil, 400, "invalid_json", "order.orderAmount.value"},
		{"amount -1", strings.Replace(valid, `"value":"100"`, `"value":"-1"`, 1), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"amount 1.5", strings.Replace(valid, `"value":"100"`, `"value":"1.5"`, 1), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"amount 17 digits", strings.Replace(valid, `"value":"100"`, `"value":"12345678901234567"`, 1), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"amount with spaces", strings.Replace(valid, `"value":"100"`, `"value":" 100"`, 1), nil, 422, "validation_failed", "order.orderAmount.value"},
		{"currency lower-case", strings.Replace(valid, `"SGD"`, `"sgd"`, 1), nil, 422, "validation_failed", "order.orderAmount.currency"},
		{"threeDS as a string", strings.Replace(valid, `"env"`, `"threeDS":"true","env"`, 1), nil, 400, "invalid_json", "threeDS"},
		{"order as an array", `{"order":[]}`, nil, 400, "invalid_json", "order"},
		{"65-char paymentRequestId", strings.Replace(valid, `{"order"`, `{"paymentRequestId":"`+strings.Repeat("p", 65)+`","order"`, 1), nil, 422, "validation_failed", "paymentRequestId"},
		{"non-ASCII paymentRequestId", strings.Replace(valid, `{"order"`, `{"paymentRequestId":"支付-1","order"`, 1), nil, 422, "validation_failed", "paymentRequestId"},
		{"257-char description", strings.Replace(valid, `"orderDescription":"d"`, `"orderDescription":"`+strings.Repeat("d", 257)+`"`, 1), nil, 422, "validation_failed", "order.orderDescription"},
		{"javascript: redirect", strings.Replace(valid, `{"order"`, `{"paymentRedirectUrl":"javascript:alert(1)","order"`, 1), nil, 422, "validation_failed", "paymentRedirectUrl"},
		{"no content type", valid, []string{"Content-Type", ""}, 415, "unsupported_media_type", "Content-Type"},
		{"text/plain", valid, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type", "Content-Type"},
		{"JSON-ish content type", valid, []string{"Content-Type", "application/json-patch+json"}, 415, "unsupported_media_type", "Content-Type"},
		{"malformed content type", valid, []string{"Content-Type", "application/json; charset"}, 415, "unsupported_media_type", "Content-Type"},
		{"over the API limit", `{"order":{"orderDescription":"` + strings.Repeat("x", 100<<10) + `"}}`, nil, 413, "body_too_large", ""},
		{"over the server limit", `{"order":{"orderDescription":"` + strings.Repeat("x", 2<<20) + `"}}`, nil, 413, "body_too_large", ""},
		{"Idempotency-Key too long", valid, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, "invalid_parameter", "Idempotency-Key"},
		{"Idempotency-Key non-ASCII", valid, []string{"Idempotency-Key", "clé"}, 400, "invalid_parameter", "Idempotency-Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := app.call(http.MethodPost, paths.APISessions, app.Key, tc.body, tc.header...)
			r.want(t, tc.status, tc.code, tc.field)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if str(r.JSON, "error", "message") == "" {
				t.Errorf("no message: %s", r.Body)
			}
		})
	}
	if n := app.qaPayments(); n != 0 {
		t.Errorf("refused requests created %d payments", n)
	}
	if n := len(app.Sim.Sim.Payments()); n != 0 {
		t.Errorf("refused requests reached Antom %d times", n)
	}
	// The content type's parameters and case do not matter.
	app.call(http.MethodPost, paths.APISessions, app.Key, valid, "Content-Type", "Application/JSON; charset=UTF-8").want(t, http.StatusOK)
}

// Ten copies of one request at once, with one Idempotency-Key: one payment,
// one session at Antom, the same answer for all.
func TestQAAPIIdempotencyRace(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	const n = 10
	run := func(header []string, body func(i int) map[string]any) []apiResponse {
		out := make([]apiResponse, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i] = app.call(http.MethodPost, paths.APISessions, app.Key, body(i), header...)
			}()
		}
		wg.Wait()
		return out
	}
	same := func(int) map[string]any { return sessionBody() }
	t.Run("same key, same body", func(t *testing.T) {
		rs := run([]string{"Idempotency-Key", "race-1"}, same)
		id, data := str(rs[0].JSON, "paymentRequestId"), str(rs[0].JSON, "paymentSessionData")
		for i, r := range rs {
			r.want(t, http.StatusOK)
			if str(r.JSON, "paymentRequestId") != id || str(r.JSON, "paymentSessionData") != data || data == "" {
				t.Errorf("answer %d: %s, want the first session %s", i, r.Body, rs[0].Body)
			}
		}
		if app.qaPayments() != 1 || len(app.Sim.Sim.Payments()) != 1 {
			t.Errorf("%d payments, %d at Antom; want 1 and 1", app.qaPayments(), len(app.Sim.Sim.Payments()))
		}
		if p := app.payment(id); p.SessionData != data {
			t.Error("the stored session data differs from what the clients got")
		}
	})
	t.Run("same key, different bodies", func(t *testing.T) {
		before := app.qaPayments()
		rs := run([]string{"Idempotency-Key", "race-2"}, func(i int) map[string]any {
			return sessionBody(func(b map[string]any) {
				b["order"].(map[string]any)["orderDescription"] = strings.Repeat("x", i+1)
			})
		})
		ok := 0
		for _, r := range rs {
			switch r.Status {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				r.want(t, http.StatusConflict, "idempotency_conflict", "order.orderDescription")
			default:
				t.Errorf("got %d: %s", r.Status, r.Body)
			}
		}
		if ok != 1 || app.qaPayments() != before+1 {
			t.Errorf("%d accepted, payments %d → %d; want exactly one", ok, before, app.qaPayments())
		}
	})
	t.Run("same merchant paymentRequestId", func(t *testing.T) {
		before := app.qaPayments()
		rs := run(nil, func(int) map[string]any {
			return sessionBody(func(b map[string]any) { b["paymentRequestId"] = "shop-race-1" })
		})
		for _, r := range rs {
			r.want(t, http.StatusOK)
			if str(r.JSON, "paymentRequestId") != "shop-race-1" || str(r.JSON, "paymentSessionData") != str(rs[0].JSON, "paymentSessionData") {
				t.Errorf("got %s", r.Body)
			}
		}
		if app.qaPayments() != before+1 {
			t.Errorf("payments %d → %d, want one more", before, app.qaPayments())
		}
	})
}

func TestQAAPIKeyFormats(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{})
	// Change the key's last character to one it is not (a fixed "x" would
	// leave a key ending in x unchanged).
	changed := app.Key[:len(app.Key)-1] + "x"
	if strings.HasSuffix(app.Key, "x") {
		changed = app.Key[:len(app.Key)-1] + "y"
	}
	for _, tc := range []struct {
		name, auth, code string
	}{
		{"no header", "", "missing_api_key"},
		{"scheme only", "Bearer", "missing_api_key"},
		{"scheme and spaces", "Bearer    ", "missing_api_key"},
		{"Basic", "Basic " + app.Key, "missing_api_key"},
		{"token without scheme", app.Key, "missing_api_key"},
		{"garbage", "Bearer not-a-key", "invalid_api_key"},
		{"key with a character changed", "Bearer " + changed, "invalid_api_key"},
		{"key truncated", "Bearer " + app.Key[:len(app.Key)-4], "invalid_api_key"},
		{"key with a suffix", "Bearer " + app.Key + "x", "invalid_api_key"},
		{"two keys", "Bearer " + app.Key + " " + app.Key, "invalid_api_key"},
		{"very long", "Bearer " + strings.Repeat("k", 16<<10), "invalid_api_key"},
		{"non-ASCII", "Bearer clé-" + app.Key, "invalid_api_key"},
		{"SQL", "Bearer ' OR 1=1 --", "invalid_api_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := app.call(http.MethodPost, paths.APISessions, "", sessionBody(), "Authorization", tc.auth)
			r.want(t, http.StatusUnauthorized, tc.code)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if app.qaPayments() != 0 {
		t.Errorf("a refused key created %d payments", app.qaPayments())
	}
	// Scheme case does not matter (RFC 9110), nor surrounding spaces.
	app.call(http.MethodGet, paths.APIPayments, "", nil, "Authorization", "bearer "+app.ReadKey).want(t, http.StatusOK)
	app.call(http.MethodGet, paths.APIPayments, "", nil, "Authorization", "Bearer  "+app.ReadKey+" ").want(t, http.StatusOK)
	// A revoked key is refused at once, on every route, and creates nothing.
	id := app.createSession()
	if err := app.Store.RevokeAPIKey(context.Background(), app.KeyID, store.AuditContext{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	app.call(http.MethodPost, paths.APISessions, app.Key, sessionBody()).want(t, http.StatusUnauthorized, "invalid_api_key")
	app.call(http.MethodGet, paths.APIPayment(id), app.Key, nil).want(t, http.StatusUnauthorized, "invalid_api_key")
	app.call(http.MethodPost, paths.APISDKEvents(id), app.Key, map[string]any{"eventCode": "SDK_PAYMENT_FAIL"}).want(t, http.StatusUnauthorized, "invalid_api_key")
	if evs, _ := app.Store.SDKEvents(context.Background(), id); len(evs) != 0 {
		t.Errorf("a revoked key recorded %d SDK events", len(evs))
	}
}

func TestQAAPISDKEventsHostile(t *testing.T) {
	app := startAPIApp(t, apiAppOptions{NoSimSDKEvents: true})
	id := app.createSession()
	post := func(path string, body any) apiResponse {
		return app.call(http.MethodPost, path, app.Key, body)
	}
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown payment", paths.APISDKEvents("pay_nope"), map[string]any{"eventCode": "SDK_PAYMENT_SUCCESSFUL"}, 404, "payment_not_found", "paymentRequestId"},
		{"SQL in the ID", paths.APISDKEvents("x' OR '1'='1"), map[string]any{"eventCode": "SDK_PAYMENT_SUCCESSFUL"}, 404, "payment_not_found", "paymentRequestId"},
		{"encoded slash in the ID", paths.APIPayments + "/a%2Fb/sdk-events", map[string]any{"eventCode": "SDK_PAYMENT_SUCCESSFUL"}, 404, "payment_not_found", "paymentRequestId"},
		{"unknown code", paths.APISDKEvents(id), map[string]any{"eventCode": "SDK_PAYMENT_MAYBE"}, 422, "unknown_event_code", "eventCode"},
		{"code in lower case", paths.APISDKEvents(id), map[string]any{"eventCode": "sdk_payment_successful"}, 422, "unknown_event_code", "eventCode"},
		{"huge unknown code", paths.APISDKEvents(id), map[string]any{"eventCode": strings.Repeat("X", 60<<10)}, 422, "unknown_event_code", "eventCode"},
		{"empty object", paths.APISDKEvents(id), map[string]any{}, 422, "validation_failed", "eventCode"},
		{"not JSON", paths.APISDKEvents(id), "eventCode=SDK_PAYMENT_FAIL", 400, "invalid_json", ""},
		{"time without zone", paths.APISDKEvents(id), map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "occurredAt": "2025-03-01T10:00:00"}, 422, "validation_failed", "occurredAt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.path, tc.body).want(t, tc.status, tc.code, tc.field)
			if tc.code == "unknown_event_code" && len(r.Body) > 4<<10 {
				t.Errorf("the error echoes the whole input: %d bytes", len(r.Body))
			}
		})
	}
	if evs, _ := app.Store.SDKEvents(context.Background(), id); len(evs) != 0 {
		t.Errorf("refused events recorded: %d", len(evs))
	}
	// The payment stays what the server knows: an SDK success is not a payment.
	post(paths.APISDKEvents(id), map[string]any{"eventCode": "SDK_PAYMENT_SUCCESSFUL", "message": "支付成功 <b>ok</b>"}).want(t, http.StatusCreated)
	if p := app.payment(id); p.Status != store.StatusSessionReady {
		t.Errorf("an SDK event moved the payment to %s", p.Status)
	}
}
