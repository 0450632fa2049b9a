package teams

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/internal/contig"
)

// SuggestOptions are what Suggest may use beyond the model.
type SuggestOptions struct {
	// LSOAPolygons are the release's LSOA polygons (a workspace ingested with --lsoa-polygons; those
	// of the set's LSOAs suffice). With them the teams are made contiguous over the LSOAs; without,
	// contiguity is judged per MSOA only.
	LSOAPolygons []geo.Feature
}

// Contiguity says over what a suggestion's teams are contiguous.
type Contiguity uint8

const (
	// ContiguousMSOA: territories were merged only where their MSOAs touch, but a team's LSOAs may
	// fall apart into pieces (no LSOA polygons to tell).
	ContiguousMSOA Contiguity = iota
	// ContiguousLSOA: every team is connected over the LSOAs (shared boundary, islands linked to the
	// nearest LSOA as the neighbourhood designer links them).
	ContiguousLSOA
)

func (c Contiguity) String() string {
	if c == ContiguousLSOA {
		return "contiguous over the LSOAs"
	}
	return "contiguous per MSOA only (no LSOA polygons: ingest with --lsoa-polygons for teams contiguous over the LSOAs)"
}

// Suggestion is a suggested set with how it was made.
type Suggestion struct {
	Set        *Set
	Contiguity Contiguity
	// Merged is, with ContiguousLSOA, the grouping before its pieces were joined to their neighbours
	// (teams contiguous per MSOA only), kept to show what LSOA contiguity costs; Moved is how many
	// LSOAs changed team there, Split how many teams had fallen apart.
	Merged       *Set
	Moved, Split int
}

// Suggest proposes a grouping of whole PCNs into as many teams as the model's set has, over the same
// LSOAs (with the same weights), aiming at a high alignment score with teams that are contiguous.
//
// Algorithm: each covered LSOA goes to its dominant PCN (most patients; ties to the lower PCN code),
// giving each PCN a territory. Territories are then merged greedily, agglomerative clustering: at each
// step the two groups exchanging the most patients (patients of one group's PCNs living in the other's
// territory, both ways) are merged, among pairs that touch (two groups touch when LSOAs of theirs lie
// in the same area or in areas whose outlines share a vertex) and whose merged population stays under
// 1.5 × the mean team population; failing such a pair, the touching pair of smallest merged
// population; failing any touching pair, the smallest pair at all. It stops at the set's number of
// teams. With opt.LSOAPolygons, a team whose LSOAs then fall apart into pieces keeps its most
// populous piece and the LSOAs of its other pieces join the touching team they share most boundary
// with (contig.Repair, the rule the neighbourhood designer uses; LSOAs cut off from all others, an
// island, are linked to the nearest LSOA first), so that every team is contiguous over the LSOAs.
//
// Limits: greedy, so not guaranteed optimal; without LSOA polygons contiguity is judged at area
// (MSOA) level only, so a team may fall apart over its LSOAs; the joined pieces are LSOAs of a PCN's
// territory given to another team, so a team is no longer strictly whole PCNs; the population cap
// trades a little score for teams of workable size (without it, one huge team scores best) and is
// soft; LSOAs with no PCN patients join the group holding most of their area; the cost is O(n³) in
// the number of PCNs n, fine for a trust or ICB (n ≤ a few hundred), slow for all of England.
func (m *Model) Suggest(ctx context.Context, opt SuggestOptions) (*Suggestion, error) {
	if m.member == nil {
		return nil, fmt.Errorf("%w: set %q is practice-based: suggestions need areas", ErrInput, m.set.Name)
	}
	k := len(m.set.Teams)
	np := int32(len(m.d.PCNs))
	cover := make(map[int32]float64)
	for _, mem := range m.member {
		for l, w := range mem {
			cover[l] += w
		}
	}
	ls := make([]int32, 0, len(cover))
	for l := range cover {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	// Territories: the dominant PCN of each LSOA, or -1.
	dom := make(map[int32]int32, len(ls))
	terr := make(map[int32][]int32)
	for _, l := range ls {
		best, bp := 0.0, int32(-1)
		for _, c := range m.lsoaCells[m.lsoaStart[l]:m.lsoaStart[l+1]] {
			if c.pcn < np && c.patients > best {
				best, bp = c.patients, c.pcn
			}
		}
		dom[l] = bp
		if bp >= 0 {
			terr[bp] = append(terr[bp], l)
		}
	}
	pcns := make([]int32, 0, len(terr))
	for p := range terr {
		pcns = append(pcns, p)
	}
	slices.Sort(pcns)
	n := len(pcns)
	if n < k {
		return nil, fmt.Errorf("%w: set %q has %d teams but its LSOAs are dominated by only %d PCNs", ErrInput, m.set.Name, k, n)
	}
	pos := make(map[int32]int, n) // PCN → position in pcns
	for i, p := range pcns {
		pos[p] = i
	}
	// flow[i][j]: patients exchanged between territories i and j; size[i]: patients living in i.
	flow := make([][]float64, n)
	for i := range flow {
		flow[i] = make([]float64, n)
	}
	size := make([]float64, n)
	var total float64
	for _, l := range ls {
		if dom[l] < 0 {
			continue
		}
		j := pos[dom[l]]
		for _, c := range m.lsoaCells[m.lsoaStart[l]:m.lsoaStart[l+1]] {
			v := cover[l] * c.patients
			size[j] += v
			total += v
			if i, ok := pos[c.pcn]; ok && i != j {
				flow[i][j] += v
				flow[j][i] += v
			}
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	touch := m.touching(ls, dom, pos, n)
	// Agglomerate: group[i] is the group of territory i; alive groups are those with members.
	group := make([]int, n)
	members := make([][]int, n)
	for i := range group {
		group[i] = i
		members[i] = []int{i}
	}
	limit := 1.5 * total / float64(k)
	for groups := n; groups > k; groups-- {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		bi, bj := -1, -1
		bestFlow, bestSize := -1.0, math.Inf(1)
		for pass := 0; pass < 3 && bi < 0; pass++ {
			for i := 0; i < n; i++ {
				if members[i] == nil {
					continue
				}
				for j := i + 1; j < n; j++ {
					if members[j] == nil || (pass < 2 && !touch[i][j]) {
						continue
					}
					s := size[i] + size[j]
					switch {
					case pass == 0 && s <= limit && flow[i][j] > bestFlow:
						bi, bj, bestFlow = i, j, flow[i][j]
					case pass > 0 && s < bestSize:
						bi, bj, bestSize = i, j, s
					}
				}
			}
		}
		// Merge bj into bi.
		for _, t := range members[bj] {
			group[t] = bi
		}
		members[bi] = append(members[bi], members[bj]...)
		members[bj] = nil
		size[bi] += size[bj]
		for x := 0; x < n; x++ {
			flow[bi][x] += flow[bj][x]
			flow[x][bi] = flow[bi][x]
			touch[bi][x] = touch[bi][x] || touch[bj][x]
			touch[x][bi] = touch[bi][x]
		}
		flow[bi][bi], touch[bi][bi] = 0, false
	}
	// Teams, largest first; each named by its PCNs' codes.
	var alive []int
	for i := range members {
		if members[i] != nil {
			alive = append(alive, i)
		}
	}
	slices.SortFunc(alive, func(a, b int) int { return cmp.Or(cmp.Compare(size[b], size[a]), cmp.Compare(a, b)) })
	s := &Set{Name: m.set.Name + " (suggested)", Source: m.set.Name, Method: MethodSuggested, Teams: make([]Team, len(alive))}
	team := make(map[int]int, len(alive))
	for t, g := range alive {
		team[g] = t
		codes := make([]string, 0, len(members[g]))
		for _, i := range members[g] {
			codes = append(codes, m.d.PCNs[pcns[i]].Code)
		}
		slices.Sort(codes)
		s.Teams[t].Name = fmt.Sprintf("Team %d (%s)", t+1, joinCodes(codes))
	}
	// LSOAs: by territory; those without a dominant PCN join the team holding most of their area.
	areaTeam := make(map[int32]map[int]int)
	for _, l := range ls {
		if dom[l] >= 0 {
			a := m.d.LSOAs[l].Area
			if areaTeam[a] == nil {
				areaTeam[a] = map[int]int{}
			}
			areaTeam[a][team[group[pos[dom[l]]]]]++
		}
	}
	teamOf := make([]int32, len(ls))
	for i, l := range ls {
		t := 0
		if dom[l] >= 0 {
			t = team[group[pos[dom[l]]]]
		} else {
			best := 0
			for tt, c := range areaTeam[m.d.LSOAs[l].Area] {
				if c > best || (c == best && tt < t) {
					best, t = c, tt
				}
			}
		}
		teamOf[i] = int32(t)
	}
	out := &Suggestion{Set: s}
	if len(opt.LSOAPolygons) > 0 {
		out.Contiguity = ContiguousLSOA
		out.Merged = m.suggestedSet(s, ls, cover, teamOf)
		g := m.lsoaGraph(ls, opt.LSOAPolygons)
		out.Split = contig.Parts(teamOf, g.Adj)
		pop := make([]float64, len(ls))
		for i, l := range ls {
			pop[i] = float64(m.d.LSOAs[l].Registered) * cover[l]
		}
		out.Moved, _ = contig.Repair(teamOf, pop, g.Adj, nil)
	}
	out.Set = m.suggestedSet(s, ls, cover, teamOf)
	return out, nil
}

// suggestedSet is s (its teams named) holding ls[i] in team teamOf[i] with weight cover.
func (m *Model) suggestedSet(s *Set, ls []int32, cover map[int32]float64, teamOf []int32) *Set {
	c := *s
	c.Teams = make([]Team, len(s.Teams))
	for t := range c.Teams {
		c.Teams[t].Name = s.Teams[t].Name
	}
	for i, l := range ls {
		t := teamOf[i]
		c.Teams[t].LSOAs = append(c.Teams[t].LSOAs, Weight{LSOA: m.d.LSOAs[l].Code, Weight: cover[l]})
	}
	for t := range c.Teams {
		slices.SortFunc(c.Teams[t].LSOAs, func(a, b Weight) int { return cmp.Compare(a.LSOA, b.LSOA) })
	}
	return &c
}

// lsoaGraph is the adjacency of the LSOAs ls drawn from polys (contig.Shared), linked into one
// connected graph (contig.Graph.Link) by the LSOAs' points (the stored point, else its polygon's
// bound centre), as the neighbourhood designer draws it for a region without nesting.
func (m *Model) lsoaGraph(ls []int32, polys []geo.Feature) *contig.Graph {
	byCode := make(map[string]int, len(polys))
	for i := range polys {
		byCode[polys[i].Code] = i
	}
	geoms := make([]orb.MultiPolygon, len(ls))
	points := make([]orb.Point, len(ls))
	nodes := make([]int32, len(ls))
	for i, l := range ls {
		nodes[i] = int32(i)
		if j, ok := byCode[m.d.LSOAs[l].Code]; ok {
			geoms[i] = polys[j].Geom
		}
		// As the designer places a block of this one LSOA (contig.Centroid), to the last bit.
		ld := &m.d.LSOAs[l]
		var c contig.Centroid
		if ld.HasPoint {
			c.Add(ld.Point, float64(ld.Registered))
		}
		if p, ok := c.Point(); ok {
			points[i] = p
		} else if ld.Point != (orb.Point{}) {
			points[i] = ld.Point
		} else if len(geoms[i]) > 0 {
			points[i] = geoms[i].Bound().Center()
		}
	}
	g := contig.Shared(geoms)
	g.Link(nodes, points)
	return g
}

func joinCodes(codes []string) string {
	if len(codes) > 4 {
		return fmt.Sprintf("%s, %s, %s and %d more", codes[0], codes[1], codes[2], len(codes)-3)
	}
	out := ""
	for i, c := range codes {
		if i > 0 {
			out += ", "
		}
		out += c
	}
	return out
}

// touching returns which territories touch: they hold LSOAs in the same area or in areas whose
// outlines share a vertex.
func (m *Model) touching(ls []int32, dom map[int32]int32, pos map[int32]int, n int) [][]bool {
	touch := make([][]bool, n)
	for i := range touch {
		touch[i] = make([]bool, n)
	}
	inArea := make(map[int32][]int) // area → territories with LSOAs there
	for _, l := range ls {
		if dom[l] < 0 {
			continue
		}
		a := m.d.LSOAs[l].Area
		if i := pos[dom[l]]; !slices.Contains(inArea[a], i) {
			inArea[a] = append(inArea[a], i)
		}
	}
	// Areas meeting at a vertex, rounded to about a centimetre.
	vertex := make(map[[2]int64][]int32)
	for a := range inArea {
		for _, poly := range m.d.Areas[a].Geom {
			for _, ring := range poly {
				for _, p := range ring {
					key := roundPoint(p)
					if v := vertex[key]; len(v) == 0 || v[len(v)-1] != a {
						vertex[key] = append(v, a)
					}
				}
			}
		}
	}
	link := func(as []int32) {
		for _, a := range as {
			for _, b := range as {
				for _, i := range inArea[a] {
					for _, j := range inArea[b] {
						if i != j {
							touch[i][j] = true
						}
					}
				}
			}
		}
	}
	for a := range inArea {
		link([]int32{a})
	}
	for _, as := range vertex {
		if len(as) > 1 {
			link(as)
		}
	}
	return touch
}

func roundPoint(p orb.Point) [2]int64 {
	return [2]int64{int64(math.Round(p[0] * 1e7)), int64(math.Round(p[1] * 1e7))}
}
