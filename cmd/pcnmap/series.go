package main

import (
	"context"
	"fmt"
	"strings"

	"pcnmap/ingest"
	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
)

func runSeries(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "series", "--db W.db [--releases A,B,…] [--within KIND:CODE[,…]] [--threshold 1%] --out DIR\n\n"+
		"One measure across releases on the areas they all share (one census geography: move 2011 releases onto\n"+
		"2021 with ingest --crosswalk): series.csv (per release: areas, registered, mean and SD of PCNs per area\n"+
		"at 0 and at t, PCNs, practices, share placed), series_areas.csv (per area, PCNs at t in each release)\n"+
		"and series.html (the same with a line chart).")
	db := fs.String("db", "", "workspace `file`")
	releases := fs.String("releases", "", "comma-separated `releases`, in order (default: every release, oldest extract first)")
	within := fs.String("within", "", "only the areas of `KIND:CODE[,…]` (icb:QNC, la:E06000021; ONS or NHS codes, resolved in the last release)")
	threshold := thresholdFlag(fs, "share of an area's registered population a PCN must hold to count as serving it")
	out := fs.String("out", "", "output `directory`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "out"); err != nil {
		return err
	}
	var parts []ingest.RegionPart
	if *within != "" {
		var err error
		if parts, err = ingest.ParseRegion(*within); err != nil {
			return fmt.Errorf("%w: series: %v", errUsage, err)
		}
	}
	ws, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer ws.Close()
	var names []string
	if *releases != "" {
		for n := range strings.SplitSeq(*releases, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	} else {
		rs, err := ws.Releases(ctx)
		if err != nil {
			return err
		}
		for i := len(rs) - 1; i >= 0; i-- {
			names = append(names, rs[i].Name)
		}
	}
	var ds []*overlap.Dataset
	for _, n := range names {
		d, err := ws.Load(ctx, n)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	var w []report.Within
	if len(parts) > 0 && len(ds) > 0 {
		// The areas kept are the last release's in the region (see report.BuildSeries), so it names the units.
		resolved, err := ingest.ResolveRegion(parts, ds[len(ds)-1])
		if err != nil {
			return fmt.Errorf("%w: series: %v", errUsage, err)
		}
		for _, p := range resolved {
			w = append(w, report.Within{Kind: p.Kind, Code: p.Code})
		}
	}
	s, err := report.BuildSeries(ctx, ds, float64(*threshold), w)
	if err != nil {
		return err
	}
	if err := report.WriteSeries(*out, s); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "series of %d releases on the %d areas they share, threshold %s:\n", len(ds), len(s.Areas), overlap.FormatThreshold(s.Threshold))
	for _, p := range s.Points {
		fmt.Fprintf(e.stdout, "%s\t%s LSOAs\tPCNs per area at t = 0: mean %.2f, SD %.2f; at t: mean %.2f, SD %.2f; %d PCNs, %d practices\n",
			p.Release, p.Geography, p.Any.Mean, p.Any.SD, p.At.Mean, p.At.SD, p.PCNs, p.Practices)
	}
	return nil
}
