package server

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"pcnmap/layers"
	"pcnmap/tiles"
)

// The fast path: a request for a tile the cache holds, without a query, a body or an Origin header, is
// answered by serveCachedTile in front of echo, with no router, no middleware closures and no
// allocation of its own; everything else, and any such request whose tile is not cached or whose
// address is wrong, goes to echo as before. It answers exactly as echo's route would (the same
// tileAnswer, the same security and Vary headers as front and the CORS middleware set, the same
// metric series and access log line, panics recovered into the same 500): TestFastPathSameAnswers
// compares the two.

// tileRoute is the route pattern of tiles, as echo names it in the metrics and the log.
const tileRoute = "/tiles/:layer/:z/:x/:y"

// serveHTTP is the server's handler: the fast path for cached tiles, echo for the rest.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.serveCachedTile(w, r) {
		s.echo.ServeHTTP(w, r)
	}
}

// noQuery is the query of a request without one.
func noQuery(string) string { return "" }

// serveCachedTile answers r when it is a GET or HEAD of a cached tile at the tile route with no query,
// no body and no Origin (the CORS middleware answers those), and reports whether it did; it writes
// nothing when it does not.
func (s *Server) serveCachedTile(w http.ResponseWriter, r *http.Request) (served bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawQuery != "" || r.URL.RawPath != "" ||
		r.ContentLength != 0 {
		return false
	}
	if _, ok := r.Header[echo.HeaderOrigin]; ok {
		return false
	}
	layer, z, x, y, ok := splitTilePath(r.URL.Path)
	if !ok {
		return false
	}
	start := time.Now()
	tr, err := s.parseTile(r.Context(), layer, z, x, y, noQuery)
	if err != nil {
		return false // echo answers the error
	}
	c, k := s.tileKey(tr)
	e, ok := c.Cached(k)
	if !ok {
		return false // echo renders it (and counts the miss)
	}
	code, size := 0, int64(0)
	defer func() {
		if p := recover(); p != nil {
			s.fastPanic(w, r, p, code, size, start)
			served = true // answered: echo must not answer again
		}
	}()
	h := w.Header()
	s.setSecurityHeaders(h)
	h[echo.HeaderVary] = s.hdr.varyOrigin // as the CORS middleware sets it
	cc := s.hdr.cacheControl
	if tr.layer == layers.Teams {
		cc = s.hdr.noCache
	}
	code, gz := s.tileAnswer(h, r, e, cc)
	w.WriteHeader(code)
	if code == http.StatusOK {
		if gz {
			var n int
			n, err = w.Write(e.Gzip)
			size = int64(n)
		} else {
			cw := countingWriter{w: w}
			err = gunzipTo(&cw, e.Gzip)
			size = cw.n
		}
		if err != nil {
			s.logInternal(r, err) // what errorHandler does with a failed write: the answer is under way
		}
	}
	dur := time.Since(start)
	s.tileMetrics.observe(s.metrics, code, size, dur)
	s.logRequest(r, tileRoute, code, size, dur)
	return true
}

// fastPanic answers a panic of the fast path as front and errorHandler answer one in echo: a logged
// 500 (unless the answer was under way), counted and logged as a request.
func (s *Server) fastPanic(w http.ResponseWriter, r *http.Request, p any, code int, size int64, start time.Time) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	buf := make([]byte, 4096)
	buf = buf[:runtime.Stack(buf, false)]
	err := fmt.Errorf("%w: %v\n%s", errPanic, p, buf)
	c := s.echo.NewContext(r, w)
	res := c.Response()
	if code != 0 {
		res.Committed, res.Status, res.Size = true, code, size
	}
	s.errorHandler(err, c)
	dur := time.Since(start)
	s.metrics.observe(tileRoute, res.Status, res.Size, dur)
	s.logRequest(r, tileRoute, res.Status, res.Size, dur)
}

// splitTilePath splits "/tiles/LAYER/Z/X/Y" into its four non-empty segments, as echo's router does
// for the tile route.
func splitTilePath(p string) (layer, z, x, y string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/tiles/")
	if !ok {
		return "", "", "", "", false
	}
	layer, rest, ok1 := strings.Cut(rest, "/")
	z, rest, ok2 := strings.Cut(rest, "/")
	x, y, ok3 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !ok3 || layer == "" || z == "" || x == "" || y == "" || strings.Contains(y, "/") {
		return "", "", "", "", false
	}
	return layer, z, x, y, true
}

// countingWriter counts the bytes written through it, as echo's Response counts its Size.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// tileMetrics are the metric series of the tile route, looked up once each (on first use, so that
// /metrics shows the same series echo's path would have made) instead of by label values every
// request.
type tileMetrics struct {
	ok, notModified, noContent atomic.Pointer[prometheus.Counter]
	dur                        atomic.Pointer[prometheus.Observer]
	bytes                      atomic.Pointer[prometheus.Counter]
}

// observe counts one answer of the tile route, as metrics.observe does.
func (t *tileMetrics) observe(m *metrics, code int, size int64, d time.Duration) {
	var req *atomic.Pointer[prometheus.Counter]
	switch code {
	case http.StatusOK:
		req = &t.ok
	case http.StatusNotModified:
		req = &t.notModified
	case http.StatusNoContent:
		req = &t.noContent
	default:
		m.observe(tileRoute, code, size, d)
		return
	}
	series(req, func() prometheus.Counter { return m.requests.WithLabelValues(tileRoute, strconv.Itoa(code)) }).Inc()
	series(&t.dur, func() prometheus.Observer { return m.duration.WithLabelValues(tileRoute) }).Observe(d.Seconds())
	if size > 0 {
		series(&t.bytes, func() prometheus.Counter { return m.bytes.WithLabelValues(tileRoute) }).Add(float64(size))
	}
}

// series returns *p, made by mk the first time; goroutines racing to make it get the same series.
func series[T any](p *atomic.Pointer[T], mk func() T) T {
	if v := p.Load(); v != nil {
		return *v
	}
	v := mk()
	p.Store(&v)
	return v
}

// tileHead is the header values of one cached tile's answers, made once and shared by every answer
// (net/http never modifies a header value it is given).
type tileHead struct {
	gzipLen, size    int
	etag, gzETag     []string
	length, gzLength []string
}

// tileHeads keeps the tileHead of recent tiles by ETag. What a tileHead holds follows from the ETag,
// the gzip size and the uncompressed size, and of checks both sizes, so a tileHead is never stale; at
// maxTileHeads entries the map starts afresh, so it stays small (a few hundred kilobytes).
type tileHeads struct {
	mu sync.RWMutex
	m  map[string]*tileHead
}

const maxTileHeads = 4096

// of returns the header values of e, a non-empty tile.
func (t *tileHeads) of(e tiles.Entry) *tileHead {
	t.mu.RLock()
	th := t.m[e.ETag]
	t.mu.RUnlock()
	if th != nil && th.gzipLen == len(e.Gzip) && th.size == e.Size {
		return th
	}
	th = &tileHead{
		gzipLen: len(e.Gzip), size: e.Size,
		etag: []string{e.ETag}, gzETag: []string{gzETag(e.ETag)},
		length: []string{strconv.Itoa(e.Size)}, gzLength: []string{strconv.Itoa(len(e.Gzip))},
	}
	t.mu.Lock()
	if t.m == nil || len(t.m) >= maxTileHeads {
		t.m = make(map[string]*tileHead)
	}
	t.m[e.ETag] = th
	t.mu.Unlock()
	return th
}
