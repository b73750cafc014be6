package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

func TestIsStorageCode(t *testing.T) {
	tests := []struct {
		name string
		code int
		want bool
	}{
		{"full", sqlite3.SQLITE_FULL, true},
		{"busy", sqlite3.SQLITE_BUSY, true},
		{"busy snapshot", sqlite3.SQLITE_BUSY_SNAPSHOT, true},
		{"locked", sqlite3.SQLITE_LOCKED, true},
		{"locked shared cache", sqlite3.SQLITE_LOCKED_SHAREDCACHE, true},
		{"ioerr", sqlite3.SQLITE_IOERR, true},
		{"ioerr write", sqlite3.SQLITE_IOERR_WRITE, true},
		{"ioerr fsync", sqlite3.SQLITE_IOERR_FSYNC, true},
		{"readonly", sqlite3.SQLITE_READONLY, true},
		{"readonly dbmoved", sqlite3.SQLITE_READONLY_DBMOVED, true},
		{"cantopen", sqlite3.SQLITE_CANTOPEN, true},
		{"constraint", sqlite3.SQLITE_CONSTRAINT, false},
		{"constraint unique", sqlite3.SQLITE_CONSTRAINT_UNIQUE, false},
		{"error", sqlite3.SQLITE_ERROR, false},
		{"interrupt", sqlite3.SQLITE_INTERRUPT, false},
		{"misuse", sqlite3.SQLITE_MISUSE, false},
		{"corrupt", sqlite3.SQLITE_CORRUPT, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isStorageCode(tt.code); got != tt.want {
				t.Errorf("isStorageCode(%d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

// rawDB opens the store's caching driver on dir/name with the given pragmas,
// as Open does, so the errors come from SQLite through the same wrapper.
func rawDB(t *testing.T, path string, pragmas ...string) *sql.DB {
	t.Helper()
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	db, err := openCached("file:" + filepath.ToSlash(path) + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStorageErrorsFromSQLite provokes real SQLite failures through the
// caching driver and checks which ones are ErrUnavailable.
func TestStorageErrorsFromSQLite(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	db := rawDB(t, path, "busy_timeout(0)", "journal_mode(WAL)")
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('a')"); err != nil {
		t.Fatal(err)
	}

	t.Run("constraint is not unavailable", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('a')")
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Fatalf("duplicate insert: got %v, want a constraint error that is not ErrUnavailable", err)
		}
	})
	t.Run("syntax error is not unavailable", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "SELEKT 1")
		if err == nil || errors.Is(err, ErrUnavailable) {
			t.Fatalf("got %v, want an error that is not ErrUnavailable", err)
		}
	})
	t.Run("readonly", func(t *testing.T) {
		ro := rawDB(t, path, "query_only(1)")
		_, err := ro.ExecContext(ctx, "INSERT INTO t (v) VALUES ('b')")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("write on a query-only connection: got %v, want ErrUnavailable", err)
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_READONLY {
			t.Errorf("got %v, want the driver's SQLITE_READONLY error still reachable with errors.As", err)
		}
	})
	t.Run("busy", func(t *testing.T) {
		other := rawDB(t, path, "busy_timeout(0)")
		other.SetMaxOpenConns(1)
		tx, err := other.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES ('held')"); err != nil {
			t.Fatal(err)
		}
		_, err = db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('c')")
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("write while another connection holds the write lock: got %v, want ErrUnavailable", err)
		}
		if !strings.Contains(err.Error(), "locked") {
			t.Errorf("got %q, want SQLite's own text kept", err)
		}
	})
	t.Run("cantopen", func(t *testing.T) {
		missing := rawDB(t, filepath.Join(dir, "no", "such", "dir", "t.db"))
		err := missing.PingContext(ctx)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("open in a missing directory: got %v, want ErrUnavailable", err)
		}
	})
}

func TestStorageErrKeepsOtherErrors(t *testing.T) {
	for _, err := range []error{nil, ErrNotFound, sql.ErrNoRows, errors.New("database is locked")} {
		if got := storageErr(err); got != err {
			t.Errorf("storageErr(%v) = %v, want it unchanged", err, got)
		}
	}
	wrapped := fmt.Errorf("store: x: %w", &unavailableError{err: errors.New("disk I/O error")})
	if got := storageErr(wrapped); got != wrapped {
		t.Errorf("storageErr wrapped an error that already is ErrUnavailable: %v", got)
	}
}

func TestPingFailsWhenTheProbeCannotBeWritten(t *testing.T) {
	sqliteOnly(t)
	s, _ := newTestStore(t)
	// A directory where the probe file goes: the write fails as on a
	// broken disk.
	if err := os.Mkdir(s.Path()+"-healthz", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping: got %v, want ErrUnavailable", err)
	}
	if err := os.Remove(s.Path() + "-healthz"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the obstacle is gone: %v", err)
	}
	if _, err := os.Stat(s.Path() + "-healthz"); !os.IsNotExist(err) {
		t.Errorf("probe file left behind: stat says %v", err)
	}
}

// mountTmpfs mounts a size-limited tmpfs on a new temp dir, or skips the
// test saying why it cannot.
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

// TestDiskFull fills a real filesystem under an open store: writes fail
// with ErrUnavailable and nothing is half-written; once space is freed the
// same writer takes writes again, without reopening the store.
func TestDiskFull(t *testing.T) {
	sqliteOnly(t)
	dir := mountTmpfs(t, "4m")
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	before := mustCreate(t, s)
	filler := fillDisk(t, dir)

	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Ping on a full disk: got %v, want ErrUnavailable", err)
	}
	// A payment with a large description needs new pages.
	big := func(np *NewPayment) { np.Description = strings.Repeat("x", 200) }
	created := 1
	var failed error
	for i := 0; i < 50 && failed == nil; i++ {
		_, failed = s.CreatePayment(ctx, newPayment(big, func(np *NewPayment) { np.ReferenceOrderID = fmt.Sprintf("full-%d", i) }))
		if failed == nil {
			created++ // the WAL may still have room of its own
		}
	}
	if !errors.Is(failed, ErrUnavailable) {
		t.Fatalf("CreatePayment on a full disk: got %v, want ErrUnavailable", failed)
	}
	if got := count(t, s, "SELECT count(*) FROM payments"); got != created {
		t.Errorf("payments after a failed write: got %d, want %d (the ones that succeeded)", got, created)
	}
	if got := mustGet(t, s, before.PaymentRequestID); got.PaymentRequestID != before.PaymentRequestID {
		t.Errorf("reading on a full disk: got %q, want %q", got.PaymentRequestID, before.PaymentRequestID)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after freeing space: %v", err)
	}
	// The freed space is what the filler took, a few hundred KB: about 50
	// payments' worth of WAL pages (fewer since each writes its search keys).
	for i := 0; i < 25; i++ {
		if _, err := s.CreatePayment(ctx, newPayment(big, func(np *NewPayment) { np.ReferenceOrderID = fmt.Sprintf("freed-%d", i) })); err != nil {
			t.Fatalf("CreatePayment %d after freeing space: %v", i, err)
		}
	}
}
