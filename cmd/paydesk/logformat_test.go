package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestLogFormat: JSON by default when stderr is not a terminal (a buffer,
// a pipe, a file), text or JSON when configured, anything else refused.
func TestLogFormat(t *testing.T) {
	for _, tc := range []struct {
		format string
		json   bool
	}{{"", true}, {"json", true}, {"text", false}} {
		var buf bytes.Buffer
		cfg := defaultConfig()
		cfg.LogFormat = tc.format
		newLogger(cfg, &buf).Info("hello", "k", "v")
		line := strings.TrimSpace(buf.String())
		var m map[string]any
		isJSON := json.Unmarshal([]byte(line), &m) == nil
		if isJSON != tc.json {
			t.Errorf("PAYDESK_LOG_FORMAT=%q: %q, JSON %v, want %v", tc.format, line, isJSON, tc.json)
		}
		if !tc.json && !strings.Contains(line, `msg=hello k=v`) {
			t.Errorf("text log line %q", line)
		}
	}
	cfg := defaultConfig()
	cfg.LogFormat = "xml"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "PAYDESK_LOG_FORMAT") {
		t.Errorf("PAYDESK_LOG_FORMAT=xml: %v, want an error naming it", err)
	}
	cfg.LogFormat = "text"
	cfg.MetricsToken = "short"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "PAYDESK_METRICS_TOKEN") {
		t.Errorf("a 5-character metrics token: %v, want an error naming it", err)
	}
}
