// Package store is Paydesk's ledger on SQLite: embedded migrations, payments
// and their captures, refunds, timeline events and inbound notification
// deliveries, the state machines, and the queries the dashboard and the app
// API run. It imports antom for value types only; it never calls Antom.
//
// Writes go through one writer goroutine that owns the only write connection
// and groups the transactions of concurrent callers into one durable commit
// (WAL, synchronous=FULL): many writes, one fsync. Reads use a separate pool.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrationFS embed.FS

// Each backend's migrations, numbered alike: NNNN_description.sql.
const (
	sqliteMigrations   = "migrations/sqlite"
	postgresMigrations = "migrations/postgres"
)

// DBFile is the database file name inside the data directory.
const DBFile = "paydesk.db"

// defaultMaxBatch bounds how many queued writes share one commit.
const defaultMaxBatch = 64

// Store is the ledger. It is safe for concurrent use.
type Store struct {
	path  string
	wdb   *sql.DB // the single writer connection, used only by the writer goroutine
	rdb   *sql.DB // reader pool
	now   func() time.Time
	newID func(prefix string) string

	maxBatch int
	commits  atomic.Int64                          // committed batches, for tests
	onCommit func(batch int, commit time.Duration) // WithCommitObserver; nil: none
	queue    chan *writeReq
	quit     chan struct{}
	done     chan struct{}
	closeMu  sync.RWMutex
	closed   bool
	probeMu  sync.Mutex // serialises Ping's disk probes

	tightened []string // files and directories Open found too open, and fixed

	// indexEvery is how often the search indexer runs (0: never);
	// indexDone closes when it has stopped (search_index.go).
	indexEvery time.Duration
	indexDone  chan struct{}
}

// Option configures Open.
type Option func(*Store)

// WithClock sets the clock used for every timestamp the store writes.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithIDGenerator sets how request IDs are minted (paymentRequestId,
// captureRequestId, refundRequestId); the prefix is "pay", "cap" or "ref".
// The result must be ASCII printable and at most 64 characters.
func WithIDGenerator(gen func(prefix string) string) Option {
	return func(s *Store) { s.newID = gen }
}

// WithMaxBatch sets how many queued writes may share one commit (default 64).
// 1 disables group commit; benchmarks use it as the baseline.
func WithMaxBatch(n int) Option {
	return func(s *Store) {
		if n >= 1 {
			s.maxBatch = n
		}
	}
}

// dsn builds the modernc.org/sqlite DSN. Pragmas use the driver's
// _pragma=name(value) form, applied on every new connection.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	if writer {
		// Durable before acknowledged: fsync the WAL on every commit.
		q.Add("_pragma", "synchronous(FULL)")
		// Savepoint sub-journals in memory: each grouped write runs in a
		// savepoint, and a temp file would cost a write per touched page.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

// Open opens (creating if needed) the database <dir>/paydesk.db, applies the
// embedded migrations and starts the writer.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	// The database holds password and key hashes, buyer data and the audit
	// log: only its owner may read it, whether or not the directory
	// existed. SQLite gives the -wal and -shm files the database's mode.
	tightened, err := tightenModes(dir, filepath.Join(dir, DBFile))
	if err != nil {
		return nil, err
	}
	s := &Store{
		tightened: tightened,
		path:      filepath.Join(dir, DBFile),
		now:       time.Now,
		newID:     defaultID,
		maxBatch:  defaultMaxBatch,
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	s.indexEvery, s.indexDone = time.Second, make(chan struct{})
	for _, o := range opts {
		o(s)
	}
	s.queue = make(chan *writeReq, 4*s.maxBatch)

	wdb, err := openCached(dsn(s.path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open writer: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s.wdb = wdb
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", s.path, err)
	}
	if err := migrate(ctx, wdb, s.now); err != nil {
		wdb.Close()
		return nil, err
	}

	rdb, err := openCached(dsn(s.path, false))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(0)
	if err := rdb.PingContext(ctx); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	s.rdb = rdb

	go s.writer()
	go s.searchIndexer()
	return s, nil
}

// Tightened lists what Open found readable by others and made private
// (data directory 0700, database files 0600), for a warning at start.
func (s *Store) Tightened() []string { return s.tightened }

// tightenModes makes dir 0700 and the database and its -wal and -shm 0600,
// creating the database file with that mode when it does not exist yet.
// It returns what it changed, each as "path: old → new".
func tightenModes(dir, db string) ([]string, error) {
	var changed []string
	fix := func(path string, want fs.FileMode) error {
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			if err := os.Chmod(path, want); err != nil {
				return fmt.Errorf("store: restrict %s: %w", path, err)
			}
			changed = append(changed, fmt.Sprintf("%s: %04o → %04o", path, got, want))
		}
		return nil
	}
	if err := fix(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create %s: %w", db, err)
	}
	f.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := fix(p, 0o600); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// Close stops the writer after the queued writes are done and closes the
// database. Writes after Close fail.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	s.closeMu.Unlock()
	<-s.indexDone
	<-s.done
	return errors.Join(s.rdb.Close(), s.wdb.Close())
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database can take a write now (for /healthz): the
// disk must have room for a probe file beside the database (probeDisk), and
// a write transaction must commit through the writer. A failure for a
// storage reason (full disk, lock, I/O) wraps ErrUnavailable.
//
// The disk is probed with a file because a small SQLite commit on a full
// disk often succeeds: the WAL reuses its own space after a checkpoint, so
// only larger writes, and the checkpoint, fail.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.probeDisk(); err != nil {
		return err
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE change_seq SET value = value WHERE id = 1")
		return err
	})
}

// ---- migrations ----

// migrate applies every embedded migrations/NNNN_name.sql file not yet
// recorded in schema_migrations, in numeric order, each in its own
// transaction. Hand-written rather than goose: it is these few lines, needs no
// extra dependency, and the files stay plain SQL either way.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := migrationFiles(migrationFS, sqliteMigrations)
	if err != nil {
		return err
	}
	for _, m := range files {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(migrationFS, sqliteMigrations+"/"+m.name)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

type migrationFile struct {
	version int
	name    string
}

// migrationFiles lists migrations/NNNN_*.sql sorted by number; a file whose
// name does not start with a number, or two files with one number, is an error.
func migrationFiles(fsys fs.FS, dir string) ([]migrationFile, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []migrationFile
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q: name must be NNNN_description.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q share number %d", prev, name, v)
		}
		seen[v] = name
		out = append(out, migrationFile{version: v, name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
