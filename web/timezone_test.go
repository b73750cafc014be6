package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"paydesk/store"
	"paydesk/views/components"
	"paydesk/views/paths"
)

// loginFrom signs in a user of the role through the login form as a
// browser in zone would: app.js fills the hidden browser_time_zone field.
func (a *payApp) loginFrom(role store.Role, zone string) *browser {
	a.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: a.t, app: a, c: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	b.get(paths.Login)
	res, body := b.post(paths.Login, url.Values{"email": {a.users[role]}, "password": {payTestPassword}, "browser_time_zone": {zone}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("login as %s: status %d, want 303\n%s", role, res.StatusCode, body)
	}
	b.get(res.Header.Get("Location"))
	return b
}

func (a *payApp) userZone(role store.Role) string {
	a.t.Helper()
	u, err := a.Store.UserByEmail(context.Background(), a.users[role])
	if err != nil {
		a.t.Fatal(err)
	}
	return u.TimeZone
}

func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestTimeZoneFirstSignInDefault: the browser's zone becomes the user's
// preference at the first sign-in only; a zone the database does not know
// is ignored and the user keeps UTC.
func TestTimeZoneFirstSignInDefault(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.loginFrom(store.RoleOperator, "Asia/Kathmandu")
	if got := app.userZone(store.RoleOperator); got != "Asia/Kathmandu" {
		t.Fatalf("after the first sign-in the zone is %q, want Asia/Kathmandu", got)
	}
	if got := op.page(paths.Account).text("time-zone-current"); !strings.Contains(got, "Asia/Kathmandu (+0545)") {
		t.Errorf("account page says %q, want the zone with its abbreviation", got)
	}
	app.loginFrom(store.RoleOperator, "Europe/Berlin")
	if got := app.userZone(store.RoleOperator); got != "Asia/Kathmandu" {
		t.Errorf("a later sign-in from Berlin changed the zone to %q", got)
	}

	app.loginFrom(store.RoleSupport, "Mars/Olympus_Mons")
	if got := app.userZone(store.RoleSupport); got != "" {
		t.Errorf("an unknown browser zone was saved: %q", got)
	}
	app.loginFrom(store.RoleAdmin, "")
	if got := app.userZone(store.RoleAdmin); got != "" {
		t.Errorf("a sign-in without a browser zone saved %q", got)
	}
}

// TestTimeZoneAccountPreference: the Account page changes the zone; a bad
// name is a clear inline error and changes nothing.
func TestTimeZoneAccountPreference(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	op := app.loginFrom(store.RoleOperator, "Asia/Singapore")

	for _, bad := range []string{"Asia/Atlantis", "", "Local", "../../etc/passwd"} {
		res, body := op.post(paths.AccountZone, url.Values{"time_zone": {bad}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("zone %q: status %d, want 422", bad, res.StatusCode)
		}
		d := parseDoc(t, body)
		if msg := d.text("error-time_zone"); msg == "" || !strings.Contains(msg, "time zone") {
			t.Errorf("zone %q: inline error %q, want one naming the problem", bad, msg)
		}
		if got := app.userZone(store.RoleOperator); got != "Asia/Singapore" {
			t.Fatalf("zone %q changed the preference to %q", bad, got)
		}
	}
	audits, err := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: "user.time_zone"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audits.Items) != 1 {
		t.Fatalf("time-zone audit entries = %d, want 1 (the first sign-in; the refused names wrote none)", len(audits.Items))
	}

	res, body := op.post(paths.AccountZone, url.Values{"time_zone": {"America/Los_Angeles"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid zone: status %d, want 303\n%s", res.StatusCode, body)
	}
	if got := app.userZone(store.RoleOperator); got != "America/Los_Angeles" {
		t.Fatalf("zone = %q, want America/Los_Angeles", got)
	}
	la := loadZone(t, "America/Los_Angeles")
	abbr := app.now().In(la).Format("MST") // PST or PDT, whenever the test runs
	if got := op.page(paths.Account).text("time-zone-current"); !strings.Contains(got, "America/Los_Angeles ("+abbr+")") {
		t.Errorf("account page says %q after the change", got)
	}
}

// TestTimesInViewerZone: the same payment reads in each viewer's zone, in
// one format, on the list, its page, the orders and the audit log; a user
// with no preference sees UTC.
func TestTimesInViewerZone(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	admin := app.loginFrom(store.RoleAdmin, "Asia/Kathmandu")
	id := admin.createSession(sessionForm())
	created := app.payment(id).Payment.CreatedAt
	ktm := loadZone(t, "Asia/Kathmandu")
	wantKTM := components.FormatTime(created, ktm)
	if !strings.HasSuffix(wantKTM, "+0545") {
		t.Fatalf("Kathmandu time %q lacks its +0545 abbreviation", wantKTM)
	}

	list := admin.page(paths.Payments)
	var row string
	for _, n := range list.testIDs("payment-row") {
		if attrOf(n, "data-payment-request-id") == id {
			row = nodeText(n)
		}
	}
	if !strings.Contains(row, wantKTM) {
		t.Errorf("list row %q lacks the time in Kathmandu %q", row, wantKTM)
	}
	if _, body := admin.get(paths.Payment(id)); !strings.Contains(body, wantKTM) {
		t.Errorf("payment page lacks %q", wantKTM)
	}
	if _, body := admin.get(paths.Orders); !strings.Contains(body, wantKTM) {
		t.Errorf("orders page lacks %q", wantKTM)
	}
	_, audit := admin.get(paths.Audit + "?action=payment.session_create")
	if !strings.Contains(audit, " +0545") || strings.Contains(audit, " UTC<") {
		t.Errorf("audit page does not show its times in Kathmandu")
	}
	key, _, err := app.Store.CreateAPIKey(context.Background(), "shop backend", store.AuditContext{Actor: "user:admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	keys := admin.page(paths.APIKeys)
	wantKey := components.FormatTime(key.CreatedAt, ktm)
	if row := keys.text("apikey-row"); !strings.Contains(row, wantKey) {
		t.Errorf("API key row %q lacks its creation time in Kathmandu %q", row, wantKey)
	}
	if by := keys.text("apikey-created-by"); by != "by user:admin@example.com" {
		t.Errorf("API key created-by = %q, want it apart from the time", by)
	}
	for _, p := range []string{paths.Users, paths.APIKeys, paths.Operations, paths.Notifications, paths.Captures} {
		if _, body := admin.get(p); strings.Contains(body, ":00 UTC") || strings.Contains(body, " UTC</time>") {
			t.Errorf("%s shows a UTC time to a viewer in Kathmandu", p)
		}
	}

	support := app.login(store.RoleSupport)
	wantUTC := components.FormatTime(created, time.UTC)
	if _, body := support.get(paths.Payment(id)); !strings.Contains(body, wantUTC) || strings.Contains(body, wantKTM) {
		t.Errorf("a user with no preference does not see %q", wantUTC)
	}
}

// TestDateFiltersInViewerZone: date filters say their zone and are read in
// it: a day in the viewer's zone that is a different UTC day still finds
// the payment, and the UTC day does not.
func TestDateFiltersInViewerZone(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	admin := app.login(store.RoleAdmin)
	id := admin.createSession(sessionForm())
	created := app.payment(id).Payment.CreatedAt.UTC()
	// A zone in which the payment was made on another day than in UTC:
	// +14 late in the UTC day, -12 early in it.
	zone := "Etc/GMT-14"
	if created.Hour() < 10 {
		zone = "Etc/GMT+12"
	}
	if res, _ := admin.post(paths.AccountZone, url.Values{"time_zone": {zone}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set zone: status %d", res.StatusCode)
	}
	localDay := created.In(loadZone(t, zone)).Format(time.DateOnly)
	utcDay := created.Format(time.DateOnly)
	if localDay == utcDay {
		t.Fatalf("test setup: %s is the same day in %s and UTC", created, zone)
	}
	find := func(day string) bool {
		d := admin.page(paths.Payments + "?from=" + day + "&to=" + day)
		for _, n := range d.testIDs("payment-row") {
			if attrOf(n, "data-payment-request-id") == id {
				return true
			}
		}
		return false
	}
	if !find(localDay) {
		t.Errorf("filtering on %s, the day in %s, does not find the payment made at %s", localDay, zone, created)
	}
	if find(utcDay) {
		t.Errorf("filtering on %s (the UTC day) in %s finds the payment made at %s", utcDay, zone, created)
	}
	_, body := admin.get(paths.Payments)
	if !strings.Contains(body, "From ("+zone+")") || !strings.Contains(body, "To ("+zone+")") {
		t.Errorf("the date filters do not say their zone %s", zone)
	}
}
