package neighbourhoods

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
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/ingest"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

// grid is a synthetic release: w × h square LSOAs of 1,000 residents each, tiled by PCNs that are
// bw × bh rectangles of LSOAs. A share spill of each LSOA's residents is registered with the PCN of
// the LSOA to its right (none at the right edge), the rest with its own PCN.
func grid(w, h, bw, bh int, spill float64) (*overlap.Dataset, []geo.Feature) {
	d := &overlap.Dataset{Release: "grid", Areas: []overlap.Area{{Feature: geo.Feature{Code: "A"}}}}
	pcnOf := func(x, y int) int { return (y/bh)*(w/bw) + x/bw }
	for p := 0; p < (w/bw)*(h/bh); p++ {
		code := fmt.Sprintf("P%03d", p)
		d.PCNs = append(d.PCNs, overlap.PCN{Code: code, Practices: []int32{int32(p)}})
		d.Practices = append(d.Practices, overlap.Practice{Code: "G" + code, PCN: int32(p)})
	}
	var polys []geo.Feature
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l := int32(len(d.LSOAs))
			code := fmt.Sprintf("E01%03d%03d", y, x)
			d.LSOAs = append(d.LSOAs, overlap.LSOA{Code: code, Registered: 1000, Point: orb.Point{float64(x) + 0.5, float64(y) + 0.5}, HasPoint: true})
			d.LSOAs[l].Units[nhs.KindLA] = "L"
			x0, y0 := float64(x)/100, float64(y)/100
			ring := orb.Ring{{x0, y0}, {x0 + 0.01, y0}, {x0 + 0.01, y0 + 0.01}, {x0, y0 + 0.01}, {x0, y0}}
			polys = append(polys, geo.Feature{Code: code, Geom: orb.MultiPolygon{{ring}}})
			own, right := int32(1000), int32(0)
			if x+1 < w && spill > 0 {
				right = int32(math.Round(1000 * spill))
				own -= right
				d.Rows = append(d.Rows, overlap.Row{Practice: int32(pcnOf(x+1, y)), LSOA: l, Patients: right})
			}
			d.Rows = append(d.Rows, overlap.Row{Practice: int32(pcnOf(x, y)), LSOA: l, Patients: own})
		}
	}
	for _, r := range d.Rows {
		d.PCNs[r.Practice].Resident += int64(r.Patients)
		d.Areas[0].Registered += int64(r.Patients)
	}
	d.Index()
	return d, polys
}

// score is the alignment score computed directly from the registration rows: Σ_p max_N / Σ_p Σ_N.
func score(d *overlap.Dataset, s *teams.Set) float64 {
	team := map[string]int{}
	for t, tm := range s.Teams {
		for _, w := range tm.LSOAs {
			team[w.LSOA] = t
		}
	}
	m := map[[2]int]float64{}
	var total float64
	for _, r := range d.Rows {
		p := d.Practices[r.Practice].PCN
		t, ok := team[d.LSOAs[r.LSOA].Code]
		if p == overlap.NoPCN || !ok {
			continue
		}
		m[[2]int{int(p), t}] += float64(r.Patients)
		total += float64(r.Patients)
	}
	best := map[int]float64{}
	for k, v := range m {
		best[k[0]] = max(best[k[0]], v)
	}
	var sum float64
	for _, v := range best {
		sum += v
	}
	return sum / total
}

func TestGridOptimum(t *testing.T) {
	for name, tc := range map[string]struct {
		w, h, bw, bh int
		spill        float64
		opt          Options
		want         float64 // the known optimum
	}{
		// 16 PCNs of 4,000 in a 4 × 4 grid, neighbourhoods of exactly 8,000: only pairs of whole
		// touching PCNs (a domino tiling of the PCN grid) score 1.
		"pairs of PCNs": {w: 8, h: 8, bw: 2, bh: 2, opt: Options{Band: Band{Min: 8000, Max: 8000}}, want: 1},
		// 9 PCNs of 3,000 in a 3 × 3 grid, three neighbourhoods of 9,000: three whole PCNs each.
		"triples of PCNs": {w: 9, h: 3, bw: 3, bh: 1, opt: Options{Count: 3, Band: Band{Min: 9000, Max: 9000}}, want: 1},
		// A strip of 12 LSOAs, PCNs of 2 LSOAs, 20% of each LSOA registered with the PCN of the LSOA
		// to its right, neighbourhoods of exactly 4 LSOAs: the only partition is 0–3, 4–7, 8–11.
		// The spill of LSOAs 3 and 7 (200 each) goes to PCNs 2 and 4, whose homes are the next
		// neighbourhoods; every other spill stays in its PCN's home. 12,000 patients in all.
		"strip with spill": {w: 12, h: 1, bw: 2, bh: 1, spill: 0.2, opt: Options{Band: Band{Min: 4000, Max: 4000}}, want: (12000 - 400.0) / 12000},
	} {
		t.Run(name, func(t *testing.T) {
			d, polys := grid(tc.w, tc.h, tc.bw, tc.bh, tc.spill)
			pr, err := Build(d, polys, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pr.Design(context.Background(), Config{Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if got := score(d, plan.Set); math.Abs(got-tc.want) > 1e-9 || math.Abs(plan.Score-got) > 1e-9 {
				t.Errorf("score = %.6f (direct %.6f), want %.6f", plan.Score, got, tc.want)
			}
			if plan.Bound < plan.Score-1e-9 {
				t.Errorf("bound %.6f below the score %.6f", plan.Bound, plan.Score)
			}
			for _, n := range plan.Neighbourhoods {
				if n.Violation != "" {
					t.Errorf("%s: %s", n.Name, n.Violation)
				}
			}
		})
	}
}

// connected reports whether the LSOAs of a team are connected through edges, checked with its own search.
func connected(pr *Problem, codes []string) bool {
	in := map[string]bool{}
	for _, c := range codes {
		in[c] = true
	}
	adj := map[string][]string{}
	for _, e := range pr.Edges {
		a, b := pr.Blocks[e.A].Code, pr.Blocks[e.B].Code
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	seen := map[string]bool{codes[0]: true}
	q := []string{codes[0]}
	for len(q) > 0 {
		c := q[0]
		q = q[1:]
		for _, n := range adj[c] {
			if in[n] && !seen[n] {
				seen[n] = true
				q = append(q, n)
			}
		}
	}
	return len(seen) == len(codes)
}

// TestInvariants checks on the fixture (Manchester, Trafford, Rutland) that plans partition the
// region, are contiguous, nest in their units, meet the band or say why, and score as teams does.
func TestInvariants(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, opt := range map[string]Options{
		"lsoa, la":           {},
		"lsoa, none, 25-40k": {NoNest: true, Band: Band{Min: 25000, Max: 40000}},
		"msoa, la":           {Blocks: BlocksMSOA, Band: Band{Min: 20000, Max: 60000}},
		"lsoa, Trafford, 4":  {WithinKind: nhs.KindLA, Within: "E08000009", Count: 4},
		"lsoa, ccg":          {Nest: nhs.KindCCG},
	} {
		t.Run(name, func(t *testing.T) {
			pr, err := Build(d, d.LSOAPolygons, opt)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pr.Design(ctx, Config{Seed: 1, Effort: 100})
			if err != nil {
				t.Fatal(err)
			}
			if opt.Count > 0 && len(plan.Neighbourhoods) != opt.Count {
				t.Errorf("%d neighbourhoods, want %d", len(plan.Neighbourhoods), opt.Count)
			}
			want := 0
			for _, l := range d.LSOAs {
				if l.Registered > 0 && (opt.Within == "" || l.Units[nhs.KindLA] == opt.Within) {
					want++
				}
			}
			seen := map[string]bool{}
			kind := pr.Opt.Nest
			for i, n := range plan.Neighbourhoods {
				var reg int64
				units := map[string]bool{}
				for _, w := range plan.Set.Teams[i].LSOAs {
					if seen[w.LSOA] {
						t.Errorf("%s in two neighbourhoods", w.LSOA)
					}
					seen[w.LSOA] = true
					l := d.LSOAs[lsoaIdx(d, w.LSOA)]
					reg += l.Registered
					if kind != nhs.KindUnset {
						units[l.Units[kind]] = true
					}
				}
				if len(units) > 1 && opt.Blocks != BlocksMSOA {
					t.Errorf("%s crosses %d units of %s", n.Name, len(units), kind)
				}
				if !connected(pr, n.Blocks) {
					t.Errorf("%s is not contiguous", n.Name)
				}
				within := float64(reg) >= pr.Band.Min && float64(reg) <= pr.Band.Max
				if within != (n.Violation == "") {
					t.Errorf("%s: %d residents, band %v, violation %q", n.Name, reg, pr.Band, n.Violation)
				}
			}
			if len(seen) != want {
				t.Errorf("plan holds %d LSOAs, want %d", len(seen), want)
			}
			m, err := teams.NewModel(d, plan.Set)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Alignment(0).Score; math.Abs(got-plan.Score) > 1e-9 {
				t.Errorf("score %.6f, teams says %.6f", plan.Score, got)
			}
			if plan.Score > plan.Bound+1e-9 {
				t.Errorf("score %.6f above the bound %.6f", plan.Score, plan.Bound)
			}
		})
	}
}

func lsoaIdx(d *overlap.Dataset, code string) int {
	for i := range d.LSOAs {
		if d.LSOAs[i].Code == code {
			return i
		}
	}
	panic(code)
}

func TestDeterministic(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Build(d, d.LSOAPolygons, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sets []*teams.Set
	for range 2 {
		plan, err := pr.Design(context.Background(), Config{Seed: 3, Effort: 100})
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, plan.Set)
	}
	if !reflect.DeepEqual(sets[0], sets[1]) {
		t.Error("two designs with one seed differ")
	}
	other, err := pr.Design(context.Background(), Config{Seed: 4, Effort: 100})
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(sets[0], other.Set) {
		t.Log("seeds 3 and 4 gave the same plan")
	}
}

func TestRefused(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		opt  Options
		want string
	}{
		"count below units":   {Options{Count: 2}, "cannot nest in 3 units"},
		"count above blocks":  {Options{Count: 5000}, "5000 neighbourhoods asked of 443 lsoas"},
		"band and count":      {Options{Count: 31, Band: Band{Min: 30000, Max: 50000}}, "between 20 and 30 can"},
		"band and count, few": {Options{Count: 3, NoNest: true, Band: Band{Min: 30000, Max: 50000}}, "between 19 and 31 can"},
		"empty region":        {Options{WithinKind: nhs.KindLA, Within: "E09000001"}, "no lsoa with registered residents"},
		"no polygons":         {Options{Blocks: BlocksLSOA, WithinKind: nhs.KindLA, Within: "none"}, "no lsoa"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(d, d.LSOAPolygons, tc.opt)
			if !errors.Is(err, ErrInput) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Errorf("Build = %v, want ErrInput saying %q", err, tc.want)
			}
		})
	}
	if _, err := Build(d, nil, Options{}); !errors.Is(err, ErrNoPolygons) {
		t.Errorf("Build without polygons = %v, want ErrNoPolygons", err)
	}
}

// TestUnmetBand: Rutland (39k) cannot be split into neighbourhoods of 15–18k, so its plan says why.
func TestUnmetBand(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindLA, Within: "E06000017", Band: Band{Min: 15000, Max: 18000}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pr.Design(context.Background(), Config{Seed: 1, Effort: 100})
	if err != nil {
		t.Fatal(err)
	}
	broken := 0
	for _, n := range plan.Neighbourhoods {
		if n.Violation != "" {
			broken++
			if !bytes.Contains([]byte(n.Violation), []byte("no number of neighbourhoods fits 15k-18k")) {
				t.Errorf("%s: %s", n.Name, n.Violation)
			}
		}
	}
	if broken == 0 {
		t.Errorf("no neighbourhood breaks the band: %+v", plan.Neighbourhoods)
	}
}

func TestParseBand(t *testing.T) {
	for in, want := range map[string]Band{"30k-50k": {30000, 50000}, "30000-50000": {30000, 50000}, "-50k": {0, 50000}, " 1.5k - 2k ": {1500, 2000}} {
		if got, err := ParseBand(in); err != nil || got != want {
			t.Errorf("ParseBand(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "50k", "50k-30k", "30k-", "a-b", "-1-5", "0-0", "NaN-1"} {
		if _, err := ParseBand(in); !errors.Is(err, ErrInput) {
			t.Errorf("ParseBand(%q) = %v, want ErrInput", in, err)
		}
	}
}

func FuzzParseBand(f *testing.F) {
	for _, s := range []string{"30k-50k", "-50k", "1-2", "k-k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBand(s)
		if err != nil {
			return
		}
		if b.Max <= 0 || b.Min > b.Max || b.Min < 0 {
			t.Errorf("ParseBand(%q) = %v", s, b)
		}
		if again, err := ParseBand(b.String()); err != nil || math.Abs(again.Max-b.Max) > 0.5 || math.Abs(again.Min-b.Min) > 0.5 {
			t.Errorf("ParseBand(%q) = %v, String %q reads back as %v, %v", s, b, b.String(), again, err)
		}
	})
}

type goldenPlan struct {
	Score, Construction, Bound float64
	Neighbourhoods             []goldenNeighbourhood
}

type goldenNeighbourhood struct {
	Name       string
	Registered float64
	Blocks     int
	First      string
	Violation  string `json:",omitempty"`
}

// TestTraffordGolden: the plan of Trafford at the defaults and seed 1.
func TestTraffordGolden(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindLA, Within: "E08000009"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pr.Design(context.Background(), Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r4 := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	g := goldenPlan{Score: r4(plan.Score), Construction: r4(plan.Construction), Bound: r4(plan.Bound)}
	for _, n := range plan.Neighbourhoods {
		g.Neighbourhoods = append(g.Neighbourhoods, goldenNeighbourhood{Name: n.Name, Registered: n.Registered, Blocks: len(n.Blocks), First: n.Blocks[0], Violation: n.Violation})
	}
	got, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	fixtures.Golden(t, filepath.Join("testdata", "trafford.golden.json"), got)
}

// TestStart improves Trafford's four localities (2017) under a 40k–90k band: the plan keeps four
// neighbourhoods, lists exactly the LSOAs it moved, and is no worse than the localities.
func TestStart(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := imp.Set
	pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindLA, Within: "E08000009", Band: Band{Min: 40000, Max: 90000}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pr.Design(context.Background(), Config{Seed: 1, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Neighbourhoods) != len(start.Teams) || len(plan.Merges) != 0 {
		t.Fatalf("%d neighbourhoods (%d joins) from a start of %d teams within the band", len(plan.Neighbourhoods), len(plan.Merges), len(start.Teams))
	}
	// The moves are the LSOAs whose team changed: compare the two sets by their LSOAs' partners.
	was := map[string]string{}
	for _, tm := range start.Teams {
		for _, w := range tm.LSOAs {
			was[w.LSOA] = tm.Name
		}
	}
	moved := map[string]bool{}
	for _, m := range plan.Moves {
		moved[m.Block] = true
	}
	for i, tm := range plan.Set.Teams {
		if tm.Name != start.Teams[i].Name {
			t.Errorf("neighbourhood %d is %q, want the starting team's name %q", i, tm.Name, start.Teams[i].Name)
		}
		for _, w := range tm.LSOAs {
			if (was[w.LSOA] != tm.Name) != moved[w.LSOA] {
				t.Errorf("%s in %s, was in %q, listed as moved: %v", w.LSOA, tm.Name, was[w.LSOA], moved[w.LSOA])
			}
		}
	}
	for _, m := range plan.Moves {
		if was[m.Block] != m.From {
			t.Errorf("move %+v: %s was in %q", m, m.Block, was[m.Block])
		}
	}
	before := score(d, start)
	if plan.Score < before-1e-9 && plan.Outside >= plan.ConstructionOutside {
		t.Errorf("score %.4f below the localities' %.4f with no gain in the band", plan.Score, before)
	}
	t.Logf("localities %.4f → %.4f with %d moves; outside the band %.0f → %.0f", before, plan.Score, len(plan.Moves), plan.ConstructionOutside, plan.Outside)
}

// TestStartJoins starts from a set far below the band, as Sheffield's 147 community neighbourhoods
// are: 32 one-LSOA teams of 1,000 residents on an 8 × 4 grid tiled by 2 × 2 PCNs, in a band of
// 7,000–9,000. The plan joins whole teams into the 4 neighbourhoods the band allows, lists each join
// with every starting team in exactly one, names each after its first team, and lists as moves exactly
// the LSOAs that then left their join; the score is the one counted from the rows.
func TestStartJoins(t *testing.T) {
	d, polys := grid(8, 4, 2, 2, 0.1)
	start := &teams.Set{Name: "small"}
	for i, l := range d.LSOAs {
		start.Teams = append(start.Teams, teams.Team{Name: fmt.Sprintf("T%02d", i), LSOAs: []teams.Weight{{LSOA: l.Code, Weight: 1}}})
	}
	pr, err := Build(d, polys, Options{Band: Band{Min: 7000, Max: 9000}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pr.Design(context.Background(), Config{Seed: 1, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Neighbourhoods) != 4 || len(plan.Merges) != 4 {
		t.Fatalf("%d neighbourhoods, %d joins; want 4 and 4", len(plan.Neighbourhoods), len(plan.Merges))
	}
	joinOf := map[string]string{} // LSOA → the join holding its starting team
	for _, m := range plan.Merges {
		if want := fmt.Sprintf("%s and %d more", m.Of[0], len(m.Of)-1); m.Name != want {
			t.Errorf("join named %q, want %q", m.Name, want)
		}
		for _, team := range m.Of {
			var i int
			fmt.Sscanf(team, "T%02d", &i)
			if prev, ok := joinOf[d.LSOAs[i].Code]; ok {
				t.Errorf("team %s in joins %q and %q", team, prev, m.Name)
			}
			joinOf[d.LSOAs[i].Code] = m.Name
		}
	}
	if len(joinOf) != len(start.Teams) {
		t.Errorf("the joins hold %d of the %d starting teams", len(joinOf), len(start.Teams))
	}
	moved := map[string]bool{}
	for _, m := range plan.Moves {
		moved[m.Block] = true
		if joinOf[m.Block] != m.From {
			t.Errorf("move %+v: %s was joined into %q", m, m.Block, joinOf[m.Block])
		}
	}
	for _, tm := range plan.Set.Teams {
		for _, w := range tm.LSOAs {
			if (joinOf[w.LSOA] != tm.Name) != moved[w.LSOA] {
				t.Errorf("%s in %s, joined into %q, listed as moved: %v", w.LSOA, tm.Name, joinOf[w.LSOA], moved[w.LSOA])
			}
		}
	}
	for _, n := range plan.Neighbourhoods {
		if n.Violation != "" {
			t.Errorf("%s: %s", n.Name, n.Violation)
		}
	}
	if got := score(d, plan.Set); math.Abs(got-plan.Score) > 1e-9 || plan.Score < plan.Construction-1e-9 {
		t.Errorf("score %.6f (direct %.6f), construction %.6f", plan.Score, got, plan.Construction)
	}
	again, err := pr.Design(context.Background(), Config{Seed: 1, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Merges, plan.Merges) || !reflect.DeepEqual(again.Moves, plan.Moves) {
		t.Error("a second run with the same seed joined or moved differently")
	}
}

// TestAssess reads a designed Trafford plan back as any set: residents add up to the region, the
// figures agree with the plan, and each practice's straddle matches a count from the rows.
func TestAssess(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindLA, Within: "E08000009"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pr.Design(context.Background(), Config{Seed: 1, Effort: 100})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Assess(d, plan.Set, 0.01, Band{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a.Score-plan.Score) > 1e-9 {
		t.Errorf("assessed score %.6f, plan %.6f", a.Score, plan.Score)
	}
	var reg float64
	for i, n := range a.Neighbourhoods {
		reg += n.Registered
		if n.Registered != plan.Neighbourhoods[i].Registered || n.InBand != (plan.Neighbourhoods[i].Violation == "") {
			t.Errorf("%s: %.0f residents, in band %v; plan says %.0f, %q", n.Name, n.Registered, n.InBand, plan.Neighbourhoods[i].Registered, plan.Neighbourhoods[i].Violation)
		}
		if len(n.LAs) != 1 || n.LAs[0].Code != "E08000009" || math.Abs(n.LAs[0].Share-1) > 1e-9 {
			t.Errorf("%s: LAs %+v, want all of Trafford", n.Name, n.LAs)
		}
		if n.Urban < 0 || n.Urban > 1 {
			t.Errorf("%s: urban share %v", n.Name, n.Urban)
		}
		if len(n.PCNs) == 0 || n.PCNs[0].Code != n.Dominant {
			t.Errorf("%s: PCNs %+v, dominant %s", n.Name, n.PCNs, n.Dominant)
		}
	}
	var want int64
	for _, l := range d.LSOAs {
		if l.Units[nhs.KindLA] == "E08000009" {
			want += l.Registered
		}
	}
	if int64(reg) != want {
		t.Errorf("residents %.0f, Trafford has %d", reg, want)
	}
	// Straddle from the rows: a practice's patients in Trafford outside its PCN's main neighbourhood.
	team := map[string]string{}
	for _, tm := range plan.Set.Teams {
		for _, w := range tm.LSOAs {
			team[w.LSOA] = tm.Name
		}
	}
	mainOf := map[string]string{}
	for _, p := range a.PCNs {
		mainOf[p.Code] = p.Main
	}
	in, home := map[string]float64{}, map[string]float64{}
	for _, r := range d.Rows {
		pr := d.Practices[r.Practice]
		tm, ok := team[d.LSOAs[r.LSOA].Code]
		if pr.PCN == overlap.NoPCN || !ok {
			continue
		}
		in[pr.Code] += float64(r.Patients)
		if tm == mainOf[d.PCNs[pr.PCN].Code] {
			home[pr.Code] += float64(r.Patients)
		}
	}
	if len(a.Practices) != len(in) {
		t.Errorf("%d practices assessed, %d have patients in Trafford", len(a.Practices), len(in))
	}
	for _, s := range a.Practices {
		if want := 1 - home[s.Code]/in[s.Code]; math.Abs(s.Straddle-want) > 1e-9 || s.Patients != in[s.Code] {
			t.Errorf("practice %s: straddle %.4f of %.0f, want %.4f of %.0f", s.Code, s.Straddle, s.Patients, want, in[s.Code])
		}
	}
}

// TestRealign checks every proposed move on Trafford's localities by applying the moves so far to
// the release's membership and measuring the set again from scratch.
func TestRealign(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	moves, err := Realign(context.Background(), d, imp.Set, 0.01, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(moves) == 0 {
		t.Fatal("no moves proposed")
	}
	m0, err := teams.NewModel(d, imp.Set)
	if err != nil {
		t.Fatal(err)
	}
	prev := m0.Alignment(0).Score
	var applied []overlap.Membership
	for i, mv := range moves {
		applied = append(applied, mv.Membership)
		after, err := d.WithMembership(applied)
		if err != nil {
			t.Fatal(err)
		}
		m, err := teams.NewModel(after, imp.Set)
		if err != nil {
			t.Fatal(err)
		}
		got := m.Alignment(0).Score
		if math.Abs(got-mv.After) > 1e-9 || math.Abs(mv.Before-prev) > 1e-9 || mv.After <= mv.Before {
			t.Errorf("move %d %+v: score %.6f → %.6f, recomputed %.6f → %.6f", i, mv.Membership, mv.Before, mv.After, prev, got)
		}
		from, _ := after.PCN(mv.From)
		to, _ := after.PCN(mv.To)
		if after.PCNs[from].ListSize != mv.FromList[1] || after.PCNs[to].ListSize != mv.ToList[1] {
			t.Errorf("move %d: list sizes %v %v, recomputed %d %d", i, mv.FromList, mv.ToList, after.PCNs[from].ListSize, after.PCNs[to].ListSize)
		}
		if mv.Small != (mv.FromList[1] < SmallPCN) {
			t.Errorf("move %d: small flag %v for %d", i, mv.Small, mv.FromList[1])
		}
		t.Logf("%s %s → %s: %.4f → %.4f, lists %v %v, main %v %v", mv.Practice, mv.From, mv.To, mv.Before, mv.After, mv.FromList, mv.ToList, mv.FromMain, mv.ToMain)
		prev = got
	}
	// The original release is untouched.
	if again := m0.Alignment(0).Score; math.Abs(again-moves[0].Before) > 1e-12 {
		t.Errorf("the release changed: score %.6f, was %.6f", again, moves[0].Before)
	}
	if _, err := d.WithMembership([]overlap.Membership{{Practice: moves[0].Practice, From: moves[0].To, To: moves[0].From}}); !errors.Is(err, overlap.ErrMembership) {
		t.Errorf("moving a practice from a PCN it is not in: %v, want ErrMembership", err)
	}
}

// TestAssessProfiles reads Trafford's four localities (LSOAs placed by centroid) as a plan: each
// one's residents by IMD decile and by rural-urban class against
// cmd/pcnmap/testdata/report-neighbourhoods/profile.py, which counts the fixture's registration
// rows of each locality's LSOAs by the IMD_OVERALL of fixtures/lsoa-msoa-lookup.csv and the RUC11CD
// of fixtures/lsoa-ruc.csv, without pcnmap. Then a release without those contexts says so.
func TestAssessProfiles(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := teams.FromPolygons(context.Background(), d, layer, teams.PolygonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Assess(d, imp.Set, 0.01, Band{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Missing != nil {
		t.Errorf("Missing = %q, want nil: the fixture has both contexts", a.Missing)
	}
	// profile.py's output: residents; residents in deciles 1 … 10; classes.
	want := map[string]struct {
		residents float64
		deciles   [10]float64
		classes   map[string]float64
	}{
		"Central": {58990, [10]float64{3839, 1880, 1837, 0, 2402, 3701, 8552, 14576, 8771, 13432}, map[string]float64{"A1": 58990}},
		"North":   {54358, [10]float64{2958, 7384, 11868, 17401, 5583, 5564, 3600, 0, 0, 0}, map[string]float64{"A1": 54358}},
		"South":   {84001, [10]float64{1781, 0, 1435, 1754, 3875, 1643, 7528, 10591, 18371, 37023}, map[string]float64{"A1": 79032, "C1": 3405, "E1": 1564}},
		"West":    {55626, [10]float64{3922, 1726, 7537, 1776, 10844, 2998, 4979, 13728, 5143, 2973}, map[string]float64{"A1": 55626}},
	}
	if len(a.Neighbourhoods) != len(want) {
		t.Fatalf("%d neighbourhoods, want %d", len(a.Neighbourhoods), len(want))
	}
	for _, n := range a.Neighbourhoods {
		w, ok := want[n.Name]
		switch {
		case !ok:
			t.Errorf("unexpected neighbourhood %q", n.Name)
			continue
		case n.Registered != w.residents:
			t.Errorf("%s: %.0f residents, want %.0f", n.Name, n.Registered, w.residents)
		case n.Deprivation == nil:
			t.Errorf("%s: no deprivation profile", n.Name)
			continue
		}
		for i, v := range w.deciles {
			if got := n.Deprivation.Deciles[i]; math.Abs(got-v/w.residents) > 1e-12 {
				t.Errorf("%s: decile %d share %.6f, want %.0f/%.0f", n.Name, i+1, got, v, w.residents)
			}
		}
		if got, core := n.Deprivation.Core20, (w.deciles[0]+w.deciles[1])/w.residents; math.Abs(got-core) > 1e-12 || n.Deprivation.Unknown != 0 {
			t.Errorf("%s: core20 %.6f, unknown %v; want %.6f, 0", n.Name, got, n.Deprivation.Unknown, core)
		}
		var codes []string
		for _, u := range n.RuralUrban {
			codes = append(codes, u.Code)
			if math.Abs(u.Share-w.classes[u.Code]/w.residents) > 1e-12 {
				t.Errorf("%s: class %s share %.6f, want %.0f/%.0f", n.Name, u.Code, u.Share, w.classes[u.Code], w.residents)
			}
		}
		if len(codes) != len(w.classes) || !slices.IsSorted(codes) {
			t.Errorf("%s: classes %v, want those of %v in code order", n.Name, codes, w.classes)
		}
		if n.Name == "South" && n.RuralUrban[2].Name != "Rural village and dispersed" {
			t.Errorf("South: class E1 named %q", n.RuralUrban[2].Name)
		}
	}

	// The same release without the lookup's IMD and the rural-urban file.
	o := fixtures.Options()
	o.Contexts = []string{fixtures.Path("lsoa-ccg-lad.csv")}
	bare, err := ingest.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Assess(bare, imp.Set, 0.01, Band{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Missing, []string{MissingIMD, MissingRUC}) {
		t.Errorf("Missing = %q, want the IMD and the rural-urban lines", b.Missing)
	}
	for _, n := range b.Neighbourhoods {
		if n.Deprivation != nil || n.RuralUrban != nil || n.Urban != -1 {
			t.Errorf("%s: deprivation %+v, classes %+v, urban %v without the contexts", n.Name, n.Deprivation, n.RuralUrban, n.Urban)
		}
	}
}

// greedyTerms checks teams suggest against the designer on the greedy's own terms in the region of
// opt (no nesting, count): the greedy's teams are contiguous over the LSOAs while its merge had
// teams that fell apart, and a plan with the greedy's cap (1.5 × the mean, or its largest team)
// scores at least the greedy's score.
func greedyTerms(t *testing.T, d *overlap.Dataset, polys []geo.Feature, opt Options, effort int) {
	t.Helper()
	opt.NoNest = true
	pr, err := Build(d, polys, opt)
	if err != nil {
		t.Fatal(err)
	}
	first, err := pr.Design(context.Background(), Config{Seed: 1, Effort: 1, Restarts: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := pr.Greedy(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	if g.Contiguity != teams.ContiguousLSOA || g.Split == 0 {
		t.Errorf("%s: greedy %v with %d teams of its merge fallen apart; want some, made contiguous over the LSOAs", opt.Within, g.Contiguity, g.Split)
	}
	if n := pr.discontiguous(g.Set); n != 0 {
		t.Errorf("%s: %d of the greedy's %d teams are not contiguous over the LSOAs", opt.Within, n, len(g.Set.Teams))
	}
	held := map[string]int{}
	for _, tm := range g.Set.Teams {
		if len(tm.LSOAs) == 0 {
			t.Errorf("%s: greedy team %q is empty", opt.Within, tm.Name)
		}
		for _, w := range tm.LSOAs {
			held[w.LSOA]++
		}
	}
	for _, b := range pr.Blocks {
		if held[b.Code] != 1 {
			t.Errorf("%s: LSOA %s is in %d greedy teams", opt.Within, b.Code, held[b.Code])
		}
	}
	var total float64
	for _, b := range pr.Blocks {
		total += b.Registered
	}
	opt.Band = Band{Max: max(1.5*total/float64(opt.Count), g.Largest)}
	gp, err := Build(d, polys, opt)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := gp.Design(context.Background(), Config{Seed: 1, Effort: effort})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Score < g.Score-1e-9 || plan.Outside > 0 {
		t.Errorf("%s at %d: plan %.6f with %.0f residents outside the cap, below the contiguous greedy's %.6f", opt.Within, opt.Count, plan.Score, plan.Outside, g.Score)
	}
	t.Logf("%s at %d: plan %.4f, greedy contiguous over the LSOAs %.4f (per MSOA only %.4f, %d teams fallen apart)", opt.Within, opt.Count, plan.Score, g.Score, g.PerMSOA, g.Split)
}

// TestGreedyContiguous: on the fixture (Trafford, seven teams: one PCN territory falls apart over
// the LSOAs) and on a national ICB.
func TestGreedyContiguous(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	greedyTerms(t, d, d.LSOAPolygons, Options{WithinKind: nhs.KindLA, Within: "E08000009", Count: 7}, 100)
	if testing.Short() {
		return
	}
	nd := fixtures.NationalDataset(t)
	// Black Country ICB: 11 of the greedy's 29 teams fall apart over the LSOAs in its merge.
	greedyTerms(t, nd, nd.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: "E54000062", Count: 29}, 20)
}
