package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/term"

	"paydesk/antom"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/store/ops"
	"paydesk/web/app"
)

// Start builds and starts Paydesk from cfg (package web/app assembles it)
// and returns once it is serving. Stop it with Shutdown.
func Start(ctx context.Context, cfg Config, stdout, stderr io.Writer) (*app.App, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := newLogger(cfg, stderr)
	ac := app.Config{
		DatabaseURL: cfg.DatabaseURL,
		NoMigrate:   !cfg.migrate(),
		DataDir:     cfg.DataDir,
		Addr:        cfg.Addr,
		PublicURL:   cfg.PublicURL,
		Log:         log,
		Stdout:      stdout,
		FirstAdmin:  &app.FirstAdmin{Email: cfg.AdminEmail, Password: cfg.AdminPassword},
		Simulator:   app.Simulator{Addr: cfg.SimAddr},
		Jobs:        true,
	}
	if cfg.SessionKey != "" {
		ac.Auth.SessionKey = []byte(cfg.SessionKey)
	}
	if n := cfg.readers(); n > 0 {
		ac.StoreOptions = append(ac.StoreOptions, store.WithReaders(n))
	}
	if d := cfg.duration(cfg.AntomTimeout); d > 0 {
		ac.AntomOptions = append(ac.AntomOptions, antom.WithTimeout(d))
	}
	ac.Ops = ops.Config{CallTimeout: cfg.duration(cfg.OpsCallTimeout), Lease: cfg.duration(cfg.OpsLease), BackoffBase: cfg.duration(cfg.OpsBackoff),
		Concurrency: cfg.concurrency()}
	ac.TrustedProxies, _ = cfg.trustedProxies() // validated above
	ac.ServerTiming = cfg.ServerTiming == "on"
	ac.MetricsToken = cfg.MetricsToken
	ac.Webhook = handlers.WebhookConfig{RefusedRetention: cfg.days(cfg.RefusedRetention), MaxSkew: cfg.days(cfg.NotifyMaxSkew)}
	if cfg.realAntom() {
		ext, err := realAntom(cfg, log)
		if err != nil {
			return nil, err
		}
		ac.Antom = ext
	}
	a, err := app.Start(ctx, ac)
	if err != nil {
		return nil, err
	}
	mode := "simulator at " + a.SimulatorURL
	if cfg.realAntom() {
		mode = "Antom at " + cfg.AntomBaseURL
	}
	database := "sqlite"
	if cfg.DatabaseURL != "" {
		database = store.RedactURL(cfg.DatabaseURL)
	}
	log.Info("paydesk started", "url", a.URL, "listen", a.Addr, "antom", mode, "data", cfg.DataDir, "database", database)
	if cfg.DatabaseURL != "" && !cfg.realAntom() {
		// Fine for one process trying PostgreSQL; with several replicas
		// each would be talking to an Antom of its own.
		log.Warn("on PostgreSQL with the embedded simulator: every replica started like this has a simulator of its own; for several replicas set ANTOM_* to one Antom (or one antomsim), see README \"Running several replicas\"")
	}
	fmt.Fprintf(stdout, "Paydesk is running on %s (%s)\n", a.URL, mode)
	return a, nil
}

// newLogger is the structured log on stderr at the configured level and
// format: PAYDESK_LOG_FORMAT, or by default text for a person at a terminal
// and JSON for everything else (a file, a pipe, a log collector).
func newLogger(cfg Config, stderr io.Writer) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if logFormat(cfg.LogFormat, stderr) == logText {
		return slog.New(slog.NewTextHandler(stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(stderr, opts))
}

// logFormat is the configured format, or text when w is a terminal and
// JSON otherwise.
func logFormat(configured string, w io.Writer) string {
	if configured != "" {
		return configured
	}
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		return logText
	}
	return logJSON
}

// duration is a validated duration setting; 0 when unset.
func (c Config) duration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// realAntom reads the key files once and describes real Antom.
func realAntom(cfg Config, log *slog.Logger) (*app.Antom, error) {
	privPEM, err := readKeyFile(cfg.AntomPrivateKeyFile, log)
	if err != nil {
		return nil, err
	}
	priv, err := antom.ParsePrivateKey(privPEM)
	if err != nil {
		return nil, fmt.Errorf("ANTOM_MERCHANT_PRIVATE_KEY_FILE: %w", err)
	}
	pubPEM, err := readKeyFile(cfg.AntomPublicKeyFile, log)
	if err != nil {
		return nil, err
	}
	pub, err := antom.ParsePublicKey(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("ANTOM_PUBLIC_KEY_FILE: %w", err)
	}
	return &app.Antom{BaseURL: cfg.AntomBaseURL, ClientID: cfg.AntomClientID, MerchantKey: priv, AntomKey: pub}, nil
}
