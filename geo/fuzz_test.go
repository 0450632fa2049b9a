package geo

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// checkAccepted asserts what an accepted input must give: features with codes and valid polygons of
// closed rings of finite WGS84 points.
func checkAccepted(t *testing.T, l *Layer, err error) {
	if err != nil {
		var re *ReadError
		if !errors.As(err, &re) {
			t.Fatalf("error %v is not a *ReadError", err)
		}
		return
	}
	if len(l.Features) == 0 {
		t.Fatal("accepted a source without features")
	}
	for _, f := range l.Features {
		if f.Code == "" || len(f.Geom) == 0 {
			t.Fatalf("accepted feature %q with %d polygons", f.Code, len(f.Geom))
		}
		checkRings(t, f.Geom)
		if !Valid(f.Geom) {
			t.Fatalf("accepted feature %q with an invalid geometry %v", f.Code, f.Geom)
		}
	}
}

func checkRings(t *testing.T, mp orb.MultiPolygon) {
	for _, poly := range mp {
		for _, r := range poly {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Fatalf("ring of %d points not closed", len(r))
			}
			for _, p := range r {
				if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
					math.Abs(p[0]) > 180 || math.Abs(p[1]) > 90 {
					t.Fatalf("point %v is not a finite longitude/latitude", p)
				}
			}
		}
	}
}

func FuzzReadGeoJSON(f *testing.F) {
	for _, name := range []string{"testdata/tiny.geojson"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(gzipBytes(b))
	}
	f.Add([]byte(fc(feat("E02000001"), feat("E02000002"))))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:27700"}},"features":[` +
		`{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"MultiPolygon","coordinates":[[[[379000,398000],[380000,398000],[380000,399000],[379000,398000]],[[379100,398050],[379200,398050],[379200,398100],[379100,398050]]]]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadGeoJSON(bytes.NewReader(data), "fuzz.geojson", ReadOptions{})
		checkAccepted(t, l, err)
	})
}

// FuzzReadGeoJSONStream: GeoJSON text read as a stream in small chunks (1 to 13 bytes, so that every
// token meets a chunk's end somewhere and what has been read is dropped between features) gives what
// reading it whole gives: the same layer, or the same error.
func FuzzReadGeoJSONStream(f *testing.F) {
	b, err := os.ReadFile("testdata/tiny.geojson")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, uint8(1))
	f.Add(b, uint8(7))
	f.Add([]byte(fc(feat("E02000001"), feat("E02000002"), feat("E02000003"))), uint8(3))
	f.Add([]byte(fc(feat("E02000001"), feat("E02000001"))), uint8(5))
	f.Add([]byte(`{"type":"FeatureCollection","features":[`+feat("A")+`],"crs":{"type":"name","properties":{"name":"EPSG:27700"}}}`), uint8(2))
	f.Add([]byte(`{"type":"FeatureCollection","features":[`+feat("A")+`,{"type":"Feature","properties":{"code":"B\u00e9"},"geometry":null}]}`), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want, wantErr := readGeoJSONBytes("fuzz.geojson", data, ReadOptions{})
		got, err := readGeoJSONStream(bytes.NewReader(data), "fuzz.geojson", ReadOptions{}, 1+int(chunk)%13)
		if errors.Is(err, errReparse) {
			return // the file reader reads such a file again whole
		}
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("streamed: %v; whole: %v", err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("streamed: %d features; whole: %d; different", len(got.Features), len(want.Features))
		}
	})
}

func FuzzReadShapefile(f *testing.F) {
	prj, err := os.ReadFile("testdata/tiny-bng.prj")
	if err != nil {
		f.Fatal(err)
	}
	var parts [3][]byte
	for i, ext := range []string{".shp", ".shx", ".dbf"} {
		if parts[i], err = os.ReadFile("testdata/tiny-bng" + ext); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(parts[0], parts[1], parts[2])
	f.Fuzz(func(t *testing.T, shp, shx, dbf []byte) {
		l, err := ReadShapefile("fuzz.shp", Shapefile{SHP: shp, SHX: shx, DBF: dbf, PRJ: prj}, ReadOptions{})
		checkAccepted(t, l, err)
	})
}

// FuzzGPKGHeader fuzzes the GeoPackage geometry parser (header and WKB), then the cleaning of what it
// accepts, as WGS84.
func FuzzGPKGHeader(f *testing.F) {
	db, err := sql.Open("sqlite", "file:testdata/tiny.gpkg?mode=ro")
	if err != nil {
		f.Fatal(err)
	}
	rows, err := db.Query(`SELECT geom FROM tiny`)
	if err != nil {
		f.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rows.Close()
	db.Close()
	lonlat := orb.Polygon{{{-2.3, 53.4}, {-2.29, 53.4}, {-2.29, 53.41}, {-2.3, 53.4}}}
	f.Add(gpkgBlob(lonlat))
	f.Add(gpkgBlob(orb.MultiPolygon{lonlat, lonlat}))
	f.Add(gpkgBlob(orb.Point{1, 2}))
	f.Fuzz(func(t *testing.T, blob []byte) {
		var w wkbReader
		mp, err := w.gpkg(blob)
		if err != nil {
			return
		}
		n := 0
		for _, poly := range mp {
			for _, r := range poly {
				n += len(r)
			}
		}
		if n > len(blob)/16 {
			t.Fatalf("%d points from %d bytes", n, len(blob))
		}
		g, _, err := cleanFeature(context.Background(), mp, CRSWGS84, limits{DefaultMaxFeatures, DefaultMaxVertices, DefaultMaxHoles}, new(validator))
		if err != nil {
			return
		}
		checkRings(t, g)
		if !Valid(g) {
			t.Fatalf("cleanFeature returned an invalid geometry %v", g)
		}
	})
}

// zipOf zips files (name → bytes) in memory.
func zipOf(f *testing.F, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.Create(name)
		if err != nil {
			f.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadZip fuzzes whole zipped shapefiles, archive and parts together, read as an upload is.
func FuzzReadZip(f *testing.F) {
	files := map[string][]byte{}
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		b, err := os.ReadFile("testdata/tiny-bng" + ext)
		if err != nil {
			f.Fatal(err)
		}
		files["tiny"+ext] = b
	}
	f.Add(zipOf(f, files))
	files["tiny.cpg"] = []byte("UTF-8")
	f.Add(zipOf(f, files))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadContext(context.Background(), bytes.NewReader(data), "fuzz.zip", ReadOptions{MaxUncompressed: 1 << 20})
		checkAccepted(t, l, err)
	})
}

// FuzzReadGeoPackage fuzzes whole GeoPackage files: SQLite's pages and the tables they hold.
func FuzzReadGeoPackage(f *testing.F) {
	b, err := os.ReadFile("testdata/tiny.gpkg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l, err := ReadContext(ctx, bytes.NewReader(data), "fuzz.gpkg", ReadOptions{})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a %d-byte GeoPackage kept the reader busy for 5 s", len(data))
		}
		checkAccepted(t, l, err)
	})
}
