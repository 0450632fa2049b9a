package overlap

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortInts checks the counting sort against slices.Sort on spans small and large, negative
// values and the extremes of int64 (whose difference overflows).
func TestSortInts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]int64{
		"empty":    {},
		"short":    {3, 1, 2},
		"extremes": slices.Repeat([]int64{math.MaxInt64, math.MinInt64, 0}, 30),
	}
	for _, n := range []int{64, 100, 6791} {
		for _, span := range []int64{1, 2, 40, int64(n) - 1, int64(n), 1 << 20} {
			v := make([]int64, n)
			for i := range v {
				v[i] = r.Int64N(span) - span/3
			}
			cases["random"+string(rune('a'+len(cases)))] = v
		}
	}
	for name, v := range cases {
		want := slices.Clone(v)
		slices.Sort(want)
		sortInts(v)
		if !slices.Equal(v, want) {
			t.Errorf("%s: sortInts gave %v, want %v", name, v[:min(len(v), 10)], want[:min(len(want), 10)])
		}
	}
}

// TestCoreAreas checks coreAreas against coreCount on patients sorted largest first.
func TestCoreAreas(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		n := r.IntN(50)
		p := make([]int32, n)
		var total int64
		for i := range p {
			p[i] = r.Int32N(1000)
			total += int64(p[i])
		}
		total += r.Int64N(500) // residents outside the cells given
		if r.IntN(10) == 0 {
			total = 0
		}
		for _, core := range []float64{0, 0.5, 0.8, 1} {
			sorted := slices.Clone(p)
			slices.SortFunc(sorted, func(x, y int32) int { return cmp.Compare(y, x) })
			want := int32(coreCount(sorted, total, core, func(v int32) int32 { return v }))
			if got := coreAreas(slices.Clone(p), total, core); got != want {
				t.Fatalf("coreAreas(%v, %d, %v) = %d, want %d", p, total, core, got, want)
			}
		}
	}
}
