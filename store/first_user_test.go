package store

import (
	"errors"
	"sync"
	"testing"
)

// TestCreateFirstUser: the first user is created; once there is one,
// another is refused whatever its email, and nothing is written.
func TestCreateFirstUser(t *testing.T) {
	s, _ := newTestStore(t)
	hash, err := HashPassword("a long enough password", staffTestParams)
	if err != nil {
		t.Fatal(err)
	}
	by := AuditContext{Actor: "system"}
	u, err := s.CreateFirstUser(ctx, NewUser{Email: "first@example.com", Name: "First", Role: RoleAdmin, PasswordHash: hash}, by)
	if err != nil || u.Email != "first@example.com" {
		t.Fatalf("first user: %v, %v", u, err)
	}
	for _, email := range []string{"first@example.com", "second@example.com"} {
		if _, err := s.CreateFirstUser(ctx, NewUser{Email: email, Name: "Second", Role: RoleAdmin, PasswordHash: hash}, by); !errors.Is(err, ErrUsersExist) {
			t.Errorf("%s with a user already: %v, want ErrUsersExist", email, err)
		}
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

// TestReplicasCreateOneFirstUser: replicas starting together on one
// database, each with its own first-admin email, create exactly one user.
func TestReplicasCreateOneFirstUser(t *testing.T) {
	rs := replicas(t, 3)
	hash, err := HashPassword("a long enough password", staffTestParams)
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, s := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CreateFirstUser(ctx, NewUser{Email: string(rune('a'+i)) + "@example.com", Name: "Admin", Role: RoleAdmin, PasswordHash: hash},
				AuditContext{Actor: "system"})
		}()
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, ErrUsersExist):
			t.Errorf("replica %d: %v", i, err)
		}
	}
	if n, _ := rs[0].CountUsers(ctx); created != 1 || n != 1 {
		t.Errorf("%d created, %d users; want 1 and 1", created, n)
	}
}
