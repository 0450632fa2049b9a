package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pcnmap/internal/gzpool"
)

// payload is a body ready to send: its bytes, optionally already gzipped, its content type and a
// strong ETag of the uncompressed bytes.
type payload struct {
	body  []byte
	gz    []byte // nil: compressed on the fly when the client accepts gzip and the body is large
	etag  string
	ctype string
}

const (
	mimeJSON = "application/json"
	mimeMVT  = "application/vnd.mapbox-vector-tile"
	// minGzip is the smallest body worth compressing: below it gzip saves less than a packet.
	minGzip = 1024
)

// newPayload computes body's ETag.
func newPayload(body []byte, ctype string) payload {
	return payload{body: body, etag: etagOf(body), ctype: ctype}
}

// compressed returns p with its gzipped bytes computed now, for payloads sent many times.
func (p payload) compressed() (payload, error) {
	if len(p.body) < minGzip {
		return p, nil
	}
	gz, err := gzipBytes(p.body)
	if err != nil {
		return p, err
	}
	p.gz = gz
	return p, nil
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// gzETag is the ETag of the gzip-encoded representation: a strong ETag must differ between
// representations, and gzip bytes are not the identity bytes.
func gzETag(etag string) string {
	if len(etag) < 2 {
		return etag
	}
	return etag[:len(etag)-1] + `-gz"`
}

// writeJSON marshals v and writes it with an ETag (and honours If-None-Match); cache says whether
// clients may cache it for Config.MaxAge.
func (s *Server) writeJSON(c echo.Context, v any, cache bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("server: encode answer: %w", err)
	}
	if cache {
		s.cacheHeaders(c.Response().Header())
	}
	return s.write(c, newPayload(append(b, '\n'), mimeJSON))
}

// write sends p: 304 when If-None-Match names its ETag, gzip when the client accepts it.
func (s *Server) write(c echo.Context, p payload) error {
	r, w := c.Request(), c.Response()
	h := w.Header()
	if h.Get(echo.HeaderCacheControl) == "" {
		s.cacheHeaders(h)
	}
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	gz := len(p.body) >= minGzip && acceptsGzip(r.Header.Get(echo.HeaderAcceptEncoding))
	etag := p.etag
	if gz {
		etag = gzETag(etag)
	}
	h.Set(headerETag, etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	body := p.body
	if gz {
		h.Set(echo.HeaderContentEncoding, "gzip")
		body = p.gz
		if body == nil {
			var err error
			if body, err = gzipBytes(p.body); err != nil {
				return err
			}
		}
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, p.ctype, body)
}

// cacheHeaders sets Cache-Control for answers that only change with the data.
func (s *Server) cacheHeaders(h http.Header) {
	h[echo.HeaderCacheControl] = s.hdr.cacheControl
}

// headers are header values built once and shared by every answer that sends them: assigning a
// shared slice to a canonical key costs nothing per request, and net/http never modifies it.
type headers struct {
	cacheControl, noCache, mvt, gzip []string
	varyOrigin, varyEncoding         []string
	varyOriginEncoding               []string // Vary after the CORS middleware and a tile
	csp, nosniff, deny, noReferrer   []string
}

func newHeaders(maxAge time.Duration) headers {
	cc := "no-cache"
	if maxAge >= 0 {
		cc = "public, max-age=" + strconv.Itoa(int(maxAge.Seconds()))
	}
	return headers{
		cacheControl: []string{cc}, noCache: []string{"no-cache"}, mvt: []string{mimeMVT}, gzip: []string{"gzip"},
		varyOrigin: []string{echo.HeaderOrigin}, varyEncoding: []string{echo.HeaderAcceptEncoding},
		varyOriginEncoding: []string{echo.HeaderOrigin, echo.HeaderAcceptEncoding},
	}
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: "gzip" (or "x-gzip") with a
// non-zero q, or "*" with a non-zero q when gzip isn't named.
func acceptsGzip(header string) bool {
	if header == "" {
		return false
	}
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || !(f >= 0 && f <= 1) {
					f = 0 // a malformed q makes the coding unacceptable rather than guessed at
				}
				q = f
			}
		}
		switch {
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}

// etagMatch reports whether an If-None-Match header names etag (weak comparison, as RFC 9110 asks
// for If-None-Match), or is "*".
func etagMatch(header, etag string) bool {
	if header == "" || etag == "" {
		return false
	}
	for header != "" {
		var tag string
		tag, header, _ = strings.Cut(header, ",")
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		if strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

func gzipBytes(b []byte) ([]byte, error) {
	z, err := gzpool.Compress(b)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return z, nil
}

// gunzipTo decompresses z into w, for clients that don't accept gzip.
func gunzipTo(w io.Writer, z []byte) error {
	if err := gzpool.DecompressTo(w, z); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// headerETag is the canonical form of "ETag", for direct use as a key of an http.Header.
const headerETag = "Etag"

// thresholdKey is a threshold as a cache variant: exact, so 1% and 0.01 share tiles.
func thresholdKey(t float64) string { return strconv.FormatFloat(t, 'g', -1, 64) }
