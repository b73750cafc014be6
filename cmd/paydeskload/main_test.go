package main

import (
	"testing"
	"time"
)

// The sending order holds every notification once, each payment's capture
// result after its payment result.
func TestSlotIsAnOrder(t *testing.T) {
	for _, n := range []int{1, 5, captureLag, captureLag + 1, 3*captureLag + 17} {
		seen := make([]bool, 2*n)
		for i := 0; i < n; i++ {
			p, c := slot(i, 0, n), slot(i, 1, n)
			if p < 0 || c >= 2*n || seen[p] || seen[c] {
				t.Fatalf("n=%d: payment %d gets slots %d and %d: out of range or taken", n, i, p, c)
			}
			seen[p], seen[c] = true, true
			if c <= p {
				t.Errorf("n=%d: payment %d: capture at %d, not after its payment result at %d", n, i, c, p)
			}
		}
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	l := summarize(d)
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.5, time.Millisecond}} {
		if got := l.pct(tc.p); got != tc.want {
			t.Errorf("p%v: got %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := (latencies{}).pct(99); got != 0 {
		t.Errorf("p99 of nothing: got %v, want 0", got)
	}
}

func TestServerTime(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"app;dur=1.250", 1250 * time.Microsecond, true},
		{"db;dur=3, app;desc=\"x\";dur=0.5", 500 * time.Microsecond, true},
		{"", 0, false},
		{"db;dur=3", 0, false},
	} {
		got, ok := serverTime(tc.header)
		if got != tc.want || ok != tc.ok {
			t.Errorf("serverTime(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProcStatus(t *testing.T) {
	rss, hwm, err := procStatus("self")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d, VmHWM %d: want 0 < RSS <= HWM", rss, hwm)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-payments", "1000000", "-open", "20000"}, true},
		{[]string{"-payments", "10"}, false},
		{[]string{"-open", "9000"}, false}, // more than half of 10000
		{[]string{"-url", "http://127.0.0.1:8080"}, false},
		{[]string{"-server", "vm"}, false},
		{[]string{"-server", "process", "-cpuprofile", "x"}, false},
		{[]string{"-database-url", "postgres://127.0.0.1/x", "-replicas", "3"}, true},
		{[]string{"-replicas", "2"}, false}, // SQLite: one writer process
		{[]string{"-database-url", "postgres://127.0.0.1/x", "-replicas", "0"}, false},
		{[]string{"-database-url", "mysql://127.0.0.1/x"}, false},
		{[]string{"-database-url", "postgres://127.0.0.1/x", "-url", "http://127.0.0.1:8080", "-antom-key", "k", "-password", "p", "-data-dir", "d"}, false},
	} {
		_, err := parseFlags(tc.args, discard{})
		if (err == nil) != tc.ok {
			t.Errorf("parseFlags(%q): error %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
