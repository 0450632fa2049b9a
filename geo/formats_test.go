package geo

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// GeoJSON as other writers produce it: member order, crs forms, numbers, escapes, a BOM, 3D positions.
func TestGeoJSONVariants(t *testing.T) {
	const ring = `[[-2.3,53.4],[-2.29,53.4],[-2.29,53.41],[-2.3,53.4]]`
	const bngRing = `[[379000,398000],[380000,398000],[380000,399000],[379000,398000]]`
	wantLL := orb.Ring{{-2.3, 53.4}, {-2.29, 53.4}, {-2.29, 53.41}, {-2.3, 53.4}}
	wantBNG := orb.Ring{BNGToWGS84(orb.Point{379000, 398000}), BNGToWGS84(orb.Point{380000, 398000}),
		BNGToWGS84(orb.Point{380000, 399000}), BNGToWGS84(orb.Point{379000, 398000})}
	cases := map[string]struct {
		src        string
		crs        CRS
		code, name string
		ring       orb.Ring
	}{
		"members in another order": {`{"features":[{"geometry":{"coordinates":[` + ring + `],"type":"Polygon"},"properties":{"code":"A","name":"B"},"type":"Feature"}],"type":"FeatureCollection"}`,
			CRSWGS84, "A", "B", wantLL},
		"crs after the features": {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[` + bngRing + `]}}],"crs":{"type":"name","properties":{"name":"EPSG:27700"}}}`,
			CRSBNG, "A", "", wantBNG},
		"old EPSG crs": {`{"type":"FeatureCollection","crs":{"type":"EPSG","properties":{"code":27700}},"features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[` + bngRing + `]}}]}`,
			CRSBNG, "A", "", wantBNG},
		"null crs": {`{"type":"FeatureCollection","crs":null,"features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[` + ring + `]}}]}`,
			CRSWGS84, "A", "", wantLL},
		"byte-order mark and white space": {"\ufeff \n\t{ \"type\" : \"FeatureCollection\" , \"features\" : [ { \"type\" : \"Feature\" , \"properties\" : { \"code\" : \"A\" } , \"geometry\" : { \"type\" : \"Polygon\" , \"coordinates\" : [ [ [ -2.3 , 53.4 ] , [ -2.29 , 53.4 ] , [ -2.29 , 53.41 ] , [ -2.3 , 53.4 ] ] ] } } ] }\r\n",
			CRSWGS84, "A", "", wantLL},
		"numbers in every form": {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":12,"name":-1.5e3},"geometry":{"type":"Polygon","coordinates":[[[-23e-1,5340E-2,100],[-2.29000000000000000000001,53.4,1,2],[-0.229e1,53.41],[-2.3,53.4]]]}}]}`,
			CRSWGS84, "12", "-1.5e3", wantLL},
		"escapes and other property types": {`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","bbox":[0,0,1,1],"properties":{"o":{"a":[1,{"b":null}]},"flag":true,"code":"A\u00e9\"\\\/\n","name":null},"geometry":{"type":"Polygon","bbox":[0,0,1,1],"coordinates":[` + ring + `]}}]}`,
			CRSWGS84, "Aé\"\\/", "", wantLL},
		"MultiPolygon with the type last": {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"coordinates":[[` + ring + `]],"type":"MultiPolygon"}}]}`,
			CRSWGS84, "A", "", wantLL},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := ReadGeoJSON(strings.NewReader(tc.src), "variant.geojson", ReadOptions{})
			if err != nil {
				t.Fatalf("ReadGeoJSON error: %v", err)
			}
			f := l.Features[0]
			if l.CRS != tc.crs || f.Code != tc.code || f.Name != tc.name {
				t.Errorf("ReadGeoJSON = %v, %q, %q; want %v, %q, %q", l.CRS, f.Code, f.Name, tc.crs, tc.code, tc.name)
			}
			if len(f.Geom) != 1 || !ringsClose(f.Geom[0][0], tc.ring) {
				t.Errorf("ReadGeoJSON geometry = %v, want %v", f.Geom, tc.ring)
			}
		})
	}
}

func ringsClose(a, b orb.Ring) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i][0]-b[i][0]) > 1e-12 || math.Abs(a[i][1]-b[i][1]) > 1e-12 {
			return false
		}
	}
	return true
}

// The number scanner must agree with strconv, to the last bit, on the forms coordinates take.
func TestScanNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-2.264584600005108", "53.467850318701736", "54.708269963145106",
		"0.000123", "123456789012345678901234567890", "1e22", "1e23", "1.7976931348623157e308", "4.9e-324",
		"379000.12345678901", "-0.229e1", "5340E-2", "9007199254740993", "0.1", "2.5e-5"} {
		n, f, msg := scanNumber([]byte(s + ","))
		want, _ := strconvParse(s)
		if msg != "" || n != len(s) || math.Float64bits(f) != math.Float64bits(want) {
			t.Errorf("scanNumber(%q) = %d, %v, %q; want %d, %v", s, n, f, msg, len(s), want)
		}
	}
	for _, s := range []string{"-", "01", ".5", "1.", "1e", "1e+", "+1", "1e999"} {
		n, _, msg := scanNumber([]byte(s))
		if msg == "" && n == len(s) {
			t.Errorf("scanNumber(%q) accepted it", s)
		}
	}
}

// wkbPolygon encodes a one-ring polygon as WKB with the given byte order, type code and extra dimensions.
func wkbPolygon(order binary.AppendByteOrder, typ uint32, extra int, srid bool, r orb.Ring) []byte {
	b := []byte{0}
	if order == binary.LittleEndian {
		b[0] = 1
	}
	b = order.AppendUint32(b, typ)
	if srid {
		b = order.AppendUint32(b, 4326)
	}
	b = order.AppendUint32(b, 1)
	b = order.AppendUint32(b, uint32(len(r)))
	for _, p := range r {
		b = order.AppendUint64(b, math.Float64bits(p[0]))
		b = order.AppendUint64(b, math.Float64bits(p[1]))
		for range extra {
			b = order.AppendUint64(b, math.Float64bits(9))
		}
	}
	return b
}

func gpkgHeader(flags byte, envelope int) []byte {
	h := []byte{'G', 'P', 0, flags, 0xe6, 0x10, 0, 0}
	return append(h, make([]byte, envelope)...)
}

func TestGPKGGeometry(t *testing.T) {
	r := orb.Ring{{-2.3, 53.4}, {-2.29, 53.4}, {-2.29, 53.41}, {-2.3, 53.4}}
	le, be := binary.AppendByteOrder(binary.LittleEndian), binary.AppendByteOrder(binary.BigEndian)
	multi := func(order binary.AppendByteOrder, polys ...[]byte) []byte {
		b := []byte{0}
		if order == le {
			b[0] = 1
		}
		b = order.AppendUint32(b, 6)
		b = order.AppendUint32(b, uint32(len(polys)))
		for _, p := range polys {
			b = append(b, p...)
		}
		return b
	}
	cases := map[string]struct {
		blob  []byte
		polys int
	}{
		"little-endian, no envelope":  {append(gpkgHeader(0x01, 0), wkbPolygon(le, 3, 0, false, r)...), 1},
		"big-endian, XY envelope":     {append(gpkgHeader(0x02, 32), wkbPolygon(be, 3, 0, false, r)...), 1},
		"XYZ envelope, ISO PolygonZ":  {append(gpkgHeader(0x05, 48), wkbPolygon(le, 1003, 1, false, r)...), 1},
		"XYM envelope, ISO PolygonM":  {append(gpkgHeader(0x07, 48), wkbPolygon(be, 2003, 1, false, r)...), 1},
		"XYZM envelope, PolygonZM":    {append(gpkgHeader(0x09, 64), wkbPolygon(le, 3003, 2, false, r)...), 1},
		"EWKB PolygonZ with SRID":     {append(gpkgHeader(0x01, 0), wkbPolygon(le, 3|0x80000000|0x20000000, 1, true, r)...), 1},
		"MultiPolygon, mixed orders":  {append(gpkgHeader(0x01, 0), multi(le, wkbPolygon(be, 3, 0, false, r), wkbPolygon(le, 3, 0, false, r))...), 2},
		"MultiPolygon of no polygons": {append(gpkgHeader(0x01, 0), multi(be)...), 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var w wkbReader
			mp, err := w.gpkg(tc.blob)
			if err != nil {
				t.Fatalf("gpkg error: %v", err)
			}
			if len(mp) != tc.polys {
				t.Fatalf("gpkg = %d polygons, want %d", len(mp), tc.polys)
			}
			for _, p := range mp {
				if len(p) != 1 || !ringsClose(p[0], r) {
					t.Errorf("gpkg = %v, want the ring %v", mp, r)
				}
			}
		})
	}
	bad := map[string][]byte{
		"short":                 []byte("GP"),
		"version 1":             append([]byte{'G', 'P', 1, 1, 0, 0, 0, 0}, wkbPolygon(le, 3, 0, false, r)...),
		"envelope code 5":       append(gpkgHeader(0x0b, 0), wkbPolygon(le, 3, 0, false, r)...),
		"envelope past the end": gpkgHeader(0x09, 10),
		"byte order 2":          append(gpkgHeader(0x01, 0), 2, 3, 0, 0, 0),
		"type 4003":             append(gpkgHeader(0x01, 0), wkbPolygon(le, 4003, 0, false, r)...),
		"trailing bytes":        append(append(gpkgHeader(0x01, 0), wkbPolygon(le, 3, 0, false, r)...), 0),
		"huge ring count":       append(gpkgHeader(0x01, 0), 1, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f),
		"extended type":         append(gpkgHeader(0x21, 0), wkbPolygon(le, 3, 0, false, r)...),
		"Point in MultiPolygon": append(gpkgHeader(0x01, 0), multi(le, append([]byte{1, 1, 0, 0, 0}, make([]byte, 16)...))...),
	}
	for name, blob := range bad {
		t.Run(name, func(t *testing.T) {
			var w wkbReader
			if mp, err := w.gpkg(blob); err == nil {
				t.Errorf("gpkg(% x) = %v, want an error", blob, mp)
			}
		})
	}
}

func TestReadShapefileAllParts(t *testing.T) {
	// A shapefile in memory gives what the same files on disk give.
	sf := tinyShapefile(t)
	l, err := ReadShapefile("tiny.shp", sf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	disk := mustRead(t, "testdata/tiny-bng.shp", ReadOptions{})
	if len(l.Features) != 3 || !bytes.Equal([]byte(l.Features[2].Code), []byte(disk.Features[2].Code)) || !l.Features[2].Geom.Equal(disk.Features[2].Geom) {
		t.Errorf("ReadShapefile differs from ReadFile")
	}
}

func strconvParse(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
