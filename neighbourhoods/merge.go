package neighbourhoods

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Merge is a neighbourhood of a plan made, from a starting set, of several of its teams.
type Merge struct {
	Name string   `json:"name"`
	Of   []string `json:"of"` // the starting set's teams it joins, most residents first
}

// mergeStart joins a starting set's neighbourhoods where a unit holds more of them than the band
// allows (their mean below the band's lower limit: Sheffield's 147 community neighbourhoods
// average 4,000 residents), or more than --count gives it, until the unit has the count a design
// would give it. Each step takes the unit's smallest neighbourhood and joins it to the adjacent one
// (same unit) that most raises the alignment score, preferring a join that stays within the band's
// upper limit, then the longer shared boundary; teams are joined whole, so no block moves. The
// joined neighbourhood is named after its most populous team with how many others it holds.
// It returns the new assignment, units, names and order (each the most populous team's), and the
// joins made.
func (pr *Problem) mergeStart(of, unit []int32, names []string, order []int) ([]int32, []int32, []string, []int, []Merge) {
	n := len(unit)
	target := make([]int, len(pr.Units))
	count := make([]int, len(pr.Units))
	for _, u := range unit {
		count[u]++
	}
	join := false
	for u := range pr.Units {
		limit := math.MaxInt // the most neighbourhoods the band allows the unit
		if pr.Band.Min > 0 {
			limit = max(1, int(math.Floor(pr.Units[u].Registered/pr.Band.Min+1e-9)))
		}
		if count[u] > pr.Units[u].Count && (count[u] > limit || pr.Opt.Count > 0) {
			target[u] = pr.Units[u].Count
			join = true
		} else {
			target[u] = count[u]
		}
	}
	if !join {
		return of, unit, names, order, nil
	}
	pop := make([]float64, n)
	pat := make([][]float64, n) // neighbourhood → PCN patients
	into := make([]int32, n)    // what each neighbourhood was joined to (itself while it lives)
	for i := range pat {
		pat[i] = make([]float64, len(pr.PCNs))
	}
	for b, nb := range of {
		pop[nb] += pr.Blocks[b].Registered
		for _, c := range pr.Blocks[b].cells {
			pat[nb][c.pcn] += c.patients
		}
	}
	shared := make([]map[int32]float64, n) // neighbourhood → adjacent neighbourhood → boundary
	for i := range shared {
		shared[i] = map[int32]float64{}
	}
	for _, e := range pr.Edges {
		a, b := of[e.A], of[e.B]
		if a != b {
			shared[a][b] += e.Length
			shared[b][a] += e.Length
		}
	}
	members := make([][]int, n) // neighbourhood → starting neighbourhoods it holds
	for i := range members {
		members[i] = []int{i}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i], into[i] = true, int32(i)
	}
	// Per PCN its largest patients(N, p) over the live neighbourhoods: every one is alive yet.
	mx := make([]float64, len(pr.PCNs))
	for i := range pat {
		for p, v := range pat[i] {
			mx[p] = max(mx[p], v)
		}
	}
	stuck := make([]bool, n)
	for {
		small := int32(-1)
		for i := range n {
			if alive[i] && !stuck[i] && count[unit[i]] > target[unit[i]] && (small < 0 || pop[i] < pop[small]) {
				small = int32(i)
			}
		}
		if small < 0 {
			break
		}
		best, bestFits, bestGain, bestLen := int32(-1), false, 0.0, 0.0
		for m, length := range shared[small] {
			if !alive[m] || unit[m] != unit[small] {
				continue
			}
			fits := pop[small]+pop[m] <= pr.Band.Max
			gain := 0.0
			for p := range mx {
				gain += max(0, pat[small][p]+pat[m][p]-mx[p])
			}
			better := best < 0 || (fits && !bestFits) ||
				(fits == bestFits && (gain > bestGain+1e-9 || (math.Abs(gain-bestGain) <= 1e-9 && (length > bestLen || (length == bestLen && m < best)))))
			if better {
				best, bestFits, bestGain, bestLen = m, fits, gain, length
			}
		}
		if best < 0 {
			stuck[small] = true // no neighbour in its unit: it stays as it is
			continue
		}
		keep, gone := best, small // the joined neighbourhood keeps the more populous one's id
		if pop[gone] > pop[keep] || (pop[gone] == pop[keep] && gone < keep) {
			keep, gone = gone, keep
		}
		pop[keep] += pop[gone]
		for p, v := range pat[gone] {
			pat[keep][p] += v
			mx[p] = max(mx[p], pat[keep][p])
		}
		for m, length := range shared[gone] {
			delete(shared[m], gone)
			if m != keep {
				shared[keep][m] += length
				shared[m][keep] += length
			}
		}
		delete(shared[keep], gone)
		members[keep] = append(members[keep], members[gone]...)
		alive[gone], into[gone] = false, keep
		count[unit[keep]]--
	}
	startPop := make([]float64, n) // each starting team's residents, to order a join's teams by
	for b, nb := range of {
		startPop[nb] += pr.Blocks[b].Registered
	}
	// Renumber the live neighbourhoods in their first order.
	id := make([]int32, n)
	var newUnit []int32
	var newNames []string
	var newOrder []int
	var merges []Merge
	for i := range n {
		if !alive[i] {
			continue
		}
		id[i] = int32(len(newUnit))
		newUnit = append(newUnit, unit[i])
		name := names[i]
		newOrder = append(newOrder, order[i])
		if k := len(members[i]); k > 1 {
			ms := slices.Clone(members[i])
			slices.SortStableFunc(ms, func(a, b int) int { return cmp.Compare(startPop[b], startPop[a]) })
			joined := make([]string, len(ms))
			for j, m := range ms {
				joined[j] = names[m]
			}
			name = fmt.Sprintf("%s and %d more", names[ms[0]], k-1)
			merges = append(merges, Merge{Name: name, Of: joined})
		}
		newNames = append(newNames, name)
	}
	for i := range n {
		r := int32(i)
		for !alive[r] {
			r = into[r]
		}
		id[i] = id[r]
	}
	out := make([]int32, len(of))
	for b, nb := range of {
		out[b] = id[nb]
	}
	return out, newUnit, newNames, newOrder, merges
}
