package main

// The in-process Paydesk. cmd/paydesk is a main package and cannot be
// imported, so this builds the same pieces in the same order as its Start
// (serve.go) in the embedded setup: store, first admin, listener, simulator
// with its API key and state file, Antom client, handlers, web server with
// the payment and SDK flag jobs. Keep it in step with Start. Differences,
// all deliberate: keys are passed in (kept in memory, or by the -server
// process child in <data>/keys), the web server sends Server-Timing, and
// the request log (info level, as by default) goes to a file in the data
// directory rather than to stderr.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"paydesk/antom"
	"paydesk/antom/sim"
	"paydesk/handlers"
	"paydesk/store"
	"paydesk/views/paths"
	"paydesk/web"
)

// simClientID is the embedded simulator's merchant client ID, as in cmd/paydesk.
const simClientID = "SANDBOX_PAYDESK"

// embedKeys survive a restart of the in-process Paydesk, as the files in
// <data>/keys do for the real one.
type embedKeys struct {
	merchant, sim *rsa.PrivateKey
	sessionKey    []byte
	simAPIKey     string
}

func newEmbedKeys() (*embedKeys, error) {
	k := &embedKeys{sessionKey: make([]byte, 48)}
	if _, err := rand.Read(k.sessionKey); err != nil {
		return nil, err
	}
	var err error
	if k.merchant, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if k.sim, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	return k, nil
}

// embedded is a running in-process Paydesk.
type embedded struct {
	URL   string
	Store *store.Store
	Web   *web.Server

	sim     *sim.Server
	logFile *os.File
	serveCh chan error
}

// embedConfig is what startEmbedded needs.
type embedConfig struct {
	dataDir  string
	email    string
	password string
	jobs     bool
}

// startEmbedded starts Paydesk in this process on a loopback port and
// returns once it serves. With keys == nil it is a first run: keys are
// generated (as cmd/paydesk does on first run) and returned for restarts.
func startEmbedded(ctx context.Context, cfg embedConfig, keys *embedKeys) (_ *embedded, _ *embedKeys, err error) {
	app := &embedded{}
	defer func() {
		if err != nil {
			app.close()
		}
	}()
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	if keys == nil {
		if keys, err = newEmbedKeys(); err != nil {
			return nil, nil, fmt.Errorf("keys: %w", err)
		}
	}
	app.logFile, err = os.OpenFile(filepath.Join(cfg.dataDir, "paydesk.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(app.logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	st, err := store.Open(ctx, cfg.dataDir)
	if err != nil {
		return nil, nil, err
	}
	app.Store = st
	if err := ensureAdmin(ctx, st, cfg.email, cfg.password); err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	app.URL = "http://" + ln.Addr().String()

	if keys.simAPIKey == "" {
		if _, keys.simAPIKey, err = st.CreateAPIKey(ctx, "simulator", store.AuditContext{Actor: "system"}); err != nil {
			ln.Close()
			return nil, nil, err
		}
	} else if _, err := st.AuthenticateAPIKey(ctx, keys.simAPIKey); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("simulator api key: %w", err)
	}
	app.sim, err = sim.StartServer(context.WithoutCancel(ctx), "127.0.0.1:0", sim.Config{
		ClientID:          simClientID,
		MerchantPublicKey: &keys.merchant.PublicKey,
		Key:               keys.sim,
		HTTPClient:        &http.Client{Timeout: 10 * time.Second},
		Logger:            log.With("component", "simulator"),
		SDKEventURL:       app.URL + "/api/v1/payments/{paymentRequestId}/sdk-events",
		SDKEventAPIKey:    keys.simAPIKey,
		StateFile:         filepath.Join(cfg.dataDir, "simulator-state.json"),
	})
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("simulator: %w", err)
	}
	client := antom.NewClient(app.sim.URL, simClientID, keys.merchant, &keys.sim.PublicKey)
	h, err := handlers.New(handlers.Deps{
		Store:       st,
		Antom:       client,
		CheckoutURL: app.sim.Sim.CheckoutURL,
		BaseURL:     app.URL,
		NotifyURL:   app.URL + paths.WebhookAntom,
		RedirectURL: app.URL + paths.Payments,
		Sandbox:     true,
		Simulated:   true,
		Log:         log,
		Now:         time.Now,
		Auth:        handlers.AuthConfig{SessionKey: keys.sessionKey},
	})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	ws, err := web.New(web.Config{SimulatorOrigin: app.sim.URL, Log: log, ServerTiming: true}, h)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	if cfg.jobs {
		ws.AddPaymentJobs(web.JobsConfig{Log: log})
		ws.AddSDKFlagJob(0)
	}
	app.Web = ws
	app.serveCh = make(chan error, 1)
	go func() { app.serveCh <- ws.Serve(ln) }()
	return app, keys, nil
}

// ensureAdmin creates the first admin when there are no users, as
// cmd/paydesk does from PAYDESK_ADMIN_EMAIL / PAYDESK_ADMIN_PASSWORD.
func ensureAdmin(ctx context.Context, st *store.Store, email, password string) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	hash, err := store.HashPassword(password, store.DefaultPasswordParams)
	if err != nil {
		return err
	}
	_, err = st.CreateUser(ctx, store.NewUser{Email: email, Name: "Load test", Role: store.RoleAdmin, PasswordHash: hash},
		store.AuditContext{Actor: "system"})
	return err
}

// shutdown stops the server gracefully, then the simulator and the store.
func (a *embedded) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var err error
	if a.Web != nil {
		err = a.Web.Shutdown(ctx)
		if serr := <-a.serveCh; serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return errors.Join(err, a.close())
}

func (a *embedded) close() error {
	var errs []error
	if a.sim != nil {
		errs = append(errs, a.sim.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.logFile != nil {
		errs = append(errs, a.logFile.Close())
	}
	return errors.Join(errs...)
}

// waitHealthy polls GET /healthz until it answers 200.
func waitHealthy(ctx context.Context, client *http.Client, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths.Health, nil)
		res, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s/healthz did not answer 200 within 30 s (last error: %v)", base, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// signKeyFile reads a PEM or base64 RSA private key (-antom-key).
func signKeyFile(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return antom.ParsePrivateKey(bytes.TrimSpace(b))
}
