package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// latencies are sorted samples; every percentile is exact (nearest rank).
type latencies []time.Duration

func summarize(samples []time.Duration) latencies {
	l := slices.Clone(samples)
	slices.Sort(l)
	return l
}

// pct is the p-th percentile (0 < p <= 100), 0 without samples.
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	i := int(float64(len(l))*p/100+0.999999) - 1
	return l[max(0, min(i, len(l)-1))]
}

func (l latencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}

// ms formats a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// p50p99max is "p50 / p99 / max ms".
func (l latencies) p50p99max() string {
	return ms(l.pct(50)) + " / " + ms(l.pct(99)) + " / " + ms(l.max()) + " ms"
}

// ---- memory ----

// procStatus reads VmRSS and VmHWM (bytes) of a process ("self" or a pid).
func procStatus(pid string) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%s/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux:
// "5" to /proc/<pid>/clear_refs). It reports whether that worked.
func resetPeakRSS(pid string) bool {
	return os.WriteFile("/proc/"+pid+"/clear_refs", []byte("5"), 0) == nil
}

// rssSampler records the peak VmRSS per phase of the server processes
// (their sum, and the largest single one).
type rssSampler struct {
	pids        []string
	mu          sync.Mutex
	phase       string
	peak        map[string]int64 // of the sum
	replicaPeak map[string]int64 // of the largest process
	stop        chan struct{}
	done        chan struct{}
}

func startRSSSampler(pids []string, every time.Duration) *rssSampler {
	s := &rssSampler{pids: pids, peak: map[string]int64{}, replicaPeak: map[string]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// now is the processes' resident memory now: the sum and the largest.
func (s *rssSampler) now() (sum, largest int64) {
	for _, pid := range s.pids {
		rss, _, err := procStatus(pid)
		if err != nil {
			continue
		}
		sum += rss
		largest = max(largest, rss)
	}
	return sum, largest
}

func (s *rssSampler) sample() {
	sum, largest := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != "" {
		s.peak[s.phase] = max(s.peak[s.phase], sum)
		s.replicaPeak[s.phase] = max(s.replicaPeak[s.phase], largest)
	}
}

// setPhase attributes the following samples to phase ("" for none).
func (s *rssSampler) setPhase(phase string) {
	s.sample() // the end of the previous phase
	s.mu.Lock()
	s.phase = phase
	s.mu.Unlock()
	s.sample()
}

func (s *rssSampler) peakOf(phase string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak[phase]
}

func (s *rssSampler) replicaPeakOf(phase string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replicaPeak[phase]
}

// resetPeak restarts every process's VmHWM (resetPeakRSS).
func (s *rssSampler) resetPeak() bool {
	ok := true
	for _, pid := range s.pids {
		ok = resetPeakRSS(pid) && ok
	}
	return ok
}

// hwm is the sum of the processes' VmHWM.
func (s *rssSampler) hwm() int64 {
	var sum int64
	for _, pid := range s.pids {
		if _, h, err := procStatus(pid); err == nil {
			sum += h
		}
	}
	return sum
}

func (s *rssSampler) close() {
	close(s.stop)
	<-s.done
}

func mib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }

// ---- CPU ----

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidCPU is a process's user+system CPU time from /proc/<pid>/stat (in
// clock ticks of 10 ms, the Linux default USER_HZ).
func pidCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	// Fields after the command name, which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// pidsCPU is the processes' CPU time together.
func pidsCPU(pids []string) (time.Duration, error) {
	var sum time.Duration
	for _, pid := range pids {
		if pid == "self" {
			sum += selfCPU()
			continue
		}
		d, err := pidCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// ---- the machine ----

// machine describes the computer for the report, without paths or names.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	s := fmt.Sprintf("%d CPUs", runtime.NumCPU())
	if model != "" {
		s += " (" + model + ")"
	}
	return s + mem + ", " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// loadAverage is the 1-minute load average, "" if unknown.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// fsType names the filesystem holding dir (the common Linux ones).
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	switch uint64(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x01021994:
		return "tmpfs (fsync is free: the durability baseline means little)"
	case 0x794C7630:
		return "overlayfs"
	case 0x2FC12FC1:
		return "zfs"
	}
	return fmt.Sprintf("type 0x%x", uint64(st.Type))
}

// cpuShare is the CPU spent during the ingest, by whom.
type cpuShare struct {
	self    time.Duration // this process: the load generator, and in-process servers
	servers time.Duration // child server processes
	pg      time.Duration // the run's PostgreSQL backends
	pgOK    bool
	acked   int
	elapsed time.Duration
}

func (c cpuShare) describe(o options) string {
	if c.acked == 0 {
		return "nothing acknowledged"
	}
	per := func(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(c.acked)/1e3) }
	who := "this process (servers and load generator)"
	if o.server == "process" || o.url != "" {
		who = "the load generator"
	}
	s := who + " " + per(c.self)
	if c.servers > 0 {
		s += ", server processes " + per(c.servers)
	}
	if c.pgOK {
		s += ", PostgreSQL backends " + per(c.pg)
	}
	total := c.self + c.servers + c.pg
	return s + fmt.Sprintf("; %.0f%% of the %d CPUs", 100*total.Seconds()/(c.elapsed.Seconds()*float64(runtime.NumCPU())), runtime.NumCPU())
}
