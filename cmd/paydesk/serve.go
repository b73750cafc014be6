package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
	"paydesk/web"
)

// sandboxClientID is the embedded simulator's merchant client ID.
const sandboxClientID = "SANDBOX_PAYDESK"

// simStateFile is the embedded simulator's state file in the data directory.
const simStateFile = "simulator-state.json"

// App is a running Paydesk: the web server, the store and, in the embedded
// setup, the simulator.
type App struct {
	// URL is where browsers reach Paydesk, e.g. "http://localhost:8080".
	URL string
	// Addr is the address the server listens on, e.g. "127.0.0.1:8080".
	Addr string
	// SimulatorURL is the embedded simulator's base URL; empty with real Antom.
	SimulatorURL string
	// Store is the open database (tests read it).
	Store *store.Store
	// Simulator is the embedded simulator, nil with real Antom.
	Simulator *sim.Server

	log     *slog.Logger
	web     *web.Server
	serveCh chan error
	closers []func() error
}

// Start builds and starts Paydesk from cfg and returns once it is serving.
// Stop it with Shutdown.
func Start(ctx context.Context, cfg Config, stdout, stderr io.Writer) (_ *App, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	app := &App{log: log}
	defer func() {
		if err != nil {
			app.close()
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	sessionKey, err := loadSessionKey(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	app.Store = st
	app.closers = append(app.closers, st.Close)
	if err := ensureFirstAdmin(ctx, st, cfg, stdout, log); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	app.closers = append(app.closers, func() error { ln.Close(); return nil })
	app.Addr = ln.Addr().String()
	localURL := "http://" + app.Addr // server-to-server: the literal address we listen on
	app.URL = strings.TrimRight(cfg.PublicURL, "/")
	if app.URL == "" {
		app.URL = browserURL(app.Addr)
	}

	deps := handlers.Deps{
		Store:       st,
		BaseURL:     app.URL,
		NotifyURL:   app.URL + "/webhooks/antom",
		RedirectURL: app.URL + paths.Payments,
		Log:         log,
		Now:         time.Now,
		Auth:        handlers.AuthConfig{SessionKey: sessionKey, Secure: cfg.https()},
	}
	webCfg := web.Config{HTTPS: cfg.https(), Log: log}
	if cfg.realAntom() {
		client, err := realAntomClient(cfg, log)
		if err != nil {
			return nil, err
		}
		deps.Antom, deps.Sandbox = client, client.Sandbox()
	} else {
		srv, client, err := startSimulator(ctx, cfg, st, localURL, log)
		if err != nil {
			return nil, err
		}
		app.Simulator, app.SimulatorURL = srv, srv.URL
		app.closers = append(app.closers, srv.Close)
		deps.Antom, deps.Sandbox, deps.Simulated = client, true, true
		deps.CheckoutURL = srv.Sim.CheckoutURL
		// The simulator posts notifications server to server: use the
		// address we listen on, whatever name browsers use.
		if cfg.PublicURL == "" {
			deps.NotifyURL = localURL + "/webhooks/antom"
		}
		webCfg.SimulatorOrigin = srv.URL
	}

	h, err := handlers.New(deps)
	if err != nil {
		return nil, err
	}
	ws, err := web.New(webCfg, h)
	if err != nil {
		return nil, err
	}
	ws.AddPaymentJobs(web.JobsConfig{Log: log})
	ws.AddSDKFlagJob(0)
	app.web = ws
	app.serveCh = make(chan error, 1)
	go func() { app.serveCh <- ws.Serve(ln) }()

	mode := "simulator at " + app.SimulatorURL
	if cfg.realAntom() {
		mode = "Antom at " + cfg.AntomBaseURL
	}
	log.Info("paydesk started", "url", app.URL, "listen", app.Addr, "antom", mode, "data", cfg.DataDir)
	fmt.Fprintf(stdout, "Paydesk is running on %s (%s)\n", app.URL, mode)
	return app, nil
}

// Wait blocks until the server stops by itself (an error) or ctx ends.
func (a *App) Wait(ctx context.Context) error {
	select {
	case err := <-a.serveCh:
		return err
	case <-ctx.Done():
		return nil
	}
}

// Shutdown stops the server gracefully (in-flight requests finish, jobs
// stop), then the simulator and the store.
func (a *App) Shutdown(ctx context.Context) error {
	var err error
	if a.web != nil {
		err = a.web.Shutdown(ctx)
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

// realAntomClient reads the key files once and builds the client.
func realAntomClient(cfg Config, log *slog.Logger) (*antom.Client, error) {
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
	return antom.NewClient(cfg.AntomBaseURL, cfg.AntomClientID, priv, pub), nil
}

// startSimulator starts the embedded simulator with the sandbox keys and an
// API key of its own, so its checkout reports SDK events like an app.
func startSimulator(ctx context.Context, cfg Config, st *store.Store, paydeskURL string, log *slog.Logger) (*sim.Server, *antom.Client, error) {
	keysDir := filepath.Join(cfg.DataDir, "keys")
	keys, err := loadOrCreateSandboxKeys(keysDir, log)
	if err != nil {
		return nil, nil, err
	}
	apiKey, err := simulatorAPIKey(ctx, st, keysDir)
	if err != nil {
		return nil, nil, err
	}
	srv, err := sim.StartServer(context.WithoutCancel(ctx), cfg.SimAddr, sim.Config{
		ClientID:          sandboxClientID,
		MerchantPublicKey: &keys.merchant.PublicKey,
		Key:               keys.sim,
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
		Logger:            log.With("component", "simulator"),
		SDKEventURL:       paydeskURL + "/api/v1/payments/{paymentRequestId}/sdk-events",
		SDKEventAPIKey:    apiKey,
		// Beside the database: a restart keeps the payments Antom "knows"
		// in step with the ones Paydesk stored.
		StateFile: filepath.Join(cfg.DataDir, simStateFile),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("simulator: %w", err)
	}
	client := antom.NewClient(srv.URL, sandboxClientID, keys.merchant, &keys.sim.PublicKey)
	return srv, client, nil
}

// simulatorAPIKey returns the simulator's API key, kept in <keys>/simulator_api_key
// and created (or re-created after a revocation) as needed.
func simulatorAPIKey(ctx context.Context, st *store.Store, keysDir string) (string, error) {
	path := filepath.Join(keysDir, simAPIKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		token := strings.TrimSpace(string(b))
		if _, err := st.AuthenticateAPIKey(ctx, token); err == nil {
			return token, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	_, token, err := st.CreateAPIKey(ctx, "simulator", store.AuditContext{Actor: "system"})
	if err != nil {
		return "", err
	}
	if err := writeSecret(path, []byte(token+"\n")); err != nil {
		return "", err
	}
	return token, nil
}

// ensureFirstAdmin creates the first admin when there are no users: from
// PAYDESK_ADMIN_EMAIL / PAYDESK_ADMIN_PASSWORD, or with a generated password
// printed once to stdout (never to the log).
func ensureFirstAdmin(ctx context.Context, st *store.Store, cfg Config, stdout io.Writer, log *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := cfg.AdminPassword
	generated := password == ""
	if generated {
		if password, err = handlers.GeneratePassword(); err != nil {
			return err
		}
	} else if err := store.ValidatePassword(password); err != nil {
		return fmt.Errorf("PAYDESK_ADMIN_PASSWORD: %w", err)
	}
	hash, err := store.HashPassword(password, store.DefaultPasswordParams)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, store.NewUser{Email: cfg.AdminEmail, Name: "Admin", Role: store.RoleAdmin, PasswordHash: hash},
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
