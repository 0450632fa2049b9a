package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/internal/contig"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// synthetic is a dataset known by construction: PCN p has one practice whose 100 patients per LSOA
// live only in p's own two areas (each of two LSOAs).
func synthetic(t testing.TB) *overlap.Dataset {
	t.Helper()
	d := &overlap.Dataset{Release: "synthetic"}
	for p := 0; p < 4; p++ {
		code := "P" + string(rune('0'+p))
		d.PCNs = append(d.PCNs, overlap.PCN{Code: code, Name: "PCN " + code, ListSize: 400, Resident: 400, Practices: []int32{int32(p)}})
		d.Practices = append(d.Practices, overlap.Practice{Code: "G" + string(rune('0'+p)), PCN: int32(p), ListSize: 400})
		for a := 0; a < 2; a++ {
			area := int32(len(d.Areas))
			d.Areas = append(d.Areas, overlap.Area{Feature: geo.Feature{Code: "M" + string(rune('0'+area))}, Registered: 200, InPCN: 200})
			for k := 0; k < 2; k++ {
				l := int32(len(d.LSOAs))
				d.LSOAs = append(d.LSOAs, overlap.LSOA{Code: "L" + string(rune('A'+l)), Area: area, Registered: 100})
				d.Rows = append(d.Rows, overlap.Row{Practice: int32(p), LSOA: l, Patients: 100})
			}
		}
	}
	d.Index()
	return d
}

func table(t testing.TB, csv string) *teams.Table {
	t.Helper()
	tab, err := teams.ParseCSV(strings.NewReader(csv), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestSyntheticScores(t *testing.T) {
	d := synthetic(t)
	tests := map[string]struct {
		csv        string
		score, hhi float64
		pcnTeams   int
	}{
		// Unions of whole PCNs' areas: no PCN is split, so the score is 1 whatever the team size.
		"whole PCNs": {csv: "team,msoa\nA,M0\nA,M1\nA,M2\nA,M3\nB,M4\nB,M5\nB,M6\nB,M7\n", score: 1, hhi: 0.5, pcnTeams: 1},
		// One team per PCN.
		"one per PCN": {csv: "team,msoa\nA,M0\nA,M1\nB,M2\nB,M3\nC,M4\nC,M5\nD,M6\nD,M7\n", score: 1, hhi: 1, pcnTeams: 1},
		// Every PCN split in half: each team takes the first LSOA of every area, so every PCN has
		// half its patients in each team and the score is 1/2.
		"split in half": {csv: "team,lsoa\nA,LA\nB,LB\nA,LC\nB,LD\nA,LE\nB,LF\nA,LG\nB,LH\nA,LI\nB,LJ\nA,LK\nB,LL\nA,LM\nB,LN\nA,LO\nB,LP\n", score: 0.5, hhi: 0.25, pcnTeams: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			imp, err := teams.FromTable(context.Background(), d, table(t, tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			m, err := teams.NewModel(d, imp.Set)
			if err != nil {
				t.Fatal(err)
			}
			a := m.Alignment(0.01)
			if math.Abs(a.Score-tc.score) > 1e-9 {
				t.Errorf("Score = %v, want %v", a.Score, tc.score)
			}
			if math.Abs(a.Coverage-1) > 1e-9 {
				t.Errorf("Coverage = %v, want 1", a.Coverage)
			}
			for _, tm := range a.Teams {
				if math.Abs(tm.HHI-tc.hhi) > 1e-9 {
					t.Errorf("team %s HHI = %v, want %v", tm.Name, tm.HHI, tc.hhi)
				}
			}
			for _, p := range a.PCNs {
				if p.Teams != tc.pcnTeams || math.Abs(p.Outside) > 1e-9 {
					t.Errorf("PCN %d: teams %d outside %v, want %d and 0", p.PCN, p.Teams, p.Outside, tc.pcnTeams)
				}
			}
		})
	}
}

func TestWhatIf(t *testing.T) {
	d := synthetic(t)
	imp, err := teams.FromTable(context.Background(), d, table(t, "team,msoa\nA,M0\nA,M1\nA,M2\nA,M3\nB,M4\nB,M5\nB,M6\nB,M7\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	// Moving half of P0 (area M0) to B splits P0 in half: 1 − 200/1600 of the patients stay aligned.
	if err := m.Move("M0", "A", "B"); err != nil {
		t.Fatal(err)
	}
	if got, want := m.Alignment(0).Score, 1-200.0/1600; math.Abs(got-want) > 1e-9 {
		t.Errorf("after move Score = %v, want %v", got, want)
	}
	if imp.Set.Teams[0].LSOAs[0].LSOA != "LA" || len(imp.Set.Teams[0].LSOAs) != 8 {
		t.Errorf("Move changed the imported set: %v", imp.Set.Teams[0].LSOAs)
	}
	edited := m.Set()
	if edited.Method != teams.MethodEdited || len(edited.Teams[0].LSOAs) != 6 || len(edited.Teams[1].LSOAs) != 10 {
		t.Errorf("Set() after move = %v teams %d/%d LSOAs", edited.Method, len(edited.Teams[0].LSOAs), len(edited.Teams[1].LSOAs))
	}
	// An LSOA move back restores part of it; moving what a team doesn't hold is an error.
	if err := m.Move("LA", "B", "A"); err != nil {
		t.Fatal(err)
	}
	if err := m.Move("LA", "B", "A"); !errors.Is(err, teams.ErrInput) {
		t.Errorf("second Move(LA) = %v, want ErrInput", err)
	}
	if err := m.Move("LB", "B", "A"); err != nil {
		t.Fatal(err)
	}
	if got := m.Alignment(0).Score; math.Abs(got-1) > 1e-9 {
		t.Errorf("after moving back Score = %v, want 1", got)
	}
	// Dropping an MSOA from the teams and filling the gap again.
	if err := m.Move("M7", "B", ""); err != nil {
		t.Fatal(err)
	}
	if a := m.Alignment(0); math.Abs(a.Coverage-1400.0/1600) > 1e-9 || math.Abs(a.Score-1) > 1e-9 {
		t.Errorf("after dropping M7: coverage %v score %v, want 0.875 and 1", a.Coverage, a.Score)
	}
	if err := m.Move("M7", "", "B"); err != nil {
		t.Fatal(err)
	}
	if err := m.Move("M7", "", "B"); !errors.Is(err, teams.ErrInput) {
		t.Errorf("filling a full MSOA = %v, want ErrInput", err)
	}
	if a := m.Alignment(0); math.Abs(a.Coverage-1) > 1e-9 {
		t.Errorf("after filling M7 again: coverage %v, want 1", a.Coverage)
	}
	for name, args := range map[string][3]string{"no team": {"M0", "A", "Z"}, "no code": {"X", "A", "B"}} {
		if err := m.Move(args[0], args[1], args[2]); err == nil {
			t.Errorf("Move %s = nil, want an error", name)
		}
	}
}

func TestTableErrors(t *testing.T) {
	d := synthetic(t)
	tests := map[string]struct {
		csv  string
		want error
		text string
	}{
		"no code column":   {csv: "team,ward\nA,x\n", want: teams.ErrInput, text: "line 1: no code column"},
		"no team column":   {csv: "who,lsoa\nA,LA\n", want: teams.ErrInput, text: "no team column"},
		"two code column":  {csv: "team,lsoa,msoa\nA,LA,M0\n", want: teams.ErrInput, text: "several code columns"},
		"empty":            {csv: "", want: teams.ErrInput, text: "empty file"},
		"header only":      {csv: "team,lsoa\n", want: teams.ErrInput, text: "no rows"},
		"empty code":       {csv: "team,lsoa\nA,\n", want: teams.ErrInput, text: "line 2: empty"},
		"repeat":           {csv: "team,lsoa\nA,LA\nA,la\n", want: teams.ErrInput, text: "line 3"},
		"unknown lsoa":     {csv: "team,lsoa\nA,LA\nA,E01999999\n", want: teams.ErrUnknownCode, text: "test.csv: line 3: LSOA E01999999"},
		"unknown msoa":     {csv: "Team Name,MSOA11CD\nA,E02999999\n", want: teams.ErrUnknownCode, text: "line 2: MSOA E02999999"},
		"unknown practice": {csv: "team,practice_code\nA,G0\nB,Y99999\n", want: teams.ErrUnknownCode, text: "line 3: practice Y99999"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tab, err := teams.ParseCSV(strings.NewReader(tc.csv), "test.csv")
			if err == nil {
				_, err = teams.FromTable(context.Background(), d, tab)
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "teams: ") {
				t.Errorf("import = %v, want %v containing %q", err, tc.want, tc.text)
			}
		})
	}
}

// TestCoverageFootprint: coverage counts only the PCNs the teams deal with (≥ t of some team).
func TestCoverageFootprint(t *testing.T) {
	d := synthetic(t)
	tests := map[string]struct {
		csv      string
		t        float64
		coverage float64
		pcns     int
	}{
		// P0 lives in LA–LD (100 each); the team holds three of them. P1–P3 are nowhere near.
		"three quarters of one PCN": {csv: "team,lsoa\nA,LA\nA,LB\nA,LC\n", t: 0.01, coverage: 300.0 / 400, pcns: 1},
		// Two teams each holding half of P0 and all of P1.
		"two teams": {csv: "team,lsoa\nA,LA\nA,LB\nB,LE\nB,LF\nB,LG\nB,LH\n", t: 0.01, coverage: (200.0 + 400) / 800, pcns: 2},
		// At t = 0.5 a PCN must hold half a team: P0 holds 1/3 of team A (LA with P1's LE, LF), so only P1 counts.
		"threshold drops a PCN": {csv: "team,lsoa\nA,LA\nA,LE\nA,LF\n", t: 0.5, coverage: 200.0 / 400, pcns: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			imp, err := teams.FromTable(context.Background(), d, table(t, tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			m, err := teams.NewModel(d, imp.Set)
			if err != nil {
				t.Fatal(err)
			}
			a := m.Alignment(tc.t)
			if math.Abs(a.Coverage-tc.coverage) > 1e-9 || a.CoveragePCNs != tc.pcns {
				t.Errorf("coverage = %v over %d PCNs, want %v over %d", a.Coverage, a.CoveragePCNs, tc.coverage, tc.pcns)
			}
		})
	}
}

func TestContestedAndPractices(t *testing.T) {
	d := synthetic(t)
	imp, err := teams.FromTable(context.Background(), d, table(t, "team,lsoa\nA,LA\nB,LA\nA,LC\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Split) != 1 || imp.Split[0].Code != "LA" || len(imp.Split[0].Teams) != 2 {
		t.Errorf("Split = %v, want LA by A and B", imp.Split)
	}
	if c := imp.Split[0]; len(c.Shares) != 2 || c.Shares[0] != 0.5 || c.Shares[1] != 0.5 {
		t.Errorf("Split[0].Shares = %v, want an even split", c.Shares)
	}
	if strings.Join(imp.Uncovered, ",") != "LB,LD" {
		t.Errorf("Uncovered = %v, want LB, LD (the gaps of covered areas)", imp.Uncovered)
	}
	imp, err = teams.FromTable(context.Background(), d, table(t, "team,practice\nA,G0\nA,G1\nB,G2\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Alignment(0.01)
	// The teams hold P0, P1 and P2 whole: coverage within their footprint is 1200/1200, though a
	// quarter of the release's PCN patients (P3's) live in no team.
	if a.Score != 1 || a.Teams[0].Registered != 800 || math.Abs(a.Coverage-1) > 1e-9 || a.CoveragePCNs != 3 {
		t.Errorf("practice set: score %v registered %v coverage %v over %d PCNs, want 1, 800, 1 over 3", a.Score, a.Teams[0].Registered, a.Coverage, a.CoveragePCNs)
	}
	if err := m.Move("M0", "A", "B"); !errors.Is(err, teams.ErrInput) {
		t.Errorf("Move on a practice set = %v, want ErrInput", err)
	}
}

// trafford imports the Trafford localities by the given method on the fixture release.
func trafford(t testing.TB, method teams.Method) (*overlap.Dataset, *teams.Import) {
	t.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := teams.PolygonOptions{Method: method}
	if method == teams.MethodCentroid {
		c, err := nhs.ReadCentroids(fixtures.Path("lsoa-centroids.csv"))
		if err != nil {
			t.Fatal(err)
		}
		o.Centroids = make(map[string]orb.Point, len(c.Points))
		for k, p := range c.Points {
			o.Centroids[k] = orb.Point{p.Lon, p.Lat}
		}
	} else {
		if o.LSOAs, err = geo.ReadFile(fixtures.Path("lsoa.geojson"), geo.ReadOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	imp, err := teams.FromPolygons(context.Background(), d, layer, o)
	if err != nil {
		t.Fatal(err)
	}
	return d, imp
}

// golden is the part of an alignment worth pinning, rounded so float noise doesn't churn it.
type golden struct {
	LSOAs     map[string]int      `json:"lsoas"`
	Uncovered []string            `json:"uncovered"`
	Split     []string            `json:"split"`
	Score     float64             `json:"score"`
	Coverage  float64             `json:"coverage"`
	Teams     map[string][]string `json:"teams"`
	CSV       string              `json:"teams_csv"`
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func TestTraffordGolden(t *testing.T) {
	for _, method := range []teams.Method{teams.MethodCentroid, teams.MethodArea} {
		t.Run(method.String(), func(t *testing.T) {
			d, imp := trafford(t, method)
			m, err := teams.NewModel(d, imp.Set)
			if err != nil {
				t.Fatal(err)
			}
			a := m.Alignment(0.01)
			g := golden{LSOAs: map[string]int{}, Uncovered: imp.Uncovered, Score: round(a.Score), Coverage: round(a.Coverage), Teams: map[string][]string{}}
			for _, tm := range imp.Set.Teams {
				g.LSOAs[tm.Name] = len(tm.LSOAs)
			}
			for _, c := range imp.Split {
				parts := make([]string, len(c.Teams))
				for i := range c.Teams {
					parts[i] = fmt.Sprintf("%s %.2f", c.Teams[i], c.Shares[i])
				}
				g.Split = append(g.Split, c.Code+": "+strings.Join(parts, " / "))
			}
			for _, tm := range a.Teams {
				for _, s := range tm.PCNs {
					g.Teams[tm.Name] = append(g.Teams[tm.Name], d.PCNs[s.PCN].Code)
				}
			}
			var buf bytes.Buffer
			if err := teams.WriteTeams(&buf, d, a); err != nil {
				t.Fatal(err)
			}
			g.CSV = buf.String()
			got, _ := json.MarshalIndent(g, "", "  ")
			fixtures.Golden(t, filepath.Join("testdata", "trafford-"+method.String()+".golden.json"), append(got, '\n'))
			if a.Score <= 0 || a.Score > 1 {
				t.Errorf("Score = %v, want in (0, 1]", a.Score)
			}
		})
	}
}

func TestPolygonErrors(t *testing.T) {
	d := synthetic(t)
	square := func(x float64) string {
		return `{"type":"Polygon","coordinates":[[[` + ftoa(x) + `,0],[` + ftoa(x+1) + `,0],[` + ftoa(x+1) + `,1],[` + ftoa(x) + `,1],[` + ftoa(x) + `,0]]]}`
	}
	bowtie := `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`
	tests := map[string]struct {
		features string
		text     string
	}{
		"duplicate name":    {features: `{"type":"Feature","properties":{"name":"A","code":"1"},"geometry":` + square(0) + `},{"type":"Feature","properties":{"name":"A","code":"2"},"geometry":` + square(2) + `}`, text: `feature 1: team name "A" repeats feature 0`},
		"self-intersecting": {features: `{"type":"Feature","properties":{"name":"A"},"geometry":` + bowtie + `}`, text: "self-intersecting"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := `{"type":"FeatureCollection","features":[` + tc.features + `]}`
			layer, err := geo.ReadGeoJSON(strings.NewReader(doc), "teams.geojson", geo.ReadOptions{})
			if err == nil {
				_, err = teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{})
			}
			if err == nil || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "teams.geojson") {
				t.Errorf("FromPolygons = %v, want an error containing %q", err, tc.text)
			}
		})
	}
}

func ftoa(v float64) string { b, _ := json.Marshal(v); return string(b) }

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{"team,lsoa\nA,E01000001\n", "Team Name,MSOA11CD\nA,E02000001\nB,E02000002\n", "\uFEFFteam,practice_code\nA,P1\n",
		"team,lsoa,msoa\n", "team,lsoa\n\"a\nb\",x\n", "team,lsoa\nA\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := teams.ParseCSV(strings.NewReader(s), "fuzz.csv")
		if err != nil {
			if !errors.Is(err, teams.ErrInput) {
				t.Fatalf("ParseCSV error %v does not wrap ErrInput", err)
			}
			return
		}
		if len(tab.Rows) == 0 || (tab.Kind != teams.MethodLSOA && tab.Kind != teams.MethodMSOA && tab.Kind != teams.MethodPractice) {
			t.Fatalf("ParseCSV accepted %d rows of kind %v", len(tab.Rows), tab.Kind)
		}
		for _, r := range tab.Rows {
			if r.Team == "" || r.Code == "" || r.Line < 2 {
				t.Fatalf("ParseCSV accepted row %+v", r)
			}
		}
	})
}

func rect(code string, x0, x1 float64) geo.Feature {
	r := orb.Ring{{x0, 0}, {x1, 0}, {x1, 1}, {x0, 1}, {x0, 0}}
	return geo.Feature{Code: code, Geom: orb.MultiPolygon{{r}}}
}

// TestPolygonClaims: team A covers x in [0,2], B covers [1,3], so they overlap on [1,2].
func TestPolygonClaims(t *testing.T) {
	d := synthetic(t)
	layer := &geo.Layer{Source: "overlap.geojson", CodeField: "name", Features: []geo.Feature{rect("A", 0, 2), rect("B", 1, 3)}}
	weights := func(imp *teams.Import) map[string]float64 {
		w := map[string]float64{}
		for _, tm := range imp.Set.Teams {
			for _, l := range tm.LSOAs {
				w[tm.Name+":"+l.LSOA] = math.Round(l.Weight*1000) / 1000
			}
		}
		return w
	}
	centroids := map[string]orb.Point{"LA": {0.5, 0.5}, "LB": {1.5, 0.5}, "LC": {2.5, 0.5}, "LD": {5, 5}}
	imp, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{Centroids: centroids})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"A:LA": 1, "A:LB": 0.5, "B:LB": 0.5, "B:LC": 1}
	if got := weights(imp); !equalWeights(got, want) {
		t.Errorf("centroid weights = %v, want %v", got, want)
	}
	if len(imp.Split) != 1 || imp.Split[0].Code != "LB" || strings.Join(imp.Uncovered, ",") != "LD" || imp.NoPoint != 12 {
		t.Errorf("contested %v, uncovered %v, no point %d; want LB, LD, 12", imp.Split, imp.Uncovered, imp.NoPoint)
	}
	lsoas := &geo.Layer{Source: "lsoa.geojson", Features: []geo.Feature{rect("LA", 0, 1), rect("LB", 1, 2), rect("LC", 2, 3), rect("LD", 2.5, 3.5)}}
	imp, err = teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{Method: teams.MethodArea, LSOAs: lsoas})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{"A:LA": 1, "A:LB": 0.5, "B:LB": 0.5, "B:LC": 1, "B:LD": 0.5}
	if got := weights(imp); !equalWeights(got, want) {
		t.Errorf("area weights = %v, want %v", got, want)
	}
	if _, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{Method: teams.MethodArea}); !errors.Is(err, teams.ErrInput) {
		t.Errorf("area method without LSOA polygons = %v, want ErrInput", err)
	}
}

func equalWeights(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if math.Abs(b[k]-v) > 0.02 {
			return false
		}
	}
	return true
}

func TestSuggest(t *testing.T) {
	d := synthetic(t)
	imp, err := teams.FromTable(context.Background(), d, table(t, "team,lsoa\nA,LA\nB,LB\nA,LC\nB,LD\nA,LE\nB,LF\nA,LG\nB,LH\nA,LI\nB,LJ\nA,LK\nB,LL\nA,LM\nB,LN\nA,LO\nB,LP\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := m.Suggest(context.Background(), teams.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := sg.Set
	if sg.Contiguity != teams.ContiguousMSOA || sg.Merged != nil {
		t.Errorf("Suggest without LSOA polygons: %v, merged %v; want contiguity per MSOA only", sg.Contiguity, sg.Merged != nil)
	}
	sm, err := teams.NewModel(d, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := sm.Alignment(0.01).Score; len(s.Teams) != 2 || got != 1 || s.Method != teams.MethodSuggested {
		t.Errorf("Suggest: %d teams, score %v, method %v; want 2 teams of whole PCNs scoring 1", len(s.Teams), got, s.Method)
	}
	if s.Teams[0].Name != "Team 1 (P0, P1)" || len(s.Teams[0].LSOAs) != 8 {
		t.Errorf("Suggest team 1 = %q with %d LSOAs", s.Teams[0].Name, len(s.Teams[0].LSOAs))
	}

	d2, traf := trafford(t, teams.MethodCentroid)
	m, err = teams.NewModel(d2, traf.Set)
	if err != nil {
		t.Fatal(err)
	}
	if sg, err = m.Suggest(context.Background(), teams.SuggestOptions{LSOAPolygons: d2.LSOAPolygons}); err != nil {
		t.Fatal(err)
	}
	s = sg.Set
	if sg.Contiguity != teams.ContiguousLSOA || len(d2.LSOAPolygons) == 0 {
		t.Fatalf("Suggest with %d LSOA polygons: %v", len(d2.LSOAPolygons), sg.Contiguity)
	}
	if split := splitTeams(d2, s); split != 0 || sg.Split != 0 {
		t.Errorf("Suggest on Trafford with LSOA polygons: %d teams not contiguous over the LSOAs (%d before the repair)", split, sg.Split)
	}
	sm, err = teams.NewModel(d2, s)
	if err != nil {
		t.Fatal(err)
	}
	before, after := m.Alignment(0.01), sm.Alignment(0.01)
	var names []string
	for _, tm := range after.Teams {
		names = append(names, tm.Name)
	}
	t.Logf("Trafford localities score %.4f; suggested %.4f: %s", before.Score, after.Score, strings.Join(names, "; "))
	if len(s.Teams) != 4 || after.Score < before.Score || math.Abs(after.Coverage-before.Coverage) > 1e-9 {
		t.Errorf("Suggest on Trafford: %d teams, score %.4f (current %.4f), coverage %v (current %v)", len(s.Teams), after.Score, before.Score, after.Coverage, before.Coverage)
	}

	// Seven teams over Trafford's LSOAs, one per PCN territory: one territory falls apart over the
	// LSOAs (contiguous per MSOA only); with the LSOA polygons every team is contiguous.
	seven := &teams.Set{Name: "seven", Teams: make([]teams.Team, 7)}
	i := 0
	for _, tm := range traf.Set.Teams {
		for _, w := range tm.LSOAs {
			seven.Teams[i%7].LSOAs = append(seven.Teams[i%7].LSOAs, w)
			i++
		}
	}
	for i := range seven.Teams {
		seven.Teams[i].Name = fmt.Sprint(i)
	}
	if m, err = teams.NewModel(d2, seven); err != nil {
		t.Fatal(err)
	}
	plain, err := m.Suggest(context.Background(), teams.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sg, err = m.Suggest(context.Background(), teams.SuggestOptions{LSOAPolygons: d2.LSOAPolygons}); err != nil {
		t.Fatal(err)
	}
	if split := splitTeams(d2, plain.Set); split == 0 || !reflect.DeepEqual(plain.Set, sg.Merged) || sg.Split != split {
		t.Errorf("seven teams per MSOA: %d split over the LSOAs (Suggest says %d of its merge); the fixture should have some", split, sg.Split)
	}
	if split := splitTeams(d2, sg.Set); split != 0 || sg.Moved == 0 {
		t.Errorf("seven teams with LSOA polygons: %d not contiguous over the LSOAs, %d LSOAs moved", split, sg.Moved)
	}
	var n int
	for _, tm := range sg.Set.Teams {
		n += len(tm.LSOAs)
		if len(tm.LSOAs) == 0 {
			t.Errorf("seven teams with LSOA polygons: %q is empty", tm.Name)
		}
	}
	if n != i {
		t.Errorf("seven teams with LSOA polygons hold %d LSOAs, want %d", n, i)
	}
	t.Logf("seven teams: %d fell apart, %d LSOAs joined a neighbour", sg.Split, sg.Moved)
}

// splitTeams counts the teams of s whose LSOAs are not connected: adjacency by a shared boundary
// segment of d's LSOA polygons (vertices to 1e-6 degree), LSOAs cut off from all others linked to
// the nearest, as contig draws it.
func splitTeams(d *overlap.Dataset, s *teams.Set) int {
	lsoa := map[string]int{}
	for i, l := range d.LSOAs {
		lsoa[l.Code] = i
	}
	var geoms []orb.MultiPolygon
	var points []orb.Point
	var team []int
	byCode := map[string]orb.MultiPolygon{}
	for _, f := range d.LSOAPolygons {
		byCode[f.Code] = f.Geom
	}
	for t, tm := range s.Teams {
		for _, w := range tm.LSOAs {
			geoms = append(geoms, byCode[w.LSOA])
			team = append(team, t)
			p := d.LSOAs[lsoa[w.LSOA]].Point
			if p == (orb.Point{}) && len(byCode[w.LSOA]) > 0 {
				p = byCode[w.LSOA].Bound().Center()
			}
			points = append(points, p)
		}
	}
	g := contig.Shared(geoms)
	nodes := make([]int32, len(geoms))
	for i := range nodes {
		nodes[i] = int32(i)
	}
	g.Link(nodes, points)
	group := make([]int32, len(team))
	for i, t := range team {
		group[i] = int32(t)
	}
	// Components by union–find over the links within a team, not contig.Parts' walk: a team is
	// split when its LSOAs have more than one root.
	root := make([]int32, len(group))
	for i := range root {
		root[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		if root[x] != x {
			root[x] = find(root[x])
		}
		return root[x]
	}
	for a, ns := range g.Adj {
		for _, n := range ns {
			if group[a] == group[n.B] {
				root[find(int32(a))] = find(n.B)
			}
		}
	}
	roots := map[int32]map[int32]bool{}
	for i := range group {
		if roots[group[i]] == nil {
			roots[group[i]] = map[int32]bool{}
		}
		roots[group[i]][find(int32(i))] = true
	}
	split := 0
	for _, r := range roots {
		if len(r) > 1 {
			split++
		}
	}
	return split
}

// TestNestedTeams imports the fixture's MSOAs (GeoPackage in EPSG:27700) as teams: by centroid,
// every LSOA must land in the MSOA the ONS lookup gives it, so each team is exactly one area.
func TestNestedTeams(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("msoa-bng.gpkg"), geo.ReadOptions{CodeField: "MSOA11CD"})
	if err != nil {
		t.Fatal(err)
	}
	layer.NameField = "" // name teams by code
	c, err := nhs.ReadCentroids(fixtures.Path("lsoa-centroids.csv"))
	if err != nil {
		t.Fatal(err)
	}
	pts := make(map[string]orb.Point, len(c.Points))
	for k, p := range c.Points {
		pts[k] = orb.Point{p.Lon, p.Lat}
	}
	got, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{Centroids: pts})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Uncovered) != 0 || len(got.Split) != 0 || got.NoPoint != 0 {
		t.Errorf("uncovered %v, contested %v, no point %d; want none", got.Uncovered, got.Split, got.NoPoint)
	}
	wrong := 0
	for _, tm := range got.Set.Teams {
		for _, w := range tm.LSOAs {
			for l := range d.LSOAs {
				if d.LSOAs[l].Code == w.LSOA && d.Areas[d.LSOAs[l].Area].Code != tm.Name {
					wrong++
				}
			}
		}
	}
	m, err := teams.NewModel(d, got.Set)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Alignment(0.01)
	for i, tm := range a.Teams {
		area, _ := d.Area(tm.Name)
		if int64(tm.Registered) != d.Areas[area].Registered && wrong == 0 {
			t.Errorf("team %d (%s): registered %v, area %v", i, tm.Name, tm.Registered, d.Areas[area].Registered)
		}
	}
	if wrong != 0 {
		t.Errorf("%d LSOAs placed in another MSOA than the lookup's", wrong)
	}
}

// TestFromPolygonsStoredPoints: without Centroids the import takes the points the ingest kept, which
// for the fixture are the same centroids, so the sets are equal.
func TestFromPolygonsStoredPoints(t *testing.T) {
	d, want := trafford(t, teams.MethodCentroid)
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Set.Teams, want.Set.Teams) || got.NoPoint != want.NoPoint {
		t.Errorf("FromPolygons with the stored points differs from the centroid file: %d teams, %d without point; want %d, %d",
			len(got.Set.Teams), got.NoPoint, len(want.Set.Teams), want.NoPoint)
	}
	// A release without points, and no centroids or polygons given: a clear error.
	bare := *d
	bare.LSOAs = slices.Clone(d.LSOAs)
	for i := range bare.LSOAs {
		bare.LSOAs[i].HasPoint = false
	}
	if _, err := teams.FromPolygons(context.Background(), &bare, layer, teams.PolygonOptions{}); !errors.Is(err, teams.ErrNoPoints) {
		t.Errorf("FromPolygons without any points = %v, want ErrNoPoints", err)
	}
}

// TestPolygonsKept: an imported polygon set keeps each team's polygon, and an edit drops them, since
// the edited teams no longer follow them.
func TestPolygonsKept(t *testing.T) {
	d, imp := trafford(t, teams.MethodCentroid)
	for _, tm := range imp.Set.Teams {
		if len(tm.Geom) == 0 {
			t.Fatalf("team %s has no polygon after import", tm.Name)
		}
	}
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Set(); s.Method != teams.MethodCentroid || s.Teams[0].Geom == nil {
		t.Errorf("Set() before any move: method %s, polygon kept %v", s.Method, s.Teams[0].Geom != nil)
	}
	from := imp.Set.Teams[0]
	to := imp.Set.Teams[1].Name
	if err := m.Move(from.LSOAs[0].LSOA, from.Name, to); err != nil {
		t.Fatal(err)
	}
	if s := m.Set(); s.Method != teams.MethodEdited || s.Teams[0].Geom != nil {
		t.Errorf("Set() after a move: method %s, polygon kept %v; want edited, dropped", s.Method, s.Teams[0].Geom != nil)
	}
}

// TestClone: a clone moves without touching the model it came from, and the other way round, and
// what it computes equals a model built afresh and moved the same way. Clones are taken and moved
// from several goroutines at once (go test -race).
func TestClone(t *testing.T) {
	d, imp := trafford(t, teams.MethodCentroid)
	base, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	want0 := base.Alignment(0.01)
	area := d.Areas[d.LSOAs[mustLSOA(t, d, imp.Set.Teams[0].LSOAs[0].LSOA)].Area].Code
	from, to := imp.Set.Teams[0].Name, imp.Set.Teams[1].Name
	fresh, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Move(area, from, to); err != nil {
		t.Fatal(err)
	}
	want1 := fresh.Alignment(0.01)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := base.Clone()
			if err := c.Move(area, from, to); err != nil {
				t.Error(err)
				return
			}
			if got := c.Alignment(0.01); !reflect.DeepEqual(got, want1) {
				t.Errorf("clone after Move(%s): score %v, want %v", area, got.Score, want1.Score)
			}
		}()
	}
	wg.Wait()
	if got := base.Alignment(0.01); !reflect.DeepEqual(got, want0) {
		t.Errorf("base after its clones moved: score %v, want %v", got.Score, want0.Score)
	}
	c := base.Clone()
	if err := base.Move(area, from, to); err != nil {
		t.Fatal(err)
	}
	if got := c.Alignment(0.01); !reflect.DeepEqual(got, want0) {
		t.Errorf("clone after its base moved: score %v, want %v", got.Score, want0.Score)
	}
	if !reflect.DeepEqual(base.Set(), fresh.Set()) || reflect.DeepEqual(c.Set(), fresh.Set()) {
		t.Errorf("Set(): the moved base equals the moved model %v (want true), the unmoved clone %v (want false)",
			reflect.DeepEqual(base.Set(), fresh.Set()), reflect.DeepEqual(c.Set(), fresh.Set()))
	}
}

func mustLSOA(t *testing.T, d *overlap.Dataset, code string) int {
	t.Helper()
	for i := range d.LSOAs {
		if d.LSOAs[i].Code == code {
			return i
		}
	}
	t.Fatalf("no LSOA %s", code)
	return -1
}

// TestAreaTeams: the Trafford localities follow ward lines, not MSOAs, so most Trafford MSOAs sit
// wholly in one locality: each area's team is the one holding most of its LSOAs' patients, and the
// shares are those patients over the area's registered.
func TestAreaTeams(t *testing.T) {
	d, imp := trafford(t, teams.MethodCentroid)
	m, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	got := m.AreaTeams()
	if len(got) < 20 {
		t.Fatalf("AreaTeams = %d areas, want Trafford's 28", len(got))
	}
	team := map[string]int{}
	for ti, tm := range imp.Set.Teams {
		for _, w := range tm.LSOAs {
			team[w.LSOA] = ti
		}
	}
	for _, at := range got {
		per := make([]float64, len(imp.Set.Teams))
		for l := range d.LSOAs {
			if int(d.LSOAs[l].Area) == at.Area {
				if ti, ok := team[d.LSOAs[l].Code]; ok {
					per[ti] += float64(d.LSOAs[l].Registered)
				}
			}
		}
		best := slices.Index(per, slices.Max(per))
		want := per[best] / float64(d.Areas[at.Area].Registered)
		if at.Team != best || math.Abs(at.Share-want) > 1e-9 {
			t.Errorf("area %s: team %d share %.4f, want %d %.4f", d.Areas[at.Area].Code, at.Team, at.Share, best, want)
		}
	}
}

// TestTeamNames: a team name with a control character or a bidirectional override is refused,
// naming the line, and the message shows it escaped.
func TestTeamNames(t *testing.T) {
	for name, team := range map[string]string{"escape": "\x1b[2JNorth", "newline": "North\nSouth", "bidi override": "North\u202eSouth", "C1": "Nor\u009bth"} {
		t.Run(name, func(t *testing.T) {
			_, err := teams.ParseCSV(strings.NewReader("team,lsoa\nOK,E01006187\n"+strconvQuote(team)+",E01006188\n"), "teams.csv")
			if !errors.Is(err, teams.ErrInput) || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "control character") {
				t.Errorf("ParseCSV(team %q) error = %v, want ErrInput at line 3 about a control character", team, err)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\x1b\n\u202e\u0085") {
				t.Errorf("the error quotes the name raw: %q", err)
			}
		})
	}
	if err := teams.CheckName("Altrincham & Hale – Central"); err != nil {
		t.Errorf("CheckName(an ordinary name) = %v", err)
	}
}

// strconvQuote quotes s as a CSV field.
func strconvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
