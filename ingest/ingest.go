// Package ingest reads the files of one release (area polygons, registrations, PCN membership, the
// LSOA placement and context files) and joins them into an overlap.Dataset. Independent files are read
// in parallel; nothing is written: saving the result is the store's job.
package ingest

import (
	"archive/zip"
	"context"
	"errors"
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
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// Options name the files of a release. Areas, Registrations and Membership are required, and one of
// Lookup, Centroids or LSOAPolygons.
type Options struct {
	Areas         string // area polygons
	Registrations string // the gp-reg-pat-prac-lsoa-all CSV
	Membership    string // the ePCN workbook (.xlsx) or the practice mapping CSV
	// AsOf is the membership date; zero means the registrations' extract date.
	AsOf time.Time
	// Release names the release; "" means the extract month, YYYY-MM.
	Release string
	// Lookup is an LSOA → area CSV. With Centroids or LSOAPolygons as well, the lookup is used and
	// the spatial placement only compared with it.
	Lookup string
	// Centroids are the LSOA population-weighted centroids, LSOAPolygons the LSOA polygons (placed by
	// their point on surface when there are no centroids). The centroids, else the points on surface,
	// are kept as each LSOA's Point, with a lookup too, so that team polygons can later be matched to
	// LSOAs without the file; the polygons of the release's LSOAs are kept as well
	// (Dataset.LSOAPolygons), for apportioning LSOAs between team polygons by area.
	Centroids    string
	LSOAPolygons string
	// CodeField and NameField override the detected area code and name attributes.
	CodeField, NameField string
	// Contexts are context files: CSV lookups, or boundary polygons written as a path or KIND=path.
	Contexts []string
	// Within is a study region, KIND:CODE[,…] (icb:QNC, la:E06000021): only the areas holding most
	// of their LSOAs there are kept, and patients living in the others are counted as outside it.
	Within string
	// Crosswalk is the ONS LSOA 2011 → 2021 lookup: LSOA 2011 registrations are moved onto 2021
	// LSOAs before the join. CrosswalkWeights, optional, weighs the 2021 LSOAs a split 2011 LSOA is
	// divided among (an LSOA → count CSV, e.g. a later release's registrations).
	Crosswalk, CrosswalkWeights string
	// Denominators is an LSOA → patients-at-all-practices CSV (LSOA_Population): the patients of
	// practices outside the registrations file are added as "other practices", in no PCN.
	Denominators string
	// Progress, when set, is called once per input read; it must be safe for concurrent use.
	Progress func()
}

// OtherPractices is the code of the pseudo-practice holding, per LSOA, the patients the
// denominators give beyond the registrations file's practices.
const OtherPractices = "OTHER"

// ErrOptions is returned for options that cannot describe a release.
var ErrOptions = errors.New("ingest: bad options")

// Steps is the number of times Prepare calls Progress for o.
func (o Options) Steps() int {
	n := 2 + len(o.Contexts)
	for _, f := range []string{o.Membership, o.Lookup, o.Crosswalk, o.CrosswalkWeights, o.Denominators} {
		if f != "" {
			n++
		}
	}
	if o.Centroids != "" {
		n++
	}
	if o.LSOAPolygons != "" {
		n++
	}
	return n
}

// Prepare reads every input (in parallel where they are independent) and joins them into a Dataset.
// It writes nothing: saving the result is the store's job.
func Prepare(ctx context.Context, o Options) (*overlap.Dataset, error) {
	d, finish, err := PrepareStaged(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return d, nil
}

// PrepareStaged is Prepare returning before the areas' geometry is final: the join needs only the
// areas' codes, so their cleaning (reprojection, validation, repair: a fifth of the national
// ingest's reading) is left to one goroutine, which a save can run beside it by writing the other
// tables first. finish waits for that cleaning and completes d (the areas' geometry, the note on
// the repaired polygons); it must be called, and have returned nil, before d's areas' geometry or
// its notes are read. Its error is the one Prepare would have returned for the areas file.
func PrepareStaged(ctx context.Context, o Options) (d *overlap.Dataset, finish func() error, err error) {
	switch {
	case o.Areas == "" || o.Registrations == "":
		return nil, nil, fmt.Errorf("%w: areas and registrations are both needed", ErrOptions)
	case o.Lookup == "" && o.Centroids == "" && o.LSOAPolygons == "":
		return nil, nil, fmt.Errorf("%w: a lookup, centroids or LSOA polygons are needed to place LSOAs in areas", ErrOptions)
	}
	d, finish, err = prepare(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	return d, finish, nil
}

func prepare(ctx context.Context, o Options) (*overlap.Dataset, func() error, error) {
	asOf := o.AsOf
	var region []RegionPart
	if o.Within != "" {
		var err error
		if region, err = ParseRegion(o.Within); err != nil {
			return nil, nil, err
		}
	}
	progress := func() {
		if o.Progress != nil {
			o.Progress()
		}
	}

	var (
		layer      *geo.Layer
		regs       *nhs.Registrations
		membership *nhs.Membership
		lookup     *nhs.Lookup
		points     map[string]orb.Point
		lsoaLayer  *geo.Layer
		contexts   []*nhs.Context
		boundaries []overlap.Boundary
		crosswalk  *nhs.Crosswalk
		cwWeights  *nhs.LSOACounts
		denoms     *nhs.LSOACounts
		mu         sync.Mutex
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		// Placed by the lookup alone, the LSOAs need only the areas' codes for the join: their
		// geometry is cleaned after it. Placed by location, they need it at once, and the cleaning
		// runs beside the other reads.
		spatial := o.Centroids != "" || o.LSOAPolygons != ""
		layer, err = geo.ReadFile(o.Areas, geo.ReadOptions{CodeField: o.CodeField, NameField: o.NameField, DeferClean: !spatial})
		progress()
		return inputError(RoleAreas, o.Areas, err)
	})
	g.Go(func() error {
		var err error
		regs, err = nhs.ReadRegistrations(o.Registrations)
		progress()
		return inputError(RoleRegistrations, o.Registrations, err)
	})
	if o.Membership != "" {
		g.Go(func() error {
			var err error
			if isWorkbook(o.Membership) {
				membership, err = nhs.ReadEPCN(o.Membership)
			} else {
				membership, err = nhs.ReadPracticeMap(o.Membership)
			}
			progress()
			return inputError(RoleMembership, o.Membership, err)
		})
	}
	for _, f := range []struct {
		role Role
		path string
		dst  **nhs.LSOACounts
	}{{RoleCrosswalkWeights, o.CrosswalkWeights, &cwWeights}, {RoleDenominators, o.Denominators, &denoms}} {
		if f.path != "" {
			g.Go(func() error {
				var err error
				*f.dst, err = nhs.ReadLSOACounts(f.path)
				progress()
				return inputError(f.role, f.path, err)
			})
		}
	}
	if o.Crosswalk != "" {
		g.Go(func() error {
			var err error
			crosswalk, err = nhs.ReadCrosswalk(o.Crosswalk)
			progress()
			return inputError(RoleCrosswalk, o.Crosswalk, err)
		})
	}
	if o.Lookup != "" {
		g.Go(func() error {
			var err error
			lookup, err = nhs.ReadLookup(o.Lookup)
			progress()
			return inputError(RoleLookup, o.Lookup, err)
		})
	}
	if o.Centroids != "" {
		g.Go(func() error {
			if isPointLayer(o.Centroids) {
				l, err := geo.ReadPointsContext(gctx, o.Centroids, geo.ReadOptions{})
				if err != nil {
					return fmt.Errorf("ingest: --centroids: %w", err)
				}
				points = l.Points
				progress()
				return nil
			}
			c, err := nhs.ReadCentroids(o.Centroids)
			if err != nil {
				return inputError(RoleCentroids, o.Centroids, err)
			}
			points = make(map[string]orb.Point, len(c.Points))
			for code, p := range c.Points {
				points[code] = orb.Point{p.Lon, p.Lat}
			}
			progress()
			return nil
		})
	}
	if o.LSOAPolygons != "" {
		g.Go(func() error {
			var err error
			lsoaLayer, err = geo.ReadFile(o.LSOAPolygons, geo.ReadOptions{})
			progress()
			return inputError(RoleLSOAPolygons, o.LSOAPolygons, err)
		})
	}
	for _, spec := range o.Contexts {
		g.Go(func() error {
			kind, path := splitKind(spec)
			if isPolygonFile(path) {
				l, err := geo.ReadFile(path, geo.ReadOptions{})
				if err != nil {
					return inputError(RoleContext, path, err)
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
					return inputError(RoleContext, path, err)
				}
				mu.Lock()
				contexts = append(contexts, c)
				mu.Unlock()
			}
			progress()
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	// One goroutine, so that the join, and then the save of the other tables, keep a core (a
	// layer read without DeferClean is clean already).
	layer.Clean(1)

	if lsoaLayer != nil && points == nil {
		points = make(map[string]orb.Point, len(lsoaLayer.Features))
		for _, f := range lsoaLayer.Features {
			points[f.Code] = geo.PointOnSurface(f.Geom)
		}
	}
	var notes []string
	denomSource := ""
	release, asOf, dateNotes, err := releaseDates(o, regs, membership)
	if err != nil {
		return nil, nil, err
	}
	notes = append(notes, dateNotes...)
	onto21 := false // registrations already on 2021 LSOAs: the crosswalk only carries profiles
	if crosswalk != nil {
		if g, why := regsGeography(regs); g == "2021" {
			onto21 = true
			notes = append(notes, fmt.Sprintf("--registrations %s is on 2021 LSOAs (%s): --crosswalk %s moves none of them and carries the profile classes of 2011 LSOAs onto 2021 LSOAs",
				filepath.Base(o.Registrations), why, filepath.Base(o.Crosswalk)))
		}
	}
	if crosswalk != nil && !onto21 {
		var weights map[string]float64
		if cwWeights != nil {
			weights = make(map[string]float64, len(cwWeights.Count))
			for l, n := range cwWeights.Count {
				weights[l] = float64(n)
			}
		}
		var m moved
		regs, m = moveRegistrations(regs, crosswalk, weights)
		notes = append(notes, m.note(filepath.Base(o.Crosswalk), weights != nil))
	}
	geography, err := checkGeography(o, regs, lookup, points, layer)
	if err != nil {
		return nil, nil, err
	}
	var (
		members   map[string]string
		conflicts []nhs.Conflict
		names     map[string]string
	)
	switch {
	case membership != nil && !regs.ByPCN:
		members, conflicts = membership.AsOf(asOf)
		names = make(map[string]string, len(membership.PCNs))
		for _, p := range membership.PCNs {
			names[p.Code] = p.Name
		}
	case regs.PCNOf != nil:
		members, names = make(map[string]string, len(regs.PCNOf)), make(map[string]string, len(regs.PCNOf))
		for practice, p := range regs.PCNOf {
			members[practice], names[p.Code] = p.Code, p.Name
		}
		what := "practice → PCN membership taken from the registrations' PCN columns"
		if regs.ByPCN {
			what = "the registrations give patients by PCN, not by practice: each PCN is its own member"
			if membership != nil {
				what += " (--membership is not used)"
			}
		}
		notes = append(notes, what)
	default:
		return nil, nil, fmt.Errorf("%w: %s has no PCN columns, so --membership (the ePCN workbook or the practice mapping file) is needed", ErrOptions, o.Registrations)
	}
	if denoms != nil || regs.Denominators != nil {
		src, counts := "", regs.Denominators
		if denoms != nil {
			src, counts = filepath.Base(o.Denominators)+" ("+denoms.Column+")", denoms.Count
		} else {
			src = filepath.Base(o.Registrations) + " (its LSOA totals)"
		}
		var n string
		regs, n = addOtherPractices(regs, counts, src)
		notes = append(notes, n)
		denomSource = src
	}
	// Context files in a stable order, whatever order the goroutines finished in.
	slices.SortFunc(contexts, func(a, b *nhs.Context) int { return strings.Compare(a.Source, b.Source) })
	var carry carried
	if geography == "2021" {
		carry = carryProfiles(contexts, crosswalk)
		notes = append(notes, carry.notes...)
	}

	repairedAt := len(notes) // where the note on the areas' repaired polygons goes, once they are known
	if lsoaLayer != nil && len(lsoaLayer.Repaired) > 0 {
		notes = append(notes, fmt.Sprintf("%s: repaired %d invalid polygons: %s", filepath.Base(o.LSOAPolygons), len(lsoaLayer.Repaired), abbreviate(lsoaLayer.Repaired, 20)))
	}
	if len(conflicts) > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d practices had two PCN relationships active on %s; the later-starting one was used", filepath.Base(o.Membership), len(conflicts), asOf.Format("2006-01-02")))
	}
	assign, spatialNotes := assignLSOAs(layer, lookup, points)
	notes = append(notes, spatialNotes...)

	suggestion := suggestRegion(regs.ICBOf, len(regs.Practices), "")
	named := suggestion != ""
	if regs.ICBOf == nil && region == nil {
		// Files without ICB_CODE (every 2011-era file, an analyst's cut of one): each practice's ICB
		// is where most of its patients live, so a cut to a few ICBs' practices still gets the hint.
		suggestion = suggestRegion(practiceICBs(regs, contexts), len(regs.Practices), ", by where their patients live")
	}
	if region != nil || named {
		// A regional study: the PCNs are those with member practices in the file, not every PCN
		// of England the membership names.
		inFile := make(map[string]bool, len(regs.Practices))
		for _, p := range regs.Practices {
			inFile[p.Code] = true
		}
		kept := make(map[string]string, len(regs.Practices))
		for practice, pcn := range members {
			if inFile[practice] {
				kept[practice] = pcn
			}
		}
		members = kept
	}
	areas, outside, regionName := layer.Features, map[string]bool(nil), ""
	if region != nil {
		in, desc, err := regionAreas(region, contexts, assign)
		if err != nil {
			return nil, nil, err
		}
		regionName = desc
		areas = make([]geo.Feature, 0, len(in))
		for _, f := range layer.Features {
			if in[f.Code] {
				areas = append(areas, f)
			}
		}
		outside = map[string]bool{}
		kept := make(map[string]string, len(assign))
		for lsoa, area := range assign {
			if in[area] {
				kept[lsoa] = area
			} else {
				outside[lsoa] = true
			}
		}
		assign = kept
	} else if suggestion != "" {
		notes = append(notes, suggestion)
	}
	d, err := overlap.Build(ctx, overlap.Inputs{
		Release: release, ExtractDate: regs.ExtractDate, AsOf: asOf,
		Areas: areas, Registrations: regs, Members: members, PCNNames: names,
		Assign: assign, Points: points, Contexts: contexts, MembershipConflicts: len(conflicts),
		Outside: outside, Geography: geography, Region: regionName,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: %w", err)
	}
	slices.SortFunc(boundaries, func(a, b overlap.Boundary) int {
		return strings.Compare(a.Kind+"\x00"+a.Code, b.Kind+"\x00"+b.Code)
	})
	d.Boundaries = boundaries
	if lsoaLayer != nil {
		d.LSOAPolygons = releasePolygons(d, lsoaLayer)
		if len(d.LSOAPolygons) == 0 {
			return nil, nil, fmt.Errorf("ingest: --lsoa-polygons %s: none of its %d features (codes from field %q) is an LSOA of the registrations placed in an area", o.LSOAPolygons, len(lsoaLayer.Features), lsoaLayer.CodeField)
		}
	}
	if n := d.Coverage.LookupOutside; n > 0 {
		notes = append(notes, fmt.Sprintf("%d LSOAs of the lookup map to areas absent from %s; their patients are counted as unassigned", n, filepath.Base(o.Areas)))
	}
	d.Notes = notes
	d.Coverage.Denominators = denomSource
	for k, label := range carry.labels {
		if d.Coverage.Carried == nil {
			d.Coverage.Carried = map[string]string{}
		}
		d.Coverage.Carried[k] = label
	}
	for _, s := range []struct{ role, path string }{
		{"areas", o.Areas}, {"registrations", o.Registrations}, {"membership", o.Membership},
		{"lookup", o.Lookup}, {"centroids", o.Centroids}, {"lsoa-polygons", o.LSOAPolygons},
		{"crosswalk", o.Crosswalk}, {"crosswalk-weights", o.CrosswalkWeights}, {"denominators", o.Denominators},
	} {
		if s.path != "" {
			d.Sources = append(d.Sources, source(s.role, s.path))
		}
	}
	for _, spec := range o.Contexts {
		_, path := splitKind(spec)
		d.Sources = append(d.Sources, source("context", path))
	}
	var (
		once sync.Once
		ferr error
	)
	finish := func() error {
		once.Do(func() { ferr = finishAreas(d, layer, o.Areas, repairedAt) })
		return ferr
	}
	return d, finish, nil
}

// finishAreas waits for the cleaning of the areas of layer (read with geo.ReadOptions.DeferClean),
// puts their geometry into d's areas and the note on the repaired ones at position at of d.Notes.
func finishAreas(d *overlap.Dataset, layer *geo.Layer, path string, at int) error {
	if err := layer.Wait(); err != nil {
		return inputError(RoleAreas, path, err)
	}
	byCode := make(map[string]int, len(layer.Features))
	for i := range layer.Features {
		byCode[layer.Features[i].Code] = i
	}
	for i := range d.Areas {
		a := &d.Areas[i]
		j, ok := byCode[a.Code]
		if !ok {
			return fmt.Errorf("ingest: --areas %s: area %s of the release is not in the file read", path, a.Code)
		}
		a.Feature = layer.Features[j]
	}
	if len(layer.Repaired) > 0 {
		d.Notes = slices.Insert(d.Notes, at, fmt.Sprintf("%s: repaired %d invalid polygons: %s", filepath.Base(path), len(layer.Repaired), abbreviate(layer.Repaired, 20)))
	}
	return nil
}

// assignLSOAs places LSOAs in areas: by the lookup when there is one, else by locating each LSOA's
// point in the area polygons. With both, the lookup is used and the spatial route only compared.
func assignLSOAs(layer *geo.Layer, lookup *nhs.Lookup, points map[string]orb.Point) (map[string]string, []string) {
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
		note := fmt.Sprintf("spatial check: %d of %d LSOAs located by point fall in a different area from the lookup", len(differ), len(spatial))
		if len(differ) > 0 {
			note += ": " + abbreviate(differ, 10)
		}
		notes = append(notes, note)
	}
	return lookup.Area, notes
}

// releasePolygons returns the features of layer that are LSOAs of d, sorted by code, with their
// bounds: the others could never be apportioned to a team of this release.
func releasePolygons(d *overlap.Dataset, layer *geo.Layer) []geo.Feature {
	lsoa := make(map[string]bool, len(d.LSOAs))
	for i := range d.LSOAs {
		lsoa[d.LSOAs[i].Code] = true
	}
	var out []geo.Feature
	for _, f := range layer.Features {
		if lsoa[f.Code] {
			if f.Bound == (orb.Bound{}) {
				f.Bound = f.Geom.Bound()
			}
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b geo.Feature) int { return strings.Compare(a.Code, b.Code) })
	return out
}

func abbreviate(codes []string, n int) string {
	if len(codes) <= n {
		return strings.Join(codes, ", ")
	}
	return strings.Join(codes[:n], ", ") + fmt.Sprintf(" and %d more", len(codes)-n)
}

func source(role, path string) overlap.Source {
	s := overlap.Source{Role: role, Name: filepath.Base(path)}
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

// isPointLayer tells a points layer (the ONS centroids as a Shapefile, a directory holding one, a
// zipped one, or GeoJSON) from a centroid CSV.
func isPointLayer(path string) bool {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return true
	}
	return isPolygonFile(path)
}
