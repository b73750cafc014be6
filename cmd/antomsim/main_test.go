package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"paydesk/antom/sim"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"paydesk/antom"
)

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRun starts the command on a free port with generated keys and fault
// flags, checks what it prints and serves, and stops it.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "antom.pem")
	merchantFile := filepath.Join(dir, "merchant.pem")
	stateFile := filepath.Join(dir, "state", "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-key", keyFile, "-merchant-key-out", merchantFile, "-state", stateFile,
			"-time-scale", "60", "-fault-duplicate", "2", "-request-time-format", "iso8601", "-fault-apis", "capture,refund"}, &stdout, &stderr)
	}()
	// The start-up lines are separate writes: wait for the last of them
	// (the checkout URL), not only the first.
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)(?s:.*)antomsim: checkout `)
	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no base URL printed:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), base+"/checkout?sessionData=<url-encoded paymentSessionData>") {
		t.Errorf("no checkout URL pattern in:\n%s", stdout.String())
	}
	for _, f := range []string{keyFile, keyFile + ".pub.pem", merchantFile, merchantFile + ".pub.pem"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("key file: %v", err)
		}
		if strings.HasSuffix(f, ".pub.pem") {
			if _, err := antom.ParsePublicKey(data); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		} else if _, err := antom.ParsePrivateKey(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", fi.Mode().Perm())
	}

	res, err := http.Get(base + "/sim/faults")
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	err = json.NewDecoder(res.Body).Decode(&f)
	res.Body.Close()
	if err != nil || f["duplicate"] != float64(2) || f["requestTimeFormat"] != "iso8601" || len(f["apis"].([]any)) != 2 {
		t.Errorf("faults from flags = %v (%v)", f, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if !strings.Contains(stdout.String(), "state kept in "+stateFile) {
		t.Errorf("the state file is not printed:\n%s", stdout.String())
	}
	if data, err := os.ReadFile(stateFile); err != nil || !json.Valid(data) {
		t.Errorf("state file after stop: %v", err)
	}

	// A second start reuses the keys it wrote.
	before, _ := os.ReadFile(keyFile)
	key, created, err := loadOrCreateKey(keyFile)
	if err != nil || created || key == nil {
		t.Fatalf("reload: %v created=%v", err, created)
	}
	after, _ := os.ReadFile(keyFile)
	if !bytes.Equal(before, after) {
		t.Error("the key file was rewritten")
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-request-time-format", "rfc1123"},
		{"-settlement-currency", "XXQ"},
		{"-settlement-currency", ""},
		{"-fault-apis", "pay"},
		{"-time-scale", "0"},
		{"-fault-duplicate", "-1"},
		{"extra"},
	} {
		var out syncBuffer
		if _, err := parseFlags(args, &out); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	var out syncBuffer
	if err := run(context.Background(), []string{"-merchant-public-key", filepath.Join(t.TempDir(), "missing.pem"), "-key", filepath.Join(t.TempDir(), "k.pem")}, &out, &out); err == nil || !strings.Contains(err.Error(), "-merchant-public-key") {
		t.Errorf("missing merchant key file: %v", err)
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	if err := os.WriteFile(state, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-key", filepath.Join(dir, "k.pem"), "-merchant-key-out", filepath.Join(dir, "m.pem"), "-state", state}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), state) || !strings.Contains(err.Error(), "delete") {
		t.Errorf("corrupt state file: %v, want an error naming it and saying to delete it", err)
	}
}

func TestFlagDefaultsAndSettlementCurrency(t *testing.T) {
	var out syncBuffer
	o, err := parseFlags(nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if o.settlementCcy != "USD" || o.faults.RequestTimeFormat != sim.TimeFormatISO8601 {
		t.Errorf("defaults: settlement currency %q, request-time format %q; want USD and iso8601", o.settlementCcy, o.faults.RequestTimeFormat)
	}
	o, err = parseFlags([]string{"-settlement-currency", "sgd", "-request-time-format", "millis"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if o.settlementCcy != "SGD" || o.faults.RequestTimeFormat != sim.TimeFormatMillis {
		t.Errorf("got settlement currency %q, request-time format %q; want SGD and millis", o.settlementCcy, o.faults.RequestTimeFormat)
	}
}
