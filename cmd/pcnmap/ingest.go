package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"pcnmap/app"
	"pcnmap/ingest"
	"pcnmap/overlap"
	"pcnmap/store"
)

func runIngest(ctx context.Context, e *env, args []string) error {
	var o ingest.Options
	var db, asOf string
	var contexts list
	fs := newFlags(e, "ingest", "--db W.db --areas AREAS --registrations REG --membership MEMB [--as-of YYYY-MM-DD]\n"+
		"              [--lookup LSOA_TO_AREA.csv] [--centroids LSOA_PWC.csv] [--lsoa-polygons LSOA.geojson.gz]\n"+
		"              [--context FILE]... [--release NAME] [--within KIND:CODE[,…]]\n"+
		"              [--crosswalk LSOA11_LSOA21.csv [--crosswalk-weights FILE]] [--denominators FILE]\n\n"+
		"Reads the national files, joins them and saves the result as one release of the workspace, in one\n"+
		"transaction: on any error the workspace is left as it was. Re-ingesting a release name replaces it.\n"+
		"The LSOA centroids (else points on surface) and the LSOA polygons are kept for placing team polygons.")
	fs.StringVar(&db, "db", "", "workspace `file` (created if missing)")
	fs.StringVar(&o.Areas, "areas", "", "area polygons: GeoJSON (.geojson, .geojson.gz), Shapefile (.shp or .zip) or GeoPackage (.gpkg, .gpkg.gz), WGS84 or EPSG:27700")
	fs.StringVar(&o.Registrations, "registrations", "", "NHS Digital gp-reg-pat-prac-lsoa-all `CSV` (.csv, .csv.gz or the published .zip)")
	fs.StringVar(&o.Membership, "membership", "", "practice → PCN: the ePCN workbook (.xlsx) or the practice mapping CSV (optional when the registrations carry PCN columns)")
	fs.StringVar(&asOf, "as-of", "", "membership `date` YYYY-MM-DD (default: the registrations' extract date)")
	fs.StringVar(&o.Release, "release", "", "release `name` (default: the extract month, YYYY-MM)")
	fs.StringVar(&o.Lookup, "lookup", "", "LSOA → area lookup `CSV` (LSOA11CD/MSOA11CD, LSOA_CODE/MSOA_CODE or 2021 codes)")
	fs.StringVar(&o.Centroids, "centroids", "", "LSOA population-weighted centroids `CSV`: place LSOAs in areas by location (with --lookup: only compare)")
	fs.StringVar(&o.LSOAPolygons, "lsoa-polygons", "", "LSOA polygons: kept for team imports by area; place each LSOA by its point on surface when there is no lookup or centroid")
	fs.StringVar(&o.CodeField, "code-field", "", "area code attribute (default: detected, e.g. MSOA11CD)")
	fs.StringVar(&o.NameField, "name-field", "", "area name attribute (default: detected, e.g. MSOA11NM)")
	fs.StringVar(&o.Within, "within", "", "study region `KIND:CODE[,…]` (icb:QNC, la:E06000021; ONS or NHS codes): keep the areas with most of their LSOAs there")
	fs.StringVar(&o.Crosswalk, "crosswalk", "", "ONS LSOA 2011 → 2021 lookup `CSV`: move LSOA 2011 registrations onto 2021 LSOAs before the join")
	fs.StringVar(&o.CrosswalkWeights, "crosswalk-weights", "", "LSOA 2021 → weight `CSV` (e.g. a later release's registrations) dividing split LSOAs (default: equal shares)")
	fs.StringVar(&o.Denominators, "denominators", "", "LSOA → patients at all practices `CSV` (e.g. LSOA_Population): registered(a) uses these true totals")
	memLimit := fs.Int("mem-limit", 224, "soft limit in `MB` for the Go heap: the GC waits for the heap to near it (0: none, the GC's default pacing); GOMEMLIMIT and GOGC override it")
	fs.Var(&contexts, "context", "context `file`, repeatable: LSOA → local authority/CCG/Sub-ICB/rural-urban lookups, Sub-ICB → ICB, or boundary polygons (KIND=FILE names their kind)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "areas", "registrations"); err != nil {
		return err
	}
	if o.Lookup == "" && o.Centroids == "" && o.LSOAPolygons == "" {
		return fmt.Errorf("%w: ingest: give --lookup, --centroids or --lsoa-polygons to place LSOAs in areas", errUsage)
	}
	if asOf != "" {
		t, err := time.Parse("2006-01-02", asOf)
		if err != nil {
			return fmt.Errorf("%w: ingest: --as-of %q is not a date YYYY-MM-DD", errUsage, asOf)
		}
		o.AsOf = t
	}
	if *memLimit < 0 {
		return fmt.Errorf("%w: ingest: --mem-limit must not be negative", errUsage)
	}
	if *memLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// An ingest is a batch whose inputs die young: collecting only near the limit, not each time
		// the heap doubles, takes the national ingest from 9 collections (0.16 CPU-s, of 1.2) to one,
		// for a peak of ~240 MB RSS instead of ~165 (with --lsoa-polygons ~265 MB, from ~250 with the
		// GC's default pacing). GOGC, when set, keeps its pacing.
		// Both are put back on return, for a run inside a test or benchmark process.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(*memLimit) << 20))
		if os.Getenv("GOGC") == "" {
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
		}
	}
	o.Contexts = contexts
	start := time.Now()
	bar := e.newProgress(int64(o.Steps()), "reading inputs")
	o.Progress = func() { bar.add(1) }
	var joined time.Duration
	var replacing string
	var prepErr error
	// A new workspace file is created while the inputs are read; the save starts when they are joined,
	// while the areas' geometry is still being cleaned (the save writes the areas last).
	d, err := store.IngestStaged(ctx, db, func(ctx context.Context) (*overlap.Dataset, func() error, error) {
		d, finish, err := ingest.PrepareStaged(ctx, o)
		bar.finish()
		joined = time.Since(start)
		if err != nil {
			prepErr = err
			return nil, nil, err
		}
		replacing = app.Replacing(ctx, db, d)
		return d, func() error {
			if err := finish(); err != nil {
				prepErr = err
				return err
			}
			return nil
		}, nil
	})
	switch {
	case errors.Is(prepErr, ingest.ErrOptions):
		return fmt.Errorf("%w: %v", errUsage, prepErr)
	case prepErr != nil:
		return inputFlagError(prepErr)
	case err != nil:
		return err
	}
	c := d.Coverage
	fmt.Fprintf(e.stdout, "ingested release %s into %s in %.1fs (read and joined %.1fs, saved %.1fs): %d areas, %d PCNs, %d practices, %d of %d patients placed in an area\n",
		d.Release, db, time.Since(start).Seconds(), joined.Seconds(), (time.Since(start) - joined).Seconds(),
		len(d.Areas), len(d.PCNs), len(d.Practices), c.Assigned.Patients, c.Total.Patients)
	if replacing != "" {
		fmt.Fprintln(e.stdout, "note: this", replacing)
	}
	for _, n := range d.Notes {
		fmt.Fprintln(e.stdout, "note:", n)
	}
	return nil
}
