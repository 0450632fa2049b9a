package main

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	fx "pcnmap/fixtures"
)

// TestStaffordshireIndependent ingests the Staffordshire and Stoke-on-Trent ICB's own extract of
// October 2025 within icb:QNC and checks, for each of the 141 MSOAs, registered, the PCNs with any
// patients, the PCNs at 1% and the dominant share against bench/check_region.py, which computes them
// from the same raw files with Python's csv module alone.
func TestStaffordshireIndependent(t *testing.T) {
	fx.SkipNational(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	d := func(name string) string { return fx.NationalPath(filepath.Join("2021", name)) }
	db := filepath.Join(t.TempDir(), "qnc.db")
	args := []string{"ingest", "--db", db, "--within", "icb:QNC",
		"--areas", d("msoa2021-england-generalised-clipped.geojson.gz"),
		"--registrations", d("gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz"),
		"--membership", d("gp-reg-pat-prac-map-2025-10.csv"),
		"--lookup", d("lsoa21-msoa21-england-derived.csv"),
		"--context", d("lsoa21-sicbl24-icb24-lookup.csv")}
	if out, err := pcnmap(t, args...); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	areas := readCSV(t, reportFiles(t, db, "1%")["areas.csv"])
	cmd := exec.Command(python, "../../bench/check_region.py", d("gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz"),
		d("gp-reg-pat-prac-map-2025-10.csv"), d("lsoa21-msoa21-england-derived.csv"), d("lsoa21-sicbl24-icb24-lookup.csv"), "QNC")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check_region.py: %v", err)
	}
	want := readCSV(t, out)
	if len(want) != 141 || len(areas) != 141 {
		t.Fatalf("%d areas in the report, %d computed independently; want 141 both", len(areas), len(want))
	}
	for code, w := range want {
		got, ok := areas[code]
		if !ok {
			t.Errorf("%s: computed independently, absent from the report", code)
			continue
		}
		for _, col := range []string{"registered", "pcns_any", "pcns", "dominant_share"} {
			if got[col] != w[col] {
				t.Errorf("%s: %s = %s in the report, %s independently", code, col, got[col], w[col])
			}
		}
	}
}

// readCSV indexes a CSV's rows by their first column, each row a column → value map.
func readCSV(t *testing.T, b []byte) map[string]map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out[r[0]] = m
	}
	return out
}

// TestCompareAcrossGeographies: a 2011 release and a 2021 one in one workspace are not compared,
// and the refusal names --crosswalk.
func TestCompareAcrossGeographies(t *testing.T) {
	fx.SkipNational(t)
	d := func(name string) string { return fx.NationalPath(filepath.Join("2021", name)) }
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	if out, err := pcnmap(t, "ingest", "--db", db, "--areas", d("msoa2021-england-generalised-clipped.geojson.gz"),
		"--registrations", d("gp-reg-pat-prac-lsoa21-2025-10-icb-QNC.csv.gz"), "--lookup", d("lsoa21-msoa21-england-derived.csv"),
		"--context", d("lsoa21-sicbl24-icb24-lookup.csv"), "--within", "icb:QNC"); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	_, err := pcnmap(t, "compare", "--db", db, "--from", "2021-01", "--to", "2025-10", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--crosswalk") || !strings.Contains(err.Error(), "2021-01 is on 2011 LSOAs") {
		t.Fatalf("compare across geographies: err = %v, want a refusal naming --crosswalk", err)
	}
	if _, err := pcnmap(t, "series", "--db", db, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--crosswalk") {
		t.Fatalf("series across geographies: err = %v, want a refusal naming --crosswalk", err)
	}
}
