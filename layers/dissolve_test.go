package layers

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// signedArea is the ring's area by orb, positive when anticlockwise.
func signedArea(r orb.Ring) float64 {
	a := math.Abs(planar.Area(r))
	if r.Orientation() != orb.CCW {
		a = -a
	}
	return a
}

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
		got := dissolve(dv, d, k)
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
