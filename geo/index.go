package geo

import (
	"math"

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
// slice (band k is edges[start[k]:start[k+1]]) so a lookup reads contiguous memory.
type shape struct {
	minY, bandHeight float64
	start            []int32
	edges            []edge
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

// edgesPerBand is the average number of edges a band should hold; a few edges keep the test short
// without letting long edges be copied into too many bands.
const edgesPerBand = 4

func newShape(mp orb.MultiPolygon, b orb.Bound) shape {
	var edges []edge
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
	s := shape{minY: b.Min[1], bandHeight: math.Inf(1), start: make([]int32, n+1)}
	if height := b.Max[1] - b.Min[1]; height > 0 && n > 1 {
		s.bandHeight = height / float64(n)
	}
	// Count each band's edges, turn the counts into offsets, then place the edges.
	for _, e := range edges {
		for k := s.band(e.ay); k <= s.band(e.by); k++ {
			s.start[k+1]++
		}
	}
	for k := 1; k <= n; k++ {
		s.start[k] += s.start[k-1]
	}
	s.edges = make([]edge, s.start[n])
	next := append([]int32(nil), s.start[:n]...)
	for _, e := range edges {
		for k := s.band(e.ay); k <= s.band(e.by); k++ {
			s.edges[next[k]] = e
			next[k]++
		}
	}
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
	if len(s.edges) == 0 {
		return false
	}
	k := s.band(y)
	in := false
	for _, e := range s.edges[s.start[k]:s.start[k+1]] {
		if y < e.ay || y >= e.by {
			continue
		}
		// cross > 0: p is left of the upward edge a→b.
		if (e.bx-e.ax)*(y-e.ay)-(e.by-e.ay)*(x-e.ax) > 0 {
			in = !in
		}
	}
	return in
}
