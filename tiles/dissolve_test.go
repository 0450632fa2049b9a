package tiles

import (
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

// TestDissolveSnaps checks that vertices a hair apart (as reprojected neighbours are) are one vertex,
// whichever side of a snapping cell's border they fall on.
func TestDissolveSnaps(t *testing.T) {
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	const eps = 3e-8
	for name, x := range map[string]float64{"mid-cell": 0.5, "across a cell border": snapCell*1000 - 1e-8} {
		w := sq(x-1, 0, x, 1)
		e := sq(x+eps, eps, x+1, 1-eps)
		e[0][0][3] = orb.Point{x + eps, 1 - eps}
		dv := NewDissolver(areasOf(w, e))
		shared := 0
		for _, ed := range dv.edges {
			if ed.right >= 0 {
				shared++
			}
		}
		if shared != 1 {
			t.Errorf("%s: %d shared edges, want 1 (%d vertices)", name, shared, len(dv.pts))
		}
	}
}

func areasOf(geoms ...orb.MultiPolygon) []geo.Feature {
	out := make([]geo.Feature, len(geoms))
	for i, g := range geoms {
		out[i].Geom = g
	}
	return out
}
