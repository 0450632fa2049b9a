package layers

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// dissolveKinds are the context kinds whose outlines can be dissolved from the areas.
var dissolveKinds = []nhs.Kind{nhs.KindNHSRegion, nhs.KindRegion, nhs.KindICB, nhs.KindSTP, nhs.KindSubICB, nhs.KindCCG, nhs.KindLA}

// boundaries are the features of the boundaries layer: the ingested outlines and, for every other
// context kind the areas were assigned to, each unit's outline dissolved from its areas. A dissolved
// outline follows the areas' edges (an MSOA belongs to the unit where most of its residents live),
// so it is the outline the area metrics were summed over, not the unit's legal boundary.
func boundaries(d *overlap.Dataset) []boundary {
	var out []boundary
	ingested := map[string]bool{}
	for _, b := range d.Boundaries {
		out = append(out, boundary{Boundary: b})
		ingested[b.Kind] = true
	}
	var dv *Dissolver
	for _, k := range dissolveKinds {
		if ingested[k.String()] || len(d.Units[k]) == 0 {
			continue
		}
		if dv == nil {
			dv = NewDissolver(d.Areas)
		}
		for _, f := range dv.dissolve(d, k) {
			out = append(out, boundary{Boundary: overlap.Boundary{Kind: k.String(), Feature: f}, dissolved: true})
		}
	}
	return out
}

// snap is the distance (degrees) within which two area vertices are taken to be the same: ONS
// boundaries share their vertices, but reprojected copies differ in the last digits (see tiles).
const (
	snap     = 1e-7
	snapCell = 16 * snap
)

// dissolver holds the areas' edges with their vertices identified across areas: every undirected
// edge once, with the area on each side.
type Dissolver struct {
	pts   []orb.Point // vertex id → its coordinates
	edges []edge
}

// edge runs from vertex a to vertex b with area left on its left (outer rings are anticlockwise) and
// right on its right (-1 when no area is there).
type edge struct {
	a, b        int32
	left, right int32
}

// NewDissolver finds the areas' edges, identifying vertices within snap of each other across areas.
func NewDissolver(areas []overlap.Area) *Dissolver {
	dv := &Dissolver{}
	cells := map[[2]int64][]int32{}
	vertex := func(p orb.Point) int32 {
		c := [2]int64{int64(math.Floor(p[0] / snapCell)), int64(math.Floor(p[1] / snapCell))}
		near := func(c [2]int64) (int32, bool) {
			for _, v := range cells[c] {
				q := dv.pts[v]
				if math.Abs(q[0]-p[0]) <= snap && math.Abs(q[1]-p[1]) <= snap {
					return v, true
				}
			}
			return 0, false
		}
		if v, ok := near(c); ok {
			return v
		}
		// Only a point within snap of its cell's border can match a vertex of a neighbouring cell.
		fx, fy := p[0]/snapCell-float64(c[0]), p[1]/snapCell-float64(c[1])
		const f = snap / snapCell
		for dx := int64(-1); dx <= 1; dx++ {
			if dx == -1 && fx > f || dx == 1 && fx < 1-f {
				continue
			}
			for dy := int64(-1); dy <= 1; dy++ {
				if dx == 0 && dy == 0 || dy == -1 && fy > f || dy == 1 && fy < 1-f {
					continue
				}
				if v, ok := near([2]int64{c[0] + dx, c[1] + dy}); ok {
					return v
				}
			}
		}
		v := int32(len(dv.pts))
		dv.pts = append(dv.pts, p)
		cells[c] = append(cells[c], v)
		return v
	}
	byKey := map[uint64]int32{} // undirected edge → position in edges
	for i := range areas {
		for _, poly := range areas[i].Geom {
			for _, ring := range poly {
				if len(ring) < 2 {
					continue
				}
				prev := vertex(ring[0])
				for _, p := range ring[1:] {
					v := vertex(p)
					if v == prev {
						continue
					}
					lo, hi := min(prev, v), max(prev, v)
					k := uint64(uint32(lo))<<32 | uint64(uint32(hi))
					if j, ok := byKey[k]; ok && dv.edges[j].right < 0 && dv.edges[j].a == v {
						dv.edges[j].right = int32(i)
					} else {
						byKey[k] = int32(len(dv.edges))
						dv.edges = append(dv.edges, edge{a: prev, b: v, left: int32(i), right: -1})
					}
					prev = v
				}
			}
		}
	}
	return dv
}

// dissolve returns the outline of every unit of kind k, named from d.Units, sorted by code.
func (dv *Dissolver) dissolve(d *overlap.Dataset, k nhs.Kind) []geo.Feature {
	out := dv.DissolveBy(func(a int32) string { return d.Areas[a].Units[k] })
	for i := range out {
		out[i].Name = d.Units[k][out[i].Code]
	}
	return out
}

// DissolveBy returns the outline of every group of areas, group(a) naming area a's group ("" for
// none; -1 is no area), as features whose Code is the group, sorted by it.
func (dv *Dissolver) DissolveBy(group func(a int32) string) []geo.Feature {
	unitOf := func(a int32) string {
		if a < 0 {
			return ""
		}
		return group(a)
	}
	// Directed boundary edges of each unit, with the unit on their left.
	perUnit := map[string][][2]int32{}
	for _, e := range dv.edges {
		ul, ur := unitOf(e.left), unitOf(e.right)
		if ul == ur {
			continue
		}
		if ul != "" {
			perUnit[ul] = append(perUnit[ul], [2]int32{e.a, e.b})
		}
		if ur != "" {
			perUnit[ur] = append(perUnit[ur], [2]int32{e.b, e.a})
		}
	}
	out := make([]geo.Feature, 0, len(perUnit))
	for code, edges := range perUnit {
		mp := dv.polygons(edges)
		if len(mp) == 0 {
			continue
		}
		out = append(out, geo.Feature{Code: code, Geom: mp, Bound: mp.Bound()})
	}
	slices.SortFunc(out, func(x, y geo.Feature) int { return cmp.Compare(x.Code, y.Code) })
	return out
}

// polygons chains directed edges into rings and groups them into polygons: anticlockwise rings are
// exteriors, clockwise ones holes of the smallest exterior around them. Edges that close no ring
// (which only inconsistent input makes) are dropped.
func (dv *Dissolver) polygons(edges [][2]int32) orb.MultiPolygon {
	slices.SortFunc(edges, func(x, y [2]int32) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	used := make([]bool, len(edges))
	from := func(v int32) int {
		i, _ := slices.BinarySearchFunc(edges, v, func(e [2]int32, v int32) int { return cmp.Compare(e[0], v) })
		for ; i < len(edges) && edges[i][0] == v; i++ {
			if !used[i] {
				return i
			}
		}
		return -1
	}
	type ringArea struct {
		ring orb.Ring
		area float64
	}
	var outer, holes []ringArea
	for start := range edges {
		if used[start] {
			continue
		}
		used[start] = true
		first := edges[start][0]
		ring := orb.Ring{dv.pts[first]}
		cur := edges[start][1]
		closed := false
		for range len(edges) {
			ring = append(ring, dv.pts[cur])
			if cur == first {
				closed = true
				break
			}
			j := from(cur)
			if j < 0 {
				break
			}
			used[j] = true
			cur = edges[j][1]
		}
		if !closed || len(ring) < 4 {
			continue
		}
		a := signedArea(ring)
		switch {
		case a > 0:
			outer = append(outer, ringArea{ring, a})
		case a < 0:
			holes = append(holes, ringArea{ring, -a})
		}
	}
	slices.SortFunc(outer, func(x, y ringArea) int { return cmp.Compare(x.area, y.area) })
	mp := make(orb.MultiPolygon, len(outer))
	for i, o := range outer {
		mp[i] = orb.Polygon{o.ring}
	}
	for _, h := range holes {
		for i, o := range outer { // smallest first
			if o.area > h.area && ringContains(o.ring, h.ring) {
				mp[i] = append(mp[i], h.ring)
				break
			}
		}
	}
	return mp
}

// signedArea is the ring's area, positive when anticlockwise.
func signedArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// ringContains reports whether ring inner lies in ring outer, judged by the midpoint of inner's first
// edge that is not on outer (a hole shares at most some vertices with its exterior).
func ringContains(outer, inner orb.Ring) bool {
	for i := 0; i+1 < len(inner); i++ {
		p := orb.Point{(inner[i][0] + inner[i+1][0]) / 2, (inner[i][1] + inner[i+1][1]) / 2}
		switch geo.InRing(outer, p) {
		case geo.Inside:
			return true
		case geo.Outside:
			return false
		}
	}
	return false
}
