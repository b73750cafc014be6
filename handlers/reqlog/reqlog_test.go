package reqlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := WrapLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	if WrapLogger(log) != log {
		t.Errorf("wrapping twice made a new logger")
	}
	ctx := WithRequestID(context.Background(), "abc123")
	log.InfoContext(ctx, "in a request")
	log.With("component", "x").InfoContext(ctx, "derived logger")
	log.Info("outside a request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	for _, l := range lines[:2] {
		if strings.Count(l, "request_id=abc123") != 1 {
			t.Errorf("line %q lacks request_id=abc123 exactly once", l)
		}
	}
	if !strings.Contains(lines[1], "component=x") {
		t.Errorf("derived logger lost its attributes: %q", lines[1])
	}
	if strings.Contains(lines[2], "request_id") {
		t.Errorf("a line outside a request has a request ID: %q", lines[2])
	}
	if RequestID(context.Background()) != "" {
		t.Errorf("RequestID of a bare context is not empty")
	}
}
