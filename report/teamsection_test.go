package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pcnmap/nhs"
	"pcnmap/teams"
)

// TestTeamAlignmentSection splits Trafford's LSOAs between two teams by the parity of their area's
// position: the whole release's document and Trafford's show both teams, a local authority without
// any team says so, and every document carries the score; WriteFiles writes the teams package's CSVs.
func TestTeamAlignmentSection(t *testing.T) {
	d := fixture(t)
	set := &teams.Set{Name: "halves", Method: teams.MethodLSOA, Teams: []teams.Team{{Name: "Even"}, {Name: "Odd"}}}
	var other string
	for l := range d.LSOAs {
		a := d.LSOAs[l].Area
		switch la := d.Areas[a].Units[nhs.KindLA]; {
		case la == "E08000009":
			k := a % 2
			set.Teams[k].LSOAs = append(set.Teams[k].LSOAs, teams.Weight{LSOA: d.LSOAs[l].Code, Weight: 1})
		case other == "":
			other = la
		}
	}
	m, err := teams.NewModel(d, set)
	if err != nil {
		t.Fatal(err)
	}
	ta := NewTeamAlignment(d, m, 0.01)
	score := "<strong>" + fixed(ta.Alignment.Score, 4) + "</strong>"
	dir := t.TempDir()
	opt := Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindLA, Sections: []Section{ta}}
	if _, err := Write(context.Background(), dir, d, opt); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		file      string
		want, not []string
	}{
		"Trafford": {file: "la-E08000009.html", want: []string{"<h2>Team alignment</h2>", "<td>Even</td>", "<td>Odd</td>", "Patients by team and PCN", "2 of them with patients living here", score}},
		"no team":  {file: "la-" + other + ".html", want: []string{"<h2>Team alignment</h2>", "No team of this set holds patients living here.", score}, not: []string{"<td>Even</td>"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !bytes.Contains(b, []byte(s)) {
					t.Errorf("%s lacks %q", tc.file, s)
				}
			}
			for _, s := range tc.not {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s has %q", tc.file, s)
				}
			}
		})
	}
	whole, err := ta.HTML(context.Background(), Scope{Dataset: d, Threshold: 0.01})
	if err != nil || !strings.Contains(string(whole), "<td>Even</td>") || strings.Contains(string(whole), "of them with patients") {
		t.Errorf("HTML(whole release) = %.300s, %v; want every team", whole, err)
	}

	if err := ta.WriteFiles(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := teams.WriteMatrix(&want, d, ta.Alignment); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "team_pcn_matrix.csv")); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("team_pcn_matrix.csv = %s, %v; want\n%s", got, err, want.Bytes())
	}
}
