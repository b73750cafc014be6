package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"paydesk/store"
)

// TestBackgroundPollsAreNotActivity: a payments list left open keeps
// polling, but the polls do not keep the session alive: 30 minutes after
// the last real request the next poll stops polling (286) and says, in
// place, that the person was signed out, with a sign-in link back to the
// same page.
func TestBackgroundPollsAreNotActivity(t *testing.T) {
	app := newSecApp(t)
	app.addUser("ana@example.com", store.RoleSupport, "Ana")
	c := app.client()
	c.login("ana@example.com")
	page := "/payments?status=SUCCESS"
	c.get(page)
	poll := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/payments?status=SUCCESS&since=0", nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-Paydesk-Poll", "1")
		req.Header.Set("HX-Current-URL", app.srv.URL+page)
		return c.do(req)
	}
	for range 9 { // 27 minutes of polls, every 3 minutes of clock
		app.Clock.Add(3 * time.Minute)
		if res, _ := poll(); res.StatusCode >= 300 && res.StatusCode != 286 {
			t.Fatalf("poll while signed in: %d", res.StatusCode)
		}
	}
	app.Clock.Add(4 * time.Minute) // 31 minutes since the last real request
	res, body := poll()
	if res.StatusCode != 286 || res.Header.Get("HX-Retarget") != "#messages" {
		t.Fatalf("poll after 31 idle minutes: %d retarget %q, want 286 into #messages", res.StatusCode, res.Header.Get("HX-Retarget"))
	}
	if !strings.Contains(body, "Signed out after 30 minutes without activity. This page is no longer updated.") ||
		!strings.Contains(body, `href="/login?expired=1&amp;next=%2Fpayments%3Fstatus%3DSUCCESS"`) {
		t.Errorf("signed-out notice:\n%s", body)
	}
	if c.signedIn() {
		t.Error("the session survived 31 minutes of polls only")
	}

	// A person's own request does count.
	c.login("ana@example.com")
	app.Clock.Add(20 * time.Minute)
	c.get(page)
	app.Clock.Add(20 * time.Minute)
	if !c.signedIn() {
		t.Error("signed out 20 minutes after a real request")
	}
}
