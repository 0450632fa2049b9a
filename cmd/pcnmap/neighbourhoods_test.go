package main

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"pcnmap/geo"
)

// TestNeighbourhoodsCommands runs design → list → assess → realign → whatif → export on the fixture.
func TestNeighbourhoodsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv",
		"--centroids", fixtureDir+"lsoa-centroids.csv", "--lsoa-polygons", fixtureDir+"lsoa.geojson")
	out, err := pcnmap(t, "neighbourhoods", "design", "--db", db, "--within", "la:E08000009", "--save-as", "plan")
	if err != nil {
		t.Fatalf("design: %v\n%s", err, out)
	}
	for _, want := range []string{"6 neighbourhoods", "upper bound", "teams suggest at 6", "contiguous over the LSOAs; upper bound", "Trafford 6", `saved as "plan"`} {
		if !strings.Contains(out, want) {
			t.Errorf("design output lacks %q:\n%s", want, out)
		}
	}
	if out, err := pcnmap(t, "teams", "list", "--db", db); err != nil || !strings.Contains(out, "plan") || !strings.Contains(out, "designed") {
		t.Errorf("teams list: %v\n%s", err, out)
	}
	if out, err := pcnmap(t, "neighbourhoods", "assess", "--db", db, "--set", "plan"); err != nil || !strings.Contains(out, "Trafford 100%") || !strings.Contains(out, "straddle") {
		t.Errorf("assess: %v\n%s", err, out)
	}
	out, err = pcnmap(t, "neighbourhoods", "realign", "--db", db, "--set", "plan", "--max-moves", "2")
	if err != nil || strings.Count(out, "→") < 8 {
		t.Fatalf("realign: %v\n%s", err, out)
	}
	// The first proposed move, tried as a membership what-if, gives the score realign said.
	line := strings.Fields(strings.Split(out, "\n")[1])
	move := line[0] + ":" + line[1] + ":" + line[2]
	after := line[7] // practice from to "Trafford N" before → after
	out, err = pcnmap(t, "teams", "whatif", "--db", db, "--set", "plan", "--move-practice", move)
	if err != nil || !strings.Contains(out, "alignment score: "+after) {
		t.Errorf("whatif --move-practice %s: %v, want score %s\n%s", move, err, after, out)
	}
	if _, err := pcnmap(t, "teams", "whatif", "--db", db, "--set", "plan", "--move-practice", move, "--save-as", "x"); !errors.Is(err, errUsage) {
		t.Errorf("whatif --move-practice --save-as: %v, want a usage error", err)
	}
	file := filepath.Join(dir, "plan.csv")
	if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "plan", "--out", file); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "lsoa,neighbourhood,weight" || len(rows) != 1+138 {
		t.Errorf("export: header %v, %d rows; want 138 Trafford LSOAs", rows[0], len(rows)-1)
	}
	// GeoJSON: six dissolved outlines whose areas add up to Trafford's LSOAs' (no gap, no overlap).
	gj := filepath.Join(dir, "plan.geojson")
	if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "plan", "--format", "geojson", "--out", gj); err != nil {
		t.Fatalf("export geojson: %v\n%s", err, out)
	}
	layer, err := geo.ReadFile(gj, geo.ReadOptions{CodeField: "name"})
	if err != nil {
		t.Fatal(err)
	}
	lsoas, err := geo.ReadFile(fixtureDir+"lsoa.geojson", geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inPlan := map[string]bool{}
	for _, r := range rows[1:] {
		inPlan[r[0]] = true
	}
	var want, got float64
	for _, f := range lsoas.Features {
		if inPlan[f.Code] {
			want += planar.Area(f.Geom)
		}
	}
	for _, f := range layer.Features {
		got += planar.Area(f.Geom)
	}
	if len(layer.Features) != 6 || math.Abs(got-want) > 1e-9*want+1e-12 {
		t.Errorf("geojson: %d outlines of area %.9g, want 6 of %.9g", len(layer.Features), got, want)
	}
	for name, args := range map[string][]string{
		"bad band":    {"--size", "50k-30k"},
		"bad nest":    {"--nest", "ward"},
		"bad region":  {"--within", "E08000009"},
		"impossible":  {"--count", "40", "--size", "30k-50k"},
		"bad blocks":  {"--from", "oa"},
		"bad count":   {"--count", "-1"},
		"unknown set": {"--start", "nope"},
	} {
		full := append([]string{"neighbourhoods", "design", "--db", db, "--within", "la:E08000009"}, args...)
		if _, err := pcnmap(t, full...); err == nil {
			t.Errorf("%s: design %v succeeded", name, args)
		}
	}
}

// TestNeighbourhoodsExportGPKG writes a designed plan and an imported set (Trafford's localities) as
// GeoPackages and reads them back with GDAL, an independent reader: one layer of multipolygons in
// EPSG:4326 with its R-tree index and QGIS style, GDAL's validator, the same bytes on a second
// export, and each feature's fields, values and outline equal to the GeoJSON export's.
func TestNeighbourhoodsExportGPKG(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("ogrinfo (Debian's gdal-bin) is not installed: skipping the GeoPackage checks")
	}
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		t.Skip("no ogr2ogr")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv",
		"--centroids", fixtureDir+"lsoa-centroids.csv", "--lsoa-polygons", fixtureDir+"lsoa.geojson")
	if out, err := pcnmap(t, "neighbourhoods", "design", "--db", db, "--within", "la:E08000009", "--save-as", "plan"); err != nil {
		t.Fatalf("design: %v\n%s", err, out)
	}
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "Trafford localities", fixtureDir+"trafford-localities.geojson"); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	for set, count := range map[string]int{"plan": 6, "Trafford localities": 4} {
		t.Run(set, func(t *testing.T) {
			export := func(format, file string) string {
				t.Helper()
				path := filepath.Join(dir, file)
				if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", set, "--format", format, "--out", path); err != nil {
					t.Fatalf("export --format %s: %v\n%s", format, err, out)
				}
				return path
			}
			gp := export("gpkg", set+".gpkg")
			if digest(t, gp) != digest(t, export("gpkg", set+" again.gpkg")) {
				t.Errorf("two GeoPackages of the same set differ")
			}
			info := runTool(t, ogrinfo, "-ro", "-so", "-al", gp)
			for _, want := range []string{"Layer name: neighbourhoods\n", "Geometry: Multi Polygon", `ID["EPSG",4326]`,
				"Geometry Column = geom", "Feature Count: " + strconv.Itoa(count) + "\n",
				"name: String", "registered: Real", "in_band: Integer(Boolean)", "band: String", "dominant_pcn: String",
				"dominant_share: Real", "pcns: String", "las: String", "urban_share: Real",
				"imd_core20: Real", "imd_1: Real", "imd_10: Real", "imd_unknown: Real",
				"income_core20: Real", "income_1: Real", "income_10: Real", "income_unknown: Real", "ruc: String"} {
				if !strings.Contains(info, want) {
					t.Errorf("ogrinfo lacks %q:\n%s", want, info)
				}
			}
			// The fixture's lookup has IMD_INCOME and no employment decile: no employment columns.
			if strings.Contains(info, "employment_") {
				t.Errorf("ogrinfo lists employment columns the fixture has no deciles for:\n%s", info)
			}
			checkIndexAndStyle(t, ogrinfo, gp, "neighbourhoods")
			t.Run("validator", func(t *testing.T) { validateGPKG(t, gp) })

			// GDAL's GeoJSON of the GeoPackage against pcnmap's own GeoJSON export, feature by feature.
			fromGPKG := filepath.Join(t.TempDir(), "from-gpkg.geojson")
			runTool(t, ogr2ogr, "-f", "GeoJSON", fromGPKG, gp, "neighbourhoods")
			got, want := readFeatures(t, fromGPKG), readFeatures(t, export("geojson", set+".geojson"))
			if len(got) != count || len(got) != len(want) {
				t.Fatalf("%d features from the GeoPackage, %d in the GeoJSON export; want %d", len(got), len(want), count)
			}
			// Profiles as testdata/report-neighbourhoods/profile.py counts them: North 17401 of 54358
			// residents in IMD decile 4, (2958+7384)/54358 in deciles 1-2, 15347 in income decile 2,
			// (7367+15347)/54358 in income deciles 1-2; South 79032, 3405, 1564 of 84001 in A1, C1, E1.
			for _, w := range want {
				switch n := w.Properties["name"]; {
				case set != "Trafford localities":
				case n == "North" && (w.Properties["imd_4"] != 0.3201 || w.Properties["imd_core20"] != 0.1903 || w.Properties["imd_unknown"] != 0.0):
					t.Errorf("North: imd_4 %v, imd_core20 %v, imd_unknown %v; want 0.3201, 0.1903, 0", w.Properties["imd_4"], w.Properties["imd_core20"], w.Properties["imd_unknown"])
				case n == "North" && (w.Properties["income_2"] != 0.2823 || w.Properties["income_core20"] != 0.4179 || w.Properties["income_unknown"] != 0.0):
					t.Errorf("North: income_2 %v, income_core20 %v, income_unknown %v; want 0.2823, 0.4179, 0", w.Properties["income_2"], w.Properties["income_core20"], w.Properties["income_unknown"])
				case n == "South" && w.Properties["ruc"] != "A1:0.9408,C1:0.0405,E1:0.0186":
					t.Errorf("South: ruc %v, want A1:0.9408,C1:0.0405,E1:0.0186", w.Properties["ruc"])
				}
			}
			for i, w := range want {
				g := got[i]
				if len(g.Properties) != len(w.Properties) {
					t.Errorf("feature %d: fields %v, want %v", i, g.Properties, w.Properties)
				}
				for k, wv := range w.Properties {
					gv, ok := g.Properties[k]
					if wf, isNum := wv.(float64); isNum {
						gf, _ := gv.(float64)
						if !ok || math.Abs(gf-wf) > 1e-9*math.Abs(wf) {
							t.Errorf("feature %d (%v): %s = %v in the GeoPackage, %v in the GeoJSON", i, w.Properties["name"], k, gv, wv)
						}
					} else if !ok || gv != wv {
						t.Errorf("feature %d (%v): %s = %v in the GeoPackage, %v in the GeoJSON", i, w.Properties["name"], k, gv, wv)
					}
				}
				ga, wa := planar.Area(g.Geometry), planar.Area(w.Geometry)
				if wa <= 0 || math.Abs(ga-wa) > 1e-9*wa {
					t.Errorf("feature %d (%v): area %.12g in the GeoPackage, %.12g in the GeoJSON", i, w.Properties["name"], ga, wa)
				}
			}
		})
	}
	// Without LSOA polygons the outlines are dissolved from the areas: still the same bytes twice,
	// one feature per locality, and GDAL's validator passes.
	t.Run("from areas", func(t *testing.T) {
		adb := filepath.Join(dir, "areas.db")
		ingestFixture(t, adb, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
		if out, err := pcnmap(t, "teams", "import", "--db", adb, "--name", "Trafford localities", fixtureDir+"trafford-localities.geojson"); err != nil {
			t.Fatalf("teams import: %v\n%s", err, out)
		}
		var sums [2][32]byte
		for i := range sums {
			gp := filepath.Join(dir, "areas"+strconv.Itoa(i)+".gpkg")
			if out, err := pcnmap(t, "neighbourhoods", "export", "--db", adb, "--set", "Trafford localities", "--format", "gpkg", "--out", gp); err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			sums[i] = digest(t, gp)
			if i == 0 {
				if info := runTool(t, ogrinfo, "-ro", "-so", gp, "neighbourhoods"); !strings.Contains(info, "Feature Count: 4\n") {
					t.Errorf("ogrinfo:\n%s", info)
				}
				validateGPKG(t, gp)
			}
		}
		if sums[0] != sums[1] {
			t.Errorf("two GeoPackages dissolved from the areas differ")
		}
	})
	if _, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "plan", "--format", "shp", "--out", filepath.Join(dir, "x")); !errors.Is(err, errUsage) {
		t.Errorf("export --format shp: %v, want a usage error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Errorf("a refused export left its file")
	}
}

// readFeatures reads a GeoJSON FeatureCollection's features in order.
func readFeatures(t *testing.T, path string) []*geojson.Feature {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return fc.Features
}
