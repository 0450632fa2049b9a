// Package report writes the batch outputs of one release at one threshold: the CSV files (areas.csv,
// pcns.csv, pcn_pairs.csv, summary.json), the same as JSON, and documents people read (HTML, and PDF
// printed from it by a headless Chromium), one for the release or one per context unit (ICB, Sub-ICB,
// CCG, local authority, region) with an index; and the comparison of two releases. Output is
// byte-for-byte deterministic for the same workspace and options: rows are sorted, floats have fixed
// precision, and nothing records the time it was made (PDF dates are set to the release's extract date).
package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pcnmap/csvsafe"
	"pcnmap/internal/atomicfile"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// Options says what to compute and what to write.
type Options struct {
	Threshold float64 // share, 0..1
	Core      float64 // core footprint share, 0..1; 0 means overlap.DefaultCore
	// Format is the output format; the zero value is FormatCSV.
	Format Format
	// By writes one document per unit of this kind plus an index (HTML and PDF only); KindUnset
	// writes one document for the whole release.
	By nhs.Kind
	// Unit restricts the documents to the unit with this code (of kind By, or of whichever kind has
	// it when By is unset).
	Unit string
	// Browser is the path of the Chromium that prints PDFs; required for FormatPDF.
	Browser string
	// Workers bounds how many documents are made at once; zero means GOMAXPROCS. PDFs are printed
	// at most two at a time whatever it says: each print is a whole browser.
	Workers int
	// Progress, when set, is called after each document with the number done and the total. Calls
	// come from one goroutine at a time.
	Progress func(done, total int)
	// Sections are extra sections appended to each unit document (the team alignment, once team
	// sets exist).
	Sections []Section
}

// Files are the names Write creates in its directory.
var Files = []string{"areas.csv", "pcns.csv", "pcn_pairs.csv", "summary.json"}

// unitColumns are the context kinds written as columns of areas.csv, when the release has them.
var unitColumns = []nhs.Kind{nhs.KindRegion, nhs.KindNHSRegion, nhs.KindLA, nhs.KindCCG, nhs.KindSTP, nhs.KindSubICB, nhs.KindICB, nhs.KindRurality, nhs.KindWard}

// Write computes the metrics of d and writes the report in opt.Format into dir (created if needed).
// It returns the summary for the caller to print: the documents (html, pdf) return its headline
// only (Dataset.Headline), as they write no summary.json.
func Write(ctx context.Context, dir string, d *overlap.Dataset, opt Options) (*overlap.Summary, error) {
	if opt.Core == 0 {
		opt.Core = overlap.DefaultCore
	}
	if err := opt.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if opt.Format == FormatHTML || opt.Format == FormatPDF {
		// The maps' shapes depend on the geometry alone: they are prepared on another core from the
		// start, and the documents wait for them at their maps.
		scs, err := scopes(d, opt)
		if err != nil {
			return nil, err
		}
		shapes := prepareShapes(ctx, d, scs)
		defer func() { _, _ = shapes.wait() }() // on an error too: the documents report its error
		am := d.AreaMetrics(nil, opt.Threshold)
		// A unit's document needs the metrics of its few PCNs only, computed as its rows are made.
		var pm []overlap.PCNMetrics
		if opt.Unit == "" {
			pm = d.PCNMetrics(nil, opt.Threshold, opt.Core, am)
		}
		// The documents do not read the summary's headline: it is made on another core meanwhile.
		var headline *overlap.Summary
		done := make(chan struct{})
		go func() {
			defer close(done)
			headline = d.Headline(opt.Threshold, am)
		}()
		err = writeDocuments(ctx, dir, d, opt, scs, am, pm, shapes)
		<-done
		if err != nil {
			return nil, err
		}
		return headline, nil
	}
	am := d.AreaMetrics(nil, opt.Threshold)
	pm := d.PCNMetrics(nil, opt.Threshold, opt.Core, am)
	summary, err := d.Summarise(ctx, opt.Threshold, am)
	if err != nil {
		return nil, err
	}
	if opt.Format == FormatJSON {
		return summary, writeJSON(ctx, dir, d, opt, am, pm, summary)
	}
	// With a unit, the CSV files hold its rows: its areas, the PCNs with patients living in them and
	// the pairs of those PCNs, each with the whole release's figures (summary.json is the release's).
	var areas []int32
	var pcns []bool
	pairs := d.Pairs(opt.Threshold)
	if opt.Unit != "" {
		sc, err := scopes(d, opt)
		if err != nil {
			return nil, err
		}
		areas = sc[0].areas
		pcns = make([]bool, len(d.PCNs))
		for _, a := range areas {
			for _, c := range d.AreaCells(int(a)) {
				pcns[c.PCN] = true
			}
		}
		pairs = slices.DeleteFunc(pairs, func(p overlap.Pair) bool { return !pcns[p.P1] || !pcns[p.P2] })
	}
	writers := map[string]func(io.Writer) error{
		"areas.csv":     func(w io.Writer) error { return areaRows(w, d, am, areas) },
		"pcns.csv":      func(w io.Writer) error { return pcnRows(w, d, pm, pcns) },
		"pcn_pairs.csv": func(w io.Writer) error { return Pairs(w, d, pairs) },
		"summary.json": func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(summary)
		},
	}
	for _, name := range Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(dir, name), writers[name]); err != nil {
			return nil, err
		}
	}
	return summary, nil
}

// writeFile writes through a temporary file renamed into place, so a reader never sees half a report.
func writeFile(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, func(w *bufio.Writer) error { return write(w) }); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// usedKinds are the unit kinds any area of d has.
func usedKinds(d *overlap.Dataset) []nhs.Kind {
	var kinds []nhs.Kind
	for _, k := range unitColumns {
		if len(d.Units[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// pcnUnitKinds are the kinds PCNs are placed in (where most of their resident patients live), when
// the release has them.
func pcnUnitKinds(d *overlap.Dataset) []nhs.Kind {
	var kinds []nhs.Kind
	for _, k := range []nhs.Kind{nhs.KindCCG, nhs.KindSubICB, nhs.KindICB} {
		if len(d.Units[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

func float(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

func integer[T int | int32 | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// Areas writes one row per area: code,name,registered,in_pcn,pcns_any,pcns,dominant_pcn,
// dominant_pcn_name,dominant_share,hhi,effective_pcns,entropy, a column per context kind, and
// complete (overlap.Dataset.Complete).
func Areas(w io.Writer, d *overlap.Dataset, am []overlap.AreaMetrics) error {
	return areaRows(w, d, am, nil)
}

// areaRows is Areas of the areas only (ascending), or of every area when only is nil.
func areaRows(w io.Writer, d *overlap.Dataset, am []overlap.AreaMetrics, only []int32) error {
	cw := csvsafe.NewWriter(w)
	kinds := usedKinds(d)
	header := []string{"code", "name", "registered", "in_pcn", "pcns_any", "pcns", "dominant_pcn", "dominant_pcn_name", "dominant_share", "hhi", "effective_pcns", "entropy"}
	for _, k := range kinds {
		header = append(header, k.String())
	}
	header = append(header, "complete")
	if err := cw.Write(header); err != nil {
		return err
	}
	complete := d.Complete()
	rec := make([]string, len(header))
	n := len(d.Areas)
	if only != nil {
		n = len(only)
	}
	for k := range n {
		i := k
		if only != nil {
			i = int(only[k])
		}
		a, m := &d.Areas[i], am[i]
		dom, domName := "", ""
		if m.Dominant != overlap.NoPCN {
			dom, domName = d.PCNs[m.Dominant].Code, d.PCNs[m.Dominant].Name
		}
		rec = append(rec[:0], a.Code, a.Name, integer(a.Registered), integer(a.InPCN), integer(m.PCNsAny), integer(m.PCNs),
			dom, domName, float(m.DominantShare), float(m.HHI), float(m.EffectivePCNs), float(d.Entropy(i)))
		for _, k := range kinds {
			rec = append(rec, a.Units[k])
		}
		rec = append(rec, strconv.FormatBool(complete[i]))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PCNs writes one row per PCN: code,name,list_size,resident,practices,areas_any,areas,core_areas,
// containment,dominant_areas and the CCG, Sub-ICB and ICB holding most of its patients.
func PCNs(w io.Writer, d *overlap.Dataset, pm []overlap.PCNMetrics) error {
	return pcnRows(w, d, pm, nil)
}

// pcnRows is PCNs of the PCNs only selects, or of every PCN when only is nil.
func pcnRows(w io.Writer, d *overlap.Dataset, pm []overlap.PCNMetrics, only []bool) error {
	cw := csvsafe.NewWriter(w)
	kinds := pcnUnitKinds(d)
	header := []string{"code", "name", "list_size", "resident", "practices", "areas_any", "areas", "core_areas", "containment", "dominant_areas"}
	for _, k := range kinds {
		header = append(header, k.String())
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for i := range d.PCNs {
		if only != nil && !only[i] {
			continue
		}
		p, m := &d.PCNs[i], pm[i]
		rec = append(rec[:0], p.Code, p.Name, integer(p.ListSize), integer(p.Resident), integer(len(p.Practices)),
			integer(m.AreasAny), integer(m.Areas), integer(m.Core), float(m.Containment), integer(m.Dominates))
		for _, k := range kinds {
			rec = append(rec, d.PCNUnit(i, k))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Pairs writes one row per pair of PCNs that both serve some area at the threshold.
func Pairs(w io.Writer, d *overlap.Dataset, pairs []overlap.Pair) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write([]string{"pcn1", "pcn1_name", "pcn2", "pcn2_name", "shared_areas", "shared_areas_any", "overlap"}); err != nil {
		return err
	}
	for _, p := range pairs {
		a, b := &d.PCNs[p.P1], &d.PCNs[p.P2]
		if err := cw.Write([]string{a.Code, a.Name, b.Code, b.Name, integer(p.Shared), integer(p.SharedAny), integer(p.Overlap)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Text writes the short summary printed after a report.
func Text(w io.Writer, s *overlap.Summary) error {
	c := s.Coverage
	pct := func(n, of int64) string {
		if of == 0 {
			return "0%"
		}
		return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 2, 64) + "%"
	}
	_, err := fmt.Fprintf(w, `release %s (extract %s, membership as of %s), threshold %s
areas: %d, registered residents: %d, PCNs: %d, practices: %d
PCNs per area, any patients (t = 0): mean %.2f, SD %.2f, median %g, P10 %g, P90 %g
PCNs per area, at t = %s:           mean %.2f, SD %.2f, median %g, P10 %g, P90 %g
coverage: %d of %d patients (%s) live in an area%s
practices in no PCN: %d (%d patients, counted in registered)%s
`,
		s.Release, s.ExtractDate, s.AsOf, overlap.FormatThreshold(s.Threshold),
		s.All.Areas, s.All.Registered, s.PCNs, s.Practices,
		s.All.Any.Mean, s.All.Any.SD, s.All.Any.Median, s.All.Any.P10, s.All.Any.P90,
		overlap.FormatThreshold(s.Threshold), s.All.At.Mean, s.All.At.SD, s.All.At.Median, s.All.At.P10, s.All.At.P90,
		c.Assigned.Patients, c.Total.Patients, pct(c.Assigned.Patients, c.Total.Patients),
		coverageRest(c),
		c.NoPCN.Practices, c.NoPCN.Patients, incompleteLine(s))
	return err
}

// incompleteLine gives the figures without the incomplete areas, when there are some.
func incompleteLine(s *overlap.Summary) string {
	if s.CompleteAreas == nil {
		return ""
	}
	c := s.CompleteAreas
	return fmt.Sprintf("\nincomplete areas: %d (registered below %s of the median); on the %d complete ones, PCNs per area at t = 0: mean %.2f, SD %.2f; at t = %s: mean %.2f, SD %.2f",
		s.Incomplete, strconv.FormatFloat(100*overlap.CompleteShare, 'f', -1, 64)+"%", c.Areas, c.Any.Mean, c.Any.SD,
		overlap.FormatThreshold(s.Threshold), c.At.Mean, c.At.SD)
}

// coverageRest lists the coverage categories other than "placed" that hold patients in this
// release ("; Welsh LSOAs (W01…) 24, EMPTY 1048, …"); empty ones are left out.
func coverageRest(c overlap.Coverage) string {
	var parts []string
	for _, cat := range c.Categories()[1:] {
		if cat.Count.Rows == 0 {
			continue
		}
		p := cat.Label + " " + strconv.FormatInt(cat.Count.Patients, 10)
		if cat.Key == "unassigned" || cat.Key == "outside" {
			p += fmt.Sprintf(" (%d LSOAs)", cat.Count.LSOAs)
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}
