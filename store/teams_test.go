package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/teams"
)

func teamSet(name string) *teams.Set {
	return &teams.Set{Name: name, Source: "patches.csv", Method: teams.MethodArea, ImportedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Teams: []teams.Team{
			{Name: "North", LSOAs: []teams.Weight{{LSOA: "E01006074", Weight: 1}, {LSOA: "E01006110", Weight: 0.25}},
				Geom: orb.MultiPolygon{{{{-2.3, 53.4}, {-2.2, 53.4}, {-2.2, 53.5}, {-2.3, 53.4}}}}},
			{Name: "South", LSOAs: []teams.Weight{{LSOA: "E01006110", Weight: 0.75}}},
			{Name: "Empty"},
		}}
}

func TestTeamSets(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, saved(t, fixture(t)), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a, b := teamSet("Trafford localities"), teamSet("Proposal")
	b.Method = teams.MethodPractice
	b.Teams = []teams.Team{{Name: "P", Practices: []string{"P84001", "P84002"}}}
	for _, s := range []*teams.Set{a, b} {
		if err := w.SaveTeams(ctx, "", s, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SaveTeams(ctx, "", a, false); !errors.Is(err, ErrTeamSetExists) {
		t.Errorf("SaveTeams again = %v, want ErrTeamSetExists", err)
	}
	list, err := w.TeamSets(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "Proposal" || list[1].Teams != 3 || list[1].Method != teams.MethodArea || list[1].Release != "2021-01" {
		t.Errorf("TeamSets = %+v", list)
	}
	for _, s := range []*teams.Set{a, b} {
		got, err := w.LoadTeams(ctx, "", s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("LoadTeams(%q) = %+v, want %+v", s.Name, got, s)
		}
	}
	if err := w.RenameTeams(ctx, "", "Proposal", "Trafford localities"); !errors.Is(err, ErrTeamSetExists) {
		t.Errorf("RenameTeams onto a taken name = %v, want ErrTeamSetExists", err)
	}
	if err := w.RenameTeams(ctx, "", "Proposal", "Proposal 2"); err != nil {
		t.Fatal(err)
	}
	if got, err := w.LoadTeams(ctx, "", "Proposal 2"); err != nil || len(got.Teams[0].Practices) != 2 {
		t.Errorf("LoadTeams after rename = %v, %v", got, err)
	}
	if err := w.DeleteTeams(ctx, "", "Proposal 2"); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"load deleted":   func() error { _, err := w.LoadTeams(ctx, "", "Proposal 2"); return err }(),
		"delete missing": w.DeleteTeams(ctx, "", "Proposal 2"),
		"rename missing": w.RenameTeams(ctx, "", "nope", "x"),
	} {
		if !errors.Is(err, ErrNoTeamSet) {
			t.Errorf("%s = %v, want ErrNoTeamSet", name, err)
		}
	}
	if _, err := w.TeamSets(ctx, "1999-01"); !errors.Is(err, ErrNoRelease) {
		t.Errorf("TeamSets(unknown release) = %v, want ErrNoRelease", err)
	}
	// A cancelled replace leaves the old set in place: the save is one transaction.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	c := teamSet("Trafford localities")
	c.Teams = c.Teams[:1]
	if err := w.SaveTeams(cancelled, "", c, true); err == nil {
		t.Error("SaveTeams with a cancelled context succeeded")
	}
	if got, err := w.LoadTeams(ctx, "", a.Name); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("after a cancelled replace LoadTeams = %+v, %v; want the original", got, err)
	}
	if err := w.SaveTeams(ctx, "", c, true); err != nil {
		t.Fatal(err)
	}
	if got, err := w.LoadTeams(ctx, "", a.Name); err != nil || len(got.Teams) != 1 {
		t.Errorf("after replace LoadTeams = %+v, %v; want one team", got, err)
	}
}

// TestTeamPolygonsRename: a set's polygons follow it through a rename and go with it on delete.
func TestTeamPolygonsRename(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, saved(t, fixture(t)), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	s := teamSet("A")
	if err := w.SaveTeams(ctx, "", s, false); err != nil {
		t.Fatal(err)
	}
	if err := w.RenameTeams(ctx, "", "A", "B"); err != nil {
		t.Fatal(err)
	}
	got, err := w.LoadTeams(ctx, "", "B")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Teams[0].Geom, s.Teams[0].Geom) || got.Teams[1].Geom != nil {
		t.Errorf("polygons after rename: %v, %v; want %v, nil", got.Teams[0].Geom, got.Teams[1].Geom, s.Teams[0].Geom)
	}
	if err := w.DeleteTeams(ctx, "", "B"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.db.QueryRow(`SELECT count(*) FROM team_polygons`).Scan(&n); err != nil || n != 0 {
		t.Errorf("team_polygons rows after delete = %d, %v", n, err)
	}
}
