package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSecurityHeaders: every answer carries the policy (own origin only, the page's inline script by
// its hash, no framing), nosniff and no referrer.
func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, Config{})
	for _, path := range []string{"/", "/api/summary", "/tiles/areas.json", "/no/such/path"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "worker-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: Content-Security-Policy %q allows inline code", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: X-Content-Type-Options %q, X-Frame-Options %q", path, h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"))
		}
	}
	page := []byte("<html><script>boot()</script><script src=x.js></script></html>")
	if csp := contentSecurityPolicy(page, "https://maps.example.org/pcnmap"); !strings.Contains(csp, "'sha256-") || !strings.Contains(csp, "connect-src 'self' https://maps.example.org") {
		t.Errorf("contentSecurityPolicy(page with an inline script, a public URL) = %q, want its hash and the public origin", csp)
	}
}

// TestTokenRules: a short token is refused at start; the Bearer scheme is case-insensitive.
func TestTokenRules(t *testing.T) {
	if _, err := New(context.Background(), Config{Token: "short"}, Data{Dataset: fixtureDataset(t)}); err == nil {
		t.Errorf("New with a 5-character token succeeded, want an error")
	}
	ts := newTeamServer(t, Config{Token: testToken})
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		res, body := ts.do(t, http.MethodDelete, "/api/teams/none", nil, "Authorization: "+scheme+" "+testToken)
		if res.StatusCode != http.StatusNotFound { // authorised, and the set does not exist
			t.Errorf("DELETE with scheme %q: %d %s, want 404 past the token check", scheme, res.StatusCode, body)
		}
	}
	if res, _ := ts.do(t, http.MethodDelete, "/api/teams/none", nil, "Authorization: Basic "+testToken); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("DELETE with scheme Basic: %d, want 401", res.StatusCode)
	}
}

// TestWorkspaceBusy: a write behind another process's lock answers 503 with Retry-After, not 500.
func TestWorkspaceBusy(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	other, err := sql.Open("sqlite", "file:"+ts.path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	res, body := ts.upload(t, [][2]string{{"name", "Busy"}}, "teams.geojson", readFixture(t, "trafford-localities.geojson"), "Authorization: Bearer "+testToken)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || strings.Contains(string(body), ts.path) {
		t.Errorf("import behind a write lock: %d (Retry-After %q) %s; want 503 with Retry-After, not naming the file", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

// TestImportsLimited: beyond MaxImports uploads at once, the next answers 503 with Retry-After.
func TestImportsLimited(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken, MaxImports: 1})
	ts.imports <- struct{}{} // one import under way
	res, body := ts.upload(t, [][2]string{{"name", "Second"}}, "teams.geojson", readFixture(t, "trafford-localities.geojson"), "Authorization: Bearer "+testToken)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("a second import at once: %d (Retry-After %q) %s; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	<-ts.imports
	if res, body := ts.upload(t, [][2]string{{"name", "Second"}}, "teams.geojson", readFixture(t, "trafford-localities.geojson"), "Authorization: Bearer "+testToken); res.StatusCode != http.StatusCreated {
		t.Errorf("the import once the first is done: %d %s, want 201", res.StatusCode, body)
	}
}

// TestUploadStalls: an upload that stops sending answers 408 after UploadIdle, however long the
// upload has run, and the error names no socket address.
func TestUploadStalls(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken, UploadIdle: 300 * time.Millisecond})
	hs := httptest.NewServer(ts.Handler())
	defer hs.Close()
	body, ctype := form(t, [][2]string{{"name", "Stalled"}}, "teams.geojson", readFixture(t, "trafford-localities.geojson"), nil)
	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := body.Bytes()[:body.Len()/2]
	req := "POST /api/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + testToken + "\r\nContent-Type: " + ctype +
		"\r\nContent-Length: " + itoa(body.Len()) + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(half); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	answer, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 408") || strings.Contains(string(answer), "127.0.0.1") {
		t.Errorf("stalled upload answered %q, want 408 naming no address", answer)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestTileJSONURLs: tile URLs come from PublicURL when it is set, and are host-relative otherwise:
// never from the Host or X-Forwarded-Proto a client sends.
func TestTileJSONURLs(t *testing.T) {
	for public, want := range map[string]string{"": "/tiles/areas/{z}/{x}/{y}.mvt", "https://maps.example.org/pcnmap/": "https://maps.example.org/pcnmap/tiles/areas/{z}/{x}/{y}.mvt"} {
		s := newTestServer(t, Config{PublicURL: public})
		req := httptest.NewRequest(http.MethodGet, "/tiles/areas.json", nil)
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"`+want+`"`) || strings.Contains(rec.Body.String(), "evil.example") {
			t.Errorf("PublicURL %q: TileJSON %s, want tiles %s", public, rec.Body, want)
		}
	}
}

// TestJSONBodiesAreObjects: a what-if body that is not a JSON object (null, an array, a number) is
// refused with 400.
func TestJSONBodiesAreObjects(t *testing.T) {
	for _, b := range []string{"null", "[]", "1", `"moves"`, " \n null"} {
		if _, err := parseWhatIf([]byte(b)); err == nil || !strings.Contains(err.Error(), "object") {
			t.Errorf("parseWhatIf(%q) error = %v, want a refusal asking for an object", b, err)
		}
	}
	if _, err := parseWhatIf([]byte(` {"moves": []}`)); err != nil {
		t.Errorf("parseWhatIf(an object) = %v", err)
	}
}

// TestImportBudget: an import whose work outlasts ImportBudget answers 422, and no set is saved.
func TestImportBudget(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken, ImportBudget: time.Nanosecond})
	res, body := ts.upload(t, [][2]string{{"name", "Slow"}}, "teams.geojson", readFixture(t, "trafford-localities.geojson"), "Authorization: Bearer "+testToken)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("import over its budget: %d %s, want 422", res.StatusCode, body)
	}
	if res, _ := ts.do(t, http.MethodGet, "/api/teams/Slow", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("after an import over its budget, GET the set: %d, want 404", res.StatusCode)
	}
}

// TestSummaryPinned: summaries at thresholds of the clients' choosing are exact (each says its own
// threshold) and cannot evict the default threshold's, which every page load asks for.
func TestSummaryPinned(t *testing.T) {
	s := newTestServer(t, Config{})
	get(t, s.Handler(), "/api/summary")
	for i := range 20 {
		path := fmt.Sprintf("/api/summary?threshold=0.%04d", 100+i*37)
		var sum struct{ Threshold float64 }
		if err := json.Unmarshal(body(t, get(t, s.Handler(), path)), &sum); err != nil {
			t.Fatal(err)
		}
		if want := float64(100+i*37) / 10000; sum.Threshold != want {
			t.Errorf("%s: threshold %v, want %v (not rounded)", path, sum.Threshold, want)
		}
	}
	s.summaries.mu.Lock()
	_, held := s.summaries.items[s.threshold]
	s.summaries.mu.Unlock()
	if !held {
		t.Error("the default threshold's summary was evicted by 20 others")
	}
}
