package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Index finds the area containing a point. It holds an R-tree over the features' bounds and, per
// feature, its edges bucketed into horizontal bands, so a lookup tests only the handful of edges in
// one band instead of every vertex of the polygon.
//
// Points on a shared edge: every edge is evaluated with its end points in a canonical order (lower y
// first), so two neighbours that share an edge make the same decision about a point on it. A point on
// an edge counts as inside the area to its right (+x) and, for horizontal edges, the area above it
// (+y); a point on a vertex follows from the same rule. Given areas that share their vertices (as ONS
// boundaries do), every point inside their union therefore lies in exactly one area.
//
// The zero value is an empty index ready for Insert. Features are read-only once inserted. Lookups
// are safe for concurrent use; Insert is not.
type Index struct {
	tree     rtree.RTreeG[int32]
	features []Feature
	shapes   []shape
	byCode   map[string]int32
}

// edge is a polygon edge with a.Y <= b.Y (ties broken by x), the canonical order of the edge rule.
type edge struct {
	ax, ay, bx, by float64
}

// shape is a feature's edges bucketed into bands of equal height over its bound, stored in one
// slice (band k is edges[start[k]:start[k+1]]) so a lookup reads contiguous memory. An edge goes into
// at most maxSpan bands; a longer one (a comb's teeth, a long straight coast) goes into long, an interval
// tree, so memory stays linear in the edges whatever the shape.
type shape struct {
	minY, bandHeight float64
	start            []int
	edges            []edge
	long             intervals
}

// NewIndex indexes features; it is Insert for each.
func NewIndex(features []Feature) *Index {
	idx := &Index{
		features: make([]Feature, 0, len(features)),
		shapes:   make([]shape, 0, len(features)),
		byCode:   make(map[string]int32, len(features)),
	}
	for _, f := range features {
		idx.Insert(f)
	}
	return idx
}

// Insert adds a feature. Its Bound is computed when it is empty.
func (idx *Index) Insert(f Feature) {
	if f.Bound.IsEmpty() || f.Bound == (orb.Bound{}) {
		f.Bound = f.Geom.Bound()
	}
	i := int32(len(idx.features))
	idx.features = append(idx.features, f)
	idx.shapes = append(idx.shapes, newShape(f.Geom, f.Bound))
	if idx.byCode == nil {
		idx.byCode = make(map[string]int32)
	}
	idx.byCode[f.Code] = i
	idx.tree.Insert([2]float64{f.Bound.Min[0], f.Bound.Min[1]}, [2]float64{f.Bound.Max[0], f.Bound.Max[1]}, i)
}

// Feature returns the i-th inserted feature. The geometry is shared: don't modify it.
func (idx *Index) Feature(i int) *Feature { return &idx.features[i] }

// Code returns the position of the feature with the given code.
func (idx *Index) Code(code string) (int, bool) {
	i, ok := idx.byCode[code]
	return int(i), ok
}

// Locate returns the position of the feature containing p, or false when none does.
// It does not allocate.
func (idx *Index) Locate(p orb.Point) (int, bool) {
	found := int32(-1)
	pt := [2]float64{p[0], p[1]}
	idx.tree.Search(pt, pt, func(_, _ [2]float64, i int32) bool {
		if idx.shapes[i].contains(p[0], p[1]) {
			found = i
			return false
		}
		return true
	})
	return int(found), found >= 0
}

// Search calls fn for each feature whose bound intersects b, until fn returns false.
func (idx *Index) Search(b orb.Bound, fn func(i int, f *Feature) bool) {
	idx.tree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, i int32) bool {
		return fn(int(i), &idx.features[i])
	})
}

// Contains reports whether feature i contains p, under the same edge rule as Locate.
func (idx *Index) Contains(i int, p orb.Point) bool {
	return idx.shapes[i].contains(p[0], p[1])
}

// edgesPerBand is the average number of edges a band should hold; a few edges keep the test short.
// maxSpan is the most bands an edge is copied into; longer edges go to the interval tree, so a shape
// holds at most maxSpan copies of each edge (without the cap, a comb of n teeth spanning its whole
// height took n² copies).
const (
	edgesPerBand = 4
	maxSpan      = 8
)

func newShape(mp orb.MultiPolygon, b orb.Bound) shape {
	// At most one edge a vertex: sized once, as the national MSOAs' 886k edges grown by append
	// left twice their size in garbage.
	vertices := 0
	for _, poly := range mp {
		for _, ring := range poly {
			vertices += len(ring)
		}
	}
	edges := make([]edge, 0, vertices)
	for _, poly := range mp {
		for _, ring := range poly {
			for j := 1; j < len(ring); j++ {
				a, c := ring[j-1], ring[j]
				if a == c {
					continue
				}
				if a[1] > c[1] || (a[1] == c[1] && a[0] > c[0]) {
					a, c = c, a
				}
				edges = append(edges, edge{a[0], a[1], c[0], c[1]})
			}
		}
	}
	n := len(edges)/edgesPerBand + 1
	s := shape{minY: b.Min[1], bandHeight: math.Inf(1), start: make([]int, n+1)}
	if height := b.Max[1] - b.Min[1]; height > 0 && n > 1 {
		s.bandHeight = height / float64(n)
	}
	// Count each band's edges, turn the counts into offsets, then place the edges.
	var long []edge
	for _, e := range edges {
		k0, k1 := s.band(e.ay), s.band(e.by)
		if k1-k0 >= maxSpan {
			long = append(long, e)
			continue
		}
		for k := k0; k <= k1; k++ {
			s.start[k+1]++
		}
	}
	for k := 1; k <= n; k++ {
		s.start[k] += s.start[k-1]
	}
	s.edges = make([]edge, s.start[n])
	next := append([]int(nil), s.start[:n]...)
	for _, e := range edges {
		k0, k1 := s.band(e.ay), s.band(e.by)
		if k1-k0 >= maxSpan {
			continue
		}
		for k := k0; k <= k1; k++ {
			s.edges[next[k]] = e
			next[k]++
		}
	}
	s.long = newIntervals(long)
	return s
}

func (s *shape) band(y float64) int {
	k := int((y - s.minY) / s.bandHeight)
	if k < 0 {
		return 0
	}
	if last := len(s.start) - 2; k > last {
		return last
	}
	return k
}

// contains is the crossing-number test with half-open edges: an edge counts when p.y is in
// [a.y, b.y) and p lies strictly to the left of it. Horizontal edges never count, so a point on the
// lower edge of an area is inside it and a point on the upper edge is not.
func (s *shape) contains(x, y float64) bool {
	if len(s.edges) == 0 && len(s.long.edges) == 0 {
		return false
	}
	k := s.band(y)
	in := false
	for i := range s.edges[s.start[k]:s.start[k+1]] {
		if crosses(&s.edges[s.start[k]+i], x, y) {
			in = !in
		}
	}
	if len(s.long.edges) > 0 {
		in = s.long.cross(0, len(s.long.edges), x, y, in)
	}
	return in
}

// crosses reports whether the edge counts for the point: p.y in [a.y, b.y) and p strictly left of the
// upward edge a→b.
func crosses(e *edge, x, y float64) bool {
	if y < e.ay || y >= e.by {
		return false
	}
	return (e.bx-e.ax)*(y-e.ay)-(e.by-e.ay)*(x-e.ax) > 0
}

// intervals is a static interval tree over edges' y spans: the edges sorted by ay, read as an implicit
// balanced tree (the root of edges[lo:hi] is its middle), with maxBy[i] the highest by in the subtree
// rooted at i. A query visits O(log n) nodes plus the edges it reports; it uses no memory beyond the
// edges and one float per edge.
type intervals struct {
	edges []edge
	maxBy []float64
}

func newIntervals(edges []edge) intervals {
	if len(edges) == 0 {
		return intervals{}
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.ay, b.ay) })
	t := intervals{edges: edges, maxBy: make([]float64, len(edges))}
	t.build(0, len(edges))
	return t
}

func (t *intervals) build(lo, hi int) float64 {
	if lo >= hi {
		return math.Inf(-1)
	}
	mid := int(uint(lo+hi) >> 1)
	m := max(t.edges[mid].by, t.build(lo, mid), t.build(mid+1, hi))
	t.maxBy[mid] = m
	return m
}

// cross flips in for each edge of edges[lo:hi] that the point crosses, and returns it.
func (t *intervals) cross(lo, hi int, x, y float64, in bool) bool {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.maxBy[mid] <= y {
			return in // no edge here reaches above y
		}
		in = t.cross(lo, mid, x, y, in)
		if t.edges[mid].ay > y {
			return in // neither does any edge from here on start at or below y
		}
		if crosses(&t.edges[mid], x, y) {
			in = !in
		}
		lo = mid + 1
	}
	return in
}
