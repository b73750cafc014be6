package store

// Each connection keeps its prepared statements: parsing and planning cost
// SQLite more than most of the ledger's statements do, and a notification
// runs a dozen of them. The cache sits under database/sql as a wrapper of
// the driver's connection, so every query of the package (and any helper
// written with plain tx.ExecContext) uses it without knowing.
//
// Being the one place every SQLite call passes, the wrapper also marks
// storage failures (full disk, locks, I/O) with ErrUnavailable (storageErr).

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// maxCachedStmts bounds each connection's cache; further distinct queries
// are prepared and finalized per call.
const maxCachedStmts = 512

// openCached opens a *sql.DB on the registered "sqlite" driver whose
// connections cache prepared statements.
func openCached(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", dsn) // no connection is made
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, err
	}
	return sql.OpenDB(&cachingConnector{drv: drv, dsn: dsn}), nil
}

type cachingConnector struct {
	drv driver.Driver
	dsn string
}

func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, storageErr(err)
	}
	for _, need := range []bool{
		implements[driver.ExecerContext](conn), implements[driver.QueryerContext](conn),
		implements[driver.ConnPrepareContext](conn), implements[driver.ConnBeginTx](conn),
	} {
		if !need {
			conn.Close()
			return nil, errors.New("store: sqlite driver lacks a context interface")
		}
	}
	return &cachingConn{inner: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c *cachingConnector) Driver() driver.Driver { return c.drv }

func implements[T any](v any) bool { _, ok := v.(T); return ok }

type cachedStmt struct {
	st   driver.Stmt
	busy bool // in use by open rows (or an exec in progress)
}

// cachingConn is used by one goroutine at a time (database/sql's rule for
// driver connections), so the cache needs no lock.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

// stmt returns a prepared statement for query and a function to call when
// done with it: the cached one if it is free, else a transient one.
func (c *cachingConn) stmt(ctx context.Context, query string) (driver.Stmt, func(), error) {
	if cs, ok := c.stmts[query]; ok && !cs.busy {
		cs.busy = true
		return cs.st, func() { cs.busy = false }, nil
	}
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= maxCachedStmts {
		return st, func() { st.Close() }, nil
	}
	cs := &cachedStmt{st: st, busy: true}
	c.stmts[query] = cs
	return st, func() { cs.busy = false }, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, done, err := c.stmt(ctx, query)
	if err != nil {
		return nil, storageErr(err)
	}
	defer done()
	res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
	return res, storageErr(err)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, done, err := c.stmt(ctx, query)
	if err != nil {
		return nil, storageErr(err)
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, storageErr(err)
	}
	return &releasingRows{Rows: rows, done: done}, nil
}

// Prepare and PrepareContext return the driver's own statement, whose
// execution errors are not classified: only the bulk fixture loader
// prepares explicitly.
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	st, err := c.inner.Prepare(query)
	return st, storageErr(err)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	return st, storageErr(err)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, storageErr(err)
	}
	return classifyingTx{tx}, nil
}

// classifyingTx marks storage failures of COMMIT and ROLLBACK: a commit on a
// full disk fails with SQLITE_FULL (the driver then rolls back, so the
// connection is clean for the next transaction).
type classifyingTx struct{ inner driver.Tx }

func (t classifyingTx) Commit() error   { return storageErr(t.inner.Commit()) }
func (t classifyingTx) Rollback() error { return storageErr(t.inner.Rollback()) }

func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.inner.Close())...)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return storageErr(p.Ping(ctx))
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// releasingRows frees its cached statement when closed.
type releasingRows struct {
	driver.Rows
	done func()
}

// Next classifies the errors of stepping a query (io.EOF passes unchanged).
func (r *releasingRows) Next(dest []driver.Value) error {
	return storageErr(r.Rows.Next(dest))
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}
