// Package geo reads area polygons (GeoJSON, ESRI Shapefile, GeoPackage), converts them to WGS84 and
// indexes them for point lookups. Coordinates are WGS84 longitude/latitude once read; geometries held by
// a Layer or an Index are read-only, so callers that clip or simplify must Clone them first.
package geo

import (
	"errors"

	"github.com/paulmach/orb"
)

// ErrNotFound is returned when no area contains a point or matches a code.
var ErrNotFound = errors.New("geo: not found")

// CRS is the coordinate reference system a source file was written in.
type CRS uint8

const (
	CRSUnknown CRS = iota
	// CRSWGS84 is longitude/latitude on WGS84 (EPSG:4326 with lon/lat order, OGC CRS84).
	CRSWGS84
	// CRSBNG is the British National Grid, EPSG:27700 (OSGB36 Transverse Mercator), in metres.
	CRSBNG
)

func (c CRS) String() string {
	switch c {
	case CRSWGS84:
		return "WGS84"
	case CRSBNG:
		return "EPSG:27700"
	}
	return "unknown"
}

// Feature is one area: its code, its name and its outline in WGS84.
// Outer rings are counter-clockwise and holes clockwise (RFC 7946).
type Feature struct {
	Code  string
	Name  string
	Geom  orb.MultiPolygon
	Bound orb.Bound // Geom.Bound(), or zero where it has not been computed
}

// Layer is the content of one polygon source file.
type Layer struct {
	Source    string // the file name, for messages
	CRS       CRS    // the CRS the file was written in; Features are always WGS84
	CodeField string // the attribute the codes came from
	NameField string // the attribute the names came from ("" when there was none)
	Features  []Feature
	// Repaired lists the codes of features whose geometry was invalid and was repaired on reading.
	Repaired []string

	pending *pending // the cleaning still to do of a layer read with ReadOptions.DeferClean
}
