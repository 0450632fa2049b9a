package geo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestReadPointsGeoJSON(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string // code=lon,lat rounded, or the error's fragment
		err  error
	}{
		"WGS84": {
			in:   `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Point","coordinates":[-0.0962663,51.5195916]}}]}`,
			want: "E01000001=-0.09627,51.51959",
		},
		"British National Grid, the ONS row of E01000001": {
			in:   `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature","properties":{"lsoa21cd":"E01000001"},"geometry":{"type":"Point","coordinates":[532181.7642,181792.2818]}}]}`,
			want: "E01000001=-0.09627,51.51959",
		},
		"a polygon": {
			in:  `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon","coordinates":[]}}]}`,
			err: ErrNotPoint, want: "not a Point: Polygon",
		},
		"degrees outside WGS84": {
			in:  `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Point","coordinates":[532181.7,181792.2]}}]}`,
			err: ErrCoordinates,
		},
		"two points for one code": {
			in:  `{"type":"FeatureCollection","features":[{"properties":{"LSOA21CD":"A"},"geometry":{"type":"Point","coordinates":[0,51]}},{"properties":{"LSOA21CD":"A"},"geometry":{"type":"Point","coordinates":[1,51]}}]}`,
			err: ErrDuplicateCode,
		},
		"not GeoJSON": {in: `{"type":`, err: ErrMalformed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "points.geojson")
			if err := os.WriteFile(p, []byte(tt.in), 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := ReadPoints(p, ReadOptions{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "points.geojson") {
					t.Fatalf("err = %v, want %v mentioning %q and the file", err, tt.err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for code, pt := range l.Points {
				got = append(got, code+"="+trim5(pt[0])+","+trim5(pt[1]))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("points = %v, want %s", got, tt.want)
			}
		})
	}
}

func trim5(v float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(math.Round(v*1e5)/1e5, 'f', 5, 64), "0"), ".")
}

// TestReadPointsRefusesPolygons: a polygon shapefile given where points are wanted is named as such.
func TestReadPointsRefusesPolygons(t *testing.T) {
	_, err := ReadPoints("testdata/lake-bng.shp", ReadOptions{})
	if !errors.Is(err, ErrNotPoint) || !strings.Contains(err.Error(), "not points") {
		t.Fatalf("err = %v, want ErrNotPoint saying the shapes are not points", err)
	}
}

// TestReadPointsShapefile reads two of the ONS LSOA 2021 centroids cut from the ONS Shapefile, in
// British National Grid, against the WGS84 columns of the CSV ONS publishes beside it.
func TestReadPointsShapefile(t *testing.T) {
	l, err := ReadPoints("testdata/tiny-points-bng.shp", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{"E01000001": {-0.0962663, 51.5195916}, "E01014360": {-2.2122884, 53.0714230}}
	if len(l.Points) != 2 || l.CodeField != "LSOA21CD" || l.CRS != CRSBNG {
		t.Fatalf("%d points, field %s, CRS %v; want 2, LSOA21CD, BNG", len(l.Points), l.CodeField, l.CRS)
	}
	for code, w := range want {
		p := l.Points[code]
		if math.Abs(p[0]-w[0]) > 1e-4 || math.Abs(p[1]-w[1]) > 1e-4 {
			t.Errorf("%s at %v, ONS says %v", code, p, w)
		}
	}
}

func FuzzReadPointShapefile(f *testing.F) {
	var parts [4][]byte
	for i, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		var err error
		if parts[i], err = os.ReadFile("testdata/tiny-points-bng" + ext); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(parts[0], parts[1], parts[2])
	f.Fuzz(func(t *testing.T, shp, shx, dbf []byte) {
		l, err := readPointShapefile("fuzz.shp", Shapefile{SHP: shp, SHX: shx, DBF: dbf, PRJ: parts[3]}, ReadOptions{})
		if err == nil && l == nil {
			t.Fatal("nil layer without an error")
		}
	})
}

func FuzzReadPointGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Point","coordinates":[-0.09,51.5]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := readPointGeoJSON("fuzz.geojson", b, ReadOptions{})
		if err == nil && l == nil {
			t.Fatal("nil layer without an error")
		}
	})
}

// fixtureCentroids is the 2021 fixture's LSOA centroids as a GeoPackage, cut by fixtures/gen with
// GDAL from the ONS points Shapefile (fixtures/ is the repository's shared sample data).
const fixtureCentroids = "../fixtures/2021/lsoa21-centroids"

// TestReadPointsGeoPackage reads the 2021 fixture's 163 LSOA centroids as GDAL writes a GeoPackage
// (EPSG:27700, with its R-tree), plain and gzipped: the same points as the Shapefile they were cut
// from, and each within 1e-4 degrees (about 7 m: ONS converts with OSTN15, pcnmap with a Helmert
// shift) of the WGS84 columns of the CSV ONS publishes beside it, read here with encoding/csv.
func TestReadPointsGeoPackage(t *testing.T) {
	shp, err := ReadPoints(fixtureCentroids+"-shp", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fixtureCentroids + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ons := map[string][2]float64{}
	for _, r := range rows[1:] { // LSOA21CD,BNG_E,BNG_N,LONG_WGS84,LAT_WGS84
		lon, err1 := strconv.ParseFloat(r[3], 64)
		lat, err2 := strconv.ParseFloat(r[4], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("CSV row %v", r)
		}
		ons[r[0]] = [2]float64{lon, lat}
	}
	b, err := os.ReadFile(fixtureCentroids + ".gpkg")
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(t.TempDir(), "lsoa21-centroids.gpkg.gz")
	if err := os.WriteFile(gz, gzipBytes(b), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fixtureCentroids + ".gpkg", gz} {
		l, err := ReadPoints(path, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Points) != 163 || l.CodeField != "LSOA21CD" || l.CRS != CRSBNG || l.Source != filepath.Base(path) {
			t.Fatalf("%s: %d points, field %s, CRS %v, source %s; want 163, LSOA21CD, BNG, the file", path, len(l.Points), l.CodeField, l.CRS, l.Source)
		}
		for code, p := range l.Points {
			if p != shp.Points[code] {
				t.Errorf("%s: %s at %v, the Shapefile has %v", path, code, p, shp.Points[code])
			}
			if w, ok := ons[code]; !ok || math.Abs(p[0]-w[0]) > 1e-4 || math.Abs(p[1]-w[1]) > 1e-4 {
				t.Errorf("%s: %s at %v, ONS says %v", path, code, p, w)
			}
		}
	}
}

// pointGpkg writes a test GeoPackage (see makeGpkg) of point rows in the given EPSG CRS, then runs stmts on it.
func pointGpkg(t *testing.T, epsg int, rows []gpkgRow, stmts ...string) string {
	t.Helper()
	p := makeGpkg(t, epsg, "EPSG", epsg, "", rows)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

// TestReadPointsGeoPackageErrors: a GeoPackage that does not hold points by code in a known CRS is
// refused with an error naming the file and, where one row is at fault, the feature and its code;
// the polygon reader's guards (base tables only, a row cap, the context) hold for points too.
func TestReadPointsGeoPackageErrors(t *testing.T) {
	stoke := gpkgBlob(orb.Point{385873.6239, 352708.6937})
	tests := map[string]struct {
		path  func(t *testing.T) string
		opt   ReadOptions
		want  error
		msg   string // a part of the message
		field string // the feature named, "" for none
	}{
		"polygons": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", stoke}, {"B", gpkgBlob(bngSquare)}})
		}, ReadOptions{}, ErrNotPoint, "not a Point: Polygon", "feature 1 (B)"},
		"a table declared of polygons": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", gpkgBlob(bngSquare)}}, `UPDATE gpkg_geometry_columns SET geometry_type_name = 'MULTIPOLYGON'`)
		}, ReadOptions{}, ErrNotPoint, "table areas holds MULTIPOLYGON geometries, not points", ""},
		"no code column": {func(t *testing.T) string {
			return pointGpkg(t, 27700, nil, `DROP TABLE areas`, `CREATE TABLE areas (fid INTEGER PRIMARY KEY, geom BLOB, population REAL)`)
		}, ReadOptions{}, ErrField, "no code field (fields: fid, population)", ""},
		"code column named and missing": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", stoke}})
		}, ReadOptions{CodeField: "LSOA21CD"}, ErrField, `code field "LSOA21CD"`, ""},
		"unknown CRS": {func(t *testing.T) string {
			return pointGpkg(t, 3857, []gpkgRow{{"A", stoke}})
		}, ReadOptions{}, ErrCRS, "srs_id 3857", ""},
		"metres in WGS84": {func(t *testing.T) string {
			return pointGpkg(t, 4326, []gpkgRow{{"A", stoke}})
		}, ReadOptions{}, ErrCoordinates, "", "feature 0 (A)"},
		"two points for one code": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", stoke}, {"A", gpkgBlob(orb.Point{385000, 352000})}})
		}, ReadOptions{}, ErrDuplicateCode, "second, different point", "feature 1 (A)"},
		"NULL geometry": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", nil}})
		}, ReadOptions{}, ErrEmptyGeometry, "NULL", "feature 0 (A)"},
		"empty code": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{" ", stoke}})
		}, ReadOptions{}, ErrField, "empty code", "feature 0"},
		"truncated point": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", stoke[:len(stoke)-3]}})
		}, ReadOptions{}, ErrMalformed, "WKB Point", "feature 0 (A)"},
		"no rows": {func(t *testing.T) string {
			return pointGpkg(t, 27700, nil)
		}, ReadOptions{}, ErrNoFeatures, "no rows", ""},
		"features table is an endless view": {func(t *testing.T) string {
			return pointGpkg(t, 27700, nil, `DROP TABLE areas`, endless)
		}, ReadOptions{}, ErrMalformed, "areas is a view", ""},
		"rows over the cap": {func(t *testing.T) string {
			return pointGpkg(t, 27700, []gpkgRow{{"A", stoke}, {"B", stoke}})
		}, ReadOptions{MaxFeatures: 1}, ErrLimit, "MaxFeatures", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadPoints(tc.path(t), tc.opt)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "bad.gpkg: "+tc.field) {
				t.Fatalf("ReadPoints error = %v, want %v naming bad.gpkg, %q and %q", err, tc.want, tc.field, tc.msg)
			}
		})
	}
	t.Run("WGS84", func(t *testing.T) {
		l, err := ReadPoints(pointGpkg(t, 4326, []gpkgRow{{"E01014360", gpkgBlob(orb.Point{-2.2122884, 53.0714230})}}), ReadOptions{})
		if err != nil || l.CRS != CRSWGS84 || l.CodeField != "code" || l.Points["E01014360"] != (orb.Point{-2.2122884, 53.0714230}) {
			t.Fatalf("ReadPoints = %+v, %v; want the point as stored", l, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ReadPointsContext(ctx, fixtureCentroids+".gpkg", ReadOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("read under a cancelled context: error = %v, want context.Canceled", err)
		}
	})
	t.Run("not SQLite", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "bad.gpkg")
		if err := os.WriteFile(p, []byte("LSOA21CD,x,y\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadPoints(p, ReadOptions{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "bad.gpkg: ") || !strings.Contains(err.Error(), "not an SQLite database") {
			t.Fatalf("ReadPoints error = %v, want ErrMalformed naming the file", err)
		}
	})
}

// FuzzGPKGPoint fuzzes the GeoPackage point parser: what it accepts is one finite-or-NaN point read
// from a whole blob.
func FuzzGPKGPoint(f *testing.F) {
	db, err := sql.Open("sqlite", "file:"+fixtureCentroids+".gpkg?mode=ro")
	if err != nil {
		f.Fatal(err)
	}
	var b []byte
	if err := db.QueryRow(`SELECT geom FROM lsoa21_centroids LIMIT 1`).Scan(&b); err != nil {
		f.Fatal(err)
	}
	db.Close()
	f.Add(b)
	f.Add(gpkgBlob(orb.Point{-2.2, 53.07}))
	f.Add(gpkgBlob(bngSquare))
	f.Fuzz(func(t *testing.T, blob []byte) {
		if _, err := gpkgPoint(blob); err == nil && len(blob) < 8+5+16 {
			t.Fatalf("a point from %d bytes", len(blob))
		}
	})
}

// FuzzReadPointGeoPackage fuzzes whole points GeoPackages, seeded with the 2021 fixture's.
func FuzzReadPointGeoPackage(f *testing.F) {
	b, err := os.ReadFile(fixtureCentroids + ".gpkg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l, err := readGeoPackageTempWith("fuzz.gpkg", bytes.NewReader(data), ReadOptions{ctx: ctx}, (*gpkgReader).readPoints)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a %d-byte GeoPackage kept the points reader busy for 5 s", len(data))
		}
		if err == nil && (l == nil || len(l.Points) == 0) {
			t.Fatal("no points without an error")
		}
	})
}
