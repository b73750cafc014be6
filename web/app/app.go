// Package app is the assembly of the whole Paydesk program: the store (on
// the data directory, or PostgreSQL), the first admin, the Antom client (real Antom, a
// simulator started elsewhere, or the embedded simulator it starts), the
// handlers with their operations layer, the web server and its background
// jobs. cmd/paydesk, cmd/paydeskload and the tests that run the whole
// stack build it with Start, so there is one start-up order to keep right.
package app

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/views/paths"
	"paydesk/web"
	"paydesk/web/metrics"
)

// SandboxClientID is the embedded simulator's merchant client ID.
const SandboxClientID = "SANDBOX_PAYDESK"

// Config is what Start builds Paydesk from. Zero fields take defaults: a
// Config with only DataDir is Paydesk on a free loopback port with the
// embedded simulator, keys made on first run, no first admin and no
// background jobs.
type Config struct {
	// DataDir holds the database (SQLite, unless DatabaseURL is set) and,
	// in the embedded setup, the keys, the generated session key (SQLite
	// only) and the simulator's state. Required.
	DataDir string
	// DatabaseURL, when set (postgres://…), is the PostgreSQL database
	// Paydesk uses instead of SQLite in DataDir: several replicas may share
	// it. A generated session key is then kept in the database, so every
	// replica signs cookies alike.
	DatabaseURL string
	// NoMigrate opens the database without applying migrations
	// (PAYDESK_MIGRATE=off: "paydesk migrate" applies them); GET /readyz
	// answers 503 until they are. A schema newer than this Paydesk knows
	// is refused either way.
	NoMigrate bool
	// Addr is the listen address (default "127.0.0.1:0"). Listener, when
	// set, is served instead (Start takes it over).
	Addr     string
	Listener net.Listener
	// PublicURL is how browsers and Antom reach Paydesk, e.g.
	// "https://paydesk.example.com". Empty: "http://localhost:<port>", and
	// Antom is given the address Paydesk listens on for notifications.
	PublicURL string

	// Log receives the structured log (default: discarded).
	Log *slog.Logger
	// Stdout receives what the person starting Paydesk must see once: a
	// generated first-admin password (default: discarded). Never the log.
	Stdout io.Writer
	// FirstAdmin, when set, is created if there are no users yet.
	FirstAdmin *FirstAdmin
	// Auth configures staff sessions. An empty SessionKey is generated on
	// first run and kept in <data>/session.key, or with DatabaseURL in the
	// database; Secure is set when PublicURL is https.
	Auth handlers.AuthConfig

	// Antom, when set, is the Antom Paydesk calls: real Antom, or a
	// simulator started elsewhere. Nil: the embedded simulator.
	Antom *Antom
	// Simulator configures the embedded simulator (unused with Antom).
	Simulator Simulator
	// AntomOptions tune the Antom client (timeouts, retries).
	AntomOptions []antom.Option

	// StoreOptions are passed to store.Open or store.OpenPostgres (tests
	// inject a clock).
	StoreOptions []store.Option
	// Now is the handlers' clock (default time.Now).
	Now func() time.Time
	// Ops tunes the payment operations layer (store/ops).
	Ops ops.Config
	// Webhook bounds refused notifications (rate limits, retention) and
	// sets the request-time check.
	Webhook handlers.WebhookConfig
	// Jobs runs the payment jobs (inquiry poller, reconciler, session
	// sweeper) and the SDK flag checks while the server serves. Off, they
	// can be driven through App.Jobs.
	Jobs bool
	// JobsConfig tunes the payment jobs; its Log defaults to Log.
	JobsConfig web.JobsConfig
	// ServerTiming sends "Server-Timing: app;dur=<ms>" (load tests).
	ServerTiming bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed (PAYDESK_TRUSTED_PROXIES); none: the peer address counts.
	TrustedProxies []*net.IPNet
	// MetricsToken lets non-loopback clients scrape GET /metrics with it
	// as a Bearer token (PAYDESK_METRICS_TOKEN); empty: loopback only.
	MetricsToken string
}

// FirstAdmin is the admin created when there are no users.
type FirstAdmin struct {
	Email string
	Name  string // default "Admin"
	// Password is the admin's password; empty, one is generated and
	// printed once to Config.Stdout.
	Password string
}

// Antom is an Antom that Start does not run: real Antom, or a simulator
// started elsewhere (cmd/antomsim, sim.StartServer).
type Antom struct {
	// BaseURL is the region's base URL, or the simulator's URL.
	BaseURL  string
	ClientID string
	// MerchantKey signs Paydesk's requests; AntomKey verifies Antom's
	// answers and notifications.
	MerchantKey *rsa.PrivateKey
	AntomKey    *rsa.PublicKey
	// CheckoutURL, when set, says that BaseURL is the simulator and turns
	// paymentSessionData into its hosted checkout URL
	// (sim.Simulator.CheckoutURL).
	CheckoutURL func(paymentSessionData string) string
}

// Simulator configures the embedded simulator.
type Simulator struct {
	// Addr is its listen address (default "127.0.0.1:0").
	Addr string
	// Keys are the merchant's and the simulator's keys. Nil: read from
	// <data>/keys, generated there on first run.
	Keys *SandboxKeys
	// Clock is the simulated time (default real time).
	Clock sim.Clock
	// Faults are in force from the start.
	Faults sim.Faults
	// OrderClose is when unpaid orders close (default sim.DefaultOrderClose).
	OrderClose time.Duration
	// InMemory keeps the simulator's state in memory only. Otherwise it is
	// kept in <data>/simulator-state.json, so a restart keeps the payments
	// Antom "knows" in step with the ones Paydesk stored.
	InMemory bool
	// NoSDKEvents: the hosted checkout does not report SDK events to
	// Paydesk. By default it does, as an app would, with the payment's
	// client secret that the payment page's checkout link carries (or that
	// a caller of sim.Simulator.Pay gives as Card.ClientSecret).
	NoSDKEvents bool
}

// App is a running Paydesk. Stop it with Shutdown.
type App struct {
	// URL is where browsers reach Paydesk, e.g. "http://localhost:8080".
	URL string
	// Addr is the address the server listens on, e.g. "127.0.0.1:8080".
	Addr string
	// Store is the open database.
	Store *store.Store
	// Handlers are the handlers and the operations layer (Handlers.Operations).
	Handlers *handlers.Handlers
	// Web is the web server.
	Web *web.Server
	// Jobs are the payment jobs, running when Config.Jobs is set; tests
	// without them call PollOnce, ReconcileOnce and SweepOnce.
	Jobs *web.PaymentJobs
	// Metrics is what GET /metrics serves (its own registry).
	Metrics *metrics.Metrics

	// Simulator is the embedded simulator; nil with Config.Antom.
	Simulator *sim.Server
	// SimulatorURL is the simulator's base URL (embedded or external);
	// empty with real Antom.
	SimulatorURL string
	// Keys are the embedded setup's keys; nil with Config.Antom.
	Keys *SandboxKeys

	served   chan struct{} // closed when Serve returned
	serveErr error         // what Serve returned
	reported bool          // Wait returned serveErr
	closers  []func() error
}

// Start builds Paydesk from cfg, starts serving and returns once it
// accepts connections: the store (SQLite on DataDir, or PostgreSQL at
// DatabaseURL; migrated unless NoMigrate, refused when its schema is newer
// than this Paydesk), the session key, the first admin,
// the listener, the Antom client (starting the embedded simulator unless
// cfg.Antom is set), the handlers, the web server and, with cfg.Jobs, the
// background jobs. On error everything started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *App, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("app: a data directory is required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	// One registry per Paydesk, fed by the store's writer, the Antom
	// client, the webhook and the live polls.
	m := metrics.New()
	cfg.StoreOptions = append(slices.Clone(cfg.StoreOptions), store.WithCommitObserver(m.Commit))
	cfg.AntomOptions = append(slices.Clone(cfg.AntomOptions), antom.WithObserver(m.AntomExchange))
	a := &App{Metrics: m}
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := OpenStore(ctx, cfg.DataDir, cfg.DatabaseURL, !cfg.NoMigrate, cfg.StoreOptions...)
	if err != nil {
		return nil, err
	}
	a.Store = st
	a.closers = append(a.closers, st.Close)
	current, err := checkSchema(ctx, st, log)
	if err != nil {
		return nil, err
	}
	auth := cfg.Auth
	if len(auth.SessionKey) == 0 {
		if auth.SessionKey, err = sessionKey(ctx, st, cfg.DataDir, log); err != nil {
			return nil, err
		}
	}
	auth.Secure = auth.Secure || strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://")
	// The database, keys and session key are their owner's alone, whether
	// or not the data directory existed: say what was looser.
	secrets, err := tightenSecrets(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	for _, change := range append(st.Tightened(), secrets...) {
		log.Warn("a file was readable by others; made private", "change", change)
	}
	// The first admin waits for the schema this Paydesk writes.
	if cfg.FirstAdmin != nil && current {
		if err := ensureFirstAdmin(ctx, st, *cfg.FirstAdmin, auth.PasswordParams, cfg.Stdout, log); err != nil {
			return nil, err
		}
	}

	ln := cfg.Listener
	if ln == nil {
		addr := cfg.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
	}
	a.closers = append(a.closers, func() error { ln.Close(); return nil })
	a.Addr = ln.Addr().String()
	localURL := "http://" + a.Addr // server to server: the literal address we listen on
	a.URL = strings.TrimRight(cfg.PublicURL, "/")
	notifyBase := a.URL
	if a.URL == "" {
		a.URL = browserURL(a.Addr)
		// Antom posts notifications server to server: the address we
		// listen on, whatever name browsers use.
		notifyBase = localURL
	}

	deps := handlers.Deps{
		Store:       st,
		BaseURL:     a.URL,
		NotifyURL:   notifyBase + paths.WebhookAntom,
		RedirectURL: a.URL + paths.Payments,
		Log:         log,
		Now:         cfg.Now,
		Auth:        auth,
		Ops:         cfg.Ops,
		Webhook:     cfg.Webhook,
		Metrics:     m,
	}
	webCfg := web.Config{HTTPS: auth.Secure, Log: log, ServerTiming: cfg.ServerTiming, TrustedProxies: cfg.TrustedProxies,
		Metrics: m, MetricsToken: cfg.MetricsToken}
	if !current {
		// Behind the schema with migrations off: serve (not ready), but
		// run no background work until "paydesk migrate" has run.
		webCfg.JobsWait = waitForSchema(st, schemaPoll, log)
	}
	if ext := cfg.Antom; ext != nil {
		client := antom.NewClient(ext.BaseURL, ext.ClientID, ext.MerchantKey, ext.AntomKey, cfg.AntomOptions...)
		deps.Antom, deps.Sandbox = client, client.Sandbox()
		if ext.CheckoutURL != nil {
			deps.Simulated, deps.CheckoutURL = true, ext.CheckoutURL
			a.SimulatorURL = strings.TrimRight(ext.BaseURL, "/")
			webCfg.SimulatorOrigin = origin(ext.BaseURL)
		}
	} else {
		srv, client, err := a.startSimulator(ctx, cfg, st, localURL, log)
		if err != nil {
			return nil, err
		}
		deps.Antom, deps.Sandbox, deps.Simulated = client, true, true
		deps.CheckoutURL = srv.Sim.CheckoutURL
		webCfg.SimulatorOrigin = srv.URL
	}

	h, err := handlers.New(deps)
	if err != nil {
		return nil, err
	}
	m.WatchOperations(h.Operations.Health)
	ws, err := web.New(webCfg, h)
	if err != nil {
		return nil, err
	}
	a.Handlers, a.Web = h, ws
	jc := cfg.JobsConfig
	if jc.Log == nil {
		jc.Log = log
	}
	if cfg.Jobs {
		a.Jobs = ws.AddPaymentJobs(jc)
		ws.AddSDKFlagJob(0)
	} else {
		a.Jobs = web.NewPaymentJobs(h, jc)
	}
	a.served = make(chan struct{})
	go func() {
		defer close(a.served)
		a.serveErr = ws.Serve(ln)
	}()
	return a, nil
}

// startSimulator starts the embedded simulator with the sandbox keys and,
// unless told otherwise, the app API's SDK-event URL, so its checkout
// reports the buyer's SDK events like an app.
func (a *App) startSimulator(ctx context.Context, cfg Config, st *store.Store, paydeskURL string, log *slog.Logger) (*sim.Server, *antom.Client, error) {
	sc := cfg.Simulator
	keysDir := filepath.Join(cfg.DataDir, KeysDir)
	keys := sc.Keys
	if keys == nil {
		var err error
		if keys, err = loadOrCreateSandboxKeys(keysDir, log); err != nil {
			return nil, nil, err
		}
	}
	simCfg := sim.Config{
		ClientID:          SandboxClientID,
		MerchantPublicKey: &keys.Merchant.PublicKey,
		Key:               keys.Simulator,
		Clock:             sc.Clock,
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
		Logger:            log.With("component", "simulator"),
		OrderClose:        sc.OrderClose,
		Faults:            sc.Faults,
	}
	if !sc.InMemory {
		simCfg.StateFile = filepath.Join(cfg.DataDir, SimulatorStateFile)
	}
	// The checkout needs no API key of its own: it reports with the
	// payment's client secret, exactly as an app would. The key earlier
	// versions made for it is revoked.
	if err := retireSimulatorAPIKey(ctx, st, keysDir, log); err != nil {
		return nil, nil, err
	}
	if !sc.NoSDKEvents {
		simCfg.SDKEventURL = paydeskURL + paths.APIPayments + "/{paymentRequestId}/sdk-events"
	}
	addr := sc.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	srv, err := sim.StartServer(context.WithoutCancel(ctx), addr, simCfg)
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: %w", err)
	}
	a.Simulator, a.SimulatorURL, a.Keys = srv, srv.URL, keys
	a.closers = append(a.closers, srv.Close)
	client := antom.NewClient(srv.URL, SandboxClientID, keys.Merchant, &keys.Simulator.PublicKey, cfg.AntomOptions...)
	return srv, client, nil
}

// Wait blocks until the server stops by itself (an error) or ctx ends.
func (a *App) Wait(ctx context.Context) error {
	select {
	case <-a.served:
		a.reported = true
		return a.serveErr
	case <-ctx.Done():
		return nil
	}
}

// Shutdown stops the server gracefully (in-flight requests finish, jobs
// stop, operations started for requests record their answers — each up to
// ctx), then the simulator and the store. An operation cut short by ctx is
// left to the reconciler of the next start, as after a crash.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	if a.Web != nil {
		err = a.Web.Shutdown(ctx)
		<-a.served
		if !a.reported {
			err = errors.Join(err, a.serveErr)
		}
	}
	return errors.Join(err, a.close())
}

// close releases what Start acquired, in reverse order.
func (a *App) close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// browserURL is the URL a person opens for a listen address: loopback and
// unspecified hosts become "localhost", so the cookie host matches the
// printed URL and the checkout's redirect.
func browserURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// origin is scheme://host[:port] of a base URL.
func origin(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return strings.TrimRight(base, "/")
	}
	return u.Scheme + "://" + u.Host
}

// ensureFirstAdmin creates the first admin when there are no users: with
// the configured password, or with a generated one printed once to stdout
// (never to the log).
func ensureFirstAdmin(ctx context.Context, st *store.Store, fa FirstAdmin, params store.PasswordParams, stdout io.Writer, log *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := fa.Password
	generated := password == ""
	if generated {
		if password, err = handlers.GeneratePassword(); err != nil {
			return err
		}
	} else if err := store.ValidatePassword(password); err != nil {
		return fmt.Errorf("PAYDESK_ADMIN_PASSWORD: %w", err)
	}
	if params == (store.PasswordParams{}) {
		params = store.DefaultPasswordParams
	}
	hash, err := store.HashPassword(password, params)
	if err != nil {
		return err
	}
	name := fa.Name
	if name == "" {
		name = "Admin"
	}
	u, err := st.CreateUser(ctx, store.NewUser{Email: fa.Email, Name: name, Role: store.RoleAdmin, PasswordHash: hash},
		store.AuditContext{Actor: "system"})
	if err != nil {
		return fmt.Errorf("first admin: %w", err)
	}
	log.Info("created the first admin", "email", u.Email, "generated_password", generated)
	if generated {
		fmt.Fprintf(stdout, "\nFirst run: created admin %s with password\n\n    %s\n\nThis is shown once. Sign in and change it on the Account page.\n\n", u.Email, password)
	} else {
		fmt.Fprintf(stdout, "First run: created admin %s with the password from PAYDESK_ADMIN_PASSWORD.\n", u.Email)
	}
	return nil
}
