package neighbourhoods

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// The weight of one resident outside the band in the annealing rises geometrically from lam0 to lam1
// patients: at the end it is far more than a move's patients can gain, so the band is met first
// wherever the search can meet it.
const lam0, lam1 = 0.2, 100.0

// state is an assignment of blocks to neighbourhoods with the sums the objective needs, kept up to
// date move by move.
type state struct {
	pr   *Problem
	of   []int32   // block → neighbourhood
	unit []int32   // neighbourhood → unit
	pop  []float64 // registered residents
	size []int32   // blocks
	p    [][]float64
	mx   []float64 // per PCN, its largest patients(N,p)
	arg  []int32   // and which N
	viol float64
	cut  float64
	// scratch for the contiguity test
	seen  []uint32
	epoch uint32
	queue []int32
}

func newState(pr *Problem, of []int32, unit []int32) *state {
	s := &state{pr: pr, of: slices.Clone(of), unit: unit, seen: make([]uint32, len(pr.Blocks))}
	s.recompute()
	return s
}

// recompute rebuilds every sum from the assignment (moves accumulate rounding).
func (s *state) recompute() {
	pr := s.pr
	n := len(s.unit)
	s.pop = make([]float64, n)
	s.size = make([]int32, n)
	s.p = make([][]float64, n)
	for i := range s.p {
		s.p[i] = make([]float64, len(pr.PCNs))
	}
	for b, nb := range s.of {
		s.pop[nb] += pr.Blocks[b].Registered
		s.size[nb]++
		for _, c := range pr.Blocks[b].cells {
			s.p[nb][c.pcn] += c.patients
		}
	}
	s.mx = make([]float64, len(pr.PCNs))
	s.arg = make([]int32, len(pr.PCNs))
	for p := range s.mx {
		s.rescan(int32(p))
	}
	s.viol = 0
	for nb := range s.pop {
		s.viol += s.outside(s.pop[nb])
	}
	s.cut = 0
	for _, e := range pr.Edges {
		if s.of[e.A] != s.of[e.B] {
			s.cut += e.Length
		}
	}
}

func (s *state) rescan(p int32) {
	s.mx[p], s.arg[p] = 0, 0
	for nb := range s.p {
		if v := s.p[nb][p]; v > s.mx[p] {
			s.mx[p], s.arg[p] = v, int32(nb)
		}
	}
}

// outside is the number of residents by which a neighbourhood of pop residents misses the band.
func (s *state) outside(pop float64) float64 {
	b := s.pr.Band
	switch {
	case pop < b.Min:
		return b.Min - pop
	case pop > b.Max:
		return pop - b.Max
	}
	return 0
}

// sumMax is Σ_p max_N patients(N,p), the score's numerator.
func (s *state) sumMax() float64 {
	var t float64
	for _, v := range s.mx {
		t += v
	}
	return t
}

// delta is the change a move of block b to neighbourhood to would make in violation, aligned patients
// and cut boundary.
func (s *state) delta(b int32, to int32) (dv, ds, dc float64) {
	pr := s.pr
	blk := &pr.Blocks[b]
	from := s.of[b]
	r := blk.Registered
	dv = s.outside(s.pop[from]-r) + s.outside(s.pop[to]+r) - s.outside(s.pop[from]) - s.outside(s.pop[to])
	for _, c := range blk.cells {
		old := s.mx[c.pcn]
		nf, nt := s.p[from][c.pcn]-c.patients, s.p[to][c.pcn]+c.patients
		var nm float64
		if s.arg[c.pcn] == from {
			nm = max(nf, nt)
			if nf < old { // someone else may now hold the most
				for nb := range s.p {
					if int32(nb) != from && int32(nb) != to && s.p[nb][c.pcn] > nm {
						nm = s.p[nb][c.pcn]
					}
				}
			}
		} else {
			nm = max(old, nt)
		}
		ds += nm - old
	}
	for _, n := range pr.adj[b] {
		switch s.of[n.B] {
		case from:
			dc += n.Length
		case to:
			dc -= n.Length
		}
	}
	return dv, ds, dc
}

// apply moves block b to neighbourhood to.
func (s *state) apply(b int32, to int32, dv, dc float64) {
	pr := s.pr
	blk := &pr.Blocks[b]
	from := s.of[b]
	s.of[b] = to
	s.pop[from] -= blk.Registered
	s.pop[to] += blk.Registered
	s.size[from]--
	s.size[to]++
	for _, c := range blk.cells {
		s.p[from][c.pcn] -= c.patients
		s.p[to][c.pcn] += c.patients
		switch {
		case s.arg[c.pcn] == from:
			s.rescan(c.pcn)
		case s.p[to][c.pcn] > s.mx[c.pcn]:
			s.mx[c.pcn], s.arg[c.pcn] = s.p[to][c.pcn], to
		}
	}
	s.viol += dv
	s.cut += dc
}

// removable reports whether neighbourhood of[b] stays connected without b.
func (s *state) removable(b int32) bool {
	pr := s.pr
	from := s.of[b]
	if s.size[from] <= 1 {
		return false
	}
	var start int32 = -1
	inside := 0
	for _, n := range pr.adj[b] {
		if s.of[n.B] == from {
			inside++
			start = n.B
		}
	}
	if inside <= 1 {
		return inside == 1 // a leaf leaves the rest connected
	}
	s.epoch++
	if s.epoch == 0 {
		clear(s.seen)
		s.epoch = 1
	}
	s.seen[b] = s.epoch
	s.seen[start] = s.epoch
	s.queue = append(s.queue[:0], start)
	reached := int32(1)
	for q := 0; q < len(s.queue); q++ {
		for _, n := range pr.adj[s.queue[q]] {
			if s.of[n.B] == from && s.seen[n.B] != s.epoch {
				s.seen[n.B] = s.epoch
				reached++
				s.queue = append(s.queue, n.B)
			}
		}
	}
	return reached == s.size[from]-1
}

// better orders states lexicographically: fewer residents outside the band, then more aligned
// patients, then less cut boundary.
func better(v1, s1, c1, v2, s2, c2 float64) bool {
	const eps = 1e-6
	if math.Abs(v1-v2) > eps {
		return v1 < v2
	}
	if math.Abs(s1-s2) > eps {
		return s1 > s2
	}
	return c1 < c2-eps
}

// searchStats says how the local search ran.
type searchStats struct {
	Iterations, Budget, Moves int
	TimedOut                  bool
}

// anneal runs simulated annealing from s for budget proposed moves (or until deadline or ctx), then a
// descent to a local optimum, and leaves s at the best state seen. A proposal picks a block at
// random and one of its neighbours in another neighbourhood of the same unit; it is refused when it
// would empty or disconnect the block's neighbourhood. The objective is aligned patients − λ ×
// residents outside the band − a small weight × cut metres. λ rises from lam0 to lam1, so the
// early search may cross the band and the late search cannot, and the temperature falls
// geometrically from a fifth of a block's mean residents to a hundredth of a patient (both tuned on
// Greater Manchester: a fixed λ of 4 left a plan outside the band, hotter or colder starts scored
// lower); the repair run holds λ at a height where no move may leave more residents outside the
// band, so it walks among equally banded plans. The final descent compares states
// lexicographically (band, score, compactness). With keep, moves that only shorten the boundary
// are not taken and the annealing is skipped: improving a given set with few moves.
func (s *state) anneal(ctx context.Context, rng *rand.Rand, budget int, deadline time.Time, keep bool, l0, l1 float64) searchStats {
	pr := s.pr
	st := searchStats{Budget: budget}
	nb := len(pr.Blocks)
	if nb == 0 {
		return st
	}
	var meanReg float64
	for _, b := range pr.Blocks {
		meanReg += b.Registered
	}
	meanReg /= float64(nb)
	var totalLen float64
	for _, e := range pr.Edges {
		totalLen += e.Length
	}
	mu := 0.0 // patients per metre of cut boundary: the whole boundary is worth one patient
	if totalLen > 0 {
		mu = 1 / totalLen
	}
	t0, t1 := meanReg/5, 0.01
	best := slices.Clone(s.of)
	bv, bs, bc := s.viol, s.sumMax(), s.cut
	cur := s.sumMax()
	stop := func(i int) bool {
		if i&1023 != 0 {
			return false
		}
		if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
			st.TimedOut = true
			return true
		}
		return false
	}
	if keep {
		budget = 0
	}
	for i := 0; i < budget; i++ {
		if stop(i) {
			break
		}
		st.Iterations++
		b := int32(rng.IntN(nb))
		adj := pr.adj[b]
		if len(adj) == 0 {
			continue
		}
		n := adj[rng.IntN(len(adj))].B
		to := s.of[n]
		if to == s.of[b] || s.unit[to] != s.unit[s.of[b]] {
			continue
		}
		dv, ds, dc := s.delta(b, to)
		frac := float64(i) / float64(budget)
		lambda := l0 * math.Pow(l1/l0, frac) // the band is let slip early on
		gain := ds - lambda*dv - mu*dc
		temp := t0 * math.Pow(t1/t0, frac)
		if gain < 0 && rng.Float64() >= math.Exp(gain/temp) {
			continue
		}
		if !s.removable(b) {
			continue
		}
		s.apply(b, to, dv, dc)
		cur += ds
		st.Moves++
		if better(s.viol, cur, s.cut, bv, bs, bc) {
			copy(best, s.of)
			bv, bs, bc = s.viol, cur, s.cut
		}
	}
	copy(s.of, best)
	s.recompute()
	st.Moves += s.descend(ctx, keep, &st)
	return st
}

// descend takes improving moves, in block order, until none is left (or ctx ends); it returns the
// number of moves.
func (s *state) descend(ctx context.Context, keep bool, st *searchStats) int {
	pr := s.pr
	moves := 0
	for pass := 0; pass < 1000; pass++ {
		if ctx.Err() != nil {
			st.TimedOut = true
			break
		}
		improved := false
		for b := range pr.Blocks {
			b := int32(b)
			from := s.of[b]
			bestTo, bdv, bds, bdc := int32(-1), 0.0, 0.0, 0.0
			for _, n := range pr.adj[b] {
				to := s.of[n.B]
				if to == from || s.unit[to] != s.unit[from] || to == bestTo {
					continue
				}
				dv, ds, dc := s.delta(b, to)
				if keep && math.Abs(dv) <= 1e-6 && math.Abs(ds) <= 1e-6 {
					continue
				}
				if better(dv, ds, dc, 0, 0, 0) && (bestTo < 0 || better(dv, ds, dc, bdv, bds, bdc)) {
					bestTo, bdv, bds, bdc = to, dv, ds, dc
				}
			}
			if bestTo >= 0 && s.removable(b) {
				s.apply(b, bestTo, bdv, bdc)
				moves++
				improved = true
			}
		}
		if !improved {
			break
		}
	}
	s.recompute()
	return moves
}

// construct grows the starting plan from PCN cores, unit by unit: each block goes to the PCN with
// most patients living in it, the connected pieces of each PCN's territory are the first regions
// (blocks with no PCN patients join a neighbouring piece), and touching regions are merged, the
// pair sharing most patients first (Σ_p min(patients(R1,p), patients(R2,p)), what merging them can
// add to the score) while the merged population stays within the band's upper limit, else the
// touching pair of smallest population, until the unit has its count. A unit with fewer pieces than
// its count has its most populous region cut in two (grown from its block farthest from the
// region's centre until it holds half the residents) until it has. It returns block → neighbourhood
// and neighbourhood → unit.
func (pr *Problem) construct() (of []int32, unit []int32) {
	of = make([]int32, len(pr.Blocks))
	for u := range pr.Units {
		groups := pr.constructUnit(u)
		for _, g := range groups {
			nb := int32(len(unit))
			unit = append(unit, int32(u))
			for _, b := range g {
				of[b] = nb
			}
		}
	}
	return of, unit
}

type region struct {
	blocks []int32
	pop    float64
	vec    map[int32]float64
	alive  bool
}

func (pr *Problem) constructUnit(u int) [][]int32 {
	un := &pr.Units[u]
	k := un.Count
	label := map[int32]int32{}
	for _, b := range un.Blocks {
		bestV, bestP := 0.0, int32(-1)
		for _, c := range pr.Blocks[b].cells {
			if c.patients > bestV {
				bestV, bestP = c.patients, c.pcn
			}
		}
		label[b] = bestP
	}
	// Pieces: connected components of equal label.
	piece := make(map[int32]int32, len(un.Blocks))
	var regs []*region
	for _, s := range un.Blocks {
		if _, ok := piece[s]; ok || label[s] < 0 {
			continue
		}
		r := &region{alive: true}
		id := int32(len(regs))
		regs = append(regs, r)
		piece[s] = id
		r.blocks = []int32{s}
		for q := 0; q < len(r.blocks); q++ {
			for _, n := range pr.adj[r.blocks[q]] {
				if _, ok := piece[n.B]; !ok && pr.Blocks[n.B].Unit == int32(u) && label[n.B] == label[s] {
					piece[n.B] = id
					r.blocks = append(r.blocks, n.B)
				}
			}
		}
	}
	if len(regs) == 0 {
		regs = append(regs, &region{alive: true})
	}
	// Blocks without PCN patients join a neighbouring piece, in passes.
	for {
		left, moved := 0, false
		for _, b := range un.Blocks {
			if _, ok := piece[b]; ok {
				continue
			}
			left++
			for _, n := range pr.adj[b] {
				if id, ok := piece[n.B]; ok && pr.Blocks[n.B].Unit == int32(u) {
					piece[b] = id
					regs[id].blocks = append(regs[id].blocks, b)
					moved = true
					break
				}
			}
		}
		if left == 0 || !moved {
			for _, b := range un.Blocks {
				if _, ok := piece[b]; !ok {
					piece[b] = 0
					regs[0].blocks = append(regs[0].blocks, b)
				}
			}
			break
		}
	}
	for _, r := range regs {
		r.vec = map[int32]float64{}
		for _, b := range r.blocks {
			r.pop += pr.Blocks[b].Registered
			for _, c := range pr.Blocks[b].cells {
				r.vec[c.pcn] += c.patients
			}
		}
	}
	// Region adjacency.
	touch := map[[2]int32]bool{}
	for _, b := range un.Blocks {
		for _, n := range pr.adj[b] {
			i, j := piece[b], piece[n.B]
			if pr.Blocks[n.B].Unit == int32(u) && i != j {
				touch[[2]int32{min(i, j), max(i, j)}] = true
			}
		}
	}
	pairs := make([][2]int32, 0, len(touch))
	for p := range touch {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	gain := func(a, b *region) float64 {
		if len(a.vec) > len(b.vec) {
			a, b = b, a
		}
		var g float64
		for p, v := range a.vec {
			g += min(v, b.vec[p])
		}
		return g
	}
	alive := len(regs)
	cache := map[[2]int32]float64{}
	for alive > k {
		bi, bj, bestG, bestPop := int32(-1), int32(-1), -1.0, math.Inf(1)
		fi, fj := int32(-1), int32(-1)
		for _, pp := range pairs {
			a, b := regs[pp[0]], regs[pp[1]]
			if !a.alive || !b.alive || pp[0] == pp[1] {
				continue
			}
			merged := a.pop + b.pop
			if merged < bestPop {
				fi, fj, bestPop = pp[0], pp[1], merged
			}
			if merged > pr.Band.Max {
				continue
			}
			g, ok := cache[pp]
			if !ok {
				g = gain(a, b)
				cache[pp] = g
			}
			if g > bestG {
				bi, bj, bestG = pp[0], pp[1], g
			}
		}
		if bi < 0 {
			bi, bj = fi, fj
		}
		if bi < 0 { // nothing touches: cannot happen in a linked unit, but never loop
			break
		}
		a, b := regs[bi], regs[bj]
		a.blocks = append(a.blocks, b.blocks...)
		a.pop += b.pop
		for p, v := range b.vec {
			a.vec[p] += v
		}
		b.alive = false
		alive--
		for i, pp := range pairs {
			if pp[0] == bj || pp[1] == bj {
				if pp[0] == bj {
					pp[0] = bi
				}
				if pp[1] == bj {
					pp[1] = bi
				}
				pairs[i] = [2]int32{min(pp[0], pp[1]), max(pp[0], pp[1])}
			}
			if pairs[i][0] == bi || pairs[i][1] == bi {
				delete(cache, pairs[i])
			}
		}
	}
	var out [][]int32
	for _, r := range regs {
		if r.alive {
			out = append(out, r.blocks)
		}
	}
	for len(out) < k {
		big := 0
		for i := range out {
			if pr.pop(out[i]) > pr.pop(out[big]) {
				big = i
			}
		}
		a, b := pr.split(out[big])
		if len(b) == 0 {
			break
		}
		out[big] = a
		out = append(out, b)
	}
	for i := range out {
		slices.Sort(out[i])
	}
	return out
}

func (pr *Problem) pop(blocks []int32) float64 {
	var t float64
	for _, b := range blocks {
		t += pr.Blocks[b].Registered
	}
	return t
}

// split cuts a connected block set in two connected parts of about equal population.
func (pr *Problem) split(blocks []int32) (a, b []int32) {
	if len(blocks) < 2 {
		return blocks, nil
	}
	in := make(map[int32]int8, len(blocks)) // 1 in the set, 2 grown
	var cx, cy, w float64
	for _, x := range blocks {
		in[x] = 1
		r := pr.Blocks[x].Registered
		cx += pr.Blocks[x].Point[0] * r
		cy += pr.Blocks[x].Point[1] * r
		w += r
	}
	if w > 0 {
		cx, cy = cx/w, cy/w
	}
	seed, far := blocks[0], -1.0
	for _, x := range blocks {
		p := pr.Blocks[x].Point
		if d := (p[0]-cx)*(p[0]-cx) + (p[1]-cy)*(p[1]-cy); d > far {
			seed, far = x, d
		}
	}
	half := pr.pop(blocks) / 2
	grown := []int32{seed}
	in[seed] = 2
	got := pr.Blocks[seed].Registered
	for q := 0; q < len(grown) && got < half; q++ {
		for _, n := range pr.adj[grown[q]] {
			if in[n.B] == 1 && got < half {
				in[n.B] = 2
				grown = append(grown, n.B)
				got += pr.Blocks[n.B].Registered
			}
		}
	}
	// The rest: keep its largest connected part, give the others to the grown part.
	var parts [][]int32
	done := map[int32]bool{}
	for _, s := range blocks {
		if in[s] != 1 || done[s] {
			continue
		}
		part := []int32{s}
		done[s] = true
		for q := 0; q < len(part); q++ {
			for _, n := range pr.adj[part[q]] {
				if in[n.B] == 1 && !done[n.B] {
					done[n.B] = true
					part = append(part, n.B)
				}
			}
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return blocks, nil
	}
	big := 0
	for i := range parts {
		if pr.pop(parts[i]) > pr.pop(parts[big]) {
			big = i
		}
	}
	for i := range parts {
		if i != big {
			grown = append(grown, parts[i]...)
		}
	}
	return grown, parts[big]
}

// balanced is a start that ignores PCNs and meets the band: in each unit, neighbourhoods are grown
// one after another from the unassigned block farthest from the unit's centre, taking the frontier
// block nearest the seed until they hold the unit's mean population; the last takes the rest, and
// any pocket left cut off joins a neighbourhood it touches. It helps where the PCN territories are
// far from the band (large rural PCNs, or many small ones).
func (pr *Problem) balanced(unit []int32) []int32 {
	of := make([]int32, len(pr.Blocks))
	for i := range of {
		of[i] = -1
	}
	ids := map[int32][]int32{} // unit → its neighbourhood ids, in order
	for id, u := range unit {
		ids[u] = append(ids[u], int32(id))
	}
	for u := range pr.Units {
		un := &pr.Units[u]
		mine := ids[int32(u)]
		if len(mine) == 0 {
			continue
		}
		target := un.Registered / float64(len(mine))
		var cx, cy float64
		for _, b := range un.Blocks {
			cx += pr.Blocks[b].Point[0]
			cy += pr.Blocks[b].Point[1]
		}
		cx /= float64(len(un.Blocks))
		cy /= float64(len(un.Blocks))
		for i, id := range mine {
			seed, far := int32(-1), -1.0
			for _, b := range un.Blocks {
				if of[b] >= 0 {
					continue
				}
				p := pr.Blocks[b].Point
				if d := (p[0]-cx)*(p[0]-cx) + (p[1]-cy)*(p[1]-cy); d > far {
					seed, far = b, d
				}
			}
			if seed < 0 {
				break
			}
			of[seed] = id
			got := pr.Blocks[seed].Registered
			frontier := map[int32]bool{}
			add := func(b int32) {
				for _, n := range pr.adj[b] {
					if of[n.B] < 0 && pr.Blocks[n.B].Unit == int32(u) {
						frontier[n.B] = true
					}
				}
			}
			add(seed)
			last := i == len(mine)-1
			sp := pr.Blocks[seed].Point
			for len(frontier) > 0 && (last || got < target) {
				next, near := int32(-1), math.Inf(1)
				for b := range frontier {
					p := pr.Blocks[b].Point
					d := (p[0]-sp[0])*(p[0]-sp[0]) + (p[1]-sp[1])*(p[1]-sp[1])
					if d < near || (d == near && b < next) {
						next, near = b, d
					}
				}
				delete(frontier, next)
				if of[next] >= 0 {
					continue
				}
				of[next] = id
				got += pr.Blocks[next].Registered
				add(next)
			}
		}
		// Pockets: join a touching neighbourhood, in passes.
		for moved := true; moved; {
			moved = false
			for _, b := range un.Blocks {
				if of[b] >= 0 {
					continue
				}
				for _, n := range pr.adj[b] {
					if of[n.B] >= 0 && pr.Blocks[n.B].Unit == int32(u) {
						of[b], moved = of[n.B], true
						break
					}
				}
			}
		}
	}
	return of
}
