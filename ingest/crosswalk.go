package ingest

import (
	"fmt"
	"math"
	"slices"

	"pcnmap/nhs"
)

// moved counts what moveRegistrations did, by rule.
type moved struct {
	unchanged, merged, split, complex, kept int64 // patients
	splitLSOAs                              int   // 2011 LSOAs divided
}

// moveRegistrations puts LSOA 2011 registrations on 2021 LSOAs with the ONS crosswalk: a 2011 LSOA
// with one 2021 LSOA (unchanged, or merged with others) moves whole; one with several (split, or
// complex) is divided among them in proportion to weights[lsoa21] (equal shares when weights is nil
// or gives them all nothing), row by row, in whole patients by largest remainder, so that every
// row keeps its patients. Codes the crosswalk does not know (NO2011, Welsh codes absent from it)
// stay as they are. Rows of a practice landing on the same 2021 LSOA are summed.
func moveRegistrations(r *nhs.Registrations, cw *nhs.Crosswalk, weights map[string]float64) (*nhs.Registrations, moved) {
	var m moved
	out := *r
	out.LSOAs = nil
	out.Rows = make([]nhs.Row, 0, len(r.Rows))
	out.LSOAColumn = "LSOA21CD (moved from " + r.LSOAColumn + " by the crosswalk)"
	newIdx := make(map[string]int32, len(r.LSOAs)+2000)
	idx := func(code string) int32 {
		i, ok := newIdx[code]
		if !ok {
			i = int32(len(out.LSOAs))
			out.LSOAs = append(out.LSOAs, code)
			newIdx[code] = i
		}
		return i
	}
	type target struct {
		to     []int32
		w      []float64
		change byte // 'U', 'M', 'S', 'X' or 'K' (kept)
	}
	targets := make([]target, len(r.LSOAs))
	for i, code := range r.LSOAs {
		to, ok := cw.To[code]
		if !ok {
			targets[i] = target{to: []int32{idx(code)}, change: 'K'}
			continue
		}
		t := target{change: 'U'}
		if ch := cw.Change[code]; ch != "" {
			t.change = ch[0]
		}
		for _, c := range to {
			t.to = append(t.to, idx(c))
		}
		if len(to) == 1 {
			if t.change != 'M' && to[0] != code {
				t.change = 'M'
			}
		} else {
			if t.change != 'X' {
				t.change = 'S'
			}
			var sum float64
			t.w = make([]float64, len(to))
			for j, c := range to {
				if w := weights[c]; w > 0 && !math.IsInf(w, 0) {
					t.w[j] = w
					sum += w
				}
			}
			if sum == 0 {
				for j := range t.w {
					t.w[j] = 1
				}
			}
			m.splitLSOAs++
		}
		targets[i] = t
	}
	pos := make(map[uint64]int32, len(r.Rows))
	add := func(practice, lsoa, n int32) {
		if n == 0 {
			// A zero row stays a row only where it was one: a split does not invent empty rows.
			return
		}
		k := uint64(uint32(practice))<<32 | uint64(uint32(lsoa))
		if i, ok := pos[k]; ok {
			out.Rows[i].Patients += n
			return
		}
		pos[k] = int32(len(out.Rows))
		out.Rows = append(out.Rows, nhs.Row{Practice: practice, LSOA: lsoa, Patients: n})
	}
	var shares []int32
	var order []int
	var frac []float64
	for _, row := range r.Rows {
		t := &targets[row.LSOA]
		n := int64(row.Patients)
		switch t.change {
		case 'K':
			m.kept += n
		case 'U':
			m.unchanged += n
		case 'M':
			m.merged += n
		case 'S':
			m.split += n
		default:
			m.complex += n
		}
		if len(t.to) == 1 {
			k := uint64(uint32(row.Practice))<<32 | uint64(uint32(t.to[0]))
			if _, ok := pos[k]; !ok && row.Patients == 0 {
				pos[k] = int32(len(out.Rows))
				out.Rows = append(out.Rows, row)
				out.Rows[len(out.Rows)-1].LSOA = t.to[0]
				continue
			}
			add(row.Practice, t.to[0], row.Patients)
			continue
		}
		// Largest remainder: floors first, then one more to the largest fractional parts (the
		// earlier 2021 LSOA on a tie), so the shares sum to the row's patients exactly.
		var w float64
		for _, x := range t.w {
			w += x
		}
		shares, frac, order = shares[:0], frac[:0], order[:0]
		var given int64
		for j, x := range t.w {
			q := float64(n) * x / w
			f := math.Floor(q)
			shares = append(shares, int32(f))
			frac = append(frac, q-f)
			order = append(order, j)
			given += int64(f)
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case frac[a] > frac[b]:
				return -1
			case frac[a] < frac[b]:
				return 1
			}
			return 0
		})
		for k := 0; given < n; k++ {
			shares[order[k%len(order)]]++
			given++
		}
		for j, s := range shares {
			add(row.Practice, t.to[j], s)
		}
	}
	return &out, m
}

// note describes a move for the release's notes.
func (m moved) note(source string, weighted bool) string {
	rule := "in equal shares"
	if weighted {
		rule = "in proportion to --crosswalk-weights"
	}
	return fmt.Sprintf("moved onto 2021 LSOAs with %s: %d patients of unchanged LSOAs as they were, %d of merged LSOAs summed, %d of %d split or complex LSOAs divided %s (%d split, %d complex) in whole patients by largest remainder; %d patients with codes the crosswalk lacks kept as they were",
		source, m.unchanged, m.merged, m.split+m.complex, m.splitLSOAs, rule, m.split, m.complex, m.kept)
}
