package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
)

// bigHeaders is a header map whose JSON is far past the refused budget.
func bigHeaders() map[string][]string {
	h := map[string][]string{
		"Client-Id":    {"SANDBOX_1"},
		"Request-Time": {"1740823200000"},
		"Signature":    {"algorithm=RSA256,keyVersion=1,signature=" + strings.Repeat("A", 350)},
		"A-Pad":        {strings.Repeat("p", 60<<10)},
	}
	for i := range 200 {
		h[fmt.Sprintf("X-Extra-%03d", i)] = []string{strings.Repeat("e", 100)}
	}
	return h
}

func TestIngestSummarisesRefusedDeliveries(t *testing.T) {
	s, _ := newTestStore(t)
	p := mustReady(t, s)
	valid := paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200)
	big := []byte(valid[:len(valid)-1] + `,"pad":"` + strings.Repeat("x", 60<<10) + `"}`)
	sum := sha256.Sum256(big)
	n, err := antom.ParseNotification(big)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		in      DeliveryInput
		refused bool
	}{
		{"bad signature", DeliveryInput{Verdict: VerdictBad}, true},
		{"missing signature", DeliveryInput{Verdict: VerdictMissing}, true},
		{"unverifiable", DeliveryInput{Verdict: VerdictUnverifiable}, true},
		{"verified, refused for its request-time", DeliveryInput{Verdict: VerdictOK, Refused: true, Notification: n}, true},
		{"verified", DeliveryInput{Verdict: VerdictOK}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Path, in.Body, in.Headers, in.ResponseStatus = "/webhooks/antom", big, bigHeaders(), 401
			longValue := strings.Repeat("c", 8<<10)
			in.ClientID, in.RequestTime = longValue, longValue
			res, err := s.IngestNotification(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.GetDelivery(ctx, res.DeliveryID)
			if err != nil {
				t.Fatal(err)
			}
			if d.BodySize != int64(len(big)) || d.BodySHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("size %d sha %s, want %d %x", d.BodySize, d.BodySHA256, len(big), sum)
			}
			var stored string
			if err := s.rdb.QueryRow("SELECT headers FROM deliveries WHERE id = ?", d.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !tc.refused {
				if d.ClientID != longValue || d.RequestTime != longValue {
					t.Errorf("verified delivery's client id %d bytes, request-time %d; want %d each", len(d.ClientID), len(d.RequestTime), len(longValue))
				}
				if !bytes.Equal(d.Body, big) || d.Summarised || d.Refused || len(d.Headers["A-Pad"]) != 1 || len(d.Headers["A-Pad"][0]) != 60<<10 {
					t.Errorf("verified delivery not kept whole: body %d bytes, summarised %v, refused %v", len(d.Body), d.Summarised, d.Refused)
				}
				return
			}
			if len(d.Body) > RefusedBodyBudget || !bytes.HasPrefix(big, d.Body) || !d.Summarised || !d.Refused {
				t.Errorf("body %d bytes (prefix %v), summarised %v, refused %v; want at most %d, a prefix, summarised",
					len(d.Body), bytes.HasPrefix(big, d.Body), d.Summarised, d.Refused, RefusedBodyBudget)
			}
			if len(stored) > RefusedHeadersBudget || d.HeadersSize <= RefusedHeadersBudget {
				t.Errorf("headers %d bytes stored of %d, want at most %d", len(stored), d.HeadersSize, RefusedHeadersBudget)
			}
			// The headers a notification is judged by are kept first.
			if d.Headers["Client-Id"][0] != "SANDBOX_1" || d.Headers["Request-Time"][0] != "1740823200000" ||
				!strings.HasPrefix(d.Headers["Signature"][0], "algorithm=RSA256") {
				t.Errorf("judged headers lost: %v", d.Headers)
			}
			if len(d.ClientID) > refusedHeaderValueMax || len(d.RequestTime) > refusedHeaderValueMax {
				t.Errorf("client id %d bytes, request-time %d; want at most %d each", len(d.ClientID), len(d.RequestTime), refusedHeaderValueMax)
			}
			if v := d.Headers["A-Pad"]; len(v) != 1 || len(v[0]) > refusedHeaderValueMax || !strings.HasSuffix(v[0], "…") {
				t.Errorf("long header value not shortened: %d bytes", len(strings.Join(v, "")))
			}
			if res.Outcome != OutcomeRejected || res.PaymentRequestID != "" {
				t.Errorf("refused delivery: outcome %s payment %q, want rejected, unlinked", res.Outcome, res.PaymentRequestID)
			}
		})
	}
	if got := mustGet(t, s, p.PaymentRequestID); got.Status != StatusSessionReady {
		t.Errorf("a refused delivery changed the payment to %s", got.Status)
	}
	if got := count(t, s, "SELECT count(*) FROM events WHERE delivery_fk IN (SELECT id FROM deliveries WHERE refused = 1)"); got != 0 {
		t.Errorf("%d timeline events point at refused deliveries", got)
	}

	// A small refused delivery is kept whole, and marked refused only.
	res, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Body: []byte(`{"a":1}`), Verdict: VerdictBad,
		Headers: map[string][]string{"Client-Id": {"x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := s.GetDelivery(ctx, res.DeliveryID); string(d.Body) != `{"a":1}` || d.Summarised || !d.Refused || d.BodySize != 7 {
		t.Errorf("small refused delivery: %q summarised %v refused %v size %d", d.Body, d.Summarised, d.Refused, d.BodySize)
	}
}

func TestBoundHeaders(t *testing.T) {
	for _, budget := range []int{64, 300, 1000, RefusedHeadersBudget} {
		b, err := boundHeaders(bigHeaders(), budget)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string][]string
		if len(b) > budget || json.Unmarshal(b, &back) != nil {
			t.Errorf("budget %d: %d bytes, valid JSON %v", budget, len(b), json.Valid(b))
		}
	}
	// Invalid UTF-8 and control characters grow when encoded; the budget
	// holds on the encoded form.
	h := map[string][]string{}
	for i := range 50 {
		h[fmt.Sprintf("X-%d", i)] = []string{strings.Repeat("\x01\xff", 300)}
	}
	if b, _ := boundHeaders(h, 4096); len(b) > 4096 {
		t.Errorf("encoded %d bytes, budget 4096", len(b))
	}
	if got := shorten("ééééé", 6); got != "é…" || !strings.HasSuffix(shorten(strings.Repeat("a", 600), 512), "…") || len(shorten(strings.Repeat("a", 600), 512)) != 512 {
		t.Errorf("shorten = %q", got)
	}
}

func TestIngestRecordsRequestTime(t *testing.T) {
	s, clk := newTestStore(t)
	at := clk.Now()
	for _, tc := range []struct {
		name      string
		in        DeliveryInput
		known     bool
		skew      time.Duration
		errorText string
	}{
		{"parsed", DeliveryInput{RequestTime: "x", RequestTimeAt: at.Add(-90 * time.Second)}, true, 90 * time.Second, ""},
		{"in the future", DeliveryInput{RequestTime: "x", RequestTimeAt: at.Add(time.Hour)}, true, -time.Hour, ""},
		{"unparseable", DeliveryInput{RequestTime: "soon", RequestTimeError: "not a time"}, false, 0, "not a time"},
		{"absent", DeliveryInput{}, false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Path, in.Verdict, in.ReceivedAt = "/webhooks/antom", VerdictMissing, at
			res, err := s.IngestNotification(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.GetDelivery(ctx, res.DeliveryID)
			if err != nil {
				t.Fatal(err)
			}
			if d.RequestSkewKnown != tc.known || d.RequestSkew != tc.skew || d.RequestTimeError != tc.errorText {
				t.Errorf("skew %v (known %v), error %q; want %v (%v), %q", d.RequestSkew, d.RequestSkewKnown, d.RequestTimeError,
					tc.skew, tc.known, tc.errorText)
			}
		})
	}
}

func TestPurgeRefusedDeliveries(t *testing.T) {
	s, clk := newTestStore(t)
	p := mustReady(t, s)
	old := clk.Now()
	refusedOld := func() int64 {
		res, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: old, Path: "/webhooks/antom", Body: []byte("x"), Verdict: VerdictBad})
		if err != nil {
			t.Fatal(err)
		}
		return res.DeliveryID
	}
	var gone []int64
	for range 3 {
		gone = append(gone, refusedOld())
	}
	// A verified, applied one and a verified, malformed one, just as old.
	applied := deliver(t, s, paymentResult(p.PaymentRequestID, "2025000001", "S", "SUCCESS", 4200))
	malformed, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: old, Path: "/webhooks/antom", Body: []byte("{"), Verdict: VerdictOK, ParseError: "not JSON"})
	if err != nil {
		t.Fatal(err)
	}
	recent, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: old.Add(8 * 24 * time.Hour), Path: "/webhooks/antom", Body: []byte("y"), Verdict: VerdictMissing})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRefusedDrops(ctx, []RefusedDrop{
		{Source: "203.0.113.7", Count: 5, First: old, Last: old},
		{Source: "203.0.113.7", Count: 2, First: old.Add(8 * 24 * time.Hour), Last: old.Add(8 * 24 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}

	n, err := s.PurgeRefusedDeliveries(ctx, old.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(gone)) {
		t.Errorf("purged %d, want %d", n, len(gone))
	}
	for _, id := range gone {
		if _, err := s.GetDelivery(ctx, id); err != ErrNotFound {
			t.Errorf("old refused delivery #%d: %v, want gone", id, err)
		}
	}
	for _, id := range []int64{applied.DeliveryID, malformed.DeliveryID, recent.DeliveryID} {
		if _, err := s.GetDelivery(ctx, id); err != nil {
			t.Errorf("delivery #%d: %v, want kept", id, err)
		}
	}
	if got := mustGet(t, s, p.PaymentRequestID); len(got.Timeline) == 0 || got.Status != StatusSuccess {
		t.Errorf("payment after purge: %s with %d events", got.Status, len(got.Timeline))
	}
	// PostgreSQL enforces foreign keys on every statement (the purge would
	// have failed); SQLite is asked.
	if !s.pg {
		if got := count(t, s, "SELECT count(*) FROM pragma_foreign_key_check"); got != 0 {
			t.Errorf("%d foreign key violations after the purge", got)
		}
	}
	st, err := s.RefusedDrops(ctx, old, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 2 {
		t.Errorf("drop counts after purge: %d, want 2 (the old day's 5 deleted)", st.Total)
	}
}

func TestPurgeKeepsTheNewestID(t *testing.T) {
	s, clk := newTestStore(t)
	var last int64
	for range 2 {
		res, err := s.IngestNotification(ctx, DeliveryInput{ReceivedAt: clk.Now(), Path: "/webhooks/antom", Verdict: VerdictBad})
		if err != nil {
			t.Fatal(err)
		}
		last = res.DeliveryID
	}
	if n, err := s.PurgeRefusedDeliveries(ctx, clk.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1 (the newest kept)", n, err)
	}
	res, err := s.IngestNotification(ctx, DeliveryInput{Path: "/webhooks/antom", Verdict: VerdictBad})
	if err != nil {
		t.Fatal(err)
	}
	if res.DeliveryID <= last {
		t.Errorf("new delivery got id %d, want past %d: ids are never reused", res.DeliveryID, last)
	}
}

func TestRecordRefusedDropsIsBounded(t *testing.T) {
	s, clk := newTestStore(t)
	at := clk.Now()
	var drops []RefusedDrop
	for i := range MaxDropSourcesPerDay + 250 {
		drops = append(drops, RefusedDrop{Source: fmt.Sprintf("198.51.%d.%d", i/256, i%256), Count: 1, First: at, Last: at})
	}
	if err := s.RecordRefusedDrops(ctx, drops); err != nil {
		t.Fatal(err)
	}
	// Again: known sources add to their rows; new ones go to "*".
	drops = append(drops[:10], RefusedDrop{Source: "192.0.2.1", Count: 3, First: at, Last: at})
	if err := s.RecordRefusedDrops(ctx, drops); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM refused_drops"); got != MaxDropSourcesPerDay+1 {
		t.Errorf("%d rows, want %d (the cap and one for the rest)", got, MaxDropSourcesPerDay+1)
	}
	st, err := s.RefusedDrops(ctx, at, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(MaxDropSourcesPerDay + 250 + 10 + 3); st.Total != want {
		t.Errorf("total %d, want %d", st.Total, want)
	}
	if len(st.Top) != 3 || st.Top[0].Source != DropSourceOther || st.Top[0].Count != 253 {
		t.Errorf("top %+v, want %q with 253 first", st.Top, DropSourceOther)
	}
	if st.Top[1].Count != 2 {
		t.Errorf("second %+v, want a source counted twice", st.Top[1])
	}
}
