// Package layers makes the map's vector tile layers from a release: the areas coloured by PCNs
// served, one PCN's footprint, the context boundaries (ingested or dissolved from the areas) and a
// footprint set's teams; and exports them as MBTiles. It knows nothing of HTTP: the server serves
// these layers, `pcnmap tiles export` writes them, and both get the same tiles.
package layers

import (
	"context"
	"fmt"
	"math"
	"slices"

	"golang.org/x/sync/errgroup"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// The names of the tile layers.
const (
	Areas      = "areas"
	PCN        = "pcn"
	Boundaries = "boundaries"
	Teams      = "teams"
)

// Names lists the layers in the order TileJSON and errors list them.
var Names = []string{Areas, PCN, Boundaries, Teams}

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
		{Name: "complete", Type: tiles.FieldBool},
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
	complete               bool
}

// Set is the prepared geometry and attributes of a dataset's layers. Immutable once built.
type Set struct {
	d     *overlap.Dataset
	areas *tiles.Shapes
	attrs []areaAttrs
	// Dominant is, per area, its dominant PCN (counting every patient) or overlap.NoPCN.
	Dominant   []int32
	boundaries []boundary
	bounds     *tiles.Shapes // nil when there are no boundaries
}

// AreaShapes are the areas' tile geometry (shared by the areas and pcn layers).
func (l *Set) AreaShapes() *tiles.Shapes { return l.areas }

// HasBoundaries says whether the boundaries layer has anything to draw.
func (l *Set) HasBoundaries() bool { return l.bounds != nil }

// boundary is a feature of the boundaries layer: an ingested outline, or one dissolved from the areas.
type boundary struct {
	overlap.Boundary
	dissolved bool
}

// New prepares the areas' tile geometry and attributes and, when Boundaries is among extra, the
// boundaries' geometry too (in parallel).
func New(ctx context.Context, d *overlap.Dataset, extra ...string) (*Set, error) {
	return newSet(ctx, d, nil, extra)
}

// PrepareAreas makes the areas' tile geometry as New does, for a caller that has the areas before
// the rest of their release (store.Workspace.LoadAreasFirst) and starts on it early. It reads only
// each area's Feature.
func PrepareAreas(ctx context.Context, areas []overlap.Area) (*tiles.Shapes, error) {
	features := make([]geo.Feature, len(areas))
	for i := range areas {
		features[i] = areas[i].Feature
	}
	return tiles.Prepare(ctx, features, tiles.Options{})
}

// newSet is New with the areas' shapes already prepared by PrepareAreas (nil: prepared here).
func newSet(ctx context.Context, d *overlap.Dataset, areas *tiles.Shapes, extra []string) (*Set, error) {
	if areas != nil && areas.Len() != len(d.Areas) {
		return nil, fmt.Errorf("layers: %d area shapes prepared for the %d areas of release %s", areas.Len(), len(d.Areas), d.Release)
	}
	l := &Set{d: d, areas: areas}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if l.areas != nil {
			return nil
		}
		var err error
		l.areas, err = PrepareAreas(gctx, d.Areas)
		return err
	})
	g.Go(func() error {
		if !slices.Contains(extra, Boundaries) {
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
	l.Dominant = make([]int32, len(d.Areas))
	complete := d.Complete()
	for i := range d.Areas {
		a, m := &d.Areas[i], &am[i]
		at := areaAttrs{
			complete:   complete[i],
			registered: float64(a.Registered), pcnsAny: float64(m.PCNsAny),
			share: Round(m.DominantShare, 4), hhi: Round(m.HHI, 4), effective: Round(m.EffectivePCNs, 3),
			urban: tiles.Value{Null: true},
		}
		if m.Dominant != overlap.NoPCN {
			p := &d.PCNs[m.Dominant]
			at.dominant, at.dominantName = p.Code, p.Name
		}
		if u := a.Units[nhs.KindRurality]; u != "" {
			at.urban = tiles.Value{Bool: a.Urban()}
		}
		l.attrs[i] = at
		l.Dominant[i] = m.Dominant
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return l, nil
}

// Areas is the areas layer with pcns counted from counts (one per area, at some threshold; nil for
// the schema only).
func (l *Set) Areas(counts []int32) tiles.Layer {
	return tiles.Layer{
		Name: Areas, Shapes: l.areas, Fields: areasFields, Coalesce: true,
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
			v[11] = tiles.Value{Bool: at.complete}
			return true
		},
	}
}

// PCN is PCN p's footprint: the areas where it has patients, with its share of each area and each
// area's share of its list.
func (l *Set) PCN(p int) tiles.Layer {
	var cells []overlap.Cell
	l.d.PCNCells(p, func(c overlap.Cell) {
		if c.Patients > 0 {
			cells = append(cells, c)
		}
	})
	pcn := &l.d.PCNs[p]
	return tiles.Layer{
		Name: PCN, Shapes: l.areas, Fields: pcnFields,
		Attrs: func(i int, v []tiles.Value) bool {
			k, ok := slices.BinarySearchFunc(cells, int32(i), func(c overlap.Cell, a int32) int { return int(c.Area - a) })
			if !ok {
				return false
			}
			c := cells[k]
			v[0].Str, v[1].Str, v[2].Str = l.d.Areas[i].Code, l.d.Areas[i].Name, pcn.Code
			v[3].Num = float64(c.Patients)
			v[4].Num = Round(l.d.Share(i, c.Patients), 4)
			v[5].Num = Round(Ratio(int64(c.Patients), pcn.ListSize), 4)
			v[6].Bool = l.Dominant[i] == int32(p)
			return true
		},
	}
}

// Boundaries draws the context outlines; false when there are none.
func (l *Set) Boundaries() (tiles.Layer, bool) {
	if l.bounds == nil {
		return tiles.Layer{}, false
	}
	return tiles.Layer{
		Name: Boundaries, Shapes: l.bounds, Fields: boundaryFields,
		Attrs: func(i int, v []tiles.Value) bool {
			b := &l.boundaries[i]
			v[0].Str, v[1].Str, v[2].Str, v[3].Bool = b.Kind, b.Code, b.Name, b.dissolved
			return true
		},
	}, true
}

// TeamShapes are a set's outlines ready for tiles; Team[i] is the team of shape i. Shapes is nil when
// no team holds any area.
type TeamShapes struct {
	Shapes *tiles.Shapes
	Team   []int
}

// PrepareTeams makes the tile shapes of set: each team's polygon as imported, else (code lists, edited
// and suggested sets) the outline of the areas whose patients it holds most of (areas, from
// teams.Model.AreaTeams), dissolved along the areas' shared edges by dv.
func PrepareTeams(ctx context.Context, dv *tiles.Dissolver, set *teams.Set, areas []teams.AreaTeam) (TeamShapes, error) {
	var features []geo.Feature
	var teamOf []int
	for t, tm := range set.Teams {
		if len(tm.Geom) > 0 {
			features = append(features, geo.Feature{Code: tm.Name, Geom: tm.Geom, Bound: tm.Geom.Bound()})
			teamOf = append(teamOf, t)
		}
	}
	if len(features) == 0 {
		team := make(map[int32]string, len(areas))
		for _, at := range areas {
			team[int32(at.Area)] = set.Teams[at.Team].Name
		}
		features = dv.DissolveBy(func(a int32) string { return team[a] })
		for _, f := range features {
			t, _ := set.Team(f.Code)
			teamOf = append(teamOf, t)
		}
	}
	if len(features) == 0 {
		return TeamShapes{}, nil
	}
	sh, err := tiles.Prepare(ctx, features, tiles.Options{})
	return TeamShapes{sh, teamOf}, err
}

// TeamsLayer draws a set's teams with their figures at the threshold of a (nil for the schema only).
func TeamsLayer(d *overlap.Dataset, sh TeamShapes, a *teams.Alignment) tiles.Layer {
	return tiles.Layer{
		Name: Teams, Shapes: sh.Shapes, Fields: teamsFields,
		Attrs: func(i int, v []tiles.Value) bool {
			tm := &a.Teams[sh.Team[i]]
			v[0].Str, v[1].Num = tm.Name, math.Round(tm.Registered)
			if tm.Dominant >= 0 {
				v[2].Str, v[3].Str, v[4].Num = d.PCNs[tm.Dominant].Code, d.PCNs[tm.Dominant].Name, Round(tm.DominantShare, 4)
			} else {
				v[2].Null, v[3].Null, v[4].Null = true, true, true
			}
			v[5].Num, v[6].Num = float64(len(tm.PCNs)), Round(tm.EffectivePCNs, 3)
			return true
		},
	}
}

// Round rounds v to n decimals: shares to 4 and effective numbers to 3 in the layers, and the same in
// the JSON API, so the map and its panels show one value.
func Round(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}

// Ratio is a/b, or 0 when b is 0 (a PCN with no list, say).
func Ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
