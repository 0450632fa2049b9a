// Package contig is the contiguity of building blocks (LSOAs, MSOAs) that both teams suggest and the
// neighbourhood designer rely on: the adjacency drawn from the blocks' polygons, the links that join
// islands to the rest, and the repair that makes a group of blocks which falls apart into pieces
// contiguous. One implementation, so that a team suggest calls contiguous is contiguous for the
// designer too.
package contig

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Edge is an adjacency between blocks A < B with the length of boundary they share in metres; a link
// added to join an island has Length 0 and Link true.
type Edge struct {
	A, B   int32
	Length float64
	Link   bool
}

// Nbr is a block's neighbour with the boundary they share (0 for a link).
type Nbr struct {
	B      int32
	Length float64
}

// Graph is the adjacency of n blocks: Edges sorted by (A, B), and each block's neighbours.
type Graph struct {
	Edges []Edge
	Adj   [][]Nbr
}

// Shared is the graph of geoms: two blocks are adjacent when their outlines share a boundary segment
// (the same two consecutive vertices, to 1e-6 degree, about 10 cm, so reprojected copies that differ
// in the last digits still match); blocks that meet only at a point are not. The ONS generalised
// boundaries are drawn as one topology, so neighbours share their vertices. A block with no geometry
// has no neighbours.
func Shared(geoms []orb.MultiPolygon) *Graph {
	type key [4]int64
	first := make(map[key]int32)
	shared := make(map[[2]int32]float64)
	for i, g := range geoms {
		for _, poly := range g {
			for _, ring := range poly {
				for j := 1; j < len(ring); j++ {
					p, q := round(ring[j-1]), round(ring[j])
					if p == q {
						continue
					}
					if p[0] > q[0] || (p[0] == q[0] && p[1] > q[1]) {
						p, q = q, p
					}
					k := key{p[0], p[1], q[0], q[1]}
					o, ok := first[k]
					if !ok {
						first[k] = int32(i)
						continue
					}
					if o != int32(i) {
						pair := [2]int32{min(o, int32(i)), max(o, int32(i))}
						shared[pair] += Metres(ring[j-1], ring[j])
					}
				}
			}
		}
	}
	g := &Graph{Adj: make([][]Nbr, len(geoms))}
	for pair, l := range shared {
		g.Edges = append(g.Edges, Edge{A: pair[0], B: pair[1], Length: l})
	}
	g.sort()
	for _, e := range g.Edges {
		g.Adj[e.A] = append(g.Adj[e.A], Nbr{e.B, e.Length})
		g.Adj[e.B] = append(g.Adj[e.B], Nbr{e.A, e.Length})
	}
	return g
}

func (g *Graph) sort() {
	slices.SortFunc(g.Edges, func(a, b Edge) int { return cmp.Or(cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B)) })
}

// Centroid adds up points weighted by residents: a block's point is its LSOAs' points so weighted.
// The designer and teams suggest both place blocks by it, so that they link islands alike.
type Centroid struct{ x, y, w float64 }

// Add counts point p with weight w.
func (c *Centroid) Add(p orb.Point, w float64) {
	c.x += p[0] * w
	c.y += p[1] * w
	c.w += w
}

// Point is the weighted mean of the points added; ok is false when their weights add up to none.
func (c Centroid) Point() (p orb.Point, ok bool) {
	if c.w > 0 {
		return orb.Point{c.x / c.w, c.y / c.w}, true
	}
	return orb.Point{}, false
}

// Link joins the parts of the graph induced by blocks (one nesting unit, or a whole region) until it
// is connected: the smallest part first, to the nearest block of the rest by points, with a link
// (Edge.Link, no boundary length). Edges stay sorted.
func (g *Graph) Link(blocks []int32, points []orb.Point) {
	inUnit := make(map[int32]bool, len(blocks))
	for _, b := range blocks {
		inUnit[b] = true
	}
	defer g.sort()
	for {
		comp := make(map[int32]int, len(blocks))
		var parts [][]int32
		for _, s := range blocks {
			if _, ok := comp[s]; ok {
				continue
			}
			c := len(parts)
			part := []int32{s}
			comp[s] = c
			for q := 0; q < len(part); q++ {
				for _, n := range g.Adj[part[q]] {
					if _, ok := comp[n.B]; !ok && inUnit[n.B] {
						comp[n.B] = c
						part = append(part, n.B)
					}
				}
			}
			parts = append(parts, part)
		}
		if len(parts) <= 1 {
			return
		}
		small := 0
		for c := range parts {
			if len(parts[c]) < len(parts[small]) {
				small = c
			}
		}
		bi, bj, best := int32(-1), int32(-1), math.Inf(1)
		for _, i := range parts[small] {
			for _, j := range blocks {
				if comp[j] == small {
					continue
				}
				if dd := Metres(points[i], points[j]); dd < best {
					bi, bj, best = i, j, dd
				}
			}
		}
		a, b := min(bi, bj), max(bi, bj)
		g.Edges = append(g.Edges, Edge{A: a, B: b, Link: true})
		g.Adj[a] = append(g.Adj[a], Nbr{b, 0})
		g.Adj[b] = append(g.Adj[b], Nbr{a, 0})
	}
}

// Repair makes every group of the assignment group (block → group id ≥ 0) contiguous in adj: each
// group keeps its most populous connected part (pop is the blocks' residents; on a tie, the part
// holding the lowest block), and the blocks of its other parts join, block by block in index order
// and repeatedly, the neighbouring kept group they share most boundary with (a link counts as a
// hair of boundary; on a tie, the lower group id), among neighbours for which may(block, neighbour)
// holds (nil: all). No group is emptied. It reports how many blocks changed group, and whether every
// block ended in a kept part (false when some piece has no permitted neighbour at all: that piece is
// left in its group).
func Repair(group []int32, pop []float64, adj [][]Nbr, may func(b, n int32) bool) (moved int, ok bool) {
	n := len(group)
	ngroups := int32(0)
	for _, g := range group {
		ngroups = max(ngroups, g+1)
	}
	keep := make([]bool, n)
	done := make([]bool, n)
	bestPop := make([]float64, ngroups)
	bestPart := make([][]int32, ngroups)
	for s := range group {
		if done[s] {
			continue
		}
		part := []int32{int32(s)}
		done[s] = true
		var p float64
		for q := 0; q < len(part); q++ {
			p += pop[part[q]]
			for _, nb := range adj[part[q]] {
				if !done[nb.B] && group[nb.B] == group[s] {
					done[nb.B] = true
					part = append(part, nb.B)
				}
			}
		}
		if g := group[s]; p > bestPop[g] || bestPart[g] == nil {
			bestPop[g], bestPart[g] = p, part
		}
	}
	for _, part := range bestPart {
		for _, b := range part {
			keep[b] = true
		}
	}
	shared := map[int32]float64{}
	for changed := true; changed; {
		changed = false
		for b := range group {
			if keep[b] {
				continue
			}
			clear(shared)
			for _, nb := range adj[b] {
				if keep[nb.B] && (may == nil || may(int32(b), nb.B)) {
					shared[group[nb.B]] += nb.Length + 1e-9
				}
			}
			to, most := int32(-1), -1.0
			for g, l := range shared {
				if l > most || (l == most && g < to) {
					to, most = g, l
				}
			}
			if to >= 0 {
				if group[b] != to {
					moved++
				}
				group[b], keep[b], changed = to, true, true
			}
		}
	}
	for b := range keep {
		if !keep[b] {
			return moved, false
		}
	}
	return moved, true
}

// Parts counts the groups of group that are not connected in adj.
func Parts(group []int32, adj [][]Nbr) (split int) {
	seen := make([]bool, len(group))
	parts := map[int32]int{}
	for s := range group {
		if seen[s] {
			continue
		}
		parts[group[s]]++
		seen[s] = true
		q := []int32{int32(s)}
		for len(q) > 0 {
			x := q[0]
			q = q[1:]
			for _, n := range adj[x] {
				if !seen[n.B] && group[n.B] == group[s] {
					seen[n.B] = true
					q = append(q, n.B)
				}
			}
		}
	}
	for _, c := range parts {
		if c > 1 {
			split++
		}
	}
	return split
}

func round(p orb.Point) [2]int64 {
	return [2]int64{int64(math.Round(p[0] * 1e6)), int64(math.Round(p[1] * 1e6))}
}

// Metres is the distance between two WGS84 points, equirectangular (good to well under 1% at
// neighbourhood scale).
func Metres(a, b orb.Point) float64 {
	lat := (a[1] + b[1]) / 2 * math.Pi / 180
	dx := (b[0] - a[0]) * math.Cos(lat) * 111320
	dy := (b[1] - a[1]) * 110540
	return math.Hypot(dx, dy)
}
