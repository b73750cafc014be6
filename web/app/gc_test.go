package app

import (
	"math"
	"runtime/debug"
	"testing"
)

// The collector's defaults apply only when the operator set neither GOGC
// nor GOMEMLIMIT.
func TestDefaultGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	for _, set := range []map[string]string{{"GOGC": "50"}, {"GOMEMLIMIT": "1GiB"}} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		if DefaultGC(env(set)) {
			t.Errorf("with %v: the defaults were applied", set)
		}
		if p := debug.SetGCPercent(100); p != 100 {
			t.Errorf("with %v: GOGC changed to %d", set, p)
		}
		if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
			t.Errorf("with %v: the memory limit changed to %d", set, l)
		}
	}
	if !DefaultGC(env(nil)) {
		t.Fatal("without GOGC or GOMEMLIMIT: the defaults were not applied")
	}
	if p := debug.SetGCPercent(100); p != gcPercent {
		t.Errorf("GOGC = %d, want %d", p, gcPercent)
	}
	if l := debug.SetMemoryLimit(-1); l != gcMemoryLimit {
		t.Errorf("memory limit = %d, want %d", l, gcMemoryLimit)
	}
}
