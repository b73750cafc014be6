package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"paydesk/store"
	"paydesk/views/paths"
)

// exportCSV downloads an export and parses it; it fails the test unless
// the answer is a 200 CSV attachment.
func exportCSV(t *testing.T, c *secClient, path string) [][]string {
	t.Helper()
	res, body := c.get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200\n%s", path, res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("GET %s: Content-Type %q, want text/csv", path, ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("GET %s: Content-Disposition %q, want a .csv attachment", path, cd)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("GET %s: not CSV: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("GET %s: no header", path)
	}
	return recs
}

// column is the values of the named column of recs (header first).
func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	i := slices.Index(recs[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

var rowHref = regexp.MustCompile(`href="/payments/([^"/?]+)"`)
var nextHref = regexp.MustCompile(`href="(/payments\?[^"]*cursor=[^"]*)"`)

// TestExportIsTheListsFilter walks the payments list page by page with a
// filter and compares it with the filter's export: the same payments in
// the same order, amounts in decimal and minor units with the currency,
// times in UTC ISO 8601. The other lists' exports hold what their store
// lists hold for the same filter.
func TestExportIsTheListsFilter(t *testing.T) {
	app := newSecApp(t)
	ctx := context.Background()
	fx, err := app.Store.SeedFixture(ctx, store.FixtureSpec{Payments: 1300})
	if err != nil {
		t.Fatal(err)
	}
	app.addUser("sam@example.com", store.RoleSupport, "Sam")
	c := app.client()
	c.login("sam@example.com")

	filter := url.Values{"status": {string(store.StatusSuccess)}}
	var listed []string
	next := paths.Payments + "?" + filter.Encode()
	for pages := 0; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("the list does not end")
		}
		res, body := c.get(next)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", next, res.StatusCode)
		}
		for _, m := range rowHref.FindAllStringSubmatch(body, -1) {
			if id, _ := url.PathUnescape(m[1]); !slices.Contains(listed, id) {
				listed = append(listed, id)
			}
		}
		next = ""
		if m := nextHref.FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if pages == 0 && !strings.Contains(body, `href="`+paths.Export(paths.Payments, filter)+`"`) {
			t.Errorf("the payments page has no Download CSV link to %s", paths.Export(paths.Payments, filter))
		}
	}
	recs := exportCSV(t, c, paths.Export(paths.Payments, filter))
	exported := column(t, recs, "payment_request_id")
	if len(listed) < 100 || !slices.Equal(exported, listed) {
		t.Fatalf("export has %d payments, the list %d; equal: %v", len(exported), len(listed), slices.Equal(exported, listed))
	}
	// One row checked field by field against the ledger.
	p := fx.Payment(0)
	for i, id := range exported {
		if id != p.PaymentRequestID {
			continue
		}
		row := map[string]string{}
		for j, name := range recs[0] {
			row[name] = recs[i+1][j]
		}
		d, err := app.Store.GetPayment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if row["amount_minor"] != strconv.FormatInt(d.AmountMinor, 10) || row["currency"] != d.Currency {
			t.Errorf("amount_minor %q currency %q, want %d %s", row["amount_minor"], row["currency"], d.AmountMinor, d.Currency)
		}
		if !regexp.MustCompile(`^\d+(\.\d+)?$`).MatchString(row["amount"]) {
			t.Errorf("amount %q is not a plain decimal", row["amount"])
		}
		if want := d.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"); row["created_at"] != want {
			t.Errorf("created_at %q, want %q", row["created_at"], want)
		}
	}

	// The other lists: the export holds what the list's store query holds.
	counts := map[string]int{}
	count := func(list string, n int, next string, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		counts[list] += n
		return next
	}
	for cur := "start"; cur != ""; {
		if cur == "start" {
			cur = ""
		}
		pg, err := app.Store.ListCaptures(ctx, store.CaptureFilter{Status: store.TxnStatus("SUCCESS"), Cursor: cur, Limit: 500})
		cur = count("captures", len(pg.Items), pg.NextCursor, err)
	}
	for cur := "start"; cur != ""; {
		if cur == "start" {
			cur = ""
		}
		pg, err := app.Store.ListOrders(ctx, store.OrderFilter{State: store.OrderPaid, Cursor: cur, Limit: 500})
		n := 0
		for _, o := range pg.Items {
			n += len(o.Attempts)
		}
		cur = count("orders", n, pg.NextCursor, err)
	}
	for _, x := range []struct {
		path, list string
		q          url.Values
	}{
		{paths.Captures, "captures", url.Values{"status": {"SUCCESS"}}},
		{paths.Orders, "orders", url.Values{"state": {string(store.OrderPaid)}}},
	} {
		recs := exportCSV(t, c, paths.Export(x.path, x.q))
		if got := len(recs) - 1; got != counts[x.list] || got == 0 {
			t.Errorf("%s export: %d rows, the list has %d", x.list, got, counts[x.list])
		}
	}
	for _, path := range []string{paths.Export(paths.Refunds, nil), paths.Export(paths.Notifications, url.Values{"verdict": {"ok"}})} {
		if recs := exportCSV(t, c, path); len(recs) != 1 {
			t.Errorf("%s: %d rows, want only the header (the fixture has no refunds or deliveries)", path, len(recs))
		}
	}

	// Audited: who, which list, which filter, how many rows.
	audit, err := app.Store.ListAudit(ctx, store.AuditFilter{Action: "export."})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range audit.Items {
		var after struct {
			List, Filter string
			Rows         int
			Complete     bool
		}
		if err := json.Unmarshal(e.After, &after); err != nil {
			t.Fatalf("audit %s: %v", e.After, err)
		}
		if e.Action == "export.done" && after.List == "payments" {
			found = true
			if e.Actor != "user:sam@example.com" || after.Filter != filter.Encode() || after.Rows != len(exported) || !after.Complete || e.Target != "payments" {
				t.Errorf("audit of the payments export: actor %q target %q %+v, want sam, %q, %d rows, complete", e.Actor, e.Target, after, filter.Encode(), len(exported))
			}
		}
	}
	if !found {
		t.Errorf("no export.done audit entry for the payments export in %d entries", len(audit.Items))
	}

	// A search exports its first matches, as the list shows them, and the
	// audit says the export was capped, not complete.
	search := url.Values{"q": {"pay_" + fx.Tag}}
	if got := len(exportCSV(t, c, paths.Export(paths.Payments, search))) - 1; got != store.SearchLimit {
		t.Errorf("a search matching %d payments exported %d rows, want the first %d", 1300, got, store.SearchLimit)
	}
	audit, err = app.Store.ListAudit(ctx, store.AuditFilter{Action: "export.done"})
	if err != nil || len(audit.Items) == 0 {
		t.Fatalf("audit: %v", err)
	}
	var last struct {
		Filter           string
		Complete, Capped bool
	}
	if err := json.Unmarshal(audit.Items[0].After, &last); err != nil || last.Complete || !last.Capped || last.Filter != search.Encode() {
		t.Errorf("audit of a capped search export: %+v (%v), want capped, not complete, filter %q", last, err, search.Encode())
	}

	// A bad filter is refused like the list refuses it, and nothing is sent.
	if res, _ := c.get(paths.Export(paths.Payments, url.Values{"from": {"yesterday"}})); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad date: status %d, want 400", res.StatusCode)
	}
	if res, _ := c.get(paths.Export(paths.Captures, url.Values{"status": {"NOPE"}})); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad capture status: status %d, want 400", res.StatusCode)
	}
}

// TestExportNeutralisesFormulas: a cell a spreadsheet would run as a
// formula (= + - @ tab CR first) is written with a leading quote.
func TestExportNeutralisesFormulas(t *testing.T) {
	app := newSecApp(t)
	ctx := context.Background()
	for i, desc := range []string{`=HYPERLINK("http://evil.example","x")`, "+1+2", "-3", "@SUM(A1)", "plain"} {
		if _, err := app.Store.CreatePayment(ctx, store.NewPayment{ReferenceOrderID: "order-" + string(rune('a'+i)), BuyerID: "@buyer",
			Description: desc, AmountMinor: 1000, Currency: "SGD",
			NotifyURL: "http://127.0.0.1:1/webhooks/antom", RedirectURL: "http://127.0.0.1:1/payments", CreatedBy: "test"}); err != nil {
			t.Fatalf("create payment %q: %v", desc, err)
		}
	}
	app.addUser("ana@example.com", store.RoleAdmin, "Ana")
	c := app.client()
	c.login("ana@example.com")
	recs := exportCSV(t, c, paths.Export(paths.Payments, nil))
	descs := column(t, recs, "description")
	for _, want := range []string{`'=HYPERLINK("http://evil.example","x")`, "'+1+2", "'-3", "'@SUM(A1)", "plain"} {
		if !slices.Contains(descs, want) {
			t.Errorf("descriptions %q lack %q", descs, want)
		}
	}
	for _, b := range column(t, recs, "buyer_id") {
		if b != "'@buyer" {
			t.Errorf("buyer_id %q, want '@buyer", b)
		}
	}
}

// TestExportNeedsTheListsPermission: signed out, an export is sent to the
// login page like its list, and nothing is exported or audited.
func TestExportNeedsTheListsPermission(t *testing.T) {
	app := newSecApp(t)
	anon := app.client()
	anon.get("/login")
	for _, list := range []string{paths.Payments, paths.Orders, paths.Captures, paths.Refunds, paths.Notifications} {
		res, body := anon.get(paths.Export(list, nil))
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), paths.Login) {
			t.Errorf("%s signed out: %d %s, want 303 to the login page", list, res.StatusCode, res.Header.Get("Location"))
		}
		if strings.Contains(body, "payment_request_id") {
			t.Errorf("%s signed out: got CSV", list)
		}
	}
	audit, err := app.Store.ListAudit(context.Background(), store.AuditFilter{Action: "export."})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Items) != 0 {
		t.Errorf("%d export audit entries without an export", len(audit.Items))
	}
}
