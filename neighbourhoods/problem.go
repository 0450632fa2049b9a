// Package neighbourhoods designs neighbourhood plans: partitions of a region's building blocks (LSOAs
// or MSOAs) into contiguous neighbourhoods within a population band, nested in larger units (local
// authorities by default), that split PCNs as little as possible. It is pure computation over an
// overlap.Dataset and the blocks' polygons (WGS84): no I/O, no flags.
//
// What is optimised and what is a constraint:
//
//   - Constraints: every block of the region is in exactly one neighbourhood; each neighbourhood is
//     contiguous in the block graph (see Adjacency) and lies within one nesting unit; the number of
//     neighbourhoods is the --count when given, else chosen per unit from the band (see Counts).
//   - The band (registered residents per neighbourhood) is a constraint the search satisfies first:
//     it minimises the residents outside the band before anything else, and a plan that cannot meet
//     it says which neighbourhoods break it and why (Plan.Violations) instead of failing.
//   - The objective is the alignment score of teams (Σ_p max_N patients(N,p) / Σ_p Σ_N patients(N,p));
//     ties are broken by compactness, the total length of boundary between neighbourhoods (shorter is
//     better).
package neighbourhoods

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/internal/contig"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// Sentinel errors; every error of the package wraps one of them.
var (
	// ErrInput: options that cannot be used (an unknown kind, an empty region, an impossible band or count).
	ErrInput = errors.New("neighbourhoods: invalid input")
	// ErrNoPolygons: LSOA blocks without the LSOA polygons the adjacency is drawn from.
	ErrNoPolygons = errors.New("neighbourhoods: no LSOA polygons")
)

// BlockKind is what a plan is built from.
type BlockKind uint8

const (
	BlocksUnset BlockKind = iota
	BlocksLSOA
	BlocksMSOA
)

func (b BlockKind) String() string {
	switch b {
	case BlocksLSOA:
		return "lsoa"
	case BlocksMSOA:
		return "msoa"
	}
	return fmt.Sprintf("BlockKind(%d)", b)
}

// ParseBlocks is the inverse of String.
func ParseBlocks(s string) (BlockKind, error) {
	switch s {
	case "lsoa":
		return BlocksLSOA, nil
	case "msoa":
		return BlocksMSOA, nil
	}
	return BlocksUnset, fmt.Errorf("%w: blocks %q (want lsoa or msoa)", ErrInput, s)
}

// ParseKind reads a context kind name ("la", "icb", "sub-icb", …).
func ParseKind(s string) (nhs.Kind, error) {
	for k := nhs.KindRegion; k <= nhs.KindNHSRegion; k++ {
		if k.String() == s {
			return k, nil
		}
	}
	return nhs.KindUnset, fmt.Errorf("%w: unit kind %q (want la, icb, sub-icb, ccg, stp, region or nhs-region)", ErrInput, s)
}

// Band is the population band of a neighbourhood in registered residents; Max 0 means no upper limit.
type Band struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// ParseBand reads "30k-50k", "30000-50000" or "-50k" (no lower limit).
func ParseBand(s string) (Band, error) {
	lo, hi, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	if !ok {
		return Band{}, fmt.Errorf("%w: size %q is not MIN-MAX (e.g. 30k-50k)", ErrInput, s)
	}
	num := func(v string) (float64, error) {
		v = strings.TrimSpace(v)
		if v == "" {
			return 0, nil
		}
		mult := 1.0
		if strings.HasSuffix(v, "k") {
			mult, v = 1000, strings.TrimSuffix(v, "k")
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("%w: size %q: %q is not a population", ErrInput, s, v)
		}
		return f * mult, nil
	}
	var b Band
	var err error
	if b.Min, err = num(lo); err != nil {
		return Band{}, err
	}
	if b.Max, err = num(hi); err != nil {
		return Band{}, err
	}
	if b.Max <= 0 || b.Min > b.Max {
		return Band{}, fmt.Errorf("%w: size %q: the upper limit must be above zero and not below the lower", ErrInput, s)
	}
	return b, nil
}

func (b Band) String() string { return fmt.Sprintf("%s-%s", people(b.Min), people(b.Max)) }

func people(v float64) string {
	if v >= 1000 && math.Mod(v, 1000) == 0 {
		return fmt.Sprintf("%.0fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

// Options say what to design.
type Options struct {
	// WithinKind and Within name the region (e.g. nhs.KindICB, "E54000007"); KindUnset means every block.
	WithinKind nhs.Kind
	Within     string
	Blocks     BlockKind // default LSOA
	// Nest is the kind of unit no neighbourhood may cross; KindUnset with NoNest false means local authorities.
	Nest   nhs.Kind
	NoNest bool
	// Band is the size band; zero (and Count 0) means 30k–50k. With Count alone the upper limit is
	// 1.5 × the mean neighbourhood population (teams suggest's cap) and there is no lower limit.
	Band  Band
	Count int
}

// Block is one building block.
type Block struct {
	Code       string
	Registered float64
	LSOAs      []int32 // indexes into Dataset.LSOAs
	Unit       int32   // index into Problem.Units
	Point      orb.Point
	cells      []cell // PCN patients, by local PCN index
}

type cell struct {
	pcn      int32 // index into Problem.PCNs
	patients float64
}

// Edge is an adjacency between blocks A < B with the length of boundary they share in metres; a link
// added to join an island has Length 0 and Link true.
type Edge = contig.Edge

// Unit is one nesting unit with the neighbourhoods it gets.
type Unit struct {
	Code       string
	Name       string
	Registered float64
	Blocks     []int32
	Count      int
	// Reason says why the band cannot be met in this unit (empty when it can).
	Reason string
}

// Problem is a region ready to design: its blocks, their adjacency and PCN patients, its units and
// their counts. Read-only once built.
type Problem struct {
	d      *overlap.Dataset
	Opt    Options
	Band   Band
	Blocks []Block
	Edges  []Edge
	Units  []Unit
	// PCNs are the dataset PCNs with patients in the region (indexes into Dataset.PCNs).
	PCNs []int32
	// Total is Σ PCN patients in the region, the score's denominator.
	Total float64
	adj   [][]contig.Nbr // graph.Adj: each block's neighbours and the boundary they share
	graph *contig.Graph  // the blocks' adjacency, as contig draws it for teams suggest too
	polys []geo.Feature  // the LSOA polygons the problem was built with (nil for MSOA blocks)
}

// Build prepares the problem: the region's blocks, the adjacency drawn from polys (the LSOA polygons,
// for LSOA blocks; MSOA blocks use the areas'), the units and their counts. It refuses impossible
// combinations with the reason.
func Build(d *overlap.Dataset, polys []geo.Feature, opt Options) (*Problem, error) {
	if opt.Blocks == BlocksUnset {
		opt.Blocks = BlocksLSOA
	}
	if !opt.NoNest && opt.Nest == nhs.KindUnset {
		opt.Nest = nhs.KindLA
	}
	if opt.NoNest {
		opt.Nest = nhs.KindUnset
	}
	pr := &Problem{d: d, Opt: opt}
	if opt.Blocks == BlocksLSOA {
		pr.polys = polys
	}
	if err := pr.blocks(polys); err != nil {
		return nil, err
	}
	pr.units()
	pr.adjacency(polys)
	if err := pr.counts(); err != nil {
		return nil, err
	}
	return pr, nil
}

func (pr *Problem) blocks(polys []geo.Feature) error {
	d, opt := pr.d, pr.Opt
	in := func(u *[overlap.KindCount]string) bool {
		return opt.WithinKind == nhs.KindUnset || u[opt.WithinKind] == opt.Within
	}
	switch opt.Blocks {
	case BlocksLSOA:
		if len(polys) == 0 {
			return fmt.Errorf("%w: LSOA blocks need the LSOA polygons (ingest with --lsoa-polygons, or use MSOA blocks)", ErrNoPolygons)
		}
		for l := range d.LSOAs {
			ls := &d.LSOAs[l]
			if !in(&ls.Units) || ls.Registered <= 0 {
				continue
			}
			pr.Blocks = append(pr.Blocks, Block{Code: ls.Code, Registered: float64(ls.Registered), LSOAs: []int32{int32(l)}, Point: ls.Point})
		}
	case BlocksMSOA:
		byArea := make([][]int32, len(d.Areas))
		for l := range d.LSOAs {
			byArea[d.LSOAs[l].Area] = append(byArea[d.LSOAs[l].Area], int32(l))
		}
		for a := range d.Areas {
			ar := &d.Areas[a]
			if !in(&ar.Units) || ar.Registered <= 0 {
				continue
			}
			pr.Blocks = append(pr.Blocks, Block{Code: ar.Code, Registered: float64(ar.Registered), LSOAs: byArea[a]})
		}
	default:
		return fmt.Errorf("%w: blocks %v", ErrInput, opt.Blocks)
	}
	if len(pr.Blocks) == 0 {
		return fmt.Errorf("%w: no %s with registered residents in %s %s of release %s", ErrInput, opt.Blocks, opt.WithinKind, opt.Within, d.Release)
	}
	// Points: the LSOAs' points weighted by registered residents, else the polygon's bound centre.
	for i := range pr.Blocks {
		b := &pr.Blocks[i]
		var c contig.Centroid
		for _, l := range b.LSOAs {
			if ls := &d.LSOAs[l]; ls.HasPoint {
				c.Add(ls.Point, float64(ls.Registered))
			}
		}
		if p, ok := c.Point(); ok {
			b.Point = p
		}
	}
	// PCN patients per block from the registration rows.
	blockOf := make([]int32, len(d.LSOAs))
	for i := range blockOf {
		blockOf[i] = -1
	}
	for i, b := range pr.Blocks {
		for _, l := range b.LSOAs {
			blockOf[l] = int32(i)
		}
	}
	local := make(map[int32]int32)
	sums := make([]map[int32]float64, len(pr.Blocks))
	for _, r := range d.Rows {
		b := blockOf[r.LSOA]
		p := d.Practices[r.Practice].PCN
		if b < 0 || p == overlap.NoPCN {
			continue
		}
		if _, ok := local[p]; !ok {
			local[p] = 0
		}
		if sums[b] == nil {
			sums[b] = map[int32]float64{}
		}
		sums[b][p] += float64(r.Patients)
	}
	for p := range local {
		pr.PCNs = append(pr.PCNs, p)
	}
	slices.Sort(pr.PCNs)
	for i, p := range pr.PCNs {
		local[p] = int32(i)
	}
	for i := range pr.Blocks {
		for p, v := range sums[i] {
			pr.Blocks[i].cells = append(pr.Blocks[i].cells, cell{pcn: local[p], patients: v})
			pr.Total += v
		}
		slices.SortFunc(pr.Blocks[i].cells, func(a, b cell) int { return cmp.Compare(a.pcn, b.pcn) })
	}
	return nil
}

func (pr *Problem) units() {
	d := pr.d
	idx := map[string]int32{}
	for i := range pr.Blocks {
		b := &pr.Blocks[i]
		code := ""
		if k := pr.Opt.Nest; k != nhs.KindUnset {
			// the unit holding most of the block's residents
			votes := map[string]int64{}
			for _, l := range b.LSOAs {
				votes[d.LSOAs[l].Units[k]] += d.LSOAs[l].Registered
			}
			var best int64 = -1
			for c, v := range votes {
				if v > best || (v == best && c < code) {
					best, code = v, c
				}
			}
		}
		u, ok := idx[code]
		if !ok {
			u = int32(len(pr.Units))
			idx[code] = u
			name := code
			if k := pr.Opt.Nest; k != nhs.KindUnset {
				if n := d.Units[k][code]; n != "" {
					name = n
				}
			}
			if code == "" {
				name = "the region"
			}
			pr.Units = append(pr.Units, Unit{Code: code, Name: name})
		}
		b.Unit = u
		pr.Units[u].Blocks = append(pr.Units[u].Blocks, int32(i))
		pr.Units[u].Registered += b.Registered
	}
}

// adjacency: two blocks are adjacent when their outlines share a boundary segment (contig.Shared:
// the same two consecutive vertices, to about 10 cm); blocks that meet only at a point are not.
// Within each nesting unit, any part of the graph cut off from the rest (an island, or a block whose
// neighbours are all in other units) is then linked to the nearest block of the rest by their
// points, smallest part first, until the unit is connected (contig.Graph.Link): such links
// (Edge.Link) have no boundary length.
func (pr *Problem) adjacency(polys []geo.Feature) {
	geoms := make([]orb.MultiPolygon, len(pr.Blocks))
	if pr.Opt.Blocks == BlocksMSOA {
		for i, b := range pr.Blocks {
			a, _ := pr.d.Area(b.Code)
			geoms[i] = pr.d.Areas[a].Geom
		}
	} else {
		byCode := make(map[string]int, len(polys))
		for i := range polys {
			byCode[polys[i].Code] = i
		}
		for i, b := range pr.Blocks {
			if j, ok := byCode[b.Code]; ok {
				geoms[i] = polys[j].Geom
			}
		}
	}
	points := make([]orb.Point, len(pr.Blocks))
	for i, g := range geoms {
		if pr.Blocks[i].Point == (orb.Point{}) && len(g) > 0 {
			pr.Blocks[i].Point = g.Bound().Center()
		}
		points[i] = pr.Blocks[i].Point
	}
	pr.graph = contig.Shared(geoms)
	for u := range pr.Units {
		pr.graph.Link(pr.Units[u].Blocks, points)
	}
	pr.Edges = pr.graph.Edges
	pr.adj = pr.graph.Adj
}

// counts chooses the band and each unit's number of neighbourhoods, or refuses the combination.
//
// A unit of P residents can hold k neighbourhoods within [Min, Max] only when P/Max ≤ k ≤ P/Min.
// Without --count, each unit gets the fewest neighbourhoods whose mean is at most 95% of Max (room
// for the blocks' sizes), kept within that range; a unit with no such k gets the k nearest to the
// band and a Reason. With --count N, N is shared over the units within their ranges, by largest
// mean first; N outside the sum of the ranges is refused.
func (pr *Problem) counts() error {
	b, n := pr.Opt.Band, pr.Opt.Count
	var total float64
	for _, u := range pr.Units {
		total += u.Registered
	}
	if n < 0 {
		return fmt.Errorf("%w: count %d", ErrInput, n)
	}
	if b == (Band{}) {
		if n > 0 {
			b = Band{Max: 1.5 * total / float64(n)}
		} else {
			b = Band{Min: 30000, Max: 50000}
		}
	}
	if b.Max <= 0 || b.Min > b.Max {
		return fmt.Errorf("%w: size band %v", ErrInput, b)
	}
	pr.Band = b
	if n > len(pr.Blocks) {
		return fmt.Errorf("%w: %d neighbourhoods asked of %d %ss", ErrInput, n, len(pr.Blocks), pr.Opt.Blocks)
	}
	if n > 0 && n < len(pr.Units) {
		return fmt.Errorf("%w: %d neighbourhoods cannot nest in %d units of kind %s: each unit needs at least one (use --nest none)", ErrInput, n, len(pr.Units), pr.Opt.Nest)
	}
	lo := make([]int, len(pr.Units))
	hi := make([]int, len(pr.Units))
	for i := range pr.Units {
		u := &pr.Units[i]
		kmin := max(1, int(math.Ceil(u.Registered/b.Max-1e-9)))
		kmax := len(u.Blocks)
		if b.Min > 0 {
			kmax = min(kmax, int(math.Floor(u.Registered/b.Min+1e-9)))
		}
		if kmin > kmax {
			// No k fits: the one leaving fewest residents outside the band.
			off := func(k int) float64 {
				mean := u.Registered / float64(k)
				return float64(k) * max(b.Min-mean, mean-b.Max, 0)
			}
			k := max(1, min(kmin, len(u.Blocks)))
			if alt := max(1, min(kmax, len(u.Blocks))); off(alt) < off(k) {
				k = alt
			}
			u.Reason = fmt.Sprintf("%s has %.0f residents: %d neighbourhood(s) would average %.0f, and no number of neighbourhoods fits %v", u.Name, u.Registered, k, u.Registered/float64(k), b)
			lo[i], hi[i] = k, k
			continue
		}
		lo[i], hi[i] = kmin, kmax
	}
	if n == 0 {
		for i := range pr.Units {
			u := &pr.Units[i]
			if u.Reason != "" {
				u.Count = lo[i]
				continue
			}
			u.Count = max(lo[i], min(hi[i], int(math.Ceil(u.Registered/(0.95*b.Max)-1e-9))))
		}
		return nil
	}
	var sumLo, sumHi int
	for i := range lo {
		sumLo += lo[i]
		sumHi += hi[i]
	}
	if n < sumLo || n > sumHi {
		return fmt.Errorf("%w: %d neighbourhoods of %v cannot cover %.0f residents nested in %d unit(s): between %d and %d can", ErrInput, n, b, total, len(pr.Units), sumLo, sumHi)
	}
	for i := range pr.Units {
		pr.Units[i].Count = lo[i]
	}
	for left := n - sumLo; left > 0; left-- {
		best := -1
		for i := range pr.Units {
			u := &pr.Units[i]
			if u.Count < hi[i] && (best < 0 || u.Registered/float64(u.Count) > pr.Units[best].Registered/float64(pr.Units[best].Count)) {
				best = i
			}
		}
		pr.Units[best].Count++
	}
	return nil
}

// Count is the plan's number of neighbourhoods.
func (pr *Problem) Count() int {
	n := 0
	for _, u := range pr.Units {
		n += u.Count
	}
	return n
}

// ParseWithin reads a region, KIND:CODE (e.g. icb:E54000057); "" is every block.
func ParseWithin(s string) (nhs.Kind, string, error) {
	if s == "" {
		return nhs.KindUnset, "", nil
	}
	k, code, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(code) == "" {
		return nhs.KindUnset, "", fmt.Errorf("%w: region %q is not KIND:CODE (e.g. icb:E54000057, la:E08000009)", ErrInput, s)
	}
	kind, err := ParseKind(strings.TrimSpace(k))
	if err != nil {
		return nhs.KindUnset, "", err
	}
	return kind, strings.TrimSpace(code), nil
}

// ParseNest reads the nesting: "none", or a unit kind ("la", "sub-icb", …).
func ParseNest(s string) (kind nhs.Kind, none bool, err error) {
	if s == "none" {
		return nhs.KindUnset, true, nil
	}
	kind, err = ParseKind(s)
	return kind, false, err
}
