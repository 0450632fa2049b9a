package tiles

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

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
	index areaEdges // for Union
}

// edge runs from vertex a to vertex b with area left on its left (outer rings are anticlockwise) and
// right on its right (-1 when no area is there).
type edge struct {
	a, b        int32
	left, right int32
}

// NewDissolver finds the edges of the areas (features, by index), identifying vertices within snap of
// each other across areas, for DissolveBy. The features are read, never modified.
func NewDissolver(areas []geo.Feature) *Dissolver {
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

// DissolveBy returns the outline of every group of areas, group(a) naming area a's group ("" for
// none), as features whose Code is the group, sorted by it: exteriors anticlockwise, holes clockwise.
func (dv *Dissolver) DissolveBy(group func(a int32) string) []geo.Feature {
	unitOf := func(a int32) string {
		if a < 0 {
			return ""
		}
		return group(a)
	}
	// The uses of each unit's boundary edges, with the unit on their left: e forwards, ^e backwards.
	perUnit := map[string][]int32{}
	for i, e := range dv.edges {
		ul, ur := unitOf(e.left), unitOf(e.right)
		if ul == ur {
			continue
		}
		if ul != "" {
			perUnit[ul] = append(perUnit[ul], int32(i))
		}
		if ur != "" {
			perUnit[ur] = append(perUnit[ur], ^int32(i))
		}
	}
	c := dv.useChainer()
	out := make([]geo.Feature, 0, len(perUnit))
	for code, uses := range perUnit {
		mp := dv.polygons(c, uses)
		if len(mp) == 0 {
			continue
		}
		out = append(out, geo.Feature{Code: code, Geom: mp, Bound: mp.Bound()})
	}
	slices.SortFunc(out, func(x, y geo.Feature) int { return cmp.Compare(x.Code, y.Code) })
	return out
}

// useChainer chains uses of the dissolver's edges: e forwards as e ≥ 0, backwards as ^e.
func (dv *Dissolver) useChainer() *chainer {
	return &chainer{
		start: func(ref int32) int32 {
			if ref >= 0 {
				return dv.edges[ref].a
			}
			return dv.edges[^ref].b
		},
		end: func(ref int32) int32 {
			if ref >= 0 {
				return dv.edges[ref].b
			}
			return dv.edges[^ref].a
		},
	}
}

// polygons chains a unit's edge uses into rings (chainer) and groups them into polygons:
// anticlockwise rings are exteriors, clockwise ones holes of the smallest exterior around them.
func (dv *Dissolver) polygons(c *chainer, uses []int32) orb.MultiPolygon {
	type ringArea struct {
		ring orb.Ring
		area float64
	}
	var outer, holes []ringArea
	c.chain(uses, func(cyc []int32) {
		ring := make(orb.Ring, 0, len(cyc)+1)
		ring = append(ring, dv.pts[c.start(cyc[0])])
		for _, ref := range cyc {
			ring = append(ring, dv.pts[c.end(ref)])
		}
		if len(ring) < 4 {
			return
		}
		a := signedArea(ring)
		switch {
		case a > 0:
			outer = append(outer, ringArea{ring, a})
		case a < 0:
			holes = append(holes, ringArea{ring, -a})
		}
	})
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

// chainer is the package's one dissolve. Given the uses of a group's arcs in drawing orientation
// (arc a forwards as a ≥ 0, backwards as ^a), it cancels opposite uses of the same arc, the edges
// between members, and chains what is left, the group's boundary, into closed cycles. Coalescing
// merges small areas at a zoom with it (on the simplified arcs), and Dissolver draws units' and
// teams' outlines with it (on the areas' edges). start and end give a use's first and last vertex.
// Its slices are reused from call to call.
type chainer struct {
	start, end func(ref int32) int32
	dir        []int32 // what is left once opposite uses cancel
	order      []int32 // indexes into dir, by start vertex
	used       []bool
	cyc        []int32
}

// chain sorts uses in place, cancels and chains them, and calls emit with each closed cycle (valid
// during the call only). Pieces that close no cycle, which only inconsistent input makes, are left out.
func (c *chainer) chain(uses []int32, emit func(cycle []int32)) {
	arcOf := func(r int32) int32 {
		if r < 0 {
			return ^r
		}
		return r
	}
	slices.SortFunc(uses, func(x, y int32) int { return cmp.Compare(arcOf(x), arcOf(y)) })
	c.dir = c.dir[:0]
	for i := 0; i < len(uses); {
		a := arcOf(uses[i])
		j, net := i, 0
		for ; j < len(uses) && arcOf(uses[j]) == a; j++ {
			if uses[j] >= 0 {
				net++
			} else {
				net--
			}
		}
		for ; net > 0; net-- {
			c.dir = append(c.dir, a)
		}
		for ; net < 0; net++ {
			c.dir = append(c.dir, ^a)
		}
		i = j
	}
	c.order = c.order[:0]
	for k := range c.dir {
		c.order = append(c.order, int32(k))
	}
	slices.SortFunc(c.order, func(x, y int32) int {
		return cmp.Or(cmp.Compare(c.start(c.dir[x]), c.start(c.dir[y])), cmp.Compare(x, y))
	})
	c.used = slices.Grow(c.used[:0], len(c.dir))[:len(c.dir)]
	clear(c.used)
	for k0 := range c.dir {
		if c.used[k0] {
			continue
		}
		c.cyc = c.cyc[:0]
		first := c.start(c.dir[k0])
		k := k0
		for {
			c.used[k] = true
			c.cyc = append(c.cyc, c.dir[k])
			v := c.end(c.dir[k])
			if v == first {
				emit(c.cyc)
				break
			}
			if k = c.nextFrom(v); k < 0 {
				break
			}
		}
	}
}

// nextFrom returns an unused directed arc starting at vertex v, or -1.
func (c *chainer) nextFrom(v int32) int {
	i, _ := slices.BinarySearchFunc(c.order, v, func(k int32, v int32) int { return cmp.Compare(c.start(c.dir[k]), v) })
	for ; i < len(c.order) && c.start(c.dir[c.order[i]]) == v; i++ {
		if k := int(c.order[i]); !c.used[k] {
			return k
		}
	}
	return -1
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
