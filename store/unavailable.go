package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable marks a failure of the database's storage rather than of
// the request: the disk is full, the file is locked beyond the busy timeout,
// an I/O error, a read-only or unopenable file. Nothing was changed, and the
// same request may succeed later without a restart; callers answer 503 and
// ask to retry. Check with errors.Is; the error's text stays SQLite's.
var ErrUnavailable = errors.New("store: database unavailable")

// unavailableError is a storage failure: it is ErrUnavailable and unwraps to
// the driver's error (errors.As still finds the *sqlite.Error).
type unavailableError struct{ err error }

func (e *unavailableError) Error() string        { return e.err.Error() }
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// storageErr marks err with ErrUnavailable when SQLite reports a storage
// failure (by result code, extended codes included); any other error is
// returned unchanged. Every statement, transaction and connection of the
// store passes through the caching connection (stmtcache.go), which calls
// this, so reads and writes are classified in one place.
func storageErr(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) && isStorageCode(se.Code()) {
		return &unavailableError{err: err}
	}
	return err
}

// isStorageCode reports whether a SQLite result code (primary or extended)
// is a storage failure rather than a bug or a constraint.
func isStorageCode(code int) bool {
	switch code & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// healthProbeSize is how much the health check writes beside the database:
// enough to need fresh blocks on a full disk, small enough for every poll.
const healthProbeSize = 64 << 10

// probeDisk writes, syncs and removes <db>-healthz, healthProbeSize random
// bytes: it fails on a disk with no room for them. Probes are serialised and
// share one name, so a crash leaves at most one probe file behind, which the
// next probe rewrites. Any failure wraps ErrUnavailable.
func (s *Store) probeDisk() error {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	buf := make([]byte, healthProbeSize)
	rand.Read(buf) // random, so a compressing filesystem cannot shrink it
	name := s.path + "-healthz"
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return &unavailableError{err: fmt.Errorf("store: health probe: %w", err)}
	}
	_, werr := f.Write(buf)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	rerr := os.Remove(name)
	if err := errors.Join(werr, cerr); err != nil {
		return &unavailableError{err: fmt.Errorf("store: health probe: %w", err)}
	}
	if rerr != nil {
		return &unavailableError{err: fmt.Errorf("store: health probe: %w", rerr)}
	}
	return nil
}
