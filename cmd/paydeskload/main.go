// Command paydeskload measures Paydesk against the targets of DESIGN.md
// ("Targets"), each against a baseline taken in the same run:
//
//   - the baseline: raw durable single-row commits per second on a scratch
//     SQLite file in the data directory's filesystem, with the store's
//     pragmas (WAL, synchronous=FULL), one connection, one after the other;
//   - webhook ingest: signed PAYMENT_RESULT and CAPTURE_RESULT
//     notifications from -concurrency senders for -duration, against ≥ 2×
//     the baseline with p99 ≤ 25 ms;
//   - search by any ID (p99 ≤ 2 ms server time, the detail page an exact
//     hit redirects to included; searches by part of an ID, each kind
//     against the same target), every combination of the payments list's
//     filter form at three depths (≤ 10 ms), unchanged live polls
//     (≤ 100 µs CPU), resident memory under load (≤ 100 MB) and start-up
//     (≤ 1 s), through HTTP with a signed-in staff session.
//
// By default it starts Paydesk in this process on a temporary data
// directory (the embedded setup of cmd/paydesk), seeds -payments payments
// with store.SeedFixture, restarts it (the start-up figure is that restart)
// and runs the phases above. With -url it targets a running Paydesk
// instead: -antom-key signs the notifications (the simulator's private key,
// <data>/keys/simulator_private.pem in the embedded setup), -email and
// -password sign in (start it with PAYDESK_SERVER_TIMING=on for server
// times), -data-dir is that server's data directory (seeded
// directly, so seed before traffic), -pid its process for memory and CPU.
//
// With -database-url the same run goes against PostgreSQL: Paydesk's
// tables, the seeded fixture and the baseline's scratch table live in a
// private schema of that database (dropped at the end), and the baseline is
// the server's own single-row durable commit rate (autocommit INSERTs on
// one connection; its synchronous_commit and fsync are reported).
// -replicas N starts N servers on that one database and sends the requests
// to each in turn. After the load every open payment is read back and
// checked against the notifications acknowledged for it.
//
// Server times come from the Server-Timing header, which the in-process
// server sends; a server that does not is timed from the client side, and
// the report says so. Memory in-process includes the load generator's own.
//
//	go run ./cmd/paydeskload -payments 1000000 -duration 20s
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"paydesk/store"
	"paydesk/web/app"
)

// The design targets.
const (
	targetIngestRatio = 2.0
	targetIngestP99   = 25 * time.Millisecond
	targetSearchP99   = 2 * time.Millisecond
	targetListPage    = 10 * time.Millisecond
	targetPollCPU     = 100 * time.Microsecond
	targetRSS         = 100 << 20
	targetStartup     = time.Second
)

type options struct {
	payments, open, concurrency int
	duration, baseline          time.Duration
	searches, polls, listRounds int
	partSearches                int
	url, antomKey, clientID     string
	email, password             string
	dataDir                     string
	pid                         int
	jobs, keep                  bool
	cpuProfile                  string
	server                      string        // "in-process" or "process"
	child                       bool          // this process is the -server process child
	databaseURL                 string        // -database-url: PostgreSQL instead of SQLite
	replicas                    int           // Paydesk servers on the one database
	pgURL                       string        // -database-url with the run's private schema first on search_path
	senders                     []int         // -senders: the sweep's sender counts
	sweepDuration               time.Duration // each sweep step
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "paydeskload:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("paydeskload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.payments, "payments", 10000, "payments to seed")
	fs.IntVar(&o.open, "open", 0, "of which open sessions that notifications apply to (default min(payments/4, 4000)); each costs two RSA signatures up front")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent notification senders")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send notifications")
	fs.DurationVar(&o.baseline, "baseline", 2*time.Second, "how long to measure the raw commit rate (before and after the ingest)")
	fs.IntVar(&o.searches, "searches", 2000, "searches by ID")
	fs.IntVar(&o.partSearches, "part-searches", 300, "searches by part of an ID, per mode (typed loosely, prefix, fragment, card last four)")
	fs.IntVar(&o.polls, "polls", 2000, "unchanged live polls")
	fs.IntVar(&o.listRounds, "list-rounds", 30, "requests for each of the 20 slowest list cases after one of every filter combination")
	fs.StringVar(&o.url, "url", "", "base URL of a running Paydesk (default: start one in this process)")
	fs.StringVar(&o.antomKey, "antom-key", "", "with -url: the private key notifications are signed with (PEM or base64)")
	fs.StringVar(&o.clientID, "client-id", simClientID, "with -url: the client-id header of notifications")
	fs.StringVar(&o.email, "email", "load@localhost", "staff email to sign in with (created in-process)")
	fs.StringVar(&o.password, "password", "", "with -url: staff password (in-process: generated)")
	fs.StringVar(&o.dataDir, "data-dir", "", "in-process: where to make the temporary data directory (default the system temp dir); with -url: the server's data directory, to seed")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process ID, for memory and CPU")
	fs.BoolVar(&o.jobs, "jobs", true, "run the inquiry poller, the session sweeper and the SDK flag checks, as cmd/paydesk does")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary data directory (and with -database-url the private schema)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the ingest phase to this file (-server in-process)")
	fs.StringVar(&o.server, "server", "in-process", "where Paydesk runs without -url: in-process, or process (a child process: its memory and CPU without the load generator's)")
	fs.BoolVar(&o.child, "child", false, "internal: serve as the -server process child")
	fs.StringVar(&o.databaseURL, "database-url", "", "run Paydesk on this PostgreSQL database (postgres://…) instead of SQLite in the temporary data directory; everything goes into a private schema, dropped at the end")
	fs.IntVar(&o.replicas, "replicas", 1, "with -database-url: Paydesk servers on the one database, requests spread over them round-robin")
	senders := fs.String("senders", "", "after the ingest, sweep these numbers of senders (e.g. 1,4,16,32,64): rate, p99, CPU and memory at each")
	fs.DurationVar(&o.sweepDuration, "sweep-duration", 5*time.Second, "how long each -senders step sends")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.senders, err = parseSenders(*senders); err != nil {
		return o, err
	}
	if o.child {
		if o.dataDir == "" {
			return o, errors.New("-child needs -data-dir")
		}
		o.pgURL = os.Getenv(childDatabaseURL)
		return o, nil
	}
	if o.open == 0 {
		o.open = min(o.payments/4, 4000)
	}
	var errs []error
	if o.payments < 100 {
		errs = append(errs, errors.New("-payments must be at least 100"))
	}
	if o.open < 1 || o.open > o.payments/2 {
		errs = append(errs, errors.New("-open must be between 1 and half of -payments"))
	}
	if o.concurrency < 1 || o.duration <= 0 || o.sweepDuration <= 0 || o.baseline <= 0 || o.searches < 1 || o.polls < 1 || o.listRounds < 1 || o.partSearches < 1 {
		errs = append(errs, errors.New("-concurrency, -duration, -baseline, -searches, -part-searches, -polls and -list-rounds must be positive"))
	}
	if o.url != "" {
		if o.antomKey == "" || o.password == "" || o.dataDir == "" {
			errs = append(errs, errors.New("-url needs -antom-key, -password and -data-dir (the server's, to seed)"))
		}
	} else if o.pid != 0 || o.antomKey != "" {
		errs = append(errs, errors.New("-pid and -antom-key go with -url"))
	}
	switch {
	case o.replicas < 1:
		errs = append(errs, errors.New("-replicas must be at least 1"))
	case o.replicas > 1 && o.databaseURL == "":
		errs = append(errs, errors.New("-replicas above 1 needs -database-url (SQLite has one writer process)"))
	case o.databaseURL != "" && o.url != "":
		errs = append(errs, errors.New("-database-url starts its own servers: not with -url"))
	case o.databaseURL != "" && !strings.HasPrefix(o.databaseURL, "postgres://") && !strings.HasPrefix(o.databaseURL, "postgresql://"):
		errs = append(errs, errors.New("-database-url: want a postgres:// or postgresql:// URL"))
	}
	switch {
	case o.server != "in-process" && o.server != "process":
		errs = append(errs, fmt.Errorf("-server %q: want in-process or process", o.server))
	case o.cpuProfile != "" && (o.server != "in-process" || o.url != ""):
		errs = append(errs, errors.New("-cpuprofile needs the in-process server"))
	}
	return o, errors.Join(errs...)
}

// report is everything measured, printed as one table.
type report struct {
	o                     options
	mode, fs              string
	coldStart, warmStart  time.Duration
	seedTime, signTime    time.Duration
	baseBefore, baseAfter float64
	ingest                ingestResult
	unique                int
	search                searchResult
	parts                 partResult
	list                  listResult
	poll                  pollResult
	rssIngest, rssBrowse  int64
	rssBeforeLogin        int64
	rssLogin              int64
	hwm                   int64
	hwmReset              bool
	rssReplica            int64  // child processes: the largest one server's peak
	pgServer              string // -database-url: the server and its commit settings
	ledger                ledgerResult
	commits               string // the servers' group commit during the ingest
	searchCommits         string // the servers' commits during the searches
	pageCache             string // the database file in the OS page cache
	cpu                   cpuShare
	serverTimed           bool
	loadBefore, loadAfter string
	loadIngest            string // the load average just after the ingest
	sweep                 []sweepStep
	profile               string
	passed, failed        int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := runReport(ctx, args, stdout, stderr)
	if err != nil || r == nil {
		return err
	}
	r.print(stdout)
	return nil
}

// runReport runs the load and returns what it measured (nil with -h and
// in the -child).
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) (_ *report, err error) {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if o.child {
		return nil, runChild(ctx, o, stdout)
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "paydeskload: "+format+"\n", a...) }
	r := &report{o: o, loadBefore: loadAverage()}
	var schema *pgSchema
	httpClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * o.concurrency, MaxIdleConnsPerHost: 2 * o.concurrency, DisableCompression: true,
	}}
	if o.databaseURL != "" {
		if r.pgServer, err = pgServer(ctx, o.databaseURL); err != nil {
			return nil, err
		}
		var err error
		if schema, err = createSchema(ctx, o.databaseURL); err != nil {
			return nil, err
		}
		if o.keep {
			progress("PostgreSQL: private schema %s, kept (-keep)", schema.name)
			defer schema.db.Close()
		} else {
			progress("PostgreSQL: private schema %s (dropped at the end)", schema.name)
			defer func() {
				if derr := schema.drop(); derr != nil {
					err = errors.Join(err, derr)
				}
			}()
		}
		o.pgURL = schema.url
		r.o = o
	}
	var t *target
	switch {
	case o.url != "":
		t, err = setupExternal(ctx, o, r, httpClient, progress)
	default:
		var root string
		if root, err = os.MkdirTemp(o.dataDir, "paydeskload-"); err != nil {
			return nil, err
		}
		if o.keep {
			progress("data directory %s kept", root)
		} else {
			defer os.RemoveAll(root)
		}
		if o.password == "" {
			b := make([]byte, 12)
			rand.Read(b)
			o.password = hex.EncodeToString(b)
			r.o = o
		}
		t, err = setupLocal(ctx, o, r, root, httpClient, progress, stderr)
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := t.stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping Paydesk: %w", serr)
		}
	}()
	bases, dataDir, pids, signKey, fixture, handler, clientID := t.bases, t.dataDir, t.pids, t.signKey, t.fixture, t.handler, t.clientID
	if o.pgURL != "" {
		r.fs = r.pgServer
	} else {
		r.fs = fsType(dataDir)
	}
	// The baseline's rows hold a notification's body, as a delivery row does.
	baseline := func(body []byte) (float64, error) {
		if o.pgURL != "" {
			return pgBaselineRate(ctx, o.pgURL, o.baseline, body)
		}
		return baselineRate(ctx, dataDir, o.baseline, body)
	}

	var sampler *rssSampler
	if len(pids) > 0 {
		sampler = startRSSSampler(pids, 50*time.Millisecond)
		defer sampler.close()
	}

	progress("signing in as %s", o.email)
	if sampler != nil {
		r.rssBeforeLogin, _ = sampler.now()
		sampler.setPhase("login")
	}
	staff, err := login(ctx, bases, o.email, o.password)
	if err != nil {
		return nil, err
	}
	if sampler != nil {
		// The password hash (argon2id) takes tens of MB; an idle Go runtime
		// keeps them until its next collection, which the load soon brings.
		// The load phases are measured after a warm-up for that reason.
		time.Sleep(300 * time.Millisecond)
		sampler.setPhase("")
		r.rssLogin = sampler.peakOf("login")
	}

	open := make([]store.FixturePayment, 0, o.open)
	for i := o.payments - o.open; i < o.payments; i++ {
		open = append(open, fixture.Payment(i))
	}
	progress("signing %d notifications", 2*len(open))
	t0 := time.Now()
	notes, err := signNotifications(signKey, clientID, open)
	if err != nil {
		return nil, err
	}
	r.signTime, r.unique = time.Since(t0), len(notes)
	body := notes[0].body

	progress("baseline: raw durable commits for %s", o.baseline)
	if r.baseBefore, err = baseline(body); err != nil {
		return nil, err
	}

	// The servers' group commit during the ingest (not for -url: its
	// /metrics may want a token).
	var commitsBefore commitStats
	commitsErr := errors.New("not read from a server started elsewhere")
	if o.url == "" {
		commitsBefore, commitsErr = scrapeCommits(ctx, httpClient, bases)
	}
	// CPU during the ingest: this process (the load generator, and the
	// servers when in-process), the server processes, the run's
	// PostgreSQL backends.
	cpuSelf0 := selfCPU()
	cpuServers0, cpuServersErr := pidsCPU(pids)
	var cpuPG0 time.Duration
	cpuPGOK := false
	if schema != nil {
		cpuPG0, cpuPGOK = schema.backendCPU(ctx)
	}
	progress("ingest: %d senders for %s over %d server(s)", o.concurrency, o.duration, len(bases))
	var cursor sendCursor
	warmedUp := func() {}
	if sampler != nil {
		warmed := make(chan struct{})
		warm := time.AfterFunc(min(time.Second, o.duration/4), func() {
			r.hwmReset = sampler.resetPeak()
			sampler.setPhase("ingest")
			close(warmed)
		})
		warmedUp = func() {
			if !warm.Stop() {
				<-warmed
			}
		}
	}
	if o.cpuProfile != "" && o.url == "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		r.profile = o.cpuProfile
		r.ingest = ingestLoad(ctx, httpClient, bases, clientID, pids, notes, &cursor, o.concurrency, o.duration)
		pprof.StopCPUProfile()
		f.Close()
	} else {
		r.ingest = ingestLoad(ctx, httpClient, bases, clientID, pids, notes, &cursor, o.concurrency, o.duration)
	}
	r.loadIngest = loadAverage()
	warmedUp()
	if sampler != nil {
		sampler.setPhase("")
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	r.cpu = cpuShare{self: selfCPU() - cpuSelf0, acked: r.ingest.ok, elapsed: r.ingest.elapsed}
	if c, err := pidsCPU(pids); err == nil && cpuServersErr == nil && !slices.Contains(pids, "self") {
		r.cpu.servers = c - cpuServers0
	}
	if cpuPGOK {
		if c, ok := schema.backendCPU(ctx); ok {
			r.cpu.pg, r.cpu.pgOK = c-cpuPG0, true
		}
	}
	if commitsErr == nil {
		after, err := scrapeCommits(ctx, httpClient, bases)
		if err != nil {
			return nil, err
		}
		r.commits = after.sub(commitsBefore).describe(r.ingest.elapsed)
	} else {
		r.commits = commitsErr.Error()
	}

	for _, n := range o.senders {
		progress("sweep: %d senders for %s", n, o.sweepDuration)
		phase := "sweep-" + strconv.Itoa(n)
		if sampler != nil {
			sampler.setPhase(phase)
		}
		res := ingestLoad(ctx, httpClient, bases, clientID, pids, notes, &cursor, n, o.sweepDuration)
		step := sweepStep{senders: n, res: res, load: loadAverage()}
		if sampler != nil {
			sampler.setPhase("")
			step.rss = sampler.peakOf(phase)
		}
		r.sweep = append(r.sweep, step)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}

	progress("baseline again")
	if r.baseAfter, err = baseline(body); err != nil {
		return nil, err
	}

	if sampler != nil {
		sampler.setPhase("browse")
	}
	// Commits while the searches run (the search indexer catching up with
	// the ingest's keys and merging): each makes every reader connection's
	// page cache start over, so the searches read more from the OS.
	searchCommits0, searchCommitsErr := commitsBefore, commitsErr
	if o.url == "" {
		searchCommits0, searchCommitsErr = scrapeCommits(ctx, httpClient, bases)
	}
	searchStart := time.Now()
	if o.pgURL == "" && dataDir != "" {
		// How much of the database the searches can read from memory.
		if cached, size, err := pageCacheShare(filepath.Join(dataDir, store.DBFile)); err == nil && size > 0 {
			r.pageCache = fmt.Sprintf("%s of %s (%.0f%%) when the searches began", mib(cached), mib(size), 100*float64(cached)/float64(size))
		}
	}
	progress("search by ID: %d searches", o.searches)
	if r.search, err = searchByID(ctx, staff, fixture, o.searches); err != nil {
		return nil, err
	}
	progress("search by part of an ID: %d modes x %d", len(partModes), o.partSearches)
	if r.parts, err = searchByPart(ctx, staff, fixture, o.partSearches); err != nil {
		return nil, err
	}
	if searchCommitsErr == nil {
		if after, err := scrapeCommits(ctx, httpClient, bases); err == nil {
			r.searchCommits = fmt.Sprintf("%d commits in %s", after.commits-searchCommits0.commits, time.Since(searchStart).Round(time.Second/10))
		}
	}
	opts, err := filterOptions(ctx, staff)
	if err != nil {
		return nil, err
	}
	cases := listCases(fixture, opts)
	progress("list pages: every filter combination the form offers (%d statuses x %d currencies x %d capture states x attention x dates) at 3 depths: %d cases once, the %d slowest %d times more",
		len(opts["status"]), len(opts["currency"]), len(opts["capture"]), len(cases), listSlowest, o.listRounds)
	if r.list, err = listPages(ctx, staff, cases, o.listRounds); err != nil {
		return nil, err
	}
	progress("live polls: %d", o.polls)
	var pollURLs []string
	if r.poll, pollURLs, err = livePolls(ctx, staff, fixture, o.polls); err != nil {
		return nil, err
	}
	if sampler != nil {
		sampler.setPhase("")
	}
	switch {
	case handler != nil:
		d, err := pollCPUInProcess(ctx, handler, staff, pollURLs, 5000)
		if err != nil {
			return nil, err
		}
		r.poll.cpuPerDetailPoll, r.poll.cpuHow = d, "process CPU / poll, through the router"
	case len(pids) > 0:
		c0, err := pidsCPU(pids)
		if err != nil {
			return nil, err
		}
		const n = 5000
		htmx := http.Header{"Hx-Request": {"true"}, "X-Csrf-Token": {staff.csrf()}}
		for i := range n {
			if _, _, _, err := staff.get(ctx, pollURLs[i%len(pollURLs)], htmx); err != nil {
				return nil, err
			}
		}
		c1, err := pidsCPU(pids)
		if err != nil {
			return nil, err
		}
		how := "server process CPU / poll, over HTTP"
		if len(pids) > 1 {
			how = "the server processes' CPU / poll, over HTTP"
		}
		r.poll.cpuPerDetailPoll, r.poll.cpuHow = (c1-c0)/n, how
	}
	r.serverTimed = staff.serverTimed
	if sampler != nil {
		r.rssIngest, r.rssBrowse = sampler.peakOf("ingest"), sampler.peakOf("browse")
		r.rssReplica = max(sampler.replicaPeakOf("ingest"), sampler.replicaPeakOf("browse"))
		r.hwm = sampler.hwm()
	}
	progress("ledger check: %d open payments", len(open))
	if r.ledger, err = t.checkLedger(ctx, open, notes, r.ingest.acked); err != nil {
		return nil, err
	}
	r.loadAfter = loadAverage()
	return r, nil
}

// print writes the report as a compact table.
func (r *report) print(w io.Writer) {
	o := r.o
	fmt.Fprintf(w, "\nPaydesk load test: %s\n", machine())
	fmt.Fprintf(w, "%s, data on %s; %d payments (%d open), load average %s before, %s after\n",
		r.mode, r.fs, o.payments, o.open, r.loadBefore, r.loadAfter)
	if o.pgURL != "" && o.replicas > 1 {
		fmt.Fprintf(w, "%d Paydesk servers on the one database, each with its own writer (one advisory lock serialises their commits); requests round-robin\n", o.replicas)
	}
	if r.seedTime > 0 {
		fmt.Fprintf(w, "setup: seeded in %s, %d notifications signed in %s\n", r.seedTime.Round(time.Millisecond), r.unique, r.signTime.Round(time.Millisecond))
	}
	timed := "server time (Server-Timing)"
	if !r.serverTimed {
		timed = "client time: the server sent no Server-Timing"
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tvalue\ttarget\tresult")
	row := func(name, value, target string, pass *bool) {
		res := ""
		if pass != nil {
			if *pass {
				res, r.passed = "PASS", r.passed+1
			} else {
				res, r.failed = "FAIL", r.failed+1
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, value, target, res)
	}
	ptr := func(b bool) *bool { return &b }

	baseline := max(r.baseBefore, r.baseAfter)
	baseName := "baseline: durable 1-row commits"
	if o.pgURL != "" {
		baseName = "baseline: 1-row autocommit INSERTs"
	}
	row(baseName, fmt.Sprintf("%.0f/s (before %.0f, after %.0f)", baseline, r.baseBefore, r.baseAfter), "the higher of the two", nil)
	ratio := r.ingest.rate() / baseline
	row(fmt.Sprintf("webhook ingest, %d senders", o.concurrency),
		fmt.Sprintf("%.0f/s = %.2fx baseline", r.ingest.rate(), ratio), fmt.Sprintf(">= %.0fx", targetIngestRatio), ptr(ratio >= targetIngestRatio && r.ingest.failed == 0))
	row("  latency p50 / p99 / max (client)", r.ingest.latency.p50p99max(), "p99 <= "+ms(targetIngestP99)+" ms", ptr(r.ingest.latency.pct(99) <= targetIngestP99))
	sent := fmt.Sprintf("%d / %d / %d (%d first deliveries, load average %s after)", r.ingest.sent, r.ingest.failed, r.unique, r.ingest.first, r.loadIngest)
	if len(r.ingest.perServer) > 1 {
		var each []string
		for _, n := range r.ingest.perServer {
			each = append(each, strconv.Itoa(n))
		}
		sent += " (acknowledged by each server: " + strings.Join(each, " / ") + ")"
	}
	row("  sent / failed / unique", sent, "failed = 0", nil)
	row("  group commit (servers' /metrics)", r.commits, "", nil)
	row("  CPU per acknowledged notification", r.cpu.describe(o), "", nil)
	row("  ledger after the load", fmt.Sprintf("%d open payments read: %d paid, %d captured as acknowledged; %d inconsistent",
		r.ledger.checked, r.ledger.paid, r.ledger.captured, r.ledger.inconsistent), "consistent", ptr(r.ledger.ok()))
	row("search by ID + detail page, p50/p99/max", r.search.withPage.p50p99max(), "p99 <= "+ms(targetSearchP99)+" ms", ptr(r.search.withPage.pct(99) <= targetSearchP99 && r.search.misses == 0))
	row("  the search answer alone", r.search.answer.p50p99max(), "", nil)
	row("  the detail page alone", r.search.detail.p50p99max(), "", nil)
	for _, m := range partModes {
		l := r.parts.perMode[m]
		name := "  search by " + m
		if m == partModes[0] {
			name = "search by part of an ID (answer), " + m
		}
		miss := ""
		if n := r.parts.misses[m]; n > 0 {
			miss = fmt.Sprintf(", %d missed", n)
		}
		// Issue 14: every kind of search, the fragment and the card's last
		// four included, against the search target (the answer is the page).
		row(name, l.p50p99max()+miss, "p99 <= "+ms(targetSearchP99)+" ms", ptr(l.pct(99) <= targetSearchP99 && r.parts.misses[m] == 0))
	}
	if r.searchCommits != "" {
		row("  writes while searching (servers' /metrics)", r.searchCommits, "", nil)
	}
	if r.pageCache != "" {
		row("  database in the OS page cache", r.pageCache, "", nil)
	}
	row("filtered list page, worst case p99 / max", ms(r.list.worstP99)+" / "+ms(r.list.worst)+" ms ("+r.list.worstCase+")", "<= "+ms(targetListPage)+" ms", ptr(r.list.worstP99 <= targetListPage))
	row("  every combination once, p50/p99/max", fmt.Sprintf("%s (%d cases, %d over %s ms; the %d slowest measured %d times more)",
		r.list.sweep.p50p99max(), r.list.cases, r.list.over, ms(targetListPage), r.list.again, r.o.listRounds), "", nil)
	row("unchanged live poll (204), detail", r.poll.detail.p50p99max(), "", nil)
	row("unchanged live poll (204), list", r.poll.list.p50p99max(), "", nil)
	if r.poll.cpuPerDetailPoll > 0 {
		row("  CPU per detail poll", fmt.Sprintf("%.0f µs (%s)", float64(r.poll.cpuPerDetailPoll)/1e3, r.poll.cpuHow),
			"<= 100 µs", ptr(r.poll.cpuPerDetailPoll <= targetPollCPU))
	}
	if r.rssIngest > 0 {
		peak := max(r.rssIngest, r.rssBrowse)
		note := ""
		switch {
		case o.url != "":
			note = ", the server's process (-pid)"
		case o.server == "in-process" && o.replicas > 1:
			note = fmt.Sprintf(", all %d servers and the load generator in one process", o.replicas)
		case o.server == "in-process":
			note = ", load generator included"
		}
		judged := peak
		if o.server == "process" && o.replicas > 1 {
			// The target is per Paydesk: judge the largest server process.
			judged = r.rssReplica
			note += fmt.Sprintf("; %d server processes together, the largest %s", o.replicas, mib(r.rssReplica))
		}
		row("resident memory, peak under load*", fmt.Sprintf("%s (ingest %s, browse %s%s)", mib(peak), mib(r.rssIngest), mib(r.rssBrowse), note),
			"<= 100 MB", ptr(judged <= targetRSS))
		if r.hwmReset {
			row("  VmHWM over the load phases", mib(r.hwm), "", nil)
		}
		row("  signing in (argon2id)", fmt.Sprintf("%s peak, from %s, until the next GC", mib(r.rssLogin), mib(r.rssBeforeLogin)), "", nil)
	}
	if r.warmStart > 0 {
		row("start-up to /healthz 200", fmt.Sprintf("%s (first run, with key generation: %s)", r.warmStart.Round(time.Millisecond), r.coldStart.Round(time.Millisecond)),
			"<= 1 s", ptr(r.warmStart <= targetStartup))
	}
	tw.Flush()
	printSweep(w, r.sweep, baseline)
	var kinds []string
	for _, k := range idKinds {
		kinds = append(kinds, k+" "+ms(r.search.perKind[k].pct(99)))
	}
	fmt.Fprintf(w, "\nsearch + page p99 by ID (ms): %s\n", strings.Join(kinds, ", "))
	fmt.Fprintf(w, "Times are %s unless marked client. *Memory: from 1 s into the ingest (a warm-up) on.\n", timed)
	fmt.Fprintf(w, "%d PASS, %d FAIL.\n", r.passed, r.failed)
	for _, p := range r.ledger.problems {
		fmt.Fprintf(w, "ledger: %s\n", p)
	}
	if r.ingest.firstError != "" {
		fmt.Fprintf(w, "first ingest error: %s\n", r.ingest.firstError)
	}
	if r.poll.not204 > 0 {
		fmt.Fprintf(w, "%d polls were not 204 (something changed meanwhile) and are left out\n", r.poll.not204)
	}
	if r.search.misses > 0 {
		fmt.Fprintf(w, "%d searches did not lead to the payment searched for\n", r.search.misses)
	}
	if r.profile != "" {
		fmt.Fprintf(w, "CPU profile of the ingest phase: %s (go tool pprof %s)\n", r.profile, r.profile)
	}
}

// target is the Paydesk under load: one server, or -replicas servers on
// one PostgreSQL database.
type target struct {
	bases   []string // each server's base URL; requests go round-robin
	dataDir string   // the (first) server's data directory
	pids    []string // for /proc: "self", or the server processes; none when unknown
	signKey *rsa.PrivateKey
	// clientID is the client-id header of notifications.
	clientID string
	fixture  *store.Fixture
	handler  http.Handler // in-process only: the first server's router, for the poll CPU
	// store is a handle on the database for the ledger check: the first
	// in-process server's, or one opened for the check (release closes it).
	store func(ctx context.Context) (st *store.Store, release func() error, err error)
	stop  func() error
}

// openStore opens the database the servers use: PostgreSQL (the run's
// schema) with -database-url, else SQLite in dataDir.
func openStore(ctx context.Context, o options, dataDir string) (*store.Store, error) {
	if o.pgURL != "" {
		return store.OpenPostgres(ctx, o.pgURL)
	}
	return store.Open(ctx, dataDir)
}

// seed writes the fixture through its own store handle.
func seed(ctx context.Context, o options, r *report, dataDir string) (*store.Fixture, error) {
	st, err := openStore(ctx, o, dataDir)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	f, err := st.SeedFixture(ctx, store.FixtureSpec{Payments: o.payments, Open: o.open})
	r.seedTime = time.Since(t0)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return f, err
}

// server is one running Paydesk of a local setup.
type server struct {
	base    string
	pid     string
	handler http.Handler // in-process only
	st      *store.Store // in-process only
	stop    func() error
}

// startServer starts one Paydesk on dataDir, in this process or in a child.
func startServer(ctx context.Context, o options, dataDir string, stderr io.Writer) (*server, error) {
	if o.server == "process" {
		c, err := startChild(o, dataDir, stderr)
		if err != nil {
			return nil, err
		}
		return &server{base: c.URL, pid: c.pid(), stop: c.stop}, nil
	}
	e, err := startEmbedded(ctx, embedConfig{dataDir: dataDir, databaseURL: o.pgURL, email: o.email, password: o.password, jobs: o.jobs})
	if err != nil {
		return nil, err
	}
	return &server{base: e.Base, pid: "self", handler: e.Web.Handler(), st: e.Store, stop: e.shutdown}, nil
}

// setupLocal starts Paydesk (first run: keys, the admin, migrations),
// stops it, seeds the database, then starts -replicas servers on the
// seeded data (the start-up figure is the first one's restart) and
// returns them. Each server has its own data directory, the first one's
// keys and session key copied in, so any of them verifies the
// notifications and the staff session cookie the others do.
func setupLocal(ctx context.Context, o options, r *report, root string, client *http.Client, progress func(string, ...any), stderr io.Writer) (*target, error) {
	r.mode = "in-process"
	if o.server == "process" {
		r.mode = "child process"
	}
	if o.replicas > 1 {
		r.mode = fmt.Sprintf("%d replicas (%s)", o.replicas, r.mode)
	}
	dirs := []string{filepath.Join(root, "data")}
	for i := 2; i <= o.replicas; i++ {
		dirs = append(dirs, filepath.Join(root, fmt.Sprintf("data-%d", i)))
	}
	progress("first start (generates keys, creates the admin)")
	t0 := time.Now()
	first, err := startServer(ctx, o, dirs[0], stderr)
	if err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, client, first.base); err != nil {
		first.stop()
		return nil, err
	}
	r.coldStart = time.Since(t0)
	if err := first.stop(); err != nil {
		return nil, err
	}
	for _, d := range dirs[1:] {
		if err := copySecrets(dirs[0], d); err != nil {
			return nil, err
		}
	}
	progress("seeding %d payments (%d open)", o.payments, o.open)
	f, err := seed(ctx, o, r, dirs[0])
	if err != nil {
		return nil, err
	}
	runtime.GC()
	debug.FreeOSMemory() // seeding is not Paydesk's work: start the measured life clean

	var servers []*server
	stopAll := func() error {
		var errs []error
		for _, s := range servers {
			errs = append(errs, s.stop())
		}
		return errors.Join(errs...)
	}
	for i, d := range dirs {
		progress("start of server %d of %d on %d payments", i+1, len(dirs), o.payments)
		t0 := time.Now()
		s, err := startServer(ctx, o, d, stderr)
		if err != nil {
			stopAll()
			return nil, err
		}
		servers = append(servers, s)
		if err := waitHealthy(ctx, client, s.base); err != nil {
			stopAll()
			return nil, err
		}
		if i == 0 {
			r.warmStart = time.Since(t0)
		}
	}
	signKey, err := simulatorKey(dirs[0])
	if err != nil {
		stopAll()
		return nil, fmt.Errorf("keys: %w", err)
	}
	t := &target{dataDir: dirs[0], signKey: signKey, clientID: simClientID, fixture: f,
		handler: servers[0].handler, stop: stopAll}
	for _, s := range servers {
		t.bases = append(t.bases, s.base)
		if !slices.Contains(t.pids, s.pid) {
			t.pids = append(t.pids, s.pid)
		}
	}
	if st := servers[0].st; st != nil {
		t.store = func(context.Context) (*store.Store, func() error, error) { return st, func() error { return nil }, nil }
	} else {
		t.store = func(ctx context.Context) (*store.Store, func() error, error) {
			st, err := openStore(ctx, o, dirs[0])
			if err != nil {
				return nil, nil, err
			}
			return st, st.Close, nil
		}
	}
	return t, nil
}

// copySecrets gives a replica's data directory the first one's keys and
// generated session key (the files cmd/paydesk keeps there).
func copySecrets(from, to string) error {
	if err := os.MkdirAll(filepath.Join(to, app.KeysDir), 0o700); err != nil {
		return err
	}
	keys, err := os.ReadDir(filepath.Join(from, app.KeysDir))
	if err != nil {
		return err
	}
	files := []string{app.SessionKeyFile}
	for _, k := range keys {
		if k.Type().IsRegular() {
			files = append(files, filepath.Join(app.KeysDir, k.Name()))
		}
	}
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(from, name))
		if errors.Is(err, fs.ErrNotExist) && name == app.SessionKeyFile {
			continue // kept elsewhere (the database) by this Paydesk
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// setupExternal targets a running Paydesk (-url) and seeds its data directory.
func setupExternal(ctx context.Context, o options, r *report, client *http.Client, progress func(string, ...any)) (*target, error) {
	r.mode = "external " + o.url
	t := &target{bases: []string{strings.TrimRight(o.url, "/")}, dataDir: o.dataDir, clientID: o.clientID, stop: func() error { return nil }}
	if o.pid != 0 {
		t.pids = []string{strconv.Itoa(o.pid)}
	}
	t.store = func(ctx context.Context) (*store.Store, func() error, error) {
		st, err := openStore(ctx, o, o.dataDir)
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	var err error
	if t.signKey, err = signKeyFile(o.antomKey); err != nil {
		return nil, fmt.Errorf("-antom-key: %w", err)
	}
	if err := waitHealthy(ctx, client, t.bases[0]); err != nil {
		return nil, err
	}
	progress("seeding %d payments (%d open) into the server's data directory", o.payments, o.open)
	if t.fixture, err = seed(ctx, o, r, t.dataDir); err != nil {
		return nil, err
	}
	return t, nil
}
