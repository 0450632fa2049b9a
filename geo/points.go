package geo

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/paulmach/orb"
)

// PointLayer is a layer of points by code (LSOA population-weighted centroids), in WGS84.
type PointLayer struct {
	Source    string
	CodeField string
	CRS       CRS // of the file; the points are converted to WGS84
	Points    map[string]orb.Point
}

// maxPointFile caps a points file read whole (GeoJSON): the national LSOA centroids are ~10 MB.
const maxPointFile = 512 << 20

// ReadPoints reads a layer of points: an ESRI Shapefile (.shp with its .shx, .dbf and .prj beside
// it; a directory holding one; or a .zip of one), as ONS ships the LSOA population-weighted
// centroids, a GeoPackage (.gpkg, plain or gzipped) of Point features, or a GeoJSON
// FeatureCollection of Points (.geojson, .json, plain or gzipped), in WGS84 or British National Grid
// (EPSG:27700), converted to WGS84. A GeoPackage is read as the polygon reader reads one: its one
// features table (or opt.Layer), base tables only, its CRS from gpkg_spatial_ref_sys, at most
// opt.MaxFeatures rows. The code attribute is found as for polygons (LSOA21CD, lsoa11cd) unless
// opt.CodeField names it. A repeated code with a different point, a point outside its CRS's range,
// or a shape that is not a point is an error naming it.
func ReadPoints(path string, opt ReadOptions) (*PointLayer, error) {
	return ReadPointsContext(context.Background(), path, opt)
}

// ReadPointsContext is ReadPoints under ctx: a GeoPackage's queries stop with ctx's error.
func ReadPointsContext(ctx context.Context, path string, opt ReadOptions) (*PointLayer, error) {
	opt.ctx = ctx
	name := filepath.Base(path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	if fi.IsDir() {
		shps, _ := filepath.Glob(filepath.Join(path, "*.shp"))
		if len(shps) != 1 {
			return nil, fileErr(name, fmt.Errorf("%w: the directory holds %d .shp files, want one", ErrMissingPart, len(shps)))
		}
		path = shps[0]
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".shp"):
		sf, err := shapefileParts(path, name)
		if err != nil {
			return nil, err
		}
		return readPointShapefile(name, sf, opt)
	case strings.HasSuffix(lower, ".zip"):
		f, err := os.Open(path)
		if err != nil {
			return nil, fileErr(name, err)
		}
		defer f.Close()
		var out *PointLayer
		// The parts are read inside the callback: they are unmapped once it returns.
		_, err = readShapefileZipWith(name, f, fi.Size(), opt, func(sf Shapefile) (*Layer, error) {
			var err error
			out, err = readPointShapefile(name, sf, opt)
			return nil, err
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(name, err)
	}
	defer f.Close()
	var head [16]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fileErr(name, err)
	}
	if isSQLite(head[:n]) {
		return readGeoPackageWith(path, name, opt, false, (*gpkgReader).readPoints)
	}
	if hasSuffixFold(name, ".gpkg") {
		return nil, fileErr(name, fmt.Errorf("%w: not an SQLite database", ErrMalformed))
	}
	data, err := io.ReadAll(io.LimitReader(io.MultiReader(bytes.NewReader(head[:n]), f), maxPointFile+1))
	if err != nil {
		return nil, fileErr(name, err)
	}
	if isGzip(data) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fileErr(name, archiveErr("gzip", err))
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxPointFile+1)); err != nil {
			return nil, fileErr(name, archiveErr("gzip", err))
		}
	}
	if len(data) > maxPointFile {
		return nil, fileErr(name, fmt.Errorf("%w: over %d MiB", ErrTooLarge, maxPointFile>>20))
	}
	if isSQLite(data) {
		return readGeoPackageTempWith(name, bytes.NewReader(data), opt, (*gpkgReader).readPoints)
	}
	return readPointGeoJSON(name, data, opt)
}

// readPoints reads the features table of a GeoPackage as points, one a row: Point geometries (2D,
// Z, M or ZM) under their code. The table is found and checked as for polygons (see table).
func (g *gpkgReader) readPoints(opt ReadOptions) (*PointLayer, error) {
	t, err := g.table(opt)
	if err != nil {
		return nil, err
	}
	switch t.geomType {
	case "", "GEOMETRY", "POINT":
	default:
		return nil, fmt.Errorf("%w: table %s holds %s geometries, not points", ErrNotPoint, t.name, clip(t.geomType, 40))
	}
	codeField, _, err := detectFields(t.cols, opt)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name, err)
	}
	rows, err := g.rows(t, quoteIdent(codeField), quoteIdent(t.geomCol))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	limit := capOr(opt.MaxFeatures, DefaultMaxFeatures)
	out := &PointLayer{Source: g.name, CodeField: codeField, CRS: t.crs, Points: map[string]orb.Point{}}
	i := 0
	for ; rows.Next(); i++ {
		if i == limit {
			return nil, fmt.Errorf("%w: table %s: over %d features (ReadOptions.MaxFeatures)", ErrLimit, t.name, limit)
		}
		var code sql.NullString
		var blob sql.RawBytes
		if err := rows.Scan(&code, &blob); err != nil {
			return nil, sqlErr(t.name, err)
		}
		c := strings.TrimSpace(code.String)
		if blob == nil {
			return nil, featureErr(g.name, i, c, fmt.Errorf("%w: NULL geometry", ErrEmptyGeometry))
		}
		p, err := gpkgPoint(blob)
		if err != nil {
			return nil, featureErr(g.name, i, c, err)
		}
		if err := out.add(c, p); err != nil {
			return nil, featureErr(g.name, i, c, err)
		}
	}
	if err := rows.Err(); err != nil {
		if cerr := g.ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, sqlErr(t.name, err)
	}
	if i == 0 {
		return nil, fmt.Errorf("%w: table %s has no rows", ErrNoFeatures, t.name)
	}
	return out, nil
}

// gpkgPoint parses a GeoPackage binary geometry holding a WKB Point.
func gpkgPoint(b []byte) (orb.Point, error) {
	body, err := gpkgWKB(b)
	if err != nil {
		return orb.Point{}, err
	}
	d := wkbData{b: body}
	t, err := d.header()
	if err != nil {
		return orb.Point{}, err
	}
	if t != 1 {
		return orb.Point{}, fmt.Errorf("%w: %s", ErrNotPoint, wkbTypeName(t))
	}
	if len(d.b)-d.off != d.dims*8 {
		return orb.Point{}, fmt.Errorf("%w: a WKB Point of %d coordinates in %d bytes", ErrMalformed, d.dims, len(d.b)-d.off)
	}
	p := orb.Point{d.float(d.off), d.float(d.off + 8)}
	if math.IsNaN(p[0]) && math.IsNaN(p[1]) {
		return orb.Point{}, fmt.Errorf("%w: an empty Point", ErrEmptyGeometry)
	}
	return p, nil
}

// Point shape types.
const (
	shpPoint  = 1
	shpPointZ = 11
	shpPointM = 21
)

func readPointShapefile(name string, sf Shapefile, opt ReadOptions) (*PointLayer, error) {
	l, err := readPointShapefileErr(name, sf, opt)
	if err != nil {
		return nil, fileErr(name, err)
	}
	return l, nil
}

func readPointShapefileErr(name string, sf Shapefile, opt ReadOptions) (*PointLayer, error) {
	t, err := openShapefile(sf, opt, func(st int32) bool { return st == shpPoint || st == shpPointZ || st == shpPointM }, ErrNotPoint, ", not points")
	if err != nil {
		return nil, err
	}
	crs, count, db, codeField := t.crs, t.count, t.db, t.codeField
	col := db.column(codeField)
	out := &PointLayer{Source: name, CodeField: codeField, CRS: crs, Points: make(map[string]orb.Point, count)}
	size := int64(len(sf.SHP))
	for i := 0; i < count; i++ {
		if db.deleted(i) {
			continue
		}
		code := db.value(i, col)
		off := int64(binary.BigEndian.Uint32(sf.SHX[100+8*i:])) * 2
		clen := int64(binary.BigEndian.Uint32(sf.SHX[100+8*i+4:])) * 2
		if off < 100 || clen < 20 || off+8+clen > size {
			return nil, featureErr(name, i, code, fmt.Errorf("%w: point record of %d bytes at offset %d outside the .shp", ErrMalformed, clen, off))
		}
		c := sf.SHP[off+8 : off+8+clen]
		switch t := int32(binary.LittleEndian.Uint32(c)); t {
		case shpPoint, shpPointZ, shpPointM:
		case shpNull:
			return nil, featureErr(name, i, code, fmt.Errorf("%w: null shape", ErrEmptyGeometry))
		default:
			return nil, featureErr(name, i, code, fmt.Errorf("%w: %s", ErrNotPoint, shapeTypeName(t)))
		}
		p := orb.Point{math.Float64frombits(binary.LittleEndian.Uint64(c[4:])), math.Float64frombits(binary.LittleEndian.Uint64(c[12:]))}
		if err := out.add(code, p); err != nil {
			return nil, featureErr(name, i, code, err)
		}
	}
	return out, nil
}

// add checks a point in the layer's CRS, converts it to WGS84 and keeps it under its code.
func (l *PointLayer) add(code string, p orb.Point) error {
	if code == "" {
		return fmt.Errorf("%w: empty code", ErrField)
	}
	if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
		return fmt.Errorf("%w: a coordinate is not a finite number", ErrCoordinates)
	}
	if !inRange(p, l.CRS) {
		return rangeErr(p, l.CRS)
	}
	if l.CRS == CRSBNG {
		p = BNGToWGS84(p)
	}
	if prev, ok := l.Points[code]; ok && prev != p {
		return fmt.Errorf("%w: %s has a second, different point", ErrDuplicateCode, code)
	}
	l.Points[code] = p
	return nil
}

// readPointGeoJSON reads a FeatureCollection of Points: small enough (35k points) for encoding/json.
func readPointGeoJSON(name string, data []byte, opt ReadOptions) (*PointLayer, error) {
	var fc struct {
		Type string `json:"type"`
		CRS  *struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"crs"`
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   *struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fileErr(name, fmt.Errorf("%w: not a GeoJSON FeatureCollection of points: %v", ErrMalformed, err))
	}
	if fc.Type != "FeatureCollection" {
		return nil, fileErr(name, fmt.Errorf("%w: type %q, want FeatureCollection", ErrMalformed, fc.Type))
	}
	crs := CRSWGS84
	if fc.CRS != nil {
		if crs = crsFromName(fc.CRS.Properties.Name); crs == CRSUnknown {
			return nil, fileErr(name, fmt.Errorf("%w: crs %q", ErrCRS, clip(fc.CRS.Properties.Name, 200)))
		}
	}
	var fields []string
	if len(fc.Features) > 0 {
		for k := range fc.Features[0].Properties {
			fields = append(fields, k)
		}
		sort.Strings(fields)
	}
	codeField, _, err := detectFields(fields, opt)
	if err != nil {
		return nil, fileErr(name, err)
	}
	out := &PointLayer{Source: name, CodeField: codeField, CRS: crs, Points: make(map[string]orb.Point, len(fc.Features))}
	for i, f := range fc.Features {
		code := fmt.Sprint(f.Properties[codeField])
		if f.Properties[codeField] == nil {
			code = ""
		}
		if f.Geometry == nil || f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) < 2 {
			t := "null"
			if f.Geometry != nil {
				t = f.Geometry.Type
			}
			return nil, fileErr(name, featureErr(name, i, code, fmt.Errorf("%w: %s", ErrNotPoint, t)))
		}
		if err := out.add(code, orb.Point{f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]}); err != nil {
			return nil, fileErr(name, featureErr(name, i, code, err))
		}
	}
	return out, nil
}
