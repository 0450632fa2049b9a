package tiles

import (
	"sync"

	"github.com/paulmach/orb"
)

// areaEdges indexes a Dissolver's edges by the areas on their sides, built on the first Union.
type areaEdges struct {
	once   sync.Once
	byArea map[int32][]int32 // area → positions in edges of the edges it is on a side of
}

// Union is the outline of a set of areas (indexes into the dissolver's features): anticlockwise
// exteriors, clockwise holes, from the same edges as DissolveBy. It reads only the edges of those
// areas, so a PCN's footprint costs its own size, not England's. Safe for concurrent use.
func (dv *Dissolver) Union(areas []int32) orb.MultiPolygon {
	dv.index.once.Do(func() {
		dv.index.byArea = map[int32][]int32{}
		for i, e := range dv.edges {
			dv.index.byArea[e.left] = append(dv.index.byArea[e.left], int32(i))
			if e.right >= 0 && e.right != e.left {
				dv.index.byArea[e.right] = append(dv.index.byArea[e.right], int32(i))
			}
		}
	})
	in := make(map[int32]bool, len(areas))
	for _, a := range areas {
		in[a] = true
	}
	seen := map[int32]bool{}
	var uses []int32 // e forwards (the set on its left), ^e backwards
	for _, a := range areas {
		for _, j := range dv.index.byArea[a] {
			if seen[j] {
				continue
			}
			seen[j] = true
			e := dv.edges[j]
			l, r := in[e.left], e.right >= 0 && in[e.right]
			switch {
			case l && !r:
				uses = append(uses, j)
			case r && !l:
				uses = append(uses, ^j)
			}
		}
	}
	return dv.polygons(dv.useChainer(), uses)
}
