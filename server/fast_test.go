package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFastPathSameAnswers checks that the fast path answers a cached tile exactly as echo's route
// does, header for header and byte for byte, with gzip, without it, conditionally (304) and for an
// empty tile (204), for HEAD too; and that the log line and the metrics are the same.
func TestFastPathSameAnswers(t *testing.T) {
	for _, cfg := range []Config{{}, {MaxAge: -1}} {
		var logs bytes.Buffer
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "dur" {
				return slog.Attr{}
			}
			return a
		}}))
		s := newTestServer(t, cfg)
		var gzETag, idETag string
		for _, path := range []string{"/tiles/areas/" + z10Trafford + ".mvt", "/tiles/boundaries/" + z10Trafford + ".mvt"} {
			warm := get(t, s.Handler(), path, "Accept-Encoding: gzip") // drawn by echo, cached
			if body(t, warm); warm.StatusCode != 200 {
				t.Fatalf("GET %s: %d", path, warm.StatusCode)
			}
			gzETag = warm.Header.Get("ETag")
			idETag = strings.TrimSuffix(gzETag, `-gz"`) + `"`
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				for _, hdrs := range [][]string{
					{"Accept-Encoding: gzip"}, {"Accept-Encoding: gzip, deflate, br"}, {"Accept-Encoding: identity"}, nil,
					{"Accept-Encoding: gzip", "If-None-Match: " + gzETag}, {"Accept-Encoding: gzip", "If-None-Match: W/" + gzETag},
					{"If-None-Match: " + idETag}, {"If-None-Match: *"}, {"Accept-Encoding: gzip", `If-None-Match: "other"`},
					{"Accept-Encoding: gzip", "If-None-Match: " + idETag}, // the other representation's tag: 200
				} {
					compareFastAndEcho(t, s, &logs, method, path, hdrs)
				}
			}
		}
		// An empty tile (over the sea): 204.
		get(t, s.Handler(), "/tiles/areas/10/0/0.mvt")
		compareFastAndEcho(t, s, &logs, http.MethodGet, "/tiles/areas/10/0/0.mvt", nil)

		// The metrics: the fast path's series are echo's (each answer above was counted once by each).
		m := string(body(t, get(t, s.Handler(), "/metrics")))
		for _, want := range []string{
			`pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="200"} 50`,
			`pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="304"} 32`,
			`pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="204"} 3`,
			`pcnmap_http_request_duration_seconds_count{route="/tiles/:layer/:z/:x/:y"} 85`,
			`pcnmap_tile_cache_misses_total 3`,
			`pcnmap_tile_renders_total 3`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("MaxAge %v: /metrics lacks %s", cfg.MaxAge, want)
			}
		}
	}
}

// compareFastAndEcho requests path from the fast path and from echo alone and fails on any
// difference of status, headers, body or log line; it fails too if the fast path declined it.
func compareFastAndEcho(t *testing.T, s *Server, logs *bytes.Buffer, method, path string, hdrs []string) {
	t.Helper()
	req := func() *http.Request {
		r := httptest.NewRequest(method, path, nil)
		for _, kv := range hdrs {
			k, v, _ := strings.Cut(kv, ": ")
			r.Header.Set(k, v)
		}
		return r
	}
	logs.Reset()
	fast := httptest.NewRecorder()
	if !s.serveCachedTile(fast, req()) {
		t.Fatalf("%s %s %q: the fast path declined a cached tile", method, path, hdrs)
	}
	fastLog := logs.String()
	logs.Reset()
	slow := httptest.NewRecorder()
	s.echo.ServeHTTP(slow, req())
	slowLog := logs.String()
	what := method + " " + path + " " + strings.Join(hdrs, "; ")
	if fast.Code != slow.Code {
		t.Errorf("%s: status %d on the fast path, %d through echo", what, fast.Code, slow.Code)
	}
	for _, k := range unionKeys(fast.Header(), slow.Header()) {
		if f, e := fast.Header()[k], slow.Header()[k]; !slices.Equal(f, e) {
			t.Errorf("%s: %s %q on the fast path, %q through echo", what, k, f, e)
		}
	}
	if !bytes.Equal(fast.Body.Bytes(), slow.Body.Bytes()) {
		t.Errorf("%s: %d body bytes on the fast path, %d through echo, or different", what, fast.Body.Len(), slow.Body.Len())
	}
	if fastLog != slowLog || !strings.Contains(fastLog, "route=/tiles/:layer/:z/:x/:y") {
		t.Errorf("%s: logged\n%s on the fast path,\n%s through echo", what, fastLog, slowLog)
	}
}

func unionKeys(a, b http.Header) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// TestFastPathDeclines checks that what the fast path must leave to echo goes to echo: a query, an
// Origin (CORS), a body, an escaped path, another method, a tile not cached, a bad address, other routes.
func TestFastPathDeclines(t *testing.T) {
	s := newTestServer(t, Config{})
	tile := "/tiles/areas/" + z10Trafford + ".mvt"
	get(t, s.Handler(), tile) // cached
	for _, tc := range []struct {
		method, path string
		hdrs         []string
		body         string
	}{
		{"GET", tile + "?threshold=0.01", nil, ""},
		{"GET", tile, []string{"Origin: https://a.example"}, ""},
		{"GET", tile, nil, "x"},
		{"POST", tile, nil, ""},
		{"OPTIONS", tile, []string{"Origin: https://a.example", "Access-Control-Request-Method: GET"}, ""},
		{"GET", "/tiles/areas/10/505/%33%33%31.mvt", nil, ""},
		{"GET", "/tiles/areas/10/505/332.mvt", nil, ""}, // not drawn yet
		{"GET", "/tiles/areas/10/505/331.png", nil, ""},
		{"GET", "/tiles/areas/10/505/331.mvt/", nil, ""},
		{"GET", "/tiles/areas//505/331.mvt", nil, ""},
		{"GET", "/tiles/nosuch/" + z10Trafford + ".mvt", nil, ""},
		{"GET", "/tiles/pcn/" + z10Trafford + ".mvt", nil, ""},
		{"GET", "/tiles/areas.json", nil, ""},
		{"GET", "/healthz", nil, ""},
	} {
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.body == "" {
			r = httptest.NewRequest(tc.method, tc.path, nil)
		}
		for _, kv := range tc.hdrs {
			k, v, _ := strings.Cut(kv, ": ")
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		if s.serveCachedTile(rec, r) {
			t.Errorf("%s %s %q: answered by the fast path", tc.method, tc.path, tc.hdrs)
		}
		if len(rec.Header()) != 0 || rec.Body.Len() != 0 || rec.Code != 200 || rec.Flushed {
			t.Errorf("%s %s: the fast path declined but wrote (%d, %v)", tc.method, tc.path, rec.Code, rec.Header())
		}
	}
	// With an Origin the answer is echo's CORS answer.
	res := get(t, s.Handler(), tile, "Origin: https://a.example", "Accept-Encoding: gzip")
	if body(t, res); res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Errorf("a tile with an Origin: %d, %v", res.StatusCode, res.Header)
	}
}

// TestFastPathOverHTTP checks that the server's handler is the fast path in front of echo, and that a
// cached tile goes over a real connection whole, gzipped, with its Content-Length.
func TestFastPathOverHTTP(t *testing.T) {
	s := newTestServer(t, Config{})
	if _, ok := s.Handler().(http.HandlerFunc); !ok {
		t.Fatalf("Handler is %T, want the fast path's HandlerFunc", s.Handler())
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c := ts.Client()
	c.Timeout = 10 * time.Second
	tile := ts.URL + "/tiles/areas/" + z10Trafford + ".mvt"
	for i, want := range []int{200, 200} { // drawn by echo, then from the fast path
		req, _ := http.NewRequest(http.MethodGet, tile, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, res)
		if res.StatusCode != want || res.Header.Get("Content-Encoding") != "gzip" || res.ContentLength != int64(len(b)) {
			t.Errorf("request %d: %d, Content-Encoding %q, Content-Length %d for %d bytes", i, res.StatusCode, res.Header.Get("Content-Encoding"), res.ContentLength, len(b))
		}
	}
}

// panicWriter panics when the body is written.
type panicWriter struct{ *httptest.ResponseRecorder }

func (panicWriter) Write([]byte) (int, error) { panic("the connection's writer panicked") }

// TestFastPathRecovers checks that a panic while a cached tile is written is recovered and logged as
// echo's path recovers and logs it, and the request is still counted.
func TestFastPathRecovers(t *testing.T) {
	var logs bytes.Buffer
	s := newTestServer(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	tile := "/tiles/areas/" + z10Trafford + ".mvt"
	get(t, s.Handler(), tile)
	for name, h := range map[string]http.Handler{"fast path": s.Handler(), "echo": s.echo} {
		logs.Reset()
		w := panicWriter{httptest.NewRecorder()}
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tile, nil))
		l := logs.String()
		if !strings.Contains(l, "internal error") || !strings.Contains(l, "the connection's writer panicked") || !strings.Contains(l, "status=200") {
			t.Errorf("%s: a panic while writing logged\n%s", name, l)
		}
	}
	m := string(body(t, get(t, s.Handler(), "/metrics")))
	if want := `pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="200"} 3`; !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %s:\n%s", want, m)
	}
}
