package web

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"paydesk/views/paths"
)

// TestRequestIDOnEveryLogLine: every line logged while a request is served
// (the handler's own and the request line) carries the request's ID, the
// one sent back in X-Request-Id; a proxy's sane ID is kept.
func TestRequestIDOnEveryLogLine(t *testing.T) {
	var logs syncBuffer
	app := newSecAppWith(t, secOptions{Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+paths.WebhookAntom, strings.NewReader(`{"notifyType":"PAYMENT_RESULT"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "proxy-id-42")
	res, _ := app.client().do(req)
	if id := res.Header.Get("X-Request-Id"); id != "proxy-id-42" {
		t.Fatalf("X-Request-Id %q, want the proxy's", id)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON log line: %s", sc.Text())
		}
		msg, _ := line["msg"].(string)
		if msg != "webhook: delivery" && msg != "request" {
			continue
		}
		seen[msg] = true
		if line["request_id"] != "proxy-id-42" {
			t.Errorf("%q logged with request_id %v, want proxy-id-42", msg, line["request_id"])
		}
	}
	if !seen["webhook: delivery"] || !seen["request"] {
		t.Errorf("log lines missing (saw %v):\n%s", seen, logs.String())
	}
}
