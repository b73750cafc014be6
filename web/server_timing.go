package web

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// serverTiming adds "Server-Timing: app;dur=<ms>" to every response (web
// Config.ServerTiming): the time from the request entering the middleware
// chain to its status line being written. Handlers render into a buffer
// before writing, so it covers the whole handler, render included. The
// load tool (cmd/paydeskload) reads it to measure server time without the
// network and its own client. Off by default: a precise server-side timer
// makes timing attacks (on the login, say) easier.
func serverTiming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		res := c.Response()
		res.Before(func() {
			ms := float64(time.Since(start).Nanoseconds()) / 1e6
			res.Header().Set("Server-Timing", "app;dur="+strconv.FormatFloat(ms, 'f', 3, 64))
		})
		return next(c)
	}
}
