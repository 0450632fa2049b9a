package report

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report/svg"
	"pcnmap/tiles"
)

// LowCoverage defines the data-quality flag for areas whose registered residents fall far below
// what their size leads one to expect. MSOAs are drawn to hold similar populations (5,000 to 15,000
// residents), so the usual registered(a) of a unit's areas is their median; an area is flagged when
// registered(a) < LowCoverage × that median. Such areas are typically on the border with Wales or
// Scotland (residents registered with practices outside the file) or have many residents who rarely
// register (students, armed forces, prisons).
const LowCoverage = 0.5

// TopPairs is how many overlapping pairs of PCNs a document lists.
const TopPairs = 10

// topPractices is how many practices in no PCN a document names.
const topPractices = 10

// maxAreaLines is the number of areas above which a map leaves out the lines between areas.
const maxAreaLines = 1500

// Attribution is the licence line every document carries.
const Attribution = "Contains NHS Digital data; contains Office for National Statistics data; contains OS data © Crown copyright and database right. Licensed under the Open Government Licence v3.0."

// scope is one document's areas: a unit of some kind, or the whole release (kind KindUnset).
type scope struct {
	kind       nhs.Kind
	code, name string
	areas      []int32 // ascending
}

// file is the document's base name without extension.
func (s scope) file() string {
	if s.kind == nhs.KindUnset {
		return "report"
	}
	return s.kind.String() + "-" + safeName(s.code)
}

// safeName keeps letters, digits, '-' and '_' so that a unit code is a file name on every system.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

// practiceCount is the residents of an area (or a unit) registered with one practice.
type practiceCount struct {
	practice int32
	patients int64
}

// run holds what every document of one Write shares. It is read-only once built, so documents are
// made concurrently from it.
type run struct {
	d   *overlap.Dataset
	opt Options
	am  []overlap.AreaMetrics
	// pm are every PCN's metrics, or nil when the documents are about one unit: pcnMetrics then
	// computes those of its few PCNs.
	pm     []overlap.PCNMetrics
	shapes *mapShapes
	// based is, per PCN, the unit of kind opt.By where most of its resident patients live; nil for
	// one unit's document, which asks only of the PCNs with cells there (basedIn).
	based []string
	// noPCN is, per area, its residents registered with practices in no PCN, by practice.
	noPCN [][]practiceCount
	// icbGroup numbers each area's ICB, for the ICB lines of a map of the whole release (nil when
	// the release has no ICBs).
	icbGroup []int32
	all      figures
}

// mapShapes are the areas' shapes for the documents' maps, prepared on another core (prepareShapes)
// while the rest is derived: a document waits for them at its map only.
type mapShapes struct {
	done   chan struct{}
	shapes *tiles.Shapes
	err    error
}

// prepareShapes starts preparing d's areas with the options the map server uses, so that the
// documents' maps are the tiles' geometry, at the zooms of the maps of the documents scs only
// (mapZooms). Call wait before returning, on an error too, so that nothing outlives the documents'
// making.
func prepareShapes(ctx context.Context, d *overlap.Dataset, scs []scope) *mapShapes {
	features := make([]geo.Feature, len(d.Areas))
	for i := range d.Areas {
		features[i] = d.Areas[i].Feature
	}
	m := &mapShapes{done: make(chan struct{})}
	go func() {
		defer close(m.done)
		m.shapes, m.err = tiles.Prepare(ctx, features, tiles.Options{Zooms: mapZooms(d, scs)})
	}()
	return m
}

// mapZooms lists the zooms the maps of the documents scs are drawn at (unitMap). A level is the same
// however many are prepared, so the maps are byte for byte those of shapes prepared at every zoom.
func mapZooms(d *overlap.Dataset, scs []scope) []int {
	var seen [tiles.MaxZoom + 1]bool
	zooms := []int{}
	for _, sc := range scs {
		if len(sc.areas) == 0 {
			continue
		}
		m := svg.Map{Bound: scopeBound(d, sc)}
		if z := m.Zoom(); !seen[z] {
			seen[z] = true
			zooms = append(zooms, z)
		}
	}
	return zooms
}

// scopeBound is the WGS84 bound of sc's areas (at least one).
func scopeBound(d *overlap.Dataset, sc scope) orb.Bound {
	var bound orb.Bound
	for i, a := range sc.areas {
		if i == 0 {
			bound = d.Areas[a].Bound
		} else {
			bound = bound.Union(d.Areas[a].Bound)
		}
	}
	return bound
}

// wait returns the prepared shapes once they are.
func (m *mapShapes) wait() (*tiles.Shapes, error) {
	<-m.done
	if m.err != nil {
		return nil, fmt.Errorf("report: %w", m.err)
	}
	return m.shapes, nil
}

// newRun derives what the documents share; shapes are the areas' (prepareShapes), waited for by
// the maps.
func newRun(ctx context.Context, d *overlap.Dataset, opt Options, am []overlap.AreaMetrics, pm []overlap.PCNMetrics, shapes *mapShapes) (*run, error) {
	r := &run{d: d, opt: opt, am: am, pm: pm, shapes: shapes}
	if opt.By != nhs.KindUnset && opt.Unit == "" {
		r.based = d.PCNUnits(opt.By)
	}
	r.noPCN = make([][]practiceCount, len(d.Areas))
	for _, c := range d.NoPCNCells {
		r.noPCN[c.Area] = append(r.noPCN[c.Area], practiceCount{c.Practice, c.Patients})
	}
	if icbs := d.Units[nhs.KindICB]; len(icbs) > 0 {
		codes := make([]string, 0, len(icbs))
		for c := range icbs {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		r.icbGroup = make([]int32, len(d.Areas))
		for i := range d.Areas {
			k, _ := slices.BinarySearch(codes, d.Areas[i].Units[nhs.KindICB])
			r.icbGroup[i] = int32(k)
		}
	}
	all := make([]int32, len(d.Areas))
	for i := range all {
		all[i] = int32(i)
	}
	r.all = r.figures(all, len(d.PCNs))
	return r, nil
}

// scopes lists the documents opt asks for of d, sorted by code.
func scopes(d *overlap.Dataset, opt Options) ([]scope, error) {
	kind := opt.By
	if kind == nhs.KindUnset && opt.Unit != "" {
		for _, k := range unitKinds {
			if _, ok := d.Units[k][opt.Unit]; ok {
				kind = k
				break
			}
		}
		if kind == nhs.KindUnset {
			return nil, fmt.Errorf("%w: no unit has the code %q in release %s", ErrOptions, opt.Unit, d.Release)
		}
	}
	if kind == nhs.KindUnset {
		all := make([]int32, len(d.Areas))
		for i := range all {
			all[i] = int32(i)
		}
		return []scope{{code: d.Release, name: "All areas", areas: all}}, nil
	}
	if len(d.Units[kind]) == 0 {
		return nil, fmt.Errorf("%w: release %s has no %s units: ingest it with a context file that gives them", ErrOptions, d.Release, kind)
	}
	if opt.Unit != "" {
		if _, ok := d.Units[kind][opt.Unit]; !ok {
			return nil, fmt.Errorf("%w: release %s has no %s with the code %q", ErrOptions, d.Release, kind, opt.Unit)
		}
	}
	groups := make(map[string][]int32)
	for i := range d.Areas {
		if u := d.Areas[i].Units[kind]; u != "" && (opt.Unit == "" || u == opt.Unit) {
			groups[u] = append(groups[u], int32(i))
		}
	}
	out := make([]scope, 0, len(groups))
	for code, areas := range groups {
		out = append(out, scope{kind: kind, code: code, name: d.Units[kind][code], areas: areas})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no area of release %s lies mostly in %s %s", ErrOptions, d.Release, kind, opt.Unit)
	}
	slices.SortFunc(out, func(x, y scope) int { return strings.Compare(x.code, y.code) })
	return out, nil
}

// figures are the headline numbers of a set of areas.
type figures struct {
	Areas             int
	Registered, InPCN int64
	Urban             int
	Based             int // PCNs placed in the unit
	Serving           int // PCNs holding at least the threshold of some area's residents
	Any, At           overlap.Stats
	MedianRegistered  float64
}

func (r *run) figures(areas []int32, based int) figures {
	d := r.d
	f := figures{Areas: len(areas), Based: based}
	anyV := make([]int64, len(areas))
	atV := make([]int64, len(areas))
	reg := make([]int64, len(areas))
	serving := make([]bool, len(d.PCNs))
	for i, a := range areas {
		ar := &d.Areas[a]
		f.Registered += ar.Registered
		f.InPCN += ar.InPCN
		if ar.Urban() {
			f.Urban++
		}
		anyV[i], atV[i], reg[i] = int64(r.am[a].PCNsAny), int64(r.am[a].PCNs), ar.Registered
		for _, c := range d.AreaCells(int(a)) {
			if d.Serves(c, r.opt.Threshold) && !serving[c.PCN] {
				serving[c.PCN] = true
				f.Serving++
			}
		}
	}
	f.Any = overlap.Describe(anyV, true)
	f.At = overlap.Describe(atV, true)
	f.MedianRegistered = overlap.Describe(reg, false).Median
	return f
}

// document is what the unit template shows; every figure is formatted already.
type document struct {
	Title       string
	KindTitle   string // "ICB", or "Release" for the whole release
	Code, Name  string
	Release     releaseInfo
	UnitColumn  string
	Compare     bool // the headline has an "All areas" column to compare with
	Headline    []headRow
	Histogram   template.HTML
	HistTitle   string
	HistNote    string
	Map         template.HTML
	MapTitle    string
	MapNote     string
	PCNs        []pcnRow
	PCNNote     string
	Pairs       []pairRow
	Quality     quality
	Sections    []section
	Index       string // link back to the index page, "" when there is none
	Attribution string
}

type releaseInfo struct {
	Name, ExtractDate, AsOf string
	Threshold, Core         string
	Sources                 []sourceRow
	Notes                   []string
}

type sourceRow struct{ Role, Name, Size string }

type headRow struct{ Label, Unit, All string }

type pcnRow struct {
	Code, Name                       string
	Based                            bool
	Practices, ListSize              string
	Here, HereShare                  string
	AreasHere, Areas, Core, CoreHere string
	Containment                      string
}

type pairRow struct {
	Code1, Name1, Code2, Name2 string
	Shared, Overlap, Share     string
}

type quality struct {
	Coverage      []coverageRow
	NoPCN         string // the unit's residents registered with practices in no PCN
	NoPCNRows     []practiceRow
	NoPCNMore     string
	Membership    []string
	LowCoverage   []lowRow
	LowDefinition string
}

type coverageRow struct{ Label, Rows, Patients, LSOAs string }

type practiceRow struct{ Code, Name, Patients string }

type lowRow struct{ Code, Name, Registered, OfMedian, Rurality string }

type section struct {
	Title string
	Body  template.HTML
}

// document builds the document of one scope.
func (r *run) document(ctx context.Context, sc scope) (*document, figures, error) {
	d, t := r.d, r.opt.Threshold
	ts := overlap.FormatThreshold(t)
	doc := &document{
		KindTitle: kindTitle(sc.kind), Code: sc.code, Name: sc.name,
		Release:     r.releaseInfo(),
		Attribution: Attribution,
	}
	if sc.kind == nhs.KindUnset {
		doc.Title = "PCN overlap: all areas of release " + d.Release
		doc.UnitColumn = "These areas"
	} else {
		doc.Title = "PCN overlap: " + sc.name + " (" + kindTitle(sc.kind) + " " + sc.code + ")"
		doc.UnitColumn = "This " + kindTitle(sc.kind)
		doc.Compare = true
		// A PDF would resolve the relative link to where it was printed from: no link there.
		if r.opt.By != nhs.KindUnset && r.opt.Format == FormatHTML {
			doc.Index = "index.html"
		}
	}

	// PCNs placed in the unit, and what each has here.
	here := make(map[int32]*pcnHere)
	for _, a := range sc.areas {
		for _, c := range d.AreaCells(int(a)) {
			if c.Patients <= 0 {
				continue
			}
			h := here[c.PCN]
			if h == nil {
				h = &pcnHere{pcn: c.PCN}
				here[c.PCN] = h
			}
			h.patients += int64(c.Patients)
			if d.Serves(c, t) {
				h.areas++
			}
		}
	}
	basedIn := r.basedIn(sc)
	based := 0
	for _, b := range basedIn {
		if b {
			based++
		}
	}
	f := r.figures(sc.areas, based)
	doc.Headline = r.headline(f, sc, ts)

	// Histogram of PCNs per area at the threshold, urban and rural side by side.
	hist, err := r.histogram(sc, f, ts)
	if err != nil {
		return nil, figures{}, err
	}
	doc.Histogram = hist
	doc.HistTitle = "PCNs per area at ≥ " + ts + " of the area's registered residents"
	doc.HistNote = "Bars are shares of the areas, so that groups of different sizes compare."
	if len(d.Units[nhs.KindRurality]) > 0 {
		doc.HistNote = "Bars are shares of the urban and of the rural areas, so that the two compare; an area is urban when most of its registered residents live in LSOAs the ONS rural-urban classification calls urban."
	}

	// The tables before the map: the map waits for its shapes, prepared on another core meanwhile.
	doc.PCNs = r.pcnRows(sc, here, basedIn)
	doc.PCNNote = fmt.Sprintf("%d PCNs hold ≥ %s of some area's registered residents here or are placed here; %s of them are placed here.",
		len(doc.PCNs), ts, strconv.Itoa(based))
	doc.Pairs = r.pairRows(sc, here)
	doc.Quality = r.quality(sc, f)

	m, note, err := r.unitMap(ctx, sc, ts)
	if err != nil {
		return nil, figures{}, err
	}
	doc.Map, doc.MapNote = m, note
	doc.MapTitle = "Areas coloured by the number of PCNs holding ≥ " + ts + " of their registered residents"

	for _, s := range r.opt.Sections {
		body, err := s.HTML(ctx, Scope{Dataset: d, Kind: sc.kind, Code: sc.code, Name: sc.name, Areas: sc.areas, Threshold: t})
		if err != nil {
			return nil, figures{}, fmt.Errorf("report: section %q of %s: %w", s.Title(), sc.code, err)
		}
		doc.Sections = append(doc.Sections, section{Title: s.Title(), Body: body})
	}
	return doc, f, nil
}

type pcnHere struct {
	pcn      int32
	patients int64 // patients living in the unit's areas
	areas    int   // the unit's areas where the PCN holds ≥ t
}

// basedIn reports, per PCN, whether it is placed in sc: most of its resident patients live there
// (every PCN is, for the whole release).
func (r *run) basedIn(sc scope) []bool {
	out := make([]bool, len(r.d.PCNs))
	if sc.kind == nhs.KindUnset {
		for p := range out {
			out[p] = true
		}
		return out
	}
	if r.based != nil && sc.kind == r.opt.By {
		for p := range out {
			out[p] = r.based[p] == sc.code
		}
		return out
	}
	// One document: a PCN placed here has a cell here, so only those PCNs are asked, one by one.
	asked := make([]bool, len(out))
	for _, a := range sc.areas {
		for _, c := range r.d.AreaCells(int(a)) {
			if !asked[c.PCN] {
				asked[c.PCN] = true
				out[c.PCN] = r.d.PCNUnit(int(c.PCN), sc.kind) == sc.code
			}
		}
	}
	return out
}

func (r *run) ext() string {
	if r.opt.Format == FormatPDF {
		return "pdf"
	}
	return "html"
}

func (r *run) releaseInfo() releaseInfo {
	d := r.d
	ri := releaseInfo{Name: d.Release, Threshold: overlap.FormatThreshold(r.opt.Threshold), Core: overlap.FormatThreshold(r.opt.Core),
		ExtractDate: "unknown", AsOf: "unknown", Notes: d.Notes}
	if !d.ExtractDate.IsZero() {
		ri.ExtractDate = d.ExtractDate.Format("2 January 2006")
	}
	if !d.AsOf.IsZero() {
		ri.AsOf = d.AsOf.Format("2 January 2006")
	}
	for _, s := range d.Sources {
		ri.Sources = append(ri.Sources, sourceRow{Role: s.Role, Name: s.Name, Size: commas(s.Size) + " bytes"})
	}
	return ri
}

func (r *run) headline(f figures, sc scope, ts string) []headRow {
	a := r.all
	rows := []headRow{
		{"Areas (MSOAs)", commas(int64(f.Areas)), commas(int64(a.Areas))},
		{"Registered residents", commas(f.Registered), commas(a.Registered)},
		{"… registered with a practice in no PCN", countShare(f.Registered-f.InPCN, f.Registered), countShare(a.Registered-a.InPCN, a.Registered)},
	}
	if len(r.d.Units[nhs.KindRurality]) > 0 {
		rows = append(rows, headRow{"Urban areas", countShare(int64(f.Urban), int64(f.Areas)), countShare(int64(a.Urban), int64(a.Areas))})
	}
	basedLabel := "PCNs placed here (most of their resident patients live here)"
	if sc.kind == nhs.KindUnset {
		basedLabel = "PCNs"
	}
	rows = append(rows,
		headRow{basedLabel, commas(int64(f.Based)), commas(int64(a.Based))},
		headRow{"PCNs holding ≥ " + ts + " of some area's residents", commas(int64(f.Serving)), commas(int64(a.Serving))},
		headRow{"PCNs per area, any patients (t = 0): mean", fixed(f.Any.Mean, 2), fixed(a.Any.Mean, 2)},
		headRow{"PCNs per area, any patients (t = 0): SD", fixed(f.Any.SD, 2), fixed(a.Any.SD, 2)},
		headRow{"PCNs per area at t = " + ts + ": mean", fixed(f.At.Mean, 2), fixed(a.At.Mean, 2)},
		headRow{"PCNs per area at t = " + ts + ": SD", fixed(f.At.SD, 2), fixed(a.At.SD, 2)},
		headRow{"PCNs per area at t = " + ts + ": median (P10–P90)", spread(f.At), spread(a.At)},
	)
	return rows
}

func (r *run) histogram(sc scope, f figures, ts string) (template.HTML, error) {
	d := r.d
	lo, hi := int(f.At.Min), int(f.At.Max)
	if f.Areas == 0 {
		lo, hi = 0, 0
	}
	cats := make([]string, 0, hi-lo+1)
	for k := lo; k <= hi; k++ {
		cats = append(cats, strconv.Itoa(k))
	}
	var series []svg.BarSeries
	if len(d.Units[nhs.KindRurality]) > 0 {
		urban, rural := make([]int, len(cats)), make([]int, len(cats))
		for _, a := range sc.areas {
			k := int(r.am[a].PCNs) - lo
			if d.Areas[a].Urban() {
				urban[k]++
			} else {
				rural[k]++
			}
		}
		series = []svg.BarSeries{{Name: "Urban", Counts: urban}, {Name: "Rural", Counts: rural}}
	} else {
		all := make([]int, len(cats))
		for _, a := range sc.areas {
			all[int(r.am[a].PCNs)-lo]++
		}
		series = []svg.BarSeries{{Name: "All areas", Counts: all}}
	}
	b := svg.Bars{Title: "PCNs per area at ≥ " + ts + ", " + sc.name, XLabel: "PCNs holding ≥ " + ts + " of the area's registered residents",
		Categories: cats, Series: series, Noun: "areas"}
	var sb strings.Builder
	if err := b.Write(&sb); err != nil {
		return "", fmt.Errorf("report: histogram of %s: %w", sc.code, err)
	}
	return template.HTML(sb.String()), nil // trusted: package svg escapes every text it writes
}

// classes are the legend of the PCNs-per-area maps: 1 … 7 and 8 or more, with 0 in grey.
func pcnClasses() []svg.Swatch {
	out := make([]svg.Swatch, 0, len(svg.Sequential)+1)
	out = append(out, svg.Swatch{Label: "0", Fill: svg.NoData})
	for k, c := range svg.Sequential {
		label := strconv.Itoa(k + 1)
		if k == len(svg.Sequential)-1 {
			label += " or more"
		}
		out = append(out, svg.Swatch{Label: label, Fill: c})
	}
	return out
}

func (r *run) unitMap(ctx context.Context, sc scope, ts string) (template.HTML, string, error) {
	d := r.d
	if len(sc.areas) == 0 {
		return "", "No areas.", nil
	}
	features := make([]int, len(sc.areas))
	for i, a := range sc.areas {
		features[i] = int(a)
	}
	bound := scopeBound(d, sc)
	shapes, err := r.shapes.wait()
	if err != nil {
		return "", "", err
	}
	classes := pcnClasses()
	m := svg.Map{
		Title: "PCNs per area, " + sc.name, Shapes: shapes, Features: features, Bound: bound,
		Class: func(i int) int { return min(int(r.am[i].PCNs), len(classes)-1) },
		Code:  func(i int) string { return d.Areas[i].Code },
		Label: func(i int) string {
			a, m := &d.Areas[i], r.am[i]
			s := fmt.Sprintf("%s %s: %d PCNs ≥ %s (%d with any patients)", a.Code, a.Name, m.PCNs, ts, m.PCNsAny)
			if m.Dominant != overlap.NoPCN {
				s += fmt.Sprintf("; dominant %s %s (%s)", d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name, percent(m.DominantShare))
			}
			return s
		},
		Legend:    classes,
		AreaLines: len(features) <= maxAreaLines,
		Outline:   "outline of the " + kindNoun(sc.kind),
	}
	note := "Thin white lines separate areas; dark lines separate areas with different dominant PCNs (the PCN with most patients there)."
	if sc.kind == nhs.KindUnset && len(features) > maxAreaLines {
		note = "Areas are too many to outline one by one."
		if r.icbGroup != nil {
			note += " Dark lines are ICB boundaries (each area in the ICB where most of its registered residents live)."
		}
	}
	switch {
	case sc.kind == nhs.KindUnset && len(features) > maxAreaLines && r.icbGroup != nil:
		m.Group = func(i int) int32 { return r.icbGroup[i] }
		m.GroupLine = "ICB boundary"
	case len(features) <= maxAreaLines:
		m.Group = func(i int) int32 { return r.am[i].Dominant }
		m.GroupLine = "dominant PCN changes"
	}
	note += " Geometry: the map tiles' shapes, simplified to under a pixel; Web Mercator."
	var sb strings.Builder
	if _, err := m.Write(ctx, &sb); err != nil {
		return "", "", fmt.Errorf("report: map of %s: %w", sc.code, err)
	}
	return template.HTML(sb.String()), note, nil // trusted: package svg escapes every text it writes
}

// kindNoun names a kind of unit inside a sentence.
func kindNoun(k nhs.Kind) string {
	switch k {
	case nhs.KindUnset:
		return "areas"
	case nhs.KindLA, nhs.KindRegion:
		return strings.ToLower(kindTitle(k))
	}
	return kindTitle(k)
}

// pcnMetrics returns PCN p's metrics: r.pm's, else computed (the same figures).
func (r *run) pcnMetrics(p int) overlap.PCNMetrics {
	if r.pm != nil {
		return r.pm[p]
	}
	return r.d.PCNAt(p, r.opt.Threshold, r.opt.Core, r.am)
}

func (r *run) pcnRows(sc scope, here map[int32]*pcnHere, basedIn []bool) []pcnRow {
	d := r.d
	type entry struct {
		p     int32
		based bool
		h     pcnHere
	}
	var es []entry
	for p := range d.PCNs {
		h, ok := here[int32(p)]
		based := basedIn[p]
		if !based && (!ok || h.areas == 0) {
			continue
		}
		e := entry{p: int32(p), based: based}
		if ok {
			e.h = *h
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(x, y entry) int {
		return cmp.Or(cmp.Compare(y.h.patients, x.h.patients), strings.Compare(d.PCNs[x.p].Code, d.PCNs[y.p].Code))
	})
	in := make(map[int32]bool, len(sc.areas))
	for _, a := range sc.areas {
		in[a] = true
	}
	rows := make([]pcnRow, len(es))
	for i, e := range es {
		p, m := &d.PCNs[e.p], r.pcnMetrics(int(e.p))
		core := d.CoreAreas(int(e.p), r.opt.Core)
		coreHere := 0
		for _, a := range core {
			if in[a] {
				coreHere++
			}
		}
		rows[i] = pcnRow{
			Code: p.Code, Name: p.Name, Based: e.based,
			Practices: strconv.Itoa(len(p.Practices)), ListSize: commas(p.ListSize),
			Here: commas(e.h.patients), HereShare: percent(ratio(e.h.patients, p.Resident)),
			AreasHere: strconv.Itoa(e.h.areas), Areas: strconv.Itoa(int(m.Areas)),
			Core: strconv.Itoa(int(m.Core)), CoreHere: strconv.Itoa(coreHere),
			Containment: percent(m.Containment),
		}
	}
	return rows
}

// pairRows are the TopPairs pairs of PCNs with the largest overlap in the unit's areas, among the
// pairs that both hold ≥ t of at least one of its areas.
func (r *run) pairRows(sc scope, here map[int32]*pcnHere) []pairRow {
	d := r.d
	es := d.PairsIn(sc.areas, r.opt.Threshold) // sorted by P1, P2: stable under the sort below
	slices.SortStableFunc(es, func(x, y overlap.Pair) int { return cmp.Compare(y.Overlap, x.Overlap) })
	es = es[:min(len(es), TopPairs)]
	rows := make([]pairRow, len(es))
	for i, e := range es {
		p1, p2 := &d.PCNs[e.P1], &d.PCNs[e.P2]
		smaller := min(here[e.P1].patients, here[e.P2].patients)
		rows[i] = pairRow{Code1: p1.Code, Name1: p1.Name, Code2: p2.Code, Name2: p2.Name,
			Shared: strconv.Itoa(int(e.Shared)), Overlap: commas(e.Overlap), Share: percent(ratio(e.Overlap, smaller))}
	}
	return rows
}

func (r *run) quality(sc scope, f figures) quality {
	d := r.d
	c := d.Coverage
	var q quality
	row := func(label string, n overlap.Count) coverageRow {
		l := ""
		if n.LSOAs > 0 {
			l = commas(int64(n.LSOAs))
		}
		return coverageRow{label, commas(n.Rows), commas(n.Patients), l}
	}
	// The categories that hold rows in this release, placed and total always.
	for i, cat := range c.Categories() {
		if i == 0 || cat.Count.Rows > 0 {
			label := strings.ToUpper(cat.Label[:1]) + cat.Label[1:]
			q.Coverage = append(q.Coverage, row(label, cat.Count))
		}
	}
	q.Coverage = append(q.Coverage, row("Total", c.Total))

	byPractice := make(map[int32]int64)
	for _, a := range sc.areas {
		for _, pc := range r.noPCN[a] {
			byPractice[pc.practice] += pc.patients
		}
	}
	list := make([]practiceCount, 0, len(byPractice))
	for p, n := range byPractice {
		list = append(list, practiceCount{p, n})
	}
	slices.SortFunc(list, func(x, y practiceCount) int {
		return cmp.Or(cmp.Compare(y.patients, x.patients), strings.Compare(d.Practices[x.practice].Code, d.Practices[y.practice].Code))
	})
	q.NoPCN = fmt.Sprintf("%s of the %s registered residents of these areas (%s) are registered with %d practices in no PCN on the membership date; in the whole release, %s practices in no PCN hold %s patients. They count in registered(a) but in no PCN's share.",
		commas(f.Registered-f.InPCN), commas(f.Registered), percent(ratio(f.Registered-f.InPCN, f.Registered)), len(list),
		commas(int64(c.NoPCN.Practices)), commas(c.NoPCN.Patients))
	for _, pc := range list[:min(len(list), topPractices)] {
		p := &d.Practices[pc.practice]
		q.NoPCNRows = append(q.NoPCNRows, practiceRow{p.Code, p.Name, commas(pc.patients)})
	}
	if n := len(list) - topPractices; n > 0 {
		q.NoPCNMore = fmt.Sprintf("and %d more practices.", n)
	}
	if c.AbsentMembers > 0 {
		q.Membership = append(q.Membership, fmt.Sprintf("%d PCN member practices have no registered patients in the file.", c.AbsentMembers))
	}
	if c.MembershipConflicts > 0 {
		q.Membership = append(q.Membership, fmt.Sprintf("%d practices had two PCN memberships on the membership date; the later-starting one was used.", c.MembershipConflicts))
	}
	if c.LookupOutside > 0 {
		q.Membership = append(q.Membership, fmt.Sprintf("%d LSOAs are mapped by the lookup to areas missing from the boundary file.", c.LookupOutside))
	}

	q.LowDefinition = fmt.Sprintf("An area is flagged when its registered residents are fewer than %s of the median of these %d areas (median %s). MSOAs are drawn to hold similar populations, so a far lower count usually means residents registered with practices outside the file (near the borders with Wales and Scotland) or many residents who rarely register (students, armed forces, prisons); the PCN shares of such areas rest on few patients.",
		percent(LowCoverage), f.Areas, commas(int64(f.MedianRegistered)))
	for _, a := range sc.areas {
		ar := &d.Areas[a]
		if float64(ar.Registered) < LowCoverage*f.MedianRegistered {
			rur := ""
			if u := ar.Units[nhs.KindRurality]; u != "" {
				rur = u
			}
			q.LowCoverage = append(q.LowCoverage, lowRow{ar.Code, ar.Name, commas(ar.Registered), percent(float64(ar.Registered) / f.MedianRegistered), rur})
		}
	}
	return q
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

func fixed(v float64, decimals int) string { return strconv.FormatFloat(v, 'f', decimals, 64) }

func percent(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func ratio(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func countShare(n, of int64) string { return commas(n) + " (" + percent(ratio(n, of)) + ")" }

func spread(s overlap.Stats) string {
	return strconv.FormatFloat(s.Median, 'f', -1, 64) + " (" + strconv.FormatFloat(s.P10, 'f', -1, 64) + "–" + strconv.FormatFloat(s.P90, 'f', -1, 64) + ")"
}
