package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/gis"
	"pcnmap/gpkg"
	"pcnmap/ingest"
	"pcnmap/internal/atomicfile"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
	"pcnmap/teams"
	"pcnmap/tiles"
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
	if req.Options.WithinKind != nhs.KindUnset { // an NHS code (icb:QNC) to the ONS code the units are kept under
		parts, err := ingest.ResolveRegion([]ingest.RegionPart{{Kind: req.Options.WithinKind, Code: req.Options.Within}}, d)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", neighbourhoods.ErrInput, strings.TrimPrefix(err.Error(), ingest.ErrOptions.Error()+": "))
		}
		req.Options.Within = parts[0].Code
	}
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

// ExportFormat is a format neighbourhoods export writes.
type ExportFormat uint8

const (
	ExportUnset ExportFormat = iota
	// ExportCSV: the LSOA → neighbourhood table, lsoa,neighbourhood,weight.
	ExportCSV
	// ExportGeoJSON: one dissolved polygon per neighbourhood with its figures.
	ExportGeoJSON
	// ExportGeoPackage: the same polygons and figures as one GeoPackage layer (neighbourhoods.LayerName).
	ExportGeoPackage
)

func (f ExportFormat) String() string {
	switch f {
	case ExportCSV:
		return "csv"
	case ExportGeoJSON:
		return "geojson"
	case ExportGeoPackage:
		return "gpkg"
	}
	return fmt.Sprintf("ExportFormat(%d)", f)
}

// ParseExportFormat is the inverse of String.
func ParseExportFormat(s string) (ExportFormat, error) {
	for f := ExportCSV; f <= ExportGeoPackage; f++ {
		if f.String() == s {
			return f, nil
		}
	}
	return ExportUnset, fmt.Errorf("%w: export format %q (want csv, geojson or gpkg)", neighbourhoods.ErrInput, s)
}

// ExportNeighbourhoods writes the stored set name of release d to the file path, built under a
// temporary name beside it and renamed, so a failure leaves no half file. GeoJSON and GeoPackage
// outlines are those of NeighbourhoodOutlines, their figures Assess's at threshold t and band; the
// GeoPackage records the release's extract date as its tables' last change, so the same workspace
// gives the same bytes.
func ExportNeighbourhoods(ctx context.Context, w *store.Workspace, d *overlap.Dataset, name string, f ExportFormat, t float64, band neighbourhoods.Band, path string) error {
	s, err := w.LoadTeams(ctx, d.Release, name)
	if err != nil {
		return err
	}
	switch f {
	case ExportCSV:
		return writeFile(path, func(out io.Writer) error { return neighbourhoods.WriteCSV(out, s) })
	case ExportGeoJSON, ExportGeoPackage:
	default:
		return fmt.Errorf("%w: export format %v", neighbourhoods.ErrInput, f)
	}
	a, err := neighbourhoods.Assess(d, s, t, band)
	if err != nil {
		return err
	}
	outlines, err := NeighbourhoodOutlines(ctx, w, d, s)
	if err != nil {
		return err
	}
	if f == ExportGeoJSON {
		return writeFile(path, func(out io.Writer) error { return neighbourhoods.WriteGeoJSON(out, a, outlines) })
	}
	return gis.WriteGeoPackage(ctx, path, d.ExtractDate, []gpkg.Layer{neighbourhoods.Layer(a, outlines)})
}

// writeFile writes path through write: under a temporary name in its directory, renamed at the end
// (mode 0644), removed on failure.
func writeFile(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, func(w *bufio.Writer) error { return write(w) }); err != nil {
		return fmt.Errorf("app: %w", err)
	}
	return nil
}

// NeighbourhoodOutlines are the outlines of set's teams, keyed by team name, dissolved from the LSOA
// polygons the workspace keeps (an LSOA shared between teams is drawn in the one holding most of
// it), else from the areas (each area in the team holding most of its residents): neighbours share
// their edges, with no gaps.
func NeighbourhoodOutlines(ctx context.Context, w *store.Workspace, d *overlap.Dataset, s *teams.Set) (map[string]orb.MultiPolygon, error) {
	lsoa := make(map[string]int32, len(d.LSOAs))
	for i := range d.LSOAs {
		lsoa[d.LSOAs[i].Code] = int32(i)
	}
	// The team holding most of each LSOA (ties to the earlier team).
	best := map[int32]float64{}
	team := map[int32]string{}
	for _, tm := range s.Teams {
		for _, lw := range tm.LSOAs {
			if l, ok := lsoa[lw.LSOA]; ok && lw.Weight > best[l] {
				best[l], team[l] = lw.Weight, tm.Name
			}
		}
	}
	var b orb.Bound
	first := true
	for l := range team {
		ab := d.Areas[d.LSOAs[l].Area].Bound
		if first {
			b, first = ab, false
		} else {
			b = b.Union(ab)
		}
	}
	var features []geo.Feature
	var group []string
	layer, err := w.LSOAPolygons(ctx, d.Release, b)
	switch {
	case err == nil:
		for _, f := range layer.Features {
			if l, ok := lsoa[f.Code]; ok && team[l] != "" {
				features = append(features, f)
				group = append(group, team[l])
			}
		}
	case errors.Is(err, store.ErrNoLSOAPolygons):
		votes := map[int32]map[string]float64{}
		for l, name := range team {
			a := d.LSOAs[l].Area
			if votes[a] == nil {
				votes[a] = map[string]float64{}
			}
			votes[a][name] += best[l] * float64(d.LSOAs[l].Registered)
		}
		// Areas in index order: the dissolver's input, and so its output, does not depend on map order.
		areas := make([]int32, 0, len(votes))
		for a := range votes {
			areas = append(areas, a)
		}
		slices.Sort(areas)
		for _, a := range areas {
			top, most := "", -1.0
			for name, x := range votes[a] {
				if x > most || (x == most && name < top) {
					top, most = name, x
				}
			}
			features = append(features, d.Areas[a].Feature)
			group = append(group, top)
		}
	default:
		return nil, err
	}
	outlines := map[string]orb.MultiPolygon{}
	for _, o := range tiles.NewDissolver(features).DissolveBy(func(i int32) string { return group[i] }) {
		outlines[o.Code] = o.Geom
	}
	return outlines, nil
}

// NeighbourhoodSection is the "Neighbourhood plan" section of the report's documents for the stored
// set name of release d: Assess's figures at threshold t and band, drawn with NeighbourhoodOutlines.
func NeighbourhoodSection(ctx context.Context, w *store.Workspace, d *overlap.Dataset, name string, t float64, band neighbourhoods.Band) (*report.NeighbourhoodPlan, error) {
	s, err := w.LoadTeams(ctx, d.Release, name)
	if err != nil {
		return nil, err
	}
	a, err := neighbourhoods.Assess(d, s, t, band)
	if err != nil {
		return nil, err
	}
	outlines, err := NeighbourhoodOutlines(ctx, w, d, s)
	if err != nil {
		return nil, err
	}
	return report.NewNeighbourhoodPlan(ctx, d, s, a, outlines)
}
