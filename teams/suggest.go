package teams

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Suggest proposes a grouping of whole PCNs into as many teams as the model's set has, over the same
// LSOAs (with the same weights), aiming at a high alignment score with teams that are contiguous.
//
// Algorithm: each covered LSOA goes to its dominant PCN (most patients; ties to the lower PCN code),
// giving each PCN a territory. Territories are then merged greedily, agglomerative clustering: at each
// step the two groups exchanging the most patients (patients of one group's PCNs living in the other's
// territory, both ways) are merged, among pairs that touch (two groups touch when LSOAs of theirs lie
// in the same area or in areas whose outlines share a vertex) and whose merged population stays under
// 1.5 × the mean team population; failing such a pair, the touching pair of smallest merged
// population; failing any touching pair, the smallest pair at all (the only case a team is not
// contiguous). It stops at the set's number of teams.
//
// Limits: greedy, so not guaranteed optimal; contiguity is judged at area (MSOA) level, not LSOA; the
// population cap trades a little score for teams of workable size (without it, one huge team scores
// best); LSOAs with no PCN patients join the group holding most of their area; the cost is O(n³) in
// the number of PCNs n, fine for a trust or ICB (n ≤ a few hundred), slow for all of England.
func (m *Model) Suggest(ctx context.Context) (*Set, error) {
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
	for _, l := range ls {
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
		s.Teams[t].LSOAs = append(s.Teams[t].LSOAs, Weight{LSOA: m.d.LSOAs[l].Code, Weight: cover[l]})
	}
	for t := range s.Teams {
		slices.SortFunc(s.Teams[t].LSOAs, func(a, b Weight) int { return cmp.Compare(a.LSOA, b.LSOA) })
	}
	return s, nil
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
