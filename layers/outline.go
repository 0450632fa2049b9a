package layers

import (
	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/tiles"
)

// Outlines dissolves a release's areas along their shared edges, with the dissolver of the
// boundaries and teams layers, for the exports that are not tiles (GeoPackage, GeoJSON): outlines
// made from the same topology as the tiles, so neighbours share their edges.
type Outlines struct{ dv *tiles.Dissolver }

// NewOutlines indexes the areas' edges.
func NewOutlines(areas []overlap.Area) *Outlines { return &Outlines{NewDissolver(areas)} }

// Union is the outline of a set of areas (indexes into the release's areas): anticlockwise
// exteriors, clockwise holes.
func (o *Outlines) Union(areas []int32) orb.MultiPolygon { return o.dv.Union(areas) }

// Groups is the outline of every group of areas, group(a) naming area a's group ("" for none), as
// features whose Code is the group, sorted by it.
func (o *Outlines) Groups(group func(a int32) string) []geo.Feature { return o.dv.DissolveBy(group) }

// Boundary is a feature of the boundaries layer.
type Boundary struct {
	overlap.Boundary
	// Dissolved is true for an outline dissolved from the areas (the unit the area metrics were
	// summed over), false for one ingested as a boundary file.
	Dissolved bool
}

// BoundaryFeatures are the features of the boundaries layer: the ingested outlines and
// each context unit's outline dissolved from its areas.
func BoundaryFeatures(d *overlap.Dataset) []Boundary {
	bs := boundaries(d)
	out := make([]Boundary, len(bs))
	for i, b := range bs {
		out[i] = Boundary{b.Boundary, b.dissolved}
	}
	return out
}
