package overlap

import (
	"cmp"
	"context"
	"math"
	"slices"

	"pcnmap/nhs"
)

// Stats describes a distribution of whole numbers (PCNs per area, practices per PCN).
// SD is the sample standard deviation (n−1); percentiles interpolate linearly between order
// statistics (Hyndman and Fan's type 7, the default of R and NumPy).
type Stats struct {
	N      int     `json:"n"`
	Mean   float64 `json:"mean"`
	SD     float64 `json:"sd"`
	Min    int64   `json:"min"`
	P10    float64 `json:"p10"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    int64   `json:"max"`
	// Histogram[k] is how many values equal k; only set for small counts such as PCNs per area.
	Histogram []int `json:"histogram,omitempty"`
}

// Describe summarises values; with histogram it also counts each value. values is sorted in place.
func Describe(values []int64, histogram bool) Stats {
	s := Stats{N: len(values)}
	if len(values) == 0 {
		return s
	}
	sortInts(values)
	var sum float64
	for _, v := range values {
		sum += float64(v)
	}
	s.Mean = sum / float64(len(values))
	if len(values) > 1 {
		var ss float64
		for _, v := range values {
			d := float64(v) - s.Mean
			ss += d * d
		}
		s.SD = math.Sqrt(ss / float64(len(values)-1))
	}
	s.Min, s.Max = values[0], values[len(values)-1]
	s.P10, s.Median, s.P90 = quantile(values, 0.1), quantile(values, 0.5), quantile(values, 0.9)
	if histogram && s.Min >= 0 {
		s.Histogram = make([]int, s.Max+1)
		for _, v := range values {
			s.Histogram[v]++
		}
	}
	return s
}

// sortInts sorts values in place: by counting when they span a small range (PCNs per area: a few
// dozen values among thousands), else by slices.Sort. Either way the result is the same slice.
func sortInts(values []int64) {
	if len(values) < 64 {
		slices.Sort(values)
		return
	}
	lo, hi := values[0], values[0]
	for _, v := range values[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := uint64(hi) - uint64(lo) // hi ≥ lo, so the difference fits even when hi - lo overflows
	if span >= uint64(len(values)) || span >= 1<<16 {
		slices.Sort(values)
		return
	}
	counts := make([]int32, span+1)
	for _, v := range values {
		counts[v-lo]++
	}
	i := 0
	for k, n := range counts {
		for v := lo + int64(k); n > 0; n-- {
			values[i] = v
			i++
		}
	}
}

// quantile of sorted values, type 7.
func quantile(sorted []int64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return float64(sorted[len(sorted)-1])
	}
	return float64(sorted[lo]) + (h-float64(lo))*float64(sorted[lo+1]-sorted[lo])
}

// AreaSummary describes PCNs per area over a set of areas, at t = 0 and at the threshold.
type AreaSummary struct {
	Code       string `json:"code,omitempty"`
	Name       string `json:"name,omitempty"`
	Areas      int    `json:"areas"`
	Registered int64  `json:"registered"`
	Any        Stats  `json:"pcns_any"`
	At         Stats  `json:"pcns"`
}

// ListSizes describes PCN list sizes against the 30k–50k range the PCN contract expects.
type ListSizes struct {
	Stats
	Below30k    float64 `json:"share_below_30k"`
	From30To50k float64 `json:"share_30k_to_50k"`
	Above50k    float64 `json:"share_above_50k"`
}

// UnitPCNs describes the PCNs of one CCG, Sub-ICB or ICB. A PCN belongs to the unit where most of its
// resident patients live; Population is the sum of those PCNs' list sizes.
type UnitPCNs struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	PCNs       int     `json:"pcns"`
	Population int64   `json:"population"`
	Largest    float64 `json:"largest_share"`
	Ratio      float64 `json:"largest_to_smallest"`
}

// Summary is the report's summary.json: the distribution of PCNs per area for England and broken
// down by context unit, the PCN list-size distribution, and how every registration row was used.
type Summary struct {
	Release     string                   `json:"release"`
	ExtractDate string                   `json:"extract_date,omitempty"`
	AsOf        string                   `json:"as_of,omitempty"`
	Threshold   float64                  `json:"threshold"`
	Practices   int                      `json:"practices"`
	PCNs        int                      `json:"pcns"`
	All         AreaSummary              `json:"areas"`
	By          map[string][]AreaSummary `json:"breakdowns,omitempty"`
	ListSizes   ListSizes                `json:"pcn_list_sizes"`
	PracticesBy Stats                    `json:"practices_per_pcn"`
	PCNUnits    map[string][]UnitPCNs    `json:"pcns_by_unit,omitempty"`
	Coverage    Coverage                 `json:"coverage"`
	// Incomplete counts the areas Dataset.Complete says are not complete; CompleteAreas is All on
	// the complete areas alone, when some are not.
	Incomplete    int          `json:"incomplete_areas"`
	CompleteAreas *AreaSummary `json:"complete_areas,omitempty"`
}

// breakdownKinds are the context kinds summaries are broken down by.
var breakdownKinds = []nhs.Kind{nhs.KindRegion, nhs.KindNHSRegion, nhs.KindLA, nhs.KindCCG, nhs.KindSTP, nhs.KindSubICB, nhs.KindICB, nhs.KindRurality}

// pcnUnitKinds are the kinds PCNs are grouped by for UnitPCNs.
var pcnUnitKinds = []nhs.Kind{nhs.KindCCG, nhs.KindSubICB, nhs.KindICB}

// Headline is the part of the summary at threshold t, from area metrics am, that a document and
// the command's printed summary show: the release, its counts and coverage, and the PCNs per area
// over all areas (and the complete ones). Summarise adds the breakdowns by unit, the list sizes and
// the PCNs by unit, which only summary.json holds.
func (d *Dataset) Headline(t float64, am []AreaMetrics) *Summary {
	s := &Summary{Release: d.Release, Threshold: t, Practices: len(d.Practices), PCNs: len(d.PCNs), Coverage: d.Coverage}
	if !d.ExtractDate.IsZero() {
		s.ExtractDate = d.ExtractDate.Format("2006-01-02")
	}
	if !d.AsOf.IsZero() {
		s.AsOf = d.AsOf.Format("2006-01-02")
	}
	all := make([]int32, len(d.Areas))
	for i := range all {
		all[i] = int32(i)
	}
	s.All = d.areaSummary(all, am)
	var complete []int32
	for i, ok := range d.Complete() {
		if ok {
			complete = append(complete, int32(i))
		}
	}
	if s.Incomplete = len(all) - len(complete); s.Incomplete > 0 {
		c := d.areaSummary(complete, am)
		s.CompleteAreas = &c
	}
	return s
}

// Summarise computes the summary at threshold t from area metrics am (computed here when nil).
func (d *Dataset) Summarise(ctx context.Context, t float64, am []AreaMetrics) (*Summary, error) {
	if am == nil {
		am = d.AreaMetrics(nil, t)
	}
	s := d.Headline(t, am)
	for _, k := range breakdownKinds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		codes, groups := d.groupAreas(k)
		if len(groups) == 0 {
			continue
		}
		if s.By == nil {
			s.By = make(map[string][]AreaSummary)
		}
		rows := make([]AreaSummary, 0, len(groups))
		for g, areas := range groups {
			r := d.areaSummary(areas, am)
			r.Code, r.Name = codes[g], d.Units[k][codes[g]]
			rows = append(rows, r)
		}
		slices.SortFunc(rows, func(x, y AreaSummary) int { return cmp.Compare(x.Code, y.Code) })
		s.By[k.String()] = rows
	}

	sizes := make([]int64, len(d.PCNs))
	practices := make([]int64, len(d.PCNs))
	for i, p := range d.PCNs {
		sizes[i] = p.ListSize
		practices[i] = int64(len(p.Practices))
	}
	s.ListSizes.Stats = Describe(sizes, false)
	for _, v := range sizes {
		switch {
		case v < 30000:
			s.ListSizes.Below30k++
		case v <= 50000:
			s.ListSizes.From30To50k++
		default:
			s.ListSizes.Above50k++
		}
	}
	if n := float64(len(sizes)); n > 0 {
		s.ListSizes.Below30k /= n
		s.ListSizes.From30To50k /= n
		s.ListSizes.Above50k /= n
	}
	s.PracticesBy = Describe(practices, false)
	for _, k := range pcnUnitKinds {
		if rows := d.unitPCNs(k); len(rows) > 0 {
			if s.PCNUnits == nil {
				s.PCNUnits = make(map[string][]UnitPCNs)
			}
			s.PCNUnits[k.String()] = rows
		}
	}
	return s, nil
}

// groupAreas groups the areas by their unit of kind k (the areas without one left out): codes[g]
// is group g's unit and groups[g] its areas, ascending, the groups in the order their first areas
// come. Neighbouring areas mostly share their unit, so a unit is looked up only where it changes.
func (d *Dataset) groupAreas(k nhs.Kind) (codes []string, groups [][]int32) {
	ids := make(map[string]int)
	last, id := "", -1
	for i := range d.Areas {
		u := d.Areas[i].Units[k]
		if u == "" {
			continue
		}
		if id < 0 || u != last {
			g, ok := ids[u]
			if !ok {
				g = len(codes)
				ids[u] = g
				codes = append(codes, u)
				groups = append(groups, nil)
			}
			last, id = u, g
		}
		groups[id] = append(groups[id], int32(i))
	}
	return codes, groups
}

func (d *Dataset) areaSummary(areas []int32, am []AreaMetrics) AreaSummary {
	r := AreaSummary{Areas: len(areas)}
	anyV := make([]int64, len(areas))
	atV := make([]int64, len(areas))
	for i, a := range areas {
		r.Registered += d.Areas[a].Registered
		anyV[i] = int64(am[a].PCNsAny)
		atV[i] = int64(am[a].PCNs)
	}
	r.Any = Describe(anyV, true)
	r.At = Describe(atV, true)
	return r
}

// PCNUnit returns, for kind k, the unit where most of PCN p's resident patients live ("" if none).
func (d *Dataset) PCNUnit(p int, k nhs.Kind) string {
	patients := make(map[string]int64, 2)
	d.PCNCells(p, func(c Cell) {
		if u := d.Areas[c.Area].Units[k]; u != "" {
			patients[u] += int64(c.Patients)
		}
	})
	best, bn := "", int64(-1)
	for u, n := range patients {
		if n > bn || (n == bn && u < best) {
			best, bn = u, n
		}
	}
	return best
}

// PCNUnits returns PCNUnit(p, k) for every PCN p at once, in one pass over the cells: what a
// summary or a report by unit needs, several times quicker than asking PCN by PCN.
func (d *Dataset) PCNUnits(k nhs.Kind) []string {
	out := make([]string, len(d.PCNs))
	// Number the units of kind k the areas are in, so that the sums are kept in a slice.
	names, groups := d.groupAreas(k)
	areaUnit := make([]int32, len(d.Areas))
	for a := range areaUnit {
		areaUnit[a] = -1
	}
	for g, areas := range groups {
		for _, a := range areas {
			areaUnit[a] = int32(g)
		}
	}
	sum := make([]int64, len(names))
	seen := make([]bool, len(names))
	var touched []int32
	for p := range d.PCNs {
		touched = touched[:0]
		// A PCN's cells come in area order, and neighbouring areas mostly share their unit: the
		// patients of a run of one unit are added up before they go to its sum.
		cur, run := int32(-1), int64(0)
		for _, c := range d.pcnCellsOf(p) {
			u := areaUnit[c.Area]
			if u != cur {
				if cur >= 0 {
					sum[cur] += run
				}
				cur, run = u, 0
				if u >= 0 && !seen[u] {
					seen[u] = true
					touched = append(touched, u)
				}
			}
			run += int64(c.Patients)
		}
		if cur >= 0 {
			sum[cur] += run
		}
		best, bn := "", int64(-1)
		for _, u := range touched {
			if n, name := sum[u], names[u]; n > bn || (n == bn && name < best) {
				best, bn = name, n
			}
			sum[u], seen[u] = 0, false
		}
		out[p] = best
	}
	return out
}

func (d *Dataset) unitPCNs(k nhs.Kind) []UnitPCNs {
	if len(d.Units[k]) == 0 {
		return nil
	}
	type agg struct {
		pcns                 int
		pop, largest, lowest int64
	}
	units := make(map[string]*agg)
	for p, u := range d.PCNUnits(k) {
		if u == "" {
			continue
		}
		x := units[u]
		if x == nil {
			x = &agg{lowest: math.MaxInt64}
			units[u] = x
		}
		size := d.PCNs[p].ListSize
		x.pcns++
		x.pop += size
		x.largest = max(x.largest, size)
		x.lowest = min(x.lowest, size)
	}
	rows := make([]UnitPCNs, 0, len(units))
	for code, x := range units {
		r := UnitPCNs{Code: code, Name: d.Units[k][code], PCNs: x.pcns, Population: x.pop}
		if x.pop > 0 {
			r.Largest = float64(x.largest) / float64(x.pop)
		}
		if x.lowest > 0 {
			r.Ratio = float64(x.largest) / float64(x.lowest)
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(x, y UnitPCNs) int { return cmp.Compare(x.Code, y.Code) })
	return rows
}
