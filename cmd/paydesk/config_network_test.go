package main

import (
	"io"
	"strings"
	"testing"
)

// PAYDESK_TRUSTED_PROXIES and PAYDESK_OPS_CONCURRENCY: parsed, validated,
// empty by default.
func TestProxyAndConcurrencySettings(t *testing.T) {
	for _, tc := range []struct {
		env           map[string]string
		proxies       []string
		concurrency   int
		wantErrorWith string
	}{
		{env: nil},
		{env: map[string]string{"PAYDESK_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 2001:db8::/32", "PAYDESK_OPS_CONCURRENCY": "16"},
			proxies: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, concurrency: 16},
		{env: map[string]string{"PAYDESK_TRUSTED_PROXIES": "10.0.0.0/33"}, wantErrorWith: "PAYDESK_TRUSTED_PROXIES"},
		{env: map[string]string{"PAYDESK_TRUSTED_PROXIES": "proxy.internal"}, wantErrorWith: "PAYDESK_TRUSTED_PROXIES"},
		{env: map[string]string{"PAYDESK_OPS_CONCURRENCY": "0"}, wantErrorWith: "PAYDESK_OPS_CONCURRENCY"},
		{env: map[string]string{"PAYDESK_OPS_CONCURRENCY": "many"}, wantErrorWith: "PAYDESK_OPS_CONCURRENCY"},
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
			t.Fatalf("%v: %v", tc.env, err)
		}
		nets, _ := cfg.trustedProxies()
		var got []string
		for _, n := range nets {
			got = append(got, n.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.proxies, " ") || cfg.concurrency() != tc.concurrency {
			t.Errorf("%v: proxies %v concurrency %d, want %v %d", tc.env, got, cfg.concurrency(), tc.proxies, tc.concurrency)
		}
	}
}

// PAYDESK_DB_READERS: the reader pool of each process, 1 to 256.
func TestDBReadersSetting(t *testing.T) {
	for env, want := range map[string]int{"": 0, "12": 12} {
		cfg, _, err := loadConfig("t", nil, envOf(map[string]string{"PAYDESK_DB_READERS": env}), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err != nil || cfg.readers() != want {
			t.Errorf("PAYDESK_DB_READERS=%q: readers %d, %v; want %d", env, cfg.readers(), err, want)
		}
	}
	for _, bad := range []string{"0", "-1", "many", "257"} {
		cfg, _, err := loadConfig("t", nil, envOf(map[string]string{"PAYDESK_DB_READERS": bad}), io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "PAYDESK_DB_READERS") {
			t.Errorf("PAYDESK_DB_READERS=%q: %v, want an error naming it", bad, err)
		}
	}
}
