package geo

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// ringSet answers, among many rings that do not cross, which hold a given ring: an R-tree over their
// bounds finds the candidates (a ring inside another has its bound inside the other's), and a ring
// queried with many points gets an interval tree of its edges, so that checking h holes against one
// outer ring of v vertices costs O((h + v) log v) instead of O(h·v).
type ringSet struct {
	rings  []orb.Ring
	bounds []orb.Bound
	tree   rtree.RTreeG[int32]
	index  []*ringIndex // built on first use, for rings of more than indexMin vertices
}

// indexMin is the ring size from which a lookup goes through an index rather than every edge.
const indexMin = 64

func newRingSet(rings []orb.Ring) *ringSet {
	s := &ringSet{rings: rings, bounds: make([]orb.Bound, len(rings)), index: make([]*ringIndex, len(rings))}
	for i, r := range rings {
		b := r.Bound()
		s.bounds[i] = b
		s.tree.Insert(b.Min, b.Max, int32(i))
	}
	return s
}

// around calls fn for each ring whose bound contains b, until fn returns false.
func (s *ringSet) around(b orb.Bound, fn func(i int) bool) {
	s.tree.Search(b.Min, b.Max, func(_, _ [2]float64, i int32) bool {
		rb := s.bounds[i]
		if rb.Min[0] > b.Min[0] || rb.Min[1] > b.Min[1] || rb.Max[0] < b.Max[0] || rb.Max[1] < b.Max[1] {
			return true
		}
		return fn(int(i))
	})
}

// locate is ringLocate(s.rings[i], r).
func (s *ringSet) locate(i int, r orb.Ring) Location {
	return locateWith(s.ringIndex(i), s.rings[i], r)
}

func (s *ringSet) ringIndex(i int) *ringIndex {
	if len(s.rings[i]) <= indexMin {
		return nil
	}
	if s.index[i] == nil {
		s.index[i] = newRingIndex(s.rings[i])
	}
	return s.index[i]
}

// locateWith is ringLocate through idx when there is one.
func locateWith(idx *ringIndex, of, r orb.Ring) Location {
	if idx == nil {
		return ringLocate(of, r)
	}
	for _, p := range r {
		if l := idx.locate(p); l != OnBoundary {
			return l
		}
	}
	return OnBoundary
}

// ringIndex is a ring's edges in a static interval tree over their y spans (sorted by their lower y,
// read as an implicit balanced tree, with the highest y of each subtree), for InRing in
// O(log n + k) for the k edges a horizontal line through the point meets.
type ringIndex struct {
	segs []ringSeg
	maxY []float64
}

type ringSeg struct {
	a, b   orb.Point // in the ring's order, so each edge is evaluated exactly as InRing does
	lo, hi float64
}

func newRingIndex(r orb.Ring) *ringIndex {
	t := &ringIndex{segs: make([]ringSeg, 0, len(r))}
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		t.segs = append(t.segs, ringSeg{a: a, b: b, lo: math.Min(a[1], b[1]), hi: math.Max(a[1], b[1])})
	}
	slices.SortFunc(t.segs, func(x, y ringSeg) int { return cmp.Compare(x.lo, y.lo) })
	t.maxY = make([]float64, len(t.segs))
	t.build(0, len(t.segs))
	return t
}

func (t *ringIndex) build(lo, hi int) float64 {
	if lo >= hi {
		return math.Inf(-1)
	}
	mid := int(uint(lo+hi) >> 1)
	m := max(t.segs[mid].hi, t.build(lo, mid), t.build(mid+1, hi))
	t.maxY[mid] = m
	return m
}

// locate is InRing through the index: the same per-edge rule, over the edges whose y span holds p.
func (t *ringIndex) locate(p orb.Point) Location {
	in, on := t.walk(0, len(t.segs), p, false)
	switch {
	case on:
		return OnBoundary
	case in:
		return Inside
	}
	return Outside
}

func (t *ringIndex) walk(lo, hi int, p orb.Point, in bool) (bool, bool) {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.maxY[mid] < p[1] {
			return in, false
		}
		var on bool
		if in, on = t.walk(lo, mid, p, in); on {
			return in, true
		}
		s := &t.segs[mid]
		if s.lo > p[1] {
			return in, false
		}
		a, b := s.a, s.b
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if x == p[0] {
				return in, true
			}
			if x > p[0] {
				in = !in
			}
		} else if a[1] == p[1] && b[1] == p[1] && p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) {
			return in, true
		}
		if a == p || b == p {
			return in, true
		}
		lo = mid + 1
	}
	return in, false
}

// nestedCtx checks, for rings that do not cross, that holes lie inside their outer ring and not inside
// each other, and that no polygon lies inside another (outside its holes). It stops with ctx's error.
func nestedCtx(ctx context.Context, mp orb.MultiPolygon) (bool, error) {
	var holes []orb.Ring
	var holePoly []int
	for pi, poly := range mp {
		if len(poly) < 2 {
			continue
		}
		var outer *ringIndex
		if len(poly)-1 > 4 && len(poly[0]) > indexMin {
			outer = newRingIndex(poly[0])
		}
		for i, h := range poly[1:] {
			if i%256 == 255 && ctx.Err() != nil {
				return false, ctx.Err()
			}
			if locateWith(outer, poly[0], h) == Outside {
				return false, nil
			}
			holes = append(holes, h)
			holePoly = append(holePoly, pi)
		}
	}
	checks := 0
	var hs *ringSet
	if len(holes) > 0 {
		hs = newRingSet(holes)
	}
	for i, h := range holes {
		if len(holes) < 2 {
			break
		}
		ok := true
		hs.around(hs.bounds[i], func(j int) bool {
			if checks++; checks%256 == 0 && ctx.Err() != nil {
				return false
			}
			if j == i || holePoly[j] != holePoly[i] {
				return true
			}
			if hs.locate(j, h) == Inside {
				ok = false
			}
			return ok
		})
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
	}
	if len(mp) < 2 {
		return true, nil
	}
	outers := make([]orb.Ring, len(mp))
	for i, poly := range mp {
		outers[i] = poly[0]
	}
	ps := newRingSet(outers)
	for j, r := range outers {
		ok := true
		ps.around(ps.bounds[j], func(i int) bool {
			if checks++; checks%256 == 0 && ctx.Err() != nil {
				return false
			}
			// Is polygon j inside polygon i, and not in one of its holes?
			if i == j || ps.locate(i, r) != Inside {
				return true
			}
			inHole := false
			if hs == nil { // no hole to be in
				ok = false
				return false
			}
			hs.around(ps.bounds[j], func(k int) bool {
				if holePoly[k] == i && hs.locate(k, r) != Outside {
					inHole = true
				}
				return !inHole
			})
			ok = inHole
			return ok
		})
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
