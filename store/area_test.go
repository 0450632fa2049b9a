package store

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"pcnmap/fixtures"
	"pcnmap/geo"
)

// TestAreaAt: for a point in every area of the fixture (each LSOA's point, located through the
// whole release's index as Load's callers do), AreaAt finds the same area with the same totals,
// cells and metrics, reading only that area.
func TestAreaAt(t *testing.T) {
	if testing.Short() {
		t.Skip("long and single-threaded: it runs in make test's pass without -short and the race detector")
	}
	ctx := context.Background()
	d := fixture(t)
	w, full := loaded(t, saved(t, d))
	features := make([]geo.Feature, len(full.Areas))
	for i := range full.Areas {
		features[i] = full.Areas[i].Feature
	}
	idx := geo.NewIndex(features)
	tested := map[int]bool{}
	for _, l := range full.LSOAs {
		if !l.HasPoint {
			continue
		}
		want, ok := idx.Locate(l.Point)
		got, gotOK, err := w.AreaAt(ctx, "", l.Point)
		if err != nil {
			t.Fatalf("AreaAt(%v): %v", l.Point, err)
		}
		if gotOK != ok {
			t.Fatalf("AreaAt(%v) found %v, the index %v", l.Point, gotOK, ok)
		}
		if !ok {
			continue
		}
		tested[want] = true
		wa, ga := full.Areas[want], got.Areas[0]
		if ga.Code != wa.Code || ga.Name != wa.Name || ga.Registered != wa.Registered || ga.InPCN != wa.InPCN || ga.Units != wa.Units {
			t.Errorf("AreaAt(%v) = %s %d/%d, want %s %d/%d", l.Point, ga.Code, ga.Registered, ga.InPCN, wa.Code, wa.Registered, wa.InPCN)
		}
		var wantCells, gotCells [][2]int32
		for _, c := range full.AreaCells(want) {
			wantCells = append(wantCells, [2]int32{c.PCN, c.Patients})
		}
		for _, c := range got.AreaCells(0) {
			gotCells = append(gotCells, [2]int32{c.PCN, c.Patients})
		}
		if !reflect.DeepEqual(gotCells, wantCells) {
			t.Errorf("area %s: cells %v, want %v", wa.Code, gotCells, wantCells)
		}
		if g, w := got.AreaAt(0, 0.01), full.AreaAt(want, 0.01); g != w {
			t.Errorf("area %s: metrics %+v, want %+v", wa.Code, g, w)
		}
		if len(got.PCNs) != len(full.PCNs) {
			t.Fatalf("AreaAt read %d PCNs, Load %d", len(got.PCNs), len(full.PCNs))
		}
		for i, p := range got.PCNs {
			if p.Code != full.PCNs[i].Code || p.Name != full.PCNs[i].Name {
				t.Fatalf("PCN %d = %s %q, want Load's %s %q", i, p.Code, p.Name, full.PCNs[i].Code, full.PCNs[i].Name)
			}
		}
	}
	if len(tested) < len(full.Areas)/2 {
		t.Fatalf("only %d of %d areas tested", len(tested), len(full.Areas))
	}
	if _, ok, err := w.AreaAt(ctx, "", orb.Point{0, 0}); ok || err != nil {
		t.Errorf("AreaAt(0, 0) = %v, %v; want no area", ok, err)
	}
}

// TestAreaFeatures: the features AreaFeatures reads are Load's areas' features.
func TestAreaFeatures(t *testing.T) {
	ctx := context.Background()
	w, full := loaded(t, saved(t, fixture(t)))
	name, fs, err := w.AreaFeatures(ctx, "")
	if err != nil || name != full.Release {
		t.Fatalf("AreaFeatures: release %q, %v; want %q", name, err, full.Release)
	}
	if len(fs) != len(full.Areas) {
		t.Fatalf("%d features, want %d", len(fs), len(full.Areas))
	}
	for i, f := range fs {
		a := full.Areas[i]
		if f.Code != a.Code || f.Name != a.Name || !reflect.DeepEqual(f.Geom, a.Geom) || f.Bound != a.Bound {
			t.Fatalf("feature %d = %s, want Load's %s", i, f.Code, a.Code)
		}
	}
}

// TestWKBBound: the bound read from the bytes is the bound of every decoded point; what is not a
// polygon, or is cut short, is left to the decoder.
func TestWKBBound(t *testing.T) {
	poly := orb.Polygon{{{0, 0}, {4, 0}, {4, 3}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}
	mp := orb.MultiPolygon{poly, {{{-5, 7}, {-4, 7}, {-4, 8}, {-5, 7}}}}
	for name, g := range map[string]orb.Geometry{"polygon": poly, "multipolygon": mp} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			b, err := wkb.Marshal(g, order)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := wkbBound(b)
			want := g.Bound()
			if !ok || got != want {
				t.Errorf("%s: wkbBound = %v, %v; want %v", name, got, ok, want)
			}
			if _, ok := wkbBound(b[:len(b)-1]); ok {
				t.Errorf("%s: a truncated geometry read as whole", name)
			}
		}
	}
	nan, _ := wkb.Marshal(orb.Polygon{{{0, 0}, {math.NaN(), 0}, {4, 3}, {0, 0}}})
	if _, ok := wkbBound(nan); ok {
		t.Error("a NaN coordinate read into a bound")
	}
	pt, _ := wkb.Marshal(orb.Point{1, 2})
	if _, ok := wkbBound(pt); ok {
		t.Error("a point read as a polygon")
	}
}

// TestAreaBoundsMigration: a workspace of schema 4 (no bound columns) gets every area's bound from
// its geometry on opening, and a point lookup through them finds what the whole release's index
// finds; an area whose bound is NULL (a geometry the migration could not read) is still a
// candidate, and a corrupt one is still reported.
func TestAreaBoundsMigration(t *testing.T) {
	ctx := context.Background()
	d := fixture(t)
	path := saved(t, d)
	w := reopenedAfter(t, path, `DROP INDEX areas_bound`, `DROP TABLE area_counts`, `DROP TABLE release_directory`,
		`ALTER TABLE areas DROP COLUMN minx`, `ALTER TABLE areas DROP COLUMN miny`,
		`ALTER TABLE areas DROP COLUMN maxx`, `ALTER TABLE areas DROP COLUMN maxy`,
		`UPDATE meta SET value = '4' WHERE key = 'schema'`)
	full, err := w.Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := w.db.Query(`SELECT idx, minx, miny, maxx, maxy FROM areas WHERE release = ? ORDER BY idx`, full.Release)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var i int
		var b orb.Bound
		if err := rows.Scan(&i, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
			t.Fatal(err)
		}
		if want := full.Areas[i].Geom.Bound(); b != want {
			t.Errorf("area %s: migrated bound %v, want %v", full.Areas[i].Code, b, want)
		}
		n++
	}
	if err := rows.Close(); err != nil || n != len(full.Areas) {
		t.Fatalf("%d migrated bounds (%v), want %d", n, err, len(full.Areas))
	}

	features := make([]geo.Feature, len(full.Areas))
	for i := range full.Areas {
		features[i] = full.Areas[i].Feature
	}
	idx := geo.NewIndex(features)
	// The first LSOA point of each area, to look up again once its bound is gone.
	points := map[int]orb.Point{}
	for _, l := range full.LSOAs {
		if a, ok := idx.Locate(l.Point); ok && l.HasPoint {
			if _, seen := points[a]; !seen {
				points[a] = l.Point
			}
		}
	}
	if len(points) < len(full.Areas)/2 {
		t.Fatalf("points in only %d of %d areas", len(points), len(full.Areas))
	}
	check := func(when string) {
		t.Helper()
		for a, p := range points {
			got, ok, err := w.AreaAt(ctx, "", p)
			if err != nil || !ok || got.Areas[0].Code != full.Areas[a].Code {
				t.Fatalf("%s: AreaAt(%v) = %v, %v; want %s", when, p, ok, err, full.Areas[a].Code)
			}
		}
	}
	check("migrated")
	if _, err := w.db.Exec(`UPDATE areas SET minx = NULL, miny = NULL, maxx = NULL, maxy = NULL WHERE idx % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	check("half the bounds NULL")
	if _, err := w.db.Exec(`UPDATE areas SET geom = x'0102' WHERE idx = 0`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.AreaAt(ctx, "", points[1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("AreaAt with a corrupt geometry without a bound = %v, want ErrCorrupt", err)
	}
}

// TestAreaAtNational: on the national workspace, AreaAt through the stored bounds finds, for every
// 20th LSOA centroid and for points off England, the area the whole release's index finds.
func TestAreaAtNational(t *testing.T) {
	d := fixtures.NationalDataset(t)
	ctx := context.Background()
	bare := *d
	bare.LSOAPolygons = nil
	w, err := Open(ctx, saved(t, &bare), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	features := make([]geo.Feature, len(d.Areas))
	for i := range d.Areas {
		features[i] = d.Areas[i].Feature
	}
	idx := geo.NewIndex(features)
	points := []orb.Point{{-2.24, 53.48}, {-1.5, 52.5}, {0, 0}, {-4.0, 52.4}, {1.75, 52.47}}
	for i := 0; i < len(d.LSOAs); i += 20 {
		if d.LSOAs[i].HasPoint {
			points = append(points, d.LSOAs[i].Point)
		}
	}
	found := 0
	for _, p := range points {
		want, ok := idx.Locate(p)
		got, gotOK, err := w.AreaAt(ctx, "", p)
		if err != nil || gotOK != ok {
			t.Fatalf("AreaAt(%v) = %v, %v; the index found %v", p, gotOK, err, ok)
		}
		if !ok {
			continue
		}
		found++
		if a := got.Areas[0]; a.Code != d.Areas[want].Code || a.Registered != d.Areas[want].Registered {
			t.Fatalf("AreaAt(%v) = %s (%d registered), want %s (%d)", p, a.Code, a.Registered, d.Areas[want].Code, d.Areas[want].Registered)
		}
	}
	if found < len(points)*9/10 {
		t.Fatalf("only %d of %d points in an area", found, len(points))
	}
}
