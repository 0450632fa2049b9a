package overlap_test

import (
	"testing"

	"pcnmap/fixtures"
	"pcnmap/overlap"
)

// TestPCNCellsOrder: PCNCells gives each PCN's cells, and only those, in area order, and the PCNs'
// cells together are every cell once; on the fixture release.
func TestPCNCellsOrder(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[overlap.Cell]int{}
	for p := range d.PCNs {
		prev := int32(-1)
		d.PCNCells(p, func(c overlap.Cell) {
			if c.PCN != int32(p) || c.Area <= prev {
				t.Fatalf("PCNCells(%d): cell %+v after area %d; want PCN %d's cells in rising area order", p, c, prev, p)
			}
			prev = c.Area
			seen[c]++
		})
	}
	if len(seen) != len(d.Cells) || len(d.Cells) == 0 {
		t.Fatalf("PCNCells over every PCN: %d distinct cells, want the %d cells", len(seen), len(d.Cells))
	}
	for _, c := range d.Cells {
		if seen[c] != 1 {
			t.Fatalf("cell %+v given %d times by PCNCells, want once", c, seen[c])
		}
	}
}
