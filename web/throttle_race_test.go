package web

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"paydesk/store"
)

// TestLoginBurstIsEvaluatedAtMostTheLimit: 100 simultaneous guesses at one
// account are evaluated at most 5 times (the per-account limit); the rest
// wait, and so does the right password afterwards.
func TestLoginBurstIsEvaluatedAtMostTheLimit(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	clients := make([]*secClient, 100)
	for i := range clients {
		clients[i] = app.client()
		clients[i].get("/login") // a CSRF token each
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"email": {"ana@example.com"}, "password": {"a wrong guess"}, "_csrf": {c.csrf}}
			res, _ := c.postRaw("/login", form, nil)
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusUnauthorized] > 5 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 100 {
		t.Errorf("100 simultaneous guesses: %v; want at most 5 evaluated (401), the rest 429", statuses)
	}
	if res, _ := app.client().post("/login", url.Values{"email": {"ana@example.com"}, "password": {secPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("right password after the burst: %d, want 429", res.StatusCode)
	}
}

// TestAnonymousLoginFailuresDoNotLockASignedInUser: strangers failing to
// sign in as an operator do not stop that operator, already signed in, from
// confirming their own password; their own wrong attempts do.
func TestAnonymousLoginFailuresDoNotLockASignedInUser(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleOperator, "Ana")
	ana := app.client()
	ana.login("ana@example.com")
	for range 10 {
		app.client().post("/login", url.Values{"email": {"ana@example.com"}, "password": {"stranger"}})
	}
	res, body := ana.post("/account", url.Values{"current": {secPassword}, "password": {"a brand new password"}, "confirm": {"a brand new password"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("own password change after strangers' failures: %d, want 303\n%.300s", res.StatusCode, body)
	}
	for range 5 {
		ana.post("/account", url.Values{"current": {"wrong"}, "password": {"another new password"}, "confirm": {"another new password"}})
	}
	if res, _ := ana.post("/account", url.Values{"current": {"a brand new password"}, "password": {"another new password"}, "confirm": {"another new password"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 5 wrong attempts of their own: %d, want 429", res.StatusCode)
	}
}

// TestClientAddressIgnoresForgedHeaders: without trusted proxies an
// X-Forwarded-For header does not change which address the throttle counts.
func TestClientAddressIgnoresForgedHeaders(t *testing.T) {
	app := newSecApp(t)
	app.addUser("bo@example.com", store.RoleSupport, "Bo")
	for i := range 20 {
		c := app.client()
		c.get("/login")
		form := url.Values{"email": {"nobody" + string(rune('a'+i)) + "@example.com"}, "password": {"x"}, "_csrf": {c.csrf}}
		c.postRaw("/login", form, http.Header{"X-Forwarded-For": {"203.0.113." + string(rune('1'+i%9))}, "X-Real-Ip": {"198.51.100.7"}})
	}
	if res, _ := app.client().post("/login", url.Values{"email": {"bo@example.com"}, "password": {secPassword}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("20 failures under forged addresses did not lock the real one: %d, want 429", res.StatusCode)
	}
}
