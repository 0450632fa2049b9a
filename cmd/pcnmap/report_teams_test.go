package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pcnmap/overlap"
	"pcnmap/store"
	"pcnmap/teams"
)

// TestReportTeams imports the fixture's Trafford localities and writes reports with --teams: the
// team CSVs must be what the teams package's own writers produce, the release's CSVs must still
// match the goldens, the summary must carry the score, and the documents the team section.
func TestReportTeams(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "w.db")
	ingestFixture(t, db, fixtureDir+"msoa.geojson", "--lookup", fixtureDir+"lsoa-msoa-lookup.csv", "--centroids", fixtureDir+"lsoa-centroids.csv")
	const set = "Trafford localities"
	if out, err := pcnmap(t, "teams", "import", "--db", db, "--name", set, "--centroids", fixtureDir+"lsoa-centroids.csv", fixtureDir+"trafford-localities.geojson"); err != nil {
		t.Fatalf("teams import: %v\n%s", err, out)
	}

	// What the teams package writes for the set at the report's threshold.
	w, err := store.Open(t.Context(), db, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.LoadTeams(t.Context(), "", set)
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.Load(t.Context(), "")
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	m, err := teams.NewModel(d, s)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Alignment(0.01)
	want := map[string]func(io.Writer, *overlap.Dataset, *teams.Alignment) error{
		"teams.csv": teams.WriteTeams, "team_pcn_matrix.csv": teams.WriteMatrix, "pcn_teams.csv": teams.WritePCNs,
	}

	csvDir := filepath.Join(dir, "csv")
	out, err := pcnmap(t, "report", "--db", db, "--teams", set, "--out", csvDir)
	if err != nil {
		t.Fatalf("report --teams: %v\n%s", err, out)
	}
	for _, line := range []string{"set Trafford localities: 4 teams", "alignment score: 0.9312"} {
		if !strings.Contains(out, line) {
			t.Errorf("report --teams summary lacks %q:\n%s", line, out)
		}
	}
	for name, write := range want {
		var b bytes.Buffer
		if err := write(&b, d, a); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(csvDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) || strings.Count(string(got), "\n") < 5 {
			t.Errorf("report --teams %s =\n%s\nwant the teams package's\n%s", name, got, b.Bytes())
		}
	}
	for _, name := range []string{"areas.csv", "pcns.csv", "pcn_pairs.csv", "summary.json"} {
		got, err1 := os.ReadFile(filepath.Join(csvDir, name))
		golden, err2 := os.ReadFile(filepath.Join("testdata", "report", name+".golden"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("report --teams changed %s: it differs from testdata/report/%s.golden", name, name)
		}
	}

	htmlDir := filepath.Join(dir, "html")
	if out, err := pcnmap(t, "report", "--db", db, "--teams", set, "--format", "html", "--out", htmlDir); err != nil {
		t.Fatalf("report --teams --format html: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(htmlDir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, s := range []string{"<h2>Team alignment</h2>", "Alignment score of the set: <strong>0.9312</strong>",
		"<td>Central</td>", "Patients by team and PCN", "share of the PCN patients living in the teams who live in their PCN&#39;s dominant team"} {
		if !strings.Contains(doc, s) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	for _, name := range []string{"teams.csv", "team_pcn_matrix.csv", "pcn_teams.csv"} {
		if _, err := os.Stat(filepath.Join(htmlDir, name)); err != nil {
			t.Errorf("report --teams --format html: %v", err)
		}
	}

	_, err = pcnmap(t, "report", "--db", db, "--teams", "nope", "--out", filepath.Join(dir, "nope"))
	if !errors.Is(err, store.ErrNoTeamSet) || !strings.Contains(err.Error(), `"Trafford localities"`) {
		t.Errorf("report --teams nope = %v, want %v listing the sets", err, store.ErrNoTeamSet)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("report --teams nope wrote its directory: %v", err)
	}
}
