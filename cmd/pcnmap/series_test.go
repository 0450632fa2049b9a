package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSeries: the fixture's two releases as a series; each release's mean PCNs per area at 1% is the
// mean of the pcns column of that release's own areas.csv, and each area's row holds its pcns of
// each release.
func TestSeries(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	if out, err := pcnmap(t, "ingest", "--db", db, "--areas", fixtureDir+"msoa.geojson",
		"--registrations", fixtureDir+"registrations-2022-07.csv.gz", "--membership", fixtureDir+"epcn-2022-04.xlsx",
		"--lookup", fixtureDir+"lsoa-msoa-lookup.csv"); err != nil {
		t.Fatalf("ingest 2022-07: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := pcnmap(t, "series", "--db", db, "--releases", "2021-01,2022-07", "--out", dir); err != nil {
		t.Fatalf("series: %v\n%s", err, out)
	}
	series := readCSV(t, mustRead(t, filepath.Join(dir, "series.csv")))
	perArea := readCSV(t, mustRead(t, filepath.Join(dir, "series_areas.csv")))
	if len(series) != 2 || len(perArea) != 90 {
		t.Fatalf("%d releases, %d areas; want 2, 90", len(series), len(perArea))
	}
	for _, rel := range []string{"2021-01", "2022-07"} {
		rdir := t.TempDir()
		if out, err := pcnmap(t, "report", "--db", db, "--release", rel, "--out", rdir); err != nil {
			t.Fatalf("report: %v\n%s", err, out)
		}
		areas := readCSV(t, mustRead(t, filepath.Join(rdir, "areas.csv")))
		var sum float64
		for code, a := range areas {
			n, _ := strconv.Atoi(a["pcns"])
			sum += float64(n)
			if perArea[code]["pcns_"+rel] != a["pcns"] {
				t.Errorf("%s %s: series says %s PCNs, the report %s", rel, code, perArea[code]["pcns_"+rel], a["pcns"])
			}
		}
		mean, _ := strconv.ParseFloat(series[rel]["pcns_mean"], 64)
		if want := sum / float64(len(areas)); mean < want-1e-6 || mean > want+1e-6 {
			t.Errorf("%s: series mean %g, areas.csv mean %g", rel, mean, want)
		}
	}
	html := string(mustRead(t, filepath.Join(dir, "series.html")))
	if strings.Count(html, "<polyline") != 2 || !strings.Contains(html, "2022-07") {
		t.Errorf("series.html lacks its two lines")
	}
	if _, err := pcnmap(t, "series", "--db", db, "--releases", "2021-01", "--out", dir); err == nil {
		t.Error("a series of one release was accepted")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
