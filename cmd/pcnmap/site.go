package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"pcnmap/gis"
	"pcnmap/site"
	"pcnmap/store"
	"pcnmap/teams"
)

func runSite(ctx context.Context, e *env, args []string) error {
	return runSubcommand(ctx, e, "site", []command{{"export", "write a static map of a release into a folder", runSiteExport}}, args)
}

func runSiteExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "site export", "--db W.db [--release NAME] [--threshold 1%] [--maxzoom 12] --out DIR\n\n"+
		"Writes a static map of the release into DIR for any static web host (nginx, object storage behind\n"+
		"a CDN, GitHub Pages): index.html and its assets (MapLibre, no CDN), tiles.pmtiles read by HTTP\n"+
		"range requests, data.json (the area x PCN table: the page counts each area's PCNs at any threshold\n"+
		"as the API does), and sets.geojson (the release's footprint sets, drawn read-only) when there are\n"+
		"any. The host must answer range requests for tiles.pmtiles (see docs/deploy.md).")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	out := fs.String("out", "", "output `directory`")
	threshold := thresholdFlag(fs, "threshold the page opens at (readers change it)")
	maxZoom := fs.Int("maxzoom", 12, "highest tile `zoom`, 1 to 12 (the map over-zooms beyond it; lower is smaller)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "out"); err != nil {
		return err
	}
	if *maxZoom < 1 || *maxZoom > 12 {
		return fmt.Errorf("%w: site export: --maxzoom %d: want 1 to 12", errUsage, *maxZoom)
	}
	start := time.Now()
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	d, err := w.Load(ctx, *release)
	if err != nil {
		return err
	}
	stored, err := w.TeamSets(ctx, d.Release)
	if err != nil {
		return err
	}
	opt := site.Options{Threshold: float64(*threshold), MaxZoom: uint8(*maxZoom)}
	for _, s := range stored {
		ts, err := w.LoadTeams(ctx, d.Release, s.Name)
		if err != nil {
			return err
		}
		m, err := teams.NewModel(d, ts)
		if err != nil {
			return err
		}
		opt.Sets = append(opt.Sets, gis.TeamSet{Set: ts, Model: m})
	}
	var bar *progress
	last := 0
	opt.Progress = func(done, total int) {
		if bar == nil {
			bar = e.newProgress(int64(total), "tiles")
		}
		bar.add(done - last)
		last = done
	}
	st, err := site.Export(ctx, *out, d, opt)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return err
	}
	names := make([]string, 0, len(st.Sizes))
	for n := range st.Sizes {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(e.stdout, "wrote %s: release %s, %d files, %.1f MB in all, in %s\n", *out, d.Release, st.Files, float64(st.Bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	for _, n := range names {
		fmt.Fprintf(e.stdout, "  %-40s %8.1f kB\n", n, float64(st.Sizes[n])/1024)
	}
	return nil
}
