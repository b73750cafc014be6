// Package web assembles Paydesk's HTTP server: Echo, the one route table,
// the middleware (request IDs, logging, recovery, security headers, body
// limit, sessions, CSRF, roles), the central error handler, the embedded
// static files, background jobs and graceful shutdown.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"paydesk/handlers"
	"paydesk/handlers/reqlog"
	"paydesk/static"
	"paydesk/views/paths"
	"paydesk/web/metrics"
)

// Config is the web server's part of Paydesk's configuration.
type Config struct {
	// HTTPS is true when PAYDESK_PUBLIC_URL is https: HSTS is sent (cookies
	// are made Secure by handlers.AuthConfig.Secure).
	HTTPS bool
	// SimulatorOrigin is the embedded simulator's origin
	// ("http://127.0.0.1:port"), allowed as a form target by the CSP; empty
	// with real Antom.
	SimulatorOrigin string
	// BodyLimit caps request bodies (default "1M"); larger ones get 413.
	BodyLimit string
	// Log receives the request log and errors.
	Log *slog.Logger
	// ServerTiming sends "Server-Timing: app;dur=<ms>" on every response
	// (server_timing.go), for load tests; off in production.
	ServerTiming bool
	// TrustedProxies are the networks of the reverse proxies in front of
	// Paydesk (PAYDESK_TRUSTED_PROXIES). A request from one of them is
	// attributed to the address its X-Forwarded-For names; any other
	// request to its peer address, whatever headers it sends.
	TrustedProxies []*net.IPNet
	// Metrics, when set, is served at GET /metrics (web/metrics.go) and
	// counts the live polls; MetricsToken lets non-loopback clients scrape
	// it with a Bearer token (PAYDESK_METRICS_TOKEN).
	Metrics      *metrics.Metrics
	MetricsToken string
	// JobsWait, when set, holds the background jobs back until it returns
	// nil (an error, or the end of ctx at shutdown: they never start).
	// Paydesk started with migrations off on a schema behind it waits for
	// "paydesk migrate" before it polls, reconciles or sweeps.
	JobsWait func(ctx context.Context) error
}

// Job is background work run while the server serves; Run returns when
// ctx ends (at shutdown).
type Job struct {
	Name string
	Run  func(ctx context.Context)
}

// Server is the assembled HTTP server.
type Server struct {
	e     *echo.Echo
	h     *handlers.Handlers
	cfg   Config
	srv   *http.Server
	csrf  echo.MiddlewareFunc
	table []route

	jobs     []Job
	jobsCtx  context.Context
	stopJobs context.CancelFunc
	jobsWG   sync.WaitGroup
	startJob sync.Once
}

// New builds the server around h.
func New(cfg Config, h *handlers.Handlers) (*Server, error) {
	if h == nil {
		return nil, errors.New("web: handlers are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Log = reqlog.WrapLogger(cfg.Log)
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1M"
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.HTTPErrorHandler
	// The client address is the peer's: a header anyone can send must not
	// pick the login throttle's key. Only the configured proxies are
	// believed about who they forward for.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	}

	s := &Server{e: e, h: h, cfg: cfg, csrf: csrfMiddleware(h.Auth.Secure)}
	s.jobsCtx, s.stopJobs = context.WithCancel(context.Background())

	if cfg.ServerTiming {
		e.Use(serverTiming) // outermost: times everything below
	}
	e.Use(requestIDMiddleware())
	e.Use(logMiddleware(cfg.Log))
	e.Use(recoverMiddleware())
	e.Use(newSecurityHeaders(cfg.HTTPS, cfg.SimulatorOrigin).middleware)
	if cfg.Metrics != nil {
		e.Use(s.observeLivePolls)
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: cfg.BodyLimit,
		// The webhook reads at most its own, smaller limit and records an
		// oversized delivery before refusing it; refused here, it would
		// leave no trace.
		Skipper: func(c echo.Context) bool { return c.Request().URL.Path == paths.WebhookAntom },
	}))

	s.table = s.routes()
	names := map[string]bool{}
	for _, rt := range s.table {
		if rt.name == "" || names[rt.name] {
			return nil, fmt.Errorf("web: route %s %s: missing or duplicate name %q", rt.method, rt.path, rt.name)
		}
		names[rt.name] = true
		e.Add(rt.method, rt.path, rt.handler, s.middlewareFor(rt.access)...).Name = rt.name
	}

	s.AddJob(Job{Name: "staff-session-purge", Run: s.purgeSessions})
	s.AddJob(Job{Name: "refused-deliveries", Run: s.refusedDeliveries})

	s.srv = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the HTTP handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.e }

// Echo returns the Echo instance (tests walk its routes).
func (s *Server) Echo() *echo.Echo { return s.e }

// AddJob registers background work; call before Serve.
func (s *Server) AddJob(j Job) { s.jobs = append(s.jobs, j) }

// StartJobs starts the registered jobs once; Serve calls it. Tests that use
// Handler() without Serve may call it themselves.
func (s *Server) StartJobs() {
	s.startJob.Do(func() {
		var ready chan struct{} // nil: no wait
		if wait := s.cfg.JobsWait; wait != nil {
			ready = make(chan struct{})
			s.jobsWG.Add(1)
			go func() {
				defer s.jobsWG.Done()
				if err := wait(s.jobsCtx); err != nil {
					if s.jobsCtx.Err() == nil {
						s.cfg.Log.Error("background jobs not started", "err", err.Error())
					}
					return
				}
				close(ready)
			}()
		}
		for _, j := range s.jobs {
			s.jobsWG.Add(1)
			go func() {
				defer s.jobsWG.Done()
				if ready != nil {
					select {
					case <-ready:
					case <-s.jobsCtx.Done():
						return
					}
				}
				j.Run(s.jobsCtx)
			}()
		}
	})
}

// Serve serves on l until Shutdown; it returns nil after a graceful stop.
func (s *Server) Serve(l net.Listener) error {
	s.StartJobs()
	if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	return nil
}

// Start listens on addr and serves until Shutdown.
func (s *Server) Start(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Shutdown stops accepting requests, lets in-flight ones finish (until ctx
// ends), then stops the background jobs and waits for them.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.stopJobs()
	// Consume the Once: jobs that never started never will, and a StartJobs
	// still adding to jobsWG finishes before Wait below.
	s.startJob.Do(func() {})
	done := make(chan struct{})
	go func() { s.jobsWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("web: jobs did not stop: %w", ctx.Err()))
	}
	// Attempts that requests started record their answers; one cut short
	// is resumed by the reconciler after its lease.
	if oerr := s.h.Operations.Close(ctx); oerr != nil {
		err = errors.Join(err, fmt.Errorf("web: operations did not finish: %w", oerr))
	}
	return err
}

// purgeSessions deletes timed-out staff sessions every 10 minutes (a
// session is refused once timed out anyway; this only frees the rows).
func (s *Server) purgeSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := s.h.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("purging staff sessions failed", "err", err.Error())
		} else if n > 0 {
			s.cfg.Log.Debug("purged staff sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// home handles "GET /": to the payments list (which sends signed-out
// browsers to the login page).
func (s *Server) home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, paths.Payments)
}

// healthz handles "GET /healthz": 200 when the database takes a write that
// needs disk space (store.Ping), 503 with Retry-After otherwise (full disk,
// locked or failing database).
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	c.Response().Header().Set("Cache-Control", "no-store")
	if err := s.h.Store.Ping(ctx); err != nil {
		s.cfg.Log.Error("health check failed", "err", err.Error())
		c.Response().Header().Set("Retry-After", "30")
		return c.String(http.StatusServiceUnavailable, "database not writable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// static handles "GET /static/*" from the embedded files. A URL carrying the
// current asset version is cached for a year; any other revalidates by ETag.
func (s *Server) static(c echo.Context) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	b, err := fs.ReadFile(static.FS(), name)
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	v := static.Version()
	h.Set("ETag", `"`+v+`"`)
	if c.QueryParam("v") == v {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(b))
	return nil
}
