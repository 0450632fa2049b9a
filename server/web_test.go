package server

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"

	"pcnmap/web"
)

func TestWebRoutes(t *testing.T) {
	page := "<!doctype html><title>map</title>" + strings.Repeat("<!-- padding -->", 100)
	js := "console.log('map');" + strings.Repeat("//", 2000)
	built := fstest.MapFS{
		"dist/index.html":             {Data: []byte(page)},
		"dist/favicon.svg":            {Data: []byte("<svg/>")},
		"dist/assets/app-AB12.js":     {Data: []byte(js)},
		"dist-placeholder/index.html": {Data: []byte("not built")},
	}
	unbuilt := fstest.MapFS{"dist-placeholder/index.html": {Data: []byte("map not built: run make build")}}
	type answer struct {
		status                  int
		ctype, cache, bodyStart string
	}
	tests := map[string]struct {
		fs   fstest.MapFS
		path string
		want answer
	}{
		"page":              {built, "/", answer{200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"}},
		"asset":             {built, "/assets/app-AB12.js", answer{200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console.log"}},
		"top-level file":    {built, "/favicon.svg", answer{200, "image/svg+xml", "no-cache", "<svg/>"}},
		"missing asset":     {built, "/assets/nope.js", answer{404, "", "", ""}},
		"placeholder page":  {unbuilt, "/", answer{200, "text/html; charset=utf-8", "no-cache", "map not built"}},
		"no assets unbuilt": {unbuilt, "/assets/app-AB12.js", answer{404, "", "", ""}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := &Server{log: slog.New(slog.DiscardHandler)}
			e := echo.New()
			e.HTTPErrorHandler = s.errorHandler
			if err := s.webRoutesFrom(e, tc.fs); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.want.status {
				t.Fatalf("GET %s = %d, want %d", tc.path, rec.Code, tc.want.status)
			}
			if tc.want.status != 200 {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("GET %s: error answer is %q, want JSON", tc.path, ct)
				}
				return
			}
			h := rec.Header()
			if h.Get("Content-Type") != tc.want.ctype || h.Get("Cache-Control") != tc.want.cache {
				t.Errorf("GET %s: Content-Type %q, Cache-Control %q, want %q, %q", tc.path, h.Get("Content-Type"), h.Get("Cache-Control"), tc.want.ctype, tc.want.cache)
			}
			if !strings.HasPrefix(rec.Body.String(), tc.want.bodyStart) {
				t.Errorf("GET %s: body starts %.30q, want %q", tc.path, rec.Body.String(), tc.want.bodyStart)
			}
			// revalidation by ETag
			etag := h.Get("ETag")
			if etag == "" {
				t.Fatalf("GET %s: no ETag", tc.path)
			}
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("If-None-Match", etag)
			rec = httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %s = %d, want 304", tc.path, etag, rec.Code)
			}
		})
	}

	t.Run("gzip", func(t *testing.T) {
		s := &Server{}
		e := echo.New()
		if err := s.webRoutesFrom(e, built); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/assets/app-AB12.js", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q, want gzip", rec.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != js {
			t.Errorf("gunzipped body differs from the asset")
		}
	})

	t.Run("no index", func(t *testing.T) {
		if err := (&Server{}).webRoutesFrom(echo.New(), fstest.MapFS{"dist-placeholder/x.txt": {Data: []byte("x")}}); err == nil {
			t.Error("webRoutesFrom with no index.html: no error")
		}
	})
}

// The embedded files always hold a page: the bundle, or the committed placeholder.
func TestWebEmbedded(t *testing.T) {
	files, err := webSite(web.Files)
	if err != nil {
		t.Fatal(err)
	}
	if files["index.html"] == nil {
		t.Fatal("no index.html embedded")
	}
	for name := range files {
		if strings.Contains(name, "node_modules") {
			t.Errorf("embedded %s: node_modules must not be embedded", name)
		}
	}
}
