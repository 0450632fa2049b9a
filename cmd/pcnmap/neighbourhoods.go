package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"pcnmap/app"
	"pcnmap/neighbourhoods"
	"pcnmap/teams"
)

// neighbourhoodCommands are the subcommands of pcnmap neighbourhoods.
var neighbourhoodCommands = []command{
	{"design", "design contiguous neighbourhoods within a size band, nested in local authorities, aligned with PCNs", runNeighbourhoodsDesign},
	{"assess", "read any footprint set as a neighbourhood plan: band, PCNs, authorities, deprivation and rural-urban mix, straddling practices", runNeighbourhoodsAssess},
	{"realign", "propose the practice → PCN moves that most raise a set's alignment", runNeighbourhoodsRealign},
	{"export", "write a set as the LSOA → neighbourhood CSV (lsoa,neighbourhood,weight), or as polygons in GeoJSON or a GeoPackage", runNeighbourhoodsExport},
}

func neighbourhoodSubcommands() string { return subcommandNames(neighbourhoodCommands) }

func runNeighbourhoods(ctx context.Context, e *env, args []string) error {
	return runSubcommand(ctx, e, "neighbourhoods", neighbourhoodCommands, args)
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
	w, d, err := app.Open(ctx, *db, *release)
	if err != nil {
		return err
	}
	defer w.Close()
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
	construction := fmt.Sprintf("%.4f", p.Construction)
	if p.ConstructionOutside > 0.5 {
		construction += fmt.Sprintf(" with %.0f residents outside the band", p.ConstructionOutside)
	}
	fmt.Fprintf(w, "score %.4f (construction %s; teams suggest at %d: %s; upper bound %.4f)\n",
		p.Score, construction, len(p.Neighbourhoods), greedyText(ds), p.Bound)
	if p.Budget > 0 {
		fmt.Fprintf(w, "boundary between neighbourhoods %.1f km; search %d of %d proposals in %v",
			p.Boundary, p.Iterations, p.Budget, p.Elapsed.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "boundary between neighbourhoods %.1f km; improving moves only, in %v", p.Boundary, p.Elapsed.Round(time.Millisecond))
	}
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
	if len(p.Merges) > 0 {
		fmt.Fprintf(w, "%d neighbourhoods joined from whole teams of the starting set (its units held more than the band allows)\n", len(p.Merges))
		for _, m := range p.Merges {
			fmt.Fprintf(w, "  %s: %s\n", m.Name, strings.Join(m.Of, ", "))
		}
	}
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
	g := ds.Greedy
	out := fmt.Sprintf("%.4f, teams of %.0f to %.0f residents", g.Score, g.Smallest, g.Largest)
	if g.Contiguity == teams.ContiguousLSOA {
		out += ", contiguous over the LSOAs"
		if g.Split > 0 {
			out += fmt.Sprintf(" (%.4f before %d of its teams that fell apart were made so)", g.PerMSOA, g.Split)
		}
	} else {
		out += ", contiguous per MSOA only"
	}
	return out
}

func runNeighbourhoodsAssess(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "neighbourhoods assess", "--db W.db --set NAME [--release R] [--threshold 1%] [--size 30k-50k]\n\n"+
		"Per neighbourhood: registered residents and the band check, the PCNs holding at least the threshold\n"+
		"with their shares, the dominant PCN's share, the local authorities, the urban share and, when the\n"+
		"release has a ward lookup, the wards; the shares of its residents by IMD decile (1 = most deprived;\n"+
		"core20 = deciles 1-2), by the income and employment domains' deciles and by rural-urban class when\n"+
		"the release has them (carried from 2011 LSOAs when ingested with --crosswalk, and said so); per PCN the neighbourhoods its patients live in and its main\n"+
		"share; per practice its straddle (the share of its patients living outside its PCN's main\n"+
		"neighbourhood), largest first.")
	db, release, set := setFlags(fs)
	threshold := thresholdFlag(fs, "share of a neighbourhood's residents a PCN must hold to be listed")
	size := fs.String("size", "30k-50k", "size `band` to check, MIN-MAX registered residents")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	band, err := neighbourhoods.ParseBand(*size)
	if err != nil {
		return fmt.Errorf("%w: neighbourhoods assess: --size: %v", errUsage, err)
	}
	w, d, err := app.Open(ctx, *db, *release)
	if err != nil {
		return err
	}
	defer w.Close()
	a, err := app.AssessNeighbourhoods(ctx, w, d, *set, float64(*threshold), band)
	if err != nil {
		return err
	}
	out := e.stdout
	fmt.Fprintf(out, "set %q: score %.4f, coverage %.4f, band %v\n", a.Set, a.Score, a.Coverage, a.Band)
	wards := false // the release has a ward context
	for _, n := range a.Neighbourhoods {
		wards = wards || n.Wards != nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	header := "neighbourhood\tresidents\tband\tdominant\tshare\turban\tlocal authorities\tPCNs"
	if wards {
		header += "\twards"
	}
	fmt.Fprintln(tw, header)
	for _, n := range a.Neighbourhoods {
		band := "within"
		if !n.InBand {
			band = "outside"
		}
		var las, pcns []string
		for _, u := range n.LAs {
			las = append(las, fmt.Sprintf("%s %.0f%%", u.Name, 100*u.Share))
		}
		for _, p := range n.PCNs {
			pcns = append(pcns, fmt.Sprintf("%s %.0f%%", p.Code, 100*p.Share))
		}
		urban := "-"
		if n.Urban >= 0 {
			urban = fmt.Sprintf("%.0f%%", 100*n.Urban)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%.3f\t%s\t%s\t%s", n.Name, n.Registered, band, n.Dominant, n.DominantShare, urban, strings.Join(las, ", "), strings.Join(pcns, ", "))
		if wards {
			var ws []string
			for _, u := range n.Wards {
				ws = append(ws, fmt.Sprintf("%s %.0f%%", cmp.Or(u.Name, u.Code), 100*u.Share))
			}
			fmt.Fprintf(tw, "\t%s", strings.Join(ws, ", "))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(out)
	writeProfiles(out, a)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	listed := map[string]bool{} // PCNs holding at least the threshold of some neighbourhood
	for _, n := range a.Neighbourhoods {
		for _, p := range n.PCNs {
			listed[p.Code] = true
		}
	}
	fmt.Fprintln(tw, "pcn\tlist_size\tmain\tmain_share\tneighbourhoods")
	for _, p := range a.PCNs {
		if !listed[p.Code] {
			continue // a distant PCN with a handful of residents here
		}
		var ns []string
		for _, n := range p.Neighbourhoods {
			ns = append(ns, fmt.Sprintf("%s %.0f%%", n.Name, 100*n.Share))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\t%s\n", p.Code, p.ListSize, p.Main, p.MainShare, strings.Join(ns, ", "))
	}
	tw.Flush()
	fmt.Fprintln(out)
	straddle := slices.Clone(a.Practices)
	slices.SortFunc(straddle, func(x, y neighbourhoods.Straddle) int {
		return cmp.Or(cmp.Compare(y.Straddle*y.Patients, x.Straddle*x.Patients), cmp.Compare(x.Code, y.Code))
	})
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "practice\tpcn\tpatients_in_set\tstraddle")
	for _, s := range straddle {
		if s.Patients < 100 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.3f\n", s.Code, s.PCN, s.Patients, s.Straddle)
	}
	return tw.Flush()
}

// writeProfiles writes the neighbourhoods' deprivation profile (the shares of their residents by
// IMD decile, 1 the most deprived; core20 is deciles 1-2), the same by the income and employment
// domains' deciles and their rural-urban classes, each table when the release has it, then which
// profiles are carried from 2011 LSOAs and what the release lacks of them.
func writeProfiles(out io.Writer, a *neighbourhoods.Assessment) {
	ruc := false
	for _, n := range a.Neighbourhoods {
		ruc = ruc || n.RuralUrban != nil
	}
	pct := func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }
	for _, k := range []struct {
		col string
		of  func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation
	}{
		{"imd", func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Deprivation }},
		{"income", func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Income }},
		{"employment", func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Employment }},
	} {
		given := false
		for i := range a.Neighbourhoods {
			given = given || k.of(&a.Neighbourhoods[i]) != nil
		}
		if !given {
			continue
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		head := []string{"neighbourhood", "core20"}
		if k.col != "imd" {
			head[1] = k.col + "_core20"
		}
		for d := 1; d <= 10; d++ {
			head = append(head, fmt.Sprintf("%s%d", k.col, d))
		}
		fmt.Fprintln(tw, strings.Join(append(head, "no_decile"), "\t"))
		for i := range a.Neighbourhoods {
			n := &a.Neighbourhoods[i]
			if p := k.of(n); p != nil {
				row := []string{n.Name, pct(p.Core20)}
				for _, v := range p.Deciles {
					row = append(row, pct(v))
				}
				fmt.Fprintln(tw, strings.Join(append(row, pct(p.Unknown)), "\t"))
			}
		}
		tw.Flush()
		fmt.Fprintln(out)
	}
	if ruc {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "neighbourhood\trural-urban classes")
		for _, n := range a.Neighbourhoods {
			var cs []string
			for _, u := range n.RuralUrban {
				cs = append(cs, fmt.Sprintf("%s %s %s", u.Code, u.Name, pct(u.Share)))
			}
			fmt.Fprintf(tw, "%s\t%s\n", n.Name, cmp.Or(strings.Join(cs, ", "), "-"))
		}
		tw.Flush()
		fmt.Fprintln(out)
	}
	for _, c := range a.Carried {
		fmt.Fprintf(out, "carried: %s\n", c)
	}
	for _, m := range a.Missing {
		fmt.Fprintf(out, "not given: %s\n", m)
	}
	if len(a.Missing)+len(a.Carried) > 0 {
		fmt.Fprintln(out)
	}
}

func runNeighbourhoodsRealign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "neighbourhoods realign", "--db W.db --set NAME [--release R] [--max-moves 10] [--threshold 1%]\n\n"+
		"Proposes the practice → PCN moves (a practice joining a PCN present in its main neighbourhood) that\n"+
		"most raise the set's alignment score, one after another, each with its effect on the score, both\n"+
		"PCNs' list sizes (! marks a PCN left under 30,000) and their main neighbourhoods. Nothing is stored:\n"+
		"try a move with pcnmap teams whatif --move-practice CODE:FROM:TO.")
	db, release, set := setFlags(fs)
	threshold := thresholdFlag(fs, "share of the practice's main neighbourhood a PCN must hold to be a candidate")
	maxMoves := fs.Int("max-moves", 10, "at most `K` moves")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	if *maxMoves < 1 {
		return fmt.Errorf("%w: neighbourhoods realign: --max-moves %d: at least 1", errUsage, *maxMoves)
	}
	w, d, err := app.Open(ctx, *db, *release)
	if err != nil {
		return err
	}
	defer w.Close()
	moves, err := app.RealignNeighbourhoods(ctx, w, d, *set, float64(*threshold), *maxMoves)
	if err != nil {
		return err
	}
	if len(moves) == 0 {
		_, err := fmt.Fprintln(e.stdout, "no practice → PCN move raises the score")
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "practice\tfrom\tto\tneighbourhood\tscore\tfrom_list\tto_list\tfrom_main\tto_main")
	for _, m := range moves {
		small := ""
		if m.Small {
			small = " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.4f → %.4f\t%d → %d%s\t%d → %d\t%s → %s\t%s → %s\n", m.Practice, m.From, m.To, m.Neighbourhood,
			m.Before, m.After, m.FromList[0], m.FromList[1], small, m.ToList[0], m.ToList[1], m.FromMain[0], m.FromMain[1], m.ToMain[0], m.ToMain[1])
	}
	return tw.Flush()
}

func runNeighbourhoodsExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "neighbourhoods export", "--db W.db --set NAME [--release R] --format csv|geojson|gpkg --out FILE [--threshold 1%] [--size 30k-50k]\n\n"+
		"Writes any footprint set of LSOAs or areas: csv is the LSOA → neighbourhood table ICBs exchange\n"+
		"(lsoa,neighbourhood,weight, one row per LSOA and neighbourhood holding it); geojson one polygon per\n"+
		"neighbourhood dissolved from its LSOAs (neighbours share edges, no gaps) with its figures; gpkg the\n"+
		"same polygons and figures as one GeoPackage layer, neighbourhoods, with its QGIS style.")
	db, release, set := setFlags(fs)
	format := fs.String("format", "csv", "`format`: csv, geojson or gpkg")
	out := fs.String("out", "", "output `file`")
	threshold := thresholdFlag(fs, "share of a neighbourhood's residents a PCN must hold to be listed")
	size := fs.String("size", "30k-50k", "size `band` for the in_band property")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set", "out"); err != nil {
		return err
	}
	f, err := app.ParseExportFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: neighbourhoods export: --format: %v", errUsage, err)
	}
	band, err := neighbourhoods.ParseBand(*size)
	if err != nil {
		return fmt.Errorf("%w: neighbourhoods export: --size: %v", errUsage, err)
	}
	w, d, err := app.Open(ctx, *db, *release)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := app.ExportNeighbourhoods(ctx, w, d, *set, f, float64(*threshold), band, *out); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "wrote %s (%s)\n", *out, f)
	return err
}
