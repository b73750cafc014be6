package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"paydesk/antom"
	"paydesk/store"
	"paydesk/views/paths"
)

// TestDiskFull runs the whole server on a data directory that fills up: a
// 4 MiB tmpfs, filled with a file while the database stays open. Every
// storage failure is a 503 with Retry-After, nothing is acknowledged that
// was not stored, and once the file is removed the same server (no
// restart) takes the same notification and the same requests again.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "4m")
	app := startPayApp(t, payAppOptions{DataDir: dir})
	_, antomKey, _ := payKeys(t)

	// Before the disk fills: a payment waiting for its result, an API key
	// already used (so using it again needs no write), a signed-in operator.
	op := app.login(store.RoleOperator)
	id := op.createSession(sessionForm())
	_, key, err := app.Store.CreateAPIKey(t.Context(), "disk-full", store.AuditContext{Actor: "test"}, store.ScopeSessions, store.ScopePaymentsRead)
	if err != nil {
		t.Fatal(err)
	}
	if res, body := app.apiCall(key, http.MethodGet, paths.APIPayments, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("API before the disk fills: status %d\n%s", res.StatusCode, body)
	}
	notification := paymentResult(id, "20990000000000000000000000000000777", "S", "SUCCESS")
	statusBefore := app.payment(id).Status

	filler := fillDisk(t, dir)

	t.Run("full", func(t *testing.T) {
		res, body := app.healthz()
		wantUnavailable(t, "GET /healthz", res, body, false)

		res, body = app.postNotification(antomKey, notification, nil)
		wantUnavailable(t, "signed notification", res, body, true)
		if body == antom.AckBody {
			t.Errorf("notification acknowledged on a full disk")
		}
		if got := app.payment(id).Status; got != statusBefore {
			t.Errorf("payment status on a full disk: got %s, want %s (unchanged)", got, statusBefore)
		}
		if n := len(app.deliveries(id)); n != 0 {
			t.Errorf("deliveries stored for the payment on a full disk: got %d, want 0", n)
		}

		res, body = app.apiCall(key, http.MethodPost, paths.APISessions, apiSessionBody("order-full"))
		wantUnavailable(t, "POST "+paths.APISessions, res, body, true)

		res, body = app.freshLogin(store.RoleSupport)
		wantUnavailable(t, "POST "+paths.Login, res, body, false)

		// Reading keeps working, even when the session's and the key's
		// once-a-minute "last seen" writes are due and cannot be made.
		app.advance(2 * time.Minute)
		if res, body := op.get(paths.Payment(id)); res.StatusCode != http.StatusOK {
			t.Errorf("payment page on a full disk: status %d, want 200\n%.300s", res.StatusCode, body)
		}
		if res, body := app.apiCall(key, http.MethodGet, paths.APIPayments, nil); res.StatusCode != http.StatusOK {
			t.Errorf("API read on a full disk: status %d, want 200\n%.300s", res.StatusCode, body)
		}
	})
	if t.Failed() {
		return
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	t.Run("freed", func(t *testing.T) {
		if res, body := app.healthz(); res.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz after freeing space: status %d, want 200\n%s", res.StatusCode, body)
		}
		res, body := app.postNotification(antomKey, notification, nil)
		if res.StatusCode != http.StatusOK || body != antom.AckBody {
			t.Errorf("the same notification after freeing space: %d %q, want 200 and the ack", res.StatusCode, body)
		}
		if got := app.payment(id).Status; got != store.StatusSuccess {
			t.Errorf("payment status after the notification: got %s, want %s", got, store.StatusSuccess)
		}
		if ds := app.deliveries(id); len(ds) != 1 || ds[0].Outcome != store.OutcomeApplied {
			t.Errorf("deliveries after freeing space: got %+v, want one, applied", ds)
		}
		if res, body := app.apiCall(key, http.MethodPost, paths.APISessions, apiSessionBody("order-freed")); res.StatusCode != http.StatusOK {
			t.Errorf("POST %s after freeing space: status %d, want 200\n%s", paths.APISessions, res.StatusCode, body)
		}
		if res, body := app.freshLogin(store.RoleSupport); res.StatusCode != http.StatusSeeOther {
			t.Errorf("POST %s after freeing space: status %d, want 303\n%s", paths.Login, res.StatusCode, body)
		}
	})
}

// wantUnavailable checks a storage failure's answer: 503, Retry-After, and
// for JSON routes the "unavailable" error code.
func wantUnavailable(t *testing.T, what string, res *http.Response, body string, isJSON bool) {
	t.Helper()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("%s on a full disk: status %d, want 503\n%s", what, res.StatusCode, body)
		return
	}
	if res.Header.Get("Retry-After") == "" {
		t.Errorf("%s on a full disk: no Retry-After header", what)
	}
	if !isJSON {
		return
	}
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &eb); err != nil || eb.Error.Code != "unavailable" {
		t.Errorf("%s on a full disk: body %q, want a JSON error with code unavailable", what, body)
	}
}

// healthz fetches GET /healthz.
func (a *payApp) healthz() (*http.Response, string) {
	a.t.Helper()
	return a.send(mustRequest(a.t, http.MethodGet, a.URL+paths.Health, nil))
}

// apiCall calls the app API with key; body, when not nil, is sent as JSON.
func (a *payApp) apiCall(key, method, path string, body any) (*http.Response, string) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(mustJSONBody(a.t, body))
	}
	req := mustRequest(a.t, method, a.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.send(req)
}

// freshLogin submits the login form from a new browser and returns the
// answer, whatever it is.
func (a *payApp) freshLogin(role store.Role) (*http.Response, string) {
	a.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: a.t, app: a, c: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	b.get(paths.Login) // sets the CSRF cookie
	return b.post(paths.Login, url.Values{"email": {a.users[role]}, "password": {payTestPassword}})
}

func (a *payApp) send(req *http.Request) (*http.Response, string) {
	a.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return res, string(b)
}

func mustRequest(t testing.TB, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// apiSessionBody is a valid POST /api/v1/sessions body for an order.
func apiSessionBody(orderID string) map[string]any {
	return map[string]any{
		"order": map[string]any{
			"referenceOrderId": orderID,
			"orderDescription": "Two coffees",
			"orderAmount":      map[string]any{"currency": "SGD", "value": "4200"},
		},
		"captureMode": "AUTOMATIC",
		"env":         map[string]any{"terminalType": "APP", "osType": "ANDROID"},
	}
}

// mountTmpfs mounts a size-limited tmpfs on a new temp dir, unmounted when
// the test ends, or skips the test saying why it cannot.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: mounting a size-limited tmpfs to fill the disk needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot mount a size-limited tmpfs here (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount tmpfs: %v: %s", err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the filesystem is full and returns
// its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			return name
		}
	}
}
