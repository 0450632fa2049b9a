package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/app"
	fx "pcnmap/fixtures"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/store"
)

// ingest2021 ingests the 2021-geography fixture (Stoke-on-Trent's part of the QNC extract) within
// la:E06000021, placing LSOAs by the lookup and checking them against the centroids given; extra
// arguments (--release NAME) go last.
func ingest2021(t *testing.T, db, centroids string, extra ...string) string {
	t.Helper()
	d := fixtureDir + "2021/"
	out, err := pcnmap(t, append([]string{"ingest", "--db", db, "--within", "la:E06000021",
		"--areas", d + "msoa21.geojson", "--registrations", d + "registrations-2025-10-icb-QNC-stoke.csv.gz",
		"--membership", d + "practice-map-2025-10.csv", "--lookup", d + "lsoa21-msoa21.csv", "--centroids", d + centroids,
		"--lsoa-polygons", d + "lsoa21.geojson",
		"--context", d + "lsoa21-sicbl24-icb24.csv", "--context", d + "lsoa21-ward24-lad24.csv", "--context", d + "practice-map-2025-10.csv"}, extra...)...)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	return out
}

// TestReport2021Golden: the 2021 fixture's reports against testdata/report-2021/*.golden (go test
// -update rewrites them); the centroids as the ONS points Shapefile, as a GeoPackage (both BNG) and
// as CSV (WGS84) place every LSOA as the lookup does and make the same release: the same reports,
// and in the workspace the same areas, PCNs, practices, LSOAs, coverage and notes, the LSOAs'
// points the same to the bit from the Shapefile and the GeoPackage (the same BNG coordinates,
// converted alike) and within 1e-4 degrees of them from the CSV (ONS's own WGS84 columns).
func TestReport2021Golden(t *testing.T) {
	dir := t.TempDir()
	inputs := []string{"lsoa21-centroids-shp", "lsoa21-centroids.gpkg", "lsoa21-centroids.csv"}
	var files []map[string][]byte
	var releases []*overlap.Dataset
	for i, centroids := range inputs {
		db := filepath.Join(dir, centroids+".db")
		out := ingest2021(t, db, centroids)
		if !strings.Contains(out, "spatial check: 0 of ") || !strings.Contains(out, "membership as of 2025-10-01, the date in the file name") {
			t.Errorf("ingest with %s:\n%s", centroids, out)
		}
		files = append(files, reportFiles(t, db, "1%"))
		if i == 0 {
			for name, b := range files[0] {
				fx.Golden(t, filepath.Join("testdata", "report-2021", name+".golden"), b)
			}
		}
		releases = append(releases, loadOnly(t, db))
	}
	for i := 1; i < len(inputs); i++ {
		for name := range files[0] {
			if string(files[0][name]) != string(files[i][name]) {
				t.Errorf("%s differs between the %s and the %s centroids", name, inputs[0], inputs[i])
			}
		}
		a, b := releases[0], releases[i]
		if len(a.LSOAs) != 163 || len(b.LSOAs) != len(a.LSOAs) {
			t.Fatalf("%d LSOAs from %s, %d from %s; want 163 each", len(a.LSOAs), inputs[0], len(b.LSOAs), inputs[i])
		}
		for j := range a.LSOAs {
			p, q := a.LSOAs[j], b.LSOAs[j]
			if !p.HasPoint || !q.HasPoint || (i == 1 && p.Point != q.Point) || math.Abs(p.Point[0]-q.Point[0]) > 1e-4 || math.Abs(p.Point[1]-q.Point[1]) > 1e-4 {
				t.Errorf("LSOA %s at %v from %s, %s at %v from %s", p.Code, p.Point, inputs[0], q.Code, q.Point, inputs[i])
			}
			p.Point, q.Point = orb.Point{}, orb.Point{}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("LSOA %+v from %s, %+v from %s", p, inputs[0], q, inputs[i])
			}
		}
		for what, v := range map[string][2]any{
			"areas": {a.Areas, b.Areas}, "PCNs": {a.PCNs, b.PCNs}, "practices": {a.Practices, b.Practices},
			"cells": {a.Cells, b.Cells}, "coverage": {a.Coverage, b.Coverage}, "notes": {a.Notes, b.Notes},
			"units": {a.Units, b.Units}, "release": {a.Release, b.Release},
		} {
			if !reflect.DeepEqual(v[0], v[1]) {
				t.Errorf("the release's %s differ between the %s and the %s centroids", what, inputs[0], inputs[i])
			}
		}
	}
}

// loadOnly loads the workspace's one release.
func loadOnly(t *testing.T, db string) *overlap.Dataset {
	t.Helper()
	ctx := context.Background()
	ws, err := store.Open(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	rs, err := ws.Releases(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("releases %v, %v; want one", rs, err)
	}
	d, err := ws.Load(ctx, rs[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTeams2021: on the 2021 fixture release, footprints by 2021 codes and by polygons placed with
// the 2021 centroids work: the 33 MSOA polygons imported as teams leave no LSOA of a covered area
// out, a team → MSOA 2021 code list imports, and the lookup of a point answers an MSOA of 2021.
func TestTeams2021(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingest2021(t, db, "lsoa21-centroids-shp")
	out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "msoas", "--name-field", "MSOA21CD", fixtureDir+"2021/msoa21.geojson")
	if err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "33 teams") || !strings.Contains(out, "uncovered LSOAs (in covered areas): 0") {
		t.Errorf("teams import of the 33 MSOAs:\n%s", out)
	}
	codes := filepath.Join(t.TempDir(), "codes.csv")
	if err := os.WriteFile(codes, []byte("team,msoa21cd\nNorth,E02002951\nNorth,E02002952\nSouth,E02002980\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "codes", codes); err != nil || !strings.Contains(out, "2 teams") {
		t.Errorf("teams import of MSOA 2021 codes: %v\n%s", err, out)
	}
	out, err = pcnmap(t, "lookup", "--db", db, "--lon", "-2.18", "--lat", "53.02")
	if err != nil || !strings.HasPrefix(out, "E02002965\tStoke-on-Trent 015") {
		t.Errorf("lookup: %v\n%s", err, out)
	}
}

// TestNeighbourhoodsWards2021: on the 2021 fixture release, whose ward lookup (LSOA 2021 → ward 2024)
// is a context, assess gives each neighbourhood's wards with their shares of its residents, the
// GeoJSON export their codes, and the report's neighbourhood section a Wards column. The expected
// shares are testdata/neighbourhoods-2021/wards.py's, counted from the fixture's files without
// pcnmap: North 13295 residents, Great Chell & Packmoor 0.4816, Goldenhill & Sandyford 0.3877,
// Tunstall 0.1307; South 6391, Hanford, Newstead & Trentham 1.
func TestNeighbourhoodsWards2021(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingest2021(t, db, "lsoa21-centroids.csv")
	codes := filepath.Join(dir, "codes.csv")
	if err := os.WriteFile(codes, []byte("team,msoa21cd\nNorth,E02002951\nNorth,E02002952\nSouth,E02002980\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "codes", codes); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	out, err := pcnmap(t, "neighbourhoods", "assess", "--db", db, "--set", "codes")
	if err != nil {
		t.Fatalf("assess: %v\n%s", err, out)
	}
	// The 2021 fixture has no IMD decile and no rural-urban class: assess says so.
	for _, want := range []string{"wards", "Great Chell & Packmoor 48%, Goldenhill & Sandyford 39%, Tunstall 13%", "Hanford, Newstead & Trentham 100%",
		"not given: " + neighbourhoods.MissingIMD, "not given: " + neighbourhoods.MissingRUC} {
		if !strings.Contains(out, want) {
			t.Errorf("assess lacks %q:\n%s", want, out)
		}
	}

	w, d, err := app.Open(t.Context(), db, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.AssessNeighbourhoods(t.Context(), w, d, "codes", 0.01, neighbourhoods.Band{Min: 30000, Max: 50000})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]neighbourhoods.UnitShare{
		"North": {{Code: "E05014572", Name: "Great Chell & Packmoor", Share: 0.4816}, {Code: "E05014571", Name: "Goldenhill & Sandyford", Share: 0.3877},
			{Code: "E05014588", Name: "Tunstall", Share: 0.1307}},
		"South": {{Code: "E05014573", Name: "Hanford, Newstead & Trentham", Share: 1}},
	}
	residents := map[string]float64{"North": 13295, "South": 6391}
	for _, n := range a.Neighbourhoods {
		if n.Registered != residents[n.Name] {
			t.Errorf("%s: %v residents, want %v", n.Name, n.Registered, residents[n.Name])
		}
		if len(n.Wards) != len(want[n.Name]) {
			t.Errorf("%s: wards %+v, want %+v", n.Name, n.Wards, want[n.Name])
			continue
		}
		for i, u := range n.Wards {
			if w := want[n.Name][i]; u.Code != w.Code || u.Name != w.Name || math.Abs(u.Share-w.Share) > 5e-5 {
				t.Errorf("%s: ward %d = %+v, want %+v", n.Name, i, u, w)
			}
		}
	}

	gj := filepath.Join(dir, "codes.geojson")
	if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "codes", "--format", "geojson", "--out", gj); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	props := map[string]string{}
	for _, f := range readFeatures(t, gj) {
		props[f.Properties.MustString("name")] = f.Properties.MustString("wards")
	}
	if props["North"] != "E05014572,E05014571,E05014588" || props["South"] != "E05014573" {
		t.Errorf("geojson wards = %v", props)
	}

	if sec := codesSection(t, db, dir); !strings.Contains(sec, "<th>Wards</th>") || !strings.Contains(sec, "<td>Great Chell &amp; Packmoor (48.2%), Goldenhill &amp; Sandyford (38.8%), Tunstall (13.1%)</td>") {
		t.Errorf("report section lacks the wards:\n%s", sec)
	} else if strings.Contains(sec, "Deprivation and rural-urban mix") || !strings.Contains(sec, "Not given: deprivation: the release has no IMD decile") ||
		!strings.Contains(sec, "Not given: rural-urban class: the release has no rural-urban class") {
		t.Errorf("report section on a release without IMD or rural-urban classes does not say so:\n%s", sec)
	}
}

// TestNeighbourhoodsCarried2021: the 2021 fixture ingested with the LSOA 2011 → 2021 lookup
// (--crosswalk) and 2011-LSOA context files (the LSOA 2011 → MSOA lookup's IMD_OVERALL and
// IMD_INCOME, the RUC 2011 classes) carries the classes onto the 2021 LSOAs: the registrations, on
// 2021 LSOAs already, are not moved; each 2021 LSOA has the classes of its one 2011 LSOA (the
// fixture's are unchanged or split), and assess profiles the neighbourhood Centre (MSOAs
// E02002959 and E02002966, with six parts of three split 2011 LSOAs) as
// testdata/neighbourhoods-2021/carried.py counts it without pcnmap: 22652 residents, by IMD decile
// 9723, 6939, 4339, 1651 in deciles 1–4 (core20 74%), by income decile 7125, 8041, 1496, 0, 5990
// (core20 67%), all in C1; and it says the profile is of 2011 LSOAs carried to 2021.
func TestNeighbourhoodsCarried2021(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	d := fixtureDir + "2021/"
	out := ingest2021(t, db, "lsoa21-centroids.csv", "--crosswalk", d+"lsoa11-lsoa21.csv",
		"--context", d+"lsoa11-msoa11.csv", "--context", d+"lsoa11-ruc11.csv")
	for _, want := range []string{"is on 2021 LSOAs", "moves none of them", "IMD_OVERALL (imd)", "IMD_INCOME (imd-income)", "RUC11CD (ruc)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	w, ds, err := app.Open(t.Context(), db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// carried.py's LSOAs: E01014212 unchanged, the others parts of split 2011 LSOAs.
	want := map[string][3]string{"E01014212": {"1", "1", "C1"}, "E01034052": {"1", "1", "C1"}, "E01034053": {"1", "1", "C1"},
		"E01034054": {"1", "2", "C1"}, "E01034056": {"2", "2", "C1"}, "E01034058": {"3", "2", "C1"}}
	seen := 0
	for _, l := range ds.LSOAs {
		if l.Area < 0 {
			continue
		}
		if l.Units[nhs.KindIMD] == "" || l.Units[nhs.KindRUC] == "" {
			t.Errorf("LSOA %s has no carried class: %v", l.Code, l.Units)
		}
		if w, ok := want[l.Code]; ok {
			seen++
			if got := [3]string{l.Units[nhs.KindIMD], l.Units[nhs.KindIMDIncome], l.Units[nhs.KindRUC]}; got != w {
				t.Errorf("LSOA %s: imd, income, ruc = %v, want %v", l.Code, got, w)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d LSOAs checked are in the release", seen, len(want))
	}
	if !strings.HasPrefix(ds.Coverage.Carried["imd"], "IMD 2019 on 2011 LSOAs carried to 2021 (lsoa11-msoa11.csv, IMD_OVERALL, through lsoa11-lsoa21.csv)") {
		t.Errorf("coverage.carried = %q", ds.Coverage.Carried)
	}
	codes := filepath.Join(dir, "codes.csv")
	if err := os.WriteFile(codes, []byte("team,msoa21cd\nCentre,E02002959\nCentre,E02002966\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "codes", codes); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	out, err = pcnmap(t, "neighbourhoods", "assess", "--db", db, "--set", "codes")
	if err != nil {
		t.Fatalf("assess: %v\n%s", err, out)
	}
	for _, want := range []string{`(?m)^Centre +22652 `,
		`(?m)^Centre +74% +43% +31% +19% +7% +0% +0% +0% +0% +0% +0% +0%$`,
		`(?m)^Centre +67% +31% +35% +7% +0% +26% +0% +0% +0% +0% +0% +0%$`,
		`(?m)^Centre +C1 Urban city and town 100%$`,
		`(?m)^carried: deprivation: IMD 2019 on 2011 LSOAs carried to 2021 \(lsoa11-msoa11\.csv, IMD_OVERALL, through lsoa11-lsoa21\.csv\)$`,
		`(?m)^carried: income deprivation: IMD 2019 income domain on 2011 LSOAs carried to 2021 `,
		`(?m)^carried: rural-urban class: RUC 2011 on 2011 LSOAs carried to 2021 `} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("assess lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not given") {
		t.Errorf("assess says a profile is not given:\n%s", out)
	}
	if sec := codesSection(t, db, dir); !strings.Contains(sec, "Carried: deprivation: IMD 2019 on 2011 LSOAs carried to 2021") ||
		!strings.Contains(sec, "Residents by IMD income domain decile") || strings.Contains(sec, "Not given") {
		t.Errorf("report section does not carry the profile:\n%s", sec)
	}
}

// TestDesign2021NHSCode: neighbourhoods design takes the region by NHS code as ingest and series do:
// within icb:QNC it designs the plan it designs within icb:E54000010, and an ICB the release does not
// know is an error naming --within.
func TestDesign2021NHSCode(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingest2021(t, db, "lsoa21-centroids.csv")
	design := func(within string) (string, error) {
		return pcnmap(t, "neighbourhoods", "design", "--db", db, "--within", within, "--count", "6", "--time-limit", "20s")
	}
	ons, err := design("icb:E54000010")
	if err != nil {
		t.Fatalf("design within icb:E54000010: %v\n%s", err, ons)
	}
	nhsCode, err := design("icb:qnc")
	if err != nil {
		t.Fatalf("design within icb:qnc: %v\n%s", err, nhsCode)
	}
	strip := func(s string) string { // the timings differ between runs
		return regexp.MustCompile(`in [0-9.]+m?s`).ReplaceAllString(s, "in …")
	}
	if strip(ons) != strip(nhsCode) {
		t.Errorf("icb:qnc designed\n%s\nwant the plan of icb:E54000010\n%s", nhsCode, ons)
	}
	if out, err := design("icb:QXX"); err == nil || !strings.Contains(out+err.Error(), `--within icb:QXX: release 2025-10 knows no icb "QXX"`) {
		t.Errorf("design within icb:QXX: %v %s, want an error naming --within", err, out)
	}
}

// codesSection writes the whole-release HTML report of the workspace db with the neighbourhood set
// "codes" into dir/html and returns the document's neighbourhood section.
func codesSection(t *testing.T, db, dir string) string {
	t.Helper()
	html := filepath.Join(dir, "html")
	if out, err := pcnmap(t, "report", "--db", db, "--neighbourhoods", "codes", "--format", "html", "--out", html); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(html, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	return nbhdSection(t, string(b))
}
