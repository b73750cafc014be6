package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestParseSenders(t *testing.T) {
	got, err := parseSenders("1, 4,16,32,64")
	if err != nil || len(got) != 5 || got[0] != 1 || got[4] != 64 {
		t.Errorf("parseSenders: %v, %v", got, err)
	}
	for _, bad := range []string{"0", "1,,2", "x", "-3", "5000"} {
		if _, err := parseSenders(bad); err == nil {
			t.Errorf("parseSenders(%q): no error", bad)
		}
	}
	if got, err := parseSenders(""); err != nil || got != nil {
		t.Errorf("parseSenders(\"\"): %v, %v", got, err)
	}
}

// The sweep runs a step per sender count, continuing the sending order,
// and reports each with its CPU (in-process: the load generator's
// included, and said so).
func TestSweepRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Paydesk and loads it")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-payments", "200", "-open", "20", "-concurrency", "2",
		"-duration", "200ms", "-baseline", "100ms", "-searches", "5", "-part-searches", "2", "-polls", "5", "-list-rounds", "1",
		"-senders", "1,3", "-sweep-duration", "200ms", "-data-dir", t.TempDir()}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	report := out.String()
	i := strings.Index(report, "sender sweep")
	if i < 0 {
		t.Fatalf("no sender sweep in the report:\n%s", report)
	}
	sweep := report[i:]
	for _, want := range []string{"\n1 ", "\n3 ", "(with load generator)"} {
		if !strings.Contains(sweep, want) {
			t.Errorf("sweep has no %q:\n%s", want, sweep)
		}
	}
	if !strings.Contains(report, "CPU per acknowledged notification") {
		t.Errorf("no CPU row:\n%s", report)
	}
	if strings.Contains(report, "first ingest error") {
		t.Errorf("errors in the run:\n%s", report)
	}
}
