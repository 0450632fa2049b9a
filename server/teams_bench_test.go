package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/store"
)

var nationalTeams struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// nationalTeamServer is a server over a workspace holding the national release (built from the
// national files with the LSOA centroids and polygons, saved once per process); it skips without
// them. The server is given the release as Load reads it, without the LSOA polygons.
func nationalTeamServer(b *testing.B) *teamServer {
	b.Helper()
	d, err := fixtures.National()
	if errors.Is(err, os.ErrNotExist) {
		b.Skip("national data absent:", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	nationalTeams.once.Do(func() {
		if nationalTeams.dir, nationalTeams.err = os.MkdirTemp("", "pcnmap-bench-"); nationalTeams.err == nil {
			nationalTeams.path = filepath.Join(nationalTeams.dir, "england.db")
			nationalTeams.err = store.Ingest(context.Background(), nationalTeams.path, d, time.Now())
		}
	})
	if nationalTeams.err != nil {
		b.Fatal(nationalTeams.err)
	}
	ctx := context.Background()
	ws, err := store.Open(ctx, nationalTeams.path, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ws.Close() })
	served := *d
	served.LSOAPolygons = nil
	s, err := New(ctx, Config{Token: testToken}, Data{Dataset: &served, Workspace: ws})
	if err != nil {
		b.Fatal(err)
	}
	return &teamServer{Server: s, path: nationalTeams.path}
}

// post sends a request straight to the handler (no OpenAPI check: benchmarks time the server).
func (ts *teamServer) post(b *testing.B, path, ctype string, body *strings.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

// BenchmarkTeamsWhatIf is POST /api/teams/{set}/whatif on the national release: one MSOA moved,
// the alignment before and after encoded as JSON. Two sets: "icb-50", a trust-sized set of 50
// polygon teams over Greater Manchester ICB (imported through the API), and "england-la", one team
// per local authority (~310 teams × 1,250 PCNs, every LSOA of England in a team, an answer of
// megabytes). "cached" is a request after the first (the base model is kept per set and cloned, the
// "before" kept encoded); "cold" rebuilds everything (read the set, resolve it against every
// registration row), as the first request after an import does. "practice" is a membership what-if
// (one practice moved to another PCN, detail=teams): the release copied and its totals derived again,
// and the set resolved against the copy; "practice" keeps the copy for the next request with the same
// practice moves (the map sends them again with every click), "practice-cold" derives it each time.
func BenchmarkTeamsWhatIf(b *testing.B) {
	ts := nationalTeamServer(b)
	ctx := context.Background()
	set, err := fixtures.TeamsByLA(ctx, ts.d)
	if err != nil {
		b.Fatal(err)
	}
	set.Name = "bench-la"
	if err := ts.teams.ws.SaveTeams(ctx, ts.d.Release, set, true); err != nil {
		b.Fatal(err)
	}
	geojson, _ := gmGrid(b, ts)
	buf, ctype := form(b, [][2]string{{"name", "bench-grid"}}, "gm-50.geojson", geojson, nil)
	ts.teams.ws.DeleteTeams(ctx, ts.d.Release, "bench-grid")
	if rec := ts.post(b, "/api/teams", ctype, strings.NewReader(buf.String())); rec.Code != http.StatusCreated {
		b.Fatalf("import = %d %s", rec.Code, rec.Body)
	}
	b.Cleanup(func() {
		ts.teams.ws.DeleteTeams(ctx, ts.d.Release, "bench-la")
		ts.teams.ws.DeleteTeams(ctx, ts.d.Release, "bench-grid")
	})
	for _, set := range []string{"bench-grid", "bench-la"} {
		// Move the first area of the set to another team.
		e, err := ts.teams.get(ctx, set)
		if err != nil {
			b.Fatal(err)
		}
		at := e.areas[0]
		from, to := e.set.Teams[at.Team].Name, e.set.Teams[(at.Team+1)%len(e.set.Teams)].Name
		body := fmt.Sprintf(`{"moves":[{"code":%q,"from":%q,"to":%q}]}`, ts.d.Areas[at.Area].Code, from, to)
		// A membership what-if: the first practice of the first PCN moved to the second PCN.
		p0, p1 := ts.d.PCNs[0], ts.d.PCNs[1]
		practiceBody := fmt.Sprintf(`{"practice_moves":[{"practice":%q,"from":%q,"to":%q}]}`, ts.d.Practices[p0.Practices[0]].Code, p0.Code, p1.Code)
		run := func(b *testing.B, path string, cold bool) {
			body := body
			practice := strings.HasSuffix(path, "&practice")
			if practice {
				body = practiceBody
			}
			rec := ts.post(b, path, "application/json", strings.NewReader(body))
			if rec.Code != 200 {
				b.Fatalf("whatif = %d %s", rec.Code, rec.Body)
			}
			b.SetBytes(int64(rec.Body.Len()))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				switch {
				case cold && practice:
					ts.teams.membership = newMemo[string, *app.Membership](2) // forget the edited release
				case cold:
					ts.teams.entries = newMemo[teamKey, *teamEntry](8) // forget the resolved set
				}
				if rec := ts.post(b, path, "application/json", strings.NewReader(body)); rec.Code != 200 {
					b.Fatalf("whatif = %d %s", rec.Code, rec.Body)
				}
			}
		}
		name := map[string]string{"bench-grid": "icb-50", "bench-la": "england-la"}[set]
		b.Logf("%s: %d teams, %d PCNs", name, len(e.set.Teams), len(ts.d.PCNs))
		path := "/api/teams/" + set + "/whatif"
		b.Run(name+"/cached", func(b *testing.B) { run(b, path, false) })
		b.Run(name+"/cold", func(b *testing.B) { run(b, path, true) })
		b.Run(name+"/teams-only", func(b *testing.B) { run(b, path+"?detail=teams", false) })
		b.Run(name+"/practice", func(b *testing.B) { run(b, path+"?detail=teams&practice", false) })
		b.Run(name+"/practice-cold", func(b *testing.B) { run(b, path+"?detail=teams&practice", true) })
	}
}

// gmGrid is a 50-team polygon set over Greater Manchester ICB: a 10 × 5 grid of rectangles over its
// areas' bound, as GeoJSON.
func gmGrid(b *testing.B, ts *teamServer) ([]byte, string) {
	b.Helper()
	icb := ts.d.Areas[mustArea(b, ts.d, traffordArea)].Units[nhs.KindICB]
	first := true
	var minX, minY, maxX, maxY float64
	for _, a := range ts.d.Areas {
		if a.Units[nhs.KindICB] != icb {
			continue
		}
		if first {
			minX, minY, maxX, maxY = a.Bound.Min[0], a.Bound.Min[1], a.Bound.Max[0], a.Bound.Max[1]
			first = false
		}
		minX, minY = min(minX, a.Bound.Min[0]), min(minY, a.Bound.Min[1])
		maxX, maxY = max(maxX, a.Bound.Max[0]), max(maxY, a.Bound.Max[1])
	}
	var features []string
	const nx, ny = 10, 5
	for i := 0; i < nx; i++ {
		for j := 0; j < ny; j++ {
			x0, x1 := minX+(maxX-minX)*float64(i)/nx, minX+(maxX-minX)*float64(i+1)/nx
			y0, y1 := minY+(maxY-minY)*float64(j)/ny, minY+(maxY-minY)*float64(j+1)/ny
			features = append(features, feature(fmt.Sprintf("Team %02d", i*ny+j+1),
				fmt.Sprintf("[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)))
		}
	}
	return collection(features...), icb
}

// BenchmarkTeamsImportICB is POST /api/teams of a 50-team polygon set over Greater Manchester ICB
// (a 10 × 5 grid of rectangles over its areas' bound, as GeoJSON) on the national release: the
// multipart read, the GeoJSON parse, the LSOAs placed, the model check and the save. "centroid"
// places them by the centroids stored with the LSOAs; "area" reads the LSOA polygons near the teams
// from the workspace (through the R*Tree, decoding their WKB) and apportions each on a 32 × 32 grid.
// The set is deleted between iterations, off the clock.
func BenchmarkTeamsImportICB(b *testing.B) {
	ts := nationalTeamServer(b)
	geojson, icb := gmGrid(b, ts)
	ctx := context.Background()
	b.Logf("ICB %s, %d bytes of GeoJSON", icb, len(geojson))
	for _, method := range []string{"centroid", "area"} {
		b.Run(method, func(b *testing.B) {
			buf, ctype := form(b, [][2]string{{"name", "bench-icb"}, {"method", method}}, "gm-50.geojson", geojson, nil)
			payload := buf.String()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec := ts.post(b, "/api/teams", ctype, strings.NewReader(payload))
				if rec.Code != http.StatusCreated {
					b.Fatalf("import = %d %s", rec.Code, rec.Body)
				}
				b.StopTimer()
				if i == 0 {
					imp := decode[ImportResult](b, rec.Body.Bytes())
					b.Logf("%s: %d teams, %d uncovered, %d contested, %d without a point", method, imp.Set.Teams, len(imp.Uncovered), len(imp.Contested), imp.Missing)
				}
				if err := ts.teams.ws.DeleteTeams(ctx, ts.d.Release, "bench-icb"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
