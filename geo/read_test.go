package geo

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// startTime is when the tests began, to tell our temporary files from older ones.
var startTime = time.Now()

// The project's one extract of the national MSOA files (../fixtures/README.md): Trafford's,
// Manchester's and Rutland's MSOAs, as GeoJSON in WGS84 and, from the national BNG files, as a
// GeoPackage and a zipped Shapefile. Package geo cannot import package fixtures (it imports geo), so
// the tests name them by path. fixtureMSOAs and the first feature (the same in the three files:
// Rutland 001) are geo/testdata/count.py's (python's json, the dBASE records, sqlite3).
const (
	fixtureGeoJSON = "../fixtures/msoa.geojson"
	fixtureGpkg    = "../fixtures/msoa-bng.gpkg"
	fixtureShpZip  = "../fixtures/msoa-bng-shp.zip"
	fixtureMSOAs   = 90
)

func mustRead(t testing.TB, path string, opt ReadOptions) *Layer {
	t.Helper()
	l, err := ReadFile(path, opt)
	if err != nil {
		t.Fatalf("ReadFile(%s) error: %v", path, err)
	}
	return l
}

// checkLayer asserts what every layer must hold: closed rings of 4+ finite WGS84 points, outer rings
// counter-clockwise and holes clockwise, valid polygons, bounds that match.
func checkLayer(t testing.TB, l *Layer) {
	t.Helper()
	for i, f := range l.Features {
		if f.Code == "" {
			t.Errorf("%s: feature %d has no code", l.Source, i)
		}
		if len(f.Geom) == 0 {
			t.Errorf("%s: feature %d (%s) has no polygon", l.Source, i, f.Code)
		}
		if f.Bound != f.Geom.Bound() {
			t.Errorf("%s: feature %d (%s) bound %v, want %v", l.Source, i, f.Code, f.Bound, f.Geom.Bound())
		}
		checkGeom(t, f.Code, f.Geom)
	}
}

func checkGeom(t testing.TB, code string, mp orb.MultiPolygon) {
	t.Helper()
	for _, poly := range mp {
		for k, r := range poly {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Errorf("%s: ring of %d points not closed: %v…", code, len(r), r[:min(len(r), 3)])
				continue
			}
			for _, p := range r {
				if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
					p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
					t.Errorf("%s: point %v is not a WGS84 longitude/latitude", code, p)
				}
			}
			if a := ringArea(r); (k == 0) != (a > 0) {
				t.Errorf("%s: ring %d has signed area %g: outer rings must be counter-clockwise, holes clockwise", code, k, a)
			}
		}
	}
}

func TestReadFixtureFormats(t *testing.T) {
	cases := map[string]struct {
		path string
		crs  CRS
	}{
		"GeoJSON WGS84":        {fixtureGeoJSON, CRSWGS84},
		"GeoPackage BNG":       {fixtureGpkg, CRSBNG},
		"zipped Shapefile BNG": {fixtureShpZip, CRSBNG},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := mustRead(t, tc.path, ReadOptions{})
			if l.CRS != tc.crs || l.CodeField != "MSOA11CD" || l.NameField != "MSOA11NM" || len(l.Features) != fixtureMSOAs {
				t.Errorf("ReadFile(%s) = CRS %v, fields %s/%s, %d features; want %v, MSOA11CD/MSOA11NM, %d",
					tc.path, l.CRS, l.CodeField, l.NameField, len(l.Features), tc.crs, fixtureMSOAs)
			}
			if len(l.Repaired) != 0 {
				t.Errorf("ReadFile(%s) repaired %v, want none", tc.path, l.Repaired)
			}
			checkLayer(t, l)
			f := l.Features[0]
			if f.Code != "E02002863" || f.Name != "Rutland 001" {
				t.Errorf("ReadFile(%s) first feature %s %q, want E02002863 \"Rutland 001\"", tc.path, f.Code, f.Name)
			}
			// Old Trafford's ground (Trafford), Manchester's town hall and Oakham's castle (Rutland) are
			// in the region; Stockport's town hall and Salford's civic centre are not.
			for p, want := range map[orb.Point]bool{
				{-2.2913, 53.4631}: true, {-2.2446, 53.4794}: true, {-0.7267, 52.6705}: true,
				{-2.1566, 53.4054}: false, {-2.3337, 53.4989}: false,
			} {
				if got := layerContains(l, p); got != want {
					t.Errorf("ReadFile(%s): point %v in a feature = %v, want %v", tc.path, p, got, want)
				}
			}
		})
	}
}

func layerContains(l *Layer, p orb.Point) bool {
	for _, f := range l.Features {
		for _, poly := range f.Geom {
			if InRing(poly[0], p) == Inside {
				in := true
				for _, h := range poly[1:] {
					if InRing(h, p) != Outside {
						in = false
					}
				}
				if in {
					return true
				}
			}
		}
	}
	return false
}

// The three formats of the same MSOAs must give the same codes, names and, within 1 m, geometries:
// the BNG files were made from the WGS84 one by GDAL with the same Helmert as BNGToWGS84.
func TestReadFormatsAgree(t *testing.T) {
	ref := mustRead(t, fixtureGeoJSON, ReadOptions{})
	for _, path := range []string{fixtureGpkg, fixtureShpZip} {
		l := mustRead(t, path, ReadOptions{})
		maxD, medD := compareLayers(t, ref, l)
		t.Logf("%s vs %s: %d features, vertex distance max %.4f m, median %.4f m", path, fixtureGeoJSON, len(l.Features), maxD, medD)
		if maxD > 1 {
			t.Errorf("%s: vertices up to %.3f m from %s, want under 1 m", path, maxD, fixtureGeoJSON)
		}
	}
}

// compareLayers checks that two layers hold the same features with the same names and rings and
// returns the largest and median distance between corresponding vertices, in metres.
func compareLayers(t testing.TB, a, b *Layer) (maxD, median float64) {
	t.Helper()
	if len(a.Features) != len(b.Features) {
		t.Fatalf("%s has %d features, %s %d", a.Source, len(a.Features), b.Source, len(b.Features))
	}
	byCode := make(map[string]*Feature, len(b.Features))
	for i := range b.Features {
		byCode[b.Features[i].Code] = &b.Features[i]
	}
	var ds []float64
	for _, fa := range a.Features {
		fb := byCode[fa.Code]
		if fb == nil {
			t.Errorf("%s: %s missing", b.Source, fa.Code)
			continue
		}
		if fa.Name != fb.Name {
			t.Errorf("%s: %s named %q, %s says %q", b.Source, fa.Code, fb.Name, a.Source, fa.Name)
		}
		if len(fa.Geom) != len(fb.Geom) {
			t.Errorf("%s: %s has %d polygons, %s %d", b.Source, fa.Code, len(fb.Geom), a.Source, len(fa.Geom))
			continue
		}
		for i := range fa.Geom {
			pa, pb := fa.Geom[i], fb.Geom[i]
			if len(pa) != len(pb) {
				t.Errorf("%s: %s polygon %d has %d rings, %s %d", b.Source, fa.Code, i, len(pb), a.Source, len(pa))
				continue
			}
			for k := range pa {
				if len(pa[k]) != len(pb[k]) {
					t.Errorf("%s: %s ring %d.%d has %d points, %s %d", b.Source, fa.Code, i, k, len(pb[k]), a.Source, len(pa[k]))
					continue
				}
				for j := range pa[k] {
					ds = append(ds, orbgeo.Distance(pa[k][j], pb[k][j]))
				}
			}
		}
	}
	if len(ds) == 0 {
		return math.Inf(1), math.Inf(1)
	}
	sort.Float64s(ds)
	return ds[len(ds)-1], ds[len(ds)/2]
}

// The sources in other shapes than plain files: gzipped, in memory, loose shapefile parts.
func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	gz := func(src, dst string) string {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		p := filepath.Join(dir, dst)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	geojsonGz := gz(fixtureGeoJSON, "msoa.geojson.gz")
	gpkgGz := gz(fixtureGpkg, "msoa.gpkg.gz")
	// Loose shapefile parts, with an upper-case .DBF as some tools write.
	shp := filepath.Join(dir, "tiny.shp")
	for src, dst := range map[string]string{"tiny-bng.shp": "tiny.shp", "tiny-bng.shx": "tiny.shx", "tiny-bng.dbf": "tiny.DBF", "tiny-bng.prj": "tiny.prj"} {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(path string) func() (*Layer, error) {
		return func() (*Layer, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return Read(f, filepath.Base(path), ReadOptions{})
		}
	}
	cases := map[string]struct {
		read func() (*Layer, error)
		crs  CRS
		n    int
	}{
		"gzipped GeoJSON file":      {func() (*Layer, error) { return ReadFile(geojsonGz, ReadOptions{}) }, CRSWGS84, fixtureMSOAs},
		"gzipped GeoPackage file":   {func() (*Layer, error) { return ReadFile(gpkgGz, ReadOptions{}) }, CRSBNG, fixtureMSOAs},
		"loose shapefile":           {func() (*Layer, error) { return ReadFile(shp, ReadOptions{}) }, CRSBNG, 3},
		"GeoJSON stream":            {read(fixtureGeoJSON), CRSWGS84, fixtureMSOAs},
		"gzipped GeoJSON stream":    {read(geojsonGz), CRSWGS84, fixtureMSOAs},
		"GeoPackage stream":         {read(fixtureGpkg), CRSBNG, fixtureMSOAs},
		"gzipped GeoPackage stream": {read(gpkgGz), CRSBNG, fixtureMSOAs},
		"zipped shapefile stream":   {read(fixtureShpZip), CRSBNG, fixtureMSOAs},
		"ReadGeoJSON of gzip": {func() (*Layer, error) {
			f, err := os.Open(geojsonGz)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return ReadGeoJSON(f, "upload", ReadOptions{})
		}, CRSWGS84, fixtureMSOAs},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := tc.read()
			if err != nil {
				t.Fatalf("read error: %v", err)
			}
			if l.CRS != tc.crs || len(l.Features) != tc.n {
				t.Errorf("read = CRS %v, %d features; want %v, %d", l.CRS, len(l.Features), tc.crs, tc.n)
			}
			checkLayer(t, l)
		})
	}
	// The temporary copy of the gzipped GeoPackage is gone.
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), "pcnmap-*.gpkg"))
	for _, p := range left {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(startTime) {
			t.Errorf("temporary file %s left behind", p)
		}
	}
}

func TestReadOptionsFields(t *testing.T) {
	cases := map[string]struct {
		path       string
		opt        ReadOptions
		code, name string // of the first feature
	}{
		"names as codes":         {fixtureGeoJSON, ReadOptions{CodeField: "MSOA11NM"}, "Rutland 001", "Rutland 001"},
		"case-insensitive field": {fixtureGpkg, ReadOptions{CodeField: "msoa11cd", NameField: "msoa11nm"}, "E02002863", "Rutland 001"},
		"shapefile name field":   {fixtureShpZip, ReadOptions{NameField: "MSOA11CD"}, "E02002863", "E02002863"},
		"layer named":            {fixtureGpkg, ReadOptions{Layer: "MSOA2011"}, "E02002863", "Rutland 001"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := mustRead(t, tc.path, tc.opt)
			if f := l.Features[0]; f.Code != tc.code || f.Name != tc.name {
				t.Errorf("ReadFile(%s, %+v) first feature = %q %q, want %q %q", tc.path, tc.opt, f.Code, f.Name, tc.code, tc.name)
			}
		})
	}
}

func TestDetectFields(t *testing.T) {
	cases := map[string]struct {
		fields     []string
		opt        ReadOptions
		code, name string
		err        error
	}{
		"MSOA 2011":          {[]string{"OBJECTID", "MSOA11CD", "MSOA11NM", "Shape__Area"}, ReadOptions{}, "MSOA11CD", "MSOA11NM", nil},
		"LSOA 2021":          {[]string{"FID", "LSOA21CD", "LSOA21NM", "GlobalID"}, ReadOptions{}, "LSOA21CD", "LSOA21NM", nil},
		"lower case":         {[]string{"lsoa11cd", "lsoa11nm"}, ReadOptions{}, "lsoa11cd", "lsoa11nm", nil},
		"localities":         {[]string{"LOC22CD", "LOC22NM"}, ReadOptions{}, "LOC22CD", "LOC22NM", nil},
		"first code field":   {[]string{"LSOA11CD", "MSOA11CD", "MSOA11NM"}, ReadOptions{}, "LSOA11CD", "MSOA11NM", nil},
		"code and name":      {[]string{"id", "Code", "Name"}, ReadOptions{}, "Code", "Name", nil},
		"area_name only":     {[]string{"area_name", "lon", "lat"}, ReadOptions{}, "area_name", "area_name", nil},
		"code without name":  {[]string{"SICBL22CD", "BNG_E"}, ReadOptions{}, "SICBL22CD", "", nil},
		"given fields":       {[]string{"MSOA11CD", "MSOA11NM", "team"}, ReadOptions{CodeField: "TEAM", NameField: "msoa11nm"}, "team", "MSOA11NM", nil},
		"given code missing": {[]string{"MSOA11CD"}, ReadOptions{CodeField: "team"}, "", "", ErrField},
		"given name missing": {[]string{"MSOA11CD"}, ReadOptions{NameField: "team"}, "", "", ErrField},
		"no code field":      {[]string{"id", "population"}, ReadOptions{}, "", "", ErrField},
		"no fields":          {nil, ReadOptions{}, "", "", ErrField},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, nm, err := detectFields(tc.fields, tc.opt)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("detectFields(%v, %+v) error = %v, want %v", tc.fields, tc.opt, err, tc.err)
				}
				return
			}
			if err != nil || code != tc.code || nm != tc.name {
				t.Errorf("detectFields(%v, %+v) = %q, %q, %v; want %q, %q", tc.fields, tc.opt, code, nm, err, tc.code, tc.name)
			}
		})
	}
}

func TestCRSDetection(t *testing.T) {
	names := map[string]CRS{
		"urn:ogc:def:crs:OGC:1.3:CRS84":                CRSWGS84,
		"urn:ogc:def:crs:OGC::CRS84":                   CRSWGS84,
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84": CRSWGS84,
		"EPSG:4326":                                   CRSWGS84,
		"urn:ogc:def:crs:EPSG::4326":                  CRSWGS84,
		"urn:ogc:def:crs:EPSG:6.6:4326":               CRSWGS84,
		"EPSG:27700":                                  CRSBNG,
		"epsg:27700":                                  CRSBNG,
		"urn:ogc:def:crs:EPSG::27700":                 CRSBNG,
		"http://www.opengis.net/def/crs/EPSG/0/27700": CRSBNG,
		"EPSG:3857":                                   CRSUnknown,
		"urn:ogc:def:crs:EPSG::4258":                  CRSUnknown,
		"":                                            CRSUnknown,
		"British National Grid":                       CRSUnknown,
		"http://www.opengis.net/def/crs/EPSG/0/27700x":  CRSUnknown,
		"urn:ogc:def:crs:EPSG::27700:but-not-a-number?": CRSUnknown,
	}
	for name, want := range names {
		if got := crsFromName(name); got != want {
			t.Errorf("crsFromName(%q) = %v, want %v", name, got, want)
		}
	}
	esriBNG, err := os.ReadFile("testdata/tiny-bng.prj")
	if err != nil {
		t.Fatal(err)
	}
	wkts := map[string]struct {
		wkt  string
		want CRS
	}{
		"ESRI British_National_Grid": {string(esriBNG), CRSBNG},
		"OGC WKT1 with authority":    {`PROJCS["OSGB 1936 / British National Grid",GEOGCS["OSGB 1936",DATUM["OSGB_1936",SPHEROID["Airy 1830",6377563.396,299.3249646,AUTHORITY["EPSG","7001"]],AUTHORITY["EPSG","6277"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4277"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",49],PARAMETER["central_meridian",-2],PARAMETER["scale_factor",0.9996012717],PARAMETER["false_easting",400000],PARAMETER["false_northing",-100000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","27700"]]`, CRSBNG},
		"WKT2 with ID":               {`PROJCRS["OSGB36 / British National Grid", BASEGEOGCRS["OSGB36", DATUM["Ordnance Survey of Great Britain 1936", ELLIPSOID["Airy 1830",6377563.396,299.3249646]], ID["EPSG",4277]], CONVERSION["British National Grid", METHOD["Transverse Mercator"]], CS[Cartesian,2], ID["EPSG",27700]]`, CRSBNG},
		"ESRI WGS84":                 {`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, CRSWGS84},
		"OGC WGS 84 with authority":  {`GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]`, CRSWGS84},
		"Web Mercator":               {`PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],AUTHORITY["EPSG","4326"]],PROJECTION["Mercator_1SP"],AUTHORITY["EPSG","3857"]]`, CRSUnknown},
		"UTM 30N, no authority":      {`PROJCS["WGS_1984_UTM_Zone_30N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Transverse_Mercator"],PARAMETER["Scale_Factor",0.9996]]`, CRSUnknown},
		"ETRS89":                     {`GEOGCS["ETRS89",DATUM["European_Terrestrial_Reference_System_1989",SPHEROID["GRS 1980",6378137,298.257222101]],AUTHORITY["EPSG","4258"]]`, CRSUnknown},
		"not WKT":                    {"hello", CRSUnknown},
		"empty":                      {"", CRSUnknown},
	}
	for name, tc := range wkts {
		t.Run(name, func(t *testing.T) {
			if got := crsFromWKT(tc.wkt); got != tc.want {
				t.Errorf("crsFromWKT(%.60q…) = %v, want %v", tc.wkt, got, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	cw := orb.Ring{{0, 0}, {0, 10}, {10, 10}, {10, 0}, {0, 0}}
	ccwHole := orb.Ring{{2, 2}, {4, 2}, {4, 4}, {2, 4}, {2, 2}}
	cases := map[string]struct {
		in, want orb.MultiPolygon
	}{
		"outer made counter-clockwise, hole clockwise": {
			orb.MultiPolygon{{slices.Clone(cw), slices.Clone(ccwHole)}},
			orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}}}},
		},
		"repeated points dropped and ring closed": {
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {1, 1}, {0, 1}}}},
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		},
		"short hole dropped": {
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.1, 0.1}, {0.2, 0.1}, {0.1, 0.1}}}},
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		},
		"polygon without an outer ring dropped": {
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {0, 0}}, slices.Clone(ccwHole)}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}},
			orb.MultiPolygon{{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}},
		},
		"flat ring dropped": {
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {2, 0}, {0, 0}}}},
			orb.MultiPolygon{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Normalize(tc.in)
			if !got.Equal(tc.want) {
				t.Errorf("Normalize = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValid(t *testing.T) {
	square := func(x, y, s float64) orb.Ring {
		return orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
	}
	hole := func(r orb.Ring) orb.Ring { r = slices.Clone(r); slices.Reverse(r); return r }
	cases := map[string]struct {
		mp   orb.MultiPolygon
		want bool
	}{
		"square":                         {orb.MultiPolygon{{square(0, 0, 10)}}, true},
		"square with a hole":             {orb.MultiPolygon{{square(0, 0, 10), hole(square(2, 2, 2))}}, true},
		"hole touching the outer ring":   {orb.MultiPolygon{{square(0, 0, 10), {{0, 5}, {3, 6}, {3, 4}, {0, 5}}}}, true},
		"hole sharing an edge":           {orb.MultiPolygon{{square(0, 0, 10), hole(square(0, 2, 2))}}, false},
		"two squares touching at corner": {orb.MultiPolygon{{square(0, 0, 1)}, {square(1, 1, 1)}}, true},
		"island in a lake":               {orb.MultiPolygon{{square(0, 0, 10), hole(square(2, 2, 6))}, {square(4, 4, 2)}}, true},
		"bow-tie":                        {orb.MultiPolygon{{{{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}}}, false},
		"hole crossing the outer ring":   {orb.MultiPolygon{{square(0, 0, 10), hole(square(8, 2, 4))}}, false},
		"hole outside":                   {orb.MultiPolygon{{square(0, 0, 10), hole(square(20, 2, 2))}}, false},
		"nested holes":                   {orb.MultiPolygon{{square(0, 0, 10), hole(square(1, 1, 8)), hole(square(2, 2, 2))}}, false},
		"overlapping polygons":           {orb.MultiPolygon{{square(0, 0, 10)}, {square(5, 5, 10)}}, false},
		"polygon inside another":         {orb.MultiPolygon{{square(0, 0, 10)}, {square(2, 2, 2)}}, false},
		"polygons sharing an edge":       {orb.MultiPolygon{{square(0, 0, 1)}, {square(1, 0, 1)}}, false},
		"spike":                          {orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {5, 20}, {5, 10}, {0, 10}, {0, 0}}}}, false},
		"empty":                          {orb.MultiPolygon{}, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mp := Normalize(tc.mp)
			if got := Valid(mp); got != tc.want {
				t.Errorf("Valid(%v) = %v, want %v", mp, got, tc.want)
			}
		})
	}
}

func TestRepairBowTie(t *testing.T) {
	// A bow-tie in Trafford, as a GeoJSON feature, read like any other.
	src := `{"type":"FeatureCollection","features":[
	{"type":"Feature","properties":{"code":"BOWTIE","name":"Bow-tie"},"geometry":{"type":"Polygon","coordinates":
	[[[-2.30,53.40],[-2.29,53.41],[-2.29,53.40],[-2.30,53.41],[-2.30,53.40]]]}},
	{"type":"Feature","properties":{"code":"FINE","name":"Square"},"geometry":{"type":"Polygon","coordinates":
	[[[-2.30,53.40],[-2.29,53.40],[-2.29,53.41],[-2.30,53.41],[-2.30,53.40]]]}}]}`
	l, err := ReadGeoJSON(bytes.NewReader([]byte(src)), "bowtie.geojson", ReadOptions{})
	if err != nil {
		t.Fatalf("ReadGeoJSON error: %v", err)
	}
	if !slices.Equal(l.Repaired, []string{"BOWTIE"}) {
		t.Errorf("Repaired = %v, want [BOWTIE]", l.Repaired)
	}
	checkLayer(t, l)
	g := l.Features[0].Geom
	if !Valid(g) {
		t.Errorf("repaired bow-tie %v is not valid", g)
	}
	// The two triangles of the bow-tie, 0.01° wide and 0.005° high each.
	if len(g) != 2 {
		t.Errorf("repaired bow-tie has %d polygons, want 2: %v", len(g), g)
	}
	var area float64
	for _, p := range g {
		area += ringArea(p[0])
	}
	if want := 0.01 * 0.01 / 2; math.Abs(area-want) > 1e-9 {
		t.Errorf("repaired bow-tie area %g, want %g", area, want)
	}
	// Neither the lobes' tips nor the crossing point moved.
	for _, p := range []orb.Point{{-2.30, 53.40}, {-2.29, 53.41}, {-2.295, 53.405}} {
		found := false
		for _, poly := range g {
			for _, q := range poly[0] {
				if orbgeo.Distance(p, q) < 0.01 {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("repaired bow-tie lost the point %v: %v", p, g)
		}
	}
}

func TestRepair(t *testing.T) {
	cases := map[string]struct {
		in   orb.MultiPolygon
		area float64
	}{
		"overlapping squares are merged": {orb.MultiPolygon{
			{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}},
			{{{5, 5}, {15, 5}, {15, 15}, {5, 15}, {5, 5}}}}, 175},
		"hole crossing the outer ring is cut out": {orb.MultiPolygon{
			{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{8, 2}, {8, 4}, {12, 4}, {12, 2}, {8, 2}}}}, 96},
		"large grid coordinates keep their precision": {orb.MultiPolygon{
			{{{379000, 398000}, {379010, 398010}, {379010, 398000}, {379000, 398010}, {379000, 398000}}}}, 50},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := Normalize(tc.in)
			before := in.Clone()
			got, err := Repair(in)
			if err != nil {
				t.Fatalf("Repair error: %v", err)
			}
			if !in.Equal(before) {
				t.Errorf("Repair modified its input")
			}
			if !Valid(got) {
				t.Errorf("Repair = %v, not valid", got)
			}
			var area float64
			for _, p := range got {
				area += ringArea(p[0])
				for _, h := range p[1:] {
					area += ringArea(h)
				}
			}
			if math.Abs(area-tc.area) > 1e-6*tc.area {
				t.Errorf("Repair area = %g, want %g (%v)", area, tc.area, got)
			}
		})
	}
	if _, err := Repair(nil); !errors.Is(err, ErrEmptyGeometry) {
		t.Errorf("Repair(nil) error = %v, want ErrEmptyGeometry", err)
	}
}

func TestPointOnSurface(t *testing.T) {
	cases := map[string]orb.MultiPolygon{
		"square": {{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}}},
		"U shape, centre outside": {{{{0, 0}, {10, 0}, {10, 10}, {8, 10}, {8, 2}, {2, 2}, {2, 10},
			{0, 10}, {0, 0}}}},
		"ring around a hole at the centre": {{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
			{{1, 1}, {1, 9}, {9, 9}, {9, 1}, {1, 1}}}},
		"vertex on the middle line": {{{{0, 5}, {5, 0}, {10, 5}, {5, 10}, {0, 5}}}},
		"largest of two":            {{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, {{{10, 10}, {20, 10}, {20, 20}, {10, 20}, {10, 10}}}},
		"thin sliver":               {{{{0, 0}, {10, 0}, {10, 1e-9}, {0, 0}}}},
	}
	for name, mp := range cases {
		t.Run(name, func(t *testing.T) {
			mp = Normalize(mp)
			p := PointOnSurface(mp)
			if !multiPolygonContains(mp, p) {
				t.Errorf("PointOnSurface(%v) = %v, not inside", mp, p)
			}
		})
	}
	if p := PointOnSurface(nil); p != (orb.Point{}) {
		t.Errorf("PointOnSurface(nil) = %v, want the zero point", p)
	}
	// Every MSOA of the fixture.
	for _, f := range mustRead(t, fixtureGeoJSON, ReadOptions{}).Features {
		if p := PointOnSurface(f.Geom); !multiPolygonContains(f.Geom, p) {
			t.Errorf("PointOnSurface(%s) = %v, not inside", f.Code, p)
		}
	}
}

func multiPolygonContains(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if InRing(poly[0], p) != Inside {
			continue
		}
		in := true
		for _, h := range poly[1:] {
			if InRing(h, p) != Outside {
				in = false
			}
		}
		if in {
			return true
		}
	}
	return false
}

// An island in a lake and a bow-tie, as GeoJSON and as a shapefile: holes go to the outer ring holding
// them (in a shapefile, by winding and containment), the bow-tie is repaired in both.
func TestReadLakeAndBowTie(t *testing.T) {
	for _, path := range []string{"testdata/lake-bng.geojson", "testdata/lake-bng.shp"} {
		t.Run(filepath.Ext(path), func(t *testing.T) {
			l := mustRead(t, path, ReadOptions{})
			checkLayer(t, l)
			if len(l.Features) != 2 || l.CodeField != "LSOA11CD" || l.CRS != CRSBNG {
				t.Fatalf("ReadFile(%s) = %d features, code field %s, %v; want 2, LSOA11CD, EPSG:27700", path, len(l.Features), l.CodeField, l.CRS)
			}
			lake := l.Features[0]
			if lake.Name != "Lake é" {
				t.Errorf("name %q, want %q", lake.Name, "Lake é")
			}
			if len(lake.Geom) != 2 || len(lake.Geom[0]) != 2 || len(lake.Geom[1]) != 1 {
				t.Errorf("lake = %d polygons, want the land with its lake, and the island: %v", len(lake.Geom), lake.Geom)
			}
			centre := BNGToWGS84(orb.Point{380000, 399000}) // on the island
			shore := BNGToWGS84(orb.Point{379700, 398700})  // in the lake
			land := BNGToWGS84(orb.Point{379200, 398200})   // on the land
			for p, want := range map[orb.Point]bool{centre: true, shore: false, land: true} {
				if got := multiPolygonContains(lake.Geom, p); got != want {
					t.Errorf("contains(%v) = %v, want %v", p, got, want)
				}
			}
			if !slices.Equal(l.Repaired, []string{"E01000002"}) {
				t.Errorf("Repaired = %v, want [E01000002]", l.Repaired)
			}
		})
	}
}

// A .dbf in Windows-1252, as its .cpg says, is decoded as Latin-1.
func TestShapefileLatin1(t *testing.T) {
	sf := Shapefile{SHP: readTestdata(t, "lake-bng.shp"), SHX: readTestdata(t, "lake-bng.shx"),
		DBF: bytes.Clone(readTestdata(t, "lake-bng.dbf")), PRJ: readTestdata(t, "lake-bng.prj"), CPG: []byte("1252")}
	i := bytes.Index(sf.DBF, []byte("é"))
	copy(sf.DBF[i:], "\xe9 ")
	l, err := ReadShapefile("lake.shp", sf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Features[0].Name; got != "Lake é" {
		t.Errorf("name %q, want %q", got, "Lake é")
	}
}

// A layer read with DeferClean is the layer read without it once Wait has returned (the bow-tie
// repaired, in BNG and as a shapefile); before Clean its codes are there and its bounds are not; a
// geometry error found in the cleaning is Wait's, the same error.
func TestReadDeferClean(t *testing.T) {
	for _, path := range []string{"testdata/lake-bng.geojson", "testdata/lake-bng.shp"} {
		t.Run(filepath.Ext(path), func(t *testing.T) {
			want := mustRead(t, path, ReadOptions{})
			l, err := ReadFile(path, ReadOptions{DeferClean: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Features) != len(want.Features) || l.Features[0].Code != want.Features[0].Code || l.Repaired != nil {
				t.Fatalf("deferred read = %d features, first %q, repaired %v; want %d, %q, none yet", len(l.Features), l.Features[0].Code, l.Repaired, len(want.Features), want.Features[0].Code)
			}
			if l.Features[0].Bound != (orb.Bound{}) {
				t.Errorf("bound before cleaning = %v, want zero", l.Features[0].Bound)
			}
			l.Clean(1)
			for range 2 { // Wait may be called twice
				if err := l.Wait(); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(l.Features, want.Features) || !slices.Equal(l.Repaired, want.Repaired) {
					t.Errorf("after Wait: %v, repaired %v; want %v, %v", l.Features, l.Repaired, want.Features, want.Repaired)
				}
			}
			// The shapefile reader counts vertices as it reads; the GeoJSON one leaves it to the cleaning.
			_, werr := ReadFile(path, ReadOptions{MaxVertices: 4})
			l, err = ReadFile(path, ReadOptions{MaxVertices: 4, DeferClean: true})
			if err == nil {
				err = l.Wait()
			}
			if werr == nil || err == nil || err.Error() != werr.Error() {
				t.Errorf("with 4 vertices at most: deferred read and Wait = %v, want %v", err, werr)
			}
		})
	}
}
