package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// credentialColumns are the columns of the route × credential matrix: each
// app API route of the route table, and for the routes about one payment,
// each target: payment X (created by key A), payment Y (created by key B)
// and a payment that does not exist. TestRouteRoleMatrix checks that
// every app API route of the table is here.
var credentialColumns = []struct {
	route  string // route name in the table
	target string // "X", "Y", "missing", or "" for routes about no payment
}{
	{handlers.RouteAPISessionCreate, ""},
	{handlers.RouteAPIPaymentList, ""},
	{handlers.RouteAPIPaymentShow, "X"},
	{handlers.RouteAPIPaymentShow, "Y"},
	{handlers.RouteAPIPaymentShow, "missing"},
	{handlers.RouteAPISDKEvent, "X"},
	{handlers.RouteAPISDKEvent, "Y"},
	{handlers.RouteAPISDKEvent, "missing"},
}

// inCredentialMatrix reports whether route name has a column.
func inCredentialMatrix(name string) bool {
	return slices.ContainsFunc(credentialColumns, func(c struct{ route, target string }) bool { return c.route == name })
}

// credentialCell is what a credential gets on a column: status, error
// code, and for 403 insufficient_scope the scope it is told it lacks.
type credentialCell struct {
	status int
	code   string
	scope  string
}

// TestRouteCredentialMatrix is the app API's IDOR test: every app API
// route of the route table, for every kind of credential, against its own
// payment, another client's and a missing one. A payment outside a
// credential's scope is answered exactly like a missing one (404
// payment_not_found); a route outside it is a 403 naming the scope; a
// refused request changes nothing. The probe's attack (issue 9: key B
// posts SDK_PAYMENT_FAIL on key A's successful payment) is the cell "key
// B (sessions)" × "POST sdk-events X".
func TestRouteCredentialMatrix(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	ctx := context.Background()
	by := store.AuditContext{Actor: "test"}
	newKey := func(name string, scopes ...store.APIScope) (*store.APIKey, string) {
		k, token, err := app.Store.CreateAPIKey(ctx, name, by, scopes...)
		if err != nil {
			t.Fatalf("create key %s: %v", name, err)
		}
		return k, token
	}
	_, keyA := newKey("shop-a")
	_, keyB := newKey("shop-b")
	_, keyRead := newKey("reconciliation", store.ScopePaymentsRead)
	_, keyBoth := newKey("back-office", store.ScopeSessions, store.ScopePaymentsRead)
	revoked, keyRevoked := newKey("old-app")
	if err := app.Store.RevokeAPIKey(ctx, revoked.ID, by); err != nil {
		t.Fatal(err)
	}

	// Payment X: key A's, paid, Antom's notification applied, no flag.
	// Payment Y: key B's, waiting for the buyer.
	session := func(key, order string) (id, secret string) {
		t.Helper()
		res, body := app.apiCall(key, http.MethodPost, paths.APISessions, apiSessionBody(order))
		var s struct{ PaymentRequestID, ClientSecret, Status string }
		if err := json.Unmarshal([]byte(body), &s); err != nil || res.StatusCode != http.StatusOK || s.Status != "SESSION_READY" {
			t.Fatalf("create session %s: %d %s", order, res.StatusCode, body)
		}
		if !strings.HasPrefix(s.ClientSecret, handlers.ClientSecretPrefix) {
			t.Fatalf("clientSecret %q, want %s…", s.ClientSecret, handlers.ClientSecretPrefix)
		}
		return s.PaymentRequestID, s.ClientSecret
	}
	x, secretX := session(keyA, "order-x")
	y, secretY := session(keyB, "order-y")
	app.pay(x, sim.CardVisaSuccess)
	app.waitFor("payment X SUCCESS and captured", func() bool {
		p := app.payment(x)
		return p.Status == store.StatusSuccess && p.CaptureState == store.CaptureFull
	})
	if p := app.payment(x); p.Flags != 0 || p.FinalAt.IsZero() {
		t.Fatalf("payment X: flags %v final at %v, want no flag and a final time", p.Flags, p.FinalAt)
	}
	ids := map[string]string{"X": x, "Y": y, "missing": "pay_missing_0001"}

	// Another Paydesk's client secret for X: well formed, wrong MAC.
	other, err := handlers.New(handlers.Deps{Store: app.Store, Auth: handlers.AuthConfig{SessionKey: []byte(strings.Repeat("o", handlers.MinSessionKeyLength))}})
	if err != nil {
		t.Fatal(err)
	}
	forged := other.ClientSecret(x)

	var (
		ok        = credentialCell{status: http.StatusOK}
		created   = credentialCell{status: http.StatusCreated}
		notFound  = credentialCell{status: http.StatusNotFound, code: "payment_not_found"}
		forbidden = credentialCell{status: http.StatusForbidden, code: "payment_forbidden"}
		needs     = func(scope string) credentialCell {
			return credentialCell{status: http.StatusForbidden, code: "insufficient_scope", scope: scope}
		}
		unauthorized = func(code string) []credentialCell {
			return slices.Repeat([]credentialCell{{status: http.StatusUnauthorized, code: code}}, len(credentialColumns))
		}
	)
	const sessions, read = "sessions", "payments:read"
	rows := []struct {
		name       string
		credential string
		afterDay   bool // asked 24 hours after payment X became final
		cells      []credentialCell
	}{
		// Columns: POST sessions, GET list, GET X, GET Y, GET missing, POST sdk-events X, Y, missing.
		{"no credential", "", false, unauthorized("missing_api_key")},
		{"revoked key", keyRevoked, false, unauthorized("invalid_api_key")},
		{"key A (sessions)", keyA, false, []credentialCell{ok, needs(read), ok, notFound, notFound, created, notFound, notFound}},
		{"key B (sessions)", keyB, false, []credentialCell{ok, needs(read), notFound, ok, notFound, notFound, created, notFound}},
		{"payments:read key", keyRead, false, []credentialCell{needs(sessions), ok, ok, ok, notFound, needs(sessions), needs(sessions), needs(sessions)}},
		{"sessions + payments:read key", keyBoth, false, []credentialCell{ok, ok, ok, ok, notFound, forbidden, forbidden, notFound}},
		{"client secret of X", secretX, false, []credentialCell{needs(sessions), needs(read), ok, notFound, notFound, created, notFound, notFound}},
		{"client secret of Y", secretY, false, []credentialCell{needs(sessions), needs(read), notFound, ok, notFound, notFound, created, notFound}},
		{"forged client secret of X", forged, false, unauthorized("invalid_client_secret")},
		{"client secret of X, 24 h after final", secretX, true, unauthorized("client_secret_expired")},
	}

	// The matrix joins the route table: every app API route has a column,
	// every column is an app API route.
	table := map[string]route{}
	for _, rt := range app.Srv.table {
		table[rt.name] = rt
		if rt.access.kind == kindAPI && !inCredentialMatrix(rt.name) {
			t.Errorf("app API route %s %s (%s) is not in the route × credential matrix", rt.method, rt.path, rt.name)
		}
	}
	for _, col := range credentialColumns {
		if rt, found := table[col.route]; !found || rt.access.kind != kindAPI {
			t.Errorf("column %s is not an app API route of the table", col.route)
		}
	}
	for _, row := range rows {
		if len(row.cells) != len(credentialColumns) {
			t.Fatalf("row %q has %d cells, want %d", row.name, len(row.cells), len(credentialColumns))
		}
	}

	// state is what a refused request must leave as it was.
	type state struct {
		payments        int
		version, events int64
		flags           store.Flag
	}
	stateOf := func(target string) state {
		t.Helper()
		page, err := app.Store.ListPayments(ctx, store.PaymentFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		s := state{payments: len(page.Items)}
		if id := ids[target]; target != "" && target != "missing" {
			p := app.payment(id)
			evs, err := app.Store.SDKEvents(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			s.version, s.flags, s.events = p.Version, p.Flags, int64(len(evs))
		}
		return s
	}

	n := 0
	run := func(afterDay bool) {
		for _, row := range rows {
			if row.afterDay != afterDay {
				continue
			}
			for i, col := range credentialColumns {
				want := row.cells[i]
				rt := table[col.route]
				path := strings.ReplaceAll(rt.path, ":id", ids[col.target])
				name := row.name + " × " + rt.method + " " + path
				n++
				t.Run(name, func(t *testing.T) {
					var body any
					switch col.route {
					case handlers.RouteAPISessionCreate:
						body = apiSessionBody(fmt.Sprintf("order-%d", n))
					case handlers.RouteAPISDKEvent:
						// The probe's report: the buyer's payment failed.
						body = map[string]any{"eventCode": "SDK_PAYMENT_FAIL", "paymentResultCode": "PROCESS_FAIL",
							"occurredAt": time.Now().Add(time.Duration(n) * time.Millisecond).UTC().Format(time.RFC3339Nano)}
					}
					before := stateOf(col.target)
					res, raw := app.apiCall(row.credential, rt.method, path, body)
					var got struct {
						Error struct{ Code, Scope, Message string }
					}
					_ = json.Unmarshal([]byte(raw), &got)
					if res.StatusCode != want.status || got.Error.Code != want.code || got.Error.Scope != want.scope {
						t.Errorf("got %d %q scope %q, want %d %q scope %q\n%s", res.StatusCode, got.Error.Code, got.Error.Scope,
							want.status, want.code, want.scope, raw)
					}
					if want.code == "payment_not_found" && got.Error.Message != fmt.Sprintf("No payment has paymentRequestId %q.", ids[col.target]) {
						t.Errorf("the 404 differs from a missing payment's: %s", raw)
					}
					if want.status >= 400 {
						if after := stateOf(col.target); after != before {
							t.Errorf("a refused request changed something: before %+v, after %+v", before, after)
						}
					}
				})
			}
		}
	}
	run(false)
	// A day after X became final its client secret stops working; the
	// secret of Y (not final) and the keys are not affected.
	app.advance(handlers.ClientSecretLifetime + time.Minute)
	run(true)
	if res, body := app.apiCall(secretY, http.MethodGet, paths.APIPayment(y), nil); res.StatusCode != http.StatusOK {
		t.Errorf("client secret of Y a day later: %d %s, want 200 (Y is not final)", res.StatusCode, body)
	}
	if want := len(rows) * len(credentialColumns); n != want {
		t.Errorf("ran %d cells, want %d", n, want)
	}
}

// TestProbeAttackRefused replays the probe's finding as written: key B
// posts SDK_PAYMENT_FAIL on key A's successful payment (which once raised
// sdk_fail_server_success), then SDK_PAYMENT_SUCCESSFUL (which cleared
// it), and lists every payment. Each is refused and nothing changes.
func TestProbeAttackRefused(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	ctx := context.Background()
	_, keyA, err := app.Store.CreateAPIKey(ctx, "shop-a", store.AuditContext{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	_, keyB, err := app.Store.CreateAPIKey(ctx, "shop-b", store.AuditContext{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	res, body := app.apiCall(keyA, http.MethodPost, paths.APISessions, apiSessionBody("order-a"))
	var s struct{ PaymentRequestID string }
	if err := json.Unmarshal([]byte(body), &s); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("session: %d %s", res.StatusCode, body)
	}
	app.pay(s.PaymentRequestID, sim.CardVisaSuccess)
	app.waitFor("SUCCESS and captured", func() bool {
		p := app.payment(s.PaymentRequestID)
		return p.Status == store.StatusSuccess && p.CaptureState == store.CaptureFull
	})
	before := app.payment(s.PaymentRequestID)

	for _, code := range []string{"SDK_PAYMENT_FAIL", "SDK_PAYMENT_SUCCESSFUL"} {
		res, body := app.apiCall(keyB, http.MethodPost, paths.APISDKEvents(s.PaymentRequestID), map[string]any{"eventCode": code})
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, `"payment_not_found"`) {
			t.Errorf("key B posts %s on A's payment: %d %s, want 404 payment_not_found", code, res.StatusCode, body)
		}
	}
	if res, body := app.apiCall(keyB, http.MethodGet, paths.APIPayments, nil); res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"scope":"payments:read"`) {
		t.Errorf("key B lists payments: %d %s, want 403 naming payments:read", res.StatusCode, body)
	}
	after := app.payment(s.PaymentRequestID)
	evs, _ := app.Store.SDKEvents(ctx, s.PaymentRequestID)
	if after.Flags != 0 || after.Flags != before.Flags || after.Version != before.Version || len(evs) != 0 {
		t.Errorf("after the attack: flags %v (before %v), version %d (before %d), %d SDK events; want nothing changed",
			after.Flags, before.Flags, after.Version, before.Version, len(evs))
	}
}

// TestAPIKeyPageScopes creates keys on the API keys page: sessions is
// checked by default, the checked scopes are the key's, none is refused.
func TestAPIKeyPageScopes(t *testing.T) {
	app := newSecApp(t)
	app.addUser("admin@example.com", store.RoleAdmin, "Admin")
	c := app.client()
	c.login("admin@example.com")
	_, body := c.get(paths.APIKeys)
	for _, want := range []string{`value="sessions" data-testid="scope-sessions" checked`, `value="payments:read" data-testid="scope-payments:read">`} {
		if !strings.Contains(body, want) {
			t.Errorf("create form lacks %s", want)
		}
	}
	res, body := c.post(paths.APIKeys, url.Values{"name": {"reconciliation"}, "scopes": {"payments:read"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="secret-value">pdk_live_`) {
		t.Fatalf("create with payments:read: %d", res.StatusCode)
	}
	res, body = c.post(paths.APIKeys, url.Values{"name": {"nothing"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-scopes"`) {
		t.Errorf("create without a scope: %d, want 422 with the scopes error", res.StatusCode)
	}
	res, _ = c.post(paths.APIKeys, url.Values{"name": {"root"}, "scopes": {"admin"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("create with an unknown scope: %d, want 422", res.StatusCode)
	}
	keys, err := app.Store.ListAPIKeys(context.Background())
	if err != nil || len(keys) != 1 || keys[0].Name != "reconciliation" || keys[0].ScopeList() != "payments:read" {
		t.Fatalf("keys: %+v %v, want only reconciliation with payments:read", keys, err)
	}
	if _, body := c.get(paths.APIKeys); !strings.Contains(body, `<td data-testid="apikey-scopes">payments:read</td>`) {
		t.Errorf("the list does not show the key's scopes")
	}
}

// TestOpenAPISecurityMatchesRoutes keeps the OpenAPI document's security
// requirements in step with the route table: each app API operation names
// exactly the key scopes its route takes, and the client secret when the
// route takes it.
func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(handlers.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	app := newSecApp(t)
	n := 0
	for _, rt := range app.Web.table {
		if rt.access.kind != kindAPI {
			continue
		}
		n++
		op, found := doc.Paths[strings.ReplaceAll(rt.path, ":id", "{paymentRequestId}")][strings.ToLower(rt.method)]
		if !found {
			t.Errorf("%s %s is not documented", rt.method, rt.path)
			continue
		}
		var scopes []string
		clientSecret := false
		for _, req := range op.Security {
			for scheme, list := range req {
				switch scheme {
				case "secretKey":
					scopes = append(scopes, list...)
				case "clientSecret":
					clientSecret = true
				default:
					t.Errorf("%s %s: unknown security scheme %q", rt.method, rt.path, scheme)
				}
			}
		}
		var want []string
		for _, sc := range rt.access.api.Scopes {
			want = append(want, string(sc))
		}
		slices.Sort(scopes)
		slices.Sort(want)
		if !slices.Equal(scopes, want) || clientSecret != rt.access.api.ClientSecret {
			t.Errorf("%s %s: documented scopes %v, client secret %v; the route takes %v, %v",
				rt.method, rt.path, scopes, clientSecret, want, rt.access.api.ClientSecret)
		}
	}
	if n < 4 {
		t.Errorf("only %d app API routes in the table", n)
	}
}
