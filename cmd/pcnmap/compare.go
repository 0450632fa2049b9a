package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
)

func runCompare(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "compare", "--db W.db --from RELEASE --to RELEASE [--threshold 1%] [--link 25%] [--format csv|html] --out DIR\n\n"+
		"Sets two releases side by side: the change in PCNs per area, areas whose dominant PCN changed, and PCNs\n"+
		"that merged, split, appeared or disappeared, judged from their member practices. csv writes\n"+
		"compare_areas.csv and compare_pcns.csv into DIR; html writes compare.html with tables and maps.")
	db := fs.String("db", "", "workspace `file`")
	from := fs.String("from", "", "the earlier `release`")
	to := fs.String("to", "", "the later `release`")
	threshold := thresholdFlag(fs, "share of an area's registered population a PCN must hold to count as serving it")
	link := fs.String("link", "25%", "share of an old PCN's list moving to a new PCN, or of a new PCN's list coming from an old one, that links them")
	format := fs.String("format", "csv", "output `format`: csv or html")
	out := fs.String("out", "", "output `directory`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "from", "to", "out"); err != nil {
		return err
	}
	t := float64(*threshold)
	l, err := overlap.ParseThreshold(*link)
	if err != nil || l == 0 {
		return fmt.Errorf("%w: compare: --link %q must be a share above 0%%", errUsage, *link)
	}
	f, err := report.ParseFormat(*format)
	if err != nil || (f != report.FormatCSV && f != report.FormatHTML) {
		return fmt.Errorf("%w: compare: --format %q must be csv or html", errUsage, *format)
	}
	if *from == *to {
		return fmt.Errorf("%w: compare: --from and --to are both %s", errUsage, *from)
	}
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	df, err := w.Load(ctx, *from)
	if err != nil {
		return err
	}
	dt, err := w.Load(ctx, *to)
	if err != nil {
		return err
	}
	c, err := report.Compare(ctx, df, dt, t, l)
	if err != nil {
		return err
	}
	if err := report.WriteComparison(ctx, *out, c, f); err != nil {
		return err
	}
	if err := report.CompareText(e.stdout, c); err != nil {
		return err
	}
	var names []string
	for _, n := range report.ComparisonFiles(f) {
		names = append(names, filepath.Join(*out, n))
	}
	_, err = fmt.Fprintf(e.stdout, "wrote %s\n", strings.Join(names, ", "))
	return err
}
