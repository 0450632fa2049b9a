package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"

	"pcnmap/app"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
	"pcnmap/teams"
)

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "--db W.db [--release NAME] [--threshold 1%] [--format csv|json|html|pdf]\n"+
		"       [--by icb|sub-icb|ccg|la|region|stp|nhs-region] [--unit CODE] [--browser PATH]\n"+
		"       [--teams SET] [--neighbourhoods SET [--band 30k-50k]] --out DIR\n\n"+
		"csv writes areas.csv, pcns.csv, pcn_pairs.csv and summary.json into DIR; json the same as JSON.\n"+
		"With --unit, csv writes that unit's rows: its areas, the PCNs with patients living in them and\n"+
		"their pairs (each with the whole release's figures; summary.json is the release's).\n"+
		"html writes report.html (or, with --by, one document per unit and index.html); pdf prints them\n"+
		"with a headless Chromium, and falls back to HTML with a message when there is none.\n"+
		"--teams adds the footprint set's teams.csv, team_pcn_matrix.csv and pcn_teams.csv to DIR (any\n"+
		"format), a \"Team alignment\" section to the documents, and its alignment score to the summary.\n"+
		"--neighbourhoods (html and pdf) adds a \"Neighbourhood plan\" section reading the set as a plan: a\n"+
		"map of it, per neighbourhood its residents against --band, PCNs, dominant share and authorities,\n"+
		"per PCN its main neighbourhood, and the practices that straddle most.\n"+
		"gpkg writes one GeoPackage (layers areas, pcn_footprints, pcn_cores, pcn_pairs, boundaries, teams,\n"+
		"styled for QGIS, with an R-tree index each); geojson the same layers as RFC 7946 files.\n"+
		"Prints a short summary.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	threshold := thresholdFlag(fs, "share of an area's registered population a PCN must hold to count as serving it")
	core := fs.String("core", "80%", "share of a PCN's resident patients its core footprint holds")
	out := fs.String("out", "", "output `directory`")
	format := fs.String("format", "csv", "output `format`: csv, json, html, pdf, gpkg (one GeoPackage, "+GeoPackageName+") or geojson (a file per layer)")
	by := fs.String("by", "", "write one document per unit of this `kind` (icb, sub-icb, ccg, la, ward, region, stp, nhs-region) and an index")
	unit := fs.String("unit", "", "write the document (or, with --format csv, the rows) of this unit `code` only")
	browser := fs.String("browser", "", "Chromium `path` for PDF (default: chromium, chromium-browser or google-chrome on PATH)")
	teamSet := fs.String("teams", "", "footprint `set` to measure against the PCNs (see pcnmap teams list)")
	nbhdSet := fs.String("neighbourhoods", "", "footprint `set` to add to the documents as a neighbourhood plan (html and pdf)")
	bandFlag := fs.String("band", "30k-50k", "size `band` MIN-MAX in registered residents that --neighbourhoods checks")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "out"); err != nil {
		return err
	}
	t := float64(*threshold)
	c, err := overlap.ParseThreshold(*core)
	if err != nil || c == 0 {
		return fmt.Errorf("%w: report: --core %q must be a share above 0%%", errUsage, *core)
	}
	band, err := neighbourhoods.ParseBand(*bandFlag)
	if err != nil {
		return fmt.Errorf("%w: report: --band: %v", errUsage, err)
	}
	if gisFormats[strings.ToLower(*format)] {
		if *nbhdSet != "" {
			return fmt.Errorf("%w: report: --neighbourhoods adds a section to the documents (--format html or pdf); for polygons use pcnmap neighbourhoods export --format %s", errUsage, strings.ToLower(*format))
		}
		if *by != "" || *unit != "" {
			return fmt.Errorf("%w: report: --by and --unit write documents: use --format html or pdf", errUsage)
		}
		return runGISReport(ctx, e, strings.ToLower(*format), *db, *release, *teamSet, t, c, *out)
	}
	opt := report.Options{Threshold: t, Core: c, Unit: *unit}
	if opt.Format, err = report.ParseFormat(*format); err != nil {
		return fmt.Errorf("%w: report: --format: %v", errUsage, err)
	}
	if *by != "" {
		if opt.By, err = report.ParseKind(*by); err != nil {
			return fmt.Errorf("%w: report: --by: %v", errUsage, err)
		}
	}
	if (*by != "" || *unit != "") && opt.Format != report.FormatHTML && opt.Format != report.FormatPDF && (opt.Format != report.FormatCSV || *unit == "") {
		return fmt.Errorf("%w: report: --by and --unit write documents: add --format html or pdf (or csv with --unit: that unit's rows)", errUsage)
	}
	if *nbhdSet != "" && opt.Format != report.FormatHTML && opt.Format != report.FormatPDF {
		return fmt.Errorf("%w: report: --neighbourhoods adds a section to the documents: add --format html or pdf (the LSOA → neighbourhood CSV is pcnmap neighbourhoods export)", errUsage)
	}
	if opt.Format == report.FormatPDF {
		if *browser != "" && findBrowser(*browser) == "" {
			return fmt.Errorf("%w: report: --browser %s: no such executable", errUsage, *browser)
		}
		if opt.Browser = findBrowser(*browser); opt.Browser == "" {
			fmt.Fprintf(e.stderr, "pcnmap: report: PDF skipped: no Chromium found (looked for %s on PATH; install Debian's chromium or pass --browser); writing HTML instead\n",
				strings.Join(browserNames, ", "))
			opt.Format = report.FormatHTML
		}
	}
	var d *overlap.Dataset
	var choice string
	var ta *report.TeamAlignment
	var np *report.NeighbourhoodPlan
	switch {
	case *teamSet == "" && *nbhdSet == "" && opt.Unit != "":
		// One unit's document reads the geometry of that unit's surroundings only. It is a short
		// run whose garbage dies young (~15 MB allocated for a local authority, ~40 MB peak RSS): the GC
		// collects only near unitMemLimit instead of each time the heap doubles from 4 MB (four
		// collections, ~12 of ~85 CPU-ms when this was measured). GOGC or GOMEMLIMIT, when set, keep their pacing; both are
		// put back on return, for a run inside a test or benchmark process.
		if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(unitMemLimit))
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
		}
		d, choice, err = app.LoadUnit(ctx, *db, *release, opt.By, opt.Unit)
	case *teamSet == "" && *nbhdSet == "":
		d, err = app.Load(ctx, *db, *release)
	default:
		d, ta, np, err = loadReportSets(ctx, *db, *release, *teamSet, *nbhdSet, t, band)
	}
	if err != nil {
		return err
	}
	if choice == "" {
		choice, _ = app.ChoiceAt(ctx, *db, *release, d.Release)
	}
	if choice != "" {
		fmt.Fprintln(e.stderr, "pcnmap: report:", choice)
	}
	if ta != nil && (opt.Format == report.FormatHTML || opt.Format == report.FormatPDF) {
		opt.Sections = append(opt.Sections, ta)
	}
	if np != nil {
		opt.Sections = append(opt.Sections, np)
	}
	var bar *progress
	opt.Progress = func(done, total int) {
		if bar == nil {
			bar = e.newProgress(int64(total), "documents")
		}
		bar.add(1)
		if done == total {
			bar.finish()
		}
	}
	if opt.By != nhs.KindUnset && len(d.Units[opt.By]) == 0 {
		return fmt.Errorf("report: release %s has no %s units: ingest it with a context file that gives them%s",
			d.Release, opt.By, app.Elsewhere(ctx, *db, d.Release, opt.By.String()))
	}
	s, err := report.Write(ctx, *out, d, opt)
	if err != nil {
		return err
	}
	if ta != nil {
		if err := ta.WriteFiles(ctx, *out); err != nil {
			return err
		}
	}
	if err := report.Text(e.stdout, s); err != nil || ta == nil {
		return err
	}
	return ta.Text(e.stdout)
}

// unitMemLimit is the soft limit of the Go heap for one unit's document (an NHS region's peaks at
// ~90 MB RSS without collections).
const unitMemLimit = 256 << 20

// loadReportSets loads one release and the footprint sets of it the report adds: teamSet measured
// at threshold t (none when ""), nbhdSet read as a neighbourhood plan against band (none when "").
// An unknown set name is an error listing the release's sets.
func loadReportSets(ctx context.Context, db, release, teamSet, nbhdSet string, t float64, band neighbourhoods.Band) (*overlap.Dataset, *report.TeamAlignment, *report.NeighbourhoodPlan, error) {
	w, err := store.Open(ctx, db, false)
	if err != nil {
		return nil, nil, nil, err
	}
	defer w.Close()
	var ts *teams.Set
	for _, c := range []struct{ flag, name string }{{"--teams", teamSet}, {"--neighbourhoods", nbhdSet}} {
		if c.name == "" {
			continue
		}
		s, err := w.LoadTeams(ctx, release, c.name)
		if errors.Is(err, store.ErrNoTeamSet) {
			return nil, nil, nil, unknownSet(ctx, w, release, c.flag, err)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if c.flag == "--teams" {
			ts = s
		}
	}
	d, err := w.Load(ctx, release)
	if err != nil {
		return nil, nil, nil, err
	}
	var ta *report.TeamAlignment
	if ts != nil {
		m, err := teams.NewModel(d, ts)
		if err != nil {
			return nil, nil, nil, err
		}
		ta = report.NewTeamAlignment(d, m, t)
	}
	var np *report.NeighbourhoodPlan
	if nbhdSet != "" {
		if np, err = app.NeighbourhoodSection(ctx, w, d, nbhdSet, t, band); err != nil {
			return nil, nil, nil, fmt.Errorf("report: --neighbourhoods: %w", err)
		}
	}
	return d, ta, np, nil
}

// unknownSet is the error for a set flag naming no set of the release: err, with the sets there are.
func unknownSet(ctx context.Context, w *store.Workspace, release, flag string, err error) error {
	sets, lerr := w.TeamSets(ctx, release)
	if lerr != nil {
		return err
	}
	if len(sets) == 0 {
		return fmt.Errorf("report: %s: %w; import one with pcnmap teams import", flag, err)
	}
	names := make([]string, len(sets))
	for i, ts := range sets {
		names[i] = strconv.Quote(ts.Name)
	}
	return fmt.Errorf("report: %s: %w; the sets are %s", flag, err, strings.Join(names, ", "))
}

// browserNames are the Chromium executables looked for on PATH, Debian's first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// findBrowser returns the browser to print PDFs with: the one given, or the first of browserNames on
// PATH, or "" when there is none.
func findBrowser(given string) string {
	if given != "" {
		if p, err := exec.LookPath(given); err == nil {
			return p
		}
		return ""
	}
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func runReleases(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "releases", "--db W.db [--json] [--default NAME]\n\n"+
		"Lists the releases; --default NAME makes NAME the release commands use when --release is not given\n"+
		"(kept in the workspace; --default '' goes back to the newest extract).")
	db := fs.String("db", "", "workspace `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	def := fs.String("default", "\x00", "make release `NAME` the workspace's default")
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
	if *def != "\x00" {
		if err := w.SetDefault(ctx, *def); err != nil {
			return err
		}
	}
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
		mark := ""
		if r.Default {
			mark = "\tdefault"
		}
		geo := r.Geography
		if geo == "" {
			geo = "?"
		}
		if r.Region != "" {
			geo += " within " + r.Region
		}
		fmt.Fprintf(e.stdout, "%s\textract %s\tmembership as of %s\tingested %s\t%s LSOAs%s\n", r.Name, r.ExtractDate, r.AsOf, r.IngestedAt.Format("2006-01-02 15:04"), geo, mark)
	}
	return nil
}
