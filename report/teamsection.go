package report

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// TeamFiles are the names TeamAlignment.WriteFiles creates in the report directory.
var TeamFiles = []string{"teams.csv", "team_pcn_matrix.csv", "pcn_teams.csv"}

// MatrixPCNs is how many PCNs, those with most patients living in the teams, the team × PCN matrix of
// a document shows; the rest are summed in one column.
const MatrixPCNs = 8

// ScoreDefinition is the one-sentence definition of the alignment score the documents carry.
const ScoreDefinition = "The alignment score is the share of the PCN patients living in the teams who live in their PCN's dominant team (the team holding most of that PCN's patients): 1 when no PCN's patients are split between teams, 1/k when every PCN is split evenly over k teams; patients living in no team are left out of it."

// TeamAlignment is one team set measured against the release of a report: the CSV files written
// beside the report and, as a Section, the "Team alignment" section of its documents. Build it with
// NewTeamAlignment; it is read-only afterwards, so documents may be made from it concurrently.
type TeamAlignment struct {
	Set       *teams.Set
	Alignment *teams.Alignment
	d         *overlap.Dataset
	// areas[t] are the areas where team t holds patients, ascending.
	areas [][]int32
}

// NewTeamAlignment computes the alignment of m's set with the PCNs of d, the release m was resolved
// against, at threshold t (the report's).
func NewTeamAlignment(d *overlap.Dataset, m *teams.Model, t float64) *TeamAlignment {
	ta := &TeamAlignment{Set: m.Set(), Alignment: m.Alignment(t), d: d}
	ta.areas = make([][]int32, len(ta.Set.Teams))
	lsoa := make(map[string]int32, len(d.LSOAs))
	for l := range d.LSOAs {
		lsoa[d.LSOAs[l].Code] = d.LSOAs[l].Area
	}
	practice := make(map[string]int32, len(d.Practices))
	for i := range d.Practices {
		practice[d.Practices[i].Code] = int32(i)
	}
	for t, team := range ta.Set.Teams {
		var as []int32
		for _, w := range team.LSOAs {
			if a, ok := lsoa[w.LSOA]; ok && w.Weight > 0 {
				as = append(as, a)
			}
		}
		if len(team.Practices) > 0 {
			mine := make(map[int32]bool, len(team.Practices))
			for _, c := range team.Practices {
				if i, ok := practice[c]; ok {
					mine[i] = true
				}
			}
			for _, r := range d.Rows {
				if mine[r.Practice] && r.Patients > 0 {
					as = append(as, d.LSOAs[r.LSOA].Area)
				}
			}
		}
		slices.Sort(as)
		ta.areas[t] = slices.Compact(as)
	}
	return ta
}

// WriteFiles writes teams.csv, team_pcn_matrix.csv and pcn_teams.csv into dir (which must exist),
// each through a temporary file renamed into place.
func (ta *TeamAlignment) WriteFiles(ctx context.Context, dir string) error {
	writers := map[string]func(io.Writer, *overlap.Dataset, *teams.Alignment) error{
		"teams.csv": teams.WriteTeams, "team_pcn_matrix.csv": teams.WriteMatrix, "pcn_teams.csv": teams.WritePCNs,
	}
	for _, name := range TeamFiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		write := writers[name]
		if err := writeFile(filepath.Join(dir, name), func(w io.Writer) error { return write(w, ta.d, ta.Alignment) }); err != nil {
			return err
		}
	}
	return nil
}

// Text writes the set's lines of the printed summary: its size, the score and the coverage.
func (ta *TeamAlignment) Text(w io.Writer) error {
	return teams.Summary(w, ta.Set.Name, ta.Alignment)
}

// Title is the section's heading.
func (ta *TeamAlignment) Title() string { return "Team alignment" }

type teamRow struct {
	Name, Registered, PCNCount, PCNList, Dominant, DominantShare, Effective string
}

type teamMatrix struct {
	PCNs  []teamMatrixPCN
	Other bool // a column summing the PCNs left out
	Rows  []teamMatrixRow
}

type teamMatrixPCN struct{ Code, Name string }

type teamMatrixRow struct {
	Team  string
	Cells []string
	Other string
	NoPCN string
}

type teamSection struct {
	Set, Method, Source string
	Teams, AllTeams     int
	Unit                bool // the document is of one unit, not the whole release
	Threshold           string
	Rows                []teamRow
	Matrix              teamMatrix
	MatrixNote          string
	Score, Coverage     string
	CoveragePCNs        int
	Definition          string
}

var teamTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("teams").Parse(`<p>Footprint set <strong>{{.Set}}</strong>{{if .Source}} (from <code>{{.Source}}</code>{{if .Method}}, method {{.Method}}{{end}}){{end}}: {{.AllTeams}} teams{{if and .Unit .Rows}}, {{.Teams}} of them with patients living here; the figures are for each team as a whole and for the whole set, not only the part here{{end}}.</p>
{{- if .Rows}}
<table>
<thead><tr><th>Team</th><th class="n">Registered</th><th class="n">PCNs ≥ t</th><th>PCNs ≥ t (share)</th><th>Dominant PCN</th><th class="n">Dominant share</th><th class="n">Effective PCNs</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td>{{.Name}}</td><td class="n">{{.Registered}}</td><td class="n">{{.PCNCount}}</td><td>{{.PCNList}}</td><td>{{.Dominant}}</td><td class="n">{{.DominantShare}}</td><td class="n">{{.Effective}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">Registered: patients living in the team, including those of practices in no PCN (fractional when LSOAs are shared between teams). PCNs ≥ t: the PCNs whose patients are at least t = {{.Threshold}} of them. Dominant PCN: the one with most patients in the team, and its share. Effective PCNs: 1/HHI of the PCNs' shares of the team's PCN patients.</p>
<h3>Patients by team and PCN</h3>
<table>
<thead><tr><th>Team</th>{{range .Matrix.PCNs}}<th class="n" title="{{.Name}}"><code>{{.Code}}</code></th>{{end}}{{if .Matrix.Other}}<th class="n">Other PCNs</th>{{end}}<th class="n">No PCN</th></tr></thead>
<tbody>
{{- range .Matrix.Rows}}
<tr><td>{{.Team}}</td>{{range .Cells}}<td class="n">{{.}}</td>{{end}}{{if $.Matrix.Other}}<td class="n">{{.Other}}</td>{{end}}<td class="n">{{.NoPCN}}</td></tr>
{{- end}}
</tbody>
</table>
<p class="note">{{.MatrixNote}}</p>
{{- else}}
<p>No team of this set holds patients living here.</p>
{{- end}}
<p>Alignment score of the set: <strong>{{.Score}}</strong>. {{.Definition}} Coverage of the set's PCNs: {{.Coverage}} of the patients of the {{.CoveragePCNs}} PCNs holding at least {{.Threshold}} of some team live in a team.</p>
`))
})

// HTML writes the section for one document: the teams with patients in its areas (every team for
// the whole release), their figures, the team × PCN matrix of the largest PCNs, and the set's score.
func (ta *TeamAlignment) HTML(ctx context.Context, s Scope) (template.HTML, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d, a := ta.d, ta.Alignment
	if s.Dataset != nil && s.Dataset != d {
		return "", fmt.Errorf("report: team set %q was resolved against another release than %s", ta.Set.Name, s.Dataset.Release)
	}
	sec := teamSection{
		Set: ta.Set.Name, Source: ta.Set.Source, AllTeams: len(a.Teams),
		Unit:         s.Kind != nhs.KindUnset,
		Threshold:    overlap.FormatThreshold(a.Threshold),
		Score:        fixed(a.Score, 4),
		Coverage:     percent(a.Coverage),
		CoveragePCNs: a.CoveragePCNs,
		Definition:   ScoreDefinition,
	}
	if ta.Set.Method != teams.MethodUnset {
		sec.Method = ta.Set.Method.String()
	}
	var shown []int
	for t := range a.Teams {
		if !sec.Unit || intersects(ta.areas[t], s.Areas) {
			shown = append(shown, t)
		}
	}
	sec.Teams = len(shown)
	if len(shown) == 0 {
		return renderTeams(sec)
	}
	for _, t := range shown {
		tm := &a.Teams[t]
		row := teamRow{
			Name: tm.Name, Registered: commas(round(tm.Registered)), PCNCount: strconv.Itoa(len(tm.PCNs)),
			Dominant: "–", DominantShare: percent(tm.DominantShare), Effective: fixed(tm.EffectivePCNs, 2),
		}
		var list []string
		for _, sh := range tm.PCNs {
			list = append(list, d.PCNs[sh.PCN].Code+" ("+percent(sh.Share)+")")
		}
		row.PCNList = strings.Join(list, ", ")
		if tm.Dominant >= 0 {
			row.Dominant = d.PCNs[tm.Dominant].Code + " " + d.PCNs[tm.Dominant].Name
		}
		sec.Rows = append(sec.Rows, row)
	}
	// The largest PCNs by patients living in the shown teams, ties by code.
	type total struct {
		pcn      int
		patients float64
	}
	var totals []total
	for _, p := range a.PCNs {
		var sum float64
		for _, t := range shown {
			sum += a.Matrix[t][p.PCN]
		}
		if sum > 0 {
			totals = append(totals, total{p.PCN, sum})
		}
	}
	slices.SortStableFunc(totals, func(x, y total) int {
		if c := cmp.Compare(y.patients, x.patients); c != 0 {
			return c
		}
		return cmp.Compare(x.pcn, y.pcn)
	})
	top := totals[:min(len(totals), MatrixPCNs)]
	slices.SortFunc(top, func(x, y total) int { return cmp.Compare(x.pcn, y.pcn) })
	sec.Matrix.Other = len(totals) > len(top)
	for _, p := range top {
		sec.Matrix.PCNs = append(sec.Matrix.PCNs, teamMatrixPCN{Code: d.PCNs[p.pcn].Code, Name: d.PCNs[p.pcn].Name})
	}
	for _, t := range shown {
		row := teamMatrixRow{Team: a.Teams[t].Name, NoPCN: commas(round(a.Matrix[t][len(d.PCNs)]))}
		var in float64
		for _, p := range top {
			v := a.Matrix[t][p.pcn]
			in += v
			row.Cells = append(row.Cells, commas(round(v)))
		}
		row.Other = commas(round(a.Teams[t].InPCN - in))
		sec.Matrix.Rows = append(sec.Matrix.Rows, row)
	}
	sec.MatrixNote = "Patients of each PCN living in each team (fractional counts rounded)"
	if sec.Matrix.Other {
		sec.MatrixNote += fmt.Sprintf(": the %d PCNs with most patients living in these teams, in code order; the other %d are summed in Other PCNs", len(top), len(totals)-len(top))
	}
	sec.MatrixNote += ". No PCN: patients of practices in no PCN. Names of the PCNs:"
	for i, p := range top {
		if i > 0 {
			sec.MatrixNote += ";"
		}
		sec.MatrixNote += " " + d.PCNs[p.pcn].Code + " " + d.PCNs[p.pcn].Name
	}
	sec.MatrixNote += "."
	return renderTeams(sec)
}

func renderTeams(sec teamSection) (template.HTML, error) {
	var b strings.Builder
	if err := teamTemplate().Execute(&b, sec); err != nil {
		return "", fmt.Errorf("report: team alignment: %w", err)
	}
	return template.HTML(b.String()), nil
}

// intersects reports whether two ascending lists share an element.
func intersects(a, b []int32) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// round is a patient count for display: fractional counts (the area method) to the nearest patient.
func round(v float64) int64 { return int64(math.Round(v)) }
