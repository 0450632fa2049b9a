package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"

	"pcnmap/fixtures"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/tiles"
)

// Fixture facts the tests lean on: a Trafford MSOA, a Trafford PCN, and tiles over Trafford.
const (
	traffordArea = "E02001259"
	z10Trafford  = "10/505/331"
)

func fixtureDataset(tb testing.TB) *overlap.Dataset {
	tb.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// newTestServer builds a server over the fixture release; each test gets its own (and so its own
// cache).
func newTestServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := New(context.Background(), cfg, Data{Dataset: fixtureDataset(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// get requests path from h with the given headers ("Name: value").
func get(tb testing.TB, h http.Handler, path string, headers ...string) *http.Response {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res
}

func body(tb testing.TB, res *http.Response) []byte {
	tb.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeTile gunzips (when gzipped) and decodes a tile with orb's independent decoder.
func decodeTile(tb testing.TB, b []byte) mvt.Layers {
	tb.Helper()
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			tb.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		tb.Fatalf("mvt.Unmarshal: %v", err)
	}
	return layers
}

// openAPIRouter loads the served document and checks that it is a valid OpenAPI 3 document.
func openAPIRouter(tb testing.TB) routers.Router {
	tb.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		tb.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://example.com"}}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// checkAgainstOpenAPI validates a response (status, headers, content type and body) against the
// operation the document has for its request.
func checkAgainstOpenAPI(tb testing.TB, router routers.Router, res *http.Response, b []byte) {
	tb.Helper()
	req := res.Request.Clone(context.Background())
	req.URL = &url.URL{Scheme: "http", Host: "example.com", Path: res.Request.URL.Path, RawQuery: res.Request.URL.RawQuery}
	route, params, err := router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound {
			return // a path the document doesn't describe; the caller checks the JSON error
		}
		tb.Fatalf("%s: not in openapi.json: %v", res.Request.URL, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			tb.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true}
	if strings.HasPrefix(res.Header.Get("Content-Type"), mimeMVT) {
		opts.ExcludeResponseBody = true
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(b)), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		tb.Errorf("%s: %d answer does not match openapi.json: %v", res.Request.URL, res.StatusCode, err)
	}
}

// TestRoutes asks every route for a good and, where there is one, a bad answer, and checks each
// against the OpenAPI document.
func TestRoutes(t *testing.T) {
	s := newTestServer(t, Config{})
	router := openAPIRouter(t)
	d := s.d
	pcn := d.PCNs[d.AreaCells(mustArea(t, d, traffordArea))[0].PCN].Code
	tests := map[string]struct {
		path   string
		status int
		ctype  string
	}{
		"tile areas":              {"/tiles/areas/" + z10Trafford + ".mvt", 200, mimeMVT},
		"tile areas threshold":    {"/tiles/areas/" + z10Trafford + ".mvt?threshold=5%25", 200, mimeMVT},
		"tile pcn":                {"/tiles/pcn/" + z10Trafford + ".mvt?pcn=" + pcn, 200, mimeMVT},
		"tile boundaries":         {"/tiles/boundaries/" + z10Trafford + ".mvt", 200, mimeMVT},
		"tile empty":              {"/tiles/areas/10/0/0.mvt", 204, ""},
		"tile bad z":              {"/tiles/areas/99/0/0.mvt", 400, mimeJSON},
		"tile pcn missing":        {"/tiles/pcn/" + z10Trafford + ".mvt", 404, mimeJSON},
		"tilejson areas":          {"/tiles/areas.json", 200, mimeJSON},
		"tilejson areas 5%":       {"/tiles/areas.json?threshold=5%25", 200, mimeJSON},
		"tilejson pcn":            {"/tiles/pcn.json?pcn=" + pcn, 200, mimeJSON},
		"tilejson boundaries":     {"/tiles/boundaries.json", 200, mimeJSON},
		"tilejson unknown":        {"/tiles/nope.json", 404, mimeJSON},
		"area":                    {"/api/areas/" + traffordArea, 200, mimeJSON},
		"area lower case":         {"/api/areas/" + strings.ToLower(traffordArea) + "?threshold=0", 200, mimeJSON},
		"area unknown":            {"/api/areas/E02999999", 404, mimeJSON},
		"area bad threshold":      {"/api/areas/" + traffordArea + "?threshold=150%25", 400, mimeJSON},
		"pcn":                     {"/api/pcns/" + pcn, 200, mimeJSON},
		"pcn core":                {"/api/pcns/" + pcn + "?core=50%25&threshold=2%25", 200, mimeJSON},
		"pcn unknown":             {"/api/pcns/U99999", 404, mimeJSON},
		"pcn bad core":            {"/api/pcns/" + pcn + "?core=0", 400, mimeJSON},
		"overlaps":                {"/api/pcns/" + pcn + "/overlaps", 200, mimeJSON},
		"overlaps unknown":        {"/api/pcns/U99999/overlaps", 404, mimeJSON},
		"summary":                 {"/api/summary", 200, mimeJSON},
		"summary 5%":              {"/api/summary?threshold=5%25", 200, mimeJSON},
		"summary bad threshold":   {"/api/summary?threshold=5", 400, mimeJSON},
		"search code":             {"/api/search?q=" + traffordArea[:6], 200, mimeJSON},
		"search name":             {"/api/search?q=trafford&limit=5", 200, mimeJSON},
		"search word":             {"/api/search?q=north", 200, mimeJSON},
		"search nothing":          {"/api/search?q=zzzzzz", 200, mimeJSON},
		"search empty":            {"/api/search?q=", 400, mimeJSON},
		"search bad limit":        {"/api/search?q=a&limit=1000", 400, mimeJSON},
		"lookup":                  {"/api/lookup?lon=-2.3&lat=53.45", 200, mimeJSON},
		"lookup outside":          {"/api/lookup?lon=0&lat=0", 404, mimeJSON},
		"lookup bad":              {"/api/lookup?lon=x&lat=53", 400, mimeJSON},
		"lookup missing":          {"/api/lookup?lon=-2.3", 400, mimeJSON},
		"openapi":                 {"/api/openapi.json", 200, mimeJSON},
		"healthz":                 {"/healthz", 200, mimeJSON},
		"metrics":                 {"/metrics", 200, "text/plain"},
		"query too long":          {"/api/summary?threshold=" + strings.Repeat("1", 10<<10), 414, mimeJSON},
		"unknown api route":       {"/api/nope", 404, mimeJSON},
		"unknown tile layer":      {"/tiles/nope/1/0/0.mvt", 404, mimeJSON},
		"index":                   {"/", 200, "text/html"},
		"web file missing":        {"/web/nope.js", 404, mimeJSON},
		"tile without .mvt":       {"/tiles/areas/1/0/0.png", 404, mimeJSON},
		"tile negative x":         {"/tiles/areas/1/-1/0.mvt", 400, mimeJSON},
		"tile threshold too high": {"/tiles/areas/1/0/0.mvt?threshold=150%25", 400, mimeJSON},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, enc := range []string{"gzip", "identity"} {
				res := get(t, s.Handler(), tc.path, "Accept-Encoding: "+enc)
				b := body(t, res)
				if res.StatusCode != tc.status {
					t.Fatalf("GET %s (%s) = %d %s, want %d", tc.path, enc, res.StatusCode, b, tc.status)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) || (tc.ctype == "" && ct != "") {
					t.Errorf("GET %s: Content-Type %q, want %q", tc.path, ct, tc.ctype)
				}
				if tc.status >= 400 {
					var e errorBody
					if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
						t.Errorf("GET %s: error body %q is not {\"error\": …}", tc.path, b)
					}
				}
				if enc == "identity" && res.Header.Get("Content-Encoding") != "" {
					t.Errorf("GET %s: Content-Encoding %q for a client that accepts only identity", tc.path, res.Header.Get("Content-Encoding"))
				}
				if tc.path == "/metrics" || tc.path == "/" || strings.HasPrefix(tc.path, "/web/") {
					continue
				}
				checkAgainstOpenAPI(t, router, res, b)
			}
		})
	}
}

func mustArea(tb testing.TB, d *overlap.Dataset, code string) int {
	tb.Helper()
	a, ok := d.Area(code)
	if !ok {
		tb.Fatalf("fixture has no area %s", code)
	}
	return a
}

// TestBadTileRequests checks that every malformed tile address is a 400 or 404 with a JSON error,
// never a 500.
func TestBadTileRequests(t *testing.T) {
	s := newTestServer(t, Config{})
	tests := map[string]struct {
		path   string
		status int
	}{
		"z=99":              {"/tiles/areas/99/0/0.mvt", 400},
		"z=23":              {"/tiles/areas/23/0/0.mvt", 400},
		"x=-1":              {"/tiles/areas/3/-1/0.mvt", 400},
		"y=-1":              {"/tiles/areas/3/0/-1.mvt", 400},
		"x=2^z":             {"/tiles/areas/3/8/0.mvt", 400},
		"y=2^z":             {"/tiles/areas/3/0/8.mvt", 400},
		"x huge":            {"/tiles/areas/3/99999999999999999999/0.mvt", 400},
		"z non-numeric":     {"/tiles/areas/a/0/0.mvt", 400},
		"x non-numeric":     {"/tiles/areas/3/x/0.mvt", 400},
		"y non-numeric":     {"/tiles/areas/3/0/y.mvt", 400},
		"leading zero":      {"/tiles/areas/03/0/0.mvt", 400},
		"plus sign":         {"/tiles/areas/3/+1/0.mvt", 400},
		"float":             {"/tiles/areas/3/1.5/0.mvt", 400},
		"empty y":           {"/tiles/areas/3/0/.mvt", 400},
		"threshold=150%":    {"/tiles/areas/3/0/0.mvt?threshold=150%25", 400},
		"threshold=-1%":     {"/tiles/areas/3/0/0.mvt?threshold=-1%25", 400},
		"threshold=5":       {"/tiles/areas/3/0/0.mvt?threshold=5", 400},
		"threshold=NaN":     {"/tiles/areas/3/0/0.mvt?threshold=NaN", 400},
		"threshold=abc":     {"/tiles/areas/3/0/0.mvt?threshold=abc", 400},
		"unknown layer":     {"/tiles/roads/3/0/0.mvt", 404},
		"unknown pcn":       {"/tiles/pcn/3/0/0.mvt?pcn=U00000", 404},
		"missing pcn":       {"/tiles/pcn/3/0/0.mvt", 404},
		"no .mvt":           {"/tiles/areas/3/0/0", 404},
		"too many segments": {"/tiles/areas/3/0/0/0.mvt", 404},
		"10 KB query":       {"/tiles/areas/3/0/0.mvt?q=" + strings.Repeat("x", 10<<10), 414},
		"unknown tilejson":  {"/tiles/roads.json", 404},
		"tilejson no pcn":   {"/tiles/pcn.json", 404},
		"unknown area":      {"/api/areas/nope", 404},
		"unknown pcn api":   {"/api/pcns/nope", 404},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := get(t, s.Handler(), tc.path)
			b := body(t, res)
			if res.StatusCode != tc.status {
				t.Fatalf("GET %s = %d %s, want %d", clip(tc.path), res.StatusCode, b, tc.status)
			}
			var e errorBody
			if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
				t.Errorf("GET %s: body %q is not a JSON error", clip(tc.path), b)
			}
		})
	}
}

// TestInternalErrorsAreHidden checks that an unknown error is a logged 500 saying only "internal
// error", and that a panic in a handler is one too.
func TestInternalErrorsAreHidden(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, Config{Logger: newLogger(&logs)})
	s.echo.GET("/test/fail", func(c echoContext) error { return errors.New("secret database detail") })
	s.echo.GET("/test/panic", func(c echoContext) error { panic("secret panic detail") })
	for _, path := range []string{"/test/fail", "/test/panic"} {
		res := get(t, s.Handler(), path)
		b := body(t, res)
		if res.StatusCode != 500 || strings.TrimSpace(string(b)) != `{"error":"internal error"}` {
			t.Errorf("GET %s = %d %s, want 500 {\"error\":\"internal error\"}", path, res.StatusCode, b)
		}
	}
	if !strings.Contains(logs.String(), "secret database detail") || !strings.Contains(logs.String(), "secret panic detail") {
		t.Errorf("internal errors were not logged: %s", logs.String())
	}
}

// TestThresholdChangesCounts checks that the pcns attribute of the areas layer is exactly
// overlap's count at the requested threshold, for every feature of tiles at several zooms.
func TestThresholdChangesCounts(t *testing.T) {
	s := newTestServer(t, Config{})
	d := s.d
	tests := map[string]float64{"0": 0, "1%": 0.01, "5%25": 0.05, "0.2": 0.2}
	for q, th := range tests {
		want := d.Counts(nil, th)
		for _, tile := range []string{"6/31/20", "8/126/82", z10Trafford} {
			res := get(t, s.Handler(), "/tiles/areas/"+tile+".mvt?threshold="+q)
			if res.StatusCode != 200 {
				t.Fatalf("tile %s at %s: status %d", tile, q, res.StatusCode)
			}
			layers := decodeTile(t, body(t, res))
			if len(layers) != 1 || len(layers[0].Features) == 0 {
				t.Fatalf("tile %s: %d layers", tile, len(layers))
			}
			for _, f := range layers[0].Features {
				i := featureIndex(t, f)
				if got := f.Properties["pcns"]; got != float64(want[i]) {
					t.Errorf("tile %s threshold %s: area %s pcns = %v, want %d", tile, q, d.Areas[i].Code, got, want[i])
				}
				if f.Properties["code"] != d.Areas[i].Code {
					t.Errorf("tile %s: feature id %d has code %v, want %s", tile, i+1, f.Properties["code"], d.Areas[i].Code)
				}
			}
		}
	}
	// 1% written two ways is one cache entry.
	before := s.cache.Stats().Renders
	get(t, s.Handler(), "/tiles/areas/"+z10Trafford+".mvt?threshold=0.01")
	if r := s.cache.Stats().Renders; r != before {
		t.Errorf("threshold=0.01 rendered again after 1%%: %d renders, want %d", r, before)
	}
}

// TestETag checks strong ETags and 304s on tiles, TileJSON, API answers and the OpenAPI document,
// and that the gzip and identity representations have different ETags.
func TestETag(t *testing.T) {
	s := newTestServer(t, Config{MaxAge: 5 * time.Minute})
	for _, path := range []string{"/tiles/areas/" + z10Trafford + ".mvt", "/tiles/areas.json", "/api/areas/" + traffordArea, "/api/summary", "/api/openapi.json"} {
		t.Run(path, func(t *testing.T) {
			etags := map[string]string{}
			for _, enc := range []string{"gzip", "identity"} {
				res := get(t, s.Handler(), path, "Accept-Encoding: "+enc)
				body(t, res)
				etag := res.Header.Get("ETag")
				if res.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) {
					t.Fatalf("GET %s: %d, ETag %q: want 200 and a strong ETag", path, res.StatusCode, etag)
				}
				if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=300" {
					t.Errorf("GET %s: Cache-Control %q", path, cc)
				}
				if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") {
					t.Errorf("GET %s: Vary %q lacks Accept-Encoding", path, vary)
				}
				etags[enc+res.Header.Get("Content-Encoding")] = etag
				for name, inm := range map[string]string{"exact": etag, "list": `"x", ` + etag, "weak": "W/" + etag, "star": "*"} {
					res := get(t, s.Handler(), path, "Accept-Encoding: "+enc, "If-None-Match: "+inm)
					if b := body(t, res); res.StatusCode != 304 || len(b) != 0 {
						t.Errorf("GET %s If-None-Match %s (%s) = %d with %d bytes, want 304 and no body", path, name, enc, res.StatusCode, len(b))
					}
					if res.Header.Get("ETag") != etag {
						t.Errorf("304 ETag %q, want %q", res.Header.Get("ETag"), etag)
					}
				}
				res = get(t, s.Handler(), path, "Accept-Encoding: "+enc, `If-None-Match: "other"`)
				if body(t, res); res.StatusCode != 200 {
					t.Errorf("GET %s with a stale ETag = %d, want 200", path, res.StatusCode)
				}
			}
			if gz, ok := etags["gzipgzip"]; ok && gz == etags["identity"] {
				t.Errorf("gzip and identity share ETag %s", gz)
			}
		})
	}
}

// TestEncoding checks that tiles are sent gzipped when the client accepts gzip and decompressed
// otherwise, that both decode to the same tile, and that nothing is compressed twice.
func TestEncoding(t *testing.T) {
	s := newTestServer(t, Config{})
	path := "/tiles/areas/" + z10Trafford + ".mvt"
	var identity []byte
	tests := map[string]bool{
		"":                        false,
		"identity":                false,
		"gzip":                    true,
		"gzip, deflate, br":       true,
		"br;q=1.0, gzip;q=0.8":    true,
		"gzip;q=0":                false,
		"*":                       true,
		"*, gzip;q=0":             false,
		"deflate":                 false,
		"GZIP":                    true,
		"x-gzip":                  true,
		"gzip;q=abc":              false,
		"identity;q=1, *;q=0":     false,
		"compress, gzip;q=0.001 ": true,
	}
	for header, wantGzip := range tests {
		res := get(t, s.Handler(), path, "Accept-Encoding: "+header)
		b := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("Accept-Encoding %q: %d", header, res.StatusCode)
		}
		isGzip := res.Header.Get("Content-Encoding") == "gzip"
		if isGzip != wantGzip {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want gzip=%v", header, res.Header.Get("Content-Encoding"), wantGzip)
		}
		if isGzip {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			if b[0] == 0x1f && b[1] == 0x8b {
				t.Fatalf("Accept-Encoding %q: tile compressed twice", header)
			}
		} else if res.Header.Get("Content-Length") != fmt.Sprint(len(b)) {
			t.Errorf("identity Content-Length %s, body %d bytes", res.Header.Get("Content-Length"), len(b))
		}
		if identity == nil {
			identity = b
		} else if !bytes.Equal(identity, b) {
			t.Errorf("Accept-Encoding %q: a different tile", header)
		}
		decodeTile(t, b)
	}
}

// TestColdTileRenderedOnce asks for one cold tile from 100 goroutines at once: it is rendered once
// and every request gets the same bytes.
func TestColdTileRenderedOnce(t *testing.T) {
	s := newTestServer(t, Config{})
	path := "/tiles/areas/8/126/82.mvt?threshold=3%25"
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([][]byte, 100)
	status := make([]int, 100)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			status[i], results[i] = rec.Code, rec.Body.Bytes()
		}()
	}
	close(start)
	wg.Wait()
	for i := range results {
		if status[i] != 200 || !bytes.Equal(results[i], results[0]) {
			t.Fatalf("request %d: status %d, %d bytes; want 200 and the same tile as the first", i, status[i], len(results[i]))
		}
	}
	st := s.side.Stats() // 3% is not the default threshold: its tiles live in the side cache
	if st.Renders != 1 {
		t.Errorf("%d renders of one cold tile asked for 100 times, want 1", st.Renders)
	}
	if st.Hits+st.Misses != 100 || st.Misses < 1 {
		t.Errorf("cache hits %d + misses %d, want 100 lookups with at least one miss", st.Hits, st.Misses)
	}
}

// TestEmptyTile checks 204 for tiles with no feature, in every layer.
func TestEmptyTile(t *testing.T) {
	s := newTestServer(t, Config{})
	pcn := s.d.PCNs[0].Code
	for _, path := range []string{"/tiles/areas/10/0/0.mvt", "/tiles/boundaries/5/0/0.mvt", "/tiles/pcn/10/0/0.mvt?pcn=" + pcn} {
		res := get(t, s.Handler(), path, "Accept-Encoding: gzip")
		if b := body(t, res); res.StatusCode != 204 || len(b) != 0 || res.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s = %d, %d bytes, Content-Encoding %q; want 204, empty", path, res.StatusCode, len(b), res.Header.Get("Content-Encoding"))
		}
	}
}

// TestPCNLayer checks the pcn layer holds exactly the areas where the PCN has patients, with its
// shares.
func TestPCNLayer(t *testing.T) {
	s := newTestServer(t, Config{})
	d := s.d
	a := mustArea(t, d, traffordArea)
	p := int(d.AreaCells(a)[0].PCN)
	patients := map[int]int32{}
	d.PCNCells(p, func(c overlap.Cell) {
		if c.Patients > 0 {
			patients[int(c.Area)] = c.Patients
		}
	})
	res := get(t, s.Handler(), "/tiles/pcn/8/126/82.mvt?pcn="+strings.ToLower(d.PCNs[p].Code))
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	layers := decodeTile(t, body(t, res))
	if len(layers) != 1 || layers[0].Name != "pcn" {
		t.Fatalf("layers %v", layers)
	}
	seen := 0
	for _, f := range layers[0].Features {
		i := featureIndex(t, f)
		n, ok := patients[i]
		if !ok {
			t.Errorf("area %s in the layer, but PCN %s has no patients there", d.Areas[i].Code, d.PCNs[p].Code)
			continue
		}
		seen++
		if f.Properties["patients"] != float64(n) || f.Properties["pcn"] != d.PCNs[p].Code {
			t.Errorf("area %s: properties %v, want patients %d", d.Areas[i].Code, f.Properties, n)
		}
		share := f.Properties["share"].(float64)
		if want := d.Share(i, n); share < want-5e-5 || share > want+5e-5 {
			t.Errorf("area %s: share %v, want %v", d.Areas[i].Code, share, want)
		}
	}
	if seen == 0 {
		t.Error("no areas in the pcn layer")
	}
}

// TestAPIAgreesWithOverlap checks the PCN answers against overlap.PCNMetrics and the area answers
// against AreaAt, for every PCN and area of the fixture.
func TestAPIAgreesWithOverlap(t *testing.T) {
	s := newTestServer(t, Config{})
	d := s.d
	const th = 0.02
	am := d.AreaMetrics(nil, th)
	pm := d.PCNMetrics(nil, th, overlap.DefaultCore, am)
	for p := range d.PCNs {
		got, want := s.pcn(p, th, overlap.DefaultCore), pm[p]
		if got.AreasAny != want.AreasAny || got.Areas != want.Areas || got.CoreAreas != want.Core ||
			got.Dominates != want.Dominates || !near(got.Containment, want.Containment) {
			t.Errorf("pcn %s: %+v, want %+v", d.PCNs[p].Code, got, want)
		}
		if len(got.AreaShares) != int(want.AreasAny) {
			t.Errorf("pcn %s: %d area shares, want %d", d.PCNs[p].Code, len(got.AreaShares), want.AreasAny)
		}
	}
	for a := range d.Areas {
		got := s.area(a, th)
		if got.PCNs != am[a].PCNs || got.PCNsAny != am[a].PCNsAny || !near(got.HHI, am[a].HHI) || len(got.ByPCN) != int(am[a].PCNsAny) {
			t.Errorf("area %s: %+v, want %+v", d.Areas[a].Code, got, am[a])
		}
		if !slices.IsSortedFunc(got.ByPCN, func(x, y AreaPCN) int { return int(y.Patients - x.Patients) }) {
			t.Errorf("area %s: by_pcn not sorted by patients", d.Areas[a].Code)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestLookupAndSearch checks the point lookup lands in the area the index says and that search
// finds codes and names.
func TestLookupAndSearch(t *testing.T) {
	s := newTestServer(t, Config{})
	a := mustArea(t, s.d, traffordArea)
	c := s.d.Areas[a].Geom.Bound().Center()
	l, err := s.lookup(c[0], c[1], 0.01)
	if err == nil && l.Area.Code == "" {
		t.Errorf("lookup(%v) found no code", c)
	}
	res, err := s.find(traffordArea, 5)
	if err != nil || len(res.Results) == 0 || res.Results[0].Code != traffordArea || res.Results[0].Type != "area" {
		t.Errorf("find(%s) = %+v, %v; want the area first", traffordArea, res, err)
	}
	name := s.d.PCNs[0].Name
	res, err = s.find(strings.ToLower(name[:min(6, len(name))]), 100)
	if err != nil || !slices.ContainsFunc(res.Results, func(r SearchResult) bool { return r.Code == s.d.PCNs[0].Code }) {
		t.Errorf("find(%q) = %+v, %v; want PCN %s among the results", name[:6], res, err, s.d.PCNs[0].Code)
	}
}

// TestBBoxes checks that each answer's bounding box holds what it says it holds, and no more: an
// area's is its polygon's; a PCN's holds exactly the areas it serves, and its core_bbox its core
// footprint; a search result's is the area's, or the PCN's core footprint.
func TestBBoxes(t *testing.T) {
	s := newTestServer(t, Config{})
	d := s.d
	const th = 0.05
	// union is the box of the given areas, computed here from the polygons' vertices.
	union := func(areas []int32) *BBox {
		if len(areas) == 0 {
			return nil
		}
		b := BBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for _, a := range areas {
			for _, poly := range d.Areas[a].Geom {
				for _, p := range poly[0] {
					b = BBox{min(b[0], p[0]), min(b[1], p[1]), max(b[2], p[0]), max(b[3], p[1])}
				}
			}
		}
		return &b
	}
	same := func(x, y *BBox) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	for a := range d.Areas {
		if got, want := s.area(a, th).BBox, union([]int32{int32(a)}); !same(got, want) {
			t.Errorf("area %s: bbox %v, want %v", d.Areas[a].Code, got, want)
		}
	}
	for p := range d.PCNs {
		var served []int32
		d.PCNCells(p, func(c overlap.Cell) {
			if c.Patients > 0 && d.Serves(c, th) {
				served = append(served, c.Area)
			}
		})
		got := s.pcn(p, th, overlap.DefaultCore)
		if want := union(served); len(served) > 0 && !same(got.BBox, want) {
			t.Errorf("pcn %s: bbox %v, want %v (the %d areas it serves)", d.PCNs[p].Code, got.BBox, want, len(served))
		}
		core := union(d.CoreAreas(p, overlap.DefaultCore))
		if !same(got.CoreBBox, core) {
			t.Errorf("pcn %s: core_bbox %v, want %v", d.PCNs[p].Code, got.CoreBBox, core)
		}
		res, err := s.find(d.PCNs[p].Code, 1)
		if err != nil || len(res.Results) != 1 || !same(res.Results[0].BBox, core) {
			t.Errorf("find(%s) = %+v, %v; want its core footprint's bbox %v", d.PCNs[p].Code, res, err, core)
		}
	}
	res, err := s.find(traffordArea, 1)
	if a := mustArea(t, d, traffordArea); err != nil || len(res.Results) != 1 || !same(res.Results[0].BBox, union([]int32{int32(a)})) {
		t.Errorf("find(%s) = %+v, %v; want the area's bbox", traffordArea, res, err)
	}
}

// TestCORS checks the CORS headers on a GET and a preflight.
func TestCORS(t *testing.T) {
	s := newTestServer(t, Config{CORSOrigins: []string{"https://maps.example.org"}})
	res := get(t, s.Handler(), "/healthz", "Origin: https://maps.example.org")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://maps.example.org" {
		t.Errorf("Allow-Origin %q", got)
	}
	res = get(t, s.Handler(), "/healthz", "Origin: https://evil.example.com")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin %q for an origin not allowed", got)
	}
	req := httptest.NewRequest(http.MethodOptions, "/tiles/areas/1/0/0.mvt", nil)
	req.Header.Set("Origin", "https://maps.example.org")
	req.Header.Set("Access-Control-Request-Method", "GET")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://maps.example.org" {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	def := newTestServer(t, Config{})
	if got := get(t, def.Handler(), "/healthz", "Origin: https://a.example").Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("default Allow-Origin %q, want *", got)
	}
}

// TestMetrics checks the Prometheus counters: requests by route and status, hits and misses of the
// cache and of the side cache.
func TestMetrics(t *testing.T) {
	s := newTestServer(t, Config{})
	for range 3 {
		get(t, s.Handler(), "/tiles/areas/"+z10Trafford+".mvt")
	}
	get(t, s.Handler(), "/tiles/areas/99/0/0.mvt")
	get(t, s.Handler(), "/no/such/route")
	for range 2 { // a threshold of the client's own: drawn once into the side cache, then answered from it
		get(t, s.Handler(), "/tiles/areas/"+z10Trafford+".mvt?threshold=0.025")
	}
	b := string(body(t, get(t, s.Handler(), "/metrics")))
	for _, want := range []string{
		`pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="200"} 5`,
		`pcnmap_http_requests_total{route="/tiles/:layer/:z/:x/:y",status="400"} 1`,
		`pcnmap_http_requests_total{route="unmatched",status="404"} 1`,
		`pcnmap_tile_cache_hits_total 2`,
		`pcnmap_tile_cache_misses_total 1`,
		`pcnmap_tile_renders_total 1`,
		`pcnmap_tile_side_cache_hits_total 1`,
		`pcnmap_tile_side_cache_misses_total 1`,
		`pcnmap_tile_side_renders_total 1`,
		`pcnmap_tile_side_cache_entries 1`,
		`pcnmap_http_request_duration_seconds_bucket{route="/tiles/:layer/:z/:x/:y",le=`,
		`pcnmap_http_response_bytes_total{route="/tiles/:layer/:z/:x/:y"}`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestShutdown starts Serve on a free port, answers a request, and checks that cancelling the
// context stops it promptly with no error.
func TestShutdown(t *testing.T) {
	s := newTestServer(t, Config{Warm: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if b := body(t, res); res.StatusCode != 200 || !strings.Contains(string(b), `"status":"ok"`) {
		t.Errorf("/healthz = %d %s", res.StatusCode, b)
	}
	res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after a graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10 s of the context ending")
	}
}

// TestWarm checks that warming fills the cache with the default-threshold areas tiles it serves.
func TestWarm(t *testing.T) {
	s := newTestServer(t, Config{})
	st, err := s.Warm(context.Background(), 8)
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiles == 0 || st.Tiles == st.Empty {
		t.Fatalf("warm-up: %+v", st)
	}
	renders := s.cache.Stats().Renders
	res := get(t, s.Handler(), "/tiles/areas/8/126/82.mvt")
	if body(t, res); res.StatusCode != 200 || s.cache.Stats().Renders != renders {
		t.Errorf("a warmed tile: status %d, renders %d → %d, want 200 and no render", res.StatusCode, renders, s.cache.Stats().Renders)
	}
}

// TestMBTiles exports the fixture, serves the file, and checks it serves the same tiles and a
// TileJSON, while the API answers 404 with a JSON error.
func TestMBTiles(t *testing.T) {
	d := fixtureDataset(t)
	path := filepath.Join(t.TempDir(), "fixture.mbtiles")
	st, err := layers.Export(context.Background(), path, d, layers.ExportOptions{Threshold: 0.01, Zooms: tiles.Zooms{Max: 10}, Layers: []string{"areas", "boundaries"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Tiles == 0 {
		t.Fatal("no tiles exported")
	}
	mb, err := tiles.OpenMBTiles(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer mb.Close()
	s, err := New(context.Background(), Config{}, Data{MBTiles: mb})
	if err != nil {
		t.Fatal(err)
	}
	live := newTestServer(t, Config{})
	router := openAPIRouter(t)
	for _, layer := range []string{"areas", "boundaries"} {
		res := get(t, s.Handler(), "/tiles/"+layer+"/"+z10Trafford+".mvt", "Accept-Encoding: gzip")
		b := body(t, res)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d %s", layer, res.StatusCode, b)
		}
		checkAgainstOpenAPI(t, router, res, b)
		got := decodeTile(t, b)
		want := decodeTile(t, body(t, get(t, live.Handler(), "/tiles/"+layer+"/"+z10Trafford+".mvt")))
		if len(got) != 2 {
			t.Errorf("mbtiles tile has %d layers, want areas and boundaries", len(got))
		}
		for _, l := range got {
			if l.Name == layer && len(l.Features) != len(want[0].Features) {
				t.Errorf("%s: %d features from the file, %d live", layer, len(l.Features), len(want[0].Features))
			}
		}
	}
	res := get(t, s.Handler(), "/tiles/areas.json")
	b := body(t, res)
	checkAgainstOpenAPI(t, router, res, b)
	var tj tiles.TileJSONDoc
	if err := json.Unmarshal(b, &tj); err != nil || tj.TileJSON != "3.0.0" || len(tj.VectorLayers) != 2 || tj.MaxZoom != 10 {
		t.Errorf("TileJSON %s: %v", b, err)
	}
	for path, want := range map[string]int{"/api/areas/" + traffordArea: 404, "/api/summary": 404, "/tiles/pcn/1/0/0.mvt": 404, "/api/openapi.json": 200, "/healthz": 200, "/tiles/areas/20/0/0.mvt": 204} {
		res := get(t, s.Handler(), path)
		b := body(t, res)
		if res.StatusCode != want {
			t.Errorf("GET %s = %d %s, want %d", path, res.StatusCode, b, want)
		}
		if want == 404 && !strings.Contains(string(b), "error") {
			t.Errorf("GET %s: %s", path, b)
		}
	}
	if b := body(t, get(t, s.Handler(), "/api/summary")); !strings.Contains(string(b), "no workspace") {
		t.Errorf("API without a workspace says %s", b)
	}
}

// TestTileJSON checks the TileJSON documents: host-relative tile URLs carrying the layer's parameters
// (whatever Host the request names),
// the fields of each layer, zooms and the attribution.
func TestTileJSON(t *testing.T) {
	s := newTestServer(t, Config{})
	pcn := s.d.PCNs[0].Code
	tests := map[string]struct {
		path, url string
		fields    []string
	}{
		"areas":      {"/tiles/areas.json", "/tiles/areas/{z}/{x}/{y}.mvt", []string{"code", "pcns", "urban", "dominant_pcn"}},
		"areas 5%":   {"/tiles/areas.json?threshold=0.05", "/tiles/areas/{z}/{x}/{y}.mvt?threshold=5%25", []string{"pcns"}},
		"pcn":        {"/tiles/pcn.json?pcn=" + pcn, "/tiles/pcn/{z}/{x}/{y}.mvt?pcn=" + pcn, []string{"share", "list_share"}},
		"boundaries": {"/tiles/boundaries.json", "/tiles/boundaries/{z}/{x}/{y}.mvt", []string{"kind", "code", "name"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var tj tiles.TileJSONDoc
			if err := json.Unmarshal(body(t, get(t, s.Handler(), tc.path)), &tj); err != nil {
				t.Fatal(err)
			}
			if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != tc.url || tj.MaxZoom != tiles.MaxZoom || tj.Attribution != layers.Attribution {
				t.Errorf("TileJSON %+v", tj)
			}
			if len(tj.VectorLayers) != 1 {
				t.Fatalf("vector_layers %+v", tj.VectorLayers)
			}
			for _, f := range tc.fields {
				if tj.VectorLayers[0].Fields[f] == "" {
					t.Errorf("vector layer %s lacks field %s", tj.VectorLayers[0].ID, f)
				}
			}
		})
	}
}

// TestConfig checks New's validation.
func TestConfig(t *testing.T) {
	d := fixtureDataset(t)
	tests := map[string]struct {
		cfg  Config
		data Data
	}{
		"bad threshold":  {Config{Threshold: "150%"}, Data{Dataset: d}},
		"negative cache": {Config{CacheBytes: -1}, Data{Dataset: d}},
		"nothing":        {Config{}, Data{}},
	}
	for name, tc := range tests {
		if _, err := New(context.Background(), tc.cfg, tc.data); err == nil {
			t.Errorf("%s: New accepted %+v", name, tc.cfg)
		}
	}
	s := newTestServer(t, Config{Threshold: "0"})
	res := get(t, s.Handler(), "/api/areas/"+traffordArea)
	var a Area
	if err := json.Unmarshal(body(t, res), &a); err != nil || a.Threshold != 0 || a.PCNs != a.PCNsAny {
		t.Errorf("default threshold 0: %+v %v", a, err)
	}
}

// echoContext shortens handler signatures in tests.
type echoContext = echo.Context

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// featureIndex is the area index of a decoded feature: its id minus one.
func featureIndex(tb testing.TB, f *geojson.Feature) int {
	tb.Helper()
	id, ok := f.ID.(float64)
	if !ok || id < 1 || id != float64(int(id)) {
		tb.Fatalf("feature id %v (%T) is not a positive integer", f.ID, f.ID)
	}
	return int(id) - 1
}

// TestHead checks HEAD answers like GET without a body.
func TestHead(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, path := range []string{"/tiles/areas/" + z10Trafford + ".mvt", "/api/areas/" + traffordArea, "/tiles/areas/99/0/0.mvt"} {
		g := get(t, s.Handler(), path, "Accept-Encoding: gzip")
		body(t, g)
		req := httptest.NewRequest(http.MethodHead, path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != g.StatusCode || rec.Header().Get("ETag") != g.Header.Get("ETag") || rec.Header().Get("Content-Type") != g.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %v, GET: %d %v", path, rec.Code, rec.Header(), g.StatusCode, g.Header)
		}
	}
}

// TestRandomThresholdsKeepSharedCache: tiles at thresholds of the clients' choosing are rounded to
// 0.1 percentage point and kept apart, so a stream of random thresholds leaves the tiles at the
// default threshold in the shared cache, and two thresholds rounding alike share one tile.
func TestRandomThresholdsKeepSharedCache(t *testing.T) {
	s := newTestServer(t, Config{CacheBytes: 1 << 20})
	get := func(path string) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 204 {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	fixed := []string{"/tiles/areas/8/126/82.mvt", "/tiles/areas/8/126/83.mvt", "/tiles/areas/8/127/82.mvt", "/tiles/areas/8/127/83.mvt"}
	for _, p := range fixed {
		get(p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		get(fmt.Sprintf("%s?threshold=%.4f", fixed[rng.IntN(len(fixed))], rng.Float64()*0.2))
	}
	before := s.cache.Stats()
	for _, p := range fixed {
		get(p)
	}
	after := s.cache.Stats()
	if hits := after.Hits - before.Hits; hits != uint64(len(fixed)) {
		t.Errorf("after 300 random-threshold tiles: %d of the %d default tiles hit the shared cache, want all", hits, len(fixed))
	}
	r0 := s.side.Stats().Renders
	get(fixed[0] + "?threshold=2.04%25")
	get(fixed[0] + "?threshold=0.0196")
	if r := s.side.Stats().Renders - r0; r != 1 {
		t.Errorf("thresholds 2.04%% and 1.96%% (both 2.0%% once rounded) drew %d tiles, want 1", r)
	}
}
