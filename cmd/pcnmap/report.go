package main

import (
	"context"
	"encoding/json"
	"fmt"

	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
)

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "--db W.db [--release NAME] [--threshold 1%] --out DIR\n\n"+
		"Writes areas.csv, pcns.csv, pcn_pairs.csv and summary.json into DIR and prints a short summary.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	threshold := fs.String("threshold", "1%", "share of an area's registered population a PCN must hold to count as serving it: 1% or 0.01")
	core := fs.String("core", "80%", "share of a PCN's resident patients its core footprint holds")
	out := fs.String("out", "", "output `directory`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "out"); err != nil {
		return err
	}
	t, err := overlap.ParseThreshold(*threshold)
	if err != nil {
		return fmt.Errorf("%w: report: --threshold: %v", errUsage, err)
	}
	c, err := overlap.ParseThreshold(*core)
	if err != nil || c == 0 {
		return fmt.Errorf("%w: report: --core %q must be a share above 0%%", errUsage, *core)
	}
	d, err := loadRelease(ctx, *db, *release)
	if err != nil {
		return err
	}
	s, err := report.Write(ctx, *out, d, report.Options{Threshold: t, Core: c})
	if err != nil {
		return err
	}
	return report.Text(e.stdout, s)
}

// loadRelease opens the workspace read-only in spirit (it is never written) and loads one release.
func loadRelease(ctx context.Context, db, release string) (*overlap.Dataset, error) {
	w, err := store.Open(ctx, db, false)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.Load(ctx, release)
}

func runReleases(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "releases", "--db W.db [--json]")
	db := fs.String("db", "", "workspace `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db"); err != nil {
		return err
	}
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	rs, err := w.Releases(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rs)
	}
	for _, r := range rs {
		fmt.Fprintf(e.stdout, "%s\textract %s\tmembership as of %s\tingested %s\n", r.Name, r.ExtractDate, r.AsOf, r.IngestedAt.Format("2006-01-02 15:04"))
	}
	return nil
}
