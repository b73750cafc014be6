package web

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"paydesk/handlers"
	"paydesk/views/paths"
)

// metricsEndpoint handles "GET /metrics": Prometheus' text format, for
// loopback clients, or for any client with PAYDESK_METRICS_TOKEN as a
// Bearer token. Without a token configured, others get 403; with one, a
// missing or wrong token gets 401.
func (s *Server) metricsEndpoint(c echo.Context) error {
	if s.cfg.Metrics == nil {
		return echo.ErrNotFound
	}
	token := s.cfg.MetricsToken
	given, hasBearer := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	switch {
	case token != "" && hasBearer && subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1:
	case s.localClient(c):
	case token == "":
		return &handlers.Error{Kind: handlers.KindForbidden, Code: "metrics_loopback_only",
			Message: "Metrics are served to loopback clients only; set PAYDESK_METRICS_TOKEN to scrape from elsewhere."}
	default:
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="paydesk metrics"`)
		return &handlers.Error{Kind: handlers.KindUnauthorized, Code: "metrics_token",
			Message: "Send PAYDESK_METRICS_TOKEN as a Bearer token."}
	}
	s.cfg.Metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

// localClient reports whether the client is on this machine, as the app
// decides client addresses (PAYDESK_TRUSTED_PROXIES): the address is
// loopback, and it is not a proxy that was not declared trusted forwarding
// for someone else (its forwarding headers were not believed, so the
// loopback address is the proxy's, not the client's).
func (s *Server) localClient(c echo.Context) bool {
	ip := net.ParseIP(c.RealIP())
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	r := c.Request()
	forwarded := r.Header.Get(echo.HeaderXForwardedFor) != "" || r.Header.Get("Forwarded") != "" || r.Header.Get(echo.HeaderXRealIP) != ""
	if !forwarded {
		return true
	}
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	// The forwarding headers decided the address only when the peer is
	// a trusted proxy; then a loopback client behind it is local.
	return s.trustedPeer(net.ParseIP(peer))
}

// trustedPeer reports whether ip is one of PAYDESK_TRUSTED_PROXIES.
func (s *Server) trustedPeer(ip net.IP) bool {
	for _, n := range s.cfg.TrustedProxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// observeLivePolls counts the live polls' answers: the payment page's
// (GET /payments/:id/live) and the payments list's (GET /payments?since=).
func (s *Server) observeLivePolls(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		page := ""
		switch c.Path() {
		case paths.Payments + "/:id/live":
			page = "payment"
		case paths.Payments:
			if c.QueryParam("since") != "" {
				page = "payments"
			}
		}
		if page != "" {
			status := c.Response().Status
			if err != nil {
				status = http.StatusInternalServerError
			}
			s.cfg.Metrics.LivePoll(page, status)
		}
		return err
	}
}
