package store

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// TestLoadAround loads each unit of the fixture's workspace (of every kind) with LoadAround and checks
// it against Load: the same cells, no-PCN practice counts and totals everywhere (so every figure is
// the whole release's), the same geometry for the unit's areas and their surroundings, and no
// geometry for the areas beyond (unless the unit is nearly everything), and no rows or LSOAs. It
// does so on the workspace as saved, and again with some areas' bounds gone from the directory (as
// the migration to schema 7 leaves those the migration to schema 5 could not read); a release
// without its counts or its directory is corrupt.
func TestLoadAround(t *testing.T) {
	ctx := context.Background()
	path := saved(t, fixture(t))
	checkLoadAround(t, path)
	reopenedAfter(t, path, `UPDATE areas SET minx = NULL, miny = NULL, maxx = NULL, maxy = NULL WHERE idx % 3 = 0`,
		`DROP TABLE release_directory`, `UPDATE meta SET value = '6' WHERE key = 'schema'`)
	checkLoadAround(t, path)
	for _, table := range []string{"area_counts", "release_directory"} {
		w := reopenedAfter(t, saved(t, fixture(t)), `DELETE FROM `+table)
		if _, err := w.LoadAround(ctx, "", func(*overlap.Area) bool { return true }); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), table) {
			t.Errorf("LoadAround without %s: %v, want ErrCorrupt naming it", table, err)
		}
	}
}

func checkLoadAround(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	w, full := loaded(t, path)
	if len(full.NoPCNCells) == 0 || len(full.Cells) == 0 {
		t.Fatalf("the fixture has %d cells, %d no-PCN practice cells", len(full.Cells), len(full.NoPCNCells))
	}
	bounds := make([]orb.Bound, len(full.Areas))
	for i := range full.Areas {
		bounds[i] = full.Areas[i].Bound
	}
	type unit struct {
		k    nhs.Kind
		code string
	}
	units := map[unit]bool{}
	for _, a := range full.Areas {
		for k, u := range a.Units {
			if u != "" && nhs.Kind(k) != nhs.KindRurality {
				units[unit{nhs.Kind(k), u}] = true
			}
		}
	}
	if len(units) < 10 {
		t.Fatalf("the fixture has %d units", len(units))
	}
	surrounded := 0
	for u := range units {
		la, k := u.code, u.k
		d, err := w.LoadAround(ctx, "", func(a *overlap.Area) bool { return a.Units[k] == la })
		if err != nil {
			t.Fatal(err)
		}
		if d.Release != full.Release || !d.ExtractDate.Equal(full.ExtractDate) || !reflect.DeepEqual(d.Coverage, full.Coverage) ||
			!slices.Equal(d.Notes, full.Notes) || !slices.Equal(d.Sources, full.Sources) || !sameUnits(d, full) {
			t.Errorf("LoadAround(%v): the release's facts differ from Load's", u)
		}
		if !slices.Equal(d.Cells, full.Cells) || !slices.Equal(d.NoPCNCells, full.NoPCNCells) {
			t.Fatalf("LoadAround(%v): %d cells, %d no-PCN practice cells; Load: %d, %d", u, len(d.Cells), len(d.NoPCNCells), len(full.Cells), len(full.NoPCNCells))
		}
		if d.Rows != nil || d.LSOAs != nil {
			t.Fatalf("LoadAround(%v) read %d rows and %d LSOAs, want none", u, len(d.Rows), len(d.LSOAs))
		}
		for i := range d.PCNs {
			p, q := d.PCNs[i], full.PCNs[i]
			if p.Code != q.Code || p.Name != q.Name || p.ListSize != q.ListSize || p.Resident != q.Resident || !slices.Equal(p.Practices, q.Practices) {
				t.Fatalf("LoadAround(%v): PCN %d is %+v, Load's %+v", u, i, p, q)
			}
		}
		if !slices.Equal(d.Practices, full.Practices) {
			t.Fatalf("LoadAround(%v): the practices differ", u)
		}
		// The areas drawn are those within AroundRings of the unit's on the bounds of Load's
		// geometry: the directory's bounds are theirs, and the box of each ring misses none.
		var from, withGeom []int32
		for i := range full.Areas {
			if full.Areas[i].Units[k] == la {
				from = append(from, int32(i))
			}
			if d.Areas[i].Geom != nil {
				withGeom = append(withGeom, int32(i))
			}
		}
		if want := aroundEvery(bounds, from, AroundRings); !slices.Equal(withGeom, want) {
			t.Fatalf("LoadAround(%v): %d areas drawn, around gives %d", u, len(withGeom), len(want))
		}
		inLA, drawn := 0, 0
		for i := range d.Areas {
			a, b := &d.Areas[i], &full.Areas[i]
			if a.Code != b.Code || a.Name != b.Name || a.Registered != b.Registered || a.InPCN != b.InPCN || a.Units != b.Units {
				t.Fatalf("LoadAround(%v): area %d is %s %s, Load's %s %s", u, i, a.Code, a.Name, b.Code, b.Name)
			}
			if a.Geom == nil {
				if a.Units[k] == la {
					t.Errorf("LoadAround(%v): area %s of it has no geometry", u, a.Code)
				}
				continue
			}
			drawn++
			if a.Units[k] == la {
				inLA++
			}
			if !a.Geom.Equal(b.Geom) || a.Bound != b.Bound {
				t.Errorf("LoadAround(%v): area %s: geometry differs from Load's", u, a.Code)
			}
		}
		if drawn > inLA {
			surrounded++
		}
		if drawn == len(d.Areas) && 2*inLA < len(d.Areas) {
			t.Errorf("LoadAround(%v): every area has geometry, %d of them the unit's", u, inLA)
		}
	}
	// The fixture is two islands of areas (Greater Manchester's and Rutland's): a unit that is a
	// whole island has no surroundings, the others must have some.
	if surrounded < 3 {
		t.Errorf("only %d units of %d had surroundings", surrounded, len(units))
	}
}

func sameUnits(d, e *overlap.Dataset) bool {
	for k := range d.Units {
		if !maps.Equal(d.Units[k], e.Units[k]) || !maps.Equal(d.Aliases[k], e.Aliases[k]) {
			return false
		}
	}
	return true
}

// BenchmarkLoadNational reads the national release whole (Load) and for Trafford's document
// (LoadAround: every row, the polygons of Trafford's 28 areas and their surroundings only).
func BenchmarkLoadNational(b *testing.B) {
	d := fixtures.NationalDataset(b)
	bare := *d
	bare.LSOAPolygons = nil
	path := filepath.Join(b.TempDir(), "w.db")
	if err := Ingest(context.Background(), path, &bare, time.Now()); err != nil {
		b.Fatal(err)
	}
	w, err := Open(context.Background(), path, false)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.Load(context.Background(), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("around-trafford", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.LoadAround(context.Background(), "", func(a *overlap.Area) bool { return a.Units[nhs.KindLA] == "E08000009" }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// aroundEvery is the reference TestLoadAround checks LoadAround's areas against, by another road
// than around's: every pair of areas whose bounds meet (one widened by aroundMargin) is a link,
// and an area's distance from from is its number of links away; those within rings, ascending.
func aroundEvery(bounds []orb.Bound, from []int32, rings int) []int32 {
	dist := make([]int, len(bounds))
	for i := range dist {
		dist[i] = -1
	}
	for _, a := range from {
		dist[a] = 0
	}
	for step := 1; step <= rings; step++ {
		for i := range bounds {
			if dist[i] >= 0 {
				continue
			}
			for a := range bounds {
				if dist[a] == step-1 && widen(bounds[i]).Intersects(bounds[a]) {
					dist[i] = step
					break
				}
			}
		}
	}
	var out []int32
	for i, d := range dist {
		if d >= 0 {
			out = append(out, int32(i))
		}
	}
	return out
}
