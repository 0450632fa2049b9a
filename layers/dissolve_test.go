package layers

import (
	"math"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

func polygonsArea(mp orb.MultiPolygon) float64 {
	var a float64
	for _, p := range mp {
		for _, r := range p {
			a += signedArea(r) // exteriors positive, holes negative
		}
	}
	return a
}

// TestDissolve checks each dissolved outline against its areas: one outline per unit, exteriors
// anticlockwise and holes clockwise, and the same area as its member areas together (so no member
// is missing and no internal edge was left in).
func TestDissolve(t *testing.T) {
	checkDissolve(t, fixtureDataset(t))
	// The fixture's Sub-ICBs were ingested as polygons: they are not dissolved again.
	for _, b := range boundaries(fixtureDataset(t)) {
		if b.Kind == nhs.KindSubICB.String() && b.dissolved {
			t.Errorf("sub-icb %s dissolved although sub-icb outlines were ingested", b.Code)
		}
	}
}

// TestDissolveNational checks the dissolved outlines of the national release (with -national).
func TestDissolveNational(t *testing.T) {
	checkDissolve(t, nationalDataset(t))
}

func checkDissolve(t *testing.T, d *overlap.Dataset) {
	dv := NewDissolver(d.Areas)
	for _, k := range dissolveKinds {
		units := map[string]float64{}
		for i := range d.Areas {
			if u := d.Areas[i].Units[k]; u != "" {
				units[u] += polygonsArea(d.Areas[i].Geom)
			}
		}
		got := dv.dissolve(d, k)
		if len(got) != len(units) {
			t.Errorf("%s: %d outlines for %d units", k, len(got), len(units))
		}
		for _, f := range got {
			want := units[f.Code]
			if a := polygonsArea(f.Geom); math.Abs(a-want) > 1e-9*math.Max(1, want) || a <= 0 {
				t.Errorf("%s %s: outline area %g, its areas %g", k, f.Code, a, want)
			}
			if f.Name == "" {
				t.Errorf("%s %s: no name", k, f.Code)
			}
			for _, p := range f.Geom {
				if signedArea(p[0]) <= 0 {
					t.Errorf("%s %s: exterior not anticlockwise", k, f.Code)
				}
				for _, h := range p[1:] {
					if signedArea(h) >= 0 {
						t.Errorf("%s %s: hole not clockwise", k, f.Code)
					}
				}
			}
		}
	}
}

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

func areasOf(geoms ...orb.MultiPolygon) []overlap.Area {
	out := make([]overlap.Area, len(geoms))
	for i, g := range geoms {
		out[i].Geom = g
	}
	return out
}
