package overlap

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
)

const eps = 1e-12

// toy is a dataset small enough to check by hand:
//
//	area A (E02000001): P1 practice a1 → PCN X: 90, practice b1 → PCN Y: 9, practice z (no PCN): 1
//	area B (E02000002): a1 → X: 50, b1 → Y: 50
//	area C (E02000003): b1 → Y: 100
//
// plus rows that must land in each coverage category.
func toy(t testing.TB) *Dataset {
	t.Helper()
	sq := func(x float64) geo.Feature {
		return geo.Feature{Geom: orb.MultiPolygon{{{{x, 0}, {x + 1, 0}, {x + 1, 1}, {x, 1}, {x, 0}}}}}
	}
	areas := []geo.Feature{sq(2), sq(0), sq(1)}
	areas[0].Code, areas[1].Code, areas[2].Code = "E02000003", "E02000001", "E02000002"
	reg := &nhs.Registrations{
		Practices: []nhs.Practice{{Code: "Z1", Name: "Z"}, {Code: "A1", Name: "A"}, {Code: "B1", Name: "B"}},
		LSOAs:     []string{"E01000001", "E01000002", "E01000003", "W01000001", "NO2011", "CLOSED", "E01999999", "X99000001", "S01000001", "N21000001", "95AA01S1", "L99999999", "M99999999", "EMPTY", "E01000004"},
	}
	row := func(p, l, n int32) { reg.Rows = append(reg.Rows, nhs.Row{Practice: p, LSOA: l, Patients: n}) }
	row(1, 0, 90)
	row(2, 0, 9)
	row(0, 0, 1)
	row(1, 1, 50)
	row(2, 1, 50)
	row(2, 2, 100)
	row(1, 3, 7)   // Welsh
	row(2, 4, 5)   // NO2011
	row(0, 5, 3)   // CLOSED
	row(1, 6, 11)  // English, not in the lookup
	row(2, 7, 13)  // unknown form
	row(2, 8, 17)  // Scottish
	row(2, 9, 19)  // Northern Irish data zone
	row(2, 10, 23) // Northern Irish super output area
	row(2, 11, 29) // Channel Islands
	row(2, 12, 31) // Isle of Man
	row(2, 13, 37) // EMPTY
	row(2, 14, 41) // outside the study region
	d, err := Build(context.Background(), Inputs{
		Release:       "toy",
		Areas:         areas,
		Registrations: reg,
		Members:       map[string]string{"A1": "U00001", "B1": "U00002", "GONE": "U00002"},
		PCNNames:      map[string]string{"U00001": "X", "U00002": "Y"},
		Assign:        map[string]string{"E01000001": "E02000001", "E01000002": "E02000002", "E01000003": "E02000003"},
		Outside:       map[string]bool{"E01000004": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuildCoverage(t *testing.T) {
	d := toy(t)
	c := d.Coverage
	tests := map[string]struct {
		got  Count
		want Count
	}{
		"total":      {c.Total, Count{Rows: 18, Patients: 536}},
		"scottish":   {c.Scottish, Count{Rows: 1, Patients: 17, LSOAs: 1}},
		"n-irish":    {c.NorthernIrish, Count{Rows: 2, Patients: 42, LSOAs: 2}},
		"islands":    {c.Islands, Count{Rows: 2, Patients: 60, LSOAs: 2}},
		"empty":      {c.Empty, Count{Rows: 1, Patients: 37, LSOAs: 1}},
		"outside":    {c.Outside, Count{Rows: 1, Patients: 41, LSOAs: 1}},
		"assigned":   {c.Assigned, Count{Rows: 6, Patients: 300, LSOAs: 3}},
		"welsh":      {c.Welsh, Count{Rows: 1, Patients: 7, LSOAs: 1}},
		"no2011":     {c.NoLSOA, Count{Rows: 1, Patients: 5, LSOAs: 1}},
		"closed":     {c.Closed, Count{Rows: 1, Patients: 3, LSOAs: 1}},
		"unassigned": {c.Unassigned, Count{Rows: 1, Patients: 11, LSOAs: 1}},
		"unknown":    {c.Unknown, Count{Rows: 1, Patients: 13, LSOAs: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("Coverage.%s = %+v, want %+v", name, tc.got, tc.want)
			}
		})
	}
	var sum int64
	for _, cat := range c.Categories() {
		sum += cat.Count.Patients
	}
	if sum != c.Total.Patients {
		t.Errorf("coverage categories sum to %d patients, total is %d", sum, c.Total.Patients)
	}
	if c.NoPCN.Practices != 1 || c.NoPCN.Patients != 4 {
		t.Errorf("NoPCN = %+v, want 1 practice, 4 patients", c.NoPCN)
	}
	if c.AbsentMembers != 1 {
		t.Errorf("AbsentMembers = %d, want 1 (GONE)", c.AbsentMembers)
	}
	if got := d.Areas[0].Registered; got != 100 {
		t.Errorf("registered(A) = %d, want 100 (the no-PCN practice counts)", got)
	}
	if x := d.PCNs[0]; x.ListSize != 90+50+7+11 || x.Resident != 140 {
		t.Errorf("PCN X list %d resident %d, want 158 and 140", x.ListSize, x.Resident)
	}
}

func TestAreaMetrics(t *testing.T) {
	d := toy(t)
	qA := []float64{90.0 / 99, 9.0 / 99}
	hhiA := qA[0]*qA[0] + qA[1]*qA[1]
	tests := map[string]struct {
		area      string
		threshold float64
		want      AreaMetrics
		entropy   float64
	}{
		"A at 0":   {"E02000001", 0, AreaMetrics{PCNsAny: 2, PCNs: 2, Dominant: 0, DominantShare: 0.9, HHI: hhiA, EffectivePCNs: 1 / hhiA}, -(qA[0]*math.Log(qA[0]) + qA[1]*math.Log(qA[1]))},
		"A at 9%":  {"E02000001", 0.09, AreaMetrics{PCNsAny: 2, PCNs: 2, Dominant: 0, DominantShare: 0.9, HHI: hhiA, EffectivePCNs: 1 / hhiA}, -(qA[0]*math.Log(qA[0]) + qA[1]*math.Log(qA[1]))},
		"A at 10%": {"E02000001", 0.10, AreaMetrics{PCNsAny: 2, PCNs: 1, Dominant: 0, DominantShare: 0.9, HHI: hhiA, EffectivePCNs: 1 / hhiA}, -(qA[0]*math.Log(qA[0]) + qA[1]*math.Log(qA[1]))},
		// a tie: the lower PCN index (code) is dominant
		"B tie":   {"E02000002", 0.5, AreaMetrics{PCNsAny: 2, PCNs: 2, Dominant: 0, DominantShare: 0.5, HHI: 0.5, EffectivePCNs: 2}, math.Ln2},
		"C whole": {"E02000003", 1, AreaMetrics{PCNsAny: 1, PCNs: 1, Dominant: 1, DominantShare: 1, HHI: 1, EffectivePCNs: 1}, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a, ok := d.Area(tc.area)
			if !ok {
				t.Fatalf("Area(%s) not found", tc.area)
			}
			got := d.AreaAt(a, tc.threshold)
			if got.PCNsAny != tc.want.PCNsAny || got.PCNs != tc.want.PCNs || got.Dominant != tc.want.Dominant ||
				math.Abs(got.DominantShare-tc.want.DominantShare) > eps || math.Abs(got.HHI-tc.want.HHI) > eps ||
				math.Abs(got.EffectivePCNs-tc.want.EffectivePCNs) > eps {
				t.Errorf("AreaAt(%s, %g) = %+v, want %+v", tc.area, tc.threshold, got, tc.want)
			}
			if e := d.Entropy(a); math.Abs(e-tc.entropy) > eps {
				t.Errorf("Entropy(%s) = %g, want %g", tc.area, e, tc.entropy)
			}
			if counts := d.Counts(nil, tc.threshold); counts[a] != got.PCNs {
				t.Errorf("Counts(%g)[%s] = %d, want %d as AreaAt", tc.threshold, tc.area, counts[a], got.PCNs)
			}
		})
	}
}

// A share of exactly the threshold counts: 10 of 1,000 patients is 1%.
func TestThresholdIsInclusive(t *testing.T) {
	reg := &nhs.Registrations{
		Practices: []nhs.Practice{{Code: "A"}, {Code: "B"}},
		LSOAs:     []string{"E01000001"},
		Rows:      []nhs.Row{{Practice: 0, LSOA: 0, Patients: 990}, {Practice: 1, LSOA: 0, Patients: 10}},
	}
	d, err := Build(context.Background(), Inputs{
		Areas:         []geo.Feature{{Code: "E02000001"}},
		Registrations: reg,
		Members:       map[string]string{"A": "U1", "B": "U2"},
		Assign:        map[string]string{"E01000001": "E02000001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t    float64
		want int32
	}{{0.01, 2}, {0.0100001, 1}, {0.99, 1}, {0.9900001, 0}} {
		if got := d.AreaAt(0, tc.t).PCNs; got != tc.want {
			t.Errorf("AreaAt(0, %v).PCNs = %d, want %d", tc.t, got, tc.want)
		}
	}
}

func TestPCNMetrics(t *testing.T) {
	d := toy(t)
	am := d.AreaMetrics(nil, 0.01)
	pm := d.PCNMetrics(nil, 0.01, 0.8, am)
	// X: 90 in A, 50 in B (resident 140). Dominant in A and B (tie → X). Core 80% of 140 = 112: A(90)+B(50).
	// Y: 9 in A, 50 in B, 100 in C (resident 159). Dominant in C only. Core 127.2: C(100)+B(50).
	want := []PCNMetrics{
		{AreasAny: 2, Areas: 2, Core: 2, Containment: 1, Dominates: 2},
		{AreasAny: 3, Areas: 3, Core: 2, Containment: 100.0 / 159, Dominates: 1},
	}
	for p := range want {
		got := pm[p]
		if got.AreasAny != want[p].AreasAny || got.Areas != want[p].Areas || got.Core != want[p].Core ||
			got.Dominates != want[p].Dominates || math.Abs(got.Containment-want[p].Containment) > eps {
			t.Errorf("PCNMetrics[%s] = %+v, want %+v", d.PCNs[p].Code, got, want[p])
		}
		if at := d.PCNAt(p, 0.01, 0.8, am); at != got {
			t.Errorf("PCNAt(%s) = %+v, PCNMetrics gave %+v", d.PCNs[p].Code, at, got)
		}
	}
	if got := d.CoreAreas(1, 0.8); len(got) != 2 || d.Areas[got[0]].Code != "E02000003" || d.Areas[got[1]].Code != "E02000002" {
		t.Errorf("CoreAreas(Y) = %v, want [C B]", got)
	}
}

func TestPairs(t *testing.T) {
	d := toy(t)
	tests := map[string]struct {
		threshold float64
		want      []Pair
	}{
		"1%":  {0.01, []Pair{{P1: 0, P2: 1, SharedAny: 2, Shared: 2, Overlap: 9 + 50}}},
		"10%": {0.10, []Pair{{P1: 0, P2: 1, SharedAny: 2, Shared: 1, Overlap: 9 + 50}}},
		"60%": {0.60, []Pair{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := d.Pairs(tc.threshold)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Pairs(%g) = %+v, want %+v", tc.threshold, got, tc.want)
			}
		})
	}
	// A unit's pairs, by hand from the toy's table: B alone has X 50, Y 50; A alone X 90, Y 9 of 100.
	area := func(code string) int32 {
		a, ok := d.Area(code)
		if !ok {
			t.Fatalf("no area %s", code)
		}
		return int32(a)
	}
	for name, tc := range map[string]struct {
		areas     []string
		threshold float64
		want      []Pair
	}{
		"B at 1%":    {[]string{"E02000002"}, 0.01, []Pair{{P1: 0, P2: 1, SharedAny: 1, Shared: 1, Overlap: 50}}},
		"A at 1%":    {[]string{"E02000001"}, 0.01, []Pair{{P1: 0, P2: 1, SharedAny: 1, Shared: 1, Overlap: 9}}},
		"A at 10%":   {[]string{"E02000001"}, 0.10, []Pair{}},
		"A, C at 1%": {[]string{"E02000001", "E02000003"}, 0.01, []Pair{{P1: 0, P2: 1, SharedAny: 1, Shared: 1, Overlap: 9}}},
		"none":       {nil, 0.01, []Pair{}},
	} {
		var areas []int32
		for _, c := range tc.areas {
			areas = append(areas, area(c))
		}
		if got := d.PairsIn(areas, tc.threshold); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("PairsIn(%s) = %+v, want %+v", name, got, tc.want)
		}
	}
	if got := d.Overlaps(1, 0.10); len(got) != 1 || got[0].P2 != 0 || got[0].Overlap != 59 || got[0].Shared != 1 {
		t.Errorf("Overlaps(Y, 10%%) = %+v, want one partner X with overlap 59, 1 shared", got)
	}
}

func TestDuplicateArea(t *testing.T) {
	_, err := Build(context.Background(), Inputs{
		Areas:         []geo.Feature{{Code: "E02000001"}, {Code: "E02000001"}},
		Registrations: &nhs.Registrations{},
	})
	if !errors.Is(err, ErrDuplicateArea) {
		t.Errorf("Build with a duplicated area = %v, want ErrDuplicateArea", err)
	}
}

func TestParseThreshold(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    float64
		wantErr bool
	}{
		"percent":          {"1%", 0.01, false},
		"percent spaced":   {" 0.5 % ", 0.005, false},
		"fraction":         {"0.01", 0.01, false},
		"zero":             {"0", 0, false},
		"whole":            {"100%", 1, false},
		"one is 100%":      {"1", 1, false},
		"bare five":        {"5", 0, true},
		"negative":         {"-1%", 0, true},
		"over":             {"101%", 0, true},
		"text":             {"one", 0, true},
		"nan":              {"NaN", 0, true},
		"empty":            {"", 0, true},
		"infinite percent": {"Inf%", 0, true},
		"hex float":        {"0x1p-3", 0, true},
		"minus zero":       {"-0%", 0, true},
		"plus sign":        {"+1%", 0, true},
		"exponent":         {"1e-2", 0, true},
		"underscore":       {"0.0_1", 0, true},
		"leading dot":      {".5%", 0.005, false},
		"bare dot":         {".", 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseThreshold(tc.in)
			if (err != nil) != tc.wantErr || math.Abs(got-tc.want) > eps {
				t.Errorf("ParseThreshold(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrThreshold) {
				t.Errorf("ParseThreshold(%q) error %v is not ErrThreshold", tc.in, err)
			}
		})
	}
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"1%", "0.01", "0", "100%", "5", "-0", "1e-3", "%", "1%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseThreshold(s)
		if err != nil {
			return
		}
		if v < 0 || v > 1 || math.IsNaN(v) {
			t.Fatalf("ParseThreshold(%q) = %v, outside [0,1]", s, v)
		}
		back, err := ParseThreshold(FormatThreshold(v))
		if err != nil || math.Abs(back-v) > 1e-15 {
			t.Fatalf("ParseThreshold(FormatThreshold(%v)) = %v, %v", v, back, err)
		}
	})
}

func TestDescribe(t *testing.T) {
	tests := map[string]struct {
		in   []int64
		want Stats
	}{
		"empty":  {nil, Stats{}},
		"one":    {[]int64{3}, Stats{N: 1, Mean: 3, Min: 3, P10: 3, Median: 3, P90: 3, Max: 3, Histogram: []int{0, 0, 0, 1}}},
		"1 to 5": {[]int64{5, 1, 4, 2, 3}, Stats{N: 5, Mean: 3, SD: math.Sqrt(2.5), Min: 1, P10: 1.4, Median: 3, P90: 4.6, Max: 5, Histogram: []int{0, 1, 1, 1, 1, 1}}},
		"even":   {[]int64{1, 2, 3, 10}, Stats{N: 4, Mean: 4, SD: math.Sqrt(50.0 / 3), Min: 1, P10: 1.3, Median: 2.5, P90: 7.9, Max: 10, Histogram: []int{0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Describe(tc.in, true)
			if got.N != tc.want.N || math.Abs(got.Mean-tc.want.Mean) > eps || math.Abs(got.SD-tc.want.SD) > eps ||
				got.Min != tc.want.Min || got.Max != tc.want.Max || math.Abs(got.P10-tc.want.P10) > eps ||
				math.Abs(got.Median-tc.want.Median) > eps || math.Abs(got.P90-tc.want.P90) > eps ||
				fmt.Sprint(got.Histogram) != fmt.Sprint(tc.want.Histogram) {
				t.Errorf("Describe(%v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSummariseBreakdowns(t *testing.T) {
	reg := &nhs.Registrations{
		Practices: []nhs.Practice{{Code: "A"}, {Code: "B"}},
		LSOAs:     []string{"E01000001", "E01000002", "E01000003"},
		Rows: []nhs.Row{
			{Practice: 0, LSOA: 0, Patients: 60}, {Practice: 1, LSOA: 0, Patients: 40},
			{Practice: 0, LSOA: 1, Patients: 10}, // area 1 is mostly rural: LSOA 3 outweighs LSOA 2
			{Practice: 1, LSOA: 2, Patients: 30},
		},
	}
	urban := func(code string) nhs.Unit { return nhs.Unit{Code: code, Name: code} }
	ctx := &nhs.Context{Classifications: []nhs.Classification{
		{Kind: nhs.KindRurality, LSOA: map[string]nhs.Unit{"E01000001": urban("Urban"), "E01000002": urban("Urban"), "E01000003": urban("Rural")}},
		{Kind: nhs.KindSubICB, LSOA: map[string]nhs.Unit{"E01000001": urban("S1"), "E01000002": urban("S1"), "E01000003": urban("S2")}},
	}, Hierarchies: []nhs.Hierarchy{{From: nhs.KindSubICB, To: nhs.KindICB, Parent: map[string]nhs.Unit{"S1": urban("I1"), "S2": urban("I1")}}}}
	d, err := Build(context.Background(), Inputs{
		Areas:         []geo.Feature{{Code: "E02000001"}, {Code: "E02000002"}},
		Registrations: reg,
		Members:       map[string]string{"A": "U1", "B": "U2"},
		Assign:        map[string]string{"E01000001": "E02000001", "E01000002": "E02000002", "E01000003": "E02000002"},
		Contexts:      []*nhs.Context{ctx},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Areas[0].Urban() || d.Areas[1].Urban() {
		t.Errorf("Urban() = %v, %v; want true, false (by registered residents)", d.Areas[0].Urban(), d.Areas[1].Urban())
	}
	if got := d.Areas[1].Units[nhs.KindICB]; got != "I1" {
		t.Errorf("ICB of area 2 = %q, want I1 through the Sub-ICB → ICB hierarchy", got)
	}
	s, err := d.Summarise(context.Background(), 0.01, nil)
	if err != nil {
		t.Fatal(err)
	}
	rural := s.By["rurality"]
	if len(rural) != 2 || rural[0].Code != "Rural" || rural[0].Areas != 1 || rural[0].At.Mean != 2 || rural[1].At.Mean != 2 {
		t.Errorf("rurality breakdown = %+v, want Rural and Urban with one area of 2 PCNs each", rural)
	}
	if icb := s.PCNUnits["icb"]; len(icb) != 1 || icb[0].PCNs != 2 || icb[0].Population != 140 || math.Abs(icb[0].Largest-70.0/140) > eps || icb[0].Ratio != 1 {
		t.Errorf("pcns_by_unit[icb] = %+v, want I1 with 2 PCNs, 140 patients, largest 50%%, ratio 1", icb)
	}
	if s.ListSizes.Below30k != 1 {
		t.Errorf("share below 30k = %v, want 1", s.ListSizes.Below30k)
	}
}

func ExampleDataset_AreaAt() {
	reg := &nhs.Registrations{
		Practices: []nhs.Practice{{Code: "P1"}, {Code: "P2"}, {Code: "P3"}},
		LSOAs:     []string{"E01000001"},
		Rows:      []nhs.Row{{Practice: 0, LSOA: 0, Patients: 700}, {Practice: 1, LSOA: 0, Patients: 295}, {Practice: 2, LSOA: 0, Patients: 5}},
	}
	d, err := Build(context.Background(), Inputs{
		Areas:         []geo.Feature{{Code: "E02000001", Name: "Somewhere 001"}},
		Registrations: reg,
		Members:       map[string]string{"P1": "U1", "P2": "U2", "P3": "U3"},
		Assign:        map[string]string{"E01000001": "E02000001"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := d.AreaAt(0, DefaultThreshold)
	fmt.Printf("PCNs with any patients: %d, at 1%%: %d, dominant share %.3f, effective PCNs %.2f\n",
		m.PCNsAny, m.PCNs, m.DominantShare, m.EffectivePCNs)
	// Output: PCNs with any patients: 3, at 1%: 2, dominant share 0.700, effective PCNs 1.73
}
