package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// front is the server's one Pre middleware, the outermost: it secures the answer's headers, refuses an
// over-long query, turns a panic into an error, hands errors to the error handler itself (so that it
// sees the final status), then logs the request and counts it in the metrics. One middleware, not
// four, because echo builds its Pre chain anew for every request: a closure each, every request.
func (s *Server) front(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := s.guarded(c, next); err != nil {
			c.Error(err)
		}
		s.observed(c, time.Since(start))
		return nil
	}
}

// guarded runs next with the security headers set, the query's length checked and a panic recovered.
func (s *Server) guarded(c echo.Context, next echo.HandlerFunc) (err error) {
	defer s.recovered(&err)
	s.setSecurityHeaders(c.Response().Header())
	if err := s.checkQuery(c); err != nil {
		return err
	}
	return next(c)
}

// observed logs an answered request and counts it in the metrics.
func (s *Server) observed(c echo.Context, dur time.Duration) {
	res := c.Response()
	route := c.Path()
	if !s.metrics.routes[route] {
		route = "unmatched"
	}
	s.metrics.observe(route, res.Status, res.Size, dur)
	s.logRequest(c.Request(), route, res.Status, res.Size, dur)
}

// logRequest writes the access log line of an answered request.
func (s *Server) logRequest(r *http.Request, route string, status int, size int64, dur time.Duration) {
	if s.log.Enabled(r.Context(), slog.LevelInfo) {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", size),
			slog.Duration("dur", dur),
			slog.String("remote", r.RemoteAddr),
		)
	}
}

// recovered, deferred, turns a panic in a handler or a later middleware into *err (a logged 500, with
// the stack), so no panic reaches a client or takes the server down.
func (s *Server) recovered(err *error) {
	if r := recover(); r != nil {
		if r == http.ErrAbortHandler {
			panic(r)
		}
		buf := make([]byte, 4096)
		buf = buf[:runtime.Stack(buf, false)]
		*err = fmt.Errorf("%w: %v\n%s", errPanic, r, buf)
	}
}

// checkQuery refuses query strings longer than Config.MaxQuery (414) before anything parses them.
func (s *Server) checkQuery(c echo.Context) error {
	if q := c.Request().URL.RawQuery; len(q) > s.cfg.MaxQuery {
		return fmt.Errorf("%w: %d bytes, at most %d", errQueryTooLong, len(q), s.cfg.MaxQuery)
	}
	return nil
}
