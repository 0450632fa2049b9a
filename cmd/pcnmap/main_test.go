package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"pcnmap/fixtures"
	"pcnmap/geo"
)

const fixtureDir = "../../fixtures/"

// pcnmap runs the command in-process and returns its stdout and error.
func pcnmap(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), &env{stdout: &out, stderr: &errOut}, args)
	return out.String(), err
}

// contextFlags are the fixture's context files, as `make run` passes them.
var contextFlags = []string{
	"--context", fixtureDir + "lsoa-msoa-lookup.csv", "--context", fixtureDir + "lsoa-ccg-lad.csv",
	"--context", fixtureDir + "lsoa-sub-icb.csv", "--context", fixtureDir + "sub-icb-icb.csv",
	"--context", fixtureDir + "ccg-stp.csv", "--context", fixtureDir + "lsoa-ruc.csv",
	"--context", fixtureDir + "sub-icb-bng.geojson",
}

// ingestFixture ingests the 2021 fixture release with the given areas file and LSOA placement flags.
func ingestFixture(t testing.TB, db, areas string, place ...string) {
	t.Helper()
	args := append([]string{"--areas", areas,
		"--registrations", fixtureDir + "registrations-2021-01.csv.gz", "--membership", fixtureDir + "epcn-2019-12.xlsx"}, place...)
	args = append(args, contextFlags...)
	ingest := func(db string) {
		t.Helper()
		full := append([]string{"ingest", "--db", db}, args...)
		if out, err := pcnmap(t, full...); err != nil {
			t.Fatalf("pcnmap %s: %v\n%s", strings.Join(full, " "), err, out)
		}
	}
	if _, err := os.Stat(db); err == nil {
		ingest(db) // into an existing workspace: a second release
		return
	}
	// A new workspace: a copy of the one ingested with the same inputs, ingested once per process
	// (tests of the ingest itself call pcnmap directly).
	ingested.mu.Lock()
	defer ingested.mu.Unlock()
	key := strings.Join(args, "\x00")
	src, ok := ingested.dbs[key]
	if !ok {
		if ingested.dir == "" {
			dir, err := os.MkdirTemp("", "pcnmap-cmd-test-")
			if err != nil {
				t.Fatal(err)
			}
			ingested.dir, ingested.dbs = dir, map[string]string{}
		}
		src = filepath.Join(ingested.dir, fmt.Sprintf("%d.db", len(ingested.dbs)))
		ingest(src)
		ingested.dbs[key] = src
	}
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(db, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// ingested are the workspaces ingestFixture made, by inputs, in a directory removed by TestMain.
var ingested struct {
	mu  sync.Mutex
	dir string
	dbs map[string]string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ingested.dir != "" {
		os.RemoveAll(ingested.dir)
	}
	os.Exit(code)
}

func reportFiles(t testing.TB, db string, threshold string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if out, err := pcnmap(t, "report", "--db", db, "--threshold", threshold, "--out", dir); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	files := map[string][]byte{}
	for _, name := range []string{"areas.csv", "pcns.csv", "pcn_pairs.csv", "summary.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

// TestReportGolden ingests the fixture and compares the report with testdata/report/*.golden;
// go test ./cmd/pcnmap -update rewrites them.
func TestReportGolden(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	for name, got := range reportFiles(t, db, "1%") {
		fixtures.Golden(t, filepath.Join("testdata", "report", name+".golden"), got)
	}
}

// TestFormatsAgree ingests the same MSOAs from GeoJSON (WGS84), GeoPackage and zipped Shapefile
// (both EPSG:27700): the reports must be byte-for-byte identical, placing LSOAs by the lookup and
// by their population-weighted centroids alike.
func TestFormatsAgree(t *testing.T) {
	for _, place := range [][]string{
		{"--lookup", fixtureDir + "lsoa-msoa-lookup.csv"},
		{"--centroids", fixtureDir + "lsoa-centroids.csv"},
	} {
		t.Run(place[0], func(t *testing.T) {
			var first map[string][]byte
			for _, areas := range []string{"msoa.geojson", "msoa-bng.gpkg", "msoa-bng-shp.zip"} {
				db := filepath.Join(t.TempDir(), "w.db")
				ingestFixture(t, db, fixtureDir+areas, place...)
				files := reportFiles(t, db, "1%")
				if first == nil {
					first = files
					continue
				}
				for name, b := range files {
					if !bytes.Equal(b, first[name]) {
						t.Errorf("%s from %s differs from the one from msoa.geojson", name, areas)
					}
				}
			}
		})
	}
}

// TestSpatialMatchesLookup: on the fixture, placing LSOAs by centroid gives the lookup's answer.
func TestSpatialMatchesLookup(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	args := []string{"ingest", "--db", db, "--areas", fixtureDir + "msoa.geojson",
		"--registrations", fixtureDir + "registrations-2021-01.csv.gz", "--membership", fixtureDir + "epcn-2019-12.xlsx",
		"--lookup", fixtureDir + "lsoa-msoa-lookup.csv", "--centroids", fixtureDir + "lsoa-centroids.csv"}
	out, err := pcnmap(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "note: spatial check: 0 of 443 LSOAs located by point fall in a different area from the lookup\n") {
		t.Errorf("ingest with --lookup and --centroids printed\n%s\nwant a spatial check with 0 of 443 LSOAs differing", out)
	}
}

func TestReleasesSideBySide(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	args := []string{"ingest", "--db", db, "--areas", fixtureDir + "msoa.geojson",
		"--registrations", fixtureDir + "registrations-2022-07.csv.gz", "--membership", fixtureDir + "epcn-2022-04.xlsx",
		"--lookup", fixtureDir + "lsoa-msoa-lookup.csv"}
	if out, err := pcnmap(t, args...); err != nil {
		t.Fatalf("ingest 2022: %v\n%s", err, out)
	}
	// Re-ingesting a release replaces it rather than adding a third.
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	out, err := pcnmap(t, "releases", "--db", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rs []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "2022-07" || rs[1].Name != "2021-01" {
		t.Errorf("releases = %+v, want 2022-07 and 2021-01", rs)
	}
	for _, r := range []string{"2021-01", "2022-07"} {
		if out, err := pcnmap(t, "report", "--db", db, "--release", r, "--out", t.TempDir()); err != nil || !strings.Contains(out, "release "+r) {
			t.Errorf("report --release %s: %v\n%s", r, err, out)
		}
	}
}

func TestLookup(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	tests := map[string]struct {
		lon, lat string
		want     string // the area code printed first, or an error text
		wantErr  bool
	}{
		// Population-weighted centroids of LSOAs whose MSOA the lookup gives.
		"Old Trafford": {"-2.26046", "53.465578", "E02001259", false},
		"Rutland 005A": {"-0.761460376428138", "52.622384277356815", "E02002867", false},
		"the sea":      {"-3.0", "53.5", "not found", true},
		"not a number": {"west", "53.5", "not numbers", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := pcnmap(t, "lookup", "--db", db, "--lon", tc.lon, "--lat", tc.lat)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("lookup %s,%s = %v, want an error containing %q", tc.lon, tc.lat, err, tc.want)
				}
				return
			}
			if err != nil || !strings.HasPrefix(out, tc.want) {
				t.Errorf("lookup %s,%s = %q, %v; want it to start with %s", tc.lon, tc.lat, out, err, tc.want)
			}
		})
	}
	points := filepath.Join(t.TempDir(), "points.csv")
	in := "id,longitude,latitude\n" +
		"1,-2.26046,53.465578\n" + // Old Trafford
		"2,-3.0,53.5\n" + // the sea
		"3,,\n" + // a blank row: the old code stopped here and wrote nothing
		"4,west,53.5\n" +
		"5,380000,397000\n" + // BNG metres given as lon,lat
		"6\n" + // a short row
		"7,-0.761460376428138,52.622384277356815\n" // Rutland 005A, after the bad rows
	if err := os.WriteFile(points, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := pcnmapStderr(t, "lookup", "--db", db, "--points", points)
	want := "id,longitude,latitude,area_code,area_name,error\n" +
		"1,-2.26046,53.465578,E02001259,Trafford 001,\n" +
		"2,-3.0,53.5,,,outside every area\n" +
		"3,,,,,no coordinates\n" +
		"4,west,53.5,,,\"\"\"west\"\",\"\"53.5\"\" is not a lon,lat pair\"\n" +
		"5,380000,397000,,,\"380000,397000 is not WGS84 lon,lat (British National Grid metres?)\"\n" +
		"6,,,,,no coordinates\n" +
		"7,-0.761460376428138,52.622384277356815,E02002867,Rutland 005,\n"
	if err != nil || out != want {
		t.Errorf("lookup --points =\n%s%v\nwant\n%s", out, err, want)
	}
	if wantCount := "release 2021-01: 7 rows: 2 in an area, 1 outside every area, 4 without a usable lon,lat"; !strings.Contains(stderr, wantCount) {
		t.Errorf("lookup --points stderr = %q, want it to contain %q", stderr, wantCount)
	}
	if out, _ := pcnmap(t, "lookup", "--db", db, "--lon", "-2.26046", "--lat", "53.465578"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "release 2021-01") {
		t.Errorf("lookup --lon --lat first line = %q, want it to name release 2021-01", strings.SplitN(out, "\n", 2)[0])
	}
}

// pcnmapStderr is pcnmap that also returns what the command wrote to stderr.
func pcnmapStderr(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), &env{stdout: &out, stderr: &errOut}, args)
	return out.String(), errOut.String(), err
}

// TestBadInput: each bad input fails with an error naming the file and the problem, and leaves an
// existing workspace byte-for-byte as it was.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := map[string]string{
		"--areas": fixtureDir + "msoa.geojson", "--registrations": fixtureDir + "registrations-2021-01.csv.gz",
		"--membership": fixtureDir + "epcn-2019-12.xlsx", "--lookup": fixtureDir + "lsoa-msoa-lookup.csv",
	}
	tests := map[string]struct {
		flag, path string
		want       []string // substrings of the error
	}{
		"missing column":      {"--registrations", write("nocount.csv", "PRACTICE_CODE,LSOA_CODE\nA1,E01000001\n"), []string{"nocount.csv", "Number of Patients"}},
		"non-numeric count":   {"--registrations", write("text.csv", "PRACTICE_CODE,LSOA_CODE,Number of Patients\nA1,E01000001,seven\n"), []string{"text.csv", "line 2", "seven"}},
		"negative count":      {"--registrations", write("neg.csv", "PRACTICE_CODE,LSOA_CODE,Number of Patients\nA1,E01000001,-3\n"), []string{"neg.csv", "line 2", "-3"}},
		"malformed line":      {"--registrations", write("bad.csv", "PRACTICE_CODE,LSOA_CODE,Number of Patients\nA1,E01000001,3,9\n"), []string{"bad.csv", "line 2"}},
		"truncated gzip":      {"--registrations", write("cut.csv.gz", truncated(t, fixtureDir+"registrations-2021-01.csv.gz")), []string{"cut.csv.gz"}},
		"corrupt zip":         {"--registrations", write("broken.zip", "PK\x03\x04 this is not a zip"), []string{"broken.zip"}},
		"xlsx without sheet":  {"--membership", write("empty.xlsx", emptyWorkbook(t)), []string{"empty.xlsx", "PCN Core Partner Details"}},
		"not a collection":    {"--areas", write("point.geojson", `{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0,51]}}`), []string{"point.geojson", "FeatureCollection"}},
		"unknown CRS":         {"--areas", write("crs.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`), []string{"crs.geojson", "3857"}},
		"duplicate area code": {"--areas", write("dup.geojson", duplicateAreas(t)), []string{"dup.geojson", "duplicate"}},
		"shapefile sans dbf":  {"--areas", shapefileWithoutDBF(t, dir), []string{".dbf"}},
		// Found by the cleaning, which runs beside the save (the areas are written last).
		"area off the globe":   {"--areas", write("far.geojson", farArea(t)), []string{"far.geojson", "feature 0", "--areas"}},
		"missing file":         {"--lookup", filepath.Join(dir, "absent.csv"), []string{"absent.csv"}},
		"LSOA polygon a point": {"--lsoa-polygons", write("lsoa.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA11CD":"E01005000"},"geometry":{"type":"Point","coordinates":[-2.3,53.4]}}]}`), []string{"lsoa.geojson", "E01005000", "Point"}},
		"no LSOA polygons":     {"--lsoa-polygons", fixtureDir + "msoa.geojson", []string{"msoa.geojson", "MSOA11CD", "LSOA"}},
	}
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	before := digest(t, db)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			inputs := map[string]string{}
			for k, v := range good {
				inputs[k] = v
			}
			inputs[tc.flag] = tc.path
			args := []string{"ingest", "--db", db, "--release", "2021-01"}
			for k, v := range inputs {
				args = append(args, k, v)
			}
			_, err := pcnmap(t, args...)
			if err == nil {
				t.Fatalf("ingest with %s = nil error, want one", name)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ingest with %s: error %q does not mention %q", name, err, w)
				}
			}
			if after := digest(t, db); after != before {
				t.Errorf("ingest with %s changed the workspace", name)
			}
		})
	}
	// A failed first ingest leaves no file behind.
	fresh := filepath.Join(dir, "fresh.db")
	if _, err := pcnmap(t, "ingest", "--db", fresh, "--areas", tests["not a collection"].path, "--registrations", good["--registrations"],
		"--membership", good["--membership"], "--lookup", good["--lookup"]); err == nil {
		t.Fatal("ingest of a bad areas file succeeded")
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed first ingest left %s behind (stat: %v)", fresh, err)
	}
}

func TestUsage(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"no command":      {nil, "no command"},
		"unknown command": {[]string{"frobnicate"}, "unknown command"},
		"missing flag":    {[]string{"report", "--out", "x"}, "--db is required"},
		"bad threshold":   {[]string{"report", "--db", "x", "--out", "y", "--threshold", "5"}, "5%"},
		"stray argument":  {[]string{"report", "--db", "x", "--out", "y", "extra"}, "unexpected argument"},
		"no placement":    {[]string{"ingest", "--db", "x", "--areas", "a", "--registrations", "r", "--membership", "m"}, "--lookup"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := pcnmap(t, tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("pcnmap %v = %v, want a usage error mentioning %q", tc.args, err, tc.want)
			}
		})
	}
	if out, err := pcnmap(t, "version"); err != nil || !strings.HasPrefix(out, "pcnmap ") {
		t.Errorf("pcnmap version = %q, %v", out, err)
	}
}

func digest(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func truncated(t testing.TB, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:len(b)/2])
}

// emptyWorkbook is an xlsx with one sheet named Sheet1.
func emptyWorkbook(t testing.TB) string {
	f := excelize.NewFile()
	defer f.Close()
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// duplicateAreas is the fixture GeoJSON with its first feature twice.
func duplicateAreas(t testing.TB) string {
	b, err := os.ReadFile(fixtureDir + "msoa.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc map[string]any
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	features := fc["features"].([]any)
	fc["features"] = append(features, features[0])
	out, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// farArea is the fixture's areas with the first vertex of the first moved to longitude 500.
func farArea(t testing.TB) string {
	b, err := os.ReadFile(fixtureDir + "msoa.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	c := fc.Features[0].Geometry.Coordinates
	i := bytes.IndexFunc(c, func(r rune) bool { return r == '-' || r >= '0' && r <= '9' })
	j := i + bytes.IndexByte(c[i:], ',')
	fc.Features[0].Geometry.Coordinates = append(append(append(json.RawMessage{}, c[:i]...), "500"...), c[j:]...)
	out, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// shapefileWithoutDBF unpacks the fixture shapefile into dir without its .dbf and returns the .shp.
func shapefileWithoutDBF(t testing.TB, dir string) string {
	zr, err := zip.OpenReader(fixtureDir + "msoa-bng-shp.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var shp string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".dbf") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "nodbf"+filepath.Ext(f.Name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".shp") {
			shp = p
		}
	}
	return shp
}

// FuzzLookupPoints: any CSV gives rows out or an error naming the file, never a panic.
func FuzzLookupPoints(f *testing.F) {
	idx := geo.NewIndex([]geo.Feature{{Code: "A", Name: "a", Geom: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}}})
	for _, s := range []string{"lon,lat\n0.5,0.5\n", "id,x,y\n1,2,3\n", "lat,lon\nNaN,Inf\n", "\ufefflongitude,latitude\n\"0.5\",0.5\n", "lon\n1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		n, err := lookupPoints(context.Background(), &out, idx, strings.NewReader(in), "points.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "points.csv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if n.rows != n.located+n.outside+n.bad {
			t.Fatalf("count %+v does not add up", n)
		}
		// Every input row is written: the output reads back as the header plus n.rows rows.
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(recs) != n.rows+1 {
			t.Fatalf("output has %d records (%v), want %d", len(recs), err, n.rows+1)
		}
	})
}
