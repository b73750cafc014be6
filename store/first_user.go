package store

import (
	"context"
	"errors"
)

// ErrUsersExist is CreateFirstUser's answer when there is a user already.
var ErrUsersExist = errors.New("store: there are users already")

// CreateFirstUser creates a user only when there is none yet, checked and
// inserted in one write: of several Paydesk replicas starting together on
// one database, exactly one creates the first admin and the others get
// ErrUsersExist (a count followed by CreateUser would let two of them try,
// and the loser fail to start on the email's conflict).
func (s *Store) CreateFirstUser(ctx context.Context, nu NewUser, by AuditContext) (*User, error) {
	nu.onlyFirst = true
	return s.CreateUser(ctx, nu, by)
}
