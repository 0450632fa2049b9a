package app

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/store"
)

// DesignRequest is a neighbourhood design asked of one release: what to design (Options), how hard
// to search (Config), the stored set to start from and the name to save the plan as ("" to not save).
type DesignRequest struct {
	Options neighbourhoods.Options
	Config  neighbourhoods.Config
	Start   string
	SaveAs  string
	// Now stamps a saved plan.
	Now time.Time
}

// Design is a designed plan with what a planner compares it with.
type Design struct {
	Problem *neighbourhoods.Problem
	Plan    *neighbourhoods.Plan
	// Greedy is teams suggest at the plan's count over its blocks; GreedyNote says why there is
	// none (fewer PCN territories than neighbourhoods).
	Greedy     *neighbourhoods.GreedyResult
	GreedyNote string
}

// DesignNeighbourhoods designs a plan on release d of w (see package neighbourhoods), compares it
// with the greedy suggestion and, with SaveAs, saves it as a footprint set.
func DesignNeighbourhoods(ctx context.Context, w *store.Workspace, d *overlap.Dataset, req DesignRequest) (*Design, error) {
	var polys []geo.Feature
	if req.Options.Blocks != neighbourhoods.BlocksMSOA {
		layer, err := w.LSOAPolygons(ctx, d.Release, regionBound(d, req.Options.WithinKind, req.Options.Within))
		if err != nil {
			return nil, err
		}
		polys = layer.Features
	}
	pr, err := neighbourhoods.Build(d, polys, req.Options)
	if err != nil {
		return nil, err
	}
	cfg := req.Config
	if req.Start != "" {
		s, err := w.LoadTeams(ctx, d.Release, req.Start)
		if err != nil {
			return nil, err
		}
		cfg.Start = s
	}
	if cfg.Name = req.SaveAs; cfg.Name == "" {
		cfg.Name = "neighbourhoods"
	}
	plan, err := pr.Design(ctx, cfg)
	if err != nil {
		return nil, err
	}
	out := &Design{Problem: pr, Plan: plan}
	if out.Greedy, err = pr.Greedy(ctx, plan); err != nil {
		out.GreedyNote = err.Error()
	}
	if req.SaveAs != "" {
		plan.Set.ImportedAt = req.Now.UTC().Truncate(time.Second)
		if err := w.SaveTeams(ctx, d.Release, plan.Set, false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// regionBound is the bound of the areas holding the region's LSOAs: where its LSOA polygons are.
func regionBound(d *overlap.Dataset, kind nhs.Kind, code string) orb.Bound {
	var b orb.Bound
	first := true
	seen := make(map[int32]bool)
	for i := range d.LSOAs {
		l := &d.LSOAs[i]
		if (kind != nhs.KindUnset && l.Units[kind] != code) || seen[l.Area] {
			continue
		}
		seen[l.Area] = true
		ab := d.Areas[l.Area].Bound
		if first {
			b, first = ab, false
		} else {
			b = b.Union(ab)
		}
	}
	return b
}

// AssessNeighbourhoods reads the stored set name of release d as a neighbourhood plan.
func AssessNeighbourhoods(ctx context.Context, w *store.Workspace, d *overlap.Dataset, name string, t float64, band neighbourhoods.Band) (*neighbourhoods.Assessment, error) {
	s, err := w.LoadTeams(ctx, d.Release, name)
	if err != nil {
		return nil, err
	}
	return neighbourhoods.Assess(d, s, t, band)
}

// RealignNeighbourhoods proposes up to max practice → PCN moves raising the stored set's score.
func RealignNeighbourhoods(ctx context.Context, w *store.Workspace, d *overlap.Dataset, name string, t float64, max int) ([]neighbourhoods.PracticeMove, error) {
	s, err := w.LoadTeams(ctx, d.Release, name)
	if err != nil {
		return nil, err
	}
	return neighbourhoods.Realign(ctx, d, s, t, max)
}
