package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// gisLayers are the layers `report --format gpkg` writes for the fixture with a footprint set, with
// the GDAL field types of some columns each (ogrinfo -so names them so).
var gisLayers = map[string]struct {
	geometry bool
	fields   map[string]string
}{
	"areas": {true, map[string]string{"code": "String", "registered": "Integer64", "pcns": "Integer64",
		"dominant_share": "Real", "entropy": "Real", "sub_icb": "String", "rurality": "String"}},
	"pcn_footprints": {true, map[string]string{"code": "String", "list_size": "Integer64", "containment": "Real", "icb": "String"}},
	"pcn_cores":      {true, map[string]string{"code": "String", "core_areas": "Integer64"}},
	"pcn_pairs":      {false, map[string]string{"pcn1": "String", "overlap": "Integer64", "shared_areas": "Integer64"}},
	"boundaries":     {true, map[string]string{"kind": "String", "dissolved": "Integer64"}},
	"teams":          {true, map[string]string{"set": "String", "team": "String", "registered": "Real", "score": "Real"}},
}

// TestReportGIS writes the fixture (with Trafford's localities) as a GeoPackage and as GeoJSON and
// reads them back with GDAL, an independent reader: the layers, field types, CRS, R-tree indexes and
// styles; the areas' metrics against areas.csv; the same bytes on a second run.
func TestReportGIS(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Skip("ogrinfo (Debian's gdal-bin) is not installed: skipping the GeoPackage checks")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", "Trafford localities", fixtureDir+"trafford-localities.geojson"); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"--out", filepath.Join(dir, "csv")},
		{"--format", "gpkg", "--out", filepath.Join(dir, "gpkg")},
		{"--format", "gpkg", "--out", filepath.Join(dir, "again")},
		{"--format", "geojson", "--out", filepath.Join(dir, "geojson")},
	} {
		if out, err := pcnmap(t, append([]string{"report", "--db", db, "--threshold", "1%"}, args...)...); err != nil {
			t.Fatalf("report %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	gp := filepath.Join(dir, "gpkg", GeoPackageName)
	if digest(t, gp) != digest(t, filepath.Join(dir, "again", GeoPackageName)) {
		t.Errorf("two GeoPackages of the same workspace differ")
	}
	run := func(name string, args ...string) string {
		t.Helper()
		return runTool(t, name, args...)
	}

	t.Run("ogrinfo", func(t *testing.T) {
		out := run(ogrinfo, "-ro", "-al", "-so", gp)
		blocks := strings.Split(out, "\nLayer name: ")
		seen := map[string]bool{}
		for _, b := range blocks[1:] {
			name, _, _ := strings.Cut(b, "\n")
			seen[name] = true
			want, ok := gisLayers[name]
			if !ok {
				if name != "layer_styles" {
					t.Errorf("unexpected layer %q", name)
				}
				continue
			}
			if want.geometry {
				for _, s := range []string{"Geometry: Multi Polygon", `ID["EPSG",4326]`, "Geometry Column = geom"} {
					if !strings.Contains(b, s) {
						t.Errorf("layer %s: ogrinfo lacks %q", name, s)
					}
				}
			}
			for f, typ := range want.fields {
				if !regexp.MustCompile(`(?m)^` + f + `: ` + typ + ` `).MatchString(b) {
					t.Errorf("layer %s: no field %s of type %s", name, f, typ)
				}
			}
		}
		for name := range gisLayers {
			if !seen[name] {
				t.Errorf("layer %s missing:\n%s", name, out)
			}
		}
	})

	t.Run("rtree and styles", func(t *testing.T) {
		for name, l := range gisLayers {
			if l.geometry {
				checkIndexAndStyle(t, ogrinfo, gp, name)
			}
		}
	})

	t.Run("validator", func(t *testing.T) {
		validateGPKG(t, gp)
	})

	t.Run("areas equal areas.csv", func(t *testing.T) {
		ogr2ogr, err := exec.LookPath("ogr2ogr")
		if err != nil {
			t.Skip("no ogr2ogr")
		}
		gj := filepath.Join(t.TempDir(), "areas.geojson")
		run(ogr2ogr, "-f", "GeoJSON", gj, gp, "areas")
		var fc struct {
			Features []struct {
				Properties map[string]any
				Geometry   *struct{ Type string }
			}
		}
		b, err := os.ReadFile(gj)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, "csv", "areas.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows)-1 != len(fc.Features) {
			t.Fatalf("%d areas in areas.csv, %d in the GeoPackage", len(rows)-1, len(fc.Features))
		}
		head := rows[0]
		for i, row := range rows[1:] {
			p := fc.Features[i].Properties
			if fc.Features[i].Geometry == nil || fc.Features[i].Geometry.Type != "MultiPolygon" {
				t.Errorf("area %s: geometry %v", row[0], fc.Features[i].Geometry)
			}
			for j, col := range head {
				v, ok := p[strings.ReplaceAll(col, "-", "_")]
				if !ok {
					t.Fatalf("areas layer has no column for areas.csv's %s", col)
				}
				got := ""
				switch v := v.(type) {
				case nil:
				case string:
					got = v
				case float64:
					if want, err := strconv.ParseFloat(row[j], 64); err == nil && math.Abs(v-want) <= 5e-7 {
						got = row[j]
					} else {
						got = strconv.FormatFloat(v, 'f', -1, 64)
					}
				}
				if got != row[j] {
					t.Errorf("area %s: %s = %q in the GeoPackage, %q in areas.csv", row[0], col, got, row[j])
				}
			}
		}
	})

	t.Run("geojson", func(t *testing.T) {
		for name := range gisLayers {
			count := func(path, layer string) string {
				out := run(ogrinfo, "-ro", "-so", path, layer)
				m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("ogrinfo %s: no feature count:\n%s", path, out)
				}
				return m[1]
			}
			if g, p := count(filepath.Join(dir, "geojson", name+".geojson"), name), count(gp, name); g != p {
				t.Errorf("%s: %s features in the GeoJSON, %s in the GeoPackage", name, g, p)
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "geojson", "areas.geojson"))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) || !bytes.HasPrefix(b, []byte(`{"type":"FeatureCollection"`)) {
			t.Errorf("areas.geojson is not a FeatureCollection")
		}
	})
}

// runTool runs an outside program (GDAL's) and returns its output, failing the test when it fails.
func runTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

// checkIndexAndStyle asks GDAL whether the feature table name of the GeoPackage gp has its R-tree
// index with every feature in it and one default QGIS style.
func checkIndexAndStyle(t testing.TB, ogrinfo, gp, name string) {
	t.Helper()
	q := "SELECT HasSpatialIndex('" + name + "', 'geom') AS idx, (SELECT count(*) FROM rtree_" + name + "_geom) AS indexed, " +
		"(SELECT count(*) FROM " + name + " WHERE geom IS NOT NULL) AS features, " +
		"(SELECT count(*) FROM layer_styles WHERE f_table_name = '" + name + "' AND useAsDefault AND styleQML LIKE '%<renderer-v2%') AS styles"
	out := runTool(t, ogrinfo, "-ro", "-q", gp, "-sql", q)
	v := map[string]int{}
	for _, m := range regexp.MustCompile(`(\w+) \(Integer\) = (\d+)`).FindAllStringSubmatch(out, -1) {
		v[m[1]], _ = strconv.Atoi(m[2])
	}
	if v["idx"] != 1 || v["indexed"] != v["features"] || v["features"] == 0 || v["styles"] != 1 {
		t.Errorf("layer %s: spatial index %d, %d of %d features indexed, %d default styles; want 1, all, 1:\n%s",
			name, v["idx"], v["indexed"], v["features"], v["styles"], out)
	}
}

// validateGPKG runs GDAL's GeoPackage validator on gp, where python3-gdal is installed.
func validateGPKG(t *testing.T, gp string) {
	t.Helper()
	script := "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
	if _, err := os.Stat(script); err != nil {
		t.Skip("GDAL's validate_gpkg.py (Debian's python3-gdal) is not installed")
	}
	runTool(t, "/usr/bin/python3", script, gp)
}
