package tiles

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"pcnmap/geo"
)

// Options tunes Prepare. The zero value gives the defaults.
type Options struct {
	// Tolerance is the Douglas–Peucker tolerance at each zoom, in tile units (1/Extent of a tile at
	// that zoom). Zero means DefaultTolerance; a negative value keeps every vertex.
	Tolerance float64
	// MinArea, in square tile units, is the area below which a ring made of one closed arc is left out
	// at a zoom: an island, or an enclave together with the hole it fills in its neighbour, so leaving
	// it out never opens a gap. Zero means DefaultMinArea; a negative value keeps every such ring.
	// Other rings are left out only when their area at that zoom is zero.
	MinArea float64
	// Snap, in degrees, is the distance below which two input vertices are taken to be the same
	// vertex when finding shared edges. Boundary files made by reprojecting a topologically clean
	// source (the ONS MSOA files are) hold neighbours' copies of a shared vertex apart by about 1e-12
	// degrees (a few hundred by up to 1e-8), not exactly equal. Zero means DefaultSnap; a negative
	// value requires exact equality.
	Snap float64
	// Coalesce, in square tile units, is the area below which a feature is merged, at a zoom, into
	// the neighbour it shares most boundary with (repeatedly, smallest first, until every merged
	// group reaches it), for layers that ask for it (Layer.Coalesce). The merged group is drawn as
	// one feature, with the id and attributes of its largest member, and its outline is the union of
	// the members' shared-arc rings, so no gap opens. This is what keeps low-zoom tiles of thousands
	// of areas with many attributes small. Zero means DefaultCoalesce; a negative value turns it off.
	Coalesce float64
	// Zooms, when not nil, lists the only zooms whose levels are built (each in 0..MaxZoom): a caller
	// that draws one figure at a known zoom (the report's maps) skips the others' simplification. A
	// level is built the same way whatever else is built with it, so its tiles are byte for byte a
	// full preparation's. Render and the tile writers refuse a tile of a zoom not built.
	Zooms []int
}

const (
	// DefaultTolerance is half a pixel of a 512-pixel tile (a quarter of a 256-pixel one).
	DefaultTolerance = 4.0
	// DefaultMinArea is a quarter of a pixel of a 512-pixel tile.
	DefaultMinArea = 16.0
	// DefaultSnap is about 1 cm on the ground.
	DefaultSnap = 1e-7
	// DefaultCoalesce is eight pixels of a 512-pixel tile (under three by three).
	DefaultCoalesce = 512.0
)

// Stats describes the topology Prepare built.
type Stats struct {
	Features    int // features given
	Polygons    int // polygons kept (exterior with at least 3 distinct vertices)
	Rings       int // rings kept, exteriors and holes
	Vertices    int // ring vertices, without closing points and consecutive duplicates
	Points      int // distinct vertices (after snapping)
	Snapped     int // vertices that were not exactly equal to the vertex they were snapped to
	Arcs        int // arcs, each shared edge stored once
	SharedArcs  int // arcs used by two or more rings
	ArcVertices int // vertices over all arcs (junctions counted once per arc)
	// SharedLength is the share (0..1) of the rings' total boundary length that lies on shared arcs,
	// each ring counting its own boundary (so an edge shared by two rings counts twice in both terms).
	SharedLength float64
	// Dropped counts, per zoom, the rings left out because they collapsed or were too small.
	Dropped [MaxZoom + 1]int
	// LevelVertices counts, per zoom, the arc vertices kept after simplification and quantisation.
	LevelVertices [MaxZoom + 1]int
	// Merged counts, per zoom, the features drawn as part of a bigger neighbour by coalescing layers.
	Merged [MaxZoom + 1]int
	// Refined counts, per zoom, the arcs given more vertices because simplification turned a ring
	// inside out or into a zero-area figure of eight; Inverted, the rings still so afterwards.
	Refined  [MaxZoom + 1]int
	Inverted [MaxZoom + 1]int
}

// Shapes is a set of area polygons prepared for rendering: projected to Web Mercator, split into
// shared arcs, simplified and quantised once per zoom 0..MaxZoom, and indexed by an R-tree. Feature i
// of the slice given to Prepare keeps index i (and tile feature id i+1). A Shapes is immutable and
// safe for concurrent use.
type Shapes struct {
	codes  []string
	feats  []shape  // per feature
	polys  []span   // per polygon, its rings (the first is the exterior)
	rings  []span   // per ring, its arc references in refs
	refs   []int32  // a >= 0: arc a forwards; a < 0: arc ^a backwards
	levels []*level // per zoom 0..MaxZoom
	tree   rtree.RTreeG[int32]
	bound  orb.Bound // WGS84
	stats  Stats
}

type span struct{ start, end int32 }

// shape is a feature: its polygons and its bound in normalised Web Mercator (0..1, y down).
type shape struct {
	polys      span
	minX, minY float64
	maxX, maxY float64
	hasGeom    bool
}

// pt is a vertex on a zoom's global grid: Extent·2^z units across the world, origin top left.
type pt struct{ x, y int32 }

type box struct{ minX, minY, maxX, maxY int32 }

func emptyBox() box {
	return box{math.MaxInt32, math.MaxInt32, math.MinInt32, math.MinInt32}
}

func (b *box) extend(p pt) {
	b.minX = min(b.minX, p.x)
	b.minY = min(b.minY, p.y)
	b.maxX = max(b.maxX, p.x)
	b.maxY = max(b.maxY, p.y)
}

func (b *box) union(o box) {
	b.minX = min(b.minX, o.minX)
	b.minY = min(b.minY, o.minY)
	b.maxX = max(b.maxX, o.maxX)
	b.maxY = max(b.maxY, o.maxY)
}

// level is one zoom's simplified, quantised arcs and the per-ring facts Render needs.
type level struct {
	refined, inverted int // for Stats

	pts   []pt
	arcs  []int32 // arc a is pts[arcs[a]:arcs[a+1]]
	rings []ringLevel

	// Coalescing, set only when some feature is merged at this zoom.
	alias  []int32 // per feature, the feature drawn in its place: itself unless merged
	gfeat  []span  // per feature, its group's polygons in gpolys (empty unless it stands for a group)
	gpolys []span  // per group polygon, its rings in grings (the first is the exterior)
	grings []gring
	grefs  []int32 // arc references of group rings, already in drawing order
}

// gring is a ring of a merged group: its arc references in grefs and its facts at the zoom.
type gring struct {
	refs span
	ringLevel
}

// ringLevel is a ring at one zoom: n vertices once assembled (0 when the ring is left out) and its box.
type ringLevel struct {
	n   int32
	box box
}

// Len returns the number of features.
func (s *Shapes) Len() int { return len(s.feats) }

// Code returns the code of feature i.
func (s *Shapes) Code(i int) string { return s.codes[i] }

// Bound returns the WGS84 bound of all features.
func (s *Shapes) Bound() orb.Bound { return s.bound }

// Stats returns facts about the topology.
func (s *Shapes) Stats() Stats { return s.stats }

// Prepare projects features to Web Mercator, builds their shared-arc topology and simplifies it for
// every zoom 0..MaxZoom. The features are not modified. Polygons whose exterior ring has fewer than
// three distinct vertices are left out, as are such holes.
func Prepare(ctx context.Context, features []geo.Feature, opt Options) (*Shapes, error) {
	if len(features) >= math.MaxInt32/4 {
		return nil, fmt.Errorf("tiles: prepare: %d features is too many", len(features))
	}
	tol := opt.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	minArea := opt.MinArea
	if minArea == 0 {
		minArea = DefaultMinArea
	}
	snap := opt.Snap
	if snap == 0 {
		snap = DefaultSnap
	}
	coalesce := opt.Coalesce
	if coalesce == 0 {
		coalesce = DefaultCoalesce
	}
	if math.IsNaN(tol) || math.IsNaN(minArea) || math.IsNaN(snap) || math.IsInf(snap, 0) || math.IsNaN(coalesce) {
		return nil, fmt.Errorf("tiles: prepare: tolerance, minimum area, snap or coalesce area is not a number")
	}
	var want [MaxZoom + 1]bool
	if opt.Zooms == nil {
		for z := range want {
			want[z] = true
		}
	}
	for _, z := range opt.Zooms {
		if z < 0 || z > MaxZoom {
			return nil, fmt.Errorf("tiles: prepare: zoom %d is outside 0..%d", z, MaxZoom)
		}
		want[z] = true
	}
	b := newBuilder(features, snap)
	b.coalesce = coalesce
	s := &Shapes{
		codes: make([]string, len(features)),
		feats: make([]shape, len(features)),
		bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}},
	}
	// Two strips a core: a strip's tables stay smaller, and the national MSOAs snap in 0.8 of the CPU
	// time two strips take.
	strips := 0
	if n := runtime.GOMAXPROCS(0); n > 1 {
		strips = 2 * n
	}
	if err := b.snapping(ctx, features, strips); err != nil {
		return nil, err
	}
	if err := b.read(ctx, s, features); err != nil {
		return nil, err
	}
	if err := b.topology(ctx, s); err != nil {
		return nil, err
	}
	if err := b.simplify(ctx, tol); err != nil {
		return nil, err
	}
	if err := b.levels(ctx, s, minArea, &want); err != nil {
		return nil, err
	}
	for i := range s.feats {
		f := &s.feats[i]
		if f.hasGeom {
			s.tree.Insert([2]float64{f.minX, f.minY}, [2]float64{f.maxX, f.maxY}, int32(i))
		}
	}
	if s.bound.Min[0] > s.bound.Max[0] {
		s.bound = orb.Bound{}
	}
	return s, nil
}

// builder holds Prepare's working state, dropped once the Shapes is built.
type builder struct {
	snap     float64             // snap distance in degrees (<= 0: exact)
	cell     float64             // snap grid cell size, 4·snap
	exact    map[orb.Point]int32 // input vertex → distinct vertex id, when snap <= 0
	cells    cellTable           // snap grid cell (packed, see cellKey) → first vertex id in it
	far      map[[2]int64]int32  // the same for cells too far out to pack
	next     []int32             // next vertex id in the same cell, or -1
	orig     []orb.Point         // distinct vertices as given (WGS84)
	pts      []orb.Point         // distinct vertices in normalised Web Mercator
	ringVids []int32             // ring vertices (ids), ring r is ringVids[ringPts[r].start:end]
	ringPts  []span
	arcVids  []int32 // arc vertices, arc a is arcVids[arcOff[a]:arcOff[a+1]]
	arcOff   []int32
	arcUses  []int32
	minZoom  []uint8 // per arc vertex (parallel to arcVids): the first zoom that keeps it
	snapped  int
	n        int         // input vertices
	pre      *presnapped // the vertices' snap candidates, when found in parallel (presnap)
	at       int         // the input vertex read reaches next, counting every ring of every polygon

	ringFeat []int32    // per ring, its feature
	ringRev  []bool     // per ring, whether its vertex order is the reverse of its role's orientation
	arcLen   []float64  // per arc, its length on the ground (metres, roughly)
	arcFeat  [][2]int32 // per arc, the first two distinct features using it (-1 when fewer)
	coalesce float64
}

func newBuilder(features []geo.Feature, snap float64) *builder {
	n := 0
	for _, f := range features {
		for _, p := range f.Geom {
			for _, r := range p {
				n += len(r)
			}
		}
	}
	b := &builder{
		snap:     snap,
		cell:     4 * snap,
		orig:     make([]orb.Point, 0, n/2),
		ringVids: make([]int32, 0, n),
	}
	if snap <= 0 {
		b.exact = make(map[orb.Point]int32, n/2)
	}
	b.n = n
	return b
}

// snapping prepares the snapping of the input vertices: their candidates found in parallel strips
// (presnap, when strips > 0), else the serial table builder.vertex fills.
func (b *builder) snapping(ctx context.Context, features []geo.Feature, strips int) error {
	if b.snap > 0 && strips > 0 {
		if ok, err := b.presnap(ctx, features, strips); ok || err != nil {
			return err
		}
	}
	if b.snap > 0 {
		b.cells = newCellTable(b.n / 2)
		b.far = map[[2]int64]int32{}
		b.next = make([]int32, 0, b.n/2)
	}
	return nil
}

// vertex returns the id of the distinct vertex p is (within the snap distance), adding one if new.
func (b *builder) vertex(p orb.Point) int32 {
	if b.snap <= 0 {
		id, ok := b.exact[p]
		if !ok {
			id = b.add(p)
			b.exact[p] = id
		}
		return id
	}
	// A vertex within snap of p can only be in a neighbouring cell when p is near that side.
	c, nb, n := b.cellOf(p)
	if id, ok := b.find(c, p); ok {
		return id
	}
	for _, d := range nb[:n] {
		if id, ok := b.find(d, p); ok {
			return id
		}
	}
	id := b.add(p)
	if head, ok := b.head(c); ok {
		b.next[id] = b.next[head]
		b.next[head] = id
	} else if k, ok := cellKey(c); ok {
		b.cells.put(k, id)
	} else {
		b.far[c] = id
	}
	return id
}

// cellKey packs a snap grid cell into one word when both coordinates fit in 32 bits (always, for
// longitudes and latitudes at the default snap): a map keyed by words is several times quicker than
// one keyed by pairs, and this lookup was most of Prepare's time.
func cellKey(c [2]int64) (uint64, bool) {
	if c[0] < math.MinInt32 || c[0] > math.MaxInt32 || c[1] < math.MinInt32 || c[1] > math.MaxInt32 {
		return 0, false
	}
	return uint64(uint32(int32(c[0])))<<32 | uint64(uint32(int32(c[1]))), true
}

// cellTable maps packed cells to vertex ids: an open-addressing table (linear probing, kept at most
// half full), about twice as quick as a Go map here, where the lookups are Prepare's serial part.
type cellTable struct {
	keys  []uint64
	vals  []int32 // -1: empty slot
	mask  uint64
	shift uint
	n     int
}

func newCellTable(n int) cellTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t := cellTable{keys: make([]uint64, size), vals: make([]int32, size), mask: uint64(size - 1)}
	for size > 1 {
		size >>= 1
		t.shift++
	}
	t.shift = 64 - t.shift
	for i := range t.vals {
		t.vals[i] = -1
	}
	return t
}

func (t *cellTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

func (t *cellTable) get(k uint64) (int32, bool) {
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		switch {
		case t.vals[i] < 0:
			return 0, false
		case t.keys[i] == k:
			return t.vals[i], true
		}
	}
}

// put adds k, which must not be in the table.
func (t *cellTable) put(k uint64, v int32) {
	if 2*(t.n+1) > len(t.vals) {
		old := *t
		*t = newCellTable(len(old.vals))
		for i, ov := range old.vals {
			if ov >= 0 {
				t.put(old.keys[i], ov)
			}
		}
	}
	i := t.slot(k)
	for t.vals[i] >= 0 {
		i = (i + 1) & t.mask
	}
	t.keys[i], t.vals[i] = k, v
	t.n++
}

// head returns the first vertex id in cell c.
func (b *builder) head(c [2]int64) (int32, bool) {
	if k, ok := cellKey(c); ok {
		return b.cells.get(k)
	}
	id, ok := b.far[c]
	return id, ok
}

// find looks for a vertex within snap of p in cell c.
func (b *builder) find(c [2]int64, p orb.Point) (int32, bool) {
	id, ok := b.head(c)
	if !ok {
		return 0, false
	}
	s2 := b.snap * b.snap
	for ; id >= 0; id = b.next[id] {
		q := b.orig[id]
		if dx, dy := q[0]-p[0], q[1]-p[1]; dx*dx+dy*dy <= s2 {
			return id, true
		}
	}
	return 0, false
}

func (b *builder) add(p orb.Point) int32 {
	id := int32(len(b.orig))
	b.orig = append(b.orig, p) // projected into pts once all are read
	if b.snap > 0 && b.pre == nil {
		b.next = append(b.next, -1)
	}
	return id
}

// project converts WGS84 to normalised Web Mercator: x and y in 0..1, y down.
func project(p orb.Point) orb.Point {
	const maxLat = 85.0511287798066
	lat := math.Max(-maxLat, math.Min(maxLat, p[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{
		(p[0] + 180) / 360,
		0.5 - math.Log((1+s)/(1-s))/(4*math.Pi),
	}
}

// read copies the rings of every feature as vertex ids, dropping closing points and consecutive
// duplicates.
func (b *builder) read(ctx context.Context, s *Shapes, features []geo.Feature) error {
	for fi := range features {
		if fi%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f := &features[fi]
		s.codes[fi] = f.Code
		sh := shape{polys: span{int32(len(s.polys)), 0}}
		for _, poly := range f.Geom {
			first := len(s.rings)
			next := b.at // the input vertex after the polygon's, whichever rings are read
			for _, r := range poly {
				next += len(r)
			}
			for ri, r := range poly {
				ok, err := b.ring(r)
				b.at += len(r)
				if err != nil {
					return fmt.Errorf("tiles: prepare %s: %w", f.Code, err)
				}
				if !ok {
					if ri == 0 {
						break
					}
					continue
				}
				rs := b.ringPts[len(b.ringPts)-1]
				s.rings = append(s.rings, rs) // refs filled in by topology
				b.ringFeat = append(b.ringFeat, int32(fi))
				if ri == 0 {
					for _, p := range r {
						s.bound = s.bound.Extend(p)
					}
				}
			}
			b.at = next
			if len(s.rings) == first {
				continue
			}
			s.polys = append(s.polys, span{int32(first), int32(len(s.rings))})
		}
		sh.polys.end = int32(len(s.polys))
		sh.hasGeom = sh.polys.end > sh.polys.start
		s.feats[fi] = sh
		if len(s.rings) >= math.MaxInt32/4 || len(b.ringVids) >= math.MaxInt32/4 {
			return fmt.Errorf("tiles: prepare: too many rings or vertices")
		}
	}
	b.pre = nil // the candidates are done with
	b.project(s)
	s.stats.Features = len(features)
	s.stats.Polygons = len(s.polys)
	s.stats.Rings = len(s.rings)
	s.stats.Vertices = len(b.ringVids)
	s.stats.Points = len(b.pts)
	s.stats.Snapped = b.snapped
	return nil
}

// project projects the distinct vertices to normalised Web Mercator, then gives each ring its
// orientation and each feature its bound there, in parallel: each vertex, ring and feature is its
// own, so the result is the serial one.
func (b *builder) project(s *Shapes) {
	b.pts = make([]orb.Point, len(b.orig))
	b.ringRev = make([]bool, len(s.rings))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * len(b.orig) / workers; i < (w+1)*len(b.orig)/workers; i++ {
				b.pts[i] = project(b.orig[i])
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fi := w * len(s.feats) / workers; fi < (w+1)*len(s.feats)/workers; fi++ {
				sh := &s.feats[fi]
				sh.minX, sh.minY, sh.maxX, sh.maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
				for _, poly := range s.polys[sh.polys.start:sh.polys.end] {
					for r := poly.start; r < poly.end; r++ {
						rs := s.rings[r]
						vids := b.ringVids[rs.start:rs.end]
						// Exteriors (a polygon's first ring) are positive in normalised Mercator (y
						// down), holes negative.
						a := b.area(vids)
						b.ringRev[r] = a != 0 && (a > 0) != (r == poly.start)
						if r != poly.start {
							continue
						}
						for _, v := range vids {
							p := b.pts[v]
							sh.minX = math.Min(sh.minX, p[0])
							sh.minY = math.Min(sh.minY, p[1])
							sh.maxX = math.Max(sh.maxX, p[0])
							sh.maxY = math.Max(sh.maxY, p[1])
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}

// ring appends one ring's vertex ids; it reports false (and appends nothing) when the ring has fewer
// than three distinct vertices.
func (b *builder) ring(r orb.Ring) (bool, error) {
	start := len(b.ringVids)
	for k, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			b.ringVids = b.ringVids[:start]
			return false, fmt.Errorf("coordinate %v is not finite", p)
		}
		var id int32
		if b.pre != nil {
			var same bool
			id, same = b.snapAt(b.at+k, p)
			if !same {
				b.snapped++
			}
		} else if id = b.vertex(p); b.orig[id] != p {
			b.snapped++
		}
		if n := len(b.ringVids); n > start && b.ringVids[n-1] == id {
			continue
		}
		b.ringVids = append(b.ringVids, id)
	}
	for len(b.ringVids)-start > 1 && b.ringVids[len(b.ringVids)-1] == b.ringVids[start] {
		b.ringVids = b.ringVids[:len(b.ringVids)-1]
	}
	if len(b.ringVids)-start < 3 {
		b.ringVids = b.ringVids[:start]
		return false, nil
	}
	b.ringPts = append(b.ringPts, span{int32(start), int32(len(b.ringVids))})
	return true, nil
}

// area is twice the signed area of a ring of vertex ids in normalised Mercator.
func (b *builder) area(r []int32) float64 {
	var sum float64
	prev := b.pts[r[len(r)-1]]
	for _, v := range r {
		p := b.pts[v]
		sum += prev[0]*p[1] - p[0]*prev[1]
		prev = p
	}
	return sum
}

func arcKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// topology finds the junctions (vertices whose neighbours in the edge graph are not exactly two),
// cuts every ring into arcs at them and stores each arc once, whichever way round rings use it.
func (b *builder) topology(ctx context.Context, s *Shapes) error {
	n := len(b.pts)
	nb := make([][2]int32, n)
	for i := range nb {
		nb[i] = [2]int32{-1, -1}
	}
	junction := make([]bool, n)
	visit := func(v, w int32) {
		e := &nb[v]
		switch {
		case e[0] == w || e[1] == w:
		case e[0] < 0:
			e[0] = w
		case e[1] < 0:
			e[1] = w
		default:
			junction[v] = true
		}
	}
	for ri, rs := range b.ringPts {
		if ri%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r := b.ringVids[rs.start:rs.end]
		for i, v := range r {
			prev := r[(i+len(r)-1)%len(r)]
			next := r[(i+1)%len(r)]
			visit(v, prev)
			visit(v, next)
		}
	}
	for v := range nb {
		if nb[v][1] < 0 {
			junction[v] = true // a spike's tip
		}
	}

	arcs := make(map[uint64]int32, len(b.ringVids)/8)
	b.arcOff = append(b.arcOff, 0)
	var tmp []int32
	emit := func(seq []int32) int32 {
		last := len(seq) - 1
		if a, ok := arcs[arcKey(seq[0], seq[1])]; ok && b.sameArc(a, seq, false) {
			b.arcUses[a]++
			return a
		}
		if a, ok := arcs[arcKey(seq[last], seq[last-1])]; ok && b.sameArc(a, seq, true) {
			b.arcUses[a]++
			return ^a
		}
		a := int32(len(b.arcOff) - 1)
		if _, taken := arcs[arcKey(seq[0], seq[1])]; !taken {
			arcs[arcKey(seq[0], seq[1])] = a
		}
		b.arcVids = append(b.arcVids, seq...)
		b.arcOff = append(b.arcOff, int32(len(b.arcVids)))
		b.arcUses = append(b.arcUses, 1)
		return a
	}
	for ri, rs := range b.ringPts {
		if ri%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		r := b.ringVids[rs.start:rs.end]
		j0 := -1
		for i, v := range r {
			if junction[v] {
				j0 = i
				break
			}
		}
		if j0 < 0 { // no junction: one closed arc, starting at the lowest id so both users agree
			j0 = 0
			for i, v := range r {
				if v < r[j0] {
					j0 = i
				}
			}
		}
		refStart := int32(len(s.refs))
		tmp = append(tmp[:0], r[j0])
		for k := 1; k <= len(r); k++ {
			v := r[(j0+k)%len(r)]
			tmp = append(tmp, v)
			if junction[v] || k == len(r) {
				s.refs = append(s.refs, emit(tmp))
				tmp = append(tmp[:0], v)
			}
		}
		s.rings[ri] = span{refStart, int32(len(s.refs))}
		if len(b.arcVids) >= math.MaxInt32/2 {
			return fmt.Errorf("tiles: prepare: too many arc vertices")
		}
	}

	// Stats: the share of boundary length on shared arcs, in ground metres (Mercator length times
	// the cosine of the latitude).
	arcLen := make([]float64, len(b.arcUses))
	b.arcLen = arcLen
	b.arcFeat = make([][2]int32, len(b.arcUses))
	for a := range b.arcFeat {
		b.arcFeat[a] = [2]int32{-1, -1}
	}
	for ri, rs := range s.rings {
		f := b.ringFeat[ri]
		for _, a := range s.refs[rs.start:rs.end] {
			if a < 0 {
				a = ^a
			}
			switch af := &b.arcFeat[a]; {
			case af[0] == f || af[1] == f:
			case af[0] < 0:
				af[0] = f
			case af[1] < 0:
				af[1] = f
			}
		}
	}
	for a := range arcLen {
		seq := b.arcVids[b.arcOff[a]:b.arcOff[a+1]]
		for k := 1; k < len(seq); k++ {
			p, q := b.pts[seq[k-1]], b.pts[seq[k]]
			y := math.Pi * (1 - (p[1] + q[1]))
			arcLen[a] += math.Hypot(q[0]-p[0], q[1]-p[1]) / math.Cosh(y)
		}
	}
	var total, shared float64
	for _, ref := range s.refs {
		a := ref
		if a < 0 {
			a = ^a
		}
		total += arcLen[a]
		if b.arcUses[a] > 1 {
			shared += arcLen[a]
		}
	}
	s.stats.Arcs = len(b.arcUses)
	for _, u := range b.arcUses {
		if u > 1 {
			s.stats.SharedArcs++
		}
	}
	s.stats.ArcVertices = len(b.arcVids)
	if total > 0 {
		s.stats.SharedLength = shared / total
	}
	return nil
}

// sameArc reports whether arc a is the vertex sequence seq (reversed when rev).
func (b *builder) sameArc(a int32, seq []int32, rev bool) bool {
	got := b.arcVids[b.arcOff[a]:b.arcOff[a+1]]
	if len(got) != len(seq) {
		return false
	}
	for i := range got {
		j := i
		if rev {
			j = len(seq) - 1 - i
		}
		if got[i] != seq[j] {
			return false
		}
	}
	return true
}

// simplify runs Douglas–Peucker once per arc with its end points fixed, recording for every vertex the
// first zoom whose tolerance keeps it: a vertex is kept at tolerance t when its distance and those of
// all the vertices that split the arc above it exceed t, so filtering by zoom gives exactly the
// Douglas–Peucker result at every zoom.
func (b *builder) simplify(ctx context.Context, tol float64) error {
	var tol2 [MaxZoom + 1]float64
	for z := range tol2 {
		t := tol / (Extent * math.Ldexp(1, z))
		tol2[z] = t * t
		if tol < 0 {
			tol2[z] = -1
		}
	}
	b.minZoom = make([]uint8, len(b.arcVids))
	// Arcs are simplified independently (each writes only its own vertices' zooms): in parallel,
	// over runs of arcs of about equal numbers of vertices.
	arcs := len(b.arcOff) - 1
	if arcs <= 0 {
		return nil
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), arcs/1024))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	from := 0
	for w := range workers {
		to := arcs
		if w < workers-1 {
			// The first arc ending past the next share of the vertices.
			share := int32(int64(len(b.arcVids)) * int64(w+1) / int64(workers))
			to = max(from, sort.Search(arcs, func(a int) bool { return b.arcOff[a+1] >= share }))
		}
		wg.Add(1)
		go func(from, to int) {
			defer wg.Done()
			errs[w] = b.simplifyArcs(ctx, from, to, &tol2)
		}(from, to)
		from = to
	}
	wg.Wait()
	return errors.Join(errs...)
}

// simplifyArcs sets the first zoom keeping each vertex of arcs [from, to).
func (b *builder) simplifyArcs(ctx context.Context, from, to int, tol2 *[MaxZoom + 1]float64) error {
	type job struct {
		i, j int32
		imp  float64
	}
	var stack []job
	for a := from; a < to; a++ {
		if a%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		off := b.arcOff[a]
		seq := b.arcVids[off:b.arcOff[a+1]]
		mz := b.minZoom[off:b.arcOff[a+1]]
		for k := 1; k < len(seq)-1; k++ {
			mz[k] = math.MaxUint8
		}
		stack = append(stack[:0], job{0, int32(len(seq) - 1), math.Inf(1)})
		for len(stack) > 0 {
			jb := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if jb.j-jb.i < 2 {
				continue
			}
			p, q := b.pts[seq[jb.i]], b.pts[seq[jb.j]]
			best, bestK := -1.0, int32(-1)
			for k := jb.i + 1; k < jb.j; k++ {
				if d := segDist2(b.pts[seq[k]], p, q); d > best {
					best, bestK = d, k
				}
			}
			imp := math.Min(best, jb.imp)
			z := 0
			for z <= MaxZoom && imp <= tol2[z] {
				z++
			}
			if z > MaxZoom {
				continue // not even MaxZoom keeps it, nor anything it would split
			}
			mz[bestK] = uint8(z)
			stack = append(stack, job{jb.i, bestK, imp}, job{bestK, jb.j, imp})
		}
	}
	return nil
}

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	px, py := p[0]-a[0], p[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 > 0 {
		t := (px*dx + py*dy) / l2
		switch {
		case t >= 1:
			px, py = p[0]-b[0], p[1]-b[1]
		case t > 0:
			px -= t * dx
			py -= t * dy
		}
	}
	return px*px + py*py
}

// levels quantises the simplified arcs for every zoom wanted and decides which rings survive there;
// the levels of the other zooms stay nil.
func (b *builder) levels(ctx context.Context, s *Shapes, minArea float64, want *[MaxZoom + 1]bool) error {
	s.levels = make([]*level, MaxZoom+1)
	var wg sync.WaitGroup
	zs := make(chan int, MaxZoom+1)
	n := 0
	for z := MaxZoom; z >= 0; z-- { // biggest first
		if want[z] {
			zs <- z
			n++
		}
	}
	close(zs)
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for z := range zs {
				if ctx.Err() != nil {
					continue
				}
				s.levels[z] = b.level(s, z, minArea)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for z, l := range s.levels {
		if l == nil {
			continue
		}
		s.stats.LevelVertices[z] = len(l.pts)
		for _, r := range l.rings {
			if r.n == 0 {
				s.stats.Dropped[z]++
			}
		}
		s.stats.Refined[z] = l.refined
		s.stats.Inverted[z] = l.inverted
		for i, a := range l.alias {
			if a != int32(i) {
				s.stats.Merged[z]++
			}
		}
	}
	return nil
}

// level builds one zoom. Simplifying arcs one by one can turn a small ring inside out (its arcs cross)
// or into a figure of eight whose lobes cancel to a zero area, which renderers would drop, opening a
// hole. Such rings get their arcs refined, at this zoom only, in up to three rounds (two zooms' worth
// of vertices more each time, then every vertex); the arcs are shared, so their neighbours follow and
// stay gap-free.
func (b *builder) level(s *Shapes, z int, minArea float64) *level {
	var boost map[int32]uint8 // arc → how many zooms further its vertices are taken from
	for round := 0; ; round++ {
		l, lw := b.buildLevel(s, z, minArea, boost)
		bad := b.badRings(s, l, lw)
		if len(bad) == 0 || round == 3 {
			l.refined, l.inverted = len(boost), len(bad)
			if b.coalesce > 0 {
				b.coalesceLevel(s, l, lw, 2*b.coalesce)
			}
			return l
		}
		if boost == nil {
			boost = make(map[int32]uint8)
		}
		step := uint8(2 * (round + 1))
		if round == 2 {
			step = math.MaxUint8
		}
		for _, ri := range bad {
			for _, a := range s.refs[s.rings[ri].start:s.rings[ri].end] {
				if a < 0 {
					a = ^a
				}
				boost[a] = max(boost[a], step)
			}
		}
	}
}

// badRings lists the rings that simplification turned inside out or into a figure of eight of zero
// area (rings that merely collapsed, tracing back along themselves, are fine to leave out).
func (b *builder) badRings(s *Shapes, l *level, lw *levelWork) []int32 {
	var bad []int32
	var buf []pt
	for pi := range s.polys {
		ps := s.polys[pi]
		for ri := ps.start; ri < ps.end; ri++ {
			if lw.tiny[ri] {
				continue
			}
			sum := lw.ring2[ri]
			if b.ringRev[ri] {
				sum = -sum
			}
			if ri > ps.start {
				sum = -sum // holes run the other way
			}
			switch {
			case sum < 0:
				bad = append(bad, ri)
			case sum == 0:
				buf = l.appendRing(buf[:0], s.refs[s.rings[ri].start:s.rings[ri].end])
				if covers(buf) {
					bad = append(bad, ri)
				}
			}
		}
	}
	return bad
}

// covers reports whether a ring of zero signed area still encloses something: it does unless its
// points are all on one line or every edge is matched by the same edge run the other way.
func covers(r []pt) bool {
	if len(r) < 3 {
		return false
	}
	a, b := r[0], r[1]
	collinear := true
	for _, c := range r[2:] {
		if int64(b.x-a.x)*int64(c.y-a.y) != int64(b.y-a.y)*int64(c.x-a.x) {
			collinear = false
			break
		}
	}
	if collinear {
		return false
	}
	type edge struct{ a, b pt }
	net := make(map[edge]int, len(r))
	prev := r[len(r)-1]
	for _, p := range r {
		if prev.x < p.x || (prev.x == p.x && prev.y < p.y) {
			net[edge{prev, p}]++
		} else {
			net[edge{p, prev}]--
		}
		prev = p
	}
	for _, n := range net {
		if n != 0 {
			return true
		}
	}
	return false
}

// buildLevel quantises the simplified arcs at zoom z (arcs in boost with vertices from boost[a]
// zooms further) and decides which rings survive there.
func (b *builder) buildLevel(s *Shapes, z int, minArea float64, boost map[int32]uint8) (*level, *levelWork) {
	scale := Extent * math.Ldexp(1, z)
	zz := uint8(z)
	count := 0
	for _, m := range b.minZoom {
		if m <= zz {
			count++
		}
	}
	narcs := len(b.arcUses)
	l := &level{
		pts:   make([]pt, 0, count),
		arcs:  make([]int32, narcs+1),
		rings: make([]ringLevel, len(s.rings)),
	}
	lw := &levelWork{
		area2: make([]int64, narcs),
		boxes: make([]box, narcs),
		ring2: make([]int64, len(s.rings)),
		tiny:  make([]bool, len(s.rings)),
	}
	for a := 0; a < narcs; a++ {
		start := len(l.pts)
		bx := emptyBox()
		var sum int64
		keep := zz
		if bst, ok := boost[int32(a)]; ok {
			keep = uint8(min(int(zz)+int(bst), math.MaxUint8))
		}
		for k := b.arcOff[a]; k < b.arcOff[a+1]; k++ {
			if b.minZoom[k] > keep {
				continue
			}
			p := b.pts[b.arcVids[k]]
			q := pt{quantise(p[0] * scale), quantise(p[1] * scale)}
			if n := len(l.pts); n > start {
				prev := l.pts[n-1]
				if prev == q {
					continue
				}
				sum += int64(prev.x)*int64(q.y) - int64(q.x)*int64(prev.y)
			}
			l.pts = append(l.pts, q)
			bx.extend(q)
		}
		l.arcs[a+1] = int32(len(l.pts))
		lw.area2[a] = sum
		lw.boxes[a] = bx
	}
	minArea2 := 2 * minArea
	for pi := range s.polys {
		ps := s.polys[pi]
		for ri := ps.start; ri < ps.end; ri++ {
			refs := s.refs[s.rings[ri].start:s.rings[ri].end]
			rl, sum := l.measure(refs, lw)
			lw.ring2[ri] = sum
			abs := sum
			if abs < 0 {
				abs = -abs
			}
			keep := rl.n >= 3 && abs > 0
			if keep && len(refs) == 1 && float64(abs) < minArea2 {
				keep = false
				lw.tiny[ri] = true
			}
			if ri > ps.start && l.rings[ps.start].n == 0 {
				keep = false // the exterior is gone
			}
			if keep {
				l.rings[ri] = rl
			}
		}
	}
	return l, lw
}

// levelWork holds per-arc and per-ring facts of one zoom while it is built.
type levelWork struct {
	area2 []int64 // per arc, its shoelace sum (twice the signed area it sweeps), forwards
	boxes []box   // per arc
	ring2 []int64 // per ring, twice its signed area
	tiny  []bool  // per ring, left out for being a small single-arc ring (not for collapsing)
}

// measure assembles the facts of a ring made of refs: vertex count, box and twice its signed area.
func (l *level) measure(refs []int32, lw *levelWork) (ringLevel, int64) {
	var n int32
	var sum int64
	bx := emptyBox()
	for _, ref := range refs {
		a := ref
		if a < 0 {
			a = ^a
		}
		n += l.arcs[a+1] - l.arcs[a] - 1
		if ref < 0 {
			sum -= lw.area2[a]
		} else {
			sum += lw.area2[a]
		}
		bx.union(lw.boxes[a])
	}
	return ringLevel{n: n, box: bx}, sum
}

// quantise rounds to the nearest integer, clamped to int32.
func quantise(v float64) int32 {
	v = math.Floor(v + 0.5)
	if v >= math.MaxInt32 {
		return math.MaxInt32
	}
	if v <= math.MinInt32 {
		return math.MinInt32
	}
	return int32(v)
}
