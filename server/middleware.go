package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// observe is the outermost middleware: it hands errors to the error handler itself, so that it sees
// the final status, then logs the request and counts it in the metrics.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		dur := time.Since(start)
		res := c.Response()
		route := c.Path()
		if !s.metrics.routes[route] {
			route = "unmatched"
		}
		s.metrics.observe(route, res.Status, res.Size, dur)
		r := c.Request()
		if s.log.Enabled(r.Context(), slog.LevelInfo) {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("dur", dur),
				slog.String("remote", r.RemoteAddr),
			)
		}
		return nil
	}
}

// recover turns a panic in a handler or a later middleware into an error (a logged 500), so no panic
// reaches a client or takes the server down.
func (s *Server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				err = fmt.Errorf("%w: %v\n%s", errPanic, r, buf)
			}
		}()
		return next(c)
	}
}

// limitQuery refuses query strings longer than Config.MaxQuery (414) before anything parses them.
func (s *Server) limitQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if q := c.Request().URL.RawQuery; len(q) > s.cfg.MaxQuery {
			return fmt.Errorf("%w: %d bytes, at most %d", errQueryTooLong, len(q), s.cfg.MaxQuery)
		}
		return next(c)
	}
}
