package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

var fuzzServer struct {
	once sync.Once
	s    *Server
}

// FuzzTilePath sends arbitrary paths and queries under /tiles/ through the whole handler (routing,
// middleware, parsing, rendering, error mapping): the answer is never a 500 or a panic, errors are
// JSON, and a 200 is a tile.
func FuzzTilePath(f *testing.F) {
	for _, seed := range []string{
		"areas/10/505/331.mvt", "areas/0/0/0.mvt?threshold=5%25", "areas/99/0/0.mvt", "areas/1/-1/0.mvt",
		"areas/3/8/0.mvt", "areas/a/b/c.mvt", "pcn/8/126/82.mvt?pcn=U00203", "pcn/8/126/82.mvt",
		"boundaries/8/126/82.mvt", "areas.json?threshold=0", "pcn.json?pcn=x", "nope/1/0/0.mvt",
		"areas/22/4194303/4194303.mvt", "areas/1/0/0.mvt?threshold=1e400", "areas/1/0/0.mvt?threshold=%00",
		"areas//0/0.mvt", "areas/1/0/0.mvt.mvt", "areas/%2e%2e/0/0.mvt", "areas/4294967297/0/0.mvt",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		fuzzServer.once.Do(func() { fuzzServer.s = newTestServer(t, Config{}) })
		u, err := url.Parse("/tiles/" + rest)
		if err != nil || u.Host != "" || u.Scheme != "" {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL, req.RequestURI = u, u.RequestURI()
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		fuzzServer.s.Handler().ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("GET /tiles/%s = %d %s", rest, rec.Code, rec.Body.Bytes())
		case rec.Code >= 400:
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("GET /tiles/%s = %d with body %q, want a JSON error", rest, rec.Code, rec.Body.Bytes())
			}
		case rec.Code == 200 && strings.HasSuffix(u.Path, ".mvt"):
			decodeTile(t, rec.Body.Bytes())
		}
	})
}

// FuzzAcceptsGzip checks that any Accept-Encoding header is parsed without a panic, and that naming
// gzip alone always accepts it.
func FuzzAcceptsGzip(f *testing.F) {
	for _, seed := range []string{"", "gzip", "gzip;q=0", "*;q=0.5, gzip;q=0", "br, deflate", "gzip;q=abc;;,,"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		acceptsGzip(h)
		etagMatch(h, `"x"`)
		if strings.TrimSpace(h) == "gzip" && !acceptsGzip(h) {
			t.Errorf("acceptsGzip(%q) = false", h)
		}
	})
}
