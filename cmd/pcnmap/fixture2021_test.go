package main

import (
	"path/filepath"
	"strings"
	"testing"

	fx "pcnmap/fixtures"
)

// ingest2021 ingests the 2021-geography fixture (Stoke-on-Trent's part of the QNC extract) within
// la:E06000021, placing LSOAs by the lookup and checking them against the centroids given.
func ingest2021(t *testing.T, db, centroids string) string {
	t.Helper()
	d := fixtureDir + "2021/"
	out, err := pcnmap(t, "ingest", "--db", db, "--within", "la:E06000021",
		"--areas", d+"msoa21.geojson", "--registrations", d+"registrations-2025-10-icb-QNC-stoke.csv.gz",
		"--membership", d+"practice-map-2025-10.csv", "--lookup", d+"lsoa21-msoa21.csv", "--centroids", d+centroids,
		"--lsoa-polygons", d+"lsoa21.geojson",
		"--context", d+"lsoa21-sicbl24-icb24.csv", "--context", d+"lsoa21-ward24-lad24.csv", "--context", d+"practice-map-2025-10.csv")
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	return out
}

// TestReport2021Golden: the 2021 fixture's reports against testdata/report-2021/*.golden (go test
// -update rewrites them); the centroids as the ONS points Shapefile and as CSV place every LSOA as
// the lookup does, and the two workspaces' reports are the same.
func TestReport2021Golden(t *testing.T) {
	dir := t.TempDir()
	var files []map[string][]byte
	for i, centroids := range []string{"lsoa21-centroids-shp", "lsoa21-centroids.csv"} {
		db := filepath.Join(dir, centroids+".db")
		out := ingest2021(t, db, centroids)
		if !strings.Contains(out, "spatial check: 0 of ") || !strings.Contains(out, "membership as of 2025-10-01, the date in the file name") {
			t.Errorf("ingest with %s:\n%s", centroids, out)
		}
		files = append(files, reportFiles(t, db, "1%"))
		if i == 0 {
			for name, b := range files[0] {
				fx.Golden(t, filepath.Join("testdata", "report-2021", name+".golden"), b)
			}
		}
	}
	for name := range files[0] {
		if string(files[0][name]) != string(files[1][name]) {
			t.Errorf("%s differs between the Shapefile and the CSV centroids", name)
		}
	}
}
