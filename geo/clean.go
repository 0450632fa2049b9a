package geo

import (
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Normalize cleans mp in place and returns it: it drops repeated consecutive points, closes open rings,
// drops rings with fewer than 4 points or all on one line (and the holes of a polygon whose outer ring
// went), and turns outer rings counter-clockwise and holes clockwise, as RFC 7946 asks.
func Normalize(mp orb.MultiPolygon) orb.MultiPolygon {
	out := mp[:0]
	for _, poly := range mp {
		rings := poly[:0]
		for i, ring := range poly {
			ring = cleanRing(ring)
			if len(ring) < 4 || flat(ring) {
				if i == 0 {
					break // no outer ring: the holes mean nothing
				}
				continue
			}
			if a := ringArea(ring); a != 0 && (i == 0) != (a > 0) {
				slices.Reverse(ring)
			}
			rings = append(rings, ring)
		}
		if len(rings) > 0 {
			out = append(out, rings)
		}
	}
	clear(mp[len(out):])
	return out
}

// cleanRing drops repeated consecutive points and closes the ring, in place when it can.
func cleanRing(r orb.Ring) orb.Ring {
	if len(r) == 0 {
		return r
	}
	n := 1
	for i := 1; i < len(r); i++ {
		if r[i] != r[n-1] {
			r[n] = r[i]
			n++
		}
	}
	r = r[:n]
	if n > 1 && r[0] != r[n-1] {
		r = append(r, r[0])
	}
	return r
}

// flat reports whether all the points of a ring lie on one line, so that it encloses nothing. (A zero
// signed area is not enough: the two lobes of a bow-tie cancel out.)
func flat(r orb.Ring) bool {
	a := r[0]
	for i := 1; i < len(r); i++ {
		if r[i] == a {
			continue
		}
		for _, c := range r[i+1:] {
			if orient(a, r[i], c) != 0 {
				return false
			}
		}
		return true
	}
	return true
}

// ringArea is the signed area of a closed ring in coordinate units, positive when counter-clockwise.
// It works relative to the first point so that large grid coordinates keep their precision.
func ringArea(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	x0, y0 := r[0][0], r[0][1]
	var s float64
	for i := 1; i < len(r)-1; i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}

// Valid reports whether a normalised multipolygon is valid in the sense that matters for area and
// point-in-polygon work: no ring crosses itself or another ring (and no two edges overlap), every hole
// lies inside its outer ring and outside the other holes, and no polygon lies inside another. Rings
// touching at a point are accepted. The crossing test is a sweep over the edges, so it costs O(n log n).
func Valid(mp orb.MultiPolygon) bool {
	var v validator
	ok, _ := v.check(context.Background(), mp) // the background context never ends
	return ok
}

// validator holds the scratch buffers of Valid; each cleaning worker keeps one across features.
type validator struct {
	rings  []orb.Ring
	segs   []segment
	keys   []uint64
	active []int32
}

// segment is the edge from rings[ring][i] (p) to rings[ring][i+1] (q).
type segment struct {
	p, q    orb.Point
	maxQ    uint64 // the right end, scaled to the sweep's integer x (rounded up)
	ring, i int32
}

// check is Valid with v's buffers, which it leaves empty for the next feature.
func (v *validator) check(ctx context.Context, mp orb.MultiPolygon) (bool, error) {
	ok, err := v.valid(ctx, mp)
	v.reset()
	return ok, err
}

func (v *validator) reset() {
	clear(v.rings)
	v.rings, v.segs, v.keys, v.active = v.rings[:0], v.segs[:0], v.keys[:0], v.active[:0]
	if cap(v.segs) > 1<<20 { // do not keep one huge feature's buffers
		*v = validator{}
	}
}

// valid sweeps the edges along the longer side of the bound (so that few edges overlap the sweep line
// of a long thin area), testing each against the edges whose span it meets. The edges are sorted by
// their start scaled to 32-bit integers (rounded down) and packed with their index into one uint64,
// which sorts much faster than structs; an edge leaves the sweep only when its end (rounded up) is
// strictly before the current edge's start, so no overlapping pair is missed.
func (v *validator) valid(ctx context.Context, mp orb.MultiPolygon) (bool, error) {
	n := 0
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, poly := range mp {
		for _, r := range poly {
			v.rings = append(v.rings, r)
			if len(r) > 1 {
				n += len(r) - 1
			}
			for _, p := range r {
				b.Min[0], b.Max[0] = min(b.Min[0], p[0]), max(b.Max[0], p[0])
				b.Min[1], b.Max[1] = min(b.Min[1], p[1]), max(b.Max[1], p[1])
			}
		}
	}
	if n == 0 || n >= 1<<31 {
		return n == 0, nil
	}
	// The sweep axis (the other one, 1-ax, is checked for overlap) is the one along which the edges
	// overlap least: the edges' total extent along it over the bound's. A long thin area sweeps along
	// its length; a comb of teeth spanning its height sweeps across them, not along (which made every
	// tooth active at once: quadratic).
	var ext [2]float64
	for _, poly := range mp {
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				ext[0] += math.Abs(r[i+1][0] - r[i][0])
				ext[1] += math.Abs(r[i+1][1] - r[i][1])
			}
		}
	}
	ax := 0
	if w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]; ext[1]*w < ext[0]*h {
		ax = 1
	}
	s0, s1 := b.Min[ax], b.Max[ax]
	scale := 0.0
	if s1 > s0 {
		scale = float64(1<<32-1) / (s1 - s0)
	}
	v.segs = slices.Grow(v.segs[:0], n)
	v.keys = slices.Grow(v.keys[:0], n)
	for ri, r := range v.rings {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			lo, hi := p[ax], q[ax]
			if lo > hi {
				lo, hi = hi, lo
			}
			minQ := uint64(math.Floor((lo - s0) * scale))
			maxQ := uint64(math.Ceil((hi - s0) * scale))
			v.keys = append(v.keys, minQ<<32|uint64(len(v.segs)))
			v.segs = append(v.segs, segment{p: p, q: q, maxQ: maxQ, ring: int32(ri), i: int32(i)})
		}
	}
	slices.Sort(v.keys)
	oa := 1 - ax
	active := v.active[:0]
	work := 0 // pairs tested, to look at ctx now and then
	for _, k := range v.keys {
		s := &v.segs[k&(1<<32-1)]
		minQ := k >> 32
		so0, so1 := s.p[oa], s.q[oa]
		if so0 > so1 {
			so0, so1 = so1, so0
		}
		if work += len(active) + 1; work > 1<<16 {
			work = 0
			if err := ctx.Err(); err != nil {
				v.active = active
				return false, err
			}
		}
		keep := active[:0]
		for _, ai := range active {
			a := &v.segs[ai]
			if a.maxQ < minQ {
				continue // wholly before s, and before every edge after it
			}
			keep = append(keep, ai)
			ao0, ao1 := a.p[oa], a.q[oa]
			if ao0 > ao1 {
				ao0, ao1 = ao1, ao0
			}
			if ao1 < so0 || so1 < ao0 {
				continue
			}
			if v.conflict(a, s) {
				v.active = keep
				return false, nil
			}
		}
		active = append(keep, int32(k&(1<<32-1)))
	}
	v.active = active
	return nestedCtx(ctx, mp)
}

// conflict reports whether two edges cross, overlap, or (for consecutive edges) fold back on each other.
func (v *validator) conflict(a, b *segment) bool {
	p1, p2, q1, q2 := a.p, a.q, b.p, b.q
	if a.ring == b.ring {
		ra := v.rings[a.ring]
		last := int32(len(ra) - 2)
		i, j := a.i, b.i
		if i > j {
			i, j = j, i
		}
		if j == i+1 { // they share ra[j]
			return foldsBack(ra[i], ra[j], ra[j+1])
		}
		if i == 0 && j == last { // the closing edge and the first edge share ra[0]
			return foldsBack(ra[j], ra[0], ra[1])
		}
	}
	d1 := orient(p1, p2, q1)
	d2 := orient(p1, p2, q2)
	if (d1 > 0 && d2 > 0) || (d1 < 0 && d2 < 0) {
		return false
	}
	d3 := orient(q1, q2, p1)
	d4 := orient(q1, q2, p2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true // a proper crossing
	}
	if d1 == 0 && d2 == 0 && d3 == 0 && d4 == 0 {
		return collinearOverlap(p1, p2, q1, q2)
	}
	return false // apart, or touching at a point
}

// foldsBack reports whether the path a → p → b turns back on itself (a zero-width spike).
func foldsBack(a, p, b orb.Point) bool {
	if orient(a, p, b) != 0 {
		return false
	}
	return (a[0]-p[0])*(b[0]-p[0])+(a[1]-p[1])*(b[1]-p[1]) > 0
}

// collinearOverlap reports whether two collinear segments share more than a point.
func collinearOverlap(p1, p2, q1, q2 orb.Point) bool {
	k := 0 // compare along the axis where the first segment is longer
	if math.Abs(p2[1]-p1[1]) > math.Abs(p2[0]-p1[0]) {
		k = 1
	}
	a0, a1 := math.Min(p1[k], p2[k]), math.Max(p1[k], p2[k])
	b0, b1 := math.Min(q1[k], q2[k]), math.Max(q1[k], q2[k])
	return math.Min(a1, b1) > math.Max(a0, b0)
}

// orient is twice the signed area of the triangle a, b, c: positive when it turns left.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// Location is where a point lies against a ring.
type Location uint8

// The locations; the zero value is unset.
const (
	Outside Location = iota + 1
	Inside
	OnBoundary
)

// ringLocate tells where ring r lies relative to ring of, from the first of its points that is not on
// the boundary of of (for rings that do not cross, one point decides).
func ringLocate(of, r orb.Ring) Location {
	for _, p := range r {
		if l := InRing(of, p); l != OnBoundary {
			return l
		}
	}
	return OnBoundary
}

// InRing locates p against a closed ring by the crossing rule (even–odd), exactly: a point on an edge
// or a vertex is OnBoundary. The one point-in-ring test of the module.
func InRing(r orb.Ring, p orb.Point) Location {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if x == p[0] {
				return OnBoundary
			}
			if x > p[0] {
				in = !in
			}
		} else if a[1] == p[1] && b[1] == p[1] && p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) {
			return OnBoundary
		}
		if a == p {
			return OnBoundary
		}
	}
	if in {
		return Inside
	}
	return Outside
}

// PointOnSurface returns a point inside mp (not on its boundary), to place an area that has no
// centroid of its own. It takes the midpoint of the widest interior span along a horizontal line through
// the middle of the largest polygon, trying other lines when that one only grazes it. An empty mp gives
// the zero point.
func PointOnSurface(mp orb.MultiPolygon) orb.Point {
	best, bestArea := -1, 0.0
	for i, poly := range mp {
		if len(poly) == 0 || len(poly[0]) == 0 {
			continue
		}
		if a := math.Abs(ringArea(poly[0])); best < 0 || a > bestArea {
			best, bestArea = i, a
		}
	}
	if best < 0 {
		return orb.Point{}
	}
	poly := mp[best]
	b := poly[0].Bound()
	h := b.Max[1] - b.Min[1]
	var xs []float64
	// The middle first, then lines spread ever finer over the height.
	fracs := []float64{0.5, 0.25, 0.75, 0.375, 0.625, 0.125, 0.875, 0.4375, 0.5625, 0.3125, 0.6875, 0.1875, 0.8125, 0.0625, 0.9375}
	for _, f := range fracs {
		y := b.Min[1] + f*h
		xs = xs[:0]
		for _, r := range poly {
			for i := 0; i+1 < len(r); i++ {
				a, c := r[i], r[i+1]
				if (a[1] > y) != (c[1] > y) {
					xs = append(xs, a[0]+(y-a[1])*(c[0]-a[0])/(c[1]-a[1]))
				}
			}
		}
		slices.Sort(xs)
		bw, bx := 0.0, 0.0
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bw {
				bw, bx = w, (xs[i]+xs[i+1])/2
			}
		}
		if bw > 0 {
			return orb.Point{bx, y}
		}
	}
	return poly[0][0]
}
