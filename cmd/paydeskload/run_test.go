package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A tiny run of the whole tool against an in-process Paydesk: every phase
// must work end to end (the numbers themselves are not judged here).
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Paydesk and loads it")
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-payments", "200", "-open", "20", "-concurrency", "4",
		"-duration", "300ms", "-baseline", "100ms", "-searches", "25", "-polls", "20", "-list-rounds", "1",
		"-data-dir", t.TempDir()}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	report := out.String()
	for _, want := range []string{"webhook ingest, 4 senders", "search by ID", "search by part of an ID", "search by fragment", "filtered list page", "unchanged live poll", "CPU per detail poll", "resident memory", "start-up"} {
		if !strings.Contains(report, want) {
			t.Errorf("report has no %q line:\n%s", want, report)
		}
	}
	if strings.Contains(report, "first ingest error") || strings.Contains(report, "did not lead") || strings.Contains(report, "missed") {
		t.Errorf("errors in the run:\n%s", report)
	}
}
