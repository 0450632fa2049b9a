package main

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/planar"

	"pcnmap/geo"
)

// TestNeighbourhoodsCommands runs design → list → assess → realign → whatif → export on the fixture.
func TestNeighbourhoodsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv",
		"--centroids", fixtureDir+"lsoa-centroids.csv", "--lsoa-polygons", fixtureDir+"lsoa.geojson")
	out, err := pcnmap(t, "neighbourhoods", "design", "--db", db, "--within", "la:E08000009", "--save-as", "plan")
	if err != nil {
		t.Fatalf("design: %v\n%s", err, out)
	}
	for _, want := range []string{"6 neighbourhoods", "upper bound", "teams suggest at 6", "Trafford 6", `saved as "plan"`} {
		if !strings.Contains(out, want) {
			t.Errorf("design output lacks %q:\n%s", want, out)
		}
	}
	if out, err := pcnmap(t, "teams", "list", "--db", db); err != nil || !strings.Contains(out, "plan") || !strings.Contains(out, "designed") {
		t.Errorf("teams list: %v\n%s", err, out)
	}
	if out, err := pcnmap(t, "neighbourhoods", "assess", "--db", db, "--set", "plan"); err != nil || !strings.Contains(out, "Trafford 100%") || !strings.Contains(out, "straddle") {
		t.Errorf("assess: %v\n%s", err, out)
	}
	out, err = pcnmap(t, "neighbourhoods", "realign", "--db", db, "--set", "plan", "--max-moves", "2")
	if err != nil || strings.Count(out, "→") < 8 {
		t.Fatalf("realign: %v\n%s", err, out)
	}
	// The first proposed move, tried as a membership what-if, gives the score realign said.
	line := strings.Fields(strings.Split(out, "\n")[1])
	move := line[0] + ":" + line[1] + ":" + line[2]
	after := line[7] // practice from to "Trafford N" before → after
	out, err = pcnmap(t, "teams", "whatif", "--db", db, "--set", "plan", "--move-practice", move)
	if err != nil || !strings.Contains(out, "alignment score: "+after) {
		t.Errorf("whatif --move-practice %s: %v, want score %s\n%s", move, err, after, out)
	}
	if _, err := pcnmap(t, "teams", "whatif", "--db", db, "--set", "plan", "--move-practice", move, "--save-as", "x"); !errors.Is(err, errUsage) {
		t.Errorf("whatif --move-practice --save-as: %v, want a usage error", err)
	}
	file := filepath.Join(dir, "plan.csv")
	if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "plan", "--out", file); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "lsoa,neighbourhood,weight" || len(rows) != 1+138 {
		t.Errorf("export: header %v, %d rows; want 138 Trafford LSOAs", rows[0], len(rows)-1)
	}
	// GeoJSON: six dissolved outlines whose areas add up to Trafford's LSOAs' (no gap, no overlap).
	gj := filepath.Join(dir, "plan.geojson")
	if out, err := pcnmap(t, "neighbourhoods", "export", "--db", db, "--set", "plan", "--format", "geojson", "--out", gj); err != nil {
		t.Fatalf("export geojson: %v\n%s", err, out)
	}
	layer, err := geo.ReadFile(gj, geo.ReadOptions{CodeField: "name"})
	if err != nil {
		t.Fatal(err)
	}
	lsoas, err := geo.ReadFile(fixtureDir+"lsoa.geojson", geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inPlan := map[string]bool{}
	for _, r := range rows[1:] {
		inPlan[r[0]] = true
	}
	var want, got float64
	for _, f := range lsoas.Features {
		if inPlan[f.Code] {
			want += planar.Area(f.Geom)
		}
	}
	for _, f := range layer.Features {
		got += planar.Area(f.Geom)
	}
	if len(layer.Features) != 6 || math.Abs(got-want) > 1e-9*want+1e-12 {
		t.Errorf("geojson: %d outlines of area %.9g, want 6 of %.9g", len(layer.Features), got, want)
	}
	for name, args := range map[string][]string{
		"bad band":    {"--size", "50k-30k"},
		"bad nest":    {"--nest", "ward"},
		"bad region":  {"--within", "E08000009"},
		"impossible":  {"--count", "40", "--size", "30k-50k"},
		"bad blocks":  {"--from", "oa"},
		"bad count":   {"--count", "-1"},
		"unknown set": {"--start", "nope"},
	} {
		full := append([]string{"neighbourhoods", "design", "--db", db, "--within", "la:E08000009"}, args...)
		if _, err := pcnmap(t, full...); err == nil {
			t.Errorf("%s: design %v succeeded", name, args)
		}
	}
}
