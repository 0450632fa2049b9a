package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pcnmap/gis"
	"pcnmap/gpkg"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
)

// gisFormats are the report formats with geometry, written by the gis package.
var gisFormats = map[string]bool{"gpkg": true, "geojson": true}

// GeoPackageName is the file `report --format gpkg` writes into --out.
const GeoPackageName = "pcnmap.gpkg"

// runGISReport writes the GIS layers of a release: one GeoPackage, or one GeoJSON file per layer.
// set narrows the teams layer to one footprint set (all the release's sets otherwise).
func runGISReport(ctx context.Context, e *env, format, db, release, set string, t, core float64, out string) error {
	start := time.Now()
	w, err := store.Open(ctx, db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	d, err := w.Load(ctx, release)
	if err != nil {
		return err
	}
	stored, err := w.TeamSets(ctx, d.Release)
	if err != nil {
		return err
	}
	in := gis.Input{Data: d, Threshold: t, Core: core, Dissolver: layers.NewOutlines(d.Areas)}
	found := set == ""
	for _, s := range stored {
		if set != "" && s.Name != set {
			continue
		}
		found = true
		ts, err := w.LoadTeams(ctx, d.Release, s.Name)
		if err != nil {
			return err
		}
		m, err := teams.NewModel(d, ts)
		if err != nil {
			return err
		}
		in.Sets = append(in.Sets, gis.TeamSet{Set: ts, Model: m})
	}
	if !found {
		return fmt.Errorf("report: --teams: %w: %q in release %s", store.ErrNoTeamSet, set, d.Release)
	}
	for _, b := range layers.BoundaryFeatures(d) {
		in.Boundaries = append(in.Boundaries, gis.Boundary{Kind: b.Kind, Code: b.Code, Name: b.Name, Geom: b.Geom, Dissolved: b.Dissolved})
	}
	layers, err := gis.Layers(ctx, in)
	if err != nil {
		return err
	}
	var wrote string
	if format == "gpkg" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		wrote = filepath.Join(out, GeoPackageName)
		err = gis.WriteGeoPackage(ctx, wrote, d.ExtractDate, layers)
	} else {
		wrote = filepath.Join(out, "{"+strings.Join(gis.GeoJSONFiles(layers), ",")+"}")
		err = gis.WriteGeoJSON(ctx, out, layers)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: release %s, threshold %s, %s in %s\n", wrote, d.Release, overlap.FormatThreshold(t),
		describeLayers(layers), time.Since(start).Round(time.Millisecond))
	return nil
}

func describeLayers(layers []gpkg.Layer) string {
	parts := make([]string, len(layers))
	for i, l := range layers {
		parts[i] = fmt.Sprintf("%s %d", l.Name, len(l.Rows))
	}
	return strings.Join(parts, ", ")
}
