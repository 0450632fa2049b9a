package geo

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// fc wraps GeoJSON features in a FeatureCollection.
func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

// feat is a GeoJSON feature with an MSOA code and name and a small square in Trafford.
func feat(code string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"MSOA11CD":%q,"MSOA11NM":"Trafford"},"geometry":`+
		`{"type":"Polygon","coordinates":[[[-2.3,53.4],[-2.29,53.4],[-2.29,53.41],[-2.3,53.41],[-2.3,53.4]]]}}`, code)
}

func featGeom(code, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"MSOA11CD":%q},"geometry":%s}`, code, geom)
}

func readGeoJSONString(src string) func(*testing.T) (*Layer, error) {
	return func(*testing.T) (*Layer, error) {
		return ReadGeoJSON(strings.NewReader(src), "bad.geojson", ReadOptions{})
	}
}

// writeFile writes b to a file called name in a fresh temporary directory and returns its path.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// tinyShapefile is the 3-feature BNG shapefile of testdata.
func tinyShapefile(t *testing.T) Shapefile {
	return Shapefile{
		SHP: readTestdata(t, "tiny-bng.shp"),
		SHX: readTestdata(t, "tiny-bng.shx"),
		DBF: readTestdata(t, "tiny-bng.dbf"),
		PRJ: readTestdata(t, "tiny-bng.prj"),
	}
}

func readShapefileWith(change func(*Shapefile)) func(*testing.T) (*Layer, error) {
	return func(t *testing.T) (*Layer, error) {
		sf := tinyShapefile(t)
		for _, p := range []*[]byte{&sf.SHP, &sf.SHX, &sf.DBF, &sf.PRJ} {
			*p = bytes.Clone(*p)
		}
		change(&sf)
		return ReadShapefile("tiny.shp", sf, ReadOptions{})
	}
}

// zipOf zips the named testdata files (renamed by the map) and reads the zip.
func readZipOf(files map[string]string) func(*testing.T) (*Layer, error) {
	return func(t *testing.T) (*Layer, error) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for src, dst := range files {
			w, err := zw.Create(dst)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(readTestdata(t, src))
		}
		zw.Close()
		return ReadFile(writeFile(t, "bad.zip", buf.Bytes()), ReadOptions{})
	}
}

// looseShapefile writes the tiny shapefile's parts but skip, and reads the .shp.
func looseShapefile(skip string) func(*testing.T) (*Layer, error) {
	return func(t *testing.T) (*Layer, error) {
		dir := t.TempDir()
		for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
			if ext == skip {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, "bad"+ext), readTestdata(t, "tiny-bng"+ext), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return ReadFile(filepath.Join(dir, "bad.shp"), ReadOptions{})
	}
}

func truncated(path string, keep float64, compress bool) func(*testing.T) (*Layer, error) {
	return func(t *testing.T) (*Layer, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out := "bad-" + filepath.Base(path)
		if compress {
			b = gzipBytes(b)
			out += ".gz"
		}
		return ReadFile(writeFile(t, out, b[:int(float64(len(b))*keep)]), ReadOptions{})
	}
}

// gpkgRow is a feature of a test GeoPackage: a code and a geometry blob.
type gpkgRow struct {
	code any
	geom []byte
}

// gpkgBlob makes a GeoPackage geometry: header (little-endian, no envelope) and WKB.
func gpkgBlob(g orb.Geometry) []byte {
	b, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		panic(err)
	}
	return append([]byte{'G', 'P', 0, 1, 0x34, 0x6c, 0, 0}, b...)
}

var bngSquare = orb.Polygon{{{379000, 398000}, {380000, 398000}, {380000, 399000}, {379000, 399000}, {379000, 398000}}}

// makeGpkg writes a minimal GeoPackage with one features table "areas" in the given SRS.
func makeGpkg(t *testing.T, srsID int, org string, orgID int, def string, rows []gpkgRow) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bad.gpkg")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT)`,
		`CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, description TEXT, last_change TEXT, min_x REAL, min_y REAL, max_x REAL, max_y REAL, srs_id INTEGER)`,
		`CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER)`,
		`CREATE TABLE areas (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, code TEXT)`,
		`CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT)`,
		`INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('areas', 'features', 0), ('notes', 'attributes', 0)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := db.Exec(`INSERT INTO gpkg_spatial_ref_sys VALUES ('test', ?, ?, ?, ?, '')`, srsID, org, orgID, def); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO gpkg_geometry_columns VALUES ('areas', 'geom', 'GEOMETRY', ?, 0, 0)`, srsID); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO areas (geom, code) VALUES (?, ?)`, r.geom, r.code); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func readGpkg(srsID int, org string, orgID int, rows ...gpkgRow) func(*testing.T) (*Layer, error) {
	return func(t *testing.T) (*Layer, error) {
		return ReadFile(makeGpkg(t, srsID, org, orgID, "undefined", rows), ReadOptions{})
	}
}

func TestReadErrors(t *testing.T) {
	square := `{"type":"Polygon","coordinates":[[[-2.3,53.4],[-2.29,53.4],[-2.29,53.41],[-2.3,53.41],[-2.3,53.4]]]}`
	cases := map[string]struct {
		read  func(*testing.T) (*Layer, error)
		want  error
		index int    // the feature named, -1 for none
		code  string // the code named
		msg   string // a part of the message
	}{
		// GeoJSON structure
		"GeoJSON Feature at top level": {readGeoJSONString(feat("E02000001")), ErrNotFeatureCollection, -1, "", `type "Feature"`},
		"GeoJSON array at top level":   {readGeoJSONString(`[1, 2]`), ErrNotFeatureCollection, -1, "", "array"},
		"GeoJSON without type":         {readGeoJSONString(`{"features":[]}`), ErrNotFeatureCollection, -1, "", "no type"},
		"GeoJSON without features":     {readGeoJSONString(`{"type":"FeatureCollection"}`), ErrNotFeatureCollection, -1, "", "no features"},
		"GeoJSON with no features":     {readGeoJSONString(fc()), ErrNoFeatures, -1, "", "no features"},
		"GeoJSON feature of wrong type": {readGeoJSONString(fc(feat("E02000001"), `{"type":"FeatureCollection","features":[]}`)),
			ErrMalformed, 1, "", `"FeatureCollection"`},
		// GeoJSON syntax
		"JSON truncated":           {readGeoJSONString(fc(feat("E02000001"))[:100]), ErrMalformed, 0, "", "truncated"},
		"JSON bad token":           {readGeoJSONString(strings.Replace(fc(feat("E02000001")), "53.41]", "53.41}", 1)), ErrMalformed, 0, "E02000001", "byte"},
		"JSON NaN":                 {readGeoJSONString(strings.Replace(fc(feat("E02000001")), "53.41]", "NaN]", 1)), ErrMalformed, 0, "E02000001", "a digit expected"},
		"JSON huge number":         {readGeoJSONString(strings.Replace(fc(feat("E02000001")), "53.41]", "1e999]", 1)), ErrMalformed, 0, "E02000001", "out of range"},
		"JSON trailing data":       {readGeoJSONString(fc(feat("E02000001")) + `{}`), ErrMalformed, -1, "", "the end of the data"},
		"JSON control character":   {readGeoJSONString(strings.Replace(fc(feat("E02000001")), "Trafford", "Traf\x01ford", 1)), ErrMalformed, 0, "", "control character '\\x01'"},
		"JSON bad escape":          {readGeoJSONString(strings.Replace(fc(feat("E02000001")), "Trafford", `Traf\xford`, 1)), ErrMalformed, 0, "", "escape"},
		"JSON nested too deep":     {readGeoJSONString(fc(`{"type":"Feature","properties":{"MSOA11CD":"E02000001","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `},"geometry":` + square + `}`)), ErrMalformed, 0, "", "nested"},
		"JSON position of 1 value": {readGeoJSONString(fc(featGeom("E02000001", `{"type":"Polygon","coordinates":[[[-2.3],[-2.29,53.4],[-2.29,53.41],[-2.3,53.4]]]}`))), ErrMalformed, 0, "E02000001", "','"},
		"JSON empty":               {readGeoJSONString(""), ErrMalformed, -1, "", "truncated"},
		// Codes
		"empty code":               {readGeoJSONString(fc(feat("E02000001"), feat(" "))), ErrNoCode, 1, "", "MSOA11CD"},
		"missing code":             {readGeoJSONString(fc(feat("E02000001"), featGeom("x", square)[:0]+`{"type":"Feature","properties":{"MSOA11NM":"x"},"geometry":`+square+`}`)), ErrNoCode, 1, "", "missing area code"},
		"null properties":          {readGeoJSONString(fc(feat("E02000001"), `{"type":"Feature","properties":null,"geometry":`+square+`}`)), ErrNoCode, 1, "", ""},
		"duplicate code":           {readGeoJSONString(fc(feat("E02000001"), feat("E02000002"), feat("E02000001"))), ErrDuplicateCode, 2, "E02000001", "first at feature 0"},
		"no code field":            {readGeoJSONString(fc(`{"type":"Feature","properties":{"population":1},"geometry":` + square + `}`)), ErrField, 0, "", "population"},
		"code field not there":     {func(*testing.T) (*Layer, error) { return ReadFile(fixtureGeoJSON, ReadOptions{CodeField: "LSOA11CD"}) }, ErrField, 0, "", "LSOA11CD"},
		"numeric codes duplicated": {readGeoJSONString(fc(`{"type":"Feature","properties":{"code":7},"geometry":`+square+`}`, `{"type":"Feature","properties":{"code":7},"geometry":`+square+`}`)), ErrDuplicateCode, 1, "7", ""},
		// Geometry types
		"Point":              {readGeoJSONString(fc(feat("E02000001"), featGeom("E02000002", `{"type":"Point","coordinates":[-2.3,53.4]}`))), ErrGeometryType, 1, "E02000002", "Point"},
		"LineString":         {readGeoJSONString(fc(featGeom("E02000002", `{"coordinates":[[-2.3,53.4],[-2.2,53.4]],"type":"LineString"}`))), ErrGeometryType, 0, "E02000002", "LineString"},
		"GeometryCollection": {readGeoJSONString(fc(featGeom("E02000002", `{"type":"GeometryCollection","geometries":[`+square+`]}`))), ErrGeometryType, 0, "E02000002", "GeometryCollection"},
		"null geometry":      {readGeoJSONString(fc(featGeom("E02000002", `null`))), ErrEmptyGeometry, 0, "E02000002", "no geometry"},
		"no geometry":        {readGeoJSONString(fc(`{"type":"Feature","properties":{"MSOA11CD":"E02000002"}}`)), ErrEmptyGeometry, 0, "E02000002", ""},
		"degenerate polygon": {readGeoJSONString(fc(featGeom("E02000002", `{"type":"Polygon","coordinates":[[[-2.3,53.4],[-2.29,53.4],[-2.3,53.4]]]}`))), ErrEmptyGeometry, 0, "E02000002", ""},
		"MultiPolygon nested as a Polygon": {readGeoJSONString(fc(featGeom("E02000002", `{"type":"Polygon","coordinates":[[[[-2.3,53.4],[-2.29,53.4],[-2.29,53.41],[-2.3,53.4]]]]}`))),
			ErrMalformed, 0, "E02000002", ""},
		"Polygon without coordinates": {readGeoJSONString(fc(featGeom("E02000002", `{"type":"Polygon"}`))), ErrMalformed, 0, "E02000002", "without coordinates"},
		// CRS and coordinates
		"unknown GeoJSON crs": {readGeoJSONString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`), ErrCRS, -1, "", "EPSG:3857"},
		"link crs":            {readGeoJSONString(`{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"http://x/crs"}},"features":[]}`), ErrCRS, -1, "", "http://x/crs"},
		"BNG without crs": {readGeoJSONString(fc(featGeom("E02000001", `{"type":"Polygon","coordinates":[[[379000,398000],[380000,398000],[380000,399000],[379000,398000]]]}`))),
			ErrCoordinates, 0, "E02000001", "British National Grid without a crs member"},
		"longitude out of range": {readGeoJSONString(fc(featGeom("E02000001", `{"type":"Polygon","coordinates":[[[-200,53.4],[-2.29,53.4],[-2.29,53.41],[-200,53.4]]]}`))),
			ErrCoordinates, 0, "E02000001", "-200"},
		"lon/lat declared BNG": {readGeoJSONString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[` + feat("E02000001") + `]}`),
			ErrCoordinates, 0, "E02000001", "outside the British National Grid"},
		// Files
		"GeoJSON gzip truncated": {truncated(fixtureGeoJSON, 0.5, true), ErrMalformed, -1, "", "gzip"},
		// geo/testdata/count.py: the middle byte of msoa.geojson is in feature 40, E02001083.
		"GeoJSON file truncated": {truncated(fixtureGeoJSON, 0.5, false), ErrMalformed, 40, "E02001083", "truncated"},
		"empty .geojson file":    {func(t *testing.T) (*Layer, error) { return ReadFile(writeFile(t, "empty.geojson", nil), ReadOptions{}) }, ErrMalformed, -1, "", "not a JSON object"},
		"unknown format": {func(t *testing.T) (*Layer, error) {
			return ReadFile(writeFile(t, "areas.txt", []byte("hello")), ReadOptions{})
		}, ErrFormat, -1, "", ""},
		"missing file": {func(t *testing.T) (*Layer, error) {
			return ReadFile(filepath.Join(t.TempDir(), "none.geojson"), ReadOptions{})
		}, os.ErrNotExist, -1, "", "none.geojson"},
		// Shapefiles
		"shapefile without .dbf": {looseShapefile(".dbf"), ErrMissingPart, -1, "", "bad.dbf"},
		"shapefile without .shx": {looseShapefile(".shx"), ErrMissingPart, -1, "", "bad.shx"},
		"shapefile without .prj": {looseShapefile(".prj"), ErrCRS, -1, "", "no .prj"},
		"zip without .dbf":       {readZipOf(map[string]string{"tiny-bng.shp": "a/x.shp", "tiny-bng.shx": "a/x.shx", "tiny-bng.prj": "a/x.prj"}), ErrMissingPart, -1, "", "a/x.dbf"},
		"zip without .shp":       {readZipOf(map[string]string{"tiny-bng.dbf": "x.dbf"}), ErrMissingPart, -1, "", "no .shp"},
		"zip of two shapefiles":  {readZipOf(map[string]string{"tiny-bng.shp": "x.shp", "tiny-bng.dbf": "y.shp"}), ErrLayer, -1, "", "x, y"},
		"zip truncated":          {truncated(fixtureShpZip, 0.7, false), ErrMalformed, -1, "", "zip"},
		"shapefile in Web Mercator": {readShapefileWith(func(sf *Shapefile) {
			sf.PRJ = []byte(`PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984"]]`)
		}), ErrCRS, -1, "", "Web_Mercator"},
		"shp truncated":         {readShapefileWith(func(sf *Shapefile) { sf.SHP = sf.SHP[:len(sf.SHP)-20] }), ErrMalformed, 2, "E02001286", "truncated"},
		"shx of another length": {readShapefileWith(func(sf *Shapefile) { sf.SHX = sf.SHX[:len(sf.SHX)-3] }), ErrMalformed, -1, "", ".shx length"},
		"dbf with fewer records": {readShapefileWith(func(sf *Shapefile) { binary.LittleEndian.PutUint32(sf.DBF[4:], 2) }),
			ErrMalformed, -1, "", "2 records"},
		"dbf truncated":       {readShapefileWith(func(sf *Shapefile) { sf.DBF = sf.DBF[:200] }), ErrMalformed, -1, "", "truncated"},
		"shp not a shapefile": {readShapefileWith(func(sf *Shapefile) { sf.SHP[3] = 0 }), ErrMalformed, -1, "", "file code"},
		"PolyLine shapefile": {readShapefileWith(func(sf *Shapefile) {
			binary.LittleEndian.PutUint32(sf.SHP[32:], 3)
		}), ErrGeometryType, -1, "", "PolyLine"},
		"PolyLine record": {readShapefileWith(func(sf *Shapefile) {
			off := int(binary.BigEndian.Uint32(sf.SHX[100+8:])) * 2
			binary.LittleEndian.PutUint32(sf.SHP[off+8:], 3)
		}), ErrGeometryType, 1, "E02001262", "PolyLine"},
		"null shape": {readShapefileWith(func(sf *Shapefile) {
			off := int(binary.BigEndian.Uint32(sf.SHX[100+8:])) * 2
			binary.LittleEndian.PutUint32(sf.SHP[off+8:], 0)
		}), ErrEmptyGeometry, 1, "E02001262", "null shape"},
		"part index out of range": {readShapefileWith(func(sf *Shapefile) {
			off := int(binary.BigEndian.Uint32(sf.SHX[100:])) * 2
			binary.LittleEndian.PutUint32(sf.SHP[off+8+44:], 1000) // parts[0]
		}), ErrMalformed, 0, "E02001259", "part 0"},
		"dbf duplicate code": {readShapefileWith(func(sf *Shapefile) {
			i := bytes.Index(sf.DBF, []byte("E02001262"))
			copy(sf.DBF[i:], "E02001259")
		}), ErrDuplicateCode, 1, "E02001259", "first at feature 0"},
		"dbf empty code": {readShapefileWith(func(sf *Shapefile) {
			i := bytes.Index(sf.DBF, []byte("E02001286"))
			copy(sf.DBF[i:], "         ")
		}), ErrNoCode, 2, "", ""},
		// GeoPackages
		"gpkg truncated":         {truncated(fixtureGpkg, 0.5, false), ErrMalformed, -1, "", ""},
		"gpkg.gz truncated":      {truncated(fixtureGpkg, 0.5, true), ErrMalformed, -1, "", "gzip"},
		"SQLite, not GeoPackage": {func(t *testing.T) (*Layer, error) { return ReadFile(sqliteWithout(t), ReadOptions{}) }, ErrNoFeatureTable, -1, "", "gpkg_contents"},
		"gpkg without features table": {func(t *testing.T) (*Layer, error) {
			p := makeGpkg(t, 27700, "EPSG", 27700, "", nil)
			db, _ := sql.Open("sqlite", p)
			db.Exec(`DELETE FROM gpkg_contents WHERE data_type = 'features'`)
			db.Close()
			return ReadFile(p, ReadOptions{})
		}, ErrNoFeatureTable, -1, "", "no features table"},
		"gpkg layer not found": {func(t *testing.T) (*Layer, error) {
			return ReadFile(makeGpkg(t, 27700, "EPSG", 27700, "", []gpkgRow{{"A", gpkgBlob(bngSquare)}}), ReadOptions{Layer: "msoa"})
		}, ErrLayer, -1, "", `"msoa"`},
		"gpkg in Web Mercator": {readGpkg(3857, "EPSG", 3857, gpkgRow{"A", gpkgBlob(bngSquare)}), ErrCRS, -1, "", "EPSG:3857"},
		"gpkg undefined SRS":   {readGpkg(0, "NONE", 0, gpkgRow{"A", gpkgBlob(bngSquare)}), ErrCRS, -1, "", "srs_id 0"},
		"gpkg Point": {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", gpkgBlob(bngSquare)}, gpkgRow{"B", gpkgBlob(orb.Point{379000, 398000})}),
			ErrGeometryType, 1, "B", "Point"},
		"gpkg NULL geometry": {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", nil}), ErrEmptyGeometry, 0, "A", "NULL"},
		"gpkg empty flag": {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", func() []byte {
			b := gpkgBlob(bngSquare)
			b[3] |= 0x10
			return b
		}()}), ErrEmptyGeometry, 0, "A", "empty"},
		"gpkg bad blob":       {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", []byte("not a geometry")}), ErrMalformed, 0, "A", "GP magic"},
		"gpkg truncated WKB":  {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", gpkgBlob(bngSquare)[:40]}), ErrMalformed, 0, "A", "WKB"},
		"gpkg NULL code":      {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", gpkgBlob(bngSquare)}, gpkgRow{nil, gpkgBlob(bngSquare)}), ErrNoCode, 1, "", ""},
		"gpkg duplicate code": {readGpkg(27700, "EPSG", 27700, gpkgRow{"A", gpkgBlob(bngSquare)}, gpkgRow{"A", gpkgBlob(bngSquare)}), ErrDuplicateCode, 1, "A", "first at feature 0"},
		"gpkg WGS84 in BNG range": {readGpkg(4326, "EPSG", 4326, gpkgRow{"A", gpkgBlob(bngSquare)}),
			ErrCoordinates, 0, "A", "not a WGS84 longitude/latitude"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := tc.read(t)
			if err == nil {
				t.Fatalf("read = %d features, want error %v", len(l.Features), tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("read error = %v, want %v", err, tc.want)
			}
			var re *ReadError
			if !errors.As(err, &re) {
				t.Fatalf("read error %v is not a *ReadError", err)
			}
			if re.Index != tc.index || re.Code != tc.code {
				t.Errorf("read error = %v: feature %d (%q), want %d (%q)", err, re.Index, re.Code, tc.index, tc.code)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "geo: ") || !strings.Contains(msg, re.Source) || re.Source == "" {
				t.Errorf("read error %q does not start with geo: and name the file", msg)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("read error %q does not say %q", msg, tc.msg)
			}
			if strings.Contains(msg, "geo: geo:") || strings.Contains(msg, ": geo: ") {
				t.Errorf("read error %q repeats the package prefix", msg)
			}
		})
	}
}

// sqliteWithout makes an SQLite database that is not a GeoPackage.
func sqliteWithout(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "plain.sqlite")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every truncation of every format must give an error, never a panic or a wrong layer.
func TestReadTruncated(t *testing.T) {
	for _, path := range []string{fixtureGeoJSON, fixtureShpZip, fixtureGpkg} {
		full, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		for _, gz := range []bool{false, true} {
			b := full
			if gz {
				b = gzipBytes(full)
			}
			for _, keep := range []float64{0.01, 0.3, 0.6, 0.9, 0.999} {
				n := int(float64(len(b)) * keep)
				if _, err := Read(bytes.NewReader(b[:n]), name, ReadOptions{}); err == nil {
					t.Errorf("Read(%s, gzip %v, first %d of %d bytes) succeeded, want an error", name, gz, n, len(b))
				}
			}
		}
	}
}
