package server

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
)

const testToken = "s3cret-token-0123"

// teamServer is a server over a workspace of its own (the fixture release, ingested with the LSOA
// centroids), so that tests may write team sets.
type teamServer struct {
	*Server
	path   string
	router routers.Router
}

func newTeamServer(tb testing.TB, cfg Config) *teamServer {
	tb.Helper()
	return newTeamServerOf(tb, cfg, fixtureDataset(tb))
}

// newTeamServerOf is newTeamServer over the release d, saved into a workspace of its own.
func newTeamServerOf(tb testing.TB, cfg Config, d *overlap.Dataset) *teamServer {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "w.db")
	if err := store.Ingest(ctx, path, d, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		tb.Fatal(err)
	}
	ws, err := store.OpenWith(ctx, path, store.Options{LockWait: LockWait}) // as pcnmap serve opens it
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ws.Close() })
	loaded, err := ws.Load(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(ctx, cfg, Data{Dataset: loaded, Workspace: ws})
	if err != nil {
		tb.Fatal(err)
	}
	return &teamServer{Server: s, path: path, router: openAPIRouter(tb)}
}

// do sends a request and checks the answer against openapi.json; headers are "Name: value".
func (ts *teamServer) do(tb testing.TB, method, path string, body io.Reader, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	req := httptest.NewRequest(method, path, body)
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	checkAgainstOpenAPI(tb, ts.router, res, b)
	return res, b
}

// upload posts an import form: the fields in order, then the file (when fileName is not "").
func (ts *teamServer) upload(tb testing.TB, fields [][2]string, fileName string, content []byte, headers ...string) (*http.Response, []byte) {
	tb.Helper()
	body, ctype := form(tb, fields, fileName, content, nil)
	return ts.do(tb, http.MethodPost, "/api/teams", body, append([]string{"Content-Type: " + ctype}, headers...)...)
}

// form builds a multipart form; after are fields written after the file.
func form(tb testing.TB, fields [][2]string, fileName string, content []byte, after [][2]string) (*bytes.Buffer, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			tb.Fatal(err)
		}
	}
	if fileName != "" {
		w, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(content)
	}
	for _, f := range after {
		mw.WriteField(f[0], f[1])
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(fixtures.Path(name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func decode[T any](tb testing.TB, b []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return v
}

var bearer = "Authorization: Bearer " + testToken

// TestTeamsFlow walks the routes as the map page does: import the Trafford localities, read them,
// draw them, move an area, save the result, rename and delete, checking every answer against
// openapi.json and that nothing stale is served after a write.
func TestTeamsFlow(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	res, b := ts.do(t, http.MethodGet, "/api/teams", nil)
	if l := decode[TeamSets](t, b); res.StatusCode != 200 || !l.Writable || len(l.Sets) != 0 {
		t.Fatalf("GET /api/teams = %d %s, want writable and no sets", res.StatusCode, b)
	}

	res, b = ts.upload(t, [][2]string{{"name", "Trafford localities"}}, "trafford-localities.geojson", readFixture(t, "trafford-localities.geojson"), bearer)
	if res.StatusCode != http.StatusCreated || res.Header.Get("Location") != "/api/teams/Trafford%20localities" {
		t.Fatalf("import = %d (Location %q) %s", res.StatusCode, res.Header.Get("Location"), b)
	}
	imp := decode[ImportResult](t, b)
	if imp.Set.Teams != 4 || imp.Set.Method != "centroid" || imp.Set.Source != "trafford-localities.geojson" || len(imp.Uncovered) != 0 {
		t.Errorf("import result = %+v", imp)
	}

	res, b = ts.do(t, http.MethodGet, "/api/teams/Trafford%20localities", nil)
	detail := decode[TeamSetDetail](t, b)
	if res.StatusCode != 200 || len(detail.TeamList) != 4 || detail.TeamList[0].LSOAs == 0 || len(detail.Areas) < 20 {
		t.Fatalf("GET set = %d: %d teams, %d areas", res.StatusCode, len(detail.TeamList), len(detail.Areas))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("GET set: Cache-Control %q, want no-cache", cc)
	}

	res, b = ts.do(t, http.MethodGet, "/api/teams/Trafford%20localities/alignment?threshold=1%25", nil)
	a := decode[Alignment](t, b)
	// The same figure the CLI prints for this set (cmd/pcnmap's TestTeamsCommands).
	if res.StatusCode != 200 || fmt.Sprintf("%.4f", a.Score) != "0.9312" || len(a.Teams) != 4 || len(a.Matrix.Rows) != 4 || len(a.Matrix.Rows[0]) != len(a.PCNs)+1 {
		t.Fatalf("alignment = %d: score %.4f, %d teams, matrix %d rows", res.StatusCode, a.Score, len(a.Teams), len(a.Matrix.Rows))
	}

	tile := "/tiles/teams/" + z10Trafford + ".mvt?set=Trafford%20localities"
	res, b = ts.do(t, http.MethodGet, tile, nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET %s = %d (Cache-Control %q)", tile, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	layers := decodeTile(t, b)
	if len(layers) != 1 || layers[0].Name != "teams" || len(layers[0].Features) == 0 {
		t.Fatalf("teams tile: %d layers", len(layers))
	}
	for _, f := range layers[0].Features {
		if _, ok := detailTeam(detail, f.Properties["team"]); !ok || f.Properties["registered"] == nil {
			t.Errorf("teams tile feature %v", f.Properties)
		}
	}
	res, b = ts.do(t, http.MethodGet, "/tiles/teams.json?set=Trafford%20localities", nil)
	if res.StatusCode != 200 || !strings.Contains(string(b), "set=Trafford+localities") {
		t.Errorf("teams.json = %d %s", res.StatusCode, b)
	}

	// What-if: move one MSOA from its team to another, without the token.
	area := detail.Areas[0]
	to := detail.TeamList[0].Name
	if to == area.Team {
		to = detail.TeamList[1].Name
	}
	move := fmt.Sprintf(`{"moves":[{"code":%q,"from":%q,"to":%q}]}`, area.Code, area.Team, to)
	res, b = ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif", strings.NewReader(move), "Content-Type: application/json")
	w := decode[WhatIf](t, b)
	wBefore := decode[Alignment](t, w.Before)
	if res.StatusCode != 200 || wBefore.Score != a.Score || w.After.Score == wBefore.Score {
		t.Fatalf("whatif = %d: before %v after %v", res.StatusCode, wBefore.Score, w.After.Score)
	}
	// detail=teams: the same scores and teams, without the per-PCN split and the matrix.
	res, b = ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif?detail=teams", strings.NewReader(move), "Content-Type: application/json")
	lean := decode[WhatIf](t, b)
	leanBefore := decode[Alignment](t, lean.Before)
	if res.StatusCode != 200 || lean.After.PCNs != nil || lean.After.Matrix != nil || leanBefore.PCNs != nil || leanBefore.Matrix != nil ||
		lean.After.Score != w.After.Score || leanBefore.Score != wBefore.Score || !reflect.DeepEqual(lean.After.Teams, w.After.Teams) {
		t.Errorf("whatif detail=teams = %d %s; want the full answer's scores and teams, no pcns or matrix", res.StatusCode, b)
	}
	if w.After.Matrix == nil || len(w.After.PCNs) == 0 {
		t.Errorf("whatif (full) has no matrix or PCN split")
	}
	saveAs := strings.TrimSuffix(move, "}") + `,"save_as":"Proposal"}`
	if res, b = ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif", strings.NewReader(saveAs)); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("whatif save_as without the token = %d %s, want 401", res.StatusCode, b)
	}
	res, b = ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif", strings.NewReader(saveAs), bearer)
	if res.StatusCode != http.StatusCreated || res.Header.Get("Location") != "/api/teams/Proposal" {
		t.Fatalf("whatif save_as = %d %s", res.StatusCode, b)
	}
	res, b = ts.do(t, http.MethodGet, "/api/teams/Proposal/alignment", nil)
	if got := decode[Alignment](t, b); res.StatusCode != 200 || got.Score != w.After.Score {
		t.Errorf("saved proposal: score %v, want the what-if's %v", got.Score, w.After.Score)
	}
	// The proposal is drawn from its areas (dissolved), the area moved now in the other team.
	res, b = ts.do(t, http.MethodGet, "/api/teams/Proposal", nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET the saved proposal = %d %s", res.StatusCode, b)
	}
	prop := decode[TeamSetDetail](t, b)
	if prop.Method != "edited" || prop.Source != "Trafford localities" || teamOfArea(prop, area.Code) != to {
		t.Errorf("proposal: method %s, source %s, area %s in %q (want %q)", prop.Method, prop.Source, area.Code, teamOfArea(prop, area.Code), to)
	}
	if res, _ = ts.do(t, http.MethodGet, "/tiles/teams/"+z10Trafford+".mvt?set=Proposal", nil); res.StatusCode != 200 {
		t.Errorf("tile of the proposal = %d", res.StatusCode)
	}

	// Rename: the old name is gone everywhere at once, tiles included.
	res, b = ts.do(t, http.MethodPatch, "/api/teams/Trafford%20localities", strings.NewReader(`{"name":"Localities 2017"}`), bearer, "Content-Type: application/json")
	if res.StatusCode != 200 || decode[TeamSet](t, b).Name != "Localities 2017" {
		t.Fatalf("rename = %d %s", res.StatusCode, b)
	}
	for _, path := range []string{"/api/teams/Trafford%20localities", tile, "/api/teams/Trafford%20localities/alignment"} {
		if res, b = ts.do(t, http.MethodGet, path, nil); res.StatusCode != 404 {
			t.Errorf("GET %s after the rename = %d %s, want 404", path, res.StatusCode, b)
		}
	}
	if res, _ = ts.do(t, http.MethodGet, "/tiles/teams/"+z10Trafford+".mvt?set=Localities%202017", nil); res.StatusCode != 200 {
		t.Errorf("tile of the renamed set = %d", res.StatusCode)
	}
	if res, b = ts.do(t, http.MethodDelete, "/api/teams/Localities%202017", nil, bearer); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete = %d %s", res.StatusCode, b)
	}
	if res, _ = ts.do(t, http.MethodGet, "/tiles/teams/"+z10Trafford+".mvt?set=Localities%202017", nil); res.StatusCode != 404 {
		t.Errorf("tile of the deleted set = %d, want 404", res.StatusCode)
	}
	res, b = ts.do(t, http.MethodGet, "/api/teams", nil)
	if l := decode[TeamSets](t, b); res.StatusCode != 200 || len(l.Sets) != 1 || l.Sets[0].Name != "Proposal" {
		t.Errorf("sets after the delete: %d %s", res.StatusCode, b)
	}
}

func detailTeam(d TeamSetDetail, name any) (int, bool) {
	for i, t := range d.TeamList {
		if t.Name == name {
			return i, true
		}
	}
	return -1, false
}

func teamOfArea(d TeamSetDetail, code string) string {
	for _, a := range d.Areas {
		if a.Code == code {
			return a.Team
		}
	}
	return ""
}

// TestTeamsNoStaleTiles: a set deleted and imported again under the same name is drawn afresh, with
// a new ETag: the tile cache key carries the set's generation.
func TestTeamsNoStaleTiles(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	tile := "/tiles/teams/" + z10Trafford + ".mvt?set=x"
	var etags []string
	for _, csv := range []string{"team,msoa\nA,E02001259\nB,E02001260\n", "team,msoa\nC,E02001261\n"} {
		if res, b := ts.upload(t, [][2]string{{"name", "x"}}, "x.csv", []byte(csv), bearer); res.StatusCode != 201 {
			t.Fatalf("import = %d %s", res.StatusCode, b)
		}
		res, b := ts.do(t, http.MethodGet, tile, nil)
		if res.StatusCode != 200 {
			t.Fatalf("tile = %d", res.StatusCode)
		}
		var names []string
		for _, f := range decodeTile(t, b)[0].Features {
			names = append(names, fmt.Sprint(f.Properties["team"]))
		}
		etags = append(etags, res.Header.Get("ETag")+" "+strings.Join(names, ","))
		if res, _ := ts.do(t, http.MethodDelete, "/api/teams/x", nil, bearer); res.StatusCode != 204 {
			t.Fatalf("delete = %d", res.StatusCode)
		}
	}
	if etags[0] == etags[1] || !strings.HasSuffix(etags[1], " C") {
		t.Errorf("tiles of the two imports: %q", etags)
	}
}

// TestTeamsWrittenElsewhere: sets saved, renamed and deleted through another handle on the workspace
// (as `pcnmap teams` does while a server runs) are seen by the server's next request, answers and
// tiles alike.
func TestTeamsWrittenElsewhere(t *testing.T) {
	ts := newTeamServer(t, Config{})
	ctx := context.Background()
	cli, err := store.Open(ctx, ts.path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	save := func(teamName, msoa string) {
		t.Helper()
		d := ts.d
		a, ok := d.Area(msoa)
		if !ok {
			t.Fatalf("no area %s", msoa)
		}
		var lsoas []teams.Weight
		for i := range d.LSOAs {
			if d.LSOAs[i].Area == int32(a) {
				lsoas = append(lsoas, teams.Weight{LSOA: d.LSOAs[i].Code, Weight: 1})
			}
		}
		set := &teams.Set{Name: "cli", Source: "cli.csv", Method: teams.MethodLSOA, ImportedAt: time.Now(),
			Teams: []teams.Team{{Name: teamName, LSOAs: lsoas}}}
		if err := cli.SaveTeams(ctx, "", set, true); err != nil {
			t.Fatal(err)
		}
	}
	teamsOf := func(path string) string {
		t.Helper()
		res, b := ts.do(t, http.MethodGet, path, nil)
		if res.StatusCode != 200 {
			return fmt.Sprint(res.StatusCode)
		}
		var names []string
		for _, tm := range decode[TeamSetDetail](t, b).TeamList {
			names = append(names, tm.Name)
		}
		return strings.Join(names, ",")
	}
	tileTeams := func(path string) string {
		t.Helper()
		res, b := ts.do(t, http.MethodGet, path, nil)
		if res.StatusCode != 200 {
			return fmt.Sprint(res.StatusCode)
		}
		var names []string
		for _, f := range decodeTile(t, b)[0].Features {
			names = append(names, fmt.Sprint(f.Properties["team"]))
		}
		return strings.Join(names, ",")
	}
	tile := "/tiles/teams/" + z10Trafford + ".mvt?set="
	save("North", "E02001259")
	if got := teamsOf("/api/teams/cli"); got != "North" {
		t.Errorf("after a save elsewhere: teams %q, want North", got)
	}
	if got := tileTeams(tile + "cli"); got != "North" {
		t.Errorf("after a save elsewhere: tile teams %q, want North", got)
	}
	save("South", "E02001260") // replaced under the same name
	if got, tg := teamsOf("/api/teams/cli"), tileTeams(tile+"cli"); got != "South" || tg != "South" {
		t.Errorf("after a replacement elsewhere: teams %q, tile teams %q, want South", got, tg)
	}
	if err := cli.RenameTeams(ctx, "", "cli", "renamed"); err != nil {
		t.Fatal(err)
	}
	if old, now := teamsOf("/api/teams/cli"), teamsOf("/api/teams/renamed"); old != "404" || now != "South" {
		t.Errorf("after a rename elsewhere: old name %s, new name %q; want 404 and South", old, now)
	}
	if err := cli.DeleteTeams(ctx, "", "renamed"); err != nil {
		t.Fatal(err)
	}
	if got, tg := teamsOf("/api/teams/renamed"), tileTeams(tile+"renamed"); got != "404" || tg != "404" {
		t.Errorf("after a delete elsewhere: %s, tile %s; want 404", got, tg)
	}
}

// TestTeamsAuth: writes need the configured token; without one they are disabled; reads are open.
func TestTeamsAuth(t *testing.T) {
	open := newTeamServer(t, Config{})
	res, b := open.do(t, http.MethodGet, "/api/teams", nil)
	if res.StatusCode != 200 || decode[TeamSets](t, b).Writable {
		t.Errorf("GET /api/teams without a token configured = %d %s, want writable false", res.StatusCode, b)
	}
	res, b = open.upload(t, [][2]string{{"name", "x"}}, "x.csv", []byte("team,msoa\nA,E02001259\n"), bearer)
	if res.StatusCode != 403 || decode[errorBody](t, b).Error != "writes are disabled: start the server with --token-file, PCNMAP_TOKEN or --token" {
		t.Errorf("import without a token configured = %d %s, want 403", res.StatusCode, b)
	}
	ts := newTeamServer(t, Config{Token: testToken})
	for name, headers := range map[string][]string{
		"no header":    nil,
		"wrong token":  {"Authorization: Bearer nope"},
		"basic scheme": {"Authorization: Basic " + testToken},
		"token prefix": {"Authorization: Bearer " + testToken[:4]},
	} {
		for _, req := range []struct{ method, path, body string }{
			{http.MethodDelete, "/api/teams/x", ""},
			{http.MethodPatch, "/api/teams/x", `{"name":"y"}`},
		} {
			res, b := ts.do(t, req.method, req.path, strings.NewReader(req.body), headers...)
			if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %s %s = %d (WWW-Authenticate %q) %s, want 401", name, req.method, req.path, res.StatusCode, res.Header.Get("WWW-Authenticate"), b)
			}
		}
		body, ctype := form(t, [][2]string{{"name", "x"}}, "x.csv", []byte("team,msoa\nA,E02001259\n"), nil)
		if res, _ := ts.do(t, http.MethodPost, "/api/teams", body, append(headers, "Content-Type: "+ctype)...); res.StatusCode != 401 {
			t.Errorf("%s: import = %d, want 401", name, res.StatusCode)
		}
	}
}

// TestTeamsWithoutWorkspace: a server given no workspace (as with --mbtiles) has no team sets.
func TestTeamsWithoutWorkspace(t *testing.T) {
	s := newTestServer(t, Config{Token: testToken})
	for _, path := range []string{"/api/teams", "/api/teams/x", "/tiles/teams/1/0/0.mvt?set=x", "/tiles/teams.json?set=x"} {
		res := get(t, s.Handler(), path)
		if b := body(t, res); res.StatusCode != 404 || !strings.Contains(string(b), "error") {
			t.Errorf("GET %s without a workspace = %d %s, want 404", path, res.StatusCode, b)
		}
	}
}

// TestTeamsUploadFormats: the same footprints in each accepted format: the fixture MSOAs as a zipped
// BNG shapefile and as a GeoPackage, one team per MSOA, named by the name_field.
func TestTeamsUploadFormats(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	for name, file := range map[string]string{"shp": "msoa-bng-shp.zip", "gpkg": "msoa-bng.gpkg"} {
		res, b := ts.upload(t, [][2]string{{"name", name}, {"name_field", "MSOA11NM"}, {"method", "centroid"}}, file, readFixture(t, file), bearer)
		if res.StatusCode != 201 {
			t.Fatalf("import %s = %d %s", file, res.StatusCode, b)
		}
		if imp := decode[ImportResult](t, b); imp.Set.Teams != len(ts.d.Areas) {
			t.Errorf("import %s: %d teams, want one per fixture MSOA (%d)", file, imp.Set.Teams, len(ts.d.Areas))
		}
		res, b = ts.do(t, http.MethodGet, "/api/teams/"+name+"/alignment", nil)
		// Teams that are the MSOAs themselves, named as the areas are.
		a := decode[Alignment](t, b)
		if res.StatusCode != 200 || len(a.Teams) != len(ts.d.Areas) {
			t.Fatalf("alignment of %s = %d, %d teams", name, res.StatusCode, len(a.Teams))
		}
		for _, tm := range a.Teams {
			if !slices.ContainsFunc(ts.d.Areas, func(ar overlap.Area) bool { return ar.Name == tm.Name }) {
				t.Errorf("%s: team %q is not the name of a fixture area", name, tm.Name)
			}
		}
	}
	if n, _ := os.ReadDir(os.TempDir()); leftovers(n) > 0 {
		t.Errorf("%d pcnmap-upload-* files left in %s", leftovers(n), os.TempDir())
	}
}

func leftovers(entries []os.DirEntry) int {
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "pcnmap-upload-") {
			n++
		}
	}
	return n
}

func zipOf(tb testing.TB, files map[string][]byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// shapefileParts are the members of the fixture's zipped shapefile.
func shapefileParts(tb testing.TB) map[string][]byte {
	tb.Helper()
	b := readFixture(tb, "msoa-bng-shp.zip")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

func with(m map[string][]byte, name string, b []byte) map[string][]byte {
	out := map[string][]byte{name: b}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// feature is a GeoJSON feature named name with the given outer ring.
func feature(name, ring string) string {
	return `{"type":"Feature","properties":{"name":"` + name + `"},"geometry":{"type":"Polygon","coordinates":[` + ring + `]}}`
}

const (
	squareRing = `[[-2.35,53.40],[-2.30,53.40],[-2.30,53.45],[-2.35,53.45],[-2.35,53.40]]`
	bowtieRing = `[[-2.35,53.40],[-2.30,53.45],[-2.30,53.40],[-2.35,53.45],[-2.35,53.40]]`
)

func collection(features ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`)
}

// TestTeamsBadUploads: each bad import is a 4xx naming what was wrong, and the workspace file is
// byte-for-byte unchanged afterwards.
func TestTeamsBadUploads(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken, MaxUpload: 256 << 10})
	if res, b := ts.upload(t, [][2]string{{"name", "taken"}}, "x.csv", []byte("team,msoa\nA,E02001259\n"), bearer); res.StatusCode != 201 {
		t.Fatalf("import = %d %s", res.StatusCode, b)
	}
	parts := shapefileParts(t)
	big := []byte("team,msoa\n")
	for i := 0; len(big) < 400<<10; i++ {
		big = fmt.Appendf(big, "T%d,E02001259\n", i) // valid rows: only the size is wrong
	}
	name := [][2]string{{"name", "new"}}
	tests := map[string]struct {
		fields   [][2]string
		file     string
		content  []byte
		after    [][2]string
		status   int
		contains []string
	}{
		"self-intersecting polygon": {name, "p.geojson", collection(feature("North", squareRing), feature("Bow", bowtieRing)), nil, 400, []string{"p.geojson", "Bow", "self-intersecting"}},
		"empty polygon":             {name, "p.geojson", collection(feature("North", squareRing), `{"type":"Feature","properties":{"name":"Void"},"geometry":{"type":"Polygon","coordinates":[]}}`), nil, 400, []string{"p.geojson", "feature 1", "empty"}},
		"degenerate polygon":        {name, "p.geojson", collection(feature("Flat", `[[-2.3,53.4],[-2.2,53.4],[-2.3,53.4],[-2.3,53.4]]`)), nil, 400, []string{"p.geojson", "feature 0", "empty"}},
		"duplicate team names":      {name, "p.geojson", collection(feature("North", squareRing), feature("North", squareRing)), nil, 400, []string{"p.geojson", "feature 1", "North"}},
		"no team name":              {name, "p.geojson", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[` + squareRing + `]}}]}`), nil, 400, []string{"p.geojson"}},
		"not JSON":                  {name, "p.geojson", []byte(`{"type":"FeatureCollection","features":[`), nil, 400, []string{"p.geojson"}},
		"unknown LSOA":              {name, "t.csv", []byte("team,lsoa\nA,E01006074\nB,E01999999\n"), nil, 400, []string{"t.csv", "line 3", "E01999999"}},
		"unknown MSOA":              {name, "t.csv", []byte("team,msoa\nA,E02999999\n"), nil, 400, []string{"t.csv", "line 2", "E02999999"}},
		"unknown practice":          {name, "t.csv", []byte("team,practice\nA,Z99999\n"), nil, 400, []string{"t.csv", "line 2", "Z99999"}},
		"CSV without code column":   {name, "t.csv", []byte("team,ward\nA,Sale\n"), nil, 400, []string{"t.csv", "line 1", "no code column"}},
		"CSV without team column":   {name, "t.csv", []byte("area,msoa\nA,E02001259\n"), nil, 400, []string{"t.csv", "no team column"}},
		"CSV short row":             {name, "t.csv", []byte("msoa,team\nE02001259\n"), nil, 400, []string{"t.csv", "line 2"}},
		"CSV repeated row":          {name, "t.csv", []byte("team,msoa\nA,E02001259\nA,E02001259\n"), nil, 400, []string{"t.csv", "line 3"}},
		"zip traversal":             {name, "p.zip", zipOf(t, with(parts, "../evil.cpg", []byte("UTF-8"))), nil, 400, []string{"p.zip", "../evil.cpg"}},
		"zip absolute name":         {name, "p.zip", zipOf(t, with(parts, "/etc/evil.cpg", []byte("UTF-8"))), nil, 400, []string{"p.zip", "/etc/evil.cpg"}},
		"zip backslash":             {name, "p.zip", zipOf(t, with(parts, `a\evil.cpg`, []byte("UTF-8"))), nil, 400, []string{"p.zip", "backslash"}},
		"zip unexpected member":     {name, "p.zip", zipOf(t, with(parts, "readme.txt", []byte("hi"))), nil, 400, []string{"p.zip", "readme.txt"}},
		"zip two shapefiles":        {name, "p.zip", zipOf(t, with(parts, "other.shp", parts["msoa-bng.shp"])), nil, 400, []string{"p.zip", "several shapefiles"}},
		"zip other folder":          {name, "p.zip", zipOf(t, with(parts, "old/msoa-bng.dbf", parts["msoa-bng.dbf"])), nil, 400, []string{"p.zip", "old/msoa-bng.dbf"}},
		"not a zip":                 {name, "p.zip", []byte("team,msoa\n"), nil, 400, []string{"p.zip", "not a zip"}},
		"truncated zip":             {name, "p.zip", readFixture(t, "msoa-bng-shp.zip")[:5000], nil, 400, []string{"p.zip"}},
		"not a GeoPackage":          {name, "p.gpkg", []byte("hello"), nil, 400, []string{"p.gpkg", "GeoPackage"}},
		"gzip":                      {name, "p.geojson.gz", gz(t, readFixture(t, "trafford-localities.geojson")), nil, 400, []string{"compressed"}},
		"binary junk":               {name, "p", []byte{0, 1, 2, 3, 0xff}, nil, 400, []string{"cannot tell"}},
		"empty file":                {name, "p.csv", nil, nil, 400, []string{"p.csv", "empty"}},
		"bad method":                {[][2]string{{"name", "new"}, {"method", "lsoa"}}, "p.geojson", readFixture(t, "trafford-localities.geojson"), nil, 400, []string{"method"}},
		"name field absent":         {[][2]string{{"name", "new"}, {"name_field", "TEAM"}}, "p.geojson", readFixture(t, "trafford-localities.geojson"), nil, 400, []string{"p.geojson", "TEAM"}},
		"no name":                   {nil, "p.csv", []byte("team,msoa\nA,E02001259\n"), nil, 400, []string{"name"}},
		"slash in name":             {[][2]string{{"name", "a/b"}}, "p.csv", []byte("team,msoa\nA,E02001259\n"), nil, 400, []string{"a/b"}},
		"name taken":                {[][2]string{{"name", "taken"}}, "p.csv", []byte("team,msoa\nA,E02001259\n"), nil, 409, []string{"taken"}},
		"field after file":          {nil, "p.csv", []byte("team,msoa\nA,E02001259\n"), [][2]string{{"name", "late"}}, 400, []string{"before the file"}},
		"unknown field":             {[][2]string{{"name", "new"}, {"colour", "red"}}, "p.csv", []byte("team,msoa\nA,E02001259\n"), nil, 400, []string{"colour"}},
		"no file":                   {name, "", nil, nil, 400, []string{"no file"}},
		"over the limit":            {name, "big.csv", big, nil, 413, []string{"too large"}},
	}
	before := digest(t, ts.path)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body, ctype := form(t, tc.fields, tc.file, tc.content, tc.after)
			res, b := ts.do(t, http.MethodPost, "/api/teams", body, "Content-Type: "+ctype, bearer)
			msg := decode[errorBody](t, b).Error
			if res.StatusCode != tc.status {
				t.Fatalf("import = %d %q, want %d", res.StatusCode, msg, tc.status)
			}
			for _, want := range tc.contains {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if digest(t, ts.path) != before {
				t.Errorf("the workspace changed")
			}
		})
	}
	// Over the limit with no Content-Length: the stream is cut at the limit.
	body, ctype := form(t, [][2]string{{"name", "new"}}, "big.csv", big, nil)
	req := httptest.NewRequest(http.MethodPost, "/api/teams", io.MultiReader(body))
	req.ContentLength = -1
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != 413 || digest(t, ts.path) != before {
		t.Errorf("chunked upload over the limit = %d %s, want 413 and the workspace unchanged", rec.Code, rec.Body)
	}
	if res, b := ts.do(t, http.MethodPost, "/api/teams", strings.NewReader("name=x"), "Content-Type: application/x-www-form-urlencoded", bearer); res.StatusCode != 400 {
		t.Errorf("a urlencoded form = %d %s, want 400", res.StatusCode, b)
	}
}

func gz(tb testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func digest(tb testing.TB, path string) [32]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestTeamsImportByArea: method=area apportions LSOAs by the LSOA polygons the workspace keeps,
// giving the set that `pcnmap teams import --method area --lsoa-polygons fixtures/lsoa.geojson`
// computes from the file; a workspace ingested without them answers 400 saying how to get them.
func TestTeamsImportByArea(t *testing.T) {
	ctx := context.Background()
	ts := newTeamServer(t, Config{Token: testToken})
	res, b := ts.upload(t, [][2]string{{"name", "by area"}, {"method", "area"}}, "trafford-localities.geojson", readFixture(t, "trafford-localities.geojson"), bearer)
	if res.StatusCode != 201 {
		t.Fatalf("import by area = %d %s", res.StatusCode, b)
	}
	got := decode[ImportResult](t, b)

	// What the CLI does with the file: the same reader, the same options.
	d := fixtureDataset(t)
	lsoas, err := geo.ReadFile(fixtures.Path("lsoa.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := teams.FromPolygons(ctx, d, layer, teams.PolygonOptions{Method: teams.MethodArea, LSOAs: lsoas})
	if err != nil {
		t.Fatal(err)
	}
	set, err := ts.teams.ws.LoadTeams(ctx, "", "by area")
	if err != nil {
		t.Fatal(err)
	}
	if set.Method != teams.MethodArea || len(set.Teams) != len(want.Set.Teams) {
		t.Fatalf("stored set: method %s, %d teams; want area, %d", set.Method, len(set.Teams), len(want.Set.Teams))
	}
	var split int
	for i, team := range set.Teams {
		w := want.Set.Teams[i]
		if team.Name != w.Name || len(team.LSOAs) != len(w.LSOAs) {
			t.Fatalf("team %d = %s with %d LSOAs, want %s with %d", i, team.Name, len(team.LSOAs), w.Name, len(w.LSOAs))
		}
		for j, l := range team.LSOAs {
			if l.LSOA != w.LSOAs[j].LSOA || math.Abs(l.Weight-w.LSOAs[j].Weight) > 1e-12 {
				t.Errorf("team %s LSOA %d = %v, want %v", team.Name, j, l, w.LSOAs[j])
			}
			if l.Weight < 1 {
				split++
			}
		}
	}
	if split == 0 {
		t.Error("no LSOA is split between teams: the area method was not used")
	}
	if !slices.Equal(got.Uncovered, nonNil(want.Uncovered)) || len(got.Contested) != len(want.Split) {
		t.Errorf("uncovered %v, %d contested; want %v, %d", got.Uncovered, len(got.Contested), want.Uncovered, len(want.Split))
	}

	bare := *d
	bare.LSOAPolygons = nil
	ts = newTeamServerOf(t, Config{Token: testToken}, &bare)
	if res, b := ts.upload(t, [][2]string{{"name", "by centroid"}}, "p.geojson", readFixture(t, "trafford-localities.geojson"), bearer); res.StatusCode != 201 {
		t.Errorf("import by centroid without LSOA polygons = %d %s, want 201", res.StatusCode, b)
	}
	before := digest(t, ts.path)
	res, b = ts.upload(t, [][2]string{{"name", "by area"}, {"method", "area"}}, "p.geojson", readFixture(t, "trafford-localities.geojson"), bearer)
	msg := decode[errorBody](t, b).Error
	if res.StatusCode != 400 || !strings.Contains(msg, "no LSOA polygons") || !strings.Contains(msg, "--lsoa-polygons") || strings.Contains(msg, ts.path) {
		t.Errorf("import by area without LSOA polygons = %d %q, want 400 saying to re-ingest with --lsoa-polygons (and naming no path)", res.StatusCode, msg)
	}
	if digest(t, ts.path) != before {
		t.Error("the workspace changed")
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TestTeamsPracticeWhatIf: a membership what-if over HTTP answers what app.WhatIfMembership (the
// use case `pcnmap teams whatif --move-practice` prints) gives for the same moves, codes in any case,
// with the two PCNs' list sizes (P91603's 7,053 patients counted by app/testdata/practice_list.sh),
// and stores nothing.
func TestTeamsPracticeWhatIf(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	if res, b := ts.upload(t, [][2]string{{"name", "Trafford localities"}}, "trafford-localities.geojson", readFixture(t, "trafford-localities.geojson"), bearer); res.StatusCode != http.StatusCreated {
		t.Fatalf("import = %d %s", res.StatusCode, b)
	}
	before := digest(t, ts.path)
	_, m, err := ts.teams.app.Load(t.Context(), "Trafford localities")
	if err != nil {
		t.Fatal(err)
	}
	practice := overlap.Membership{Practice: "P91603", From: "U42898", To: "U66368"}
	area := app.Move{Code: "E02001259", From: "North", To: "West"}
	tests := map[string]struct {
		body  string
		moves []app.Move
	}{
		"practice":          {`{"practice_moves":[{"practice":"p91603","from":"u42898","to":" U66368"}]}`, nil},
		"practice and area": {`{"moves":[{"code":"E02001259","from":"North","to":"West"}],"practice_moves":[{"practice":"P91603","from":"U42898","to":"U66368"}]}`, []app.Move{area}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			moved, err := app.WhatIf(m, tc.moves)
			if err != nil {
				t.Fatal(err)
			}
			want, err := app.WhatIfMembership(ts.teams.d, moved, []overlap.Membership{practice})
			if err != nil {
				t.Fatal(err)
			}
			res, b := ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif?threshold=1%25&detail=teams", strings.NewReader(tc.body), "Content-Type: application/json")
			if res.StatusCode != 200 {
				t.Fatalf("whatif = %d %s", res.StatusCode, b)
			}
			w := decode[WhatIf](t, b)
			wBefore := decode[Alignment](t, w.Before)
			if got, score := w.After.Score, want.Model.Alignment(0.01).Score; got != score || got == wBefore.Score {
				t.Errorf("after-score %v, the use case's %v (before %v)", got, score, wBefore.Score)
			}
			wantChange := PracticeChange{Practice: "P91603", Name: "BARRINGTON MEDICAL CENTRE", ListSize: 7053,
				From: PCNListRef{PCNRef{"U42898", "SOUTH TRAFFORD PCN"}, 34030, 34030 - 7053},
				To:   PCNListRef{PCNRef{"U66368", "NORTH TRAFFORD PCN"}, 44497, 44497 + 7053}, Small: true}
			if len(w.PracticeChanges) != 1 || w.PracticeChanges[0] != wantChange {
				t.Errorf("practice_changes %+v, want [%+v]", w.PracticeChanges, wantChange)
			}
		})
	}
	// Without practice moves the answer has no practice_changes.
	res, b := ts.do(t, http.MethodPost, "/api/teams/Trafford%20localities/whatif?detail=teams", strings.NewReader(`{"moves":[]}`), "Content-Type: application/json")
	if res.StatusCode != 200 || strings.Contains(string(b), "practice_changes") {
		t.Errorf("whatif without practice moves = %d, practice_changes present: %v", res.StatusCode, strings.Contains(string(b), "practice_changes"))
	}
	if digest(t, ts.path) != before {
		t.Error("a membership what-if changed the workspace")
	}
}

// TestTeamsBadRequests: what-if, rename, delete and tile requests that cannot be answered; none
// changes the workspace.
func TestTeamsBadRequests(t *testing.T) {
	ts := newTeamServer(t, Config{Token: testToken})
	if res, b := ts.upload(t, [][2]string{{"name", "s"}}, "x.csv", []byte("team,msoa\nA,E02001259\nB,E02001260\n"), bearer); res.StatusCode != 201 {
		t.Fatalf("import = %d %s", res.StatusCode, b)
	}
	if res, b := ts.upload(t, [][2]string{{"name", "other"}}, "x.csv", []byte("team,msoa\nA,E02001259\n"), bearer); res.StatusCode != 201 {
		t.Fatalf("import = %d %s", res.StatusCode, b)
	}
	before := digest(t, ts.path)
	whatif := "/api/teams/s/whatif"
	tests := map[string]struct {
		method, path, body string
		status             int
		contains           string
	}{
		"move unknown code":       {http.MethodPost, whatif, `{"moves":[{"code":"E02999999","from":"A","to":"B"}]}`, 400, "E02999999"},
		"move unknown team":       {http.MethodPost, whatif, `{"moves":[{"code":"E02001259","from":"A","to":"Z"}]}`, 400, `"Z"`},
		"move from wrong team":    {http.MethodPost, whatif, `{"moves":[{"code":"E02001259","from":"B","to":"A"}]}`, 400, "move 1"},
		"second move bad":         {http.MethodPost, whatif, `{"moves":[{"code":"E02001259","from":"A","to":"B"},{"code":"E02001259","from":"A","to":"B"}]}`, 400, "move 2"},
		"move to itself":          {http.MethodPost, whatif, `{"moves":[{"code":"E02001259","from":"A","to":"A"}]}`, 400, "move 1"},
		"not JSON":                {http.MethodPost, whatif, `{"moves":`, 400, "JSON"},
		"unknown field":           {http.MethodPost, whatif, `{"moves":[],"undo":true}`, 400, "undo"},
		"two values":              {http.MethodPost, whatif, `{"moves":[]} {}`, 400, "more than one"},
		"save_as taken":           {http.MethodPost, whatif, `{"moves":[],"save_as":"other"}`, 409, "other"},
		"save_as bad name":        {http.MethodPost, whatif, `{"moves":[],"save_as":" x"}`, 400, "spaces"},
		"whatif unknown set":      {http.MethodPost, "/api/teams/nope/whatif", `{"moves":[]}`, 404, "nope"},
		"whatif bad threshold":    {http.MethodPost, whatif + "?threshold=5", `{"moves":[]}`, 400, "threshold"},
		"whatif bad detail":       {http.MethodPost, whatif + "?detail=all", `{"moves":[]}`, 400, "detail"},
		"whatif too large":        {http.MethodPost, whatif, `{"moves":[` + strings.Repeat(`{"code":"E02001259","from":"A","to":"B"},`, 8000) + `{}]}`, 413, "Too Large"},
		"practice unknown":        {http.MethodPost, whatif, `{"practice_moves":[{"practice":"X99999","from":"U42898","to":"U66368"}]}`, 400, `practice move 1 (X99999:U42898:U66368): practice "X99999" is not in release`},
		"practice not in from":    {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U66368","to":"U42898"}]}`, 400, "practice move 1 (P91603:U66368:U42898): practice P91603 is not in PCN U66368"},
		"practice unknown PCN":    {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U42898","to":"U00000"}]}`, 400, `practice move 1 (P91603:U42898:U00000): PCN "U00000" is not in release`},
		"practice to its own PCN": {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U42898","to":"u42898"}]}`, 400, "practice move 1: from and to are both"},
		"practice no code":        {http.MethodPost, whatif, `{"practice_moves":[{"practice":" ","from":"U42898","to":"U66368"}]}`, 400, "practice move 1"},
		"practice no PCN":         {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U42898","to":""}]}`, 400, "practice move 1: from and to must both be PCN codes"},
		"second practice bad":     {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U42898","to":"U66368"},{"practice":"P91603","from":"U42898","to":"U66368"}]}`, 400, "practice move 2"},
		"practice after bad area": {http.MethodPost, whatif, `{"moves":[{"code":"E02001259","from":"B","to":"A"}],"practice_moves":[{"practice":"P91603","from":"U42898","to":"U66368"}]}`, 400, "move 1"},
		"too many practice moves": {http.MethodPost, whatif, `{"practice_moves":[` + strings.Repeat(`{"practice":"P91603","from":"U42898","to":"U66368"},`, 1000) + `{"practice":"P91603","from":"U42898","to":"U66368"}]}`, 400, "1001 practice moves, at most 1000"},
		"practice save_as":        {http.MethodPost, whatif, `{"practice_moves":[{"practice":"P91603","from":"U42898","to":"U66368"}],"save_as":"kept"}`, 400, "the release keeps the membership of its ePCN file"},
		"rename onto taken":       {http.MethodPatch, "/api/teams/s", `{"name":"other"}`, 409, "other"},
		"rename unknown":          {http.MethodPatch, "/api/teams/nope", `{"name":"x"}`, 404, "nope"},
		"rename empty":            {http.MethodPatch, "/api/teams/s", `{"name":""}`, 400, "name"},
		"rename not JSON":         {http.MethodPatch, "/api/teams/s", `name=x`, 400, "JSON"},
		"delete unknown":          {http.MethodDelete, "/api/teams/nope", "", 404, "nope"},
		"tile without set":        {http.MethodGet, "/tiles/teams/" + z10Trafford + ".mvt", "", 400, "set="},
		"tile unknown set":        {http.MethodGet, "/tiles/teams/" + z10Trafford + ".mvt?set=nope", "", 404, "nope"},
		"tilejson without set":    {http.MethodGet, "/tiles/teams.json", "", 400, "set="},
		"alignment unknown":       {http.MethodGet, "/api/teams/nope/alignment", "", 404, "nope"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, b := ts.do(t, tc.method, tc.path, strings.NewReader(tc.body), bearer, "Content-Type: application/json")
			msg := decode[errorBody](t, b).Error
			if res.StatusCode != tc.status || !strings.Contains(msg, tc.contains) {
				t.Errorf("%s %s = %d %q, want %d saying %q", tc.method, tc.path, res.StatusCode, msg, tc.status, tc.contains)
			}
			if digest(t, ts.path) != before {
				t.Errorf("the workspace changed")
			}
		})
	}
}

// TestSetNames: names that cannot sit in a URL path or a terminal line are refused; others survive
// the round trip through Location.
func TestSetNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"Trafford localities": true, "Équipes (2024) & co": true, "a": true,
		"": false, " x": false, "x ": false, "a/b": false, `a\b`: false, "50%": false, "a\nb": false, strings.Repeat("x", 101): false,
	} {
		if err := checkSetName(name); (err == nil) != ok {
			t.Errorf("checkSetName(%q) = %v, want ok %v", name, err, ok)
		}
		if ok {
			if got, err := url.PathUnescape(strings.TrimPrefix(location(name), "/api/teams/")); err != nil || got != name {
				t.Errorf("location(%q) = %q does not unescape back: %q, %v", name, location(name), got, err)
			}
		}
	}
}
