package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"pcnmap/geo"
	"pcnmap/store"
	"pcnmap/teams"
)

func TestTeamsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	localities := fixtureDir + "trafford-localities.geojson"
	run := func(args ...string) string {
		t.Helper()
		out, err := pcnmap(t, args...)
		if err != nil {
			t.Fatalf("pcnmap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	out := run("teams", "import", "--db", db, "--name", "Trafford localities", "--centroids", fixtureDir+"lsoa-centroids.csv", localities)
	for _, want := range []string{"4 teams, method centroid", "Central: 33 LSOAs", "uncovered LSOAs (in covered areas): 0", "alignment score at 1%: 0.9312"} {
		if !strings.Contains(out, want) {
			t.Errorf("teams import output lacks %q:\n%s", want, out)
		}
	}
	// Without --centroids: the points the ingest stored.
	out = run("teams", "import", "--db", db, "--name", "by field", "--name-field", "area_name", localities)
	if !strings.Contains(out, "West: 33 LSOAs") {
		t.Errorf("teams import --name-field area_name:\n%s", out)
	}
	run("teams", "delete", "--db", db, "--set", "by field")
	// Flags after SOURCE, the area method and a CSV of MSOAs.
	run("teams", "import", "--db", db, localities, "--name", "by area", "--method", "area", "--lsoa-polygons", fixtureDir+"lsoa.geojson")
	csv := filepath.Join(dir, "patches.csv")
	if err := os.WriteFile(csv, []byte("team,msoa\nNorth,E02001259\nNorth,E02001260\nSouth,E02001261\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("teams", "import", "--db", db, "--name", "patches", csv)
	out = run("teams", "list", "--db", db)
	if n := strings.Count(out, "\n"); n != 4 || !strings.Contains(out, "patches.csv") || !strings.Contains(out, "area") {
		t.Errorf("teams list printed %d lines:\n%s", n, out)
	}

	outDir := filepath.Join(dir, "align")
	out = run("teams", "alignment", "--db", db, "--set", "Trafford localities", "--out", outDir)
	if !strings.Contains(out, "alignment score: 0.9312") {
		t.Errorf("teams alignment output:\n%s", out)
	}
	for _, name := range []string{"teams.csv", "team_pcn_matrix.csv", "pcn_teams.csv"} {
		b, err := os.ReadFile(filepath.Join(outDir, name))
		if err != nil || strings.Count(string(b), "\n") < 5 {
			t.Errorf("%s: %v\n%s", name, err, b)
		}
	}

	// What-if: move one MSOA of Central to West, save the result, and check the stored set is unchanged.
	out = run("teams", "whatif", "--db", db, "--set", "Trafford localities", "--move", "e02001259:North:West", "--save-as", "moved") // codes in any case, as over HTTP
	if !regexp.MustCompile(`score before the moves: 0\.9312 \(change [-+]0\.\d+\)`).MatchString(out) || !strings.Contains(out, `saved as "moved"`) {
		t.Errorf("teams whatif output:\n%s", out)
	}
	w, err := store.Open(t.Context(), db, false)
	if err != nil {
		t.Fatal(err)
	}
	orig, err1 := w.LoadTeams(t.Context(), "", "Trafford localities")
	moved, err2 := w.LoadTeams(t.Context(), "", "moved")
	w.Close()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if moved.Method != teams.MethodEdited || len(orig.Teams[1].LSOAs) == len(moved.Teams[1].LSOAs) {
		t.Errorf("moved set: method %v, North %d LSOAs (original %d)", moved.Method, len(moved.Teams[1].LSOAs), len(orig.Teams[1].LSOAs))
	}

	out = run("teams", "suggest", "--db", db, "--set", "Trafford localities", "--save-as", "suggested")
	if !strings.Contains(out, `current "Trafford localities": score 0.9312`) || !strings.Contains(out, "alignment score: 0.9468") ||
		!strings.Contains(out, "contiguous per MSOA only (no LSOA polygons") { // ingested without --lsoa-polygons
		t.Errorf("teams suggest output:\n%s", out)
	}
	run("teams", "delete", "--db", db, "--set", "suggested")
	run("teams", "rename", "--db", db, "--set", "moved", "--to", "proposal")
	run("teams", "delete", "--db", db, "--set", "proposal")
	if out := run("teams", "list", "--db", db); strings.Contains(out, "proposal") || strings.Contains(out, "moved") {
		t.Errorf("after rename and delete, teams list:\n%s", out)
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("team,lsoa\nA,E01999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noPoints := filepath.Join(dir, "nopoints.db") // ingested with the lookup only
	ingestFixture(t, noPoints, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv")
	tests := map[string]struct {
		args []string
		want error
	}{
		"no subcommand":          {args: []string{"teams"}, want: errUsage},
		"no source":              {args: []string{"teams", "import", "--db", db, "--name", "x"}, want: errUsage},
		"no centroids":           {args: []string{"teams", "import", "--db", noPoints, "--name", "x", localities}, want: errUsage},
		"bad method":             {args: []string{"teams", "import", "--db", db, "--name", "x", "--method", "lsoa", localities}, want: errUsage},
		"area, no LSOA polygons": {args: []string{"teams", "import", "--db", db, "--name", "x", "--method", "area", localities}, want: errUsage},
		"unknown code":           {args: []string{"teams", "import", "--db", db, "--name", "x", bad}, want: teams.ErrUnknownCode},
		"no such field":          {args: []string{"teams", "import", "--db", db, "--name", "x", "--name-field", "TEAM", "--centroids", fixtureDir + "lsoa-centroids.csv", localities}, want: geo.ErrField},
		"taken name":             {args: []string{"teams", "import", "--db", db, "--name", "patches", csv}, want: store.ErrTeamSetExists},
		"no set":                 {args: []string{"teams", "alignment", "--db", db, "--set", "nope"}, want: store.ErrNoTeamSet},
		"bad move":               {args: []string{"teams", "whatif", "--db", db, "--set", "patches", "--move", "E02001259"}, want: errUsage},
		"move no team":           {args: []string{"teams", "whatif", "--db", db, "--set", "patches", "--move", "E02001259:North:Nowhere"}, want: teams.ErrNoTeam},
		"bad threshold":          {args: []string{"teams", "alignment", "--db", db, "--set", "patches", "--threshold", "5"}, want: errUsage},
		"rename missing":         {args: []string{"teams", "rename", "--db", db, "--set", "nope", "--to", "x"}, want: store.ErrNoTeamSet},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := pcnmap(t, tc.args...); !errors.Is(err, tc.want) {
				t.Errorf("pcnmap %s = %v, want %v", strings.Join(tc.args, " "), err, tc.want)
			}
		})
	}
	if out := run("teams", "list", "--db", db); strings.Count(out, "\n") != 4 {
		t.Errorf("failed commands changed the sets:\n%s", out)
	}
}

// TestTeamsImportAreaStored: --method area without --lsoa-polygons uses the LSOA polygons the ingest
// kept, and gives exactly the set that the file gives.
func TestTeamsImportAreaStored(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv",
		"--lsoa-polygons", fixtureDir+"lsoa.geojson")
	localities := fixtureDir + "trafford-localities.geojson"
	for _, args := range [][]string{
		{"--name", "file", "--lsoa-polygons", fixtureDir + "lsoa.geojson"},
		{"--name", "stored"},
	} {
		args = append([]string{"teams", "import", "--db", db, "--method", "area"}, append(args, localities)...)
		if out, err := pcnmap(t, args...); err != nil {
			t.Fatalf("pcnmap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	w, err := store.Open(t.Context(), db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	file, err1 := w.LoadTeams(t.Context(), "", "file")
	stored, err2 := w.LoadTeams(t.Context(), "", "stored")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !reflect.DeepEqual(file.Teams, stored.Teams) || stored.Method != teams.MethodArea {
		t.Errorf("--method area from the stored LSOA polygons (method %s) differs from --lsoa-polygons", stored.Method)
	}
	var split bool
	for _, team := range stored.Teams {
		for _, l := range team.LSOAs {
			split = split || l.Weight < 1
		}
	}
	if !split {
		t.Error("no LSOA is split between teams: the area method was not used")
	}
}
