package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"pcnmap/app"
	"pcnmap/neighbourhoods"
	"pcnmap/store"
)

// neighbourhoodCommands are the subcommands of pcnmap neighbourhoods.
var neighbourhoodCommands = []command{
	{"design", "design contiguous neighbourhoods within a size band, nested in local authorities, aligned with PCNs", runNeighbourhoodsDesign},
}

func runNeighbourhoods(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stderr, "Usage: pcnmap neighbourhoods SUBCOMMAND [flags]\n\nSubcommands:")
		for _, c := range neighbourhoodCommands {
			fmt.Fprintf(e.stderr, "  %-8s %s\n", c.name, c.summary)
		}
		if len(args) == 0 {
			return fmt.Errorf("%w: neighbourhoods: no subcommand given", errUsage)
		}
		return nil
	}
	for _, c := range neighbourhoodCommands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return fmt.Errorf("%w: neighbourhoods: unknown subcommand %q", errUsage, args[0])
}

func runNeighbourhoodsDesign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "neighbourhoods design", "--db W.db --within KIND:CODE [--from lsoa|msoa] [--size 30k-50k] [--count N]\n"+
		"       [--nest la|none|KIND] [--start SET] [--seed S] [--time-limit 30s] [--save-as NAME]\n\n"+
		"Partitions the region's LSOAs (or MSOAs) into contiguous neighbourhoods within the size band\n"+
		"(registered residents), nested in local authorities, maximising the alignment score with PCNs\n"+
		"(compactness breaks ties). Prints the plan's score beside its construction, teams suggest at the\n"+
		"same count, and an upper bound; neighbourhoods that cannot meet the band say why.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "`release` (default the newest)")
	within := fs.String("within", "", "the region, `KIND:CODE` (icb, sub-icb, la, ccg, stp, region, nhs-region); empty for all of England")
	from := fs.String("from", "lsoa", "building `blocks`: lsoa (needs the LSOA polygons kept by ingest --lsoa-polygons) or msoa")
	size := fs.String("size", "", "size `band` MIN-MAX in registered residents, e.g. 30k-50k (default 30k-50k; with --count alone, up to 1.5 × the mean)")
	count := fs.Int("count", 0, "exactly `N` neighbourhoods (within --size when given)")
	nest := fs.String("nest", "la", "`unit` kind no neighbourhood crosses (la, sub-icb, ccg, icb, …) or none")
	start := fs.String("start", "", "improve this stored `set` with the fewest block moves instead of designing afresh")
	seed := fs.Uint64("seed", 1, "random `seed` (the same seed gives the same plan unless the time limit cuts the search)")
	limit := fs.Duration("time-limit", 30*time.Second, "stop the search after this `duration` with the best plan so far")
	saveAs := fs.String("save-as", "", "save the plan as a footprint set of this `name`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db"); err != nil {
		return err
	}
	var opt neighbourhoods.Options
	var err error
	if opt.WithinKind, opt.Within, err = neighbourhoods.ParseWithin(*within); err != nil {
		return fmt.Errorf("%w: neighbourhoods design: --within: %v", errUsage, err)
	}
	if opt.Blocks, err = neighbourhoods.ParseBlocks(*from); err != nil {
		return fmt.Errorf("%w: neighbourhoods design: --from: %v", errUsage, err)
	}
	if *size != "" {
		if opt.Band, err = neighbourhoods.ParseBand(*size); err != nil {
			return fmt.Errorf("%w: neighbourhoods design: --size: %v", errUsage, err)
		}
	}
	if opt.Nest, opt.NoNest, err = neighbourhoods.ParseNest(*nest); err != nil {
		return fmt.Errorf("%w: neighbourhoods design: --nest: %v", errUsage, err)
	}
	if *count < 0 {
		return fmt.Errorf("%w: neighbourhoods design: --count %d", errUsage, *count)
	}
	opt.Count = *count
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	d, err := w.Load(ctx, *release)
	if err != nil {
		return err
	}
	ds, err := app.DesignNeighbourhoods(ctx, w, d, app.DesignRequest{
		Options: opt,
		Config:  neighbourhoods.Config{Seed: *seed, TimeLimit: *limit},
		Start:   *start, SaveAs: *saveAs, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	printPlan(e, ds)
	if *saveAs != "" {
		fmt.Fprintf(e.stdout, "saved as %q\n", *saveAs)
	}
	return nil
}

func printPlan(e *env, ds *app.Design) {
	p, pr := ds.Plan, ds.Problem
	w := e.stdout
	fmt.Fprintf(w, "%s\n", p.Set.Source)
	fmt.Fprintf(w, "score %.4f (construction %.4f; teams suggest at %d: %s; upper bound %.4f)\n",
		p.Score, p.Construction, len(p.Neighbourhoods), greedyText(ds), p.Bound)
	fmt.Fprintf(w, "boundary between neighbourhoods %.1f km; search %d of %d proposals in %v",
		p.Boundary, p.Iterations, p.Budget, p.Elapsed.Round(time.Millisecond))
	if p.TimedOut {
		fmt.Fprint(w, " (stopped by the time limit: a rerun may differ)")
	}
	fmt.Fprintln(w)
	for _, u := range pr.Units {
		if u.Reason != "" {
			fmt.Fprintf(w, "band cannot be met: %s\n", u.Reason)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "neighbourhood\tresidents\tblocks\tband")
	for _, n := range p.Neighbourhoods {
		band := "within"
		if n.Violation != "" {
			band = n.Violation
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%s\n", n.Name, n.Registered, len(n.Blocks), band)
	}
	tw.Flush()
	if p.Moves != nil || ds.Plan.Budget == 0 {
		fmt.Fprintf(w, "%d block moves from the starting set\n", len(p.Moves))
		for _, m := range p.Moves {
			fmt.Fprintf(w, "  %s: %s → %s\n", m.Block, m.From, m.To)
		}
	}
}

func greedyText(ds *app.Design) string {
	if ds.GreedyNote != "" {
		return "none, " + strings.TrimPrefix(ds.GreedyNote, "teams: invalid input: ")
	}
	return fmt.Sprintf("%.4f", ds.Greedy)
}
