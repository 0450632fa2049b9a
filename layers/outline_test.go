package layers

import (
	"math"
	"testing"

	"pcnmap/overlap"
)

// TestOutlinesUnion checks the union of each PCN's areas at 1% against the areas themselves: the
// same area as its members together (areas do not overlap, so any gap or left-in internal edge
// shows), and the same outline as dissolving the whole release by "is this PCN ≥ 1% here".
func TestOutlinesUnion(t *testing.T) {
	d := fixtureDataset(t)
	o := NewOutlines(d.Areas)
	checked := 0
	for p := range d.PCNs {
		var at []int32
		in := map[int32]bool{}
		var want float64
		d.PCNCells(p, func(c overlap.Cell) {
			if c.Patients > 0 && d.Serves(c, 0.01) {
				at = append(at, c.Area)
				in[c.Area] = true
				want += polygonsArea(d.Areas[c.Area].Geom)
			}
		})
		got := o.Union(at)
		if len(at) == 0 {
			if len(got) != 0 {
				t.Errorf("PCN %s: outline of no areas has %d polygons", d.PCNs[p].Code, len(got))
			}
			continue
		}
		checked++
		if a := polygonsArea(got); math.Abs(a-want) > 1e-9*math.Max(1, want) {
			t.Errorf("PCN %s: union of %d areas has area %g, the areas %g", d.PCNs[p].Code, len(at), a, want)
		}
		whole := o.Groups(func(a int32) string {
			if in[a] {
				return "x"
			}
			return ""
		})
		if len(whole) != 1 || math.Abs(polygonsArea(whole[0].Geom)-polygonsArea(got)) > 1e-12 || len(whole[0].Geom) != len(got) {
			t.Errorf("PCN %s: Union and Groups disagree", d.PCNs[p].Code)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d PCNs with a footprint at 1%% in the fixture", checked)
	}
}
