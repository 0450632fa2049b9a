package server

import (
	"context"
	"math"
	"slices"
	"strconv"

	"golang.org/x/sync/errgroup"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// The tile layers.
const (
	layerAreas      = "areas"
	layerPCN        = "pcn"
	layerBoundaries = "boundaries"
	layerTeams      = "teams"
)

// layerNames lists the layers in the order TileJSON and errors list them.
var layerNames = []string{layerAreas, layerPCN, layerBoundaries, layerTeams}

// Attribution is the licence line of the data, written into TileJSON and MBTiles.
const Attribution = "Contains NHS Digital data; contains Office for National Statistics data; contains OS data © Crown copyright and database right. Open Government Licence v3.0."

// The schemas of the layers. Shares are fractions (0..1) rounded to 4 decimals, effective_pcns to 3:
// enough for any map legend, and rounding lets equal values share one entry of a tile's value table.
var (
	areasFields = []tiles.Field{
		{Name: "code", Type: tiles.FieldString},
		{Name: "name", Type: tiles.FieldString},
		{Name: "registered", Type: tiles.FieldNumber},
		{Name: "pcns", Type: tiles.FieldNumber},
		{Name: "pcns_any", Type: tiles.FieldNumber},
		{Name: "dominant_pcn", Type: tiles.FieldString},
		{Name: "dominant_pcn_name", Type: tiles.FieldString},
		{Name: "dominant_share", Type: tiles.FieldNumber},
		{Name: "hhi", Type: tiles.FieldNumber},
		{Name: "effective_pcns", Type: tiles.FieldNumber},
		{Name: "urban", Type: tiles.FieldBool},
	}
	pcnFields = []tiles.Field{
		{Name: "code", Type: tiles.FieldString},
		{Name: "name", Type: tiles.FieldString},
		{Name: "pcn", Type: tiles.FieldString},
		{Name: "patients", Type: tiles.FieldNumber},
		{Name: "share", Type: tiles.FieldNumber},
		{Name: "list_share", Type: tiles.FieldNumber},
		{Name: "dominant", Type: tiles.FieldBool},
	}
	teamsFields = []tiles.Field{
		{Name: "team", Type: tiles.FieldString},
		{Name: "registered", Type: tiles.FieldNumber},
		{Name: "dominant_pcn", Type: tiles.FieldString},
		{Name: "dominant_pcn_name", Type: tiles.FieldString},
		{Name: "dominant_share", Type: tiles.FieldNumber},
		{Name: "pcns", Type: tiles.FieldNumber},
		{Name: "effective_pcns", Type: tiles.FieldNumber},
	}
	boundaryFields = []tiles.Field{
		{Name: "kind", Type: tiles.FieldString},
		{Name: "code", Type: tiles.FieldString},
		{Name: "name", Type: tiles.FieldString},
		{Name: "dissolved", Type: tiles.FieldBool},
	}
)

// areaAttrs are an area's threshold-independent attributes, computed once.
type areaAttrs struct {
	registered, pcnsAny    float64
	dominant, dominantName string
	share, hhi, effective  float64
	urban                  tiles.Value
}

// layerSet is the prepared geometry and attributes of a dataset's layers. Immutable once built.
type layerSet struct {
	d          *overlap.Dataset
	areas      *tiles.Shapes
	attrs      []areaAttrs
	dominant   []int32 // per area, its dominant PCN or overlap.NoPCN
	boundaries []boundary
	bounds     *tiles.Shapes // nil when there are no boundaries
}

// boundary is a feature of the boundaries layer: an ingested outline, or one dissolved from the areas.
type boundary struct {
	overlap.Boundary
	dissolved bool
}

// newLayerSet prepares the areas' tile geometry and attributes and, when layerBoundaries is among
// extra, the boundaries' geometry too (in parallel).
func newLayerSet(ctx context.Context, d *overlap.Dataset, extra ...string) (*layerSet, error) {
	l := &layerSet{d: d}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		features := make([]geo.Feature, len(d.Areas))
		for i := range d.Areas {
			features[i] = d.Areas[i].Feature
		}
		var err error
		l.areas, err = tiles.Prepare(gctx, features, tiles.Options{})
		return err
	})
	g.Go(func() error {
		if !slices.Contains(extra, layerBoundaries) {
			return nil
		}
		l.boundaries = boundaries(d)
		if len(l.boundaries) == 0 {
			return nil
		}
		features := make([]geo.Feature, len(l.boundaries))
		for i := range l.boundaries {
			features[i] = l.boundaries[i].Feature
		}
		var err error
		l.bounds, err = tiles.Prepare(gctx, features, tiles.Options{})
		return err
	})
	am := d.AreaMetrics(nil, 0)
	l.attrs = make([]areaAttrs, len(d.Areas))
	l.dominant = make([]int32, len(d.Areas))
	for i := range d.Areas {
		a, m := &d.Areas[i], &am[i]
		at := areaAttrs{
			registered: float64(a.Registered), pcnsAny: float64(m.PCNsAny),
			share: round(m.DominantShare, 4), hhi: round(m.HHI, 4), effective: round(m.EffectivePCNs, 3),
			urban: tiles.Value{Null: true},
		}
		if m.Dominant != overlap.NoPCN {
			p := &d.PCNs[m.Dominant]
			at.dominant, at.dominantName = p.Code, p.Name
		}
		if u := a.Units[kindRurality]; u != "" {
			at.urban = tiles.Value{Bool: a.Urban()}
		}
		l.attrs[i] = at
		l.dominant[i] = m.Dominant
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return l, nil
}

// areasLayer is the areas layer with pcns counted from counts (one per area, at some threshold).
func (l *layerSet) areasLayer(counts []int32) tiles.Layer {
	return tiles.Layer{
		Name: layerAreas, Shapes: l.areas, Fields: areasFields, Coalesce: true,
		Attrs: func(i int, v []tiles.Value) bool {
			a, at := &l.d.Areas[i], &l.attrs[i]
			v[0].Str, v[1].Str = a.Code, a.Name
			v[2].Num, v[3].Num, v[4].Num = at.registered, float64(counts[i]), at.pcnsAny
			if at.dominant != "" {
				v[5].Str, v[6].Str, v[7].Num = at.dominant, at.dominantName, at.share
			} else {
				v[5].Null, v[6].Null, v[7].Null = true, true, true
			}
			v[8].Num, v[9].Num = at.hhi, at.effective
			v[10] = at.urban
			return true
		},
	}
}

// pcnLayer is PCN p's footprint: the areas where it has patients, with its share of each area and each
// area's share of its list.
func (l *layerSet) pcnLayer(p int) tiles.Layer {
	var cells []overlap.Cell
	l.d.PCNCells(p, func(c overlap.Cell) {
		if c.Patients > 0 {
			cells = append(cells, c)
		}
	})
	pcn := &l.d.PCNs[p]
	return tiles.Layer{
		Name: layerPCN, Shapes: l.areas, Fields: pcnFields,
		Attrs: func(i int, v []tiles.Value) bool {
			k, ok := slices.BinarySearchFunc(cells, int32(i), func(c overlap.Cell, a int32) int { return int(c.Area - a) })
			if !ok {
				return false
			}
			c := cells[k]
			v[0].Str, v[1].Str, v[2].Str = l.d.Areas[i].Code, l.d.Areas[i].Name, pcn.Code
			v[3].Num = float64(c.Patients)
			v[4].Num = round(l.d.Share(i, c.Patients), 4)
			v[5].Num = round(ratio(int64(c.Patients), pcn.ListSize), 4)
			v[6].Bool = l.dominant[i] == int32(p)
			return true
		},
	}
}

// boundariesLayer draws the context outlines; nil Shapes when there are none.
func (l *layerSet) boundariesLayer() (tiles.Layer, bool) {
	if l.bounds == nil {
		return tiles.Layer{}, false
	}
	return tiles.Layer{
		Name: layerBoundaries, Shapes: l.bounds, Fields: boundaryFields,
		Attrs: func(i int, v []tiles.Value) bool {
			b := &l.boundaries[i]
			v[0].Str, v[1].Str, v[2].Str, v[3].Bool = b.Kind, b.Code, b.Name, b.dissolved
			return true
		},
	}, true
}

// teamsLayer draws a set's teams with their figures at the threshold of a (nil for the schema only).
func teamsLayer(d *overlap.Dataset, sh teamShapes, a *teams.Alignment) tiles.Layer {
	return tiles.Layer{
		Name: layerTeams, Shapes: sh.shapes, Fields: teamsFields,
		Attrs: func(i int, v []tiles.Value) bool {
			tm := &a.Teams[sh.team[i]]
			v[0].Str, v[1].Num = tm.Name, math.Round(tm.Registered)
			if tm.Dominant >= 0 {
				v[2].Str, v[3].Str, v[4].Num = d.PCNs[tm.Dominant].Code, d.PCNs[tm.Dominant].Name, round(tm.DominantShare, 4)
			} else {
				v[2].Null, v[3].Null, v[4].Null = true, true, true
			}
			v[5].Num, v[6].Num = float64(len(tm.PCNs)), round(tm.EffectivePCNs, 3)
			return true
		},
	}
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// thresholdKey is a threshold as a cache variant: exact, so 1% and 0.01 share tiles.
func thresholdKey(t float64) string { return strconv.FormatFloat(t, 'g', -1, 64) }
