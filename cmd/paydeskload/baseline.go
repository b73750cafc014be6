package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver Paydesk uses
)

// baselineRate is the machine's raw durable commit rate: single-row
// transactions, one after the other on one connection, on a scratch SQLite
// file in dir (the data directory's filesystem) with the store's pragmas
// (WAL, synchronous=FULL, BEGIN IMMEDIATE). body is what each row holds.
func baselineRate(ctx context.Context, dir string, d time.Duration, body []byte) (float64, error) {
	scratch, err := os.MkdirTemp(dir, "baseline-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(scratch)
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(scratch, "baseline.db"))+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"); err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	ins, err := db.PrepareContext(ctx, "INSERT INTO rows (body) VALUES (?)")
	if err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	defer ins.Close()
	commit := func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, ins).ExecContext(ctx, body); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	for range 50 { // warm up: the file and the WAL exist, pages are cached
		if err := commit(); err != nil {
			return 0, fmt.Errorf("baseline: %w", err)
		}
	}
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := commit(); err != nil {
			return 0, fmt.Errorf("baseline: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
