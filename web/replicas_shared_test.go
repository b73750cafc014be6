package web

// Several replicas on one database (PAYDESK_DATABASE_URL): what one
// replica does to sessions, API keys and the login throttle holds on the
// others at once, because all of it lives in the database. Each test runs
// on SQLite (two stores on one data directory) and, when the tests have a
// PostgreSQL server, on two stores on one PostgreSQL schema.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/storetest"
)

// replicaBackends opens two stores on one database per backend.
func replicaBackends(t *testing.T) map[string]func(t *testing.T, clock func() time.Time) *store.Store {
	out := map[string]func(t *testing.T, clock func() time.Time) *store.Store{}
	dir := t.TempDir()
	out["sqlite"] = func(t *testing.T, clock func() time.Time) *store.Store {
		st, err := store.Open(context.Background(), dir, store.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if storetest.Available() || storetest.Postgres() {
		u := storetest.PostgresURL(t)
		out["postgres"] = func(t *testing.T, clock func() time.Time) *store.Store {
			st, err := store.OpenPostgres(context.Background(), u, store.WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
	}
	return out
}

// newReplicas starts two Paydesk web servers, each with its own store and
// handlers, on one database, with one session key (as configured, or as
// the database's shared one).
func newReplicas(t *testing.T, open func(t *testing.T, clock func() time.Time) *store.Store) (a, b *secApp) {
	t.Helper()
	clock := &secClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	start := func() *secApp {
		st := open(t, clock.Now)
		h, err := handlers.New(handlers.Deps{Store: st, Now: clock.Now, Auth: handlers.AuthConfig{
			SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD"), PasswordParams: secParams}})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := New(Config{}, h)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(ws.Handler())
		t.Cleanup(func() { srv.Close(); st.Close() })
		return &secApp{t: t, srv: srv, Store: st, H: h, Web: ws, Clock: clock}
	}
	return start(), start()
}

// on points the client (its cookie jar holds for both loopback servers)
// at another replica.
func (c *secClient) on(a *secApp) *secClient { c.app = a; return c }

// TestReplicasShareSignOut: a session started on one replica is signed in
// on the other; signing out on either ends it on both at once.
func TestReplicasShareSignOut(t *testing.T) {
	for name, open := range replicaBackends(t) {
		t.Run(name, func(t *testing.T) {
			a, b := newReplicas(t, open)
			a.addUser("ana@example.com", store.RoleOperator, "Ana")
			c := a.client()
			c.login("ana@example.com")
			if !c.on(b).signedIn() {
				t.Fatal("a session started on A is not signed in on B")
			}
			if res, _ := c.on(b).post("/logout", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out on B: %d", res.StatusCode)
			}
			if c.on(a).signedIn() {
				t.Error("signed out on B, still signed in on A")
			}
			// And the other way round, with the cookie kept by a stale tab.
			c.csrf = "" // the token was bound to the ended session: take a fresh one
			c.on(a).login("ana@example.com")
			stale := b.withSessionCookie(c.sessionCookie())
			if !stale.signedIn() {
				t.Fatal("the new session is not signed in on B")
			}
			if res, _ := c.on(a).post("/logout", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out on A: %d", res.StatusCode)
			}
			if stale.signedIn() {
				t.Error("signed out on A, the same cookie still signed in on B")
			}
		})
	}
}

// TestReplicasShareAPIKeyRevocation: nothing caches API keys; a key revoked
// through one replica is refused by every replica on its next request.
func TestReplicasShareAPIKeyRevocation(t *testing.T) {
	for name, open := range replicaBackends(t) {
		t.Run(name, func(t *testing.T) {
			a, b := newReplicas(t, open)
			k, token, err := a.Store.CreateAPIKey(context.Background(), "backend", store.AuditContext{Actor: "test"}, store.ScopePaymentsRead)
			if err != nil {
				t.Fatal(err)
			}
			call := func(r *secApp) int {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/v1/payments", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for i, r := range []*secApp{a, b, a, b} {
				if got := call(r); got != http.StatusOK {
					t.Fatalf("call %d before the revocation: %d, want 200", i+1, got)
				}
			}
			if err := b.Store.RevokeAPIKey(context.Background(), k.ID, store.AuditContext{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			for name, r := range map[string]*secApp{"A": a, "B": b} {
				if got := call(r); got != http.StatusUnauthorized {
					t.Errorf("revoked through B, replica %s answers %d, want 401", name, got)
				}
			}
		})
	}
}

// TestReplicasShareLoginThrottle: 100 simultaneous guesses at one account,
// half through each replica, are evaluated at most 5 times (the
// per-account limit) in all; afterwards both replicas make the right
// password wait too.
func TestReplicasShareLoginThrottle(t *testing.T) {
	for name, open := range replicaBackends(t) {
		t.Run(name, func(t *testing.T) {
			a, b := newReplicas(t, open)
			a.addUser("ana@example.com", store.RoleOperator, "Ana")
			clients := make([]*secClient, 100)
			for i := range clients {
				r := a
				if i%2 == 1 {
					r = b
				}
				clients[i] = r.client()
				clients[i].get("/login")
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
				t.Errorf("100 simultaneous guesses on two replicas: %v; want at most 5 evaluated (401), the rest 429", statuses)
			}
			for name, r := range map[string]*secApp{"A": a, "B": b} {
				if res, _ := r.client().post("/login", url.Values{"email": {"ana@example.com"}, "password": {secPassword}}); res.StatusCode != http.StatusTooManyRequests {
					t.Errorf("right password on %s after the burst: %d, want 429", name, res.StatusCode)
				}
			}
			// The window passes on the shared clock: both let Ana in.
			a.Clock.Add(16 * time.Minute)
			a.client().login("ana@example.com")
			b.client().login("ana@example.com")
		})
	}
}
