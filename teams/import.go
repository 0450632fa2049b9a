package teams

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/overlap"
)

// Import is a freshly imported set and what the import found worth saying.
type Import struct {
	Set *Set
	// Uncovered lists LSOAs that no team covers although another LSOA of their area (MSOA) is
	// covered: the gaps inside the footprint. Sorted.
	Uncovered []string
	// Split lists the LSOAs (or practices) divided between two or more teams, sorted by code: under
	// the area method each team has the part of the LSOA its polygon covers; an LSOA whose centroid
	// lies in overlapping polygons, or that a table lists under several teams, is split evenly.
	Split []Claim
	// NoPoint counts LSOAs of the release with neither a centroid nor a polygon (centroid method).
	NoPoint int
}

// Claim is one LSOA (or practice) divided between several teams.
type Claim struct {
	Code  string
	Teams []string // sorted
	// Shares[i] is Teams[i]'s weight of the LSOA (they sum to at most 1); nil for a practice, which
	// counts wholly in each team that lists it.
	Shares []float64
}

// PolygonOptions says how team polygons are turned into LSOA weights.
type PolygonOptions struct {
	// Method is MethodCentroid (the default) or MethodArea.
	Method Method
	// Centroids are the LSOAs' population-weighted centroids (WGS84), for MethodCentroid. When nil,
	// the points the ingest kept (overlap.LSOA.Point) are used.
	Centroids map[string]orb.Point
	// LSOAs are the LSOA polygons: required for MethodArea, which uses those whose bound intersects
	// Extent(layer) (a file's, or those store.Workspace.LSOAPolygons reads for that bound); for
	// MethodCentroid their point on surface stands in for a missing centroid.
	LSOAs *geo.Layer
	// Grid is the number of sample points per side of an LSOA's bound for MethodArea; 0 means 32.
	// The area shares are estimated from the grid points inside the LSOA that fall in each team
	// (on the Trafford localities a 32 grid is within 1.3 points of a 256 grid, 0.15 on average).
	Grid int
	// Tolerance absorbs the mismatch between differently generalised boundaries under MethodArea:
	// an LSOA's part in a team below it is dropped, and an LSOA whose parts sum to within it of 1 is
	// scaled up to exactly 1. 0 means 5%; a negative value keeps the raw shares.
	Tolerance float64
}

// FromPolygons builds a set from one polygon per team. A team is named by the feature's name when the
// layer has a name field, else by its code (the field given with ReadOptions.CodeField). Features the
// reader had to repair (self-intersecting rings) are refused: a team patch drawn wrongly should be
// fixed at source, not guessed at.
func FromPolygons(ctx context.Context, d *overlap.Dataset, layer *geo.Layer, o PolygonOptions) (*Import, error) {
	if len(layer.Repaired) > 0 {
		return nil, fmt.Errorf("%w: %s: feature %q is self-intersecting or otherwise invalid; fix the polygon", ErrInput, layer.Source, layer.Repaired[0])
	}
	if o.Method == MethodUnset {
		o.Method = MethodCentroid
	}
	names := make([]string, len(layer.Features))
	seen := make(map[string]int)
	for i, f := range layer.Features {
		n := f.Code
		if layer.NameField != "" && f.Name != "" {
			n = f.Name
		}
		if n == "" {
			return nil, fmt.Errorf("%w: %s: feature %d: no team name", ErrInput, layer.Source, i)
		}
		if err := CheckName(n); err != nil {
			return nil, fmt.Errorf("%w: %s: feature %d: %v", ErrInput, layer.Source, i, err)
		}
		if j, ok := seen[n]; ok {
			return nil, fmt.Errorf("%w: %s: feature %d: team name %q repeats feature %d", ErrInput, layer.Source, i, n, j)
		}
		if len(f.Geom) == 0 || planarArea(f.Geom) == 0 {
			return nil, fmt.Errorf("%w: %s: feature %d (%s): empty polygon", ErrInput, layer.Source, i, n)
		}
		seen[n] = i
		names[i] = n
	}
	idx := geo.NewIndex(layer.Features)
	w := newWeights(len(d.LSOAs), len(names))
	imp := &Import{}
	var hits []int
	claim := func(l int, p orb.Point, share float64) {
		hits = hits[:0]
		idx.Search(orb.Bound{Min: p, Max: p}, func(i int, _ *geo.Feature) bool {
			if idx.Contains(i, p) {
				hits = append(hits, i)
			}
			return true
		})
		for _, t := range hits {
			w.add(l, t, share/float64(len(hits)))
		}
	}
	switch o.Method {
	case MethodCentroid:
		if o.Centroids == nil && o.LSOAs == nil && !HasPoints(d) {
			return nil, fmt.Errorf("%w: the centroid method needs the LSOA centroids or polygons, and release %s holds no LSOA points (re-ingest it with --centroids)", ErrNoPoints, d.Release)
		}
		var lsoaIdx *geo.Index
		if o.LSOAs != nil {
			lsoaIdx = geo.NewIndex(o.LSOAs.Features)
		}
		for l := range d.LSOAs {
			if l%1024 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var p orb.Point
			var ok bool
			if o.Centroids != nil {
				p, ok = o.Centroids[d.LSOAs[l].Code]
			} else {
				p, ok = d.LSOAs[l].Point, d.LSOAs[l].HasPoint
			}
			if !ok && lsoaIdx != nil {
				if i, found := lsoaIdx.Code(d.LSOAs[l].Code); found {
					p, ok = geo.PointOnSurface(lsoaIdx.Feature(i).Geom), true
				}
			}
			if !ok {
				imp.NoPoint++
				continue
			}
			claim(l, p, 1)
		}
	case MethodArea:
		if o.LSOAs == nil {
			return nil, fmt.Errorf("%w: the area method needs the LSOA polygons", ErrNoPolygons)
		}
		grid := o.Grid
		if grid <= 0 {
			grid = 32
		}
		teamBound := Extent(layer)
		lsoaCode := make(map[string]int, len(d.LSOAs))
		for l := range d.LSOAs {
			lsoaCode[d.LSOAs[l].Code] = l
		}
		// Index only the LSOAs of the release near the teams: a national LSOA file holds 33k.
		var near []geo.Feature
		for _, f := range o.LSOAs.Features {
			b := f.Bound
			if b == (orb.Bound{}) {
				b = f.Geom.Bound()
			}
			if _, ok := lsoaCode[f.Code]; ok && b.Intersects(teamBound) {
				near = append(near, f)
			}
		}
		lsoaIdx := geo.NewIndex(near)
		var samples []orb.Point
		for i := range near {
			if i%256 == 0 && ctx.Err() != nil {
				break
			}
			f := lsoaIdx.Feature(i)
			samples = sample(samples[:0], lsoaIdx, i, f.Bound, grid)
			for _, p := range samples {
				claim(lsoaCode[f.Code], p, 1/float64(len(samples)))
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tol := o.Tolerance
		if tol == 0 {
			tol = 0.05
		}
		if tol > 0 {
			w.snap(tol)
		}
	default:
		return nil, fmt.Errorf("%w: polygons take the centroid or area method, not %s", ErrInput, o.Method)
	}
	s := &Set{Source: layer.Source, Method: o.Method, Teams: make([]Team, len(names))}
	for t, n := range names {
		s.Teams[t].Name = n
		s.Teams[t].Geom = layer.Features[t].Geom
	}
	w.fill(d, s, imp)
	return imp, nil
}

// Extent is the bound of a layer's team polygons: the area method reads only the LSOA polygons whose
// bound intersects it, so a caller holding them in a store need fetch no others.
func Extent(layer *geo.Layer) orb.Bound {
	var b orb.Bound
	for i, f := range layer.Features {
		if i == 0 {
			b = f.Geom.Bound()
		}
		b = b.Union(f.Geom.Bound())
	}
	return b
}

// HasPoints reports whether any LSOA of d has a point, that is whether its ingest had centroids or
// LSOA polygons: then polygon sets can be imported by centroid without them.
func HasPoints(d *overlap.Dataset) bool {
	for l := range d.LSOAs {
		if d.LSOAs[l].HasPoint {
			return true
		}
	}
	return false
}

// sample returns a regular grid of points over b that lie inside feature i, scaled so that cells
// are square on the ground; with none inside (a sliver) it returns the feature's point on surface.
func sample(dst []orb.Point, idx *geo.Index, i int, b orb.Bound, grid int) []orb.Point {
	k := math.Cos(b.Center()[1] * math.Pi / 180)
	wx, wy := (b.Max[0]-b.Min[0])*k, b.Max[1]-b.Min[1]
	step := math.Max(wx, wy) / float64(grid)
	if step <= 0 {
		return append(dst, geo.PointOnSurface(idx.Feature(i).Geom))
	}
	for y := b.Min[1] + step/2; y < b.Max[1]; y += step {
		for x := b.Min[0] + step/(2*k); x < b.Max[0]; x += step / k {
			p := orb.Point{x, y}
			if idx.Contains(i, p) {
				dst = append(dst, p)
			}
		}
	}
	if len(dst) == 0 {
		dst = append(dst, geo.PointOnSurface(idx.Feature(i).Geom))
	}
	return dst
}

func planarArea(mp orb.MultiPolygon) float64 {
	var a float64
	for _, poly := range mp {
		for j, r := range poly {
			var s float64
			for k := 1; k < len(r); k++ {
				s += r[k-1][0]*r[k][1] - r[k][0]*r[k-1][1]
			}
			if j == 0 {
				a += math.Abs(s) / 2
			} else {
				a -= math.Abs(s) / 2
			}
		}
	}
	return a
}

// weights collects LSOA → team weights during an import.
type weights struct {
	byLSOA []map[int]float64
}

func newWeights(lsoas, teams int) *weights {
	return &weights{byLSOA: make([]map[int]float64, lsoas)}
}

func (w *weights) add(l, t int, v float64) {
	if w.byLSOA[l] == nil {
		w.byLSOA[l] = make(map[int]float64, 1)
	}
	w.byLSOA[l][t] += v
}

// snap drops parts below tol and rounds LSOAs covered to within tol of whole up to whole.
func (w *weights) snap(tol float64) {
	for _, m := range w.byLSOA {
		var sum float64
		for t, v := range m {
			if v < tol {
				delete(m, t)
				continue
			}
			sum += v
		}
		if sum >= 1-tol && sum < 1 {
			for t := range m {
				m[t] /= sum
			}
		}
	}
}

// fill writes the weights into s's teams (LSOAs sorted by code) and the gaps and claims into imp.
func (w *weights) fill(d *overlap.Dataset, s *Set, imp *Import) {
	covered := make(map[int32]bool)
	for l, m := range w.byLSOA {
		for t, v := range m {
			if v > 1e-12 {
				s.Teams[t].LSOAs = append(s.Teams[t].LSOAs, Weight{LSOA: d.LSOAs[l].Code, Weight: math.Min(v, 1)})
				covered[d.LSOAs[l].Area] = true
			}
		}
	}
	for t := range s.Teams {
		slices.SortFunc(s.Teams[t].LSOAs, func(a, b Weight) int { return cmp.Compare(a.LSOA, b.LSOA) })
	}
	for l := range d.LSOAs {
		if len(w.byLSOA[l]) == 0 && covered[d.LSOAs[l].Area] {
			imp.Uncovered = append(imp.Uncovered, d.LSOAs[l].Code)
		}
		var ts []int
		for t, v := range w.byLSOA[l] {
			if v > 1e-12 {
				ts = append(ts, t)
			}
		}
		if len(ts) > 1 {
			slices.SortFunc(ts, func(a, b int) int { return cmp.Compare(s.Teams[a].Name, s.Teams[b].Name) })
			c := Claim{Code: d.LSOAs[l].Code}
			for _, t := range ts {
				c.Teams = append(c.Teams, s.Teams[t].Name)
				c.Shares = append(c.Shares, math.Min(w.byLSOA[l][t], 1))
			}
			imp.Split = append(imp.Split, c)
		}
	}
	slices.Sort(imp.Uncovered)
	slices.SortFunc(imp.Split, func(a, b Claim) int { return cmp.Compare(a.Code, b.Code) })
	imp.Set = s
}

// FromTable builds a set from a parsed CSV, checking every code against the release. An LSOA or
// MSOA listed under several teams is split evenly between them and reported in Import.Split.
func FromTable(ctx context.Context, d *overlap.Dataset, tab *Table) (*Import, error) {
	s := &Set{Source: tab.Source, Method: tab.Kind}
	team := make(map[string]int)
	imp := &Import{}
	for _, r := range tab.Rows {
		if _, ok := team[r.Team]; !ok {
			team[r.Team] = len(s.Teams)
			s.Teams = append(s.Teams, Team{Name: r.Team})
		}
	}
	if tab.Kind == MethodPractice {
		practice := make(map[string]bool, len(d.Practices))
		for _, p := range d.Practices {
			practice[p.Code] = true
		}
		claims := make(map[string][]string)
		for _, r := range tab.Rows {
			if !practice[r.Code] {
				return nil, fmt.Errorf("%w: %s: line %d: practice %s is not in release %s", ErrUnknownCode, tab.Source, r.Line, r.Code, d.Release)
			}
			t := team[r.Team]
			s.Teams[t].Practices = append(s.Teams[t].Practices, r.Code)
			claims[r.Code] = append(claims[r.Code], r.Team)
		}
		for code, ts := range claims {
			if len(ts) > 1 {
				slices.Sort(ts)
				imp.Split = append(imp.Split, Claim{Code: code, Teams: ts})
			}
		}
		for t := range s.Teams {
			slices.Sort(s.Teams[t].Practices)
		}
		slices.SortFunc(imp.Split, func(a, b Claim) int { return cmp.Compare(a.Code, b.Code) })
		imp.Set = s
		return imp, nil
	}
	lsoa := make(map[string]int, len(d.LSOAs))
	byArea := make([][]int, len(d.Areas))
	for l := range d.LSOAs {
		lsoa[d.LSOAs[l].Code] = l
		byArea[d.LSOAs[l].Area] = append(byArea[d.LSOAs[l].Area], l)
	}
	// claimants[l] are the teams listing LSOA l, each once.
	claimants := make(map[int][]int)
	for i, r := range tab.Rows {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ls []int
		switch tab.Kind {
		case MethodLSOA:
			l, ok := lsoa[r.Code]
			if !ok {
				return nil, fmt.Errorf("%w: %s: line %d: LSOA %s has no registered patients in release %s", ErrUnknownCode, tab.Source, r.Line, r.Code, d.Release)
			}
			ls = []int{l}
		case MethodMSOA:
			a, ok := d.Area(r.Code)
			if !ok {
				return nil, fmt.Errorf("%w: %s: line %d: MSOA %s is not an area of release %s", ErrUnknownCode, tab.Source, r.Line, r.Code, d.Release)
			}
			ls = byArea[a]
		default:
			return nil, fmt.Errorf("%w: %s: table of kind %s", ErrInput, tab.Source, tab.Kind)
		}
		t := team[r.Team]
		for _, l := range ls {
			if !slices.Contains(claimants[l], t) {
				claimants[l] = append(claimants[l], t)
			}
		}
	}
	w := newWeights(len(d.LSOAs), len(s.Teams))
	for l, ts := range claimants {
		for _, t := range ts {
			w.add(l, t, 1/float64(len(ts)))
		}
	}
	w.fill(d, s, imp)
	return imp, nil
}
