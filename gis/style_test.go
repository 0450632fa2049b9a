package gis

import (
	"testing"

	"pcnmap/gpkg"
)

// TestCountClasses checks the QGIS classes against the map page's rule (web/src/palette.ts), by hand:
// one class per value over a small range, about equal numbers of areas over a wide one, 0 in grey.
func TestCountClasses(t *testing.T) {
	for name, tc := range map[string]struct {
		histogram []int
		labels    []string
	}{
		"small range": {[]int{5, 0, 3, 4}, []string{"0–1", "2", "3"}},
		// 1..20, ten areas each: eight classes of 25 areas (2.5 values) each.
		"wide range":    {append([]int{0}, repeat(10, 20)...), []string{"0", "1–3", "4–5", "6–8", "9–10", "11–13", "14–15", "16–18", "19–20"}},
		"no PCN at all": {[]int{7}, []string{"0", "1"}},
	} {
		t.Run(name, func(t *testing.T) {
			cs := CountClasses(tc.histogram)
			var got []string
			for _, c := range cs {
				got = append(got, c.Label)
			}
			if len(got) != len(tc.labels) {
				t.Fatalf("CountClasses(%v) = %v, want %v", tc.histogram, got, tc.labels)
			}
			for i := range got {
				if got[i] != tc.labels[i] {
					t.Errorf("class %d = %q, want %q (all: %v)", i, got[i], tc.labels[i], got)
				}
			}
			if cs[0].Fill.Colour != gpkg.Hex(noData) {
				t.Errorf("class 0 colour %v, want the map's no-data grey", cs[0].Fill.Colour)
			}
			for i := 1; i < len(cs); i++ {
				if cs[i].Lower != cs[i-1].Upper {
					t.Errorf("classes %d and %d leave a gap: %g–%g then %g", i-1, i, cs[i-1].Lower, cs[i-1].Upper, cs[i].Lower)
				}
			}
		})
	}
	// The lightest class is viridis' top (few PCNs), the darkest its 5% point, as the page colours them.
	cs := CountClasses([]int{0, 1, 1})
	if cs[1].Fill.Colour != gpkg.Hex("#fde725") {
		t.Errorf("1 PCN: colour %v, want #fde725", cs[1].Fill.Colour)
	}
}

func repeat(n, k int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n
	}
	return out
}
