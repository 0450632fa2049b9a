package nhs

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
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

// Columns of a centroid file, in order of preference.
var (
	colCentroidLSOA = []string{"lsoa11cd", "LSOA21CD", "LSOA_CODE", "lsoa"}
	colLon          = []string{"X", "LONG", "lon", "longitude"}
	colLat          = []string{"Y", "LAT", "latitude"}
)

// The lon/lat box a centroid must fall in: England and Wales with a margin (the real extremes are
// the Isles of Scilly at 6.3°W and Berwick at 55.8°N). It catches files in British National Grid
// metres and swapped columns.
const (
	minLon, maxLon = -8.0, 2.0
	minLat, maxLat = 49.5, 56.0
)

// ReadCentroids reads LSOA population-weighted centroids (plain, .gz or .zip) in WGS84 degrees:
// the ONS file's X (longitude), Y (latitude) and lsoa11cd, or LSOA21CD, LONG/LAT and the like.
// A coordinate that is not a finite number within England and Wales is an error: a file in British
// National Grid metres is rejected rather than misplaced.
func ReadCentroids(path string) (*Centroids, error) {
	return readFile(path, func(c *columns) error { _, err := centroidColumns(c); return err },
		func(in *input) (*Centroids, error) { return readCentroids(in.r, in.name, in.rows) },
		func(c *Centroids) *string { return &c.Source })
}

func centroidColumns(c *columns) ([3]int, error) {
	var idx [3]int
	var err error
	for i, names := range [][]string{colCentroidLSOA, colLon, colLat} {
		if idx[i], err = c.need(names...); err != nil {
			return idx, err
		}
	}
	return idx, nil
}

// readCentroids is ReadCentroids on an opened stream; hint estimates the number of rows.
func readCentroids(r io.Reader, name string, hint int) (*Centroids, error) {
	cr := newCSVReader(r, name)
	header, err := cr.header()
	if err != nil {
		return nil, err
	}
	idx, err := centroidColumns(newColumns(name, header))
	if err != nil {
		return nil, err
	}
	c := &Centroids{Source: name, Points: make(map[string]Point, hint)}
	lines := make(map[string]int, hint)
	for {
		f, err := cr.row(len(header))
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		lsoa := field(f, idx[0])
		if lsoa == "" {
			return nil, errorf(name, cr.line, ErrInvalidValue, "column %q is empty", header[idx[0]])
		}
		lon, err := coordinate(field(f, idx[1]), header[idx[1]], "longitude", minLon, maxLon)
		if err != nil {
			return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
		}
		lat, err := coordinate(field(f, idx[2]), header[idx[2]], "latitude", minLat, maxLat)
		if err != nil {
			return nil, errorf(name, cr.line, ErrInvalidValue, "LSOA %s: %v", lsoa, err)
		}
		p := Point{Lon: lon, Lat: lat}
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

// coordinate parses one WGS84 coordinate and checks it lies in [lo, hi].
func coordinate(s, col, what string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("column %q: %q is not a finite number", col, s)
	}
	if v < lo || v > hi {
		hint := ""
		if math.Abs(v) > 180 {
			hint = "; the file looks like British National Grid metres, not WGS84 degrees"
		}
		return 0, fmt.Errorf("column %q: %s %g is outside England and Wales [%g, %g]%s", col, what, v, lo, hi, hint)
	}
	return v, nil
}
