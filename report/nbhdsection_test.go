package report

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/neighbourhoods"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
	"pcnmap/tiles"
)

// TestNeighbourhoodSection splits Trafford's LSOAs into two neighbourhoods by the parity of their
// area's position, outlined by dissolving the areas: the whole release's document shows both
// without the "here" clause, a unit document of Trafford with it, one elsewhere says there is none;
// the section refuses an assessment of other teams and a document of another release.
func TestNeighbourhoodSection(t *testing.T) {
	d := fixture(t)
	set := &teams.Set{Name: "halves", Method: teams.MethodLSOA, Teams: []teams.Team{{Name: "Even"}, {Name: "Odd"}}}
	var feats []int32
	var other []int32
	for l := range d.LSOAs {
		a := d.LSOAs[l].Area
		if d.Areas[a].Units[nhs.KindLA] == "E08000009" {
			k := a % 2
			set.Teams[k].LSOAs = append(set.Teams[k].LSOAs, teams.Weight{LSOA: d.LSOAs[l].Code, Weight: 1})
			feats = append(feats, a)
		} else if len(other) == 0 {
			other = []int32{a}
		}
	}
	a, err := neighbourhoods.Assess(d, set, 0.01, neighbourhoods.Band{Min: 125000, Max: 200000})
	if err != nil {
		t.Fatal(err)
	}
	traffordAreas := slices.Compact(slices.Sorted(slices.Values(feats)))
	features := make([]geo.Feature, len(traffordAreas))
	for i, ar := range traffordAreas {
		features[i] = d.Areas[ar].Feature
	}
	outlines := map[string]orb.MultiPolygon{}
	for _, o := range tiles.NewDissolver(features).DissolveBy(func(i int32) string { return set.Teams[traffordAreas[i]%2].Name }) {
		outlines[o.Code] = o.Geom
	}
	np, err := NewNeighbourhoodPlan(context.Background(), d, set, a, outlines)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		scope     Scope
		want, not []string
	}{
		"whole release": {Scope{Dataset: d, Code: d.Release, Name: "All areas", Threshold: 0.01},
			[]string{"<td>Even</td>", "<td>Odd</td>", `<path class="area"`, "2 neighbourhoods, 1 of them within the band of 125,000–200,000"},
			[]string{"have residents here"}},
		"Trafford": {Scope{Dataset: d, Kind: nhs.KindLA, Code: "E08000009", Areas: traffordAreas, Threshold: 0.01},
			[]string{"<td>Even</td>", "2 of them have residents here", "<strong>below 125,000</strong>"}, nil},
		"elsewhere": {Scope{Dataset: d, Kind: nhs.KindLA, Code: "X", Areas: other, Threshold: 0.01},
			[]string{"No neighbourhood of this plan has residents here."}, []string{"<td>Even</td>", "<svg"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h, err := np.HTML(context.Background(), tc.scope)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(string(h), s) {
					t.Errorf("section lacks %q:\n%.1600s", s, h)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(string(h), s) {
					t.Errorf("section has %q", s)
				}
			}
		})
	}
	// Every local authority's document at once (the section is shared between the workers).
	dir := t.TempDir()
	if _, err := Write(context.Background(), dir, d, Options{Threshold: 0.01, Format: FormatHTML, By: nhs.KindLA, Sections: []Section{np}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "la-E08000009.html")); err != nil || !strings.Contains(string(b), "<h2>Neighbourhood plan</h2>") || !strings.Contains(string(b), "<td>Odd</td>") {
		t.Errorf("Trafford's document lacks the plan: %v", err)
	}
	if _, err := np.HTML(context.Background(), Scope{Dataset: &overlap.Dataset{Release: "other"}}); err == nil {
		t.Errorf("HTML of another release: no error")
	}
	swapped := *a
	swapped.Neighbourhoods = []neighbourhoods.NeighbourhoodFigures{a.Neighbourhoods[1], a.Neighbourhoods[0]}
	if _, err := NewNeighbourhoodPlan(context.Background(), d, set, &swapped, outlines); err == nil {
		t.Errorf("NewNeighbourhoodPlan of an assessment of other teams: no error")
	}
}
