package layers

import (
	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
)

// Outlines dissolves a release's areas along their shared edges, with the dissolver of the
// boundaries and teams layers, for the exports that are not tiles (GeoPackage, GeoJSON): outlines
// made from the same topology as the tiles, so neighbours share their edges.
type Outlines struct {
	dv     *Dissolver
	byArea [][]int32 // area → positions in dv.edges of the edges it is on a side of
}

// NewOutlines indexes the areas' edges.
func NewOutlines(areas []overlap.Area) *Outlines {
	o := &Outlines{dv: NewDissolver(areas), byArea: make([][]int32, len(areas))}
	for i, e := range o.dv.edges {
		o.byArea[e.left] = append(o.byArea[e.left], int32(i))
		if e.right >= 0 && e.right != e.left {
			o.byArea[e.right] = append(o.byArea[e.right], int32(i))
		}
	}
	return o
}

// Union is the outline of a set of areas (indexes into the release's areas): anticlockwise
// exteriors, clockwise holes. It reads only the edges of those areas, so a PCN's footprint costs
// its own size, not England's.
func (o *Outlines) Union(areas []int32) orb.MultiPolygon {
	in := make(map[int32]bool, len(areas))
	for _, a := range areas {
		in[a] = true
	}
	seen := map[int32]bool{}
	var edges [][2]int32
	for _, a := range areas {
		for _, j := range o.byArea[a] {
			if seen[j] {
				continue
			}
			seen[j] = true
			e := o.dv.edges[j]
			l, r := in[e.left], e.right >= 0 && in[e.right]
			switch {
			case l && !r:
				edges = append(edges, [2]int32{e.a, e.b})
			case r && !l:
				edges = append(edges, [2]int32{e.b, e.a})
			}
		}
	}
	return o.dv.polygons(edges)
}

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
