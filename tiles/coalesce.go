package tiles

import (
	"cmp"
	"container/heap"
	"slices"
)

// coalesceLevel merges, at one zoom, every feature whose drawn area is below limit2/2 square units
// into the neighbour it shares most boundary with, smallest group first, until every group that has a
// neighbour reaches the limit. Each group is then dissolved: the arcs its members share cancel, and
// the remaining directed arcs are chained into the group's rings. Because the group's rings are made
// of the same arcs as its neighbours' rings, merging never opens a gap.
func (b *builder) coalesceLevel(s *Shapes, l *level, lw *levelWork, limit2 float64) {
	nf := len(s.feats)
	own := make([]int64, nf) // twice each feature's drawn area
	for fi := range s.feats {
		f := &s.feats[fi]
		for p := f.polys.start; p < f.polys.end; p++ {
			ps := s.polys[p]
			if l.rings[ps.start].n == 0 {
				continue
			}
			a := abs64(lw.ring2[ps.start])
			for h := ps.start + 1; h < ps.end; h++ {
				if l.rings[h].n > 0 {
					a -= abs64(lw.ring2[h])
				}
			}
			own[fi] += max(a, 0)
		}
	}
	var h groupHeap
	for fi, a := range own {
		if a > 0 && float64(a) < limit2 {
			h = append(h, groupItem{a, int32(fi)})
		}
	}
	if len(h) == 0 {
		return
	}
	heap.Init(&h)

	parent := make([]int32, nf)
	garea := make([]int64, nf)
	rep := make([]int32, nf)
	next := make([]int32, nf) // members of a group form a circular list
	for i := range parent {
		parent[i], rep[i], next[i] = int32(i), int32(i), int32(i)
	}
	copy(garea, own)
	find := func(i int32) int32 {
		r := i
		for parent[r] != r {
			r = parent[r]
		}
		for parent[i] != r {
			parent[i], i = r, parent[i]
		}
		return r
	}
	type shared struct {
		g   int32
		len float64
	}
	var acc []shared
	merged := false
	for h.Len() > 0 {
		it := heap.Pop(&h).(groupItem)
		g := it.f
		if parent[g] != g || garea[g] != it.area {
			continue // stale: merged away, or grown since
		}
		acc = acc[:0]
		for m := g; ; {
			f := &s.feats[m]
			for p := f.polys.start; p < f.polys.end; p++ {
				for ri := s.polys[p].start; ri < s.polys[p].end; ri++ {
					for _, a := range s.refs[s.rings[ri].start:s.rings[ri].end] {
						if a < 0 {
							a = ^a
						}
						for _, o := range b.arcFeat[a] {
							if o < 0 || o == m {
								continue
							}
							if og := find(o); og != g {
								acc = append(acc, shared{og, b.arcLen[a]})
							}
						}
					}
				}
			}
			if m = next[m]; m == g {
				break
			}
		}
		if len(acc) == 0 {
			continue // an island: nothing to merge with
		}
		slices.SortFunc(acc, func(x, y shared) int { return cmp.Compare(x.g, y.g) })
		best, bestLen := int32(-1), -1.0
		for i := 0; i < len(acc); {
			j, sum := i, 0.0
			for ; j < len(acc) && acc[j].g == acc[i].g; j++ {
				sum += acc[j].len
			}
			og := acc[i].g
			if best < 0 || sum > bestLen || (sum == bestLen && garea[og] > garea[best]) {
				best, bestLen = og, sum
			}
			i = j
		}
		parent[g] = best
		garea[best] += garea[g]
		next[g], next[best] = next[best], next[g]
		if rg, rb := rep[g], rep[best]; own[rg] > own[rb] || (own[rg] == own[rb] && rg < rb) {
			rep[best] = rg
		}
		merged = true
		if float64(garea[best]) < limit2 {
			heap.Push(&h, groupItem{garea[best], best})
		}
	}
	if !merged {
		return
	}

	l.alias = make([]int32, nf)
	l.gfeat = make([]span, nf)
	d := merger{b: b, s: s, l: l, lw: lw}
	d.chainer.start, d.chainer.end = d.arcStart, d.arcEnd
	for i := range l.alias {
		root := find(int32(i))
		l.alias[i] = rep[root]
		if int32(i) == root && next[root] != root {
			start := int32(len(l.gpolys))
			d.group(root, next)
			l.gfeat[rep[root]] = span{start, int32(len(l.gpolys))}
		}
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

type groupItem struct {
	area int64
	f    int32
}

type groupHeap []groupItem

func (h groupHeap) Len() int { return len(h) }
func (h groupHeap) Less(i, j int) bool {
	return h[i].area < h[j].area || (h[i].area == h[j].area && h[i].f < h[j].f)
}
func (h groupHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *groupHeap) Push(x any)   { *h = append(*h, x.(groupItem)) }
func (h *groupHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// merger builds the rings of merged groups with the package's dissolve (chainer); its slices are
// reused from group to group.
type merger struct {
	chainer
	b    *builder
	s    *Shapes
	l    *level
	lw   *levelWork
	uses []int32 // directed arc references (a or ^a) of the members' rings, in drawing orientation
	cycs []cycle
	pts  []pt
}

type cycle struct {
	refs span // in l.grefs
	ringLevel
	area2 int64
	hole  bool
	owner int // for holes: index in cycs of the exterior holding it, or -1
}

func (d *merger) arcStart(ref int32) int32 {
	b := d.b
	if ref >= 0 {
		return b.arcVids[b.arcOff[ref]]
	}
	return b.arcVids[b.arcOff[^ref+1]-1]
}

func (d *merger) arcEnd(ref int32) int32 {
	b := d.b
	if ref >= 0 {
		return b.arcVids[b.arcOff[ref+1]-1]
	}
	return b.arcVids[b.arcOff[^ref]]
}

// group dissolves the group whose members form the circular list through root, appending its
// polygons to l.gpolys.
func (d *merger) group(root int32, next []int32) {
	b, s, l, lw := d.b, d.s, d.l, d.lw
	d.uses = d.uses[:0]
	for m := root; ; {
		f := &s.feats[m]
		for p := f.polys.start; p < f.polys.end; p++ {
			ps := s.polys[p]
			if lw.tiny[ps.start] {
				continue
			}
			for ri := ps.start; ri < ps.end; ri++ {
				if lw.tiny[ri] {
					continue
				}
				refs := s.refs[s.rings[ri].start:s.rings[ri].end]
				if b.ringRev[ri] {
					for k := len(refs) - 1; k >= 0; k-- {
						d.uses = append(d.uses, ^refs[k])
					}
				} else {
					d.uses = append(d.uses, refs...)
				}
			}
		}
		if m = next[m]; m == root {
			break
		}
	}
	// Cancel opposite uses of the same arc (what remains is the group's boundary) and chain the rest.
	d.cycs = d.cycs[:0]
	d.chain(d.uses, func(cyc []int32) {
		rl, sum := l.measure(cyc, lw)
		if rl.n < 3 || sum == 0 {
			return
		}
		start := int32(len(l.grefs))
		l.grefs = append(l.grefs, cyc...)
		d.cycs = append(d.cycs, cycle{refs: span{start, int32(len(l.grefs))}, ringLevel: rl, area2: sum, hole: sum < 0, owner: -1})
	})
	// Give every hole to the smallest exterior holding its first vertex; holes nobody holds go.
	for hi := range d.cycs {
		c := &d.cycs[hi]
		if !c.hole {
			continue
		}
		p := d.firstPoint(c.refs)
		var best int64 = -1
		for ei := range d.cycs {
			e := &d.cycs[ei]
			if e.hole || p.x < e.box.minX || p.x > e.box.maxX || p.y < e.box.minY || p.y > e.box.maxY {
				continue
			}
			if (best < 0 || e.area2 < best) && d.contains(e.refs, p) {
				best, c.owner = e.area2, ei
			}
		}
	}
	for ei := range d.cycs {
		e := &d.cycs[ei]
		if e.hole {
			continue
		}
		start := int32(len(l.grings))
		l.grings = append(l.grings, gring{e.refs, e.ringLevel})
		for hi := range d.cycs {
			if c := &d.cycs[hi]; c.hole && c.owner == ei {
				l.grings = append(l.grings, gring{c.refs, c.ringLevel})
			}
		}
		l.gpolys = append(l.gpolys, span{start, int32(len(l.grings))})
	}
}

func (d *merger) firstPoint(refs span) pt {
	ref := d.l.grefs[refs.start]
	l := d.l
	if ref >= 0 {
		return l.pts[l.arcs[ref]]
	}
	return l.pts[l.arcs[^ref+1]-1]
}

// contains reports whether p is inside the ring (even–odd rule, on the zoom's grid).
func (d *merger) contains(refs span, p pt) bool {
	d.pts = d.l.appendRing(d.pts[:0], d.l.grefs[refs.start:refs.end])
	in := false
	prev := d.pts[len(d.pts)-1]
	for _, q := range d.pts {
		if (q.y > p.y) != (prev.y > p.y) {
			// x of the edge at p.y, compared without division
			lhs := int64(p.x-q.x) * int64(prev.y-q.y)
			rhs := int64(prev.x-q.x) * int64(p.y-q.y)
			if prev.y-q.y < 0 {
				lhs, rhs = -lhs, -rhs
			}
			if lhs < rhs {
				in = !in
			}
		}
		prev = q
	}
	return in
}

// appendRing appends the vertices of the ring made of refs (without the closing point).
func (l *level) appendRing(dst []pt, refs []int32) []pt {
	for k, ref := range refs {
		if ref >= 0 {
			p := l.pts[l.arcs[ref]:l.arcs[ref+1]]
			if k > 0 {
				p = p[1:]
			}
			dst = append(dst, p...)
		} else {
			p := l.pts[l.arcs[^ref]:l.arcs[^ref+1]]
			last := len(p) - 1
			if k > 0 {
				last--
			}
			for j := last; j >= 0; j-- {
				dst = append(dst, p[j])
			}
		}
	}
	if n := len(dst); n > 1 && dst[n-1] == dst[0] {
		dst = dst[:n-1]
	}
	return dst
}
