package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// readiness is the body of GET /readyz.
type readiness struct {
	Ready bool `json:"ready"`
	// Schema is the database's highest applied migration, Needs the
	// highest this Paydesk knows (both 0 when the database did not answer).
	Schema int `json:"schema"`
	Needs  int `json:"needs"`
	// Reason says why not ready.
	Reason string `json:"reason,omitempty"`
}

// readyz handles "GET /readyz", for a load balancer deciding whether to
// send this replica traffic: 200 when the database answers and its schema
// is at the version this Paydesk knows; 503 with the reason otherwise
// (unreachable, migrations pending, or a schema newer than this binary).
// Unlike /healthz it writes nothing.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	c.Response().Header().Set("Cache-Control", "no-store")
	var r readiness
	applied, known, err := s.h.Store.SchemaVersion(ctx)
	switch {
	case err != nil:
		s.cfg.Log.Error("readiness check: database unreachable", "err", err.Error())
		r.Reason = "database unreachable"
	case applied < known:
		r.Reason = fmt.Sprintf("migrations pending: database at %d, this Paydesk needs %d", applied, known)
	case applied > known:
		r.Reason = fmt.Sprintf("database schema %d is newer than this Paydesk knows (%d)", applied, known)
	default:
		r.Ready = true
	}
	if err == nil {
		r.Schema, r.Needs = applied, known
	}
	if !r.Ready {
		c.Response().Header().Set("Retry-After", "10")
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}
