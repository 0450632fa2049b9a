package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// FuzzDetectKind: any name and first bytes give a kind or a 400, never a panic, and magic bytes
// always win over the name.
func FuzzDetectKind(f *testing.F) {
	f.Add("teams.geojson", []byte(`{"type":"FeatureCollection"`))
	f.Add("teams.csv", []byte("team,lsoa\n"))
	f.Add("teams.zip", []byte("PK\x03\x04rest"))
	f.Add("x.gpkg", []byte("SQLite format 3\x00"))
	f.Add("x.geojson.gz", []byte{0x1f, 0x8b, 8})
	f.Add("noext", []byte("\xef\xbb\xbf  {"))
	f.Add("noext", []byte{0xe2, 0x82})
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		k, err := detectKind(name, head)
		if err != nil {
			if k != kindUnknown || !errors.Is(err, errBadRequest) {
				t.Fatalf("detectKind(%q) = %v, %v: an error must be a 400 with no kind", name, k, err)
			}
			return
		}
		if bytes.HasPrefix(head, []byte("PK\x03\x04")) && k != kindZip {
			t.Fatalf("detectKind(%q, a zip) = %v", name, k)
		}
		if k == kindUnknown {
			t.Fatalf("detectKind(%q) = unknown without an error", name)
		}
	})
}

// FuzzUploadForm: any request body is read as an import form or refused with a 400, never a panic.
func FuzzUploadForm(f *testing.F) {
	const boundary = "fuzzboundary"
	part := func(field, file, content string) string {
		h := `Content-Disposition: form-data; name="` + field + `"`
		if file != "" {
			h += `; filename="` + file + `"`
		}
		return "--" + boundary + "\r\n" + h + "\r\n\r\n" + content + "\r\n"
	}
	end := "--" + boundary + "--\r\n"
	f.Add([]byte(part("name", "", "x") + part("file", "t.csv", "team,msoa\nA,E02001259\n") + end))
	f.Add([]byte(part("name", "", "x") + part("method", "", "area") + part("name_field", "", "area_name") +
		part("file", "t.geojson", `{"type":"FeatureCollection","features":[]}`) + end))
	f.Add([]byte(part("file", "t.zip", "PK\x03\x04") + part("name", "", "late") + end))
	f.Add([]byte(part("name", "", "x") + part("file", "t.gpkg", "SQLite format 3\x00") + end))
	f.Add([]byte("--" + boundary + "\r\nnot a header\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := readUpload(context.Background(), bytes.NewReader(body), boundary, 1<<20, nil)
		if err == nil {
			if form.Layer == nil && form.Table == nil {
				t.Fatalf("readUpload accepted a form with no parsed file")
			}
			return
		}
		code, _ := status(err)
		if code != 400 && code != 413 {
			t.Fatalf("readUpload error %v answers %d, want 400", err, code)
		}
	})
}

// FuzzWhatIfBody: any body is a what-if request or a 400; an accepted one has at most maxMoves
// moves, each with a code and two different teams, and at most maxPracticeMoves practice moves, each
// with a practice and two different PCNs, never with save_as.
func FuzzWhatIfBody(f *testing.F) {
	f.Add([]byte(`{"moves":[{"code":"E02001259","from":"A","to":"B"}]}`))
	f.Add([]byte(`{"moves":[],"save_as":"Proposal"}`))
	f.Add([]byte(`{"moves":[{"code":"","from":"","to":""}]}`))
	f.Add([]byte(`{"moves":null} trailing`))
	f.Add([]byte(`{"moves":[{"code":"E01006074","from":"","to":"North","extra":1}]}`))
	f.Add([]byte(`{"practice_moves":[{"practice":"P91603","from":"U42898","to":"U66368"}],"save_as":"x"}`))
	f.Add([]byte(`{"moves":[],"practice_moves":[{"practice":"p1","from":"a","to":"A"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := parseWhatIf(b)
		if err != nil {
			if code, _ := status(err); code != 400 {
				t.Fatalf("parseWhatIf error %v answers %d, want 400", err, code)
			}
			return
		}
		if len(req.Moves) > maxMoves {
			t.Fatalf("accepted %d moves", len(req.Moves))
		}
		for _, m := range req.Moves {
			if strings.TrimSpace(m.Code) == "" || m.From == m.To {
				t.Fatalf("accepted move %+v", m)
			}
		}
		if len(req.PracticeMoves) > maxPracticeMoves || len(req.PracticeMoves) > 0 && req.SaveAs != "" {
			t.Fatalf("accepted %d practice moves with save_as %q", len(req.PracticeMoves), req.SaveAs)
		}
		for _, m := range req.PracticeMoves {
			if strings.TrimSpace(m.Practice) == "" || strings.TrimSpace(m.From) == "" || strings.EqualFold(strings.TrimSpace(m.From), strings.TrimSpace(m.To)) {
				t.Fatalf("accepted practice move %+v", m)
			}
		}
		if req.SaveAs != "" && checkSetName(req.SaveAs) != nil {
			t.Fatalf("accepted save_as %q", req.SaveAs)
		}
	})
}
