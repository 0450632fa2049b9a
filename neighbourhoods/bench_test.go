package neighbourhoods

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"pcnmap/fixtures"
	"pcnmap/internal/contig"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/teams"
)

func national(b *testing.B) *overlap.Dataset { return fixtures.NationalDataset(b) }

// discontiguous counts the teams of set whose blocks are not connected in the block graph.
func (pr *Problem) discontiguous(set *teams.Set) int {
	team := map[string]int{}
	for t, tm := range set.Teams {
		for _, w := range tm.LSOAs {
			team[w.LSOA] = t
		}
	}
	of := make([]int32, len(pr.Blocks))
	for b, blk := range pr.Blocks {
		of[b] = int32(team[pr.d.LSOAs[blk.LSOAs[0]].Code])
	}
	return contig.Parts(of, pr.adj)
}

// BenchmarkICB designs Greater Manchester ICB (E54000057, ~1,700 LSOAs) at the defaults: LSOA blocks,
// 30k–50k, nested in local authorities, the default effort and time limit.
func BenchmarkICB(b *testing.B) {
	d := national(b)
	opt := Options{WithinKind: nhs.KindICB, Within: "E54000057"}
	b.ReportAllocs()
	b.ResetTimer()
	var plan *Plan
	for i := 0; i < b.N; i++ {
		pr, err := Build(d, d.LSOAPolygons, opt)
		if err != nil {
			b.Fatal(err)
		}
		if plan, err = pr.Design(context.Background(), Config{Seed: 1, TimeLimit: 30 * time.Second}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(plan.Score, "score")
	b.ReportMetric(plan.Construction, "construction")
	b.ReportMetric(plan.Bound, "bound")
	b.ReportMetric(float64(len(plan.Neighbourhoods)), "neighbourhoods")
}

// BenchmarkEngland designs every ICB of England twice, two at a time on the machine's cores: under
// the band and nesting (the defaults), and on teams suggest's own terms (the banded plan's count, or
// half the PCN territories where there are fewer territories than that, as the greedy cannot make
// more teams than territories; no nesting; its cap of 1.5 × the mean population, or its largest
// team where it breaks that soft cap) against the greedy, teams suggest as it is on a workspace with
// LSOA polygons: contiguous over the LSOAs. On those terms it designs twice, with the greedy among
// its starts and without it (the designer's own construction and search). It reports the wall time of the banded
// designs, the mean gap to the bound, how many banded plans break the band, and how many plans fall
// below the greedy or below their construction.
func BenchmarkEngland(b *testing.B) {
	d := national(b)
	icbs := map[string]bool{}
	for _, l := range d.LSOAs {
		if c := l.Units[nhs.KindICB]; c != "" {
			icbs[c] = true
		}
	}
	var codes []string
	for c := range icbs {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	type result struct {
		code                       string
		blocks, count, broken      int
		greedyCount                int
		score, construction, bound float64
		greedyTerms, greedy        float64
		unseeded, perMSOA          float64 // the plan without the greedy start; the greedy's merge before contiguity
		elapsed, greedyElapsed     time.Duration
		timedOut, greedyOverCap    bool
		greedySplit                int // greedy teams not contiguous over the blocks (must be 0)
		perMSOASplit               int // teams of its merge that fell apart before they were made contiguous
	}
	for i := 0; i < b.N; i++ {
		results := make([]result, len(codes))
		run := func(j int) {
			r := &results[j]
			r.code = codes[j]
			pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: r.code})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			plan, err := pr.Design(context.Background(), Config{Seed: 1, TimeLimit: 30 * time.Second})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			r.blocks, r.count, r.score, r.construction, r.bound, r.elapsed, r.timedOut = len(pr.Blocks), len(plan.Neighbourhoods), plan.Score, plan.Construction, plan.Bound, plan.Elapsed, plan.TimedOut
			for _, n := range plan.Neighbourhoods {
				if n.Violation != "" {
					r.broken++
				}
			}
		}
		greedy := func(j int) {
			r := &results[j]
			pr, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: r.code})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			// The greedy's terms: its count, no nesting, and its cap of 1.5 × the mean, or its own
			// largest team where it breaks that cap (its cap is soft), so that its grouping is a plan
			// of the same constraints.
			t0 := time.Now()
			r.greedyCount = r.count
			if n := pr.territories(); n < r.count {
				r.greedyCount = n / 2 // the greedy cannot make more teams than PCN territories
			}
			cp, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: r.code, NoNest: true, Count: r.greedyCount})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			cplan, err := cp.Design(context.Background(), Config{Seed: 1, Effort: 1, Restarts: 1})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			g, err := cp.Greedy(context.Background(), cplan)
			if err != nil {
				b.Log(r.code, "greedy:", err)
				r.greedy, r.greedyTerms = -1, -1
				return
			}
			r.greedy, r.perMSOA, r.perMSOASplit = g.Score, g.PerMSOA, g.Split
			r.greedySplit = cp.discontiguous(g.Set)
			var total float64
			for _, blk := range pr.Blocks {
				total += blk.Registered
			}
			limit := max(1.5*total/float64(r.greedyCount), g.Largest)
			r.greedyOverCap = g.Largest > 1.5*total/float64(r.greedyCount)
			gp, err := Build(d, d.LSOAPolygons, Options{WithinKind: nhs.KindICB, Within: r.code, NoNest: true, Count: r.greedyCount, Band: Band{Max: limit}})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			gplan, err := gp.Design(context.Background(), Config{Seed: 1, TimeLimit: 30 * time.Second})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			r.greedyTerms = gplan.Score
			r.greedyElapsed = time.Since(t0)
			// The designer's own construction and search, without the greedy among its starts.
			uplan, err := gp.Design(context.Background(), Config{Seed: 1, TimeLimit: 30 * time.Second, noGreedyStart: true})
			if err != nil {
				b.Error(r.code, err)
				return
			}
			r.unseeded = uplan.Score
		}
		b.ResetTimer()
		parallel := func(fn func(int)) time.Duration {
			start := time.Now()
			var wg sync.WaitGroup
			next := make(chan int)
			for range 2 {
				wg.Go(func() {
					for j := range next {
						fn(j)
					}
				})
			}
			for j := range codes {
				next <- j
			}
			close(next)
			wg.Wait()
			return time.Since(start)
		}
		wall := parallel(run)
		greedyWall := parallel(greedy)
		b.StopTimer()
		var gap float64
		var broken, belowGreedy, belowConstruction, timedOut, compared, overCap, greedySplitICBs int
		var unseededBelow, perMSOASplitICBs int
		var unseededGap, contiguityCost float64
		var slowest time.Duration
		for _, r := range results {
			b.Logf("%s %5d LSOAs %3d nbhds: score %.4f construction %.4f bound %.4f broken %d %v | greedy's terms at %d: plan %.4f (unseeded %.4f) greedy %.4f contiguous over the LSOAs, %d teams not (per MSOA only %.4f, %d teams fallen apart; over its cap %v) %v",
				r.code, r.blocks, r.count, r.score, r.construction, r.bound, r.broken, r.elapsed.Round(time.Millisecond), r.greedyCount, r.greedyTerms, r.unseeded, r.greedy, r.greedySplit, r.perMSOA, r.perMSOASplit, r.greedyOverCap, r.greedyElapsed.Round(time.Millisecond))
			gap += r.bound - r.score
			broken += r.broken
			if r.greedy >= 0 && r.greedyTerms < r.greedy-1e-9 {
				belowGreedy++
			}
			if r.greedy >= 0 {
				compared++
				if r.unseeded < r.greedy-1e-9 {
					unseededBelow++
					unseededGap = max(unseededGap, r.greedy-r.unseeded)
				}
				contiguityCost += r.perMSOA - r.greedy
				if r.perMSOASplit > 0 {
					perMSOASplitICBs++
				}
			}
			if r.greedyOverCap {
				overCap++
			}
			if r.greedySplit > 0 {
				greedySplitICBs++
			}
			if r.score < r.construction-1e-9 {
				belowConstruction++
			}
			if r.timedOut {
				timedOut++
			}
			slowest = max(slowest, r.elapsed)
		}
		b.ReportMetric(wall.Seconds(), "s_all_ICBs_banded")
		b.ReportMetric(greedyWall.Seconds(), "s_all_ICBs_greedy_terms")
		b.ReportMetric(gap/float64(len(results)), "mean_gap_to_bound")
		b.ReportMetric(float64(broken), "neighbourhoods_off_band")
		b.ReportMetric(float64(belowGreedy), "ICBs_below_greedy")
		b.ReportMetric(float64(compared), "ICBs_with_greedy")
		b.ReportMetric(float64(unseededBelow), "ICBs_unseeded_below_greedy")
		b.ReportMetric(unseededGap, "max_gap_unseeded_below_greedy")
		b.ReportMetric(float64(perMSOASplitICBs), "ICBs_greedy_merge_fell_apart")
		b.ReportMetric(contiguityCost/float64(max(compared, 1)), "mean_cost_of_greedy_contiguity")
		b.ReportMetric(float64(overCap), "ICBs_greedy_over_its_cap")
		b.ReportMetric(float64(greedySplitICBs), "ICBs_greedy_not_contiguous")
		b.ReportMetric(float64(belowConstruction), "ICBs_below_construction")
		b.ReportMetric(float64(timedOut), "timed_out")
		b.ReportMetric(slowest.Seconds(), "s_slowest_ICB")
	}
}
