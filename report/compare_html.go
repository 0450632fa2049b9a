package report

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report/svg"
	"pcnmap/tiles"
)

// maxDominantRows bounds the table of areas whose dominant PCN changed; the CSV has them all.
const maxDominantRows = 100

// maxDeltaRows is how many areas the table of the largest changes in PCNs per area lists.
const maxDeltaRows = 20

type compareDoc struct {
	Title       string
	From, To    releaseInfo
	Link        string
	Headline    []compareRow
	Changes     []headRow
	Histogram   template.HTML
	DeltaMap    template.HTML
	DomMap      template.HTML
	MapNote     string
	Merges      []eventRow
	Splits      []eventRow
	Reorganised []linkRow
	Recoded     []linkRow
	Appeared    []linkRow
	Disappeared []linkRow
	Dominant    []domRow
	DomMore     string
	Largest     []deltaRow
	Hidden      int // links left out of the tables
	Attribution string
}

type compareRow struct{ Label, From, To string }

type eventRow struct {
	Code, Name, ListSize string
	Parts                []partRow
}

type partRow struct{ Code, Name, Share string }

type linkRow struct {
	FromCode, FromName, FromList string
	ToCode, ToName, ToList       string
	FromShare, ToShare           string
}

type domRow struct {
	Code, Name       string
	From, FromShare  string
	To, ToShare      string
	PCNsFrom, PCNsTo string
	Change           string
}

type deltaRow struct {
	Code, Name               string
	PCNsFrom, PCNsTo, Change string
}

func writeCompareHTML(ctx context.Context, dir string, c *Comparison) error {
	from, to := c.From, c.To
	ts := overlap.FormatThreshold(c.Threshold)
	ri := func(d *overlap.Dataset) releaseInfo {
		r := &run{d: d, opt: Options{Threshold: c.Threshold, Core: overlap.DefaultCore}}
		return r.releaseInfo()
	}
	doc := &compareDoc{
		Title: "PCN overlap: release " + from.Release + " compared with " + to.Release,
		From:  ri(from), To: ri(to), Link: percent(c.Link), Attribution: Attribution,
	}
	statsOf := func(d *overlap.Dataset, am []overlap.AreaMetrics) (reg int64, anyS, atS overlap.Stats) {
		anyV, atV := make([]int64, len(d.Areas)), make([]int64, len(d.Areas))
		for i := range d.Areas {
			reg += d.Areas[i].Registered
			anyV[i], atV[i] = int64(am[i].PCNsAny), int64(am[i].PCNs)
		}
		return reg, overlap.Describe(anyV, false), overlap.Describe(atV, false)
	}
	rf, anyF, atF := statsOf(from, c.AmFrom)
	rt, anyT, atT := statsOf(to, c.AmTo)
	doc.Headline = []compareRow{
		{"Areas", commas(int64(len(from.Areas))), commas(int64(len(to.Areas)))},
		{"Registered residents", commas(rf), commas(rt)},
		{"Practices", commas(int64(len(from.Practices))), commas(int64(len(to.Practices)))},
		{"PCNs", commas(int64(len(from.PCNs))), commas(int64(len(to.PCNs)))},
		{"PCNs per area, any patients (t = 0): mean", fixed(anyF.Mean, 2), fixed(anyT.Mean, 2)},
		{"PCNs per area at t = " + ts + ": mean", fixed(atF.Mean, 2), fixed(atT.Mean, 2)},
		{"PCNs per area at t = " + ts + ": SD", fixed(atF.SD, 2), fixed(atT.SD, 2)},
	}

	var more, fewer, same int
	var dom [DominantNone + 1]int
	lo, hi := int32(0), int32(0)
	for _, a := range c.Areas {
		switch {
		case a.Delta > 0:
			more++
		case a.Delta < 0:
			fewer++
		default:
			same++
		}
		dom[a.Dominant]++
		lo, hi = min(lo, a.Delta), max(hi, a.Delta)
	}
	k := c.Counts()
	n := int64(len(c.Areas))
	doc.Changes = []headRow{
		{"Areas in both releases", commas(n), ""},
		{"Areas in one release only", commas(int64(len(c.OnlyFrom))) + " earlier, " + commas(int64(len(c.OnlyTo))) + " later", ""},
		{"Areas served by more PCNs at t", countShare(int64(more), n), ""},
		{"Areas served by fewer PCNs at t", countShare(int64(fewer), n), ""},
		{"Areas served by as many PCNs at t", countShare(int64(same), n), ""},
		{"Dominant PCN: the same code", countShare(int64(dom[DominantSame]), n), ""},
		{"Dominant PCN: a successor of the old one (recoded, merged or split from it)", countShare(int64(dom[DominantSuccessor]), n), ""},
		{"Dominant PCN: another network", countShare(int64(dom[DominantChanged]), n), ""},
		{"PCNs continued (one to one, same code)", commas(int64(k.Continued)), ""},
		{"PCNs recoded (one to one, new code)", commas(int64(k.Recoded)), ""},
		{"Merged: new PCNs formed from two or more old ones", commas(int64(k.Merged)) + " (from " + commas(int64(k.MergedFrom)) + " old PCNs)", ""},
		{"Split: old PCNs now in two or more new ones", commas(int64(k.Split)) + " (into " + commas(int64(k.SplitInto)) + " new PCNs)", ""},
		{"Reorganised (merged and split at once)", commas(int64(k.ReorganisedFrom)) + " old PCNs into " + commas(int64(k.ReorganisedTo)) + " new", ""},
		{"PCNs that appeared", commas(int64(k.Appeared)), ""},
		{"PCNs that disappeared", commas(int64(k.Disappeared)), ""},
	}

	// Histogram of the change in PCNs per area.
	cats := make([]string, 0, hi-lo+1)
	counts := make([]int, hi-lo+1)
	for k := lo; k <= hi; k++ {
		cats = append(cats, signed(k))
	}
	for _, a := range c.Areas {
		counts[a.Delta-lo]++
	}
	bars := svg.Bars{Title: "Change in PCNs per area at ≥ " + ts, XLabel: "change in PCNs holding ≥ " + ts + " of the area's registered residents",
		Categories: cats, Series: []svg.BarSeries{{Name: "Areas in both releases", Counts: counts}}, Noun: "areas"}
	var sb strings.Builder
	if err := bars.Write(&sb); err != nil {
		return fmt.Errorf("report: compare histogram: %w", err)
	}
	doc.Histogram = template.HTML(sb.String()) // trusted: package svg escapes every text it writes

	if err := c.maps(ctx, doc, ts); err != nil {
		return err
	}
	c.eventTables(doc)

	// Areas whose dominant PCN changed to another network: clearest takeovers first.
	var changed []AreaChange
	for _, a := range c.Areas {
		if a.Dominant == DominantChanged {
			changed = append(changed, a)
		}
	}
	slices.SortFunc(changed, func(x, y AreaChange) int {
		return cmp.Or(cmp.Compare(c.AmTo[y.To].DominantShare, c.AmTo[x.To].DominantShare), strings.Compare(to.Areas[x.To].Code, to.Areas[y.To].Code))
	})
	if len(changed) > maxDominantRows {
		doc.DomMore = fmt.Sprintf("%d more areas: see compare_areas.csv (--format csv).", len(changed)-maxDominantRows)
		changed = changed[:maxDominantRows]
	}
	for _, a := range changed {
		mf, mt := c.AmFrom[a.From], c.AmTo[a.To]
		df, dt := &from.PCNs[mf.Dominant], &to.PCNs[mt.Dominant]
		doc.Dominant = append(doc.Dominant, domRow{
			Code: to.Areas[a.To].Code, Name: to.Areas[a.To].Name,
			From: df.Code + " " + df.Name, FromShare: percent(mf.DominantShare),
			To: dt.Code + " " + dt.Name, ToShare: percent(mt.DominantShare),
			PCNsFrom: strconv.Itoa(int(mf.PCNs)), PCNsTo: strconv.Itoa(int(mt.PCNs)),
		})
	}
	largest := slices.Clone(c.Areas)
	slices.SortFunc(largest, func(x, y AreaChange) int {
		return cmp.Or(cmp.Compare(abs32(y.Delta), abs32(x.Delta)), cmp.Compare(y.Delta, x.Delta), strings.Compare(to.Areas[x.To].Code, to.Areas[y.To].Code))
	})
	for _, a := range largest[:min(len(largest), maxDeltaRows)] {
		if a.Delta == 0 {
			break
		}
		doc.Largest = append(doc.Largest, deltaRow{Code: to.Areas[a.To].Code, Name: to.Areas[a.To].Name,
			PCNsFrom: strconv.Itoa(int(c.AmFrom[a.From].PCNs)), PCNsTo: strconv.Itoa(int(c.AmTo[a.To].PCNs)), Change: signed(a.Delta)})
	}
	return writeFile(filepath.Join(dir, ComparisonFiles(FormatHTML)[0]), func(w io.Writer) error {
		return templates().ExecuteTemplate(w, "compare.html", doc)
	})
}

// maps draws the change in PCNs per area and the change of dominant PCN, on the later release's
// geometry (the tiles' shapes), for the areas in both releases.
func (c *Comparison) maps(ctx context.Context, doc *compareDoc, ts string) error {
	to := c.To
	features := make([]geo.Feature, len(to.Areas))
	for i := range to.Areas {
		features[i] = to.Areas[i].Feature
	}
	shapes, err := tiles.Prepare(ctx, features, tiles.Options{})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	byTo := make(map[int]AreaChange, len(c.Areas))
	idx := make([]int, 0, len(c.Areas))
	var bound orb.Bound
	for k, a := range c.Areas {
		byTo[int(a.To)] = a
		idx = append(idx, int(a.To))
		if k == 0 {
			bound = to.Areas[a.To].Bound
		} else {
			bound = bound.Union(to.Areas[a.To].Bound)
		}
	}
	slices.Sort(idx)
	if len(idx) == 0 {
		return nil
	}
	labels := []string{"−3 or fewer", "−2", "−1", "0", "+1", "+2", "+3 or more"}
	deltaLegend := make([]svg.Swatch, len(labels))
	for k := range labels {
		deltaLegend[k] = svg.Swatch{Label: labels[k], Fill: svg.Diverging[k]}
	}
	domLegend := []svg.Swatch{
		{Label: "same PCN", Fill: "#eeeeee"},
		{Label: "its successor", Fill: "#56b4e9"},
		{Label: "another network", Fill: "#d55e00"},
		{Label: "no PCN patients", Fill: svg.NoData},
	}
	base := svg.Map{
		Shapes: shapes, Features: idx, Bound: bound,
		Code:      func(i int) string { return to.Areas[i].Code },
		AreaLines: len(idx) <= maxAreaLines,
		Outline:   "outline of the areas",
	}
	doc.MapNote = "Geometry: the later release's map tiles, simplified to under a pixel; Web Mercator."
	if icbs := to.Units[nhs.KindICB]; len(icbs) > 0 {
		codes := make([]string, 0, len(icbs))
		for code := range icbs {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		base.Group = func(i int) int32 {
			k, _ := slices.BinarySearch(codes, to.Areas[i].Units[nhs.KindICB])
			return int32(k)
		}
		base.GroupLine = "ICB boundary"
		doc.MapNote += " Dark lines are ICB boundaries (each area in the ICB where most of its registered residents live)."
	}
	delta := base
	delta.Title = "Change in PCNs per area at ≥ " + ts
	delta.Legend = deltaLegend
	delta.Class = func(i int) int { return int(max(-3, min(3, byTo[i].Delta))) + 3 }
	delta.Label = func(i int) string {
		a := byTo[i]
		return fmt.Sprintf("%s %s: %d → %d PCNs ≥ %s (%s)", to.Areas[i].Code, to.Areas[i].Name, c.AmFrom[a.From].PCNs, c.AmTo[i].PCNs, ts, signed(a.Delta))
	}
	var sb strings.Builder
	if _, err := delta.Write(ctx, &sb); err != nil {
		return fmt.Errorf("report: compare map: %w", err)
	}
	doc.DeltaMap = template.HTML(sb.String()) // trusted: package svg escapes every text it writes

	dm := base
	dm.Title = "Change of dominant PCN"
	dm.Legend = domLegend
	dm.Class = func(i int) int { return int(byTo[i].Dominant) - 1 }
	dm.Label = func(i int) string {
		a := byTo[i]
		s := to.Areas[i].Code + " " + to.Areas[i].Name + ": "
		if mf, mt := c.AmFrom[a.From], c.AmTo[i]; mf.Dominant != overlap.NoPCN && mt.Dominant != overlap.NoPCN {
			s += c.From.PCNs[mf.Dominant].Name + " → " + to.PCNs[mt.Dominant].Name
		}
		return s + " (" + a.Dominant.String() + ")"
	}
	sb.Reset()
	if _, err := dm.Write(ctx, &sb); err != nil {
		return fmt.Errorf("report: compare map: %w", err)
	}
	doc.DomMap = template.HTML(sb.String()) // trusted: package svg escapes every text it writes
	return nil
}

// serving marks the PCNs of d that hold at least the threshold of some area.
func serving(d *overlap.Dataset, t float64) []bool {
	out := make([]bool, len(d.PCNs))
	for _, c := range d.Cells {
		if d.Serves(c, t) {
			out[c.PCN] = true
		}
	}
	return out
}

// eventTables groups the links into the tables of the document. Links between PCNs that hold ≥ t of
// no area in either release are left out (the CSV has them): they are networks whose patients merely
// pass through the areas, as when the areas are a part of England.
func (c *Comparison) eventTables(doc *compareDoc) {
	from, to := c.From, c.To
	sf, st := serving(from, c.Threshold), serving(to, c.Threshold)
	relevant := func(l Link) bool {
		return (l.From != overlap.NoPCN && sf[l.From]) || (l.To != overlap.NoPCN && st[l.To])
	}
	// A merger or split is shown whole when any of its links is relevant.
	showTo, showFrom := make(map[int32]bool), make(map[int32]bool)
	for _, l := range c.Links {
		if relevant(l) {
			showTo[l.To], showFrom[l.From] = true, true
		}
	}
	lr := func(l Link) linkRow {
		r := linkRow{FromShare: percent(l.FromShare), ToShare: percent(l.ToShare)}
		if l.From != overlap.NoPCN {
			p := &from.PCNs[l.From]
			r.FromCode, r.FromName, r.FromList = p.Code, p.Name, commas(p.ListSize)
		}
		if l.To != overlap.NoPCN {
			p := &to.PCNs[l.To]
			r.ToCode, r.ToName, r.ToList = p.Code, p.Name, commas(p.ListSize)
		}
		return r
	}
	for _, l := range c.Links {
		switch {
		case l.Change == ChangeMerged && showTo[l.To], l.Change == ChangeSplit && showFrom[l.From], relevant(l):
		default:
			if l.Change != ChangeContinued {
				doc.Hidden++
			}
			continue
		}
		switch l.Change {
		case ChangeMerged:
			p := &to.PCNs[l.To]
			if n := len(doc.Merges); n == 0 || doc.Merges[n-1].Code != p.Code {
				doc.Merges = append(doc.Merges, eventRow{Code: p.Code, Name: p.Name, ListSize: commas(p.ListSize)})
			}
			o := &from.PCNs[l.From]
			e := &doc.Merges[len(doc.Merges)-1]
			e.Parts = append(e.Parts, partRow{o.Code, o.Name, percent(l.ToShare)})
		case ChangeSplit:
			p := &from.PCNs[l.From]
			if n := len(doc.Splits); n == 0 || doc.Splits[n-1].Code != p.Code {
				doc.Splits = append(doc.Splits, eventRow{Code: p.Code, Name: p.Name, ListSize: commas(p.ListSize)})
			}
			o := &to.PCNs[l.To]
			e := &doc.Splits[len(doc.Splits)-1]
			e.Parts = append(e.Parts, partRow{o.Code, o.Name, percent(l.FromShare)})
		case ChangeReorganised:
			doc.Reorganised = append(doc.Reorganised, lr(l))
		case ChangeRecoded:
			doc.Recoded = append(doc.Recoded, lr(l))
		case ChangeAppeared:
			doc.Appeared = append(doc.Appeared, lr(l))
		case ChangeDisappeared:
			doc.Disappeared = append(doc.Disappeared, lr(l))
		}
	}
}

func signed(v int32) string {
	switch {
	case v > 0:
		return "+" + strconv.Itoa(int(v))
	case v < 0:
		return "−" + strconv.Itoa(int(-v))
	}
	return "0"
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
