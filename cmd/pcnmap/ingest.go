package main

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"pcnmap/geo"
	"pcnmap/overlap"
	"pcnmap/overlap/nhs"
	"pcnmap/store"
)

// ingestOptions are the ingest command's flags.
type ingestOptions struct {
	db, areas, registrations, membership string
	asOf, release                        string
	lookup, centroids, lsoaPolygons      string
	codeField, nameField                 string
	contexts                             list
}

func runIngest(ctx context.Context, e *env, args []string) error {
	var o ingestOptions
	fs := newFlags(e, "ingest", "--db W.db --areas AREAS --registrations REG --membership MEMB [--as-of YYYY-MM-DD]\n"+
		"              [--lookup LSOA_TO_AREA.csv | --centroids LSOA_PWC.csv | --lsoa-polygons LSOA.geojson.gz]\n"+
		"              [--context FILE]... [--release NAME]\n\n"+
		"Reads the national files, joins them and saves the result as one release of the workspace, in one\n"+
		"transaction: on any error the workspace is left as it was. Re-ingesting a release name replaces it.")
	fs.StringVar(&o.db, "db", "", "workspace `file` (created if missing)")
	fs.StringVar(&o.areas, "areas", "", "area polygons: GeoJSON (.geojson, .geojson.gz), Shapefile (.shp or .zip) or GeoPackage (.gpkg, .gpkg.gz), WGS84 or EPSG:27700")
	fs.StringVar(&o.registrations, "registrations", "", "NHS Digital gp-reg-pat-prac-lsoa-all `CSV` (.csv, .csv.gz or the published .zip)")
	fs.StringVar(&o.membership, "membership", "", "practice → PCN: the ePCN workbook (.xlsx) or the practice mapping CSV")
	fs.StringVar(&o.asOf, "as-of", "", "membership `date` YYYY-MM-DD (default: the registrations' extract date)")
	fs.StringVar(&o.release, "release", "", "release `name` (default: the extract month, YYYY-MM)")
	fs.StringVar(&o.lookup, "lookup", "", "LSOA → area lookup `CSV` (LSOA11CD/MSOA11CD, LSOA_CODE/MSOA_CODE or 2021 codes)")
	fs.StringVar(&o.centroids, "centroids", "", "LSOA population-weighted centroids `CSV`: assign LSOAs to areas by location (with --lookup: only compare)")
	fs.StringVar(&o.lsoaPolygons, "lsoa-polygons", "", "LSOA polygons: assign each LSOA by its point on surface (when there is no lookup or centroid)")
	fs.StringVar(&o.codeField, "code-field", "", "area code attribute (default: detected, e.g. MSOA11CD)")
	fs.StringVar(&o.nameField, "name-field", "", "area name attribute (default: detected, e.g. MSOA11NM)")
	fs.Var(&o.contexts, "context", "context `file`, repeatable: LSOA → local authority/CCG/Sub-ICB/rural-urban lookups, Sub-ICB → ICB, or boundary polygons (kind=FILE to name the kind)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "areas", "registrations", "membership"); err != nil {
		return err
	}
	if o.lookup == "" && o.centroids == "" && o.lsoaPolygons == "" {
		return fmt.Errorf("%w: ingest: give --lookup, --centroids or --lsoa-polygons to place LSOAs in areas", errUsage)
	}
	start := time.Now()
	d, rel, err := prepare(ctx, e, o)
	if err != nil {
		return err
	}
	if err := store.Ingest(ctx, o.db, d, rel); err != nil {
		return err
	}
	c := d.Coverage
	fmt.Fprintf(e.stdout, "ingested release %s into %s in %.1fs: %d areas, %d PCNs, %d practices, %d of %d patients placed in an area\n",
		d.Release, o.db, time.Since(start).Seconds(), len(d.Areas), len(d.PCNs), len(d.Practices), c.Assigned.Patients, c.Total.Patients)
	for _, n := range rel.Notes {
		fmt.Fprintln(e.stdout, "note:", n)
	}
	return nil
}

// prepare reads every input (in parallel where they are independent) and joins them.
func prepare(ctx context.Context, e *env, o ingestOptions) (*overlap.Dataset, store.Release, error) {
	rel := store.Release{IngestedAt: time.Now().UTC()}
	var asOf time.Time
	if o.asOf != "" {
		t, err := time.Parse("2006-01-02", o.asOf)
		if err != nil {
			return nil, rel, fmt.Errorf("%w: ingest: --as-of %q is not a date YYYY-MM-DD", errUsage, o.asOf)
		}
		asOf = t
	}
	steps := 4 + len(o.contexts)
	if o.lookup != "" {
		steps++
	}
	if o.centroids != "" || o.lsoaPolygons != "" {
		steps++
	}
	bar := e.newProgress(int64(steps), "reading inputs")
	defer bar.finish()

	var (
		layer      *geo.Layer
		regs       *nhs.Registrations
		membership *nhs.Membership
		lookup     *nhs.Lookup
		points     map[string]orb.Point
		contexts   []*nhs.Context
		boundaries []overlap.Boundary
		mu         sync.Mutex
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		layer, err = geo.ReadFile(o.areas, geo.ReadOptions{CodeField: o.codeField, NameField: o.nameField})
		bar.add(1)
		return err
	})
	g.Go(func() error {
		var err error
		regs, err = nhs.ReadRegistrations(o.registrations)
		bar.add(1)
		return err
	})
	g.Go(func() error {
		var err error
		if isWorkbook(o.membership) {
			membership, err = nhs.ReadEPCN(o.membership)
		} else {
			membership, err = nhs.ReadPracticeMap(o.membership)
		}
		bar.add(1)
		return err
	})
	if o.lookup != "" {
		g.Go(func() error {
			var err error
			lookup, err = nhs.ReadLookup(o.lookup)
			bar.add(1)
			return err
		})
	}
	switch {
	case o.centroids != "":
		g.Go(func() error {
			c, err := nhs.ReadCentroids(o.centroids)
			if err != nil {
				return err
			}
			points = make(map[string]orb.Point, len(c.Points))
			for code, p := range c.Points {
				points[code] = orb.Point{p.Lon, p.Lat}
			}
			bar.add(1)
			return nil
		})
	case o.lsoaPolygons != "":
		g.Go(func() error {
			l, err := geo.ReadFile(o.lsoaPolygons, geo.ReadOptions{})
			if err != nil {
				return err
			}
			points = make(map[string]orb.Point, len(l.Features))
			for _, f := range l.Features {
				points[f.Code] = geo.PointOnSurface(f.Geom)
			}
			bar.add(1)
			return nil
		})
	}
	for _, spec := range o.contexts {
		g.Go(func() error {
			kind, path := splitKind(spec)
			if isPolygonFile(path) {
				l, err := geo.ReadFile(path, geo.ReadOptions{})
				if err != nil {
					return err
				}
				if kind == "" {
					kind = boundaryKind(l.CodeField)
				}
				if kind == "" {
					return fmt.Errorf("ingest: --context %s: cannot tell what its polygons are from the code field %q; write KIND=%s (icb, sub-icb, ccg, la, region)", path, l.CodeField, path)
				}
				mu.Lock()
				for _, f := range l.Features {
					boundaries = append(boundaries, overlap.Boundary{Kind: kind, Feature: f})
				}
				mu.Unlock()
			} else {
				c, err := nhs.ReadContext(path)
				if err != nil {
					return err
				}
				mu.Lock()
				contexts = append(contexts, c)
				mu.Unlock()
			}
			bar.add(1)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, rel, err
	}
	bar.describe("joining")

	if asOf.IsZero() {
		asOf = regs.ExtractDate
	}
	members, conflicts := membership.AsOf(asOf)
	names := make(map[string]string, len(membership.PCNs))
	for _, p := range membership.PCNs {
		names[p.Code] = p.Name
	}
	// Context files in a stable order, whatever order the goroutines finished in.
	slices.SortFunc(contexts, func(a, b *nhs.Context) int { return strings.Compare(a.Source, b.Source) })

	var notes []string
	if len(layer.Repaired) > 0 {
		notes = append(notes, fmt.Sprintf("%s: repaired %d invalid polygons: %s", filepath.Base(o.areas), len(layer.Repaired), abbreviate(layer.Repaired, 20)))
	}
	if len(conflicts) > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d practices had two PCN relationships active on %s; the later-starting one was used", filepath.Base(o.membership), len(conflicts), asOf.Format("2006-01-02")))
	}
	assign, spatialNotes := assignLSOAs(layer, lookup, points, o)
	notes = append(notes, spatialNotes...)

	release := o.release
	if release == "" {
		if regs.ExtractDate.IsZero() {
			return nil, rel, fmt.Errorf("%w: ingest: %s has no EXTRACT_DATE; name the release with --release", errUsage, o.registrations)
		}
		release = regs.ExtractDate.Format("2006-01")
	}
	d, err := overlap.Build(ctx, overlap.Inputs{
		Release: release, ExtractDate: regs.ExtractDate, AsOf: asOf,
		Areas: layer.Features, Registrations: regs, Members: members, PCNNames: names,
		Assign: assign, Contexts: contexts, MembershipConflicts: len(conflicts),
	})
	if err != nil {
		return nil, rel, fmt.Errorf("ingest: %w", err)
	}
	slices.SortFunc(boundaries, func(a, b overlap.Boundary) int {
		return strings.Compare(a.Kind+"\x00"+a.Code, b.Kind+"\x00"+b.Code)
	})
	d.Boundaries = boundaries
	if n := d.Coverage.LookupOutside; n > 0 {
		notes = append(notes, fmt.Sprintf("%d LSOAs of the lookup map to areas absent from %s; their patients are counted as unassigned", n, filepath.Base(o.areas)))
	}
	rel.Notes = notes
	for _, s := range []struct{ role, path string }{
		{"areas", o.areas}, {"registrations", o.registrations}, {"membership", o.membership},
		{"lookup", o.lookup}, {"centroids", o.centroids}, {"lsoa-polygons", o.lsoaPolygons},
	} {
		if s.path != "" {
			rel.Sources = append(rel.Sources, source(s.role, s.path))
		}
	}
	for _, spec := range o.contexts {
		_, path := splitKind(spec)
		rel.Sources = append(rel.Sources, source("context", path))
	}
	return d, rel, nil
}

// assignLSOAs places LSOAs in areas: by the lookup when there is one, else by locating each LSOA's
// point in the area polygons. With both, the lookup is used and the spatial route only compared.
func assignLSOAs(layer *geo.Layer, lookup *nhs.Lookup, points map[string]orb.Point, o ingestOptions) (map[string]string, []string) {
	var notes []string
	var spatial map[string]string
	if points != nil {
		idx := geo.NewIndex(layer.Features)
		spatial = make(map[string]string, len(points))
		var outside []string
		for code, p := range points {
			if i, ok := idx.Locate(p); ok {
				spatial[code] = idx.Feature(i).Code
			} else {
				outside = append(outside, code)
			}
		}
		slices.Sort(outside)
		// Welsh LSOAs outside English areas are expected; name the others.
		var english []string
		for _, code := range outside {
			if !strings.HasPrefix(code, "W") {
				english = append(english, code)
			}
		}
		if len(outside) > 0 {
			notes = append(notes, fmt.Sprintf("%d LSOA points lie in no area (%d of them Welsh): %s",
				len(outside), len(outside)-len(english), abbreviate(english, 10)))
		}
	}
	if lookup == nil {
		return spatial, notes
	}
	if spatial != nil {
		var differ []string
		for lsoa, area := range lookup.Area {
			if s, ok := spatial[lsoa]; ok && s != area {
				differ = append(differ, lsoa)
			}
		}
		slices.Sort(differ)
		notes = append(notes, fmt.Sprintf("spatial check: %d of %d LSOAs located by point fall in a different area from the lookup: %s",
			len(differ), len(spatial), abbreviate(differ, 10)))
	}
	return lookup.Area, notes
}

func abbreviate(codes []string, n int) string {
	if len(codes) <= n {
		return strings.Join(codes, ", ")
	}
	return strings.Join(codes[:n], ", ") + fmt.Sprintf(" and %d more", len(codes)-n)
}

func source(role, path string) store.Source {
	s := store.Source{Role: role, Name: filepath.Base(path)}
	if fi, err := os.Stat(path); err == nil {
		s.Size = fi.Size()
	}
	return s
}

func isWorkbook(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".xlsx")
}

// splitKind splits "icb=FILE" into its kind and path; a plain path has no kind.
func splitKind(spec string) (kind, path string) {
	if k, p, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(k, `/\.`) {
		return k, p
	}
	return "", spec
}

// isPolygonFile tells boundary polygons from CSV context files: by extension, and for a zip by
// whether it holds a shapefile.
func isPolygonFile(path string) bool {
	lower := strings.ToLower(path)
	for _, ext := range []string{".geojson", ".geojson.gz", ".json", ".json.gz", ".gpkg", ".gpkg.gz", ".shp"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	if strings.HasSuffix(lower, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return false // let the CSV reader report the broken zip
		}
		defer zr.Close()
		for _, f := range zr.File {
			if strings.HasSuffix(strings.ToLower(f.Name), ".shp") {
				return true
			}
		}
	}
	return false
}

// boundaryKind names a boundary layer by its code field (LOC22CD: Sub-ICB locations, ICB22CD, …).
func boundaryKind(field string) string {
	f := strings.ToUpper(field)
	for _, k := range []struct{ prefix, kind string }{
		{"SICBL", "sub-icb"}, {"LOC", "sub-icb"}, {"ICB", "icb"}, {"CCG", "ccg"}, {"STP", "stp"},
		{"LAD", "la"}, {"UTLA", "la"}, {"CTYUA", "la"}, {"NHSER", "nhs-region"}, {"RGN", "region"},
	} {
		if strings.HasPrefix(f, k.prefix) {
			return k.kind
		}
	}
	return ""
}
