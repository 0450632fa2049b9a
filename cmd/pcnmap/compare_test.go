package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pcnmap/fixtures"
)

// mapPaths matches the geometry of the maps, left out of the golden files (the tiles package's own
// golden tests guard it).
var mapPaths = regexp.MustCompile(` d="[^"]*"`)

// TestCompareGolden ingests the two fixture releases (January 2021 with the December 2019 ePCN,
// July 2022 with the April 2022 one) and compares the CSV and HTML comparison with
// testdata/compare/*.golden; go test ./cmd/pcnmap -update rewrites them.
func TestCompareGolden(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	args := append([]string{"ingest", "--db", db, "--areas", fixtureDir + "msoa.geojson",
		"--registrations", fixtureDir + "registrations-2022-07.csv.gz", "--membership", fixtureDir + "epcn-2022-04.xlsx",
		"--lookup", fixtureDir + "lsoa-msoa-lookup.csv"}, contextFlags...)
	if out, err := pcnmap(t, args...); err != nil {
		t.Fatalf("ingest 2022: %v\n%s", err, out)
	}
	dir := t.TempDir()
	var text string
	for _, format := range []string{"csv", "html"} {
		out, err := pcnmap(t, "compare", "--db", db, "--from", "2021-01", "--to", "2022-07", "--format", format, "--out", dir)
		if err != nil {
			t.Fatalf("compare --format %s: %v\n%s", format, err, out)
		}
		text = out
	}
	if !strings.Contains(text, "releases 2021-01 → 2022-07") || !strings.Contains(text, "wrote "+filepath.Join(dir, "compare.html")) {
		t.Errorf("compare printed %q, want a summary of 2021-01 → 2022-07 naming compare.html", text)
	}
	checkCompareCounts(t, dir, text)
	for _, name := range []string{"compare_areas.csv", "compare_pcns.csv", "compare.html"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got = mapPaths.ReplaceAll(got, []byte(` d="…"`))
		fixtures.Golden(t, filepath.Join("testdata", "compare", name+".golden"), got)
	}

	tests := map[string]struct {
		args []string
		want string
	}{
		"same release": {[]string{"--from", "2021-01", "--to", "2021-01"}, "both 2021-01"},
		"pdf format":   {[]string{"--from", "2021-01", "--to", "2022-07", "--format", "pdf"}, "csv or html"},
		"no link":      {[]string{"--from", "2021-01", "--to", "2022-07", "--link", "0"}, "--link"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"compare", "--db", db, "--out", t.TempDir()}, tc.args...)
			if _, err := pcnmap(t, args...); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("pcnmap %v = %v, want a usage error mentioning %q", args, err, tc.want)
			}
		})
	}
	if _, err := pcnmap(t, "compare", "--db", db, "--from", "2021-01", "--to", "1999-01", "--out", t.TempDir()); err == nil {
		t.Error("compare with a release that is not in the workspace succeeded")
	}
}

// TestReportFormats: --format html --by writes an index and one document per unit; json the JSON
// files; csv with --unit that unit's CSV files; --by with csv, and --unit with json, are usage errors.
func TestReportFormats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	tests := map[string]struct {
		args  []string
		files []string
	}{
		"html by icb": {[]string{"--format", "html", "--by", "icb"}, []string{"index.html", "icb-E54000015.html", "icb-E54000057.html"}},
		"html unit":   {[]string{"--format", "html", "--unit", "E08000009"}, []string{"la-E08000009.html"}},
		"html":        {[]string{"--format", "html"}, []string{"report.html"}},
		"json":        {[]string{"--format", "json"}, []string{"areas.json", "pcns.json", "pcn_pairs.json", "summary.json"}},
		"csv unit":    {[]string{"--unit", "E08000009"}, []string{"areas.csv", "pcns.csv", "pcn_pairs.csv", "summary.json"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := pcnmap(t, append([]string{"report", "--db", db, "--out", dir}, tc.args...)...); err != nil {
				t.Fatalf("report %v: %v\n%s", tc.args, err, out)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, " ") != strings.Join(sorted(tc.files), " ") {
				t.Errorf("report %v wrote %v, want %v", tc.args, got, sorted(tc.files))
			}
		})
	}
	for _, args := range [][]string{{"--by", "icb"}, {"--format", "json", "--unit", "E08000009"}, {"--format", "html", "--by", "parish"}, {"--format", "docx"}} {
		if _, err := pcnmap(t, append([]string{"report", "--db", db, "--out", t.TempDir()}, args...)...); !errors.Is(err, errUsage) {
			t.Errorf("report %v = %v, want a usage error", args, err)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestReportPDFWithoutBrowser: with no Chromium on PATH, --format pdf says so and writes the HTML;
// a --browser that does not exist is a usage error.
func TestReportPDFWithoutBrowser(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), &env{stdout: &out, stderr: &errOut}, []string{"report", "--db", db, "--format", "pdf", "--unit", "E54000015", "--out", dir}); err != nil {
		t.Fatalf("report --format pdf without a browser: %v", err)
	}
	if !strings.Contains(errOut.String(), "PDF skipped") {
		t.Errorf("stderr = %q, want a message that the PDF was skipped", errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "icb-E54000015.html")); err != nil {
		t.Errorf("no HTML written instead of the PDF: %v", err)
	}
	if _, err := pcnmap(t, "report", "--db", db, "--format", "pdf", "--browser", "/no/such/chromium", "--out", dir); !errors.Is(err, errUsage) {
		t.Errorf("report --browser /no/such/chromium = %v, want a usage error", err)
	}
}

// checkCompareCounts counts the PCNs of each change in compare_pcns.csv (one row per link) by hand
// and wants the same counts, in the same words, on stdout and in compare.html.
func checkCompareCounts(t *testing.T, dir, stdout string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "compare_pcns.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]map[string]bool{} // "merged to" → PCN codes
	add := func(k, code string) {
		if distinct[k] == nil {
			distinct[k] = map[string]bool{}
		}
		distinct[k][code] = true
	}
	for _, r := range recs[1:] {
		add(r[0]+" from", r[1])
		add(r[0]+" to", r[4])
	}
	n := func(k string) int { return len(distinct[k]) }
	wantText := fmt.Sprintf("PCNs continued %d, recoded %d; merged: %d new PCNs from %d old; split: %d old PCNs into %d new; reorganised: %d old into %d new; appeared %d, disappeared %d",
		n("continued to"), n("recoded to"), n("merged to"), n("merged from"), n("split from"), n("split to"), n("reorganised from"), n("reorganised to"), n("appeared to"), n("disappeared from"))
	if !strings.Contains(stdout, wantText) {
		t.Errorf("compare printed\n%s\nwant the counts of compare_pcns.csv:\n%s", stdout, wantText)
	}
	if n("split from") == 0 || n("reorganised from") == 0 {
		t.Errorf("the fixture comparison has no split or no reorganisation: %v", distinct)
	}
	html, err := os.ReadFile(filepath.Join(dir, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("Merged: new PCNs formed from two or more old ones</td><td class=\"n\">%d (from %d old PCNs)", n("merged to"), n("merged from")),
		fmt.Sprintf("Split: old PCNs now in two or more new ones</td><td class=\"n\">%d (into %d new PCNs)", n("split from"), n("split to")),
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("compare.html lacks %q", want)
		}
	}
}
