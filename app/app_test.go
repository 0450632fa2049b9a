package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/app"
	"pcnmap/fixtures"
	"pcnmap/geo"
	"pcnmap/store"
	"pcnmap/teams"
)

// workspace saves the fixture release into a workspace of its own and opens it through app.Open.
func workspace(t *testing.T) (*app.Teams, string) {
	t.Helper()
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.db")
	if err := store.Ingest(t.Context(), path, d, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	w, loaded, err := app.Open(t.Context(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if loaded.Release != d.Release {
		t.Fatalf("Open chose release %q, want the only one, %q", loaded.Release, d.Release)
	}
	return app.NewTeams(w, loaded), path
}

func localities(t *testing.T) *geo.Layer {
	t.Helper()
	l, err := geo.ReadFile(fixtures.Path("trafford-localities.geojson"), geo.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestOpenUnknownRelease(t *testing.T) {
	_, path := workspace(t)
	if _, err := app.Load(context.Background(), path, "1999-01"); err == nil {
		t.Error("Load(release 1999-01) = nil error, want one naming the missing release")
	}
}

func TestImport(t *testing.T) {
	ts, _ := workspace(t)
	ctx := t.Context()
	imp, err := ts.Import(ctx, app.ImportRequest{Name: "localities", Source: "trafford-localities.geojson", Layer: localities(t)})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Set.Method != teams.MethodCentroid || len(imp.Set.Teams) != 4 {
		t.Errorf("Import(polygons) = method %s, %d teams; want centroid (the default), 4", imp.Set.Method, len(imp.Set.Teams))
	}
	// Stored as imported, and resolving to the same score.
	s, m, err := ts.Load(ctx, "localities")
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != "trafford-localities.geojson" || s.ImportedAt.IsZero() {
		t.Errorf("stored set: source %q, imported at %v", s.Source, s.ImportedAt)
	}
	if got, want := m.Alignment(0.01).Score, imp.Model.Alignment(0.01).Score; got != want {
		t.Errorf("stored set scores %v, the import's model %v", got, want)
	}

	// A second import of the name is refused and leaves the first; Replace replaces it.
	tab, err := teams.ParseCSV(strings.NewReader("team,msoa\nNorth,E02001259\nSouth,E02001261\n"), "patches.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Import(ctx, app.ImportRequest{Name: "localities", Source: "patches.csv", Table: tab}); !errors.Is(err, store.ErrTeamSetExists) {
		t.Errorf("Import over an existing name = %v, want store.ErrTeamSetExists", err)
	}
	if s, _, _ := ts.Load(ctx, "localities"); len(s.Teams) != 4 {
		t.Errorf("after a refused import the set has %d teams, want the 4 it had", len(s.Teams))
	}
	if _, err := ts.Import(ctx, app.ImportRequest{Name: "localities", Source: "patches.csv", Table: tab, Replace: true}); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := ts.Load(ctx, "localities"); len(s.Teams) != 2 || s.Method != teams.MethodMSOA {
		t.Errorf("after Replace: %d teams, method %s; want 2, msoa", len(s.Teams), s.Method)
	}

	// The area method reads the LSOA polygons the ingest kept.
	imp, err = ts.Import(ctx, app.ImportRequest{Name: "by area", Layer: localities(t), Method: teams.MethodArea})
	if err != nil || imp.Set.Method != teams.MethodArea {
		t.Errorf("Import(area method) = %v, %v", imp, err)
	}
	for name, req := range map[string]app.ImportRequest{
		"nothing":       {Name: "x"},
		"method lsoa":   {Name: "x", Layer: localities(t), Method: teams.MethodLSOA},
		"unknown codes": {Name: "x", Table: mustTable(t, "team,msoa\nA,E02999999\n")},
	} {
		if _, err := ts.Import(ctx, req); err == nil {
			t.Errorf("Import(%s) = nil error", name)
		}
		if _, _, err := ts.Load(ctx, "x"); !errors.Is(err, store.ErrNoTeamSet) {
			t.Errorf("after the failed Import(%s), Load = %v, want store.ErrNoTeamSet", name, err)
		}
	}
}

func mustTable(t *testing.T, csv string) *teams.Table {
	t.Helper()
	tab, err := teams.ParseCSV(strings.NewReader(csv), "t.csv")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestWhatIf(t *testing.T) {
	ts, _ := workspace(t)
	ctx := t.Context()
	imp, err := ts.Import(ctx, app.ImportRequest{Name: "localities", Layer: localities(t)})
	if err != nil {
		t.Fatal(err)
	}
	base := imp.Model
	before := base.Alignment(0.01).Score
	upper, err := app.WhatIf(base, []app.Move{{Code: "E02001259", From: "North", To: "West"}})
	if err != nil {
		t.Fatal(err)
	}
	mv, err := app.ParseMove(" e02001259 :North:West")
	if err != nil {
		t.Fatal(err)
	}
	lower, err := app.WhatIf(base, []app.Move{mv})
	if err != nil {
		t.Fatalf("WhatIf(lower-case code) = %v; codes are upper-cased for every front door", err)
	}
	if a, b := upper.Alignment(0.01).Score, lower.Alignment(0.01).Score; a != b || a == before {
		t.Errorf("scores after the move: %v (upper case), %v (lower case), %v before; want equal and changed", a, b, before)
	}
	if got := base.Alignment(0.01).Score; got != before {
		t.Errorf("WhatIf moved its base: score %v, was %v", got, before)
	}
	if _, err := app.WhatIf(base, []app.Move{mv, {Code: "E02001259", From: "North", To: "Nowhere"}}); !errors.Is(err, teams.ErrNoTeam) || !strings.HasPrefix(err.Error(), "move 2:") {
		t.Errorf("WhatIf(move to no team) = %v, want move 2: … teams.ErrNoTeam", err)
	}
	if _, err := app.ParseMove("E02001259:North"); !errors.Is(err, teams.ErrInput) {
		t.Errorf("ParseMove(two parts) = %v, want teams.ErrInput", err)
	}

	// Saved: an edited set, drawn from its areas, named after its source.
	s, err := ts.SaveEdited(ctx, lower, "moved", "localities")
	if err != nil {
		t.Fatal(err)
	}
	stored, m, err := ts.Load(ctx, "moved")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Method != teams.MethodEdited || stored.Source != "localities" || slices.ContainsFunc(stored.Teams, func(tm teams.Team) bool { return len(tm.Geom) > 0 }) {
		t.Errorf("saved what-if: method %s, source %q, polygons kept %v", stored.Method, stored.Source, s.Teams[0].Geom != nil)
	}
	if got, want := m.Alignment(0.01).Score, lower.Alignment(0.01).Score; got != want {
		t.Errorf("saved what-if scores %v, the moved model %v", got, want)
	}
}

// TestAreaPCNs checks the one order of an area's PCNs against a hand-written comparison on every
// fixture area: patients descending, then PCN code ascending, every PCN with patients there listed.
func TestAreaPCNs(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	ties := 0
	for a := range d.Areas {
		got := app.AreaPCNs(d, a, 0.01)
		n := 0
		for _, c := range d.AreaCells(a) {
			if c.Patients > 0 {
				n++
			}
		}
		if len(got) != n {
			t.Fatalf("AreaPCNs(%s) lists %d PCNs, the area has %d with patients", d.Areas[a].Code, len(got), n)
		}
		for i := 1; i < len(got); i++ {
			x, y := got[i-1], got[i]
			if x.Patients < y.Patients || x.Patients == y.Patients && d.PCNs[x.PCN].Code >= d.PCNs[y.PCN].Code {
				t.Fatalf("AreaPCNs(%s)[%d:%d] = %s %d, %s %d: out of order", d.Areas[a].Code, i-1, i+1, d.PCNs[x.PCN].Code, x.Patients, d.PCNs[y.PCN].Code, y.Patients)
			}
			if x.Patients == y.Patients {
				ties++
			}
		}
		for _, c := range got {
			if c.Serves != (c.Share >= 0.01) {
				t.Fatalf("AreaPCNs(%s): %s share %v serves=%v at 1%%", d.Areas[a].Code, d.PCNs[c.PCN].Code, c.Share, c.Serves)
			}
		}
	}
	if ties == 0 {
		t.Error("no tied patient counts in the fixture: the tie-break went untested")
	}
}

func TestLocate(t *testing.T) {
	d, err := fixtures.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	idx := app.AreaIndex(d)
	// An LSOA's population-weighted centroid lies in the area the lookup file puts it in (nearly
	// always: the fixture's all do).
	located := 0
	for _, l := range d.LSOAs {
		if !l.HasPoint || l.Area < 0 {
			continue
		}
		got, err := app.Locate(idx, l.Point)
		if err != nil || got != int(l.Area) {
			t.Errorf("Locate(%s's centroid) = %d, %v; want area %s", l.Code, got, err, d.Areas[l.Area].Code)
		}
		located++
	}
	if located == 0 {
		t.Fatal("no LSOA points in the fixture")
	}
	if _, err := app.Locate(idx, orb.Point{-40, 10}); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("Locate(mid-Atlantic) = %v, want geo.ErrNotFound", err)
	}
}
