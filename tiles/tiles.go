// Package tiles renders area polygons as Mapbox Vector Tiles 2.1, caches the rendered tiles and exports
// them as MBTiles 1.3.
//
// Assumptions: input features are WGS84 longitude/latitude (geo.Feature); tiles are the Web Mercator
// (EPSG:3857) XYZ scheme with the origin at the top left, extent 4096, y growing downwards. Inputs are
// read-only: Prepare copies the coordinates it needs and never modifies the features it is given.
//
// Prepare builds the topology of the areas once: every ring is split into arcs where its set of
// neighbours changes, so an edge shared by two areas is stored, simplified and quantised once. Shared
// edges are found by vertex equality, within Options.Snap (1e-7 degrees, about 1 cm, by default):
// neighbours in ONS boundary files share their vertices, but after reprojection to WGS84 the copies
// differ in the last digits. Each zoom's rings are rebuilt from the same simplified arcs, so neighbours
// keep sharing exactly the same vertices and no gap or sliver opens between them at any zoom; at low
// zooms, layers may also merge areas too small to see into their neighbours (Options.Coalesce).
package tiles

import (
	"errors"
	"fmt"
)

const (
	// Extent is the size of a tile in tile units.
	Extent = 4096
	// Buffer is how far, in tile units, geometry is kept beyond each edge of a tile.
	Buffer = 64
	// MaxZoom is the highest zoom with its own simplification, and the maxzoom published in TileJSON.
	MaxZoom = 12
	// OverZoom is the highest zoom ParseZXY accepts and Render draws. Tiles above MaxZoom are drawn from
	// the MaxZoom geometry (clients that honour the published maxzoom never ask for them, but some XYZ
	// clients with a fixed zoom range do).
	OverZoom = 22
)

var (
	// ErrOutOfRange reports a tile address outside the tile pyramid, or one that is not a number.
	ErrOutOfRange = errors.New("tiles: tile out of range")
	// ErrSyntax reports a tile coordinate that is not a canonical decimal number. It wraps ErrOutOfRange,
	// so errors.Is(err, ErrOutOfRange) holds for every rejected tile address.
	ErrSyntax = fmt.Errorf("%w: not a decimal number", ErrOutOfRange)
)
