package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
)

// Teams are the footprint-set use cases on one release of a workspace. The release's side of every
// set's model (teams.Index) is built on first use and shared, so a server resolving many sets pays
// for it once. Safe for concurrent use.
type Teams struct {
	ws    *store.Workspace
	d     *overlap.Dataset
	index func() *teams.Index
}

// NewTeams serves the sets of release d.Release of ws.
func NewTeams(ws *store.Workspace, d *overlap.Dataset) *Teams {
	return &Teams{ws: ws, d: d, index: sync.OnceValue(func() *teams.Index { return teams.NewIndex(d) })}
}

// Workspace is the workspace the sets live in.
func (t *Teams) Workspace() *store.Workspace { return t.ws }

// Dataset is the release the sets are resolved against.
func (t *Teams) Dataset() *overlap.Dataset { return t.d }

// Model resolves s against the release.
func (t *Teams) Model(s *teams.Set) (*teams.Model, error) { return t.index().Model(s) }

// Load reads set name and resolves it.
func (t *Teams) Load(ctx context.Context, name string) (*teams.Set, *teams.Model, error) {
	s, err := t.ws.LoadTeams(ctx, t.d.Release, name)
	if err != nil {
		return nil, nil, err
	}
	m, err := t.Model(s)
	if err != nil {
		return nil, nil, err
	}
	return s, m, nil
}

// ImportRequest is a footprint set to import: a code table or polygons, already parsed by the front door.
type ImportRequest struct {
	// Name is the set's name; Source the file it came from (its base name).
	Name, Source string
	// Table is a team → LSOA/MSOA/practice table; else Layer holds one polygon per team.
	Table *teams.Table
	Layer *geo.Layer
	// Method is how polygons take LSOAs: teams.MethodCentroid (the default) or teams.MethodArea.
	Method teams.Method
	// Centroids replace the LSOA points the ingest kept (centroid method); LSOAs the LSOA polygons it
	// kept (area method; for the centroid method their points on surface fill gaps). Both optional.
	Centroids map[string]orb.Point
	LSOAs     *geo.Layer
	// Replace replaces a stored set of the same name instead of refusing it (store.ErrTeamSetExists).
	Replace bool
}

// Imported is a stored set, what its import found (uncovered and contested LSOAs…) and its model.
type Imported struct {
	*teams.Import
	Model *teams.Model
}

// Import turns req into a set, checks that it resolves against the release, and saves it in one
// transaction: a failed import leaves the workspace as it was. Under the area method without
// req.LSOAs, the LSOA polygons the ingest kept near the teams are read from the workspace
// (store.ErrNoLSOAPolygons when the release has none).
func (t *Teams) Import(ctx context.Context, req ImportRequest) (*Imported, error) {
	var imp *teams.Import
	var err error
	switch {
	case req.Table != nil:
		imp, err = teams.FromTable(ctx, t.d, req.Table)
	case req.Layer != nil:
		o := teams.PolygonOptions{Method: req.Method, Centroids: req.Centroids, LSOAs: req.LSOAs}
		if o.Method == teams.MethodUnset {
			o.Method = teams.MethodCentroid
		}
		if o.Method != teams.MethodCentroid && o.Method != teams.MethodArea {
			return nil, fmt.Errorf("%w: polygons are placed by centroid or area, not %s", teams.ErrInput, o.Method)
		}
		if o.Method == teams.MethodArea && o.LSOAs == nil {
			if o.LSOAs, err = t.ws.LSOAPolygons(ctx, t.d.Release, teams.Extent(req.Layer)); err != nil {
				return nil, err
			}
		}
		imp, err = teams.FromPolygons(ctx, t.d, req.Layer, o)
	default:
		return nil, fmt.Errorf("%w: nothing to import: neither a table nor polygons", teams.ErrInput)
	}
	if err != nil {
		return nil, err
	}
	imp.Set.Name, imp.Set.Source = req.Name, req.Source
	imp.Set.ImportedAt = now()
	m, err := t.Model(imp.Set)
	if err != nil {
		return nil, err
	}
	if err := t.ws.SaveTeams(ctx, t.d.Release, imp.Set, req.Replace); err != nil {
		return nil, err
	}
	return &Imported{Import: imp, Model: m}, nil
}

// Move moves an LSOA or MSOA (Code, any case) from team From to team To ("" for no team).
type Move struct {
	Code, From, To string
}

// ParseMove parses CODE:FROM:TO, the form of a move on the command line and in the map's URL.
func ParseMove(s string) (Move, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return Move{}, fmt.Errorf("%w: move %q is not CODE:FROM:TO", teams.ErrInput, s)
	}
	return Move{Code: parts[0], From: parts[1], To: parts[2]}, nil
}

// WhatIf applies moves in order to a clone of base (which is left as it was). Codes are trimmed and
// upper-cased here, for every front door: e02001259 is E02001259.
func WhatIf(base *teams.Model, moves []Move) (*teams.Model, error) {
	m := base.Clone()
	for i, mv := range moves {
		if err := m.Move(canon(mv.Code), mv.From, mv.To); err != nil {
			return nil, fmt.Errorf("move %d: %w", i+1, err)
		}
	}
	return m, nil
}

// SaveEdited stores the set of m, the result of what-if moves on set source, as a new set name. It is
// marked edited and loses the imported polygons: it is drawn from its areas.
func (t *Teams) SaveEdited(ctx context.Context, m *teams.Model, name, source string) (*teams.Set, error) {
	s := m.Set()
	s.Name, s.Source, s.Method = name, source, teams.MethodEdited
	s.ImportedAt = now()
	for i := range s.Teams {
		s.Teams[i].Geom = nil
	}
	if err := t.ws.SaveTeams(ctx, t.d.Release, s, false); err != nil {
		return nil, err
	}
	return s, nil
}

// Suggest is teams suggest on m (see teams.Model.Suggest) with the LSOA polygons the release kept
// near the set's LSOAs, so that its teams are contiguous over the LSOAs; on a release ingested
// without them, contiguous per MSOA only (the suggestion's Contiguity says which).
func (t *Teams) Suggest(ctx context.Context, m *teams.Model) (*teams.Suggestion, error) {
	var opt teams.SuggestOptions
	var b orb.Bound
	first := true
	seen := map[int32]bool{}
	lsoa := make(map[string]int32, len(t.d.LSOAs))
	for i := range t.d.LSOAs {
		lsoa[t.d.LSOAs[i].Code] = int32(i)
	}
	for _, tm := range m.Set().Teams {
		for _, w := range tm.LSOAs {
			l, ok := lsoa[w.LSOA]
			if !ok || seen[t.d.LSOAs[l].Area] {
				continue
			}
			a := t.d.LSOAs[l].Area
			seen[a] = true
			if first {
				b, first = t.d.Areas[a].Bound, false
			} else {
				b = b.Union(t.d.Areas[a].Bound)
			}
		}
	}
	if !first {
		layer, err := t.ws.LSOAPolygons(ctx, t.d.Release, b)
		switch {
		case err == nil:
			opt.LSOAPolygons = layer.Features
		case !errors.Is(err, store.ErrNoLSOAPolygons):
			return nil, err
		}
	}
	return m.Suggest(ctx, opt)
}

// Save stores s (a suggestion, say) under name as it is, stamped now.
func (t *Teams) Save(ctx context.Context, s *teams.Set, name string) error {
	s.Name = name
	s.ImportedAt = now()
	return t.ws.SaveTeams(ctx, t.d.Release, s, false)
}

// now is an import's time stamp, to the second as the workspace keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }
