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

// TestSeries2021Within: a series of two releases of the 2021 fixture takes its region by NHS code as
// ingest --within does: icb:QNC and icb:E54000010 (and sub-icb:05W and E38000175, the Sub-ICB of the
// fixture's lookup) give the same files, byte for byte, on the 33 MSOAs of Stoke-on-Trent (every LSOA
// of the fixture's lookup is in 05W and QNC: cut -d, -f4,5,7,8 lsoa21-sicbl24-icb24.csv | sort -u),
// and a code the release does not know is refused naming the flag and the release.
func TestSeries2021Within(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingest2021(t, db, "lsoa21-centroids.csv", "--release", "2025-10-a")
	ingest2021(t, db, "lsoa21-centroids.csv", "--release", "2025-10-b")
	series := func(within string) (string, map[string]string, error) {
		dir := t.TempDir()
		out, err := pcnmap(t, "series", "--db", db, "--releases", "2025-10-a,2025-10-b", "--within", within, "--out", dir)
		files := map[string]string{}
		if err == nil {
			for _, name := range []string{"series.csv", "series_areas.csv", "series.html"} {
				files[name] = string(mustRead(t, filepath.Join(dir, name)))
			}
		}
		return out, files, err
	}
	for _, pair := range [][2]string{{"icb:QNC", "icb:E54000010"}, {"icb:qnc", "icb:E54000010"}, {"sub-icb:05W", "sub-icb:E38000175"}} {
		outNHS, nhsFiles, err := series(pair[0])
		if err != nil {
			t.Fatalf("series --within %s: %v\n%s", pair[0], err, outNHS)
		}
		outONS, onsFiles, err := series(pair[1])
		if err != nil {
			t.Fatalf("series --within %s: %v\n%s", pair[1], err, outONS)
		}
		if outNHS != outONS || !strings.Contains(outNHS, "series of 2 releases on the 33 areas they share") {
			t.Errorf("series --within %s says\n%s\nand --within %s\n%s", pair[0], outNHS, pair[1], outONS)
		}
		for name, b := range onsFiles {
			if nhsFiles[name] != b {
				t.Errorf("%s differs between --within %s and --within %s", name, pair[0], pair[1])
			}
		}
		if n := strings.Count(onsFiles["series_areas.csv"], "\n"); n != 34 {
			t.Errorf("series_areas.csv of --within %s has %d lines, want a header and 33 areas", pair[1], n)
		}
	}
	for within, want := range map[string]string{
		"icb:QOC":    `--within icb:QOC: release 2025-10-b knows no icb "QOC" (by ONS or NHS code)`,
		"icb:XYZ":    `--within icb:XYZ: release 2025-10-b knows no icb "XYZ"`,
		"region:QNC": "--within region:QNC: release 2025-10-b has no region units",
	} {
		if _, _, err := series(within); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("series --within %s: err = %v, want %q", within, err, want)
		}
	}
}
