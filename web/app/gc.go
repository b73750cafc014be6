package app

import (
	"runtime/debug"
)

// The collector's defaults for a Paydesk process, unless the operator set
// GOGC or GOMEMLIMIT (which then rule alone, as Go documents them).
//
// Paydesk's live heap is small (7–9 MB with the load tool in the same
// process, at 10,000 and 1,000,000 payments: the search statistics, caches,
// requests in flight); its memory is mostly SQLite's page caches, outside
// the Go heap. With Go's default GOGC=100 the heap goal is twice that small
// live heap, so while staff browse, the collector ran every 20–30 ms, and
// a page that met a cycle took 2–3 times as long: the p99 of searches was
// the collector's (issue 14; the load tool measured card-last-four
// searches at 2.0–2.5 ms p99 with it, 1.0–1.6 ms with this). GOGC=400
// collects at five times the live heap, and the soft limit keeps the Go
// side of the process near gcMemoryLimit: the runtime collects sooner, and
// returns freed memory to the system, as it nears it. The whole process,
// load generator included, measured 81–86 MiB resident at peak with
// these at 10,000 and 1,000,000 payments, 84–88 MiB at 10,000 with Go's
// defaults. A live heap above the limit is not refused: the runtime then
// collects more often, spending at most half the CPU on it.
const (
	gcPercent     = 400
	gcMemoryLimit = 48 << 20
)

// DefaultGC applies the defaults above unless getenv shows GOGC or
// GOMEMLIMIT set, and reports whether it did.
func DefaultGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(gcMemoryLimit)
	return true
}
