package store

// The PostgreSQL backend: the same Store, the same SQL text (written with
// `?` placeholders, integers for booleans and times), on a database shared
// by any number of Paydesk replicas.
//
// What makes the SQLite design hold across replicas:
//   - Every write transaction takes one transaction-level advisory lock
//     (writeLockKey) right after BEGIN. Writes are serialised across all
//     replicas exactly as SQLite serialises them within one process, so every
//     check-then-act inside a write (a state machine's version, a balance, a
//     throttle, a claim of due work, a dedupe) holds under concurrent
//     replicas. Each replica still groups its queued writes into one commit,
//     so the lock is taken once per batch, not once per write. The cost is
//     that commits of different replicas do not overlap; on one database
//     server that is where the time goes anyway (one WAL flush per commit).
//   - Reads use a pool and READ COMMITTED: they see what any replica has
//     committed, so a live page polling replica B sees a notification that
//     replica A applied.
//   - Migrations run under a session-level advisory lock (migrateLockKey),
//     so replicas starting together apply each one once.
//
// The driver is pgx v5 through database/sql (github.com/jackc/pgx/v5/stdlib),
// wrapped (pgConnector) in the one place every statement passes: `?`
// placeholders become `$n`, Go bools are sent as 0/1 (the schema's booleans
// are integers, as in SQLite), and storage failures (connection lost, server
// shutting down, disk full) are marked ErrUnavailable as SQLite's are.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Advisory lock keys (any 64-bit numbers, the same in every replica).
const (
	writeLockKey   = 0x7061796465736b01 // "paydesk" 01: one writer at a time
	migrateLockKey = 0x7061796465736b02 // "paydesk" 02: one migrator at a time
)

// OpenPostgres opens the store on a PostgreSQL database (a postgres:// or
// postgresql:// URL, as pgx reads it), applies the embedded PostgreSQL
// migrations unless WithMigrate(false), and starts the writer. Any number of
// processes may open the same database.
func OpenPostgres(ctx context.Context, databaseURL string, opts ...Option) (*Store, error) {
	cfg, err := parsePostgresURL(databaseURL)
	if err != nil {
		return nil, err
	}
	// A transaction left open by a replica that lost its network (no FIN
	// reaches the server) would hold the write lock for every replica:
	// the server ends such a session after a minute. The store's own
	// write transactions never wait on anything outside the database.
	if _, set := cfg.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = "60000"
	}
	s := newStore(opts)
	s.pg = true
	s.path = RedactURL(databaseURL)

	wdb := sql.OpenDB(&pgConnector{inner: stdlib.GetConnector(*cfg)})
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	s.wdb = wdb
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", s.path, err)
	}
	if err := s.migrateOrCheck(ctx); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb := sql.OpenDB(&pgConnector{inner: stdlib.GetConnector(*cfg)})
	n := s.readers
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0))
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s.rdb = rdb
	s.start()
	return s, nil
}

// parsePostgresURL checks the URL's scheme and lets pgx parse the rest.
func parsePostgresURL(databaseURL string) (*pgx.ConnConfig, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("store: database URL must start with postgres:// or postgresql:// (got %q)", RedactURL(databaseURL))
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: database URL %s: %w", RedactURL(databaseURL), err)
	}
	return cfg, nil
}

// RedactURL returns a database URL fit for logs: the password replaced.
func RedactURL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparsable database URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// Postgres reports whether the store is on PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

// ---- the driver wrapper ----

type pgConnector struct{ inner driver.Connector }

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, pgStorageErr(err)
	}
	return &pgConn{inner: conn.(*stdlib.Conn)}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is a pgx connection that takes the store's SQL text.
type pgConn struct{ inner *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	st, err := c.inner.Prepare(rebind(query))
	return st, pgStorageErr(err)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.PrepareContext(ctx, rebind(query))
	return st, pgStorageErr(err)
}

func (c *pgConn) Close() error { return c.inner.Close() }

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		return nil, pgStorageErr(err)
	}
	return pgTx{tx}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.inner.ExecContext(ctx, rebind(query), args)
	return res, pgStorageErr(err)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.inner.QueryContext(ctx, rebind(query), args)
	return rows, pgStorageErr(err)
}

func (c *pgConn) Ping(ctx context.Context) error { return pgStorageErr(c.inner.Ping(ctx)) }

func (c *pgConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

// CheckNamedValue sends a Go bool as the integer the schema stores, and a
// string as text PostgreSQL can hold; every other value takes
// database/sql's default conversion.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case bool:
		nv.Value = int64(0)
		if v {
			nv.Value = int64(1)
		}
		return nil
	case string:
		nv.Value = pgText(v)
		return nil
	}
	return driver.ErrSkip
}

// pgText is s as PostgreSQL text can hold it: SQLite stores any bytes in a
// TEXT column, but PostgreSQL refuses a NUL and invalid UTF-8 (22021), and
// a verified notification with such an ID would then never be stored, only
// retried. Both become U+FFFD; a delivery's exact bytes are kept in its
// body column (BYTEA), which this does not touch.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

type pgTx struct{ inner driver.Tx }

func (t pgTx) Commit() error   { return pgStorageErr(t.inner.Commit()) }
func (t pgTx) Rollback() error { return t.inner.Rollback() }

// rebinds caches rewritten statements: the store's SQL is a bounded set of
// constants and filter combinations. Past rebindCacheMax entries it stops
// adding (the rewrite is cheap; the cache only saves garbage).
var (
	rebinds     sync.Map // string → string
	rebindCount atomic.Int64
)

const rebindCacheMax = 4096

// rebind rewrites `?` placeholders to PostgreSQL's `$1, $2, …` (and
// SQLite's numbered `?1` to `$1`), leaving
// string literals, quoted identifiers and comments alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebinds.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == ch {
					if j+1 < len(query) && query[j+1] == ch { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteString(query[i:min(j+1, len(query))])
			i = j
		case ch == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case ch == '?' && i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9':
			b.WriteByte('$') // SQLite's numbered ?NNN is PostgreSQL's $NNN
		case ch == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(ch)
		}
	}
	out := b.String()
	if rebindCount.Add(1) <= rebindCacheMax {
		rebinds.Store(query, out)
	}
	return out
}

// pgStorageErr marks err with ErrUnavailable when it is a storage failure
// rather than a bug or a constraint: the connection could not be made or
// was lost, the server is shutting down or out of resources (disk full, too
// many connections), an I/O error, a read-only server. Nothing the request
// asked for was committed, and the same request may succeed later.
func pgStorageErr(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),  // insufficient resources (53100 disk full)
			strings.HasPrefix(pe.Code, "57P"), // operator intervention: shutdown, cannot connect now
			strings.HasPrefix(pe.Code, "58"),  // system error (I/O)
			pe.Code == "25006":                // read-only transaction (a standby)
			return &unavailableError{err: err}
		}
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed") {
		return &unavailableError{err: err}
	}
	return err
}

// isPgUniqueViolation reports PostgreSQL's unique_violation (23505).
func isPgUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ErrCommitUnknown means the database did not confirm a commit and could
// not be asked afterwards: the write may or may not have been saved. It is
// not ErrUnavailable ("nothing was changed"): a person must look before
// doing it again. Only PostgreSQL, whose commit crosses a network, gives it.
var ErrCommitUnknown = errors.New("store: the database did not confirm the commit; it may have been saved")

type commitUnknownError struct{ err error }

func (e *commitUnknownError) Error() string        { return ErrCommitUnknown.Error() + ": " + e.err.Error() }
func (e *commitUnknownError) Unwrap() error        { return e.err }
func (e *commitUnknownError) Is(target error) bool { return target == ErrCommitUnknown }

// commitResolveFor is how long the writer keeps asking the server what
// became of a commit whose answer was lost (a variable for tests).
var commitResolveFor = 15 * time.Second

// commit commits the writer's transaction. On PostgreSQL a connection lost
// during COMMIT leaves its outcome unknown (the server may have committed
// before the answer was lost), so the transaction's ID is read first and,
// after such a failure, the server is asked what became of it: committed
// is a success, aborted is "nothing was changed" (ErrUnavailable), and no
// answer at all is ErrCommitUnknown.
func (s *Store) commit(ctx context.Context, tx *sql.Tx) error {
	if !s.pg {
		return tx.Commit()
	}
	var xid string
	if err := tx.QueryRowContext(ctx, "SELECT pg_current_xact_id()::text").Scan(&xid); err != nil {
		return err
	}
	err := tx.Commit()
	if err == nil || !errors.Is(err, ErrUnavailable) {
		return err
	}
	return s.commitOutcome(ctx, xid, err)
}

// commitOutcome asks the server, on another connection, what became of
// transaction xid, whose commit failed with commitErr.
func (s *Store) commitOutcome(ctx context.Context, xid string, commitErr error) error {
	deadline := time.Now().Add(commitResolveFor)
	for {
		var status sql.NullString
		err := s.rdb.QueryRowContext(ctx, "SELECT pg_xact_status(?::xid8)", xid).Scan(&status)
		switch {
		case err == nil && status.String == "committed":
			return nil
		case err == nil && status.String == "aborted":
			return commitErr
		}
		// In progress (the server has not finished it), or the server is
		// not answering yet: ask again until the deadline.
		if time.Now().After(deadline) {
			// Not ErrUnavailable any more: unwrap to the driver's error.
			cause := commitErr
			var ue *unavailableError
			if errors.As(commitErr, &ue) {
				cause = ue.err
			}
			return &commitUnknownError{err: cause}
		}
		time.Sleep(200 * time.Millisecond)
	}
}
