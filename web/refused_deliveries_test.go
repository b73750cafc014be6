package web

// Issue 9, parts 3 and 7: what a notification that is not Antom's may cost.
// A refused delivery is stored summarised, rate limited per address and
// overall, deleted after the retention period; every view of a stored body
// is bounded; a verified notification always gets through; request-time is
// checked only when configured.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
)

// nestedJSON is n levels of "[" then n of "]": 2n bytes of valid JSON.
func nestedJSON(n int) []byte {
	return append(bytes.Repeat([]byte("["), n), bytes.Repeat([]byte("]"), n)...)
}

// postUnsigned posts body to the webhook with no signature headers and the
// extra headers given, and returns the answer.
func (a *payApp) postUnsigned(body []byte, header map[string]string) (*http.Response, string) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+paths.WebhookAntom, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return a.send(req)
}

// A 20 KB body of nested brackets, unsigned, once made its delivery page
// 200 MB. Stored summarised, its page is small for every role; the same
// body signed by Antom is kept whole, and the page shows it cut short and
// not pretty-printed, with a download.
func TestRefusedNestedDeliveryPageIsBounded(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	op, sup := app.login(store.RoleOperator), app.login(store.RoleSupport)
	bomb := nestedJSON(10_000)

	res, answer := app.postUnsigned(bomb, nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(answer, "missing_signature") {
		t.Fatalf("unsigned bomb: %d %q, want 401 missing_signature", res.StatusCode, answer)
	}
	d := app.lastDelivery()
	sum := sha256.Sum256(bomb)
	if len(d.Body) > store.RefusedBodyBudget || !d.Summarised || d.BodySize != int64(len(bomb)) || d.BodySHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("stored %d bytes (summarised %v) of %d, sha %s; want at most %d, summarised, with the full size and SHA-256",
			len(d.Body), d.Summarised, d.BodySize, d.BodySHA256, store.RefusedBodyBudget)
	}
	for _, b := range []*browser{op, sup} {
		res, page := b.get(paths.Notification(d.ID))
		if res.StatusCode != http.StatusOK || len(page) >= 64<<10 {
			t.Errorf("refused delivery page: %d, %d bytes; want 200 under 64 KiB", res.StatusCode, len(page))
		}
		doc := parseDoc(t, page)
		if !strings.Contains(doc.text("body-facts"), hex.EncodeToString(sum[:])) || !strings.Contains(doc.text("body-facts"), "20,000 bytes") {
			t.Errorf("body facts %q: want the full size and SHA-256", doc.text("body-facts"))
		}
		if !strings.Contains(strings.Join(doc.texts("body-note"), " "), "summarised") {
			t.Errorf("no note that the delivery is summarised: %q", doc.texts("body-note"))
		}
	}
	list := op.page(paths.Notifications)
	if got := list.text("delivery-summarised"); !strings.Contains(got, "20,000 bytes") {
		t.Errorf("list mark %q, want the summarised row marked with its full size", got)
	}

	// Signed by Antom: kept whole (answered 400: not a notification), and
	// the page is bounded by the pretty-printer's limits, not by storage.
	res, _ = app.postNotification(antomKey, bomb, nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("signed bomb: %d, want 400", res.StatusCode)
	}
	d = app.lastDelivery()
	if !bytes.Equal(d.Body, bomb) || d.Summarised {
		t.Fatalf("verified delivery stored %d bytes (summarised %v), want it whole", len(d.Body), d.Summarised)
	}
	for name, b := range map[string]*browser{"operator": op, "support": sup} {
		res, page := b.get(paths.Notification(d.ID))
		if res.StatusCode != http.StatusOK || len(page) >= 64<<10 {
			t.Errorf("%s: verified bomb page %d, %d bytes; want 200 under 64 KiB", name, res.StatusCode, len(page))
			continue
		}
		doc := parseDoc(t, page)
		notes := strings.Join(doc.texts("body-note"), " ")
		if !strings.Contains(notes, "nested deeper than 32 levels") || !doc.has("body-full-download") {
			t.Errorf("%s: notes %q, download link %v; want the depth named and the download", name, notes, doc.has("body-full-download"))
		}
		res, frag := b.htmx(paths.Notification(d.ID))
		if res.StatusCode != http.StatusOK || len(frag) >= 16<<10 {
			t.Errorf("%s: timeline fragment %d, %d bytes; want 200 under 16 KiB", name, res.StatusCode, len(frag))
		}
	}
	res, got := op.get(paths.NotificationBody(d.ID))
	if res.StatusCode != http.StatusOK || got != string(bomb) || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("operator download: %d, %d bytes, %q %q; want the stored body as an attachment",
			res.StatusCode, len(got), res.Header.Get("Content-Disposition"), res.Header.Get("Content-Type"))
	}
	// Support gets the body redacted as its page shows it.
	card := qaPaymentNotification(t, "pay_refused_card", map[string]any{
		"paymentResultInfo": map[string]any{"cardNo": "4111111111110768", "cardBrand": "VISA"},
		"pad":               strings.Repeat("y", 10<<10)})
	app.postNotification(antomKey, card, nil)
	cd := app.lastDelivery()
	if res, got := sup.get(paths.NotificationBody(cd.ID)); res.StatusCode != http.StatusOK || strings.Contains(got, "4111111111110768") ||
		!strings.Contains(got, "[redacted]") {
		t.Errorf("support download: %d, card number shown %v", res.StatusCode, strings.Contains(got, "4111111111110768"))
	}
	if doc := sup.page(paths.Notification(cd.ID)); strings.Contains(doc.raw, "4111111111110768") {
		t.Error("support's page shows the card number")
	}
	if res, _ := sup.get(paths.NotificationBody(999999)); res.StatusCode != http.StatusNotFound {
		t.Errorf("download of an unknown delivery: %d, want 404", res.StatusCode)
	}
}

// dbSize is the database's size after a checkpoint: page_count × page_size.
func dbSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	var pages, size int64
	if err := db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&size); err != nil {
		t.Fatal(err)
	}
	return pages * size
}

// fileSizes is the size of the database file and its WAL on disk.
func fileSizes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// The disk-filling probe replayed: 200 unsigned posts of 64 KiB with a
// 60 KiB header from one address. Most are answered 429 and only counted;
// the database grows by far less than 2 MB; a notification signed by Antom
// in the middle of it is acknowledged.
func TestRefusedFloodIsBounded(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, _ := payKeys(t)
	op := app.login(store.RoleOperator)
	before, beforeFiles := dbSize(t, app.Store.Path()), fileSizes(app.Store.Path())

	body := bytes.Repeat([]byte("x"), 64<<10)
	pad := map[string]string{"X-Pad": strings.Repeat("p", 60<<10)}
	statuses := map[int]int{}
	verified := qaPaymentNotification(t, "pay_flood_verified", map[string]any{"paymentId": "2099" + strings.Repeat("0", 26) + "flood"})
	for i := range 200 {
		if i == 100 {
			res, answer := app.postNotification(antomKey, verified, nil)
			if res.StatusCode != http.StatusOK || answer != antom.AckBody {
				t.Errorf("signed notification in the flood: %d %q, want 200 and the acknowledgement", res.StatusCode, answer)
			}
		}
		res, answer := app.postUnsigned(body, pad)
		statuses[res.StatusCode]++
		if res.StatusCode == http.StatusTooManyRequests {
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("429 with Retry-After %q", res.Header.Get("Retry-After"))
			}
			if !strings.Contains(answer, `"error"`) || !strings.Contains(answer, `"rate_limited"`) {
				t.Fatalf("429 body %q, want the webhook's JSON error", answer)
			}
		}
	}
	after, afterFiles := dbSize(t, app.Store.Path()), fileSizes(app.Store.Path())
	t.Logf("answers %v; database %d → %d bytes (+%d); files %d → %d bytes", statuses, before, after, after-before, beforeFiles, afterFiles)
	if statuses[http.StatusTooManyRequests] < 100 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 200 {
		t.Errorf("answers %v: want most of the 200 answered 429, the rest 401", statuses)
	}
	if grew := after - before; grew >= 2<<20 {
		t.Errorf("the database grew by %d bytes, want under 2 MiB", grew)
	}
	d := app.deliveryByPaymentID(t, "2099"+strings.Repeat("0", 26)+"flood")
	if d.Verdict != store.VerdictOK || d.Refused || !bytes.Equal(d.Body, verified) {
		t.Errorf("the signed notification: verdict %s refused %v, body kept whole %v", d.Verdict, d.Refused, bytes.Equal(d.Body, verified))
	}

	// The dropped ones are counted, by source, and the list says so.
	if err := app.H.FlushRefusedDrops(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := app.Store.RefusedDrops(context.Background(), time.Now().Add(-time.Hour), 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != int64(statuses[http.StatusTooManyRequests]) || len(st.Top) != 1 || st.Top[0].Source != "127.0.0.1" {
		t.Errorf("counted %d dropped from %+v, want %d from 127.0.0.1", st.Total, st.Top, statuses[http.StatusTooManyRequests])
	}
	note := op.page(paths.Notifications).text("refused-dropped")
	if !strings.Contains(note, fmt.Sprint(statuses[http.StatusTooManyRequests])) || !strings.Contains(note, "127.0.0.1") {
		t.Errorf("notifications list says %q, want the dropped count and the source", note)
	}
}

// deliveryByPaymentID finds the newest stored delivery about a paymentId.
func (a *payApp) deliveryByPaymentID(t *testing.T, paymentID string) *store.Delivery {
	t.Helper()
	page, err := a.Store.ListDeliveries(context.Background(), store.DeliveryFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range page.Items {
		if d.PaymentID == paymentID {
			full, err := a.Store.GetDelivery(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			return full
		}
	}
	t.Fatalf("no delivery about %s", paymentID)
	return nil
}

// Refused deliveries older than the retention period (7 days by default)
// are deleted; verified ones of the same age are kept, with their
// payment's timeline.
func TestRefusedDeliveryRetention(t *testing.T) {
	app := startPayApp(t, payAppOptions{})
	_, antomKey, otherKey := payKeys(t)
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	out := app.pay(id, sim.CardVisaSuccess)
	app.waitFor("the payment result", func() bool { return len(app.deliveries(id)) > 0 })
	applied := app.deliveries(id)[0]
	if applied.Verdict != store.VerdictOK {
		t.Fatalf("simulator's notification: verdict %s", applied.Verdict)
	}

	app.postUnsigned([]byte(`{"notifyType":"PAYMENT_RESULT"}`), nil)
	unsigned := app.lastDelivery()
	app.postNotification(otherKey, paymentResult(id, out.PaymentID, "F", "PROCESS_FAIL"), nil)
	forged := app.lastDelivery()
	app.postNotification(antomKey, []byte(`{"not":"a notification"}`), nil)
	malformed := app.lastDelivery()
	app.postUnsigned([]byte(`{"newest":true}`), nil) // the newest row is never deleted (its id is not reused)
	newest := app.lastDelivery()
	if !unsigned.Refused || !forged.Refused || malformed.Refused {
		t.Fatalf("refused: unsigned %v, forged %v, verified malformed %v", unsigned.Refused, forged.Refused, malformed.Refused)
	}

	ctx := context.Background()
	if n, err := app.H.PurgeRefusedDeliveries(ctx, app.now().Add(6*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("purge within the retention period: %d, %v; want 0", n, err)
	}
	n, err := app.H.PurgeRefusedDeliveries(ctx, app.now().Add(8*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("purge after the retention period: %d, %v; want 2", n, err)
	}
	for _, d := range []*store.Delivery{unsigned, forged} {
		if _, err := app.Store.GetDelivery(ctx, d.ID); err != store.ErrNotFound {
			t.Errorf("refused delivery #%d: %v, want deleted", d.ID, err)
		}
	}
	for _, d := range []store.Delivery{applied, *malformed, *newest} {
		if _, err := app.Store.GetDelivery(ctx, d.ID); err != nil {
			t.Errorf("delivery #%d (%s): %v, want kept", d.ID, d.Verdict, err)
		}
	}
	p := app.payment(id)
	if p.Status != store.StatusSuccess || len(p.Timeline) == 0 {
		t.Errorf("payment after the purge: %s with %d events", p.Status, len(p.Timeline))
	}
	if res, _ := op.get(paths.Payment(id)); res.StatusCode != http.StatusOK {
		t.Errorf("payment page after the purge: %d", res.StatusCode)
	}
	if !slicesContainsJob(app.Srv, "refused-deliveries") {
		t.Error("the server does not run the refused-deliveries job")
	}
}

func slicesContainsJob(s *Server, name string) bool {
	for _, j := range s.jobs {
		if j.Name == name {
			return true
		}
	}
	return false
}

// startWebhookApp is a Paydesk with only what the webhook needs and the
// given webhook settings (startPayApp takes the defaults).
func startWebhookApp(t *testing.T, wc handlers.WebhookConfig) *payApp {
	t.Helper()
	merchant, antomKey, _ := payKeys(t)
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := handlers.New(handlers.Deps{
		Store: st,
		// Antom is never called: the client carries the client ID and the key notifications are verified with.
		Antom:   antom.NewClient("http://127.0.0.1:9", payTestClientID, merchant, &antomKey.PublicKey),
		Auth:    handlers.AuthConfig{SessionKey: bytes.Repeat([]byte("s"), handlers.MinSessionKeyLength)},
		Webhook: wc,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{}, h)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &payApp{t: t, URL: ts.URL, Store: st, H: h, Srv: srv}
}

// request-time: off by default (any value accepted, how far it was is
// recorded); with a window, a signed notification outside it is refused
// 401 request_time_skew, stored refused and not applied; an unparseable
// value is recorded and never refused.
func TestRequestTimeSkew(t *testing.T) {
	_, antomKey, _ := payKeys(t)
	millis := func(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).UnixMilli(), 10) }
	n := 0
	notification := func() []byte {
		n++
		return qaPaymentNotification(t, fmt.Sprintf("pay_skew_%d", n), map[string]any{"paymentId": fmt.Sprintf("2099%028d", n)})
	}
	type want struct {
		status  int
		code    string // in the answer
		refused bool
		skew    time.Duration // recorded, roughly; 0: not known
		timeErr bool          // a request-time error recorded
	}
	for _, tc := range []struct {
		name    string
		window  time.Duration
		reqTime string
		want    want
	}{
		{"off: two hours old", 0, millis(-2 * time.Hour), want{status: 200, skew: 2 * time.Hour}},
		{"off: a day ahead, ISO 8601", 0, time.Now().Add(24 * time.Hour).Format(time.RFC3339), want{status: 200, skew: -24 * time.Hour}},
		{"off: unparseable", 0, "yesterday", want{status: 200, timeErr: true}},
		{"on: now", 5 * time.Minute, millis(0), want{status: 200}},
		{"on: within the window", 5 * time.Minute, millis(-4 * time.Minute), want{status: 200, skew: 4 * time.Minute}},
		{"on: two hours old", 5 * time.Minute, millis(-2 * time.Hour), want{status: 401, code: "request_time_skew", refused: true, skew: 2 * time.Hour}},
		{"on: ten minutes ahead, ISO 8601", 5 * time.Minute, time.Now().Add(10 * time.Minute).Format("2006-01-02T15:04:05-0700"),
			want{status: 401, code: "request_time_skew", refused: true, skew: -10 * time.Minute}},
		{"on: unparseable", 5 * time.Minute, "yesterday", want{status: 200, timeErr: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := startWebhookApp(t, handlers.WebhookConfig{MaxSkew: tc.window})
			body := notification()
			status, answer := app.qaPost(qaSigned{body: body, key: antomKey, reqTime: tc.reqTime})
			if status != tc.want.status || (tc.want.code != "" && !strings.Contains(answer, tc.want.code)) {
				t.Fatalf("answer %d %q, want %d %s", status, answer, tc.want.status, tc.want.code)
			}
			d := app.lastDelivery()
			if d.Refused != tc.want.refused {
				t.Errorf("stored refused %v, want %v", d.Refused, tc.want.refused)
			}
			if tc.want.refused && (d.Outcome != store.OutcomeRejected || !strings.Contains(d.ParseError, "request-time") || d.PaymentID != "") {
				t.Errorf("refused for skew: outcome %s, parse error %q, payload read %q; want rejected, the reason, nothing applied", d.Outcome, d.ParseError, d.PaymentID)
			}
			if !tc.want.refused && d.Outcome != store.OutcomeUnknownPayment {
				t.Errorf("outcome %s, want unknown_payment (verified and kept for follow-up)", d.Outcome)
			}
			if tc.want.skew != 0 {
				if !d.RequestSkewKnown || (d.RequestSkew-tc.want.skew).Abs() > 30*time.Second {
					t.Errorf("recorded skew %v (known %v), want about %v", d.RequestSkew, d.RequestSkewKnown, tc.want.skew)
				}
			}
			if got := d.RequestTimeError != ""; got != tc.want.timeErr {
				t.Errorf("request-time error %q, want one: %v", d.RequestTimeError, tc.want.timeErr)
			}
		})
	}

	// Unsigned and skewed: refused for the signature, not the clock.
	app := startWebhookApp(t, handlers.WebhookConfig{MaxSkew: time.Minute})
	res, answer := app.postUnsigned([]byte(`{}`), map[string]string{antom.HeaderRequestTime: millis(-time.Hour)})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(answer, "missing_signature") {
		t.Errorf("unsigned, skewed: %d %q, want 401 missing_signature", res.StatusCode, answer)
	}
}

// The per-address limit is per address: a second source still gets its
// refused deliveries stored after the first is limited, and the overall
// limit bounds them all.
func TestRefusedRateLimits(t *testing.T) {
	app := startWebhookApp(t, handlers.WebhookConfig{RefusedPerAddress: 3, RefusedOverall: 5})
	post := func() int {
		res, _ := app.postUnsigned([]byte(`{}`), nil)
		return res.StatusCode
	}
	var got []int
	for range 4 {
		got = append(got, post())
	}
	if fmt.Sprint(got) != "[401 401 401 429]" {
		t.Errorf("one address: %v, want 3 stored then 429", got)
	}
	// Stored refused deliveries: exactly the ones answered 401.
	if c := app.deliveryCount(); c != 3 {
		t.Errorf("%d deliveries stored, want 3", c)
	}
}
