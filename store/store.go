// Package store is Paydesk's ledger, on SQLite (Open, the default) or on
// PostgreSQL shared by several replicas (OpenPostgres, postgres.go):
// embedded migrations per backend, payments and their captures, refunds,
// timeline events and inbound notification deliveries, the state machines,
// and the queries the dashboard and the app API run. One API and one set of
// SQL text for both; the dialects differ in a few marked places. It imports
// antom for value types only; it never calls Antom.
//
// Writes go through one writer goroutine that owns the only write connection
// and groups the transactions of concurrent callers into one durable commit
// (SQLite: WAL, synchronous=FULL; PostgreSQL: a commit under one advisory
// lock shared by every replica): many writes, one fsync. Reads use a
// separate pool.
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

	pg      bool // on PostgreSQL (postgres.go) rather than SQLite
	migrate bool // Open applies pending migrations (WithMigrate)
	readers int  // reader pool size (WithReaders); 0: the default

	// indexEvery is how often the search indexer runs (0: never);
	// indexDone closes when it has stopped (search_index.go).
	indexEvery time.Duration
	indexDone  chan struct{}
	trigrams   trigramStats // fragment search's choice of trigrams (search_trigrams.go)
	grams      trigramStats // the same for search_grams (search_grams.go)
	indexMu    sync.Mutex   // held by IndexSearchKeys and while the counts are read

	// batchSeq is the change sequence of the writer's open batch
	// (seqbatch.go): set and read by the writer goroutine only, an atomic
	// so a savePayment in a transaction of its own may look at it.
	batchSeq atomic.Pointer[seqBatch]
	// claims are the dedupe claims the writer saw committed (claims.go);
	// the writer goroutine's alone.
	claims map[string]int64
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

// WithMigrate says whether Open applies pending migrations (default true).
// With false it applies none: a schema behind this binary is reported by
// SchemaVersion (and /readyz) until `paydesk migrate` has run; a schema
// newer than this binary knows is refused either way.
func WithMigrate(apply bool) Option { return func(s *Store) { s.migrate = apply } }

// WithReaders sets the size of the reader pool (default max(4, GOMAXPROCS)).
// With PostgreSQL each replica holds this many connections plus one for the
// writer.
func WithReaders(n int) Option { return func(s *Store) { s.readers = n } }

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
	s := newStore(opts)
	s.tightened = tightened
	s.path = filepath.Join(dir, DBFile)

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
	if err := s.migrateOrCheck(ctx); err != nil {
		wdb.Close()
		return nil, err
	}

	rdb, err := openCached(dsn(s.path, false))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	n := s.readers
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxIdleTime(0)
	if err := rdb.PingContext(ctx); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	s.rdb = rdb
	s.start()
	return s, nil
}

// newStore is a Store with its defaults and opts applied, not yet connected.
func newStore(opts []Option) *Store {
	s := &Store{
		now:      time.Now,
		newID:    defaultID,
		maxBatch: defaultMaxBatch,
		migrate:  true,
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.indexEvery, s.indexDone = time.Second, make(chan struct{})
	for _, o := range opts {
		o(s)
	}
	s.queue = make(chan *writeReq, 4*s.maxBatch)
	return s
}

// start starts the writer and the search indexer once wdb and rdb are open.
func (s *Store) start() {
	go s.writer()
	go s.searchIndexer()
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
	if !s.pg { // PostgreSQL's disk is the server's: a full one fails the write below
		if err := s.probeDisk(); err != nil {
			return err
		}
	}
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE change_seq SET value = value WHERE id = 1")
		return err
	})
}

// ---- migrations ----

// ErrSchemaNewer is returned by Open when the database has migrations this
// binary does not know: a newer Paydesk migrated it, and this one could
// misread or damage what that one wrote.
var ErrSchemaNewer = errors.New("store: database schema is newer than this Paydesk")

// migrationDir is the folder of this backend's migrations.
func (s *Store) migrationDir() string {
	if s.pg {
		return postgresMigrations
	}
	return sqliteMigrations
}

// SchemaVersion returns the highest migration applied to the database and
// the highest this binary knows. applied < known means migrations are
// pending (Open with WithMigrate(false), or `paydesk migrate` still running
// elsewhere).
func (s *Store) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	files, err := migrationFiles(migrationFS, s.migrationDir())
	if err != nil {
		return 0, 0, err
	}
	if len(files) > 0 {
		known = files[len(files)-1].version
	}
	db := s.rdb
	if db == nil {
		db = s.wdb
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, known, fmt.Errorf("store: schema version: %w", err)
	}
	defer conn.Close()
	if exists, err := migrationsTableExists(ctx, conn, s.pg); err != nil || !exists {
		return 0, known, err // no table yet: nothing applied
	}
	var v sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, known, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), known, nil
}

// migrateOrCheck applies the pending migrations (WithMigrate, the default)
// and refuses a schema newer than this binary knows.
func (s *Store) migrateOrCheck(ctx context.Context) error {
	if s.pg {
		// One migrator at a time across replicas: the others wait here and
		// then find nothing left to do.
		conn, err := s.wdb.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrateLockKey)); err != nil {
			return fmt.Errorf("store: migrations lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(migrateLockKey))
		return migrate(ctx, conn, s.migrationDir(), s.migrate, s.now, true)
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	defer conn.Close()
	return migrate(ctx, conn, s.migrationDir(), s.migrate, s.now, false)
}

// migrate applies every embedded dir/NNNN_name.sql file not yet recorded in
// schema_migrations, in numeric order, each in its own transaction (apply
// false: none). A recorded version above every file is ErrSchemaNewer.
// Hand-written rather than goose or golang-migrate: it is these few lines
// over plain SQL files, and a library would add a dependency per backend
// without adding a behaviour Paydesk needs (no down migrations: a payments
// ledger is restored from backup, not rolled back).
//
// On PostgreSQL (pg) each migration also takes the writers' lock, so
// replicas still running write nothing while a migration reads and copies.
// Without apply nothing is created: a role that may only read and write
// the tables (the replicas' role when `paydesk migrate` runs as another)
// can open the store.
func migrate(ctx context.Context, db *sql.Conn, dir string, apply bool, now func() time.Time, pg bool) error {
	if apply {
		if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("store: migrations table: %w", err)
		}
	} else if exists, err := migrationsTableExists(ctx, db, pg); err != nil {
		return err
	} else if !exists {
		return nil // an empty database: version 0
	}
	files, err := migrationFiles(migrationFS, dir)
	if err != nil {
		return err
	}
	applied := map[int]bool{}
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	top := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("store: migrations: %w", err)
		}
		applied[v], top = true, max(top, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("store: no migrations in %s", dir)
	}
	if known := files[len(files)-1].version; top > known {
		return fmt.Errorf("%w: the database is at migration %d, this Paydesk knows up to %d; run the newer Paydesk or restore a backup", ErrSchemaNewer, top, known)
	}
	if !apply {
		return nil
	}
	for _, m := range files {
		if applied[m.version] {
			continue
		}
		body, err := fs.ReadFile(migrationFS, dir+"/"+m.name)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if pg {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(writeLockKey)); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migration %s: write lock: %w", m.name, err)
			}
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

// migrationsTableExists reports whether schema_migrations exists, without
// creating anything.
func migrationsTableExists(ctx context.Context, db *sql.Conn, pg bool) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if pg {
		q = "SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) AS r WHERE t IS NOT NULL"
	}
	var n int
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, fmt.Errorf("store: migrations table: %w", err)
	}
	return n > 0, nil
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
