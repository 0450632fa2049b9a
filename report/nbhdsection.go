package report

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report/svg"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// StraddleRows is how many practices the neighbourhood section lists as straddling most.
const StraddleRows = 10

// minStraddlePatients is the fewest patients living in the plan a practice needs to be listed among
// those straddling most (as neighbourhoods assess prints them).
const minStraddlePatients = 100

// NeighbourhoodPlan is a footprint set read as a neighbourhood plan (neighbourhoods.Assess) as the
// "Neighbourhood plan" section of the documents: a map of the plan, per neighbourhood the rows a
// neighbourhood-planning board paper needs, per PCN its main neighbourhood, and the practices that
// straddle most. Build it with NewNeighbourhoodPlan; it is read-only afterwards, so documents may be
// made from it concurrently.
type NeighbourhoodPlan struct {
	Set        *teams.Set
	Assessment *neighbourhoods.Assessment
	d          *overlap.Dataset
	// shapes has one feature per neighbourhood, in the assessment's order (nil when none has an
	// outline); outlined says which have one, bounds their outlines' bounds.
	shapes   *tiles.Shapes
	outlined []bool
	bounds   []orb.Bound
	// marks are where each neighbourhood's number is written on the map.
	marks []orb.Point
	// areas[n] are the areas holding neighbourhood n's LSOAs, ascending.
	areas [][]int32
}

// NewNeighbourhoodPlan prepares the section for the assessment a of set on d (the release a was
// made on), with the neighbourhoods' outlines keyed by name (as the export dissolves them; a
// neighbourhood without one is left off the map).
func NewNeighbourhoodPlan(ctx context.Context, d *overlap.Dataset, set *teams.Set, a *neighbourhoods.Assessment, outlines map[string]orb.MultiPolygon) (*NeighbourhoodPlan, error) {
	if len(a.Neighbourhoods) != len(set.Teams) {
		return nil, fmt.Errorf("report: neighbourhood plan %q: %d neighbourhoods assessed for %d teams", set.Name, len(a.Neighbourhoods), len(set.Teams))
	}
	np := &NeighbourhoodPlan{Set: set, Assessment: a, d: d,
		outlined: make([]bool, len(set.Teams)), bounds: make([]orb.Bound, len(set.Teams)),
		marks: make([]orb.Point, len(set.Teams)), areas: make([][]int32, len(set.Teams))}
	lsoa := make(map[string]int32, len(d.LSOAs))
	for l := range d.LSOAs {
		lsoa[d.LSOAs[l].Code] = int32(l)
	}
	features := make([]geo.Feature, len(set.Teams))
	drawn := false
	for n, tm := range set.Teams {
		if tm.Name != a.Neighbourhoods[n].Name {
			return nil, fmt.Errorf("report: neighbourhood plan %q: neighbourhood %d is %q in the assessment, %q in the set", set.Name, n+1, a.Neighbourhoods[n].Name, tm.Name)
		}
		g := outlines[tm.Name]
		features[n] = geo.Feature{Code: tm.Name, Name: tm.Name, Geom: g}
		if len(g) > 0 {
			np.outlined[n], np.bounds[n], drawn = true, g.Bound(), true
		}
		// The number goes on the point of the LSOA nearest the neighbourhood's residents' centre, among
		// the LSOAs mostly in it: a point inside the neighbourhood, however concave.
		var as []int32
		var cx, cy, w float64
		var pts []orb.Point
		for _, lw := range tm.LSOAs {
			l, ok := lsoa[lw.LSOA]
			if !ok || lw.Weight <= 0 {
				continue
			}
			as = append(as, d.LSOAs[l].Area)
			if p := d.LSOAs[l]; p.HasPoint && lw.Weight >= 0.5 {
				r := lw.Weight * float64(max(p.Registered, 1))
				cx, cy, w = cx+r*p.Point[0], cy+r*p.Point[1], w+r
				pts = append(pts, p.Point)
			}
		}
		slices.Sort(as)
		np.areas[n] = slices.Compact(as)
		switch {
		case len(pts) > 0:
			c := orb.Point{cx / w, cy / w}
			best := pts[0]
			for _, p := range pts[1:] {
				if dist2(p, c) < dist2(best, c) {
					best = p
				}
			}
			np.marks[n] = best
		case np.outlined[n]:
			np.marks[n] = np.bounds[n].Center()
		}
	}
	if drawn {
		shapes, err := tiles.Prepare(ctx, features, tiles.Options{})
		if err != nil {
			return nil, fmt.Errorf("report: neighbourhood plan %q: %w", set.Name, err)
		}
		np.shapes = shapes
	}
	return np, nil
}

func dist2(p, q orb.Point) float64 { return (p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) }

// Title is the section's heading.
func (np *NeighbourhoodPlan) Title() string { return "Neighbourhood plan" }

// dominantClasses are the map's fills: the dominant PCN's share of a neighbourhood's residents, in
// classes of ten points from 50% (darker is better aligned).
var dominantClasses = []struct {
	lower float64
	label string
}{{0, "under 50%"}, {0.5, "50–60%"}, {0.6, "60–70%"}, {0.7, "70–80%"}, {0.8, "80–90%"}, {0.9, "90% or more"}}

func dominantClass(share float64) int {
	c := 0
	for k, dc := range dominantClasses {
		if share >= dc.lower {
			c = k
		}
	}
	return c
}

type nbhdRow struct {
	Key, Name, Residents, Band string
	Outside                    bool
	Dominant, DominantShare    string
	PCNs, LAs, Wards, Urban    string
	// Classes: the rural-urban classes of its residents.
	Classes string
}

// nbhdDomain is the table of one deprivation ranking's deciles (the IMD, its income and employment
// domains): per neighbourhood shown, the share in the most deprived 20%, in each decile and in none.
type nbhdDomain struct {
	Title string
	Note  template.HTML // a constant of this file, written as the template's own notes are
	Rows  []nbhdDecileRow
}

type nbhdDecileRow struct {
	Key, Name, Core20, NoDecile string
	Deciles                     []string
}

type nbhdPCNRow struct {
	Code, Name, ListSize, InPlan, Main, MainShare, Others string
}

type nbhdPracticeRow struct {
	Code, Name, PCN, Patients, Outside, Straddle string
}

type nbhdSection struct {
	Set, Method, Source string
	Shown, All          int
	Unit                bool
	Band                string
	InBand              int
	Smallest, Largest   string
	Threshold           string
	Score, Coverage     string
	CoveragePCNs        int
	Definition          string
	Map                 template.HTML
	MapNote             string
	Rows                []nbhdRow
	HasUrban, HasWards  bool
	HasRUC              bool
	Domains             []nbhdDomain // the IMD's table first, then its domains'; those the release gives
	Carried             []string
	Missing             []string
	PCNs                []nbhdPCNRow
	Practices           []nbhdPracticeRow
	PracticeNote        string
}

var nbhdTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("neighbourhoods").Parse(`<p>Footprint set <strong>{{.Set}}</strong>{{if .Source}} (<code>{{.Source}}</code>{{if .Method}}, method {{.Method}}{{end}}){{end}} read as a neighbourhood plan: {{.All}} neighbourhoods, {{.InBand}} of them within the band of {{.Band}} registered residents (from {{.Smallest}} to {{.Largest}}){{if .Unit}}; {{.Shown}} of them have residents here, and their figures are for each neighbourhood as a whole{{end}}. Alignment score of the plan: <strong>{{.Score}}</strong>; {{.Coverage}} of the resident patients of the {{.CoveragePCNs}} PCNs holding at least {{.Threshold}} of some neighbourhood live in one.</p>
{{- if .Rows}}
{{- if .Map}}
<figure>
{{.Map}}
<figcaption>Neighbourhoods coloured by the dominant PCN's share of their registered residents; the numbers are those of the table below. {{.MapNote}}</figcaption>
</figure>
{{- end}}
<table>
<thead><tr><th class="n">#</th><th>Neighbourhood</th><th class="n">Residents</th><th>Band {{.Band}}</th><th>Dominant PCN</th><th class="n">Dominant share</th><th>PCNs ≥ t (share)</th><th>Local authorities</th>{{if .HasWards}}<th>Wards</th>{{end}}{{if .HasUrban}}<th class="n">Urban</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr><td class="n">{{.Key}}</td><td>{{.Name}}</td><td class="n">{{.Residents}}</td><td>{{if .Outside}}<strong>{{.Band}}</strong>{{else}}{{.Band}}{{end}}</td><td>{{.Dominant}}</td><td class="n">{{.DominantShare}}</td><td>{{.PCNs}}</td><td>{{.LAs}}</td>{{if $.HasWards}}<td>{{.Wards}}</td>{{end}}{{if $.HasUrban}}<td class="n">{{.Urban}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
<p class="note">Residents: registered patients living in the neighbourhood, practices in no PCN included (fractional when LSOAs are shared between neighbourhoods). PCNs ≥ t: the PCNs whose patients are at least t = {{.Threshold}} of them, largest first. Local authorities{{if .HasWards}} and wards{{end}}: where its residents live, by share.{{if .HasUrban}} Urban: the share living in LSOAs the ONS rural-urban classification calls urban.{{end}}</p>
{{- if or .HasRUC .Domains}}
<h3>Deprivation and rural-urban mix</h3>
{{- end}}
{{- range .Domains}}
<table>
<thead><tr><th class="n" rowspan="2">#</th><th rowspan="2">Neighbourhood</th><th rowspan="2">Most deprived 20%</th><th colspan="10">{{.Title}}</th><th rowspan="2">No decile</th></tr>
<tr><th class="n">1</th><th class="n">2</th><th class="n">3</th><th class="n">4</th><th class="n">5</th><th class="n">6</th><th class="n">7</th><th class="n">8</th><th class="n">9</th><th class="n">10</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td class="n">{{.Key}}</td><td>{{.Name}}</td><td class="n">{{.Core20}}</td>{{range .Deciles}}<td class="n">{{.}}</td>{{end}}<td class="n">{{.NoDecile}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">{{.Note}}</p>
{{- end}}
{{- if .HasRUC}}
<table>
<thead><tr><th class="n">#</th><th>Neighbourhood</th><th>Residents by rural-urban class</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td class="n">{{.Key}}</td><td>{{.Name}}</td><td>{{.Classes}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">Shares of each neighbourhood's residents by the ONS rural-urban class of the LSOA they live in.</p>
{{- end}}
{{- range .Carried}}
<p class="note">Carried: {{.}}.</p>
{{- end}}
{{- range .Missing}}
<p class="note">Not given: {{.}}.</p>
{{- end}}
<h3>PCNs and their main neighbourhood</h3>
{{- if .PCNs}}
<table>
<thead><tr><th>PCN</th><th>Name</th><th class="n">List size</th><th class="n">In the plan</th><th>Main neighbourhood</th><th class="n">Share in it</th><th>Other neighbourhoods ≥ t</th></tr></thead>
<tbody>
{{- range .PCNs}}
<tr><td><code>{{.Code}}</code></td><td>{{.Name}}</td><td class="n">{{.ListSize}}</td><td class="n">{{.InPlan}}</td><td>{{.Main}}</td><td class="n">{{.MainShare}}</td><td>{{.Others}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">The PCNs holding at least t = {{.Threshold}} of some neighbourhood shown, by main neighbourhood (the one where most of the PCN's resident patients live) and share. In the plan, Share in it and Other neighbourhoods: shares of all the PCN's resident patients (living in any neighbourhood of the plan; in its main one; in each other one holding at least t of them).</p>
{{- else}}
<p>No PCN holds t = {{.Threshold}} of these neighbourhoods' residents.</p>
{{- end}}
<h3>Practices that straddle most</h3>
{{- if .Practices}}
<table>
<thead><tr><th>Practice</th><th>Name</th><th>PCN</th><th class="n">Patients in the plan</th><th class="n">Outside the PCN's main neighbourhood</th><th class="n">Straddle</th></tr></thead>
<tbody>
{{- range .Practices}}
<tr><td><code>{{.Code}}</code></td><td>{{.Name}}</td><td><code>{{.PCN}}</code></td><td class="n">{{.Patients}}</td><td class="n">{{.Outside}}</td><td class="n">{{.Straddle}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<p class="note">{{.PracticeNote}}</p>
{{- else}}
<p>No neighbourhood of this plan has residents here.</p>
{{- end}}
<p class="note">{{.Definition}}</p>
`))
})

// nbhdDefinition says what the plan's score is, as neighbourhoods design optimises it.
const nbhdDefinition = "The alignment score of a plan is the share of the PCN patients living in its neighbourhoods who live in their PCN's main neighbourhood: 1 when no PCN's patients are split between neighbourhoods. A practice's straddle is the share of its patients living in the plan who live outside its PCN's main neighbourhood."

// HTML writes the section for one document: the neighbourhoods with residents in its areas (every
// one for the whole release) on a map and in a table, their PCNs by main neighbourhood, and the
// practices of those PCNs that straddle most.
func (np *NeighbourhoodPlan) HTML(ctx context.Context, s Scope) (template.HTML, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d, a := np.d, np.Assessment
	if s.Dataset != nil && s.Dataset != d {
		return "", fmt.Errorf("report: neighbourhood plan %q was assessed on another release than %s", np.Set.Name, s.Dataset.Release)
	}
	ts := overlap.FormatThreshold(a.Threshold)
	sec := nbhdSection{
		Set: np.Set.Name, Source: np.Set.Source, All: len(a.Neighbourhoods), Unit: s.Kind != nhs.KindUnset,
		Band: bandText(a.Band), Threshold: ts, Score: fixed(a.Score, 4), Coverage: percent(a.Coverage),
		CoveragePCNs: a.CoveragePCNs, Definition: nbhdDefinition,
	}
	if np.Set.Method != teams.MethodUnset {
		sec.Method = np.Set.Method.String()
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, n := range a.Neighbourhoods {
		if n.InBand {
			sec.InBand++
		}
		lo, hi = min(lo, n.Registered), max(hi, n.Registered)
		sec.HasUrban = sec.HasUrban || n.Urban >= 0
		sec.HasWards = sec.HasWards || n.Wards != nil
		sec.HasRUC = sec.HasRUC || n.RuralUrban != nil
	}
	sec.Missing, sec.Carried = a.Missing, a.Carried
	domains := []struct {
		of    func(*neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation
		title string
		note  template.HTML
	}{
		{func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Deprivation }, "Residents by IMD decile (1: the most deprived 10%)",
			"Shares of each neighbourhood's residents by the decile of the English Index of Multiple Deprivation of the LSOA they live in: 1 is the most deprived 10% of England's LSOAs, 10 the least deprived; the most deprived 20% (deciles 1 and 2) is NHS England's Core20; No decile: LSOAs the release's IMD file does not rank."},
		{func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Income }, "Residents by IMD income domain decile (1: the most deprived 10%)",
			"Shares of each neighbourhood's residents by the decile of their LSOA on the income domain of the English Index of Multiple Deprivation (the share of people on low incomes: out-of-work and in-work benefits, tax credits); Most deprived 20%: deciles 1 and 2; No decile: LSOAs the release's file does not rank."},
		{func(n *neighbourhoods.NeighbourhoodFigures) *neighbourhoods.Deprivation { return n.Employment }, "Residents by IMD employment domain decile (1: the most deprived 10%)",
			"Shares of each neighbourhood's residents by the decile of their LSOA on the employment domain of the English Index of Multiple Deprivation (the share of working-age people involuntarily out of work); Most deprived 20%: deciles 1 and 2; No decile: LSOAs the release's file does not rank."},
	}
	domainOf := make([]int, len(domains)) // the position in sec.Domains, -1 when not given
	for i, dm := range domains {
		domainOf[i] = -1
		for n := range a.Neighbourhoods {
			if dm.of(&a.Neighbourhoods[n]) != nil {
				domainOf[i] = len(sec.Domains)
				sec.Domains = append(sec.Domains, nbhdDomain{Title: dm.title, Note: dm.note})
				break
			}
		}
	}
	if len(a.Neighbourhoods) > 0 {
		sec.Smallest, sec.Largest = commas(round(lo)), commas(round(hi))
	}
	var shown []int
	for n := range a.Neighbourhoods {
		if !sec.Unit || intersects(np.areas[n], s.Areas) {
			shown = append(shown, n)
		}
	}
	sec.Shown = len(shown)
	if len(shown) == 0 {
		return renderNeighbourhoods(sec)
	}
	listed := map[string]bool{} // PCNs holding at least t of a shown neighbourhood
	for _, n := range shown {
		nf := &a.Neighbourhoods[n]
		row := nbhdRow{Key: strconv.Itoa(n + 1), Name: nf.Name, Residents: commas(round(nf.Registered)),
			Band: "within", Dominant: "–", DominantShare: percent(nf.DominantShare), Urban: "–"}
		switch {
		case nf.InBand:
		case nf.Registered < a.Band.Min:
			row.Band, row.Outside = "below "+commas(round(a.Band.Min)), true
		default:
			row.Band, row.Outside = "above "+commas(round(a.Band.Max)), true
		}
		if nf.Dominant != "" {
			row.Dominant = nf.Dominant + " " + pcnName(nf)
		}
		var pcns []string
		for _, p := range nf.PCNs {
			pcns = append(pcns, p.Code+" ("+percent(p.Share)+")")
			listed[p.Code] = true
		}
		row.PCNs, row.LAs, row.Wards = strings.Join(pcns, ", "), unitList(nf.LAs), unitList(nf.Wards)
		if nf.Urban >= 0 {
			row.Urban = percent(nf.Urban)
		}
		for i, dm := range domains {
			if p := dm.of(nf); p != nil && domainOf[i] >= 0 {
				dr := nbhdDecileRow{Key: row.Key, Name: row.Name, Core20: percent(p.Core20), NoDecile: percent(p.Unknown)}
				for _, v := range p.Deciles {
					dr.Deciles = append(dr.Deciles, percent(v))
				}
				sec.Domains[domainOf[i]].Rows = append(sec.Domains[domainOf[i]].Rows, dr)
			}
		}
		row.Classes = cmp.Or(unitList(nf.RuralUrban), "–")
		sec.Rows = append(sec.Rows, row)
	}
	if err := np.drawMap(ctx, &sec, shown); err != nil {
		return "", err
	}

	// PCNs by main neighbourhood (in the plan's order), then share, then code.
	order := make(map[string]int, len(a.Neighbourhoods))
	for n, nf := range a.Neighbourhoods {
		order[nf.Name] = n
	}
	var pcns []neighbourhoods.PCNFigures
	for _, p := range a.PCNs {
		if listed[p.Code] {
			pcns = append(pcns, p)
		}
	}
	slices.SortFunc(pcns, func(x, y neighbourhoods.PCNFigures) int {
		return cmp.Or(cmp.Compare(order[x.Main], order[y.Main]), cmp.Compare(y.MainShare, x.MainShare), cmp.Compare(x.Code, y.Code))
	})
	for _, p := range pcns {
		var others []string
		for _, t := range p.Neighbourhoods {
			if t.Name != p.Main {
				others = append(others, t.Name+" ("+percent(t.Share)+")")
			}
		}
		sec.PCNs = append(sec.PCNs, nbhdPCNRow{Code: p.Code, Name: p.Name, ListSize: commas(p.ListSize), InPlan: percent(p.InPlan), Main: p.Main,
			MainShare: percent(p.MainShare), Others: strings.Join(others, ", ")})
	}

	// The practices of those PCNs with most patients living outside their PCN's main neighbourhood.
	var straddle []neighbourhoods.Straddle
	for _, pr := range a.Practices {
		if listed[pr.PCN] && pr.Patients >= minStraddlePatients && pr.Straddle > 0 {
			straddle = append(straddle, pr)
		}
	}
	slices.SortFunc(straddle, func(x, y neighbourhoods.Straddle) int {
		return cmp.Or(cmp.Compare(y.Straddle*y.Patients, x.Straddle*x.Patients), cmp.Compare(x.Code, y.Code))
	})
	all := len(straddle)
	for _, pr := range straddle[:min(len(straddle), StraddleRows)] {
		sec.Practices = append(sec.Practices, nbhdPracticeRow{Code: pr.Code, Name: pr.Name, PCN: pr.PCN,
			Patients: commas(round(pr.Patients)), Outside: commas(round(pr.Straddle * pr.Patients)), Straddle: percent(pr.Straddle)})
	}
	switch {
	case all == 0:
		sec.PracticeNote = fmt.Sprintf("No practice of these PCNs with at least %d patients living in the plan has any living outside its PCN's main neighbourhood.", minStraddlePatients)
	case all > len(sec.Practices):
		sec.PracticeNote = fmt.Sprintf("The %d of %d practices of these PCNs (at least %d patients living in the plan) with most patients outside their PCN's main neighbourhood.", len(sec.Practices), all, minStraddlePatients)
	default:
		sec.PracticeNote = fmt.Sprintf("Every practice of these PCNs with at least %d patients living in the plan and any outside its PCN's main neighbourhood, most outside first.", minStraddlePatients)
	}
	return renderNeighbourhoods(sec)
}

// unitList writes units with their shares: "Trafford (100.0%)".
func unitList(us []neighbourhoods.UnitShare) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = cmp.Or(u.Name, u.Code) + " (" + percent(u.Share) + ")"
	}
	return strings.Join(parts, ", ")
}

// pcnName is the name of a neighbourhood's dominant PCN, from its PCN list ("" when not listed).
func pcnName(nf *neighbourhoods.NeighbourhoodFigures) string {
	for _, p := range nf.PCNs {
		if p.Code == nf.Dominant {
			return p.Name
		}
	}
	return ""
}

// drawMap draws the shown neighbourhoods that have an outline, numbered as in the table.
func (np *NeighbourhoodPlan) drawMap(ctx context.Context, sec *nbhdSection, shown []int) error {
	if np.shapes == nil {
		sec.MapNote = "No outlines."
		return nil
	}
	a := np.Assessment
	var features []int
	var bound orb.Bound
	for _, n := range shown {
		if !np.outlined[n] {
			continue
		}
		if len(features) == 0 {
			bound = np.bounds[n]
		} else {
			bound = bound.Union(np.bounds[n])
		}
		features = append(features, n)
	}
	if len(features) == 0 {
		return nil
	}
	legend := make([]svg.Swatch, len(dominantClasses))
	for k, dc := range dominantClasses {
		legend[k] = svg.Swatch{Label: dc.label, Fill: svg.Sequential[k]}
	}
	m := svg.Map{
		Title: "Neighbourhoods of " + np.Set.Name, Shapes: np.shapes, Features: features, Bound: bound,
		Class: func(i int) int { return dominantClass(a.Neighbourhoods[i].DominantShare) },
		Code:  func(i int) string { return a.Neighbourhoods[i].Name },
		Label: func(i int) string {
			nf := &a.Neighbourhoods[i]
			s := fmt.Sprintf("%d %s: %s residents", i+1, nf.Name, commas(round(nf.Registered)))
			if !nf.InBand {
				s += ", outside " + bandText(a.Band)
			}
			if nf.Dominant != "" {
				s += fmt.Sprintf("; dominant %s (%s)", nf.Dominant, percent(nf.DominantShare))
			}
			return s
		},
		Group:     func(i int) int32 { return int32(i) },
		GroupLine: "neighbourhood boundary",
		Outline:   "outline of the plan",
		Mark:      func(i int) (string, orb.Point) { return strconv.Itoa(i + 1), np.marks[i] },
		Legend:    legend,
	}
	var b strings.Builder
	if _, err := m.Write(ctx, &b); err != nil {
		return fmt.Errorf("report: map of neighbourhood plan %q: %w", np.Set.Name, err)
	}
	sec.Map = template.HTML(b.String()) // trusted: package svg escapes every text it writes
	if len(features) < len(shown) {
		sec.MapNote = fmt.Sprintf("%d of the %d neighbourhoods have no outline and are not drawn. ", len(shown)-len(features), len(shown))
	}
	sec.MapNote += "Outlines dissolved from the LSOA polygons (or the areas), simplified to under a pixel; Web Mercator."
	return nil
}

// bandText writes a band with thousands separators: "30,000–50,000".
func bandText(b neighbourhoods.Band) string {
	return commas(round(b.Min)) + "–" + commas(round(b.Max))
}

func renderNeighbourhoods(sec nbhdSection) (template.HTML, error) {
	var b strings.Builder
	if err := nbhdTemplate().Execute(&b, sec); err != nil {
		return "", fmt.Errorf("report: neighbourhood plan: %w", err)
	}
	return template.HTML(b.String()), nil
}
