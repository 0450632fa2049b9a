package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/tiles"
)

// Errors the handlers return; errorHandler turns them into statuses. Wrap them with the detail the
// client should see: fmt.Errorf("%w: unknown layer %q", errNotFound, name).
var (
	errBadRequest    = errors.New("bad request")
	errNotFound      = errors.New("not found")
	errQueryTooLong  = errors.New("query string too long")
	errNoWorkspace   = fmt.Errorf("%w: no workspace is loaded: this server serves pre-built tiles only", errNotFound)
	errPanic         = errors.New("server: handler panicked")
	errClientGone    = errors.New("request cancelled")
	statusClientGone = 499 // nginx's "client closed request", for logs and metrics only
)

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// status maps an error to its HTTP status and the message the client may see. It is the only place
// that knows which error means which status; anything it does not know is an internal error whose text
// stays in the log.
func status(err error) (int, string) {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		return he.Code, msg
	case errors.Is(err, errQueryTooLong):
		return http.StatusRequestURITooLong, err.Error()
	case errors.Is(err, tiles.ErrOutOfRange), errors.Is(err, overlap.ErrThreshold), errors.Is(err, errBadRequest):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errNotFound), errors.Is(err, geo.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return statusClientGone, errClientGone.Error()
	}
	return http.StatusInternalServerError, "internal error"
}

// errorHandler is echo's HTTPErrorHandler: it answers an error as JSON with the status from status,
// and logs internal errors.
func (s *Server) errorHandler(err error, c echo.Context) {
	code, msg := status(err)
	r := c.Request()
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if c.Response().Committed {
		return
	}
	if code == statusClientGone {
		// Nobody is listening; record the status for the request log without writing a body.
		c.Response().Status = code
		return
	}
	h := c.Response().Header()
	h.Del(echo.HeaderContentEncoding)
	h.Del(headerETag)
	h.Set(echo.HeaderCacheControl, "no-store")
	if r.Method == http.MethodHead {
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c.NoContent(code)
		return
	}
	if werr := c.JSON(code, errorBody{Error: msg}); werr != nil {
		s.log.DebugContext(r.Context(), "writing an error answer", "err", werr)
	}
}
