package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseDefault: the newest release is used until releases --default names another, which
// report then uses; a re-ingest says it replaces the release and what the old one had.
func TestReleaseDefault(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	if out, err := pcnmap(t, "ingest", "--db", db, "--areas", fixtureDir+"msoa.geojson",
		"--registrations", fixtureDir+"registrations-2022-07.csv.gz", "--membership", fixtureDir+"epcn-2022-04.xlsx",
		"--lookup", fixtureDir+"lsoa-msoa-lookup.csv"); err != nil {
		t.Fatalf("ingest 2022-07: %v\n%s", err, out)
	}
	summary := func() string {
		out, err := pcnmap(t, "report", "--db", db, "--out", t.TempDir())
		if err != nil {
			t.Fatalf("report: %v", err)
		}
		return strings.SplitN(out, " ", 3)[1]
	}
	if got := summary(); got != "2022-07" {
		t.Errorf("report without a default uses %s, want the newest, 2022-07", got)
	}
	out, err := pcnmap(t, "releases", "--db", db, "--default", "2021-01")
	if err != nil || !strings.Contains(out, "2021-01\t") || !strings.Contains(out, "default\n") {
		t.Fatalf("releases --default 2021-01: %v\n%s", err, out)
	}
	if got := summary(); got != "2021-01" {
		t.Errorf("report with default 2021-01 uses %s", got)
	}
	if _, err := pcnmap(t, "releases", "--db", db, "--default", "1999-01"); err == nil || !strings.Contains(err.Error(), "2022-07") {
		t.Errorf("an unknown default: err = %v, want one naming the releases there are", err)
	}
	// Re-ingesting 2021-01 without the centroids and context files.
	out, err = pcnmap(t, "ingest", "--db", db, "--areas", fixtureDir+"msoa.geojson",
		"--registrations", fixtureDir+"registrations-2021-01.csv.gz", "--membership", fixtureDir+"epcn-2019-12.xlsx",
		"--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"note: this replaces release 2021-01", "--centroids lsoa-centroids.csv", "context lsoa-ruc.csv"} {
		if !strings.Contains(out, want) {
			t.Errorf("re-ingest says %q, want it to mention %q", out, want)
		}
	}
}

// TestNamesReleaseThatHas: a command needing what its release lacks names a release that has it.
func TestNamesReleaseThatHas(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	if out, err := pcnmap(t, "ingest", "--db", db, "--areas", fixtureDir+"msoa.geojson",
		"--registrations", fixtureDir+"registrations-2022-07.csv.gz", "--membership", fixtureDir+"epcn-2022-04.xlsx",
		"--lookup", fixtureDir+"lsoa-msoa-lookup.csv"); err != nil {
		t.Fatalf("ingest 2022-07: %v\n%s", err, out)
	}
	_, err := pcnmap(t, "report", "--db", db, "--release", "2022-07", "--format", "html", "--by", "icb", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "release 2021-01 has them (--release 2021-01)") {
		t.Errorf("report --by icb on a release without ICBs: err = %v, want it to name 2021-01", err)
	}
	_, err = pcnmap(t, "teams", "import", "--db", db, "--release", "2022-07", "--name", "T", fixtureDir+"trafford-localities.geojson")
	if err == nil || !strings.Contains(err.Error(), "release 2021-01 has them") {
		t.Errorf("teams import on a release without points: err = %v, want it to name 2021-01", err)
	}
}
