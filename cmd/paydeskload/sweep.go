package main

// The sender sweep (-senders 1,4,16,32,64): the ingest load again at each
// number of concurrent senders, for -sweep-duration each, continuing in
// the sending order (so the first steps send first deliveries and later
// ones mostly redeliveries, and the report says how many of each). For
// each step: rate, latency, the server's CPU per notification and, with
// -server process, the load generator's own, and the server's peak
// resident memory.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// parseSenders reads "1,4,16,32,64".
func parseSenders(v string) ([]int, error) {
	if v == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("-senders: %q is not a number of senders from 1 to 4096", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// ingestLoad is fireNotifications with the CPU it cost: pids are the
// servers' processes ("self" in-process; none when unknown).
func ingestLoad(ctx context.Context, client *http.Client, bases []string, clientID string, pids []string, notes []notification, cur *sendCursor, concurrency int, d time.Duration) ingestResult {
	inProcess := slices.Contains(pids, "self")
	server := func() time.Duration {
		c, _ := pidsCPU(pids)
		return c
	}
	s0, l0 := server(), selfCPU()
	r := fireNotifications(ctx, client, bases, clientID, notes, cur, concurrency, d)
	r.serverCPU, r.loadCPU = server()-s0, selfCPU()-l0
	r.cpuSplit = len(pids) > 0 && !inProcess
	if inProcess {
		r.loadCPU = 0 // not separable in one process
	}
	return r
}

// sweepStep is one step of the sweep.
type sweepStep struct {
	senders int
	res     ingestResult
	rss     int64
	load    string
}

// cpuColumns says what the CPU columns of an ingest row hold.
func cpuColumns(r ingestResult) (server, loadgen string) {
	us := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }
	switch {
	case r.serverCPU == 0 && !r.cpuSplit:
		return "?", us(r.cpuPer(r.loadCPU))
	case r.cpuSplit:
		return us(r.cpuPer(r.serverCPU)), us(r.cpuPer(r.loadCPU))
	}
	return us(r.cpuPer(r.serverCPU)) + " (with load generator)", "in process"
}

// printSweep writes the sweep as a table.
func printSweep(w io.Writer, steps []sweepStep, baseline float64) {
	if len(steps) == 0 {
		return
	}
	fmt.Fprintf(w, "\nsender sweep (each step continues the sending order; first = first deliveries, the rest are redeliveries):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "senders\trate\tx baseline\tp50 / p99 / max ms (client)\tserver CPU/notif.\tload gen. CPU/notif.\tfirst\tserver RSS peak\tfailed\tload avg")
	for _, s := range steps {
		srv, lg := cpuColumns(s.res)
		rss := "?"
		if s.rss > 0 {
			rss = mib(s.rss)
		}
		first := 0.0
		if s.res.sent > 0 {
			first = 100 * float64(s.res.first) / float64(s.res.sent)
		}
		fmt.Fprintf(tw, "%d\t%.0f/s\t%.2fx\t%s\t%s\t%s\t%.0f%%\t%s\t%d\t%s\n", s.senders, s.res.rate(), s.res.rate()/baseline,
			s.res.latency.p50p99max(), srv, lg, first, rss, s.res.failed, s.load)
	}
	tw.Flush()
}
