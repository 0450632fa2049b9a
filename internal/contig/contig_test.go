package contig

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// square is the unit square at (x, y) in degrees near the equator.
func square(x, y float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}}
}

// TestRepair: a row of five squares and a far island; group 0 holds squares 0, 1 and 3 (3 cut off
// by square 2 of group 1) and the island. Square 3 shares an edge with 2 (group 1) and 4 (group 1):
// it joins group 1; the island is linked to its nearest square, 4, and joins group 1 too. Group 0
// keeps its most populous part, 0–1.
func TestRepair(t *testing.T) {
	geoms := []orb.MultiPolygon{square(0, 0), square(1, 0), square(2, 0), square(3, 0), square(4, 0), square(10, 0)}
	g := Shared(geoms)
	if len(g.Edges) != 4 {
		t.Fatalf("a row of five squares: %d edges, want 4: %v", len(g.Edges), g.Edges)
	}
	points := make([]orb.Point, len(geoms))
	for i, m := range geoms {
		points[i] = m.Bound().Center()
	}
	g.Link([]int32{0, 1, 2, 3, 4, 5}, points)
	if e := g.Edges[len(g.Edges)-1]; e != (Edge{A: 4, B: 5, Link: true}) {
		t.Errorf("island link %v, want 4–5", e)
	}
	group := []int32{0, 0, 1, 0, 1, 0}
	if n := Parts(group, g.Adj); n != 2 {
		t.Errorf("Parts = %d, want 2 (both groups fall apart)", n)
	}
	pop := []float64{10, 10, 10, 5, 10, 1}
	moved, ok := Repair(group, pop, g.Adj, nil)
	if want := []int32{0, 0, 1, 1, 1, 1}; !ok || moved != 2 || !slices.Equal(group, want) {
		t.Errorf("Repair: %v, moved %d, ok %v; want %v, 2, true", group, moved, ok, want)
	}
	if n := Parts(group, g.Adj); n != 0 {
		t.Errorf("after Repair, Parts = %d", n)
	}
	// Forbidding every move leaves the pieces where they were and says so.
	group = []int32{0, 0, 1, 0, 1, 0}
	if moved, ok := Repair(group, pop, g.Adj, func(b, n int32) bool { return false }); ok || moved != 0 {
		t.Errorf("Repair with no move allowed: moved %d, ok %v; want 0, false", moved, ok)
	}
}
