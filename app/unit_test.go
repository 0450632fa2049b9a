package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
	"pcnmap/report"
	"pcnmap/store"
)

// unitKinds are the kinds a report is written by (report.ParseKind's), every one tried.
var unitKinds = []nhs.Kind{nhs.KindICB, nhs.KindSubICB, nhs.KindCCG, nhs.KindLA, nhs.KindRegion, nhs.KindSTP, nhs.KindNHSRegion, nhs.KindWard}

// saved writes d into a new workspace and returns its path.
func saved(t *testing.T, d *overlap.Dataset) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	w, err := store.Open(ctx, path, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Save(ctx, d, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// written runs report.Write and returns every file it wrote by name, and the summary as printed.
func written(t *testing.T, d *overlap.Dataset, opt report.Options) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	s, err := report.Write(context.Background(), dir, d, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var text bytes.Buffer
	if err := report.Text(&text, s); err != nil {
		t.Fatal(err)
	}
	out["(printed summary)"] = text.Bytes()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// same fails unless the two reports wrote the same files with the same bytes.
func same(t *testing.T, what string, full, partial map[string][]byte) {
	t.Helper()
	if len(full) != len(partial) {
		t.Errorf("%s: the whole load wrote %d files, the unit's %d", what, len(full), len(partial))
	}
	for name, b := range full {
		p, ok := partial[name]
		switch {
		case !ok:
			t.Errorf("%s: the unit's load wrote no %s", what, name)
		case !bytes.Equal(b, p):
			i := 0
			for i < min(len(b), len(p)) && b[i] == p[i] {
				i++
			}
			t.Errorf("%s: %s differs from byte %d of %d (whole load) / %d (unit's load): %q… / %q…",
				what, name, i, len(b), len(p), b[i:min(len(b), i+80)], p[i:min(len(p), i+80)])
		}
	}
}

// codes lists the codes of kind k's units that some area lies mostly in, sorted.
func codes(d *overlap.Dataset, k nhs.Kind) []string {
	var out []string
	for i := range d.Areas {
		if u := d.Areas[i].Units[k]; u != "" {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestLoadUnitSameDocument writes, from the fixture's workspace, the document of every unit of
// every kind the fixture has twice, from a whole load and from app.LoadUnit (the unit's
// surroundings' geometry only), and requires the same bytes: the documents (maps included), the
// index page and the printed summary. Once per unit with --by, once with a bare --unit code.
func TestLoadUnitSameDocument(t *testing.T) {
	ctx := context.Background()
	path := saved(t, fixtureDataset(t))
	full, err := app.Load(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, k := range unitKinds {
		cs := codes(full, k)
		if len(cs) == 0 {
			continue
		}
		// The whole load's documents of every unit of the kind, written at once.
		all := written(t, full, report.Options{Threshold: 0.01, Format: report.FormatHTML, By: k})
		for i, code := range cs {
			units++
			d, _, err := app.LoadUnit(ctx, path, "", k, code)
			if err != nil {
				t.Fatal(err)
			}
			if n := withGeom(d); n == len(d.Areas) {
				t.Errorf("LoadUnit(%s %s) decoded all %d areas", k, code, n)
			}
			got := written(t, d, report.Options{Threshold: 0.01, Format: report.FormatHTML, By: k, Unit: code})
			name := k.String() + "-" + code + ".html"
			same(t, k.String()+" "+code, map[string][]byte{name: all[name]}, map[string][]byte{name: got[name]})
			if i == 0 || i == len(cs)-1 { // the index page and summary, and the bare --unit, for two units a kind
				same(t, k.String()+" "+code, written(t, full, report.Options{Threshold: 0.01, Format: report.FormatHTML, By: k, Unit: code}), got)
				bare, _, err := app.LoadUnit(ctx, path, "", nhs.KindUnset, code)
				if err != nil {
					t.Fatal(err)
				}
				opt := report.Options{Threshold: 0.05, Format: report.FormatHTML, Unit: code}
				same(t, "bare "+code, written(t, full, opt), written(t, bare, opt))
			}
		}
	}
	if units < 10 {
		t.Fatalf("the fixture has %d units: the test compares too little", units)
	}
	t.Logf("%d units compared", units)
}

// TestNationalLoadUnitSameDocument is TestLoadUnitSameDocument on the national release, for the
// middle unit (by code) of every kind and the Isles of Scilly (E06000053, islands only).
func TestNationalLoadUnitSameDocument(t *testing.T) {
	ctx := context.Background()
	path := saved(t, fixtures.NationalDataset(t))
	full, err := app.Load(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range unitKinds {
		cs := codes(full, k)
		if len(cs) == 0 {
			continue
		}
		// One unit of each kind, and the Isles of Scilly, an island with no neighbours: each document
		// of the whole load costs the tiles' topology of England (about a second), so CI's national
		// pass checks six; every unit of every kind was compared once by a script (BENCHMARKS.md).
		pick := []string{cs[len(cs)/2]}
		if k == nhs.KindLA {
			pick = append(pick, "E06000053")
		}
		for _, code := range pick {
			opt := report.Options{Threshold: 0.01, Format: report.FormatHTML, By: k, Unit: code}
			d, _, err := app.LoadUnit(ctx, path, "", k, code)
			if err != nil {
				t.Fatal(err)
			}
			same(t, k.String()+" "+code, written(t, full, opt), written(t, d, opt))
		}
	}
}

func withGeom(d *overlap.Dataset) int {
	n := 0
	for i := range d.Areas {
		if len(d.Areas[i].Geom) > 0 {
			n++
		}
	}
	return n
}

func fixtureDataset(t *testing.T) *overlap.Dataset {
	t.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
