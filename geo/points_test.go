package geo

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
			err: ErrGeometryType, want: "Polygon, want a Point",
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
	if !errors.Is(err, ErrGeometryType) || !strings.Contains(err.Error(), "not points") {
		t.Fatalf("err = %v, want ErrGeometryType saying the shapes are not points", err)
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
