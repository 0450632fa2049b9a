package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pcnmap/csvsafe"
	"pcnmap/overlap"
)

// DefaultLink is the share of practices' list size that links an old PCN to a new one: a quarter of
// the old PCN's list moving to the new PCN, or a quarter of the new PCN's list coming from the old.
const DefaultLink = 0.25

// PCNChange is what happened to a PCN between two releases, judged from its member practices.
type PCNChange uint8

const (
	// ChangeContinued: one old PCN linked to one new PCN with the same code.
	ChangeContinued PCNChange = iota + 1
	// ChangeRecoded: one old PCN linked to one new PCN with another code.
	ChangeRecoded
	// ChangeMerged: two or more old PCNs linked to one new PCN and nothing else. (The links join
	// old and new PCNs into groups; the group's shape is the change of each of its links.)
	ChangeMerged
	// ChangeSplit: one old PCN linked to two or more new PCNs and nothing else.
	ChangeSplit
	// ChangeReorganised: a group of several old and several new PCNs (say, A and B became C and D,
	// or A joined B and also gave practices to C).
	ChangeReorganised
	// ChangeAppeared: a new PCN linked to no old PCN (its practices were in no PCN, new to the file,
	// or came in small parts of old PCNs).
	ChangeAppeared
	// ChangeDisappeared: an old PCN linked to no new PCN.
	ChangeDisappeared
)

func (c PCNChange) String() string {
	switch c {
	case ChangeContinued:
		return "continued"
	case ChangeRecoded:
		return "recoded"
	case ChangeMerged:
		return "merged"
	case ChangeSplit:
		return "split"
	case ChangeReorganised:
		return "reorganised"
	case ChangeAppeared:
		return "appeared"
	case ChangeDisappeared:
		return "disappeared"
	}
	return "unset"
}

// Link ties an old PCN to a new one through the practices they share. From or To is overlap.NoPCN
// for a PCN that appeared or disappeared.
type Link struct {
	Change   PCNChange
	From, To int32 // PCN indexes in the earlier and the later release
	// FromShare is the share of From's list size (earlier release) held by practices now in To;
	// for a PCN that disappeared, by practices now in no PCN or gone from the file.
	FromShare float64
	// ToShare is the share of To's list size (later release) held by practices that were in From;
	// for a PCN that appeared, by practices that were in no PCN or absent from the file.
	ToShare float64
	// Practices counts the practices moving from From to To.
	Practices int
}

// DominantChange says how an area's dominant PCN changed.
type DominantChange uint8

const (
	// DominantSame: the same PCN code.
	DominantSame DominantChange = iota + 1
	// DominantSuccessor: another code, but the new dominant PCN is linked to the old one (recoded,
	// merged or split from it).
	DominantSuccessor
	// DominantChanged: a PCN not linked to the old dominant one.
	DominantChanged
	// DominantNone: one of the releases has no PCN patients in the area.
	DominantNone
)

func (c DominantChange) String() string {
	switch c {
	case DominantSame:
		return "same"
	case DominantSuccessor:
		return "successor"
	case DominantChanged:
		return "changed"
	case DominantNone:
		return "none"
	}
	return "unset"
}

// AreaChange is one area present in both releases (matched by code).
type AreaChange struct {
	From, To int32 // area indexes in the earlier and the later release
	// Delta is the change in PCNs serving the area at the threshold, later minus earlier.
	Delta    int32
	Dominant DominantChange
}

// Comparison sets two releases side by side at one threshold.
type Comparison struct {
	From, To  *overlap.Dataset
	Threshold float64
	Link      float64
	// Areas are the areas in both releases, by code; OnlyFrom and OnlyTo the indexes of the others.
	Areas            []AreaChange
	OnlyFrom, OnlyTo []int32
	// Links are sorted by change, then by the PCN the change is about, then by code.
	Links        []Link
	AmFrom, AmTo []overlap.AreaMetrics
	linked       map[[2]int32]bool
}

// ErrSameRelease is returned when a release is compared with itself.
var ErrSameRelease = errors.New("report: compare a release with another one")

// ErrGeography is returned when two releases on different census geographies are compared.
var ErrGeography = errors.New("report: releases on different census geographies")

// Compare matches the areas of two releases by code and their PCNs through their member practices
// (matched by practice code): it is the practices, not the PCN codes, that say whether a PCN merged,
// split, appeared or disappeared. link is DefaultLink when 0.
func Compare(ctx context.Context, from, to *overlap.Dataset, threshold, link float64) (*Comparison, error) {
	if from.Release == to.Release {
		return nil, fmt.Errorf("%w: both are %s", ErrSameRelease, from.Release)
	}
	if g1, g2 := from.Coverage.Geography, to.Coverage.Geography; g1 != "" && g2 != "" && g1 != g2 {
		return nil, fmt.Errorf("%w: %s is on %s LSOAs and %s on %s LSOAs, so their areas differ; re-ingest the %s release onto 2021 LSOAs with --crosswalk (the ONS LSOA 2011 → 2021 lookup) and 2021 areas",
			ErrGeography, from.Release, g1, to.Release, g2, older(from, to))
	}
	if link == 0 {
		link = DefaultLink
	}
	if threshold < 0 || threshold > 1 || link < 0 || link > 1 {
		return nil, fmt.Errorf("%w: threshold %v or link share %v outside 0..1", ErrOptions, threshold, link)
	}
	c := &Comparison{From: from, To: to, Threshold: threshold, Link: link,
		AmFrom: from.AreaMetrics(nil, threshold), AmTo: to.AreaMetrics(nil, threshold)}
	c.links()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range from.Areas {
		j, ok := to.Area(from.Areas[i].Code)
		if !ok {
			c.OnlyFrom = append(c.OnlyFrom, int32(i))
			continue
		}
		mf, mt := c.AmFrom[i], c.AmTo[j]
		ac := AreaChange{From: int32(i), To: int32(j), Delta: mt.PCNs - mf.PCNs}
		switch {
		case mf.Dominant == overlap.NoPCN || mt.Dominant == overlap.NoPCN:
			ac.Dominant = DominantNone
		case from.PCNs[mf.Dominant].Code == to.PCNs[mt.Dominant].Code:
			ac.Dominant = DominantSame
		case c.linked[[2]int32{mf.Dominant, mt.Dominant}]:
			ac.Dominant = DominantSuccessor
		default:
			ac.Dominant = DominantChanged
		}
		c.Areas = append(c.Areas, ac)
	}
	for j := range to.Areas {
		if _, ok := from.Area(to.Areas[j].Code); !ok {
			c.OnlyTo = append(c.OnlyTo, int32(j))
		}
	}
	return c, nil
}

// links works out the links between old and new PCNs from the practices' moves.
func (c *Comparison) links() {
	from, to := c.From, c.To
	type flow struct {
		fromList, toList int64
		practices        int
	}
	flows := make(map[[2]int32]*flow)
	add := func(o, n int32, fromList, toList int64) {
		k := [2]int32{o, n}
		f := flows[k]
		if f == nil {
			f = &flow{}
			flows[k] = f
		}
		f.fromList += fromList
		f.toList += toList
		f.practices++
	}
	toPractice := make(map[string]int32, len(to.Practices))
	for j := range to.Practices {
		toPractice[to.Practices[j].Code] = int32(j)
	}
	seen := make([]bool, len(to.Practices))
	for i := range from.Practices {
		p := &from.Practices[i]
		n, toList := int32(overlap.NoPCN), int64(0)
		if j, ok := toPractice[p.Code]; ok {
			seen[j] = true
			n, toList = to.Practices[j].PCN, to.Practices[j].ListSize
		}
		if p.PCN != overlap.NoPCN || n != overlap.NoPCN {
			add(p.PCN, n, p.ListSize, toList)
		}
	}
	for j := range to.Practices {
		if p := &to.Practices[j]; !seen[j] && p.PCN != overlap.NoPCN {
			add(overlap.NoPCN, p.PCN, 0, p.ListSize)
		}
	}
	fromShare := func(o int32, f *flow) float64 { return ratio(f.fromList, from.PCNs[o].ListSize) }
	toShare := func(n int32, f *flow) float64 { return ratio(f.toList, to.PCNs[n].ListSize) }

	c.linked = make(map[[2]int32]bool)
	dests := make([]int, len(from.PCNs)) // linked new PCNs per old PCN
	srcs := make([]int, len(to.PCNs))    // linked old PCNs per new PCN
	for k, f := range flows {
		o, n := k[0], k[1]
		if o == overlap.NoPCN || n == overlap.NoPCN {
			continue
		}
		if fromShare(o, f) >= c.Link || toShare(n, f) >= c.Link {
			c.linked[k] = true
			dests[o]++
			srcs[n]++
		}
	}
	// The links join old and new PCNs into groups (connected components); a group's shape is the
	// change of every link in it, so a PCN is counted under one change only.
	nf := len(from.PCNs)
	parent := make([]int, nf+len(to.PCNs)) // old PCN o is node o, new PCN n is node nf+n
	for i := range parent {
		parent[i] = i
	}
	var root func(int) int
	root = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for k := range c.linked {
		parent[root(int(k[0]))] = root(nf + int(k[1]))
	}
	olds, news := make(map[int]int), make(map[int]int) // old and new PCNs per group
	for o := range from.PCNs {
		if dests[o] > 0 {
			olds[root(o)]++
		}
	}
	for n := range to.PCNs {
		if srcs[n] > 0 {
			news[root(nf+n)]++
		}
	}
	for k := range c.linked {
		o, n := k[0], k[1]
		f := flows[k]
		l := Link{From: o, To: n, FromShare: fromShare(o, f), ToShare: toShare(n, f), Practices: f.practices}
		g := root(int(o))
		switch merged, split := olds[g] > 1, news[g] > 1; {
		case merged && split:
			l.Change = ChangeReorganised
		case merged:
			l.Change = ChangeMerged
		case split:
			l.Change = ChangeSplit
		case from.PCNs[o].Code == to.PCNs[n].Code:
			l.Change = ChangeContinued
		default:
			l.Change = ChangeRecoded
		}
		c.Links = append(c.Links, l)
	}
	for o := range from.PCNs {
		if dests[o] == 0 {
			l := Link{Change: ChangeDisappeared, From: int32(o), To: overlap.NoPCN}
			if f := flows[[2]int32{int32(o), overlap.NoPCN}]; f != nil {
				l.FromShare, l.Practices = fromShare(int32(o), f), f.practices
			}
			c.Links = append(c.Links, l)
		}
	}
	for n := range to.PCNs {
		if srcs[n] == 0 {
			l := Link{Change: ChangeAppeared, From: overlap.NoPCN, To: int32(n)}
			if f := flows[[2]int32{overlap.NoPCN, int32(n)}]; f != nil {
				l.ToShare, l.Practices = toShare(int32(n), f), f.practices
			}
			c.Links = append(c.Links, l)
		}
	}
	slices.SortFunc(c.Links, func(x, y Link) int {
		kx, ky := c.linkKey(x), c.linkKey(y)
		return cmp.Or(cmp.Compare(x.Change, y.Change), strings.Compare(kx[0], ky[0]), strings.Compare(kx[1], ky[1]))
	})
}

// linkKey orders links within a change: splits by the old PCN, everything else by the new one.
func (c *Comparison) linkKey(l Link) [2]string {
	fc, tc := c.fromCode(l.From), c.toCode(l.To)
	if l.Change == ChangeSplit || l.Change == ChangeDisappeared {
		return [2]string{fc, tc}
	}
	return [2]string{tc, fc}
}

func (c *Comparison) fromCode(p int32) string {
	if p == overlap.NoPCN {
		return ""
	}
	return c.From.PCNs[p].Code
}

func (c *Comparison) toCode(p int32) string {
	if p == overlap.NoPCN {
		return ""
	}
	return c.To.PCNs[p].Code
}

// ComparisonFiles names the files WriteComparison writes in a format, so the CLI can say them.
func ComparisonFiles(format Format) []string {
	switch format {
	case FormatCSV:
		return []string{"compare_areas.csv", "compare_pcns.csv"}
	case FormatHTML:
		return []string{"compare.html"}
	}
	return nil
}

// WriteComparison writes the comparison into dir: the ComparisonFiles of format.
func WriteComparison(ctx context.Context, dir string, c *Comparison, format Format) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	switch format {
	case FormatCSV:
		names := ComparisonFiles(format)
		if err := writeFile(filepath.Join(dir, names[0]), c.writeAreas); err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, names[1]), c.writePCNs)
	case FormatHTML:
		return writeCompareHTML(ctx, dir, c)
	}
	return fmt.Errorf("%w: a comparison is written as csv or html, not %s", ErrOptions, format)
}

// writeAreas writes one row per area of either release, sorted by code: the areas in both, then
// those in one only (with the other side empty and dominant_change only_from or only_to).
func (c *Comparison) writeAreas(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	header := []string{"code", "name", "registered_from", "registered_to", "pcns_any_from", "pcns_any_to", "pcns_from", "pcns_to", "pcns_change",
		"dominant_from", "dominant_from_name", "dominant_share_from", "dominant_to", "dominant_to_name", "dominant_share_to", "dominant_change"}
	if err := cw.Write(header); err != nil {
		return err
	}
	side := func(d *overlap.Dataset, am []overlap.AreaMetrics, a int32) (reg, pAny, p, dom, domName, share string) {
		if a < 0 {
			return
		}
		m := am[a]
		reg, pAny, p = integer(d.Areas[a].Registered), integer(m.PCNsAny), integer(m.PCNs)
		if m.Dominant != overlap.NoPCN {
			dom, domName, share = d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name, float(m.DominantShare)
		}
		return
	}
	type row struct {
		code, name string
		from, to   int32
		change     string
		delta      string
	}
	rows := make([]row, 0, len(c.Areas)+len(c.OnlyFrom)+len(c.OnlyTo))
	for _, a := range c.Areas {
		rows = append(rows, row{c.To.Areas[a.To].Code, c.To.Areas[a.To].Name, a.From, a.To, a.Dominant.String(), integer(a.Delta)})
	}
	for _, a := range c.OnlyFrom {
		rows = append(rows, row{c.From.Areas[a].Code, c.From.Areas[a].Name, a, -1, "only_from", ""})
	}
	for _, a := range c.OnlyTo {
		rows = append(rows, row{c.To.Areas[a].Code, c.To.Areas[a].Name, -1, a, "only_to", ""})
	}
	slices.SortFunc(rows, func(x, y row) int { return strings.Compare(x.code, y.code) })
	for _, r := range rows {
		rf, af, pf, df, dfn, sf := side(c.From, c.AmFrom, r.from)
		rt, at, pt, dt, dtn, st := side(c.To, c.AmTo, r.to)
		if err := cw.Write([]string{r.code, r.name, rf, rt, af, at, pf, pt, r.delta, df, dfn, sf, dt, dtn, st, r.change}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writePCNs writes one row per link, in the order of Links.
func (c *Comparison) writePCNs(w io.Writer) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write([]string{"change", "from_pcn", "from_name", "from_list_size", "to_pcn", "to_name", "to_list_size", "from_share", "to_share", "practices"}); err != nil {
		return err
	}
	for _, l := range c.Links {
		rec := []string{l.Change.String(), "", "", "", "", "", "", float(l.FromShare), float(l.ToShare), strconv.Itoa(l.Practices)}
		if l.From != overlap.NoPCN {
			p := &c.From.PCNs[l.From]
			rec[1], rec[2], rec[3] = p.Code, p.Name, integer(p.ListSize)
		}
		if l.To != overlap.NoPCN {
			p := &c.To.PCNs[l.To]
			rec[4], rec[5], rec[6] = p.Code, p.Name, integer(p.ListSize)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ChangeCounts counts what happened to the PCNs, in PCNs: the one count the printed summary, the
// HTML document and the README use. compare_pcns.csv has one row per link instead, so its
// merged rows are the old PCNs that merged (MergedFrom) and its split rows the new PCNs that came
// from a split (SplitInto).
type ChangeCounts struct {
	// Continued and Recoded are PCNs linked one to one, with the same code or another.
	Continued, Recoded int
	// Merged is the new PCNs formed by a merger, MergedFrom the old PCNs that went into them.
	Merged, MergedFrom int
	// Split is the old PCNs that split, SplitInto the new PCNs they went into.
	Split, SplitInto int
	// ReorganisedFrom and ReorganisedTo are the old and new PCNs of reorganisations (merged and
	// split at once).
	ReorganisedFrom, ReorganisedTo int
	// Appeared is the new PCNs linked to no old one, Disappeared the old PCNs linked to no new one.
	Appeared, Disappeared int
}

// Counts counts the comparison's PCN changes (see ChangeCounts).
func (c *Comparison) Counts() ChangeCounts {
	var n ChangeCounts
	from, to := make(map[[2]int32]bool), make(map[[2]int32]bool) // (change, PCN) seen
	once := func(m map[[2]int32]bool, ch PCNChange, p int32, count *int) {
		if k := [2]int32{int32(ch), p}; !m[k] {
			m[k] = true
			*count++
		}
	}
	for _, l := range c.Links {
		switch l.Change {
		case ChangeContinued:
			n.Continued++
		case ChangeRecoded:
			n.Recoded++
		case ChangeMerged:
			once(to, l.Change, l.To, &n.Merged)
			once(from, l.Change, l.From, &n.MergedFrom)
		case ChangeSplit:
			once(from, l.Change, l.From, &n.Split)
			once(to, l.Change, l.To, &n.SplitInto)
		case ChangeReorganised:
			once(from, l.Change, l.From, &n.ReorganisedFrom)
			once(to, l.Change, l.To, &n.ReorganisedTo)
		case ChangeAppeared:
			n.Appeared++
		case ChangeDisappeared:
			n.Disappeared++
		}
	}
	return n
}

// CompareText writes the short summary printed after a comparison.
func CompareText(w io.Writer, c *Comparison) error {
	var more, fewer int
	var dom [DominantNone + 1]int
	for _, a := range c.Areas {
		switch {
		case a.Delta > 0:
			more++
		case a.Delta < 0:
			fewer++
		}
		dom[a.Dominant]++
	}
	n := c.Counts()
	_, err := fmt.Fprintf(w, `releases %s → %s, threshold %s, link %s
areas in both: %d (only in %s: %d, only in %s: %d); PCNs: %d → %d
areas served by more PCNs: %d, by fewer: %d; dominant PCN the same: %d, a successor: %d, another network: %d
PCNs continued %d, recoded %d; merged: %d new PCNs from %d old; split: %d old PCNs into %d new; reorganised: %d old into %d new; appeared %d, disappeared %d
`,
		c.From.Release, c.To.Release, overlap.FormatThreshold(c.Threshold), overlap.FormatThreshold(c.Link),
		len(c.Areas), c.From.Release, len(c.OnlyFrom), c.To.Release, len(c.OnlyTo), len(c.From.PCNs), len(c.To.PCNs),
		more, fewer, dom[DominantSame], dom[DominantSuccessor], dom[DominantChanged],
		n.Continued, n.Recoded, n.Merged, n.MergedFrom, n.Split, n.SplitInto, n.ReorganisedFrom, n.ReorganisedTo,
		n.Appeared, n.Disappeared)
	return err
}

// older names the release on 2011 geography of two.
func older(a, b *overlap.Dataset) string {
	if a.Coverage.Geography == "2011" {
		return a.Release
	}
	return b.Release
}
