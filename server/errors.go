package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"pcnmap/geo"
	"pcnmap/neighbourhoods"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// Errors the handlers return; errorHandler turns them into statuses. Wrap them with the detail the
// client should see: fmt.Errorf("%w: unknown layer %q", errNotFound, name).
var (
	errBadRequest    = errors.New("bad request")
	errNotFound      = errors.New("not found")
	errQueryTooLong  = errors.New("query string too long")
	errNoWorkspace   = fmt.Errorf("%w: no workspace is loaded: this server serves pre-built tiles only", errNotFound)
	errNoTeams       = fmt.Errorf("%w: team footprints need a workspace: this server was started without one (pcnmap serve --db)", errNotFound)
	errUnauthorized  = errors.New("a valid bearer token is needed: Authorization: Bearer TOKEN")
	errForbidden     = errors.New("writes are disabled: start the server with --token-file, PCNMAP_TOKEN or --token")
	errConflict      = errors.New("conflict")
	errTooLarge      = errors.New("request body too large")
	errOverloaded    = errors.New("the server is busy with other uploads; try again shortly")
	errBudget        = errors.New("the file took too long to read: simplify its polygons or split it")
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
	var (
		he       *echo.HTTPError
		tooLarge *http.MaxBytesError
		readErr  *geo.ReadError
		pathErr  *fs.PathError
	)
	switch {
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		return he.Code, msg
	case errors.Is(err, errQueryTooLong):
		return http.StatusRequestURITooLong, err.Error()
	case errors.As(err, &tooLarge), errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge, errTooLarge.Error() + tooLargeLimit(tooLarge)
	case errors.Is(err, errBusy):
		return http.StatusTooManyRequests, err.Error()
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, errOverloaded), errors.Is(err, store.ErrBusy):
		return http.StatusServiceUnavailable, strings.TrimPrefix(rootMessage(err), "store: ")
	case errors.Is(err, errUploadStalled), errors.Is(err, errUploadSlow):
		return http.StatusRequestTimeout, err.Error()
	case errors.Is(err, errBudget):
		return http.StatusUnprocessableEntity, errBudget.Error()
	case errors.Is(err, errConflict), errors.Is(err, store.ErrTeamSetExists):
		return http.StatusConflict, err.Error()
	case errors.Is(err, teams.ErrInput), errors.Is(err, teams.ErrUnknownCode), errors.Is(err, teams.ErrNoTeam),
		errors.Is(err, store.ErrNoLSOAPolygons), errors.Is(err, neighbourhoods.ErrInput), errors.Is(err, neighbourhoods.ErrNoPolygons),
		errors.Is(err, overlap.ErrMembership):
		return http.StatusBadRequest, err.Error()
	case errors.As(err, &readErr) && !errors.As(err, &pathErr):
		// Bad polygons in an upload; a failing temporary file (a PathError) is ours, not the client's.
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, tiles.ErrOutOfRange), errors.Is(err, overlap.ErrThreshold), errors.Is(err, errBadRequest):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errNotFound), errors.Is(err, geo.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return statusClientGone, errClientGone.Error()
	}
	return http.StatusInternalServerError, "internal error"
}

// retryAfter is the Retry-After of a 503, in seconds: a busy workspace or a full upload queue clears
// in about that time.
const retryAfter = "5"

// rootMessage is the text of err's sentinel for ErrBusy, without the file path SQLite's error names.
func rootMessage(err error) string {
	if errors.Is(err, store.ErrBusy) {
		return store.ErrBusy.Error()
	}
	return err.Error()
}

// tooLargeLimit says what the limit was, when the error knows it.
func tooLargeLimit(e *http.MaxBytesError) string {
	if e == nil {
		return ""
	}
	return fmt.Sprintf(": at most %d bytes", e.Limit)
}

// logInternal logs err when it is an internal error (a 5xx), and returns its status and message.
func (s *Server) logInternal(r *http.Request, err error) (int, string) {
	code, msg := status(err)
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return code, msg
}

// errorHandler is echo's HTTPErrorHandler: it answers an error as JSON with the status from status,
// and logs internal errors.
func (s *Server) errorHandler(err error, c echo.Context) {
	code, msg := s.logInternal(c.Request(), err)
	r := c.Request()
	if c.Response().Committed {
		return
	}
	if code == statusClientGone {
		// Nobody is listening; record the status for the request log without writing a body.
		c.Response().Status = code
		return
	}
	h := c.Response().Header()
	if code == http.StatusServiceUnavailable {
		h.Set(echo.HeaderRetryAfter, retryAfter)
	}
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
