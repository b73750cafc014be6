package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// TestPermissionMatrix pins the matrix the README documents: a change here
// must be a decision, not an accident.
func TestPermissionMatrix(t *testing.T) {
	want := map[store.Role][]handlers.Permission{
		store.RoleAdmin: handlers.AllPermissions(),
		store.RoleOperator: {handlers.PermViewPayments, handlers.PermViewBuyerData, handlers.PermInquire,
			handlers.PermCreateSession, handlers.PermMoveMoney, handlers.PermApplyAgain, handlers.PermOwnAccount},
		store.RoleSupport: {handlers.PermViewPayments, handlers.PermInquire, handlers.PermOwnAccount},
	}
	for _, role := range store.Roles() {
		for _, p := range handlers.AllPermissions() {
			if got, w := handlers.Can(role, p), slices.Contains(want[role], p); got != w {
				t.Errorf("Can(%s, %s) = %v, want %v", role, p, got, w)
			}
		}
	}
	if handlers.Can("", handlers.PermViewPayments) || handlers.Can("root", handlers.PermViewPayments) {
		t.Errorf("an unknown role has a permission")
	}
}

// TestRouteRoleMatrix walks every registered route for every role (and
// signed out): a role without the route's permission gets 403, a role with
// it never does, and signed-out browsers are sent to the login page. The
// app API routes answer no staff session (401) and must each be in the
// route × credential matrix (TestRouteCredentialMatrix).
func TestRouteRoleMatrix(t *testing.T) {
	app := newSecApp(t)
	clients := map[store.Role]*secClient{}
	for _, role := range store.Roles() {
		app.addUser(string(role)+"@example.com", role, string(role))
		clients[role] = app.client()
		clients[role].login(string(role) + "@example.com")
	}
	anon := app.client()
	anon.get("/login")

	table := map[string]route{}
	for _, rt := range app.Web.table {
		table[rt.method+" "+rt.path] = rt
	}
	routes := app.Web.Echo().Routes()
	if len(routes) != len(app.Web.table) {
		t.Errorf("echo has %d routes, the table %d: every route must come from the table", len(routes), len(app.Web.table))
	}
	var money []string
	for _, r := range routes {
		rt, ok := table[r.Method+" "+r.Path]
		if !ok || r.Name != rt.name {
			t.Errorf("%s %s (%q) is not in the route table", r.Method, r.Path, r.Name)
			continue
		}
		if rt.access.kind == kindStaff || rt.access.kind == kindMoney {
			if rt.access.perm == "" {
				t.Errorf("%s %s: staff route without a permission", r.Method, r.Path)
			}
			if rt.access.perm == handlers.PermMoveMoney {
				money = append(money, rt.name)
				if rt.access.kind != kindMoney {
					t.Errorf("%s %s moves money but is not a money() route: the password step-up is not enforced", r.Method, r.Path)
				}
			}
		}
		path := strings.NewReplacer(":id", "999999", "*", "app.css").Replace(r.Path)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			switch rt.access.kind {
			case kindStaff, kindMoney:
				res := request(anon, r.Method, path)
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), paths.Login) {
					t.Errorf("signed out: %d %s, want 303 to the login page", res.StatusCode, res.Header.Get("Location"))
				}
				for _, role := range store.Roles() {
					res := request(clients[role], r.Method, path)
					allowed := handlers.Can(role, rt.access.perm)
					if allowed && (res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), paths.Login)) {
						t.Errorf("%s (allowed): status %d", role, res.StatusCode)
					}
					if !allowed && res.StatusCode != http.StatusForbidden {
						t.Errorf("%s (not allowed): status %d, want 403", role, res.StatusCode)
					}
				}
			case kindAPI:
				// Which credential may call it is the route × credential
				// matrix's (credentials_test.go); staff sessions never.
				if !inCredentialMatrix(rt.name) {
					t.Errorf("app API route %s is not in the route × credential matrix", rt.name)
				}
				for _, c := range []*secClient{anon, clients[store.RoleAdmin]} {
					if res := request(c, r.Method, path); res.StatusCode != http.StatusUnauthorized {
						t.Errorf("no API key: %d, want 401", res.StatusCode)
					}
				}
			case kindPublic, kindBare:
				if r.Path == paths.Logout {
					return // would end the sessions the other rows use
				}
				for _, c := range append([]*secClient{anon}, clients[store.RoleSupport]) {
					if res := request(c, r.Method, path); res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
						t.Errorf("public route: status %d", res.StatusCode)
					}
				}
			}
		})
	}
	// Every money action is a money route.
	for _, name := range []string{handlers.RoutePaymentCapture, handlers.RoutePaymentCancel, handlers.RoutePaymentRefund} {
		if !slices.Contains(money, name) {
			t.Errorf("route %s does not require %s", name, handlers.PermMoveMoney)
		}
	}
}

// request sends a state-changing request with a valid CSRF token (so only
// the role decides), or a GET.
func request(c *secClient, method, path string) *http.Response {
	c.t.Helper()
	if method == http.MethodGet {
		res, _ := c.get(path)
		return res
	}
	req, _ := http.NewRequest(method, c.app.srv.URL+path, strings.NewReader(url.Values{"_csrf": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, _ := c.do(req)
	return res
}

// TestStepUpIsRequiredForMoney drives the real refund and capture routes: a
// password confirmed more than 5 minutes ago must be given again (for
// refunds and cancels, every time), a wrong one is refused, and neither
// changes anything.
func TestStepUpIsRequiredForMoney(t *testing.T) {
	app := newSecApp(t)
	app.addUser("op@example.com", store.RoleOperator, "Op")
	ctx := context.Background()
	p, err := app.Store.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: "order-1", Description: "Test order", AmountMinor: 1000, Currency: "SGD",
		NotifyURL: "http://127.0.0.1:1/webhooks/antom", RedirectURL: "http://127.0.0.1:1/payments", CreatedBy: "test"})
	if err != nil {
		t.Fatalf("create payment: %v", err)
	}
	c := app.client()
	c.login("op@example.com")
	app.Clock.Add(6 * time.Minute) // the login's confirmation has lapsed
	// A refused step-up is audited against the payment (who tried what on
	// which payment); any other entry would be a change.
	stepUpFailures := 0
	countAudit := func() int {
		page, err := app.Store.ListAudit(ctx, store.AuditFilter{PaymentRequestID: p.PaymentRequestID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		stepUpFailures = 0
		for _, e := range page.Items {
			if e.Action == "auth.stepup_failed" {
				stepUpFailures++
			} else {
				n++
			}
		}
		return n
	}
	unchanged := func(what string) {
		t.Helper()
		d, err := app.Store.GetPayment(ctx, p.PaymentRequestID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Refunds) != 0 || len(d.Captures) != 0 || d.Version != p.Version || countAudit() != 0 {
			t.Errorf("%s changed the payment (refunds %d captures %d version %d→%d)", what, len(d.Refunds), len(d.Captures), p.Version, d.Version)
		}
	}
	for _, action := range []string{"refund", "capture"} {
		path := paths.Payment(p.PaymentRequestID) + "/" + action
		res, _ := c.post(path, url.Values{"amount": {"1.00"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s without password: status %d, want 422 asking for the password", action, res.StatusCode)
		}
		unchanged(action + " without password")
		res, _ = c.post(path, url.Values{"amount": {"1.00"}, "password": {"not my password"}, "confirm": {"1"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a wrong password: status %d, want 403", action, res.StatusCode)
		}
		unchanged(action + " with a wrong password")
	}
	if countAudit(); stepUpFailures != 2 {
		t.Errorf("%d refused step-ups audited against the payment, want 2 (refund, capture)", stepUpFailures)
	}
	// The right password passes the step-up (the payment's state then
	// refuses the refund: it was never paid) and counts for 5 minutes for
	// captures; refunds and cancels ask every time.
	refused := func(res *http.Response) bool {
		return res.StatusCode == http.StatusUnprocessableEntity || res.StatusCode == http.StatusForbidden
	}
	confirmedForm := url.Values{"amount": {"1.00"}, "confirm": {"1"}}
	if res, _ := c.post(paths.Payment(p.PaymentRequestID)+"/refund", url.Values{"amount": {"1.00"}, "password": {secPassword}, "confirm": {"1"}}); refused(res) {
		t.Fatalf("right password: status %d, still refused by the step-up", res.StatusCode)
	}
	app.Clock.Add(4 * time.Minute)
	if res, _ := c.post(paths.Payment(p.PaymentRequestID)+"/capture", confirmedForm); refused(res) {
		t.Errorf("capture asked again within 5 minutes of a confirmation (status %d)", res.StatusCode)
	}
	for _, action := range []string{"refund", "cancel"} {
		if res, _ := c.post(paths.Payment(p.PaymentRequestID)+"/"+action, confirmedForm); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s within 5 minutes of a confirmation: status %d, want 422 asking again (every time)", action, res.StatusCode)
		}
	}
	app.Clock.Add(2 * time.Minute)
	if res, _ := c.post(paths.Payment(p.PaymentRequestID)+"/capture", confirmedForm); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("capture 6 minutes after the confirmation: status %d, want 422 asking again", res.StatusCode)
	}
}

// TestMoneyAccessDemandsStepUp checks the route table's money() access: a
// route guarded by it runs its handler only after a fresh password.
func TestMoneyAccessDemandsStepUp(t *testing.T) {
	app := newSecApp(t)
	app.addUser("op@example.com", store.RoleOperator, "Op")
	app.addUser("sup@example.com", store.RoleSupport, "Sup")
	ran := 0
	app.Web.Echo().Add(http.MethodPost, "/test/money", func(c echo.Context) error {
		ran++
		return c.NoContent(http.StatusNoContent)
	}, app.Web.middlewareFor(money(handlers.PermMoveMoney))...)

	sup := app.client()
	sup.login("sup@example.com")
	if res, _ := sup.post("/test/money", url.Values{"password": {secPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("support: %d, want 403", res.StatusCode)
	}
	// The guard asks for the password on the confirmed submit (a submit
	// without confirmation only renders the confirmation panel).
	confirmedPost := url.Values{"confirm": {"1"}}
	c := app.client()
	c.login("op@example.com")
	if res, _ := c.post("/test/money", confirmedPost); res.StatusCode != http.StatusNoContent {
		t.Errorf("right after login: %d, want the handler to run", res.StatusCode)
	}
	app.Clock.Add(5*time.Minute + time.Second)
	if res, body := c.post("/test/money", confirmedPost); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Confirm your password") {
		t.Errorf("stale confirmation: %d, want 422 asking for the password", res.StatusCode)
	}
	if res, body := c.post("/test/money", url.Values{"password": {"wrong password!"}, "confirm": {"1"}}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Nothing was changed") {
		t.Errorf("wrong password: %d, want 403", res.StatusCode)
	}
	if ran != 1 {
		t.Fatalf("handler ran %d times, want 1", ran)
	}
	if res, _ := c.post("/test/money", url.Values{"password": {secPassword}, "confirm": {"1"}}); res.StatusCode != http.StatusNoContent || ran != 2 {
		t.Errorf("right password: %d", res.StatusCode)
	}
	page, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: "auth.stepup_failed"})
	if len(page.Items) != 1 {
		t.Errorf("failed step-ups audited: %d, want 1", len(page.Items))
	}
}

// TestPathsResolveToRoutes keeps views/paths and the route table in step.
func TestPathsResolveToRoutes(t *testing.T) {
	app := newSecApp(t)
	e := app.Web.Echo()
	registered := map[string]bool{}
	for _, r := range e.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, paths.Home}, {http.MethodGet, paths.Login}, {http.MethodPost, paths.Logout},
		{http.MethodGet, paths.Health}, {http.MethodGet, paths.Ready}, {http.MethodGet, paths.Payments}, {http.MethodGet, paths.Orders},
		{http.MethodGet, paths.Captures}, {http.MethodGet, paths.Notifications}, {http.MethodGet, paths.NewSession},
		{http.MethodGet, paths.Account}, {http.MethodGet, paths.Users}, {http.MethodGet, paths.APIKeys},
		{http.MethodGet, paths.Audit}, {http.MethodGet, paths.AuditCSV}, {http.MethodGet, paths.Static("app.css")},
		{http.MethodGet, paths.Payment("pay_1")}, {http.MethodPost, paths.UserRole(1)}, {http.MethodPost, paths.UserDisable(1)},
		{http.MethodPost, paths.UserEnable(1)}, {http.MethodPost, paths.UserPassword(1)}, {http.MethodPost, paths.APIKeyRevoke(1)},
	} {
		c := e.NewContext(nil, nil)
		e.Router().Find(tc.method, tc.path, c)
		if !registered[tc.method+" "+c.Path()] {
			t.Errorf("%s %s matches no route", tc.method, tc.path)
		}
	}
}
