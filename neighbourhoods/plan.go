package neighbourhoods

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"pcnmap/internal/contig"
	"pcnmap/teams"
)

// Config says how hard to search.
type Config struct {
	Seed uint64
	// Effort is the number of annealing proposals per block and run (default 1000), Restarts the
	// number of runs from the construction, each with its own stream of the seed, the best kept
	// (default 3). The search is deterministic for a seed when it ends by effort, not by TimeLimit.
	Effort, Restarts int
	// TimeLimit bounds the search (0: none); the plan reached by then is returned.
	TimeLimit time.Duration
	// Start, when set, is the set to improve instead of a construction: each block starts in the team
	// holding most of it, teams are joined whole where a unit holds more than the band allows, and
	// then only moves that improve the band or the score are made.
	Start *teams.Set
	// Name is the name of the set the plan is returned as.
	Name string
	// noGreedyStart leaves teams suggest's grouping out of the starts (to measure what the
	// designer's own construction and search reach without it).
	noGreedyStart bool
}

// Neighbourhood is one neighbourhood of a plan.
type Neighbourhood struct {
	Name       string
	Unit       string // the nesting unit's code ("" with no nesting)
	Registered float64
	Blocks     []string // block codes, sorted
	// Violation says how and why it breaks the band ("" when it is within).
	Violation string
}

// Move is a block that changed neighbourhood from the starting set.
type Move struct {
	Block string `json:"block"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Plan is a designed partition with its figures.
type Plan struct {
	Set            *teams.Set
	Neighbourhoods []Neighbourhood
	Band           Band
	// Score is the alignment score; Construction the score of the starting plan before the local
	// search; Bound a true upper bound of the score under the band and nesting (see Bound).
	Score, Construction, Bound float64
	// Outside is by how many residents the neighbourhoods miss the band, summed; ConstructionOutside
	// the same for the construction (or the starting set).
	Outside, ConstructionOutside float64
	// Boundary is the length of boundary between neighbourhoods in km (the compactness tie-breaker).
	Boundary float64
	// Merges lists, with Config.Start, the neighbourhoods made by joining whole teams of the starting
	// set where its units held more than the band allows (see mergeStart); Moves the blocks then moved.
	Merges []Merge
	Moves  []Move
	// Iterations of the annealing out of Budget; TimedOut when the time limit or context ended it.
	Iterations, Budget int
	TimedOut           bool
	Elapsed            time.Duration
}

// Design makes a plan: a construction grown from PCN cores and brought into the band by improving
// moves (or cfg.Start as it is), then the local search.
func (pr *Problem) Design(ctx context.Context, cfg Config) (*Plan, error) {
	t0 := time.Now()
	var deadline time.Time
	if cfg.TimeLimit > 0 {
		deadline = t0.Add(cfg.TimeLimit)
	}
	if cfg.Effort <= 0 {
		cfg.Effort = 1000
	}
	if cfg.Restarts <= 0 {
		cfg.Restarts = 3
	}
	var of, unit []int32
	var start []int32
	var startNames []string
	var startOrder []int
	var merges []Merge
	if cfg.Start != nil {
		var err error
		if of, unit, startNames, startOrder, err = pr.fromSet(cfg.Start); err != nil {
			return nil, err
		}
		of, unit, startNames, startOrder, merges = pr.mergeStart(of, unit, startNames, startOrder)
		start = slices.Clone(of)
	} else {
		of, unit = pr.construct()
	}
	s := newState(pr, of, unit)
	plan := &Plan{Band: pr.Band, Merges: merges}
	if cfg.Start == nil {
		// The construction ends with a descent into the band, so that it is a plan of the same
		// constraints as the search's.
		var st searchStats
		s.descend(ctx, false, &st)
	}
	plan.Construction, plan.ConstructionOutside = s.sumMax()/max(pr.Total, 1), s.viol
	runs := max(1, cfg.Restarts)
	// The runs start in turn from the construction, from teams suggest's grouping (so that the plan
	// is at least as good as the greedy wherever that grouping can be made a plan), and from a
	// balanced start that meets the band; each start is first brought to a local optimum.
	starts := []*state{s}
	if cfg.Start != nil {
		runs = 1
	} else {
		if g := pr.greedyStart(ctx, s.of, unit); g != nil && !cfg.noGreedyStart {
			starts = append(starts, newState(pr, g, unit))
		}
		if b := pr.balanced(unit); !slices.Contains(b, -1) {
			starts = append(starts, newState(pr, b, unit))
		}
		for _, st := range starts[1:] {
			var ss searchStats
			st.descend(ctx, false, &ss)
		}
	}
	var best *state
	for r := 0; r < runs; r++ {
		try := newState(pr, starts[r%len(starts)].of, unit)
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x6e62686473+uint64(r)))
		st := try.anneal(ctx, rng, cfg.Effort*len(pr.Blocks), deadline, cfg.Start != nil, lam0, lam1)
		plan.Iterations += st.Iterations
		plan.Budget += st.Budget
		plan.TimedOut = plan.TimedOut || st.TimedOut
		if best == nil || better(try.viol, try.sumMax(), try.cut, best.viol, best.sumMax(), best.cut) {
			best = try
		}
		if st.TimedOut {
			break
		}
	}
	// Never worse than a start: a run cut short by the time limit may not have reached them all.
	for _, st := range starts {
		if better(st.viol, st.sumMax(), st.cut, best.viol, best.sumMax(), best.cut) {
			best = st
		}
	}
	if best.viol > 1e-6 && !plan.TimedOut && cfg.Start == nil {
		// A repair run from the best plan: no move may leave more residents outside the band, and
		// the walk among equally banded plans lets slack travel to where it is missing.
		try := newState(pr, best.of, unit)
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x72657061697200))
		st := try.anneal(ctx, rng, cfg.Effort*len(pr.Blocks), deadline, false, 1e4, 1e4)
		plan.Iterations += st.Iterations
		plan.Budget += st.Budget
		plan.TimedOut = plan.TimedOut || st.TimedOut
		if better(try.viol, try.sumMax(), try.cut, best.viol, best.sumMax(), best.cut) {
			best = try
		}
	}
	s = best
	if cfg.Start != nil {
		plan.Budget = 0
	}
	pr.finish(plan, s, cfg, start, startNames, startOrder)
	plan.Bound = pr.UpperBound()
	plan.Elapsed = time.Since(t0)
	return plan, ctx.Err()
}

// fromSet places each block in the team of set holding most of its LSOAs' weight × residents;
// blocks no team holds join a neighbouring team. Teams are split by unit: a team crossing units
// becomes one neighbourhood per unit. A team's part that is not connected stays so: the search only
// moves blocks, and reports it.
func (pr *Problem) fromSet(set *teams.Set) (of, unit []int32, names []string, order []int, err error) {
	w := make([]map[int]float64, len(pr.Blocks)) // block → team → residents
	code := map[string]int32{}                   // LSOA code → block
	lsoa := map[string]int32{}                   // LSOA code → dataset LSOA
	for i, b := range pr.Blocks {
		for _, l := range b.LSOAs {
			code[pr.d.LSOAs[l].Code] = int32(i)
			lsoa[pr.d.LSOAs[l].Code] = l
		}
	}
	for t, team := range set.Teams {
		for _, lw := range team.LSOAs {
			b, ok := code[lw.LSOA]
			if !ok {
				continue
			}
			if w[b] == nil {
				w[b] = map[int]float64{}
			}
			w[b][t] += lw.Weight * float64(pr.d.LSOAs[lsoa[lw.LSOA]].Registered)
		}
	}
	team := make([]int, len(pr.Blocks))
	covered := 0
	for b := range pr.Blocks {
		team[b] = -1
		best := 0.0
		for t := range set.Teams {
			if v := w[b][t]; v > best {
				best, team[b] = v, t
			}
		}
		if team[b] >= 0 {
			covered++
		}
	}
	if covered == 0 {
		return nil, nil, nil, nil, fmt.Errorf("%w: set %q holds none of the region's %ss", ErrInput, set.Name, pr.Opt.Blocks)
	}
	for moved := true; moved; {
		moved = false
		for b := range pr.Blocks {
			if team[b] >= 0 {
				continue
			}
			for _, n := range pr.adj[b] {
				if team[n.B] >= 0 && pr.Blocks[n.B].Unit == pr.Blocks[b].Unit {
					team[b] = team[n.B]
					moved = true
					break
				}
			}
		}
	}
	ids := map[[2]int]int32{}
	of = make([]int32, len(pr.Blocks))
	for b := range pr.Blocks {
		t := team[b]
		if t < 0 {
			t = 0
		}
		key := [2]int{t, int(pr.Blocks[b].Unit)}
		id, ok := ids[key]
		if !ok {
			id = int32(len(unit))
			ids[key] = id
			unit = append(unit, pr.Blocks[b].Unit)
			names = append(names, set.Teams[t].Name)
			order = append(order, t)
		}
		of[b] = id
	}
	// A team split by the nesting becomes one neighbourhood per unit, named with the unit.
	perTeam := map[string]int{}
	for _, n := range names {
		perTeam[n]++
	}
	for i, n := range names {
		if perTeam[n] > 1 {
			names[i] = fmt.Sprintf("%s (%s)", n, pr.Units[unit[i]].Name)
		}
	}
	return of, unit, names, order, nil
}

// finish names the neighbourhoods (unit name and a number, by their first block code; a start's
// teams keep their names), builds the
// set, the violations and, from a start, the moves.
func (pr *Problem) finish(plan *Plan, s *state, cfg Config, start []int32, startNames []string, startOrder []int) {
	n := len(s.unit)
	blocks := make([][]int32, n)
	for b, nb := range s.of {
		blocks[nb] = append(blocks[nb], int32(b))
	}
	order := make([]int, 0, n)
	for i := range blocks {
		if len(blocks[i]) > 0 {
			order = append(order, i)
		}
	}
	first := func(i int) string { return pr.Blocks[blocks[i][0]].Code }
	slices.SortFunc(order, func(a, b int) int {
		if startOrder != nil { // a start's teams keep their order
			return cmp.Or(cmp.Compare(startOrder[a], startOrder[b]), cmp.Compare(pr.Units[s.unit[a]].Name, pr.Units[s.unit[b]].Name))
		}
		return cmp.Or(cmp.Compare(pr.Units[s.unit[a]].Name, pr.Units[s.unit[b]].Name), cmp.Compare(first(a), first(b)))
	})
	names := make([]string, n)
	perUnit := map[int32]int{}
	for _, i := range order {
		perUnit[s.unit[i]]++
		u := pr.Units[s.unit[i]]
		if startNames != nil {
			names[i] = startNames[i]
		} else if u.Code == "" {
			names[i] = fmt.Sprintf("Neighbourhood %d", perUnit[s.unit[i]])
		} else {
			names[i] = fmt.Sprintf("%s %d", u.Name, perUnit[s.unit[i]])
		}
	}
	name := cfg.Name
	if name == "" {
		name = "neighbourhoods"
	}
	set := &teams.Set{Name: name, Source: pr.describe(len(order)), Method: teams.MethodDesigned}
	for _, i := range order {
		nh := Neighbourhood{Name: names[i], Unit: pr.Units[s.unit[i]].Code, Registered: s.pop[i]}
		team := teams.Team{Name: names[i]}
		for _, b := range blocks[i] {
			nh.Blocks = append(nh.Blocks, pr.Blocks[b].Code)
			for _, l := range pr.Blocks[b].LSOAs {
				team.LSOAs = append(team.LSOAs, teams.Weight{LSOA: pr.d.LSOAs[l].Code, Weight: 1})
			}
		}
		slices.Sort(nh.Blocks)
		slices.SortFunc(team.LSOAs, func(a, b teams.Weight) int { return cmp.Compare(a.LSOA, b.LSOA) })
		if out := s.outside(s.pop[i]); out > 0 {
			plan.Outside += out
			u := pr.Units[s.unit[i]]
			why := "the search found no arrangement of the blocks within the band here"
			k := float64(perUnit[s.unit[i]])
			if mean := u.Registered / k; u.Reason != "" {
				why = u.Reason
			} else if mean < pr.Band.Min || mean > pr.Band.Max {
				why = fmt.Sprintf("%s has %.0f residents in %.0f neighbourhood(s), %.0f on average, outside the band", u.Name, u.Registered, k, mean)
			} else if plan.TimedOut {
				why = "the time limit ended the search before it met the band here"
			}
			dir := "below"
			if s.pop[i] > pr.Band.Max {
				dir = "above"
			}
			nh.Violation = fmt.Sprintf("%.0f residents, %s the band %v: %s", s.pop[i], dir, pr.Band, why)
		}
		plan.Neighbourhoods = append(plan.Neighbourhoods, nh)
		set.Teams = append(set.Teams, team)
	}
	plan.Set = set
	plan.Score = s.sumMax() / max(pr.Total, 1)
	plan.Boundary = s.cut / 1000
	if start != nil {
		for b := range start {
			if start[b] != s.of[b] {
				plan.Moves = append(plan.Moves, Move{Block: pr.Blocks[b].Code, From: names[start[b]], To: names[s.of[b]]})
			}
		}
	}
}

func (pr *Problem) describe(n int) string {
	nest := "no nesting"
	if pr.Opt.Nest != 0 {
		nest = "nested in " + pr.Opt.Nest.String()
	}
	where := "all blocks"
	if pr.Opt.Within != "" {
		where = pr.Opt.WithinKind.String() + ":" + pr.Opt.Within
	}
	return fmt.Sprintf("designed: %s, %s blocks, band %v, %d neighbourhoods, %s", where, pr.Opt.Blocks, pr.Band, n, nest)
}

// UpperBound is a true upper bound of the score of any plan of the problem: for each PCN, the most
// of its patients that one set of blocks of one unit within the band's upper limit could hold (a
// fractional knapsack, so contiguity relaxed and a block allowed in part), summed, over the
// region's PCN patients. A unit that cannot meet the band gets no limit (its whole population).
// Every neighbourhood of a plan is such a set, so Σ_p max_N patients(N,p) cannot exceed it.
func (pr *Problem) UpperBound() float64 {
	type item struct {
		v, w float64
	}
	per := make([]map[int32][]item, len(pr.PCNs)) // PCN → unit → items
	for b := range pr.Blocks {
		blk := &pr.Blocks[b]
		for _, c := range blk.cells {
			if per[c.pcn] == nil {
				per[c.pcn] = map[int32][]item{}
			}
			per[c.pcn][blk.Unit] = append(per[c.pcn][blk.Unit], item{c.patients, blk.Registered})
		}
	}
	var sum float64
	for p := range per {
		best := 0.0
		for u, items := range per[p] {
			limit := pr.Band.Max
			if pr.Units[u].Reason != "" {
				limit = pr.Units[u].Registered
			}
			slices.SortFunc(items, func(a, b item) int { return cmp.Compare(b.v*a.w, a.v*b.w) }) // v/w descending
			var got, room = 0.0, limit
			for _, it := range items {
				if it.w <= room {
					got += it.v
					room -= it.w
					continue
				}
				got += it.v * room / it.w
				break
			}
			best = max(best, got)
		}
		sum += best
	}
	return min(1, sum/max(pr.Total, 1))
}

// maxGreedy is the most PCN territories Greedy and the greedy start take on: teams suggest costs
// the cube of their number (a second for about 300).
const maxGreedy = 300

// territories counts the PCNs dominating some block.
func (pr *Problem) territories() int {
	seen := map[int32]bool{}
	for _, b := range pr.Blocks {
		best, bp := 0.0, int32(-1)
		for _, c := range b.cells {
			if c.patients > best {
				best, bp = c.patients, c.pcn
			}
		}
		if bp >= 0 {
			seen[bp] = true
		}
	}
	return len(seen)
}

// asSet is the assignment as a set of teams, one per neighbourhood, of whole LSOAs.
func (pr *Problem) asSet(of []int32, n int) *teams.Set {
	set := &teams.Set{Name: "plan", Method: teams.MethodDesigned, Teams: make([]teams.Team, n)}
	for b, nb := range of {
		for _, l := range pr.Blocks[b].LSOAs {
			set.Teams[nb].LSOAs = append(set.Teams[nb].LSOAs, teams.Weight{LSOA: pr.d.LSOAs[l].Code, Weight: 1})
		}
	}
	for t := range set.Teams {
		set.Teams[t].Name = fmt.Sprint(t)
	}
	return set
}

// greedyStart is teams suggest's grouping at the construction's count (contiguous over the LSOAs
// when the problem has their polygons, as teams suggest makes it then), cut by the units and made
// contiguous within them by the same rule (contig.Repair): the parts of a neighbourhood other than
// its most populous join, block by block, the neighbouring neighbourhood of their unit they share
// most boundary with. Without nesting, over LSOA blocks, it is exactly teams suggest's grouping (the
// repair finds nothing to do), so a plan seeded from it is a plan of the greedy's own terms. It is
// nil when the greedy cannot run, or when cutting it by the units does not give each unit its count.
func (pr *Problem) greedyStart(ctx context.Context, of, unit []int32) []int32 {
	if pr.territories() > maxGreedy {
		return nil
	}
	m, err := teams.NewModel(pr.d, pr.asSet(of, len(unit)))
	if err != nil {
		return nil
	}
	sg, err := m.Suggest(ctx, teams.SuggestOptions{LSOAPolygons: pr.polys})
	if err != nil {
		return nil
	}
	gs := sg.Set
	teamOf := map[string]int{}
	for t, tm := range gs.Teams {
		for _, w := range tm.LSOAs {
			teamOf[w.LSOA] = t
		}
	}
	ids := map[[2]int]int32{}
	var gunit []int32
	g := make([]int32, len(pr.Blocks))
	for b, blk := range pr.Blocks {
		votes := map[int]float64{}
		for _, l := range blk.LSOAs {
			votes[teamOf[pr.d.LSOAs[l].Code]] += float64(pr.d.LSOAs[l].Registered) + 1e-9
		}
		t, best := 0, -1.0
		for tt, v := range votes {
			if v > best || (v == best && tt < t) {
				t, best = tt, v
			}
		}
		key := [2]int{t, int(blk.Unit)}
		id, ok := ids[key]
		if !ok {
			id = int32(len(gunit))
			ids[key] = id
			gunit = append(gunit, blk.Unit)
		}
		g[b] = id
	}
	perUnit := make([]int, len(pr.Units))
	for _, u := range gunit {
		perUnit[u]++
	}
	for u := range pr.Units {
		if perUnit[u] != pr.Units[u].Count {
			return nil
		}
	}
	pop := make([]float64, len(pr.Blocks))
	for b := range pr.Blocks {
		pop[b] = pr.Blocks[b].Registered
	}
	sameUnit := func(b, n int32) bool { return pr.Blocks[n].Unit == pr.Blocks[b].Unit }
	if _, ok := contig.Repair(g, pop, pr.graph.Adj, sameUnit); !ok {
		return nil
	}
	// The neighbourhoods are numbered as the construction's are: by unit, in the order of unit.
	if !slices.Equal(sortedUnits(gunit), sortedUnits(unit)) {
		return nil
	}
	return renumber(g, gunit, unit)
}

func sortedUnits(u []int32) []int32 {
	c := slices.Clone(u)
	slices.Sort(c)
	return c
}

// renumber maps neighbourhood ids numbered with units gunit onto ids numbered with units unit
// (the same multiset), so that a state with unit can hold them.
func renumber(g []int32, gunit, unit []int32) []int32 {
	free := map[int32][]int32{}
	for id, u := range unit {
		free[u] = append(free[u], int32(id))
	}
	to := make([]int32, len(gunit))
	for id, u := range gunit {
		to[id] = free[u][0]
		free[u] = free[u][1:]
	}
	out := make([]int32, len(g))
	for b, id := range g {
		out[b] = to[id]
	}
	return out
}

// GreedyResult is teams suggest's grouping at a plan's count.
type GreedyResult struct {
	Set   *teams.Set
	Score float64
	// Largest and Smallest are its teams' registered residents: the greedy's cap of 1.5 × the mean
	// is soft (when no touching pair fits under it, it merges the smallest pair), so Largest can
	// exceed it.
	Largest, Smallest float64
	// Contiguity is over what its teams are contiguous: over the LSOAs for LSOA blocks, per MSOA
	// only for MSOA blocks (no LSOA polygons there).
	Contiguity teams.Contiguity
	// PerMSOA is, with Contiguity over the LSOAs, the score of the greedy's merge before its teams
	// were made contiguous over the LSOAs (what teams suggest gave before it did so; its teams may
	// fall apart into pieces, which no plan may), and Split how many of its teams did.
	PerMSOA float64
	Split   int
}

// Greedy is teams suggest on the plan's own blocks and count, with the problem's LSOA polygons as
// teams suggest is given them on a workspace that has them: the grouping of whole PCN territories
// made contiguous over the LSOAs, with its score, for comparison.
func (pr *Problem) Greedy(ctx context.Context, plan *Plan) (*GreedyResult, error) {
	if n := pr.territories(); n > maxGreedy {
		return nil, fmt.Errorf("%w: teams suggest skipped: %d PCN territories (its cost grows with the cube; the limit is %d)", ErrInput, n, maxGreedy)
	}
	m, err := teams.NewModel(pr.d, plan.Set)
	if err != nil {
		return nil, err
	}
	sg, err := m.Suggest(ctx, teams.SuggestOptions{LSOAPolygons: pr.polys})
	if err != nil {
		return nil, err
	}
	gm, err := teams.NewModel(pr.d, sg.Set)
	if err != nil {
		return nil, err
	}
	al := gm.Alignment(0)
	g := &GreedyResult{Set: sg.Set, Score: al.Score, Smallest: math.Inf(1), Contiguity: sg.Contiguity, PerMSOA: al.Score, Split: sg.Split}
	for _, t := range al.Teams {
		g.Largest = max(g.Largest, t.Registered)
		g.Smallest = min(g.Smallest, t.Registered)
	}
	if sg.Merged != nil {
		mm, err := teams.NewModel(pr.d, sg.Merged)
		if err != nil {
			return nil, err
		}
		g.PerMSOA = mm.Alignment(0).Score
	}
	return g, nil
}
