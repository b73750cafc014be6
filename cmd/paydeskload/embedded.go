package main

// The in-process Paydesk: web/app's Start, the same assembly cmd/paydesk
// runs in its embedded setup (store, first admin, simulator with its keys
// and state file in the data directory, handlers, web server, the
// background jobs). Differences, all deliberate: the web server sends
// Server-Timing, and the log (info level, as by default) goes to a file in
// the data directory rather than to stderr.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"paydesk/antom"
	"paydesk/views/paths"
	"paydesk/web/app"
)

// simClientID is the embedded simulator's merchant client ID.
const simClientID = app.SandboxClientID

// embedded is a running in-process Paydesk.
type embedded struct {
	*app.App
	// Base is the literal address it listens on, "http://127.0.0.1:port":
	// the load needs no name lookup.
	Base    string
	logFile *os.File
}

// embedConfig is what startEmbedded needs.
type embedConfig struct {
	dataDir     string
	databaseURL string // PostgreSQL instead of SQLite in dataDir
	email       string
	password    string
	jobs        bool
}

// startEmbedded starts Paydesk in this process on a loopback port and
// returns once it serves. On the first run of dataDir the keys are
// generated into <data>/keys, as cmd/paydesk does.
func startEmbedded(ctx context.Context, cfg embedConfig) (*embedded, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(cfg.dataDir, "paydesk.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	// The collector as the paydesk binary sets it (its main does this).
	app.DefaultGC(os.Getenv)
	a, err := app.Start(ctx, app.Config{
		DataDir:      cfg.dataDir,
		DatabaseURL:  cfg.databaseURL,
		Log:          slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})),
		FirstAdmin:   &app.FirstAdmin{Email: cfg.email, Name: "Load test", Password: cfg.password},
		Jobs:         cfg.jobs,
		ServerTiming: true,
	})
	if err != nil {
		logFile.Close()
		return nil, err
	}
	return &embedded{App: a, Base: "http://" + a.Addr, logFile: logFile}, nil
}

// shutdown stops the server gracefully, then the simulator and the store.
func (e *embedded) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return errors.Join(e.Shutdown(ctx), e.logFile.Close())
}

// simulatorKey reads the embedded simulator's private key from dataDir:
// notifications signed with it verify as Antom's.
func simulatorKey(dataDir string) (*rsa.PrivateKey, error) {
	return signKeyFile(app.SimulatorKeyFile(dataDir))
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
