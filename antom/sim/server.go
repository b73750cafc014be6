package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is a simulator listening on a TCP address, with its background
// loop running.
type Server struct {
	// URL is the base URL of the simulator, e.g. "http://127.0.0.1:8090".
	URL string
	// Sim is the simulator being served.
	Sim *Simulator

	srv     *http.Server
	cancel  context.CancelFunc
	runDone chan struct{}
	once    sync.Once
	err     error
}

// StartServer listens on addr (e.g. "127.0.0.1:0"), serves the simulator's
// Handler and runs its background loop until Close is called or ctx ends.
// An empty cfg.PublicURL is set to the listener's URL.
func StartServer(ctx context.Context, addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	if cfg.PublicURL == "" {
		cfg.PublicURL = base
	}
	s, err := New(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	srv := &Server{
		URL:     base,
		Sim:     s,
		srv:     &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second},
		cancel:  cancel,
		runDone: make(chan struct{}),
	}
	go func() {
		if err := srv.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sim: serve", "err", err)
		}
	}()
	go func() {
		defer close(srv.runDone)
		s.Run(runCtx)
	}()
	go func() {
		// Ending ctx stops the whole server, not only the loop.
		<-runCtx.Done()
		_ = srv.Close()
	}()
	return srv, nil
}

// Close stops the background loop (cancelling notification attempts in
// flight) and the HTTP server, waits for both, and saves the state a last
// time (Simulator.Close). Requests still running
// after a grace period of 3 s, and connections a browser opened but never
// used, are closed.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.Sim.log.Debug("sim: graceful shutdown incomplete; closing connections", "err", err)
			if err := s.srv.Close(); err != nil {
				s.err = fmt.Errorf("sim: close: %w", err)
			}
		}
		<-s.runDone
		if err := s.Sim.Close(); err != nil && s.err == nil {
			s.err = err
		}
	})
	return s.err
}
