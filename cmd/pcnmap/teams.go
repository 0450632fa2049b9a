package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/app"
	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
)

// teamCommands are the subcommands of pcnmap teams.
var teamCommands = []command{
	{"import", "import a footprint set from polygons or a team → LSOA/MSOA/practice CSV", runTeamsImport},
	{"list", "list the footprint sets of a release", runTeamsList},
	{"delete", "delete a footprint set", runTeamsDelete},
	{"rename", "rename a footprint set", runTeamsRename},
	{"alignment", "measure a set's alignment with PCNs: teams.csv, team_pcn_matrix.csv, pcn_teams.csv, the score", runTeamsAlignment},
	{"whatif", "move LSOAs or MSOAs between teams and show the changed metrics; --save-as keeps the result", runTeamsWhatIf},
	{"suggest", "propose a grouping of whole PCNs into as many teams, beside the current set", runTeamsSuggest},
}

func runTeams(ctx context.Context, e *env, args []string) error {
	return runSubcommand(ctx, e, "teams", teamCommands, args)
}

// teamSubcommands lists the teams subcommands for the top-level help.
func teamSubcommands() string { return subcommandNames(teamCommands) }

// subcommandNames lists the names of a command's subcommands, for the top-level usage.
func subcommandNames(cs []command) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// parseWithSource parses flags given before or after exactly one positional SOURCE argument.
func parseWithSource(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("%w: %s: SOURCE file is required", errUsage, fs.Name())
	}
	source := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	return source, nil
}

func runTeamsImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams import", "--db W.db --name NAME [--release R] [--method centroid|area] [--name-field F]\n"+
		"       [--centroids LSOA_PWC.csv] [--lsoa-polygons LSOA.geojson] [--replace] SOURCE\n\n"+
		"SOURCE is either polygons, one feature per team (GeoJSON, zipped Shapefile or GeoPackage, WGS84 or\n"+
		"EPSG:27700), or a CSV with a team column and one code column: lsoa, msoa or practice. Polygons\n"+
		"take LSOAs by population-weighted centroid (--centroids, else the points the ingest kept;\n"+
		"--lsoa-polygons' points on surface fill gaps) or, with --method area, share each LSOA's patients\n"+
		"by the part of its area in each team (--lsoa-polygons, else the LSOA polygons the ingest kept).")
	db := fs.String("db", "", "workspace `file`")
	name := fs.String("name", "", "the set's `name`")
	release := fs.String("release", "", "`release` to check codes against and store the set in (default the newest)")
	method := fs.String("method", "centroid", "how polygons take LSOAs: centroid or area")
	nameField := fs.String("name-field", "", "polygon attribute holding the team name (default: detected, e.g. name, area_name)")
	centroids := fs.String("centroids", "", "LSOA population-weighted centroids `CSV`, for --method centroid (default: the points stored by the ingest)")
	lsoaPolygons := fs.String("lsoa-polygons", "", "LSOA polygons `file`, for --method area (default: the LSOA polygons stored by the ingest)")
	replace := fs.Bool("replace", false, "replace a set of the same name")
	source, err := parseWithSource(fs, args)
	if err != nil {
		return err
	}
	if err := required(fs, "db", "name"); err != nil {
		return err
	}
	m, err := teams.ParseMethod(*method)
	if err != nil || (m != teams.MethodCentroid && m != teams.MethodArea) {
		return fmt.Errorf("%w: teams import: --method %q must be centroid or area", errUsage, *method)
	}
	w, d, err := app.Open(ctx, *db, *release)
	if err != nil {
		return err
	}
	defer w.Close()
	if c, err := app.Choice(ctx, w, *release, d.Release); err == nil {
		fmt.Fprintln(e.stderr, "pcnmap: teams import:", c)
	}
	req := app.ImportRequest{Name: *name, Source: filepath.Base(source), Method: m, Replace: *replace}
	if strings.EqualFold(filepath.Ext(source), ".csv") {
		f, err := os.Open(source)
		if err != nil {
			return fmt.Errorf("teams: %w", err)
		}
		req.Table, err = teams.ParseCSV(f, filepath.Base(source))
		f.Close()
		if err != nil {
			return err
		}
	} else {
		if *centroids != "" {
			c, err := nhs.ReadCentroids(*centroids)
			if err != nil {
				return err
			}
			req.Centroids = make(map[string]orb.Point, len(c.Points))
			for k, p := range c.Points {
				req.Centroids[k] = orb.Point{p.Lon, p.Lat}
			}
		}
		if *lsoaPolygons != "" {
			if req.LSOAs, err = geo.ReadFile(*lsoaPolygons, geo.ReadOptions{}); err != nil {
				return err
			}
		}
		if req.Layer, err = geo.ReadFile(source, geo.ReadOptions{CodeField: *nameField}); err != nil {
			return err
		}
		if *nameField != "" {
			req.Layer.NameField = "" // the code field is the name
		}
	}
	imp, err := app.NewTeams(w, d).Import(ctx, req)
	switch {
	case errors.Is(err, teams.ErrNoPoints):
		return fmt.Errorf("%w: teams import: %v; give --centroids (or --lsoa-polygons)%s", errUsage, err, app.Elsewhere(ctx, *db, d.Release, ""))
	case errors.Is(err, store.ErrNoLSOAPolygons):
		return fmt.Errorf("%w: teams import: --method area: %v; or give --lsoa-polygons FILE", errUsage, err)
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "imported %q into release %s: %d teams, method %s\n", *name, d.Release, len(imp.Set.Teams), imp.Set.Method)
	for _, t := range imp.Set.Teams {
		if len(t.Practices) > 0 {
			fmt.Fprintf(e.stdout, "  %s: %d practices\n", t.Name, len(t.Practices))
		} else {
			fmt.Fprintf(e.stdout, "  %s: %d LSOAs\n", t.Name, len(t.LSOAs))
		}
	}
	fmt.Fprintf(e.stdout, "uncovered LSOAs (in covered areas): %d%s\n", len(imp.Uncovered), codes(imp.Uncovered))
	var split []string
	for _, c := range imp.Split {
		parts := make([]string, len(c.Teams))
		for i, t := range c.Teams {
			parts[i] = t
			if c.Shares != nil {
				parts[i] = fmt.Sprintf("%s %.0f%%", t, 100*c.Shares[i])
			}
		}
		split = append(split, c.Code+": "+strings.Join(parts, " / "))
	}
	how := "split evenly"
	if imp.Set.Method == teams.MethodArea {
		how = "by the part of each LSOA's area in each team"
	}
	fmt.Fprintf(e.stdout, "split between teams (%s): %d\n", how, len(imp.Split))
	const maxSplit = 200 // a terminal's worth
	for i, l := range split {
		if i == maxSplit {
			fmt.Fprintf(e.stdout, "  … %d more\n", len(split)-maxSplit)
			break
		}
		fmt.Fprintf(e.stdout, "  %s\n", l)
	}
	if imp.NoPoint > 0 {
		fmt.Fprintf(e.stdout, "LSOAs with no centroid or polygon (not placed): %d\n", imp.NoPoint)
	}
	a := imp.Model.Alignment(0.01)
	fmt.Fprintf(e.stdout, "alignment score at 1%%: %.4f\n", a.Score)
	return nil
}

// codes abbreviates a list for a terminal line.
func codes(list []string) string {
	if len(list) == 0 {
		return ""
	}
	if len(list) > 10 {
		return ": " + strings.Join(list[:10], ", ") + fmt.Sprintf(", … (%d more)", len(list)-10)
	}
	return ": " + strings.Join(list, ", ")
}

func runTeamsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams list", "--db W.db [--release R]")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "`release` (default the newest)")
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
	sets, err := w.TeamSets(ctx, *release)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "release\tname\tteams\tmethod\tsource\timported")
	for _, s := range sets {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", s.Release, s.Name, s.Teams, s.Method, s.Source, s.ImportedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func runTeamsDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams delete", "--db W.db --set NAME [--release R]")
	db, release, set := setFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.DeleteTeams(ctx, *release, *set); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "deleted %q\n", *set)
	return err
}

func runTeamsRename(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams rename", "--db W.db --set NAME --to NEW_NAME [--release R]")
	db, release, set := setFlags(fs)
	to := fs.String("to", "", "the new `name`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set", "to"); err != nil {
		return err
	}
	w, err := store.Open(ctx, *db, false)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.RenameTeams(ctx, *release, *set, *to); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "renamed %q to %q\n", *set, *to)
	return err
}

// setFlags defines --db, --release and --set, which name one stored footprint set.
func setFlags(fs *flag.FlagSet) (db, release, set *string) {
	db = fs.String("db", "", "workspace `file`")
	release = fs.String("release", "", "`release` (default the newest)")
	set = fs.String("set", "", "the set's `name`")
	return db, release, set
}

// openModel loads the release and set named by the flags and resolves the set.
func openModel(ctx context.Context, db, release, set string) (*app.Teams, *teams.Model, error) {
	w, d, err := app.Open(ctx, db, release)
	if err != nil {
		return nil, nil, err
	}
	ts := app.NewTeams(w, d)
	_, m, err := ts.Load(ctx, set)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return ts, m, nil
}

func runTeamsAlignment(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams alignment", "--db W.db --set NAME [--release R] [--threshold 1%] [--out DIR]\n\n"+
		"Prints the alignment score and a line per team; with --out, writes teams.csv, team_pcn_matrix.csv\n"+
		"and pcn_teams.csv into DIR.")
	db, release, set := setFlags(fs)
	threshold := thresholdFlag(fs, "share of a team's registered population a PCN must hold to count")
	out := fs.String("out", "", "output `directory` for the CSV files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	t := float64(*threshold)
	ts, m, err := openModel(ctx, *db, *release, *set)
	if err != nil {
		return err
	}
	defer ts.Workspace().Close()
	d := ts.Dataset()
	a := m.Alignment(t)
	if *out != "" {
		if err := writeAlignment(*out, d, a); err != nil {
			return err
		}
	}
	return printAlignment(e.stdout, *set, d, a, nil)
}

func writeAlignment(dir string, d *overlap.Dataset, a *teams.Alignment) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	for name, write := range map[string]func(io.Writer, *overlap.Dataset, *teams.Alignment) error{
		"teams.csv": teams.WriteTeams, "team_pcn_matrix.csv": teams.WriteMatrix, "pcn_teams.csv": teams.WritePCNs,
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("teams: %w", err)
		}
		err = write(f, d, a)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("teams: write %s: %w", name, err)
		}
	}
	return nil
}

// printAlignment prints the summary and one line per team; with before, the score change too.
func printAlignment(w io.Writer, name string, d *overlap.Dataset, a, before *teams.Alignment) error {
	if err := teams.Summary(w, name, a); err != nil {
		return err
	}
	if before != nil {
		fmt.Fprintf(w, "score before the moves: %.4f (change %+.4f)\n", before.Score, a.Score-before.Score)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "team\tregistered\tpcns\tdominant\tshare\teffective_pcns")
	for i, t := range a.Teams {
		dom := "-"
		if t.Dominant >= 0 {
			dom = d.PCNs[t.Dominant].Code
		}
		line := fmt.Sprintf("%s\t%.0f\t%d\t%s\t%.3f\t%.2f", t.Name, t.Registered, len(t.PCNs), dom, t.DominantShare, t.EffectivePCNs)
		if before != nil && before.Teams[i].Registered != t.Registered {
			line += fmt.Sprintf("\t(was %.0f, %d PCNs)", before.Teams[i].Registered, len(before.Teams[i].PCNs))
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func runTeamsWhatIf(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams whatif", "--db W.db --set NAME --move CODE:FROM:TO [--move …] [--move-practice CODE:FROM_PCN:TO_PCN …]\n"+
		"       [--threshold 1%] [--save-as NAME] [--out DIR]\n\n"+
		"Moves an LSOA or MSOA (CODE) from team FROM to team TO in memory and prints the changed metrics\n"+
		"(an empty FROM takes the part no team holds; an empty TO drops it from the teams);\n"+
		"the stored set is untouched unless --save-as stores the result as a new set.\n"+
		"--move-practice moves a practice from one PCN to another, in memory only: the release keeps the\n"+
		"membership of its ePCN file, so a membership what-if is never stored (--save-as refuses it).")
	db, release, set := setFlags(fs)
	threshold := thresholdFlag(fs, "share of a team's registered population a PCN must hold to count")
	var moves list
	fs.Var(&moves, "move", "`CODE:FROM:TO`, an LSOA or MSOA code and two team names (repeatable)")
	var practiceMoves list
	fs.Var(&practiceMoves, "move-practice", "`CODE:FROM_PCN:TO_PCN`, a practice and two PCN codes (repeatable)")
	saveAs := fs.String("save-as", "", "store the edited set under this `name`")
	out := fs.String("out", "", "output `directory` for the edited set's CSV files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	if len(moves) == 0 && len(practiceMoves) == 0 {
		return fmt.Errorf("%w: teams whatif: --move or --move-practice is required", errUsage)
	}
	if len(practiceMoves) > 0 && *saveAs != "" {
		return fmt.Errorf("%w: teams whatif: --save-as cannot keep a --move-practice: the release holds the membership of its ePCN file", errUsage)
	}
	var membership []overlap.Membership
	for _, mv := range practiceMoves {
		pm, err := app.ParsePracticeMove(mv)
		if err != nil {
			return fmt.Errorf("%w: teams whatif: --move-practice %q is not CODE:FROM_PCN:TO_PCN", errUsage, mv)
		}
		membership = append(membership, pm)
	}
	t := float64(*threshold)
	ts, m, err := openModel(ctx, *db, *release, *set)
	if err != nil {
		return err
	}
	defer ts.Workspace().Close()
	d := ts.Dataset()
	before := m.Alignment(t)
	mvs := make([]app.Move, len(moves))
	for i, mv := range moves {
		if mvs[i], err = app.ParseMove(mv); err != nil {
			return fmt.Errorf("%w: teams whatif: --move %q is not CODE:FROM:TO", errUsage, mv)
		}
	}
	if m, err = app.WhatIf(m, mvs); err != nil {
		return err
	}
	if len(membership) > 0 {
		w, err := app.WhatIfMembership(d, m, membership)
		if err != nil {
			return err
		}
		d, m = w.Dataset, w.Model
		for _, c := range w.Changes {
			fmt.Fprintf(e.stdout, "practice %s: %s → %s; list sizes now %s %d, %s %d\n", c.Practice, c.From, c.To,
				c.From, c.FromList[1], c.To, c.ToList[1])
		}
	}
	a := m.Alignment(t)
	if *out != "" {
		if err := writeAlignment(*out, d, a); err != nil {
			return err
		}
	}
	if err := printAlignment(e.stdout, *set+" (edited)", d, a, before); err != nil {
		return err
	}
	if *saveAs != "" {
		if _, err := ts.SaveEdited(ctx, m, *saveAs, *set); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "saved as %q\n", *saveAs)
	}
	return nil
}

func runTeamsSuggest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "teams suggest", "--db W.db --set NAME [--release R] [--threshold 1%] [--save-as NAME] [--out DIR]\n\n"+
		"Proposes a grouping of whole PCNs into the set's number of teams over the same LSOAs: each LSOA goes to\n"+
		"its dominant PCN, and PCN territories are merged greedily, the touching pair exchanging most patients\n"+
		"first, keeping teams under 1.5 × the mean population. On a workspace ingested with --lsoa-polygons,\n"+
		"a team that then falls apart over the LSOAs keeps its most populous piece and the others join the\n"+
		"touching team they share most boundary with, so every team is contiguous over the LSOAs; without\n"+
		"them, contiguity is judged per MSOA only. Prints the current and the suggested scores, and which.")
	db, release, set := setFlags(fs)
	threshold := thresholdFlag(fs, "share of a team's registered population a PCN must hold to count")
	saveAs := fs.String("save-as", "", "store the suggestion under this `name`")
	out := fs.String("out", "", "output `directory` for the suggestion's CSV files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "set"); err != nil {
		return err
	}
	t := float64(*threshold)
	ts, m, err := openModel(ctx, *db, *release, *set)
	if err != nil {
		return err
	}
	defer ts.Workspace().Close()
	d := ts.Dataset()
	sg, err := ts.Suggest(ctx, m)
	if err != nil {
		return err
	}
	s := sg.Set
	sm, err := teams.NewModel(d, s)
	if err != nil {
		return err
	}
	current, suggested := m.Alignment(t), sm.Alignment(t)
	fmt.Fprintf(e.stdout, "current %q: score %.4f\n", *set, current.Score)
	fmt.Fprintf(e.stdout, "suggested teams: %v", sg.Contiguity)
	if sg.Contiguity == teams.ContiguousLSOA && sg.Split > 0 {
		mm, err := teams.NewModel(d, sg.Merged)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "; %d of %d teams fell apart after the merge, %d LSOAs joined a touching team (score before %.4f)", sg.Split, len(s.Teams), sg.Moved, mm.Alignment(t).Score)
	}
	fmt.Fprintln(e.stdout)
	if err := printAlignment(e.stdout, s.Name, d, suggested, nil); err != nil {
		return err
	}
	if *out != "" {
		if err := writeAlignment(*out, d, suggested); err != nil {
			return err
		}
	}
	if *saveAs != "" {
		if err := ts.Save(ctx, s, *saveAs); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "saved as %q\n", *saveAs)
	}
	return nil
}
