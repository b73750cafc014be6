package main

// -database-url: the load against PostgreSQL. Everything the run creates
// lives in a private schema of the given database (its name random,
// "paydeskload_…"), put first on every connection's search_path as
// store/storetest does, and is dropped at the end: Paydesk's tables, the
// seeded fixture and the baseline's scratch table.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver, the one the store uses
)

// pgSchema is the run's private schema.
type pgSchema struct {
	name string
	url  string // the -database-url with search_path=<name>,public
	db   *sql.DB
}

// createSchema makes a private schema in the database at base and returns
// a URL whose connections use it (then public, where extensions such as
// pg_trgm live).
func createSchema(ctx context.Context, base string) (*pgSchema, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("-database-url: want a postgres:// URL")
	}
	var b [6]byte
	rand.Read(b[:])
	s := &pgSchema{name: "paydeskload_" + hex.EncodeToString(b[:])}
	if s.db, err = sql.Open("pgx", base); err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, "CREATE SCHEMA "+s.name); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("-database-url: create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", s.name+",public")
	// The run's connections are found by it in pg_stat_activity (backendCPU).
	q.Set("application_name", s.name)
	u.RawQuery = q.Encode()
	s.url = u.String()
	return s, nil
}

// drop removes the schema and everything in it.
func (s *pgSchema) drop() error {
	defer s.db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, "DROP SCHEMA "+s.name+" CASCADE"); err != nil {
		return fmt.Errorf("drop schema %s: %w", s.name, err)
	}
	return nil
}

// pgServer describes the server for the report: its version, the settings
// that decide what a commit costs, and whether it runs on this machine.
func pgServer(ctx context.Context, databaseURL string) (string, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var parts []string
	for _, name := range []string{"server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "full_page_writes"} {
		var v string
		if err := db.QueryRowContext(ctx, "SHOW "+name).Scan(&v); err != nil {
			return "", fmt.Errorf("-database-url: SHOW %s: %w", name, err)
		}
		if name == "server_version" {
			v, _, _ = strings.Cut(v, " ")
			parts = append(parts, "PostgreSQL "+v)
			continue
		}
		parts = append(parts, name+"="+v)
	}
	where := "on another host"
	if u, err := url.Parse(databaseURL); err == nil {
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "" || h == "localhost" || strings.HasPrefix(h, "/") || (ip != nil && ip.IsLoopback()) {
			where = "on this machine (its CPUs shared with Paydesk and the load generator)"
		}
	}
	return strings.Join(parts, ", ") + "; " + where, nil
}

// pgBaselineRate is the server's raw durable commit rate: single-row
// INSERTs in autocommit (each its own transaction, committed as the
// server's synchronous_commit says), one after the other on one
// connection, into a scratch table of the run's schema.
func pgBaselineRate(ctx context.Context, databaseURL string, d time.Duration, body []byte) (float64, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var b [4]byte
	rand.Read(b[:])
	table := "baseline_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+" (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body BYTEA NOT NULL)"); err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE "+table)
	ins, err := db.PrepareContext(ctx, "INSERT INTO "+table+" (body) VALUES ($1)")
	if err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	defer ins.Close()
	for range 50 { // warm up: the plan is cached, the table's pages exist
		if _, err := ins.ExecContext(ctx, body); err != nil {
			return 0, fmt.Errorf("baseline: %w", err)
		}
	}
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if _, err := ins.ExecContext(ctx, body); err != nil {
			return 0, fmt.Errorf("baseline: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// backendCPU is the CPU time of the run's PostgreSQL backends (the
// connections named by its application_name), when the server runs on this
// machine and its processes are readable; ok false otherwise. Backends that
// ended before the call are not counted.
func (s *pgSchema) backendCPU(ctx context.Context) (d time.Duration, ok bool) {
	rows, err := s.db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", s.name)
	if err != nil {
		return 0, false
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return 0, false
		}
		c, err := pidCPU(strconv.Itoa(pid))
		if err != nil {
			return 0, false // another machine's, or not ours to read
		}
		d += c
		n++
	}
	return d, rows.Err() == nil && n > 0
}
