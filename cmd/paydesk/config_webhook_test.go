package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// The refused-delivery retention and the request-time window: days or Go
// durations, validated, and off by default for the window.
func TestWebhookSettings(t *testing.T) {
	for _, tc := range []struct {
		env           map[string]string
		retention     time.Duration
		skew          time.Duration
		wantErrorWith string
	}{
		{env: nil},
		{env: map[string]string{"PAYDESK_REFUSED_DELIVERY_RETENTION": "30d", "PAYDESK_NOTIFY_MAX_SKEW": "15m"},
			retention: 30 * 24 * time.Hour, skew: 15 * time.Minute},
		{env: map[string]string{"PAYDESK_REFUSED_DELIVERY_RETENTION": "36h", "PAYDESK_NOTIFY_MAX_SKEW": "off"}, retention: 36 * time.Hour},
		{env: map[string]string{"PAYDESK_REFUSED_DELIVERY_RETENTION": "7 days"}, wantErrorWith: "PAYDESK_REFUSED_DELIVERY_RETENTION"},
		{env: map[string]string{"PAYDESK_REFUSED_DELIVERY_RETENTION": "0"}, wantErrorWith: "PAYDESK_REFUSED_DELIVERY_RETENTION"},
		{env: map[string]string{"PAYDESK_NOTIFY_MAX_SKEW": "-5m"}, wantErrorWith: "PAYDESK_NOTIFY_MAX_SKEW"},
		{env: map[string]string{"PAYDESK_NOTIFY_MAX_SKEW": "soon"}, wantErrorWith: "PAYDESK_NOTIFY_MAX_SKEW"},
	} {
		cfg, _, err := loadConfig("t", nil, envOf(tc.env), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cfg.validate()
		if tc.wantErrorWith != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrorWith) {
				t.Errorf("%v: got %v, want an error naming %s", tc.env, err, tc.wantErrorWith)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
		}
		if got := cfg.days(cfg.RefusedRetention); got != tc.retention {
			t.Errorf("%v: retention %v, want %v", tc.env, got, tc.retention)
		}
		if got := cfg.days(cfg.NotifyMaxSkew); got != tc.skew {
			t.Errorf("%v: skew %v, want %v", tc.env, got, tc.skew)
		}
	}
	cfg, _, err := loadConfig("t", []string{"-notify-max-skew", "2m"}, envOf(nil), io.Discard, nil)
	if err != nil || cfg.days(cfg.NotifyMaxSkew) != 2*time.Minute {
		t.Errorf("flag -notify-max-skew: %q, %v", cfg.NotifyMaxSkew, err)
	}
}
