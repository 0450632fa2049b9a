package neighbourhoods

import (
	"context"
	"fmt"
	"math"

	"pcnmap/overlap"
	"pcnmap/teams"
)

// SmallPCN is the list size under which a PCN is flagged (the PCN contract's 30,000).
const SmallPCN = 30000

// PracticeMove is one proposed membership change and its effect, in the order proposed (each
// assumes the ones before it).
type PracticeMove struct {
	overlap.Membership
	Name string // the practice's
	// Neighbourhood is the one holding most of the practice's patients.
	Neighbourhood string
	// Score before and after the move.
	Before, After float64
	// List sizes of the PCN left and the PCN joined, before and after.
	FromList, ToList [2]int64
	// Small flags a PCN left under SmallPCN by the move.
	Small bool
	// The main neighbourhood of each PCN, before and after.
	FromMain, ToMain [2]string
}

// Realign proposes up to max practice → PCN moves that most raise set's alignment score, greedily:
// at each step, of every practice and every PCN holding at least the threshold share t of the
// registered residents of the practice's main neighbourhood (a PCN that is there, not one with a
// handful of patients), the move adding most to the score (ties to the lower practice code, then PCN
// code); a practice moves at most once and a PCN keeps at least one practice. It stops early when no
// move raises the score. Only patients living in the set's teams count, as in the score.
func Realign(ctx context.Context, d *overlap.Dataset, set *teams.Set, t float64, max int) ([]PracticeMove, error) {
	if set.Method == teams.MethodPractice {
		return nil, fmt.Errorf("%w: set %q is practice-based: moving practices would move its teams", ErrInput, set.Name)
	}
	nt := len(set.Teams)
	if nt == 0 {
		return nil, fmt.Errorf("%w: set %q has no teams", ErrInput, set.Name)
	}
	lsoa := make(map[string]int32, len(d.LSOAs))
	for i := range d.LSOAs {
		lsoa[d.LSOAs[i].Code] = int32(i)
	}
	type tw struct {
		team int
		w    float64
	}
	weights := map[int32][]tw{}
	for t, tm := range set.Teams {
		for _, w := range tm.LSOAs {
			if l, ok := lsoa[w.LSOA]; ok {
				weights[l] = append(weights[l], tw{t, w.Weight})
			}
		}
	}
	// g[practice][team]: its patients living in each team; pcn[p][team] the PCN sums.
	g := map[int32][]float64{}
	pcn := make([][]float64, len(d.PCNs))
	var total float64
	for _, r := range d.Rows {
		p := d.Practices[r.Practice].PCN
		ws := weights[r.LSOA]
		if p == overlap.NoPCN || len(ws) == 0 {
			continue
		}
		row := g[r.Practice]
		if row == nil {
			row = make([]float64, nt)
			g[r.Practice] = row
		}
		if pcn[p] == nil {
			pcn[p] = make([]float64, nt)
		}
		for _, x := range ws {
			v := x.w * float64(r.Patients)
			row[x.team] += v
			pcn[p][x.team] += v
			total += v
		}
	}
	registered := make([]float64, nt)
	for _, r := range d.Rows {
		for _, x := range weights[r.LSOA] {
			registered[x.team] += x.w * float64(r.Patients)
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: set %q holds no PCN patients", ErrInput, set.Name)
	}
	rowMax := func(row []float64) (float64, int) {
		best, at := 0.0, -1
		for t, v := range row {
			if v > best {
				best, at = v, t
			}
		}
		return best, at
	}
	var sum float64
	for _, row := range pcn {
		if row != nil {
			v, _ := rowMax(row)
			sum += v
		}
	}
	members := make([]int, len(d.PCNs))
	list := make([]int64, len(d.PCNs))
	for _, pr := range d.Practices {
		if pr.PCN != overlap.NoPCN {
			members[pr.PCN]++
		}
	}
	for p := range d.PCNs {
		list[p] = d.PCNs[p].ListSize
	}
	moved := map[int32]bool{}
	scratch := make([]float64, nt)
	teamName := func(t int) string {
		if t < 0 {
			return ""
		}
		return set.Teams[t].Name
	}
	var out []PracticeMove
	for len(out) < max {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		bestGain, bg, bq := 1e-9, int32(-1), int32(-1)
		for gi := range d.Practices {
			gi := int32(gi)
			row, ok := g[gi]
			if !ok || moved[gi] {
				continue
			}
			from := d.Practices[gi].PCN
			if members[from] < 2 {
				continue
			}
			_, home := rowMax(row)
			if home < 0 {
				continue
			}
			oldFrom, _ := rowMax(pcn[from])
			for t := range scratch {
				scratch[t] = pcn[from][t] - row[t]
			}
			newFrom, _ := rowMax(scratch)
			for q := range pcn {
				if pcn[q] == nil || int32(q) == from || pcn[q][home] <= 0 || pcn[q][home] < t*registered[home] {
					continue
				}
				oldTo, _ := rowMax(pcn[q])
				newTo := 0.0
				for t, v := range pcn[q] {
					newTo = math.Max(newTo, v+row[t])
				}
				gain := newFrom - oldFrom + newTo - oldTo
				if gain > bestGain+1e-9 { // practices and PCNs go in code order: ties to the first

					bestGain, bg, bq = gain, gi, int32(q)
				}
			}
		}
		if bg < 0 {
			break
		}
		row, from, to := g[bg], d.Practices[bg].PCN, bq
		_, home := rowMax(row)
		_, fm0 := rowMax(pcn[from])
		_, tm0 := rowMax(pcn[to])
		mv := PracticeMove{
			Membership:    overlap.Membership{Practice: d.Practices[bg].Code, From: d.PCNs[from].Code, To: d.PCNs[to].Code},
			Name:          d.Practices[bg].Name,
			Neighbourhood: teamName(home),
			Before:        sum / total,
		}
		for t := range row {
			pcn[from][t] -= row[t]
			pcn[to][t] += row[t]
		}
		sum += bestGain
		ls := d.Practices[bg].ListSize
		mv.FromList = [2]int64{list[from], list[from] - ls}
		mv.ToList = [2]int64{list[to], list[to] + ls}
		list[from] -= ls
		list[to] += ls
		members[from]--
		members[to]++
		_, fm1 := rowMax(pcn[from])
		_, tm1 := rowMax(pcn[to])
		mv.FromMain = [2]string{teamName(fm0), teamName(fm1)}
		mv.ToMain = [2]string{teamName(tm0), teamName(tm1)}
		mv.Small = mv.FromList[1] < SmallPCN
		mv.After = sum / total
		moved[bg] = true
		out = append(out, mv)
	}
	return out, nil
}
