package teams

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync/atomic"

	"pcnmap/overlap"
)

// Model is a Set resolved against one release: the team × PCN patient matrix, kept up to date under
// what-if moves without touching the stored set. It is not safe for concurrent Moves.
type Model struct {
	d   *overlap.Dataset
	set *Set // a private copy; its Teams' LSOAs are stale after a Move, member is current
	// member[t] maps LSOA index → weight in team t (LSOA sets only). After Clone the maps are shared
	// with the original until a Move writes to one: owned[t] says whether member[t] is this model's.
	member []map[int32]float64
	owned  []bool
	// shared is set when a clone was taken: every map of m is then shared with it.
	shared *atomic.Bool
	// practiceTeams[i] are the teams holding practice i (practice sets only).
	practiceTeams [][]int32
	*Index        // shared by every model of the release
	// matrix[t][p] = patients(T,p); the last column holds patients of practices in no PCN.
	matrix [][]float64
	// Missing counts LSOA or practice codes of the set absent from the release (ignored).
	Missing int
}

type lsoaCell struct {
	pcn      int32
	patients float64
}

// Index is the part of a Model that depends on the release only: the registered patients summed by
// LSOA and PCN, and the LSOAs by code and by area. Building it reads every registration row (tens of
// milliseconds for England), so a server that resolves many sets builds it once. Read-only once built.
type Index struct {
	d *overlap.Dataset
	// lsoaStart/lsoaCells: patients per LSOA and PCN column (column len(PCNs) is "no PCN").
	lsoaStart []int32
	lsoaCells []lsoaCell
	byArea    [][]int32
	lsoaCode  map[string]int32
}

// NewModel resolves s against d. Codes absent from d are counted in Missing, not refused: a set
// imported on one release may be measured on another.
func NewModel(d *overlap.Dataset, s *Set) (*Model, error) {
	return NewIndex(d).Model(s)
}

// Model resolves s against the index's release (see NewModel).
func (ix *Index) Model(s *Set) (*Model, error) {
	d := ix.d
	if len(s.Teams) == 0 {
		return nil, fmt.Errorf("%w: set %q has no teams", ErrInput, s.Name)
	}
	np := len(d.PCNs)
	m := &Model{d: d, set: s.Clone(), matrix: make([][]float64, len(s.Teams)), Index: ix}
	for t := range m.matrix {
		m.matrix[t] = make([]float64, np+1)
	}
	if s.Method == MethodPractice {
		practice := make(map[string]int32, len(d.Practices))
		for i, p := range d.Practices {
			practice[p.Code] = int32(i)
		}
		share := make([][]int32, len(d.Practices)) // teams per practice
		for t, team := range s.Teams {
			for _, c := range team.Practices {
				i, ok := practice[c]
				if !ok {
					m.Missing++
					continue
				}
				share[i] = append(share[i], int32(t))
			}
		}
		for _, r := range d.Rows {
			ts := share[r.Practice]
			for _, t := range ts {
				m.matrix[t][column(d, r.Practice)] += float64(r.Patients) / float64(len(ts))
			}
		}
		m.practiceTeams = share
		return m, nil
	}
	m.member = make([]map[int32]float64, len(s.Teams))
	m.owned = make([]bool, len(s.Teams))
	m.shared = new(atomic.Bool)
	for t, team := range s.Teams {
		m.owned[t] = true
		m.member[t] = make(map[int32]float64, len(team.LSOAs))
		for _, w := range team.LSOAs {
			l, ok := m.lsoaCode[w.LSOA]
			if !ok {
				m.Missing++
				continue
			}
			m.member[t][l] += w.Weight
			m.addLSOA(t, l, w.Weight)
		}
	}
	return m, nil
}

// NewIndex sums d's registration rows by LSOA and PCN.
func NewIndex(d *overlap.Dataset) *Index {
	np := len(d.PCNs)
	ix := &Index{d: d, lsoaCode: make(map[string]int32, len(d.LSOAs))}
	for l := range d.LSOAs {
		ix.lsoaCode[d.LSOAs[l].Code] = int32(l)
	}
	// Patients per LSOA and PCN column, aggregated from the rows: the rows bucketed by LSOA (a
	// counting sort), then each bucket summed by column with a scratch array.
	start := make([]int32, len(d.LSOAs)+1)
	for _, r := range d.Rows {
		start[r.LSOA+1]++
	}
	for l := 1; l < len(start); l++ {
		start[l] += start[l-1]
	}
	order := make([]int32, len(d.Rows))
	next := slices.Clone(start[:len(start)-1])
	for i, r := range d.Rows {
		order[next[r.LSOA]] = int32(i)
		next[r.LSOA]++
	}
	sum := make([]int64, np+1)
	var cols []int32
	ix.lsoaStart = make([]int32, len(d.LSOAs)+1)
	ix.lsoaCells = make([]lsoaCell, 0, len(d.Rows)/2)
	for l := range d.LSOAs {
		cols = cols[:0]
		for _, i := range order[start[l]:start[l+1]] {
			r := d.Rows[i]
			c := column(d, r.Practice)
			if sum[c] == 0 {
				cols = append(cols, c)
			}
			sum[c] += int64(r.Patients)
		}
		slices.Sort(cols)
		for _, c := range cols {
			if sum[c] > 0 {
				ix.lsoaCells = append(ix.lsoaCells, lsoaCell{pcn: c, patients: float64(sum[c])})
			}
			sum[c] = 0
		}
		ix.lsoaStart[l+1] = int32(len(ix.lsoaCells))
	}
	ix.byArea = make([][]int32, len(d.Areas))
	for l := range d.LSOAs {
		ix.byArea[d.LSOAs[l].Area] = append(ix.byArea[d.LSOAs[l].Area], int32(l))
	}
	return ix
}

// column is the matrix column of a practice's PCN.
func column(d *overlap.Dataset, practice int32) int32 {
	if p := d.Practices[practice].PCN; p != overlap.NoPCN {
		return p
	}
	return int32(len(d.PCNs))
}

func (m *Model) addLSOA(t int, l int32, w float64) {
	row := m.matrix[t]
	for _, c := range m.lsoaCells[m.lsoaStart[l]:m.lsoaStart[l+1]] {
		row[c.pcn] += w * c.patients
	}
}

// Move moves an LSOA, or every LSOA of an MSOA, from team from to team to: the whole weight from
// holds in each. from "" takes the part of each LSOA that no team holds (filling a gap); to ""
// drops it from the teams. It changes the model only; Set returns the edited set for saving. It
// costs a few additions per PCN present in the moved LSOAs.
func (m *Model) Move(code, from, to string) error {
	if m.member == nil {
		return fmt.Errorf("%w: set %q is practice-based: there are no areas to move", ErrInput, m.set.Name)
	}
	team := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		if t, ok := m.set.Team(name); ok {
			return t, nil
		}
		return 0, fmt.Errorf("%w: %q in set %q", ErrNoTeam, name, m.set.Name)
	}
	f, err := team(from)
	if err != nil {
		return err
	}
	t, err := team(to)
	if err != nil {
		return err
	}
	var ls []int32
	if l, ok := m.lsoaCode[code]; ok {
		ls = []int32{l}
	} else if a, ok := m.d.Area(code); ok {
		ls = m.byArea[a]
	} else {
		return fmt.Errorf("%w: %s is neither an LSOA nor an area of release %s", ErrUnknownCode, code, m.d.Release)
	}
	moved := 0
	for _, l := range ls {
		var w float64
		if f >= 0 {
			w = m.member[f][l]
		} else {
			w = 1
			for _, mem := range m.member {
				w -= mem[l]
			}
		}
		if w <= 1e-9 || f == t {
			continue
		}
		if f >= 0 {
			m.addLSOA(f, l, -w)
			delete(m.own(f), l)
		}
		if t >= 0 {
			m.addLSOA(t, l, w)
			m.own(t)[l] += w
		}
		moved++
	}
	if moved == 0 {
		if f < 0 {
			return fmt.Errorf("%w: teams already hold all of %s", ErrInput, code)
		}
		return fmt.Errorf("%w: team %q holds no part of %s", ErrInput, from, code)
	}
	return nil
}

// own returns team t's member map, copying it first if it is shared with the model it was cloned from.
func (m *Model) own(t int) map[int32]float64 {
	if m.shared.Swap(false) {
		clear(m.owned)
	}
	if !m.owned[t] {
		m.member[t] = maps.Clone(m.member[t])
		m.owned[t] = true
	}
	return m.member[t]
}

// Clone returns a model that moves independently of m: the matrix is copied, the per-LSOA tables
// are shared (read-only) and each team's LSOAs are copied on its first move. Cloning a resolved
// model costs O(teams × PCNs), far less than NewModel, which sums every registration row. Several
// goroutines may clone one model at once, but none may Move it meanwhile.
func (m *Model) Clone() *Model {
	c := *m
	c.shared = new(atomic.Bool)
	c.matrix = make([][]float64, len(m.matrix))
	for t, row := range m.matrix {
		c.matrix[t] = slices.Clone(row)
	}
	if m.member != nil {
		c.member = slices.Clone(m.member)
		c.owned = make([]bool, len(m.member))
		m.shared.Store(true) // m copies before its next write, as the clone does
	}
	return &c
}

// AreaTeam is the team holding most of an area's registered patients, and its share of them.
type AreaTeam struct {
	Area  int // index into Dataset.Areas
	Team  int // index into the set's teams
	Share float64
}

// AreaTeams returns, for every area where some team holds patients, the team holding most of them
// (ties to the earlier team) and that team's share of the area's registered patients; in area order.
// It is what colours a map by team and dissolves the areas of a code-list set into team outlines.
func (m *Model) AreaTeams() []AreaTeam {
	perArea := map[int32][]float64{}
	add := func(a int32, t int, v float64) {
		row := perArea[a]
		if row == nil {
			row = make([]float64, len(m.matrix))
			perArea[a] = row
		}
		row[t] += v
	}
	if m.member == nil {
		for _, r := range m.d.Rows {
			ts := m.practiceTeams[r.Practice]
			for _, t := range ts {
				add(m.d.LSOAs[r.LSOA].Area, int(t), float64(r.Patients)/float64(len(ts)))
			}
		}
	} else {
		for t, mem := range m.member {
			for l, w := range mem {
				add(m.d.LSOAs[l].Area, t, w*float64(m.d.LSOAs[l].Registered))
			}
		}
	}
	out := make([]AreaTeam, 0, len(perArea))
	for a, row := range perArea {
		best := 0
		for t := range row {
			if row[t] > row[best] {
				best = t
			}
		}
		if row[best] <= 1e-9 {
			continue
		}
		at := AreaTeam{Area: int(a), Team: best}
		if reg := m.d.Areas[a].Registered; reg > 0 {
			at.Share = math.Min(row[best]/float64(reg), 1)
		}
		out = append(out, at)
	}
	slices.SortFunc(out, func(x, y AreaTeam) int { return cmp.Compare(x.Area, y.Area) })
	return out
}

// Set returns the model's set as it stands after any moves: the original when nothing moved, else
// an edited copy (LSOAs sorted by code) ready to be saved under a new name.
func (m *Model) Set() *Set {
	s := m.set.Clone()
	if m.member == nil {
		return s
	}
	for t := range s.Teams {
		ws := make([]Weight, 0, len(m.member[t]))
		for l, w := range m.member[t] {
			ws = append(ws, Weight{LSOA: m.d.LSOAs[l].Code, Weight: w})
		}
		slices.SortFunc(ws, func(a, b Weight) int { return cmp.Compare(a.LSOA, b.LSOA) })
		if !slices.Equal(ws, s.Teams[t].LSOAs) && s.Method != MethodEdited {
			s.Method = MethodEdited
		}
		s.Teams[t].LSOAs = ws
	}
	if s.Method == MethodEdited {
		for t := range s.Teams {
			s.Teams[t].Geom = nil // the polygons no longer say which LSOAs a team holds
		}
	}
	return s
}
