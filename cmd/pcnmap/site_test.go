package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"pcnmap/site"
)

// TestSiteExport exports the fixture's static site and checks data.json against the CSV report at
// another threshold: each area's count of PCNs with patients/registered ≥ t, computed from the
// table as the page computes it, must be areas.csv's pcns. Skipped when the binary was built
// without the page (go test before make build); the browser test covers the page itself.
func TestSiteExport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	out := filepath.Join(dir, "site")
	if _, err := pcnmap(t, "site", "export", "--db", db, "--out", out, "--maxzoom", "8"); errors.Is(err, site.ErrNotBuilt) {
		t.Skip("the site page is not built (make build): ", err)
	} else if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", site.TilesFile, site.DataFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("site lacks %s: %v", f, err)
		}
	}
	var d struct {
		Areas [][]json.RawMessage `json:"areas"`
		Cells [][]int64           `json:"cells"`
	}
	b, err := os.ReadFile(filepath.Join(out, site.DataFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	csvDir := filepath.Join(dir, "csv")
	if _, err := pcnmap(t, "report", "--db", db, "--threshold", "2.5%", "--out", csvDir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(csvDir, "areas.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(d.Areas) {
		t.Fatalf("%d areas in data.json, %d in areas.csv", len(d.Areas), len(rows)-1)
	}
	t25 := 2.5 / 100
	for i, row := range rows[1:] {
		var code string
		var registered float64
		json.Unmarshal(d.Areas[i][0], &code)
		json.Unmarshal(d.Areas[i][2], &registered)
		n := 0
		for j := 0; j+1 < len(d.Cells[i]); j += 2 {
			if p := float64(d.Cells[i][j+1]); p > 0 && registered > 0 && p/registered >= t25 {
				n++
			}
		}
		if code != row[0] || strconv.Itoa(n) != row[5] {
			t.Errorf("area %d: data.json %s counts %d PCNs at 2.5%%, areas.csv %s says %s", i, code, n, row[0], row[5])
		}
	}
}
