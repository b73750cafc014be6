package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// errClosed is returned by writes after Close.
var errClosed = errors.New("store: closed")

// errBatchBroken is an internal signal: a failed write left the shared
// transaction unusable, so the batch is rolled back and its other writes rerun.
var errBatchBroken = errors.New("store: batch transaction broken")

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// writeTx runs fn inside a write transaction on the single writer connection
// and returns once the transaction is durably committed (or fn failed).
//
// Concurrent calls are grouped: up to maxBatch queued functions run inside one
// BEGIN IMMEDIATE … COMMIT; every caller whose fn succeeded is answered after
// the one commit (one fsync). A failing fn rolls back only its own writes and
// gets its own error: the batch first runs without savepoints (the common
// case, where every fn succeeds); when a fn fails, the transaction is rolled
// back, that caller gets its error, and the batch's other functions run
// again, each in its own SAVEPOINT.
//
// fn must touch the database only through tx and must be safe to run more
// than once: if the shared transaction breaks, it is rolled back and the
// batch's other functions are run again. Assign results to captured
// variables; do not append.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return errClosed
	}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	s.closeMu.RUnlock()
	// Once queued, wait for the answer even if ctx ends: the write may
	// already be committed, and the caller must not report otherwise.
	return <-req.done
}

// writer is the goroutine that owns s.wdb.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*writeReq, 0, s.maxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.queue:
		case <-s.quit:
			// Drain whatever was queued before Close.
			for {
				select {
				case r := <-s.queue:
					s.runBatch([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.runBatch(batch)
	}
}

// runBatch runs the requests in one transaction and answers each.
func (s *Store) runBatch(batch []*writeReq) {
	batch = s.tryBatch(batch, false)
	for len(batch) > 0 {
		batch = s.tryBatch(batch, true)
	}
}

// tryBatch runs batch in one transaction. It returns the requests that must
// run again because the transaction was rolled back under them; nil when all
// are answered. Without savepoints, a failing fn rolls back the transaction:
// it gets its error and the others are returned to run again.
func (s *Store) tryBatch(batch []*writeReq, savepoints bool) (retry []*writeReq) {
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil) // SQLite: BEGIN IMMEDIATE (_txlock=immediate)
	if err != nil {
		answerAll(batch, fmt.Errorf("store: begin: %w", err))
		return nil
	}
	if s.pg {
		// One writing transaction at a time across every replica
		// (postgres.go): what BEGIN IMMEDIATE is to SQLite.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(writeLockKey)); err != nil {
			tx.Rollback()
			answerAll(batch, fmt.Errorf("store: write lock: %w", err))
			return nil
		}
	}
	seqs := &seqBatch{tx: tx}
	s.batchSeq.Store(seqs)
	defer s.batchSeq.Store(nil)
	results := make([]error, len(batch))
	for i, r := range batch {
		seqs.req = i
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if !savepoints {
			if err := runGuarded(tx, r.fn); err != nil {
				tx.Rollback()
				r.done <- err
				return append(batch[:i:i], batch[i+1:]...)
			}
			continue
		}
		err := runInSavepoint(r.ctx, tx, r.fn)
		if errors.Is(err, errBatchBroken) {
			tx.Rollback()
			// The failing request gets its error; everything before it
			// was rolled back with the transaction and runs again.
			r.done <- errors.Unwrap(err)
			return append(batch[:i:i], batch[i+1:]...)
		}
		results[i] = err
	}
	commitStart := time.Now()
	err = seqs.flush(ctx)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback()
		for i, r := range batch {
			if results[i] == nil {
				results[i] = fmt.Errorf("store: commit: %w", err)
			}
			r.done <- results[i]
		}
		return nil
	}
	s.commits.Add(1)
	s.keepClaims(seqs, func(i int) bool { return results[i] == nil })
	if s.onCommit != nil {
		s.onCommit(len(batch), time.Since(commitStart))
	}
	for i, r := range batch {
		r.done <- results[i]
	}
	return nil
}

// runInSavepoint runs fn inside SAVEPOINT w; on failure it rolls back to the
// savepoint. A panic in fn is returned as an error. If the rollback itself
// fails, the shared transaction is unusable: the error wraps errBatchBroken.
func runInSavepoint(ctx context.Context, tx *sql.Tx, fn func(*sql.Tx) error) (err error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return brokenErr(fmt.Errorf("store: savepoint: %w", err))
	}
	err = runGuarded(tx, fn)
	if err == nil {
		if _, rerr := tx.ExecContext(context.Background(), "RELEASE w"); rerr != nil {
			return brokenErr(fmt.Errorf("store: release savepoint: %w", rerr))
		}
		return nil
	}
	if _, rerr := tx.ExecContext(context.Background(), "ROLLBACK TO w"); rerr != nil {
		return brokenErr(err)
	}
	if _, rerr := tx.ExecContext(context.Background(), "RELEASE w"); rerr != nil {
		return brokenErr(err)
	}
	return err
}

// runGuarded runs fn, returning a panic in it as an error.
func runGuarded(tx *sql.Tx, fn func(*sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	return fn(tx)
}

type brokenError struct{ err error }

func (e *brokenError) Error() string        { return e.err.Error() }
func (e *brokenError) Unwrap() error        { return e.err }
func (e *brokenError) Is(target error) bool { return target == errBatchBroken }

func brokenErr(err error) error { return &brokenError{err: err} }

func answerAll(batch []*writeReq, err error) {
	for _, r := range batch {
		r.done <- err
	}
}

// defaultID mints "<prefix>_<unix ms base36>_<16 hex random>": sortable by
// time, unique, ASCII, well under 64 characters.
func defaultID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("store: crypto/rand: %v", err)) // never happens on supported platforms
	}
	return prefix + "_" + strconv.FormatInt(time.Now().UnixMilli(), 36) + "_" + hex.EncodeToString(b[:])
}
