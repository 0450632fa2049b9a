package app

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
)

// AreaIndex is the point index of d's areas, for Locate.
func AreaIndex(d *overlap.Dataset) *geo.Index {
	features := make([]geo.Feature, len(d.Areas))
	for i := range d.Areas {
		features[i] = d.Areas[i].Feature
	}
	return geo.NewIndex(features)
}

// Locate returns the area of idx (built by AreaIndex) containing p, or an error wrapping
// geo.ErrNotFound.
func Locate(idx *geo.Index, p orb.Point) (int, error) {
	a, ok := idx.Locate(p)
	if !ok {
		return 0, fmt.Errorf("%w: no area contains %g,%g", geo.ErrNotFound, p[0], p[1])
	}
	return a, nil
}

// AreaPCN is a PCN with patients living in an area.
type AreaPCN struct {
	PCN      int32
	Patients int32
	// Share is patients / registered(area); Serves says whether it is ≥ the threshold.
	Share  float64
	Serves bool
}

// AreaPCNs lists the PCNs with patients in area a, at threshold t, in the one order both front doors
// show them: most patients first, ties by PCN code (a code is stable across releases; the PCN's index
// is not).
func AreaPCNs(d *overlap.Dataset, a int, t float64) []AreaPCN {
	var out []AreaPCN
	for _, c := range d.AreaCells(a) {
		if c.Patients <= 0 {
			continue
		}
		out = append(out, AreaPCN{PCN: c.PCN, Patients: c.Patients, Share: d.Share(a, c.Patients), Serves: d.Serves(c, t)})
	}
	slices.SortFunc(out, func(x, y AreaPCN) int {
		return cmp.Or(cmp.Compare(y.Patients, x.Patients), cmp.Compare(d.PCNs[x.PCN].Code, d.PCNs[y.PCN].Code))
	})
	return out
}
