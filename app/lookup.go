package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/store"
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

// LocateOne finds the area of release ("" for the newest) of the workspace at path that contains p,
// reading only that area (its row, its cells, the PCNs' names: store.Workspace.AreaAt) rather than
// the whole release, which one point does not need. It returns a Dataset holding that area and the
// area's index in it; only where areas overlap does it read the whole release, to answer as
// AreaIndex and Locate do. No area is an error wrapping geo.ErrNotFound.
func LocateOne(ctx context.Context, path, release string, p orb.Point) (*overlap.Dataset, int, error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return nil, 0, err
	}
	defer w.Close()
	d, ok, err := w.AreaAt(ctx, release, p)
	if errors.Is(err, store.ErrAmbiguous) {
		if d, err = w.Load(ctx, release); err != nil {
			return nil, 0, err
		}
		a, err := Locate(AreaIndex(d), p)
		return d, a, err
	}
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, fmt.Errorf("%w: no area contains %g,%g", geo.ErrNotFound, p[0], p[1])
	}
	return d, 0, nil
}

// PointIndex is the point index of the areas of release ("" for the newest) of the workspace at
// path, read without the rest of the release; it returns the release's name too.
func PointIndex(ctx context.Context, path, release string) (string, *geo.Index, error) {
	w, err := store.Open(ctx, path, false)
	if err != nil {
		return "", nil, err
	}
	defer w.Close()
	name, features, err := w.AreaFeatures(ctx, release)
	if err != nil {
		return "", nil, err
	}
	return name, geo.NewIndex(features), nil
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
