package nhs

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

// lookupPairs are the (LSOA, area) column pairs ReadLookup recognises, in order of preference:
// ONS 2011 codes, the House of Commons Library lookup, ONS 2021 codes.
var lookupPairs = [][2]string{
	{"LSOA11CD", "MSOA11CD"},
	{"LSOA_CODE", "MSOA_CODE"},
	{"LSOA21CD", "MSOA21CD"},
}

// ReadLookup reads an LSOA → area lookup CSV (plain, .gz or .zip), finding the columns by name:
// LSOA11CD/MSOA11CD, LSOA_CODE/MSOA_CODE or LSOA21CD/MSOA21CD. Repeated identical rows are
// accepted; an LSOA mapped to two different areas is ErrConflict naming both lines.
func ReadLookup(path string) (*Lookup, error) {
	return readLookupFile(path, "", "")
}

// ReadLookupColumns is ReadLookup with the LSOA and area columns named by the caller, for lookups to
// other areas (wards, localities, team footprints). Names match case-insensitively.
func ReadLookupColumns(path, lsoaCol, areaCol string) (*Lookup, error) {
	return readLookupFile(path, lsoaCol, areaCol)
}

func readLookupFile(path, lsoaCol, areaCol string) (*Lookup, error) {
	return readFile(path, func(c *columns) error { _, _, err := lookupColumns(c, lsoaCol, areaCol); return err },
		func(in *input) (*Lookup, error) { return readLookup(in.r, in.name, lsoaCol, areaCol, in.rows) },
		func(l *Lookup) *string { return &l.Source })
}

func lookupColumns(c *columns, lsoaCol, areaCol string) (int, int, error) {
	if lsoaCol != "" || areaCol != "" {
		li, err := c.need(lsoaCol)
		if err != nil {
			return -1, -1, err
		}
		ai, err := c.need(areaCol)
		if err != nil {
			return -1, -1, err
		}
		if li == ai {
			return -1, -1, errorf(c.name, 1, ErrMissingColumn, "LSOA and area column are both %q", c.header[li])
		}
		return li, ai, nil
	}
	for _, p := range lookupPairs {
		li, err := c.find(p[0])
		if err != nil {
			return -1, -1, err
		}
		ai, err := c.find(p[1])
		if err != nil {
			return -1, -1, err
		}
		if li >= 0 && ai >= 0 {
			return li, ai, nil
		}
	}
	pairs := make([]string, len(lookupPairs))
	for i, p := range lookupPairs {
		pairs[i] = p[0] + "/" + p[1]
	}
	return -1, -1, errorf(c.name, 1, ErrMissingColumn, "no LSOA and area columns (looked for %s; columns found: %s)",
		strings.Join(pairs, ", "), strings.Join(quoteAll(c.header), ", "))
}

// readLookup is ReadLookupColumns on an opened stream; hint estimates the number of rows.
func readLookup(r io.Reader, name, lsoaCol, areaCol string, hint int) (*Lookup, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	li, ai, err := lookupColumns(newColumns(name, header), lsoaCol, areaCol)
	if err != nil {
		return nil, err
	}
	l := &Lookup{Source: name, LSOAField: header[li], AreaField: header[ai], Area: make(map[string]string, hint)}
	lines := make(map[string]int, hint)
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		lsoa, area := field(f, li), field(f, ai)
		if lsoa == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "column %q is empty", header[li])
		}
		if area == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: column %q is empty", lsoa, header[ai])
		}
		if prev, ok := l.Area[lsoa]; ok {
			if prev != area {
				return nil, errorf(name, cr.line, ErrConflict, "LSOA %s maps to %s, but to %s on line %d",
					lsoa, area, prev, lines[lsoa])
			}
			continue
		}
		l.Area[lsoa] = area
		lines[lsoa] = cr.line
	}
	return l, nil
}

// Coordinate columns of a centroid file, in order of preference: WGS84 degrees by name, then
// British National Grid metres by name, then X/Y (lower or upper case), which the ONS 2011 file
// writes in degrees and other sources in metres: those are told apart by their values.
var (
	colLon = []string{"LONG_WGS84", "LON_WGS84", "LONG", "lon", "longitude", "lng"}
	colLat = []string{"LAT_WGS84", "LAT", "latitude"}
	colE   = []string{"BNG_E", "EASTING", "EASTINGS", "east", "E"}
	colN   = []string{"BNG_N", "NORTHING", "NORTHINGS", "north", "N"}
	colX   = []string{"X"}
	colY   = []string{"Y"}
)

// The lon/lat box a centroid must fall in: England and Wales with a margin (the real extremes are
// the Isles of Scilly at 6.3°W and Berwick at 55.8°N). It catches swapped columns and metres taken
// for degrees.
const (
	minLon, maxLon = -8.0, 2.0
	minLat, maxLat = 49.5, 56.0
)

// The British National Grid box of England and Wales in metres, with a margin.
const (
	minE, maxE = 0.0, 700000.0
	minN, maxN = 0.0, 700000.0
)

// ReadCentroids reads LSOA population-weighted centroids (plain, .gz or .zip) of either census: the
// LSOA code column by family (lsoa11cd, LSOA21CD, lsoa21_code, LSOA_CODE), and the point in WGS84
// degrees (LONG_WGS84/LAT_WGS84, LONG/LAT, lon/lat, longitude/latitude) or, failing those, in
// British National Grid metres (BNG_E/BNG_N, EASTING/NORTHING), converted to WGS84. X/Y columns
// are degrees when the first row's X lies within ±180 and metres otherwise (the ONS 2011 file writes
// degrees there). A coordinate that is not a finite number inside England and Wales is an error.
func ReadCentroids(path string) (*Centroids, error) {
	return readFile(path, func(c *columns) error { _, err := centroidColumns(c); return err },
		func(in *input) (*Centroids, error) { return readCentroids(in.r, in.name, in.rows) },
		func(c *Centroids) *string { return &c.Source })
}

// centroidCols are the columns of a centroid file: the LSOA, the two coordinates, and whether they
// are (or, for X/Y, may be) British National Grid metres.
type centroidCols struct {
	lsoa, x, y int
	bng        bool
	xy         bool // X/Y: decided by the values
}

func centroidColumns(c *columns) (centroidCols, error) {
	cc := centroidCols{lsoa: -1}
	fc := sortColumns(c)
	if len(fc.lsoa[roleCode]) > 0 {
		cc.lsoa = latestCensus(c, fc.lsoa[roleCode])
	} else {
		i, err := c.find("lsoa", "code")
		if err != nil {
			return cc, err
		}
		cc.lsoa = i
	}
	if cc.lsoa < 0 {
		return cc, errorf(c.name, 1, ErrMissingColumn, "no LSOA code column (looked for LSOA11CD, LSOA21CD, lsoa21_code, LSOA_CODE; columns found: %s)",
			strings.Join(quoteAll(c.header), ", "))
	}
	pair := func(xs, ys []string) (int, int, error) {
		x, err := c.find(xs...)
		if err != nil {
			return -1, -1, err
		}
		y, err := c.find(ys...)
		if err != nil {
			return -1, -1, err
		}
		if x < 0 || y < 0 {
			return -1, -1, nil
		}
		return x, y, nil
	}
	for _, p := range []struct {
		xs, ys  []string
		bng, xy bool
	}{{colLon, colLat, false, false}, {colE, colN, true, false}, {colX, colY, false, true}} {
		x, y, err := pair(p.xs, p.ys)
		if err != nil {
			return cc, err
		}
		if x >= 0 {
			cc.x, cc.y, cc.bng, cc.xy = x, y, p.bng, p.xy
			return cc, nil
		}
	}
	return cc, errorf(c.name, 1, ErrMissingColumn, "no coordinate columns: looked for WGS84 longitude/latitude (%s / %s), British National Grid (%s / %s) or X/Y (columns found: %s)",
		strings.Join(colLon, ", "), strings.Join(colLat, ", "), strings.Join(colE, ", "), strings.Join(colN, ", "),
		strings.Join(quoteAll(c.header), ", "))
}

// readCentroids is ReadCentroids on an opened stream; hint estimates the number of rows.
func readCentroids(r io.Reader, name string, hint int) (*Centroids, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	cc, err := centroidColumns(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	c := &Centroids{Source: name, Points: make(map[string]Point, hint)}
	lines := make(map[string]int, hint)
	decided := !cc.xy
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		lsoa := field(f, cc.lsoa)
		if lsoa == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "column %q is empty", header[cc.lsoa])
		}
		if !decided {
			// X/Y: metres when X is beyond any longitude.
			if v, err := strconv.ParseFloat(field(f, cc.x), 64); err == nil && math.Abs(v) > 180 {
				cc.bng = true
			}
			decided = true
			c.BNG = cc.bng
		}
		var p Point
		if cc.bng {
			c.BNG = true
			e, err := coordinate(field(f, cc.x), header[cc.x], "easting", minE, maxE)
			if err != nil {
				return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
			}
			n, err := coordinate(field(f, cc.y), header[cc.y], "northing", minN, maxN)
			if err != nil {
				return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
			}
			w := geo.BNGToWGS84(orb.Point{e, n})
			p = Point{Lon: w[0], Lat: w[1]}
		} else {
			lon, err := coordinate(field(f, cc.x), header[cc.x], "longitude", minLon, maxLon)
			if err != nil {
				return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
			}
			lat, err := coordinate(field(f, cc.y), header[cc.y], "latitude", minLat, maxLat)
			if err != nil {
				return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
			}
			p = Point{Lon: lon, Lat: lat}
		}
		if prev, ok := c.Points[lsoa]; ok {
			if prev != p {
				return nil, errorf(name, cr.line, ErrConflict, "LSOA %s has a second centroid; the first is on line %d",
					lsoa, lines[lsoa])
			}
			continue
		}
		c.Points[lsoa] = p
		lines[lsoa] = cr.line
	}
	return c, nil
}

// coordinate parses one coordinate and checks it lies in [lo, hi].
func coordinate(s, col, what string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("column %q: %q is not a finite number", col, s)
	}
	if v < lo || v > hi {
		hint := ""
		if math.Abs(v) > 180 && what != "easting" && what != "northing" {
			hint = "; the file looks like British National Grid metres, not WGS84 degrees"
		}
		return 0, fmt.Errorf("column %q: %s %g is outside England and Wales [%g, %g]%s", col, what, v, lo, hi, hint)
	}
	return v, nil
}
