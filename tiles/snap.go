package tiles

import (
	"context"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

// Snapping in parallel, with the serial answer.
//
// builder.vertex gives input vertex i (in reading order: features, polygons, rings, points) the
// first distinct vertex within snap of it, looked for in its snap cell and then in the neighbouring
// cells it is near, in that order; within a cell, the cell's first distinct vertex, then its other
// distinct vertices from the newest. Vertex i is new (distinct) when nothing is found. That answer
// depends only on the earlier input vertices within snap of i in the cells searched (its
// candidates), on which of them are distinct, and on which distinct vertex came first in each cell.
//
// presnap finds every vertex's candidates in parallel: the plane is cut into strips of snap-cell
// columns, one per worker, and each worker reads every vertex in order, keeping those of its strip
// and of the column on either side (a vertex searches only its own column and the next ones), so
// that when it reaches a vertex of its strip it holds every earlier vertex of the cells that vertex
// searches. It also names each cell by its first input vertex. The serial pass (snapAt) then walks
// the vertices in the order read visits them and applies the rule above to the candidates alone:
// a cell's first distinct vertex is the one recorded for its name, a candidate is distinct when the
// pass made it so, and a vertex read skips is never distinct — as it never entered builder.vertex's
// table. The ids are those builder.vertex gives, vertex for vertex (TestPresnapSameAsSerial).

// presnapped is presnap's result.
type presnapped struct {
	cellFirst []int32     // per input vertex, the name of its cell: the cell's first input vertex
	cands     [][]int32   // per worker, its vertices' candidates in search order: (vertex, its cell's name) pairs
	exact     [][]bool    // per worker, per candidate: whether it equals the vertex exactly
	start     []int32     // per input vertex, its first candidate in its worker's lists
	count     []int32     // per input vertex, its number of candidates
	owner     []uint8     // per input vertex, the worker that found its candidates
	vid       []int32     // per input vertex: its id when distinct, ^id of its vertex when not, else unseen
	head      []int32     // per cell name, the cell's first distinct input vertex, or -1
	pts       []orb.Point // per input vertex, the vertex as given
}

// unseen marks the input vertices the serial pass has not reached (or skipped).
const unseen = math.MinInt32

// cellOf is the snap cell of p and the neighbouring cells vertex searches after it, in its order
// (those with d zero, or a repeat of one already searched, left out: searching them again finds
// nothing new).
func (b *builder) cellOf(p orb.Point) (c [2]int64, nb [3][2]int64, n int) {
	fx, fy := p[0]/b.cell, p[1]/b.cell
	cx, cy := math.Floor(fx), math.Floor(fy)
	c = [2]int64{int64(cx), int64(cy)}
	near := b.snap / b.cell
	dx, dy := int64(0), int64(0)
	if fx-cx < near {
		dx = -1
	} else if cx+1-fx < near {
		dx = 1
	}
	if fy-cy < near {
		dy = -1
	} else if cy+1-fy < near {
		dy = 1
	}
	if dx != 0 {
		nb[n] = [2]int64{c[0] + dx, c[1]}
		n++
	}
	if dy != 0 {
		nb[n] = [2]int64{c[0], c[1] + dy}
		n++
	}
	if dx != 0 && dy != 0 {
		nb[n] = [2]int64{c[0] + dx, c[1] + dy}
		n++
	}
	return c, nb, n
}

// presnap computes the candidates of every input vertex in the given number of strips, a goroutine
// each. It reports false, and the builder snaps serially, when some vertex is not finite (read
// reports it) or lies too far out for the cells to pack into a word.
func (b *builder) presnap(ctx context.Context, features []geo.Feature, workers int) (bool, error) {
	pts := make([]orb.Point, 0, b.n)
	for _, f := range features {
		for _, poly := range f.Geom {
			for _, r := range poly {
				pts = append(pts, r...)
			}
		}
	}
	const lim = 1 << 30 // cells and their neighbours pack (cellKey) well within this
	cols := make([]int64, 0, len(pts)/64+1)
	for i, p := range pts {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) ||
			math.Abs(p[0]/b.cell) >= lim || math.Abs(p[1]/b.cell) >= lim {
			return false, nil
		}
		if i%64 == 0 {
			cols = append(cols, int64(math.Floor(p[0]/b.cell)))
		}
	}
	if len(pts) == 0 || len(pts) >= math.MaxInt32/2 {
		return false, nil
	}
	// Strips of about equal numbers of vertices: worker w owns the columns [cut[w], cut[w+1]).
	slices.Sort(cols)
	workers = max(1, min(workers, 255))
	cut := make([]int64, workers+1)
	cut[0], cut[workers] = -2*lim, 2*lim
	for w := 1; w < workers; w++ {
		cut[w] = cols[w*len(cols)/workers]
	}
	n := len(pts)
	ps := &presnapped{
		cellFirst: make([]int32, n), start: make([]int32, n), count: make([]int32, n), owner: make([]uint8, n),
		cands: make([][]int32, workers), exact: make([][]bool, workers), pts: pts,
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = b.strip(ctx, ps, w, cut[w], cut[w+1])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return false, err
		}
	}
	ps.vid = make([]int32, n)
	ps.head = make([]int32, n)
	for i := range ps.vid {
		ps.vid[i], ps.head[i] = unseen, -1
	}
	b.pre = ps
	return true, nil
}

// strip finds the candidates of the vertices in the columns [lo, hi), keeping the vertices of the
// columns lo-1 to hi.
func (b *builder) strip(ctx context.Context, ps *presnapped, w int, lo, hi int64) error {
	// A cell held has a local number (in t): its name and its newest kept vertex (a position in
	// kept); prev chains a cell's kept vertices from the newest.
	// Sized for a strip's share of the vertices, about half of them distinct and one candidate each.
	share := len(ps.pts)/len(ps.cands) + len(ps.pts)/64
	t := newCellTable(share / 2)
	name, newest := make([]int32, 0, share/2), make([]int32, 0, share/2)
	kept, prev := make([]int32, 0, share), make([]int32, 0, share)
	cands, exact := make([]int32, 0, share), make([]bool, 0, share/2)
	s2 := b.snap * b.snap
	collect := func(lc int32, p orb.Point) {
		for k := newest[lc]; k >= 0; k = prev[k] {
			j := kept[k]
			q := ps.pts[j]
			if dx, dy := q[0]-p[0], q[1]-p[1]; dx*dx+dy*dy <= s2 {
				cands = append(cands, j, name[lc])
				exact = append(exact, q == p)
			}
		}
	}
	for i, p := range ps.pts {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if cx := int64(math.Floor(p[0] / b.cell)); cx < lo-1 || cx > hi {
			continue
		}
		c, nb, nn := b.cellOf(p)
		k0, _ := cellKey(c)
		lc, has := t.get(k0)
		if lo <= c[0] && c[0] < hi {
			start := len(exact)
			ps.owner[i], ps.start[i] = uint8(w), int32(start)
			ps.cellFirst[i] = int32(i)
			if has {
				ps.cellFirst[i] = name[lc]
				collect(lc, p)
			}
			for _, d := range nb[:nn] {
				k, _ := cellKey(d)
				if lc, ok := t.get(k); ok {
					collect(lc, p)
				}
			}
			ps.count[i] = int32(len(exact) - start)
		}
		k := int32(len(kept))
		kept = append(kept, int32(i))
		if has {
			prev = append(prev, newest[lc])
			newest[lc] = k
		} else {
			prev = append(prev, -1)
			t.put(k0, int32(len(name)))
			name = append(name, int32(i))
			newest = append(newest, k)
		}
	}
	ps.cands[w], ps.exact[w] = cands, exact
	return nil
}

// snapAt is vertex for input vertex i (at p), from presnap's candidates: its id, and whether it
// equals that vertex exactly.
func (b *builder) snapAt(i int, p orb.Point) (int32, bool) {
	ps := b.pre
	w, st, n := ps.owner[i], int(ps.start[i]), int(ps.count[i])
	pairs, exact := ps.cands[w][2*st:2*(st+n)], ps.exact[w][st:st+n]
	for g := 0; g < n; {
		cell := pairs[2*g+1]
		e := g + 1
		for e < n && pairs[2*e+1] == cell {
			e++
		}
		// The cell's first distinct vertex when it is a candidate, else its newest distinct one.
		if h := ps.head[cell]; h >= 0 {
			for k := g; k < e; k++ {
				if pairs[2*k] == h {
					id := ps.vid[h]
					ps.vid[i] = ^id
					return id, exact[k]
				}
			}
		}
		for k := g; k < e; k++ {
			if id := ps.vid[pairs[2*k]]; id >= 0 {
				ps.vid[i] = ^id
				return id, exact[k]
			}
		}
		g = e
	}
	id := b.add(p)
	ps.vid[i] = id
	if c := ps.cellFirst[i]; ps.head[c] < 0 {
		ps.head[c] = int32(i)
	}
	return id, true
}
