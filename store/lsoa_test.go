package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"pcnmap/fixtures"
	"pcnmap/overlap"
)

// TestLSOAPolygons: the polygons saved with the release come back exactly, and a bound query returns
// precisely the LSOAs whose polygon's bound intersects it, computed here without the workspace.
func TestLSOAPolygons(t *testing.T) {
	d := fixture(t)
	if len(d.LSOAPolygons) != len(d.LSOAs) {
		t.Fatalf("the fixture keeps %d LSOA polygons for %d LSOAs; want one each", len(d.LSOAPolygons), len(d.LSOAs))
	}
	w, err := Open(context.Background(), saved(t, d), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	all, err := w.LSOAPolygons(context.Background(), "", world)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Features) != len(d.LSOAPolygons) {
		t.Fatalf("LSOAPolygons(world) = %d features, want %d", len(all.Features), len(d.LSOAPolygons))
	}
	for i, f := range all.Features {
		want := d.LSOAPolygons[i]
		if f.Code != want.Code || !reflect.DeepEqual(f.Geom, want.Geom) || f.Bound != want.Geom.Bound() {
			t.Fatalf("LSOAPolygons(world)[%d] = %s, bound %v; want %s, bound %v, and the same geometry", i, f.Code, f.Bound, want.Code, want.Geom.Bound())
		}
	}
	// Bounds around Trafford, across Manchester's edge, on Rutland, an LSOA's exact bound, a
	// degenerate point on a corner of it, and the sea.
	first := d.LSOAPolygons[0].Geom.Bound()
	cases := map[string]orb.Bound{
		"Trafford":        {Min: orb.Point{-2.48, 53.38}, Max: orb.Point{-2.25, 53.48}},
		"Manchester edge": {Min: orb.Point{-2.25, 53.40}, Max: orb.Point{-2.20, 53.52}},
		"Rutland":         {Min: orb.Point{-0.8, 52.5}, Max: orb.Point{-0.4, 52.8}},
		"one LSOA":        first,
		"corner point":    {Min: first.Max, Max: first.Max},
		"North Sea":       {Min: orb.Point{2, 55}, Max: orb.Point{3, 56}},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, f := range d.LSOAPolygons {
				if f.Geom.Bound().Intersects(b) {
					want = append(want, f.Code)
				}
			}
			if (name == "Trafford" || name == "Rutland") && (len(want) == 0 || len(want) == len(d.LSOAPolygons)) {
				t.Fatalf("%d of %d LSOAs near %s: the case tells nothing", len(want), len(d.LSOAPolygons), name)
			}
			layer, err := w.LSOAPolygons(context.Background(), d.Release, b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range layer.Features {
				got = append(got, f.Code)
			}
			if !slices.Equal(got, want) {
				t.Errorf("LSOAPolygons(%v) = %d codes %v, want %d %v", b, len(got), got, len(want), want)
			}
		})
	}
}

// TestLSOAPolygonsAbsent: a release ingested without LSOA polygons says so, distinctly from an
// empty answer; re-ingesting a release without them drops its old ones and leaves other releases'.
func TestLSOAPolygonsAbsent(t *testing.T) {
	d := fixture(t)
	bare := *d
	bare.LSOAPolygons = nil
	w, err := Open(context.Background(), saved(t, &bare), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	if _, err := w.LSOAPolygons(context.Background(), "", world); !errors.Is(err, ErrNoLSOAPolygons) {
		t.Errorf("LSOAPolygons of a release ingested without them = %v, want ErrNoLSOAPolygons", err)
	}
	other := *d
	other.Release = "other"
	if err := w.Save(context.Background(), &other, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.Save(context.Background(), d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.Save(context.Background(), &bare, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.LSOAPolygons(context.Background(), d.Release, world); !errors.Is(err, ErrNoLSOAPolygons) {
		t.Errorf("LSOAPolygons after re-ingesting without them = %v, want ErrNoLSOAPolygons", err)
	}
	l, err := w.LSOAPolygons(context.Background(), "other", world)
	if err != nil || len(l.Features) != len(d.LSOAPolygons) {
		t.Fatalf("LSOAPolygons of the other release = %v, %v; want %d features", l, err, len(d.LSOAPolygons))
	}
	var n int
	if err := w.db.QueryRow(`SELECT count(*) FROM lsoa_polygons`).Scan(&n); err != nil || n != len(d.LSOAPolygons) {
		t.Errorf("lsoa_polygons holds %d rows (%v), want the other release's %d", n, err, len(d.LSOAPolygons))
	}
	if _, err := w.LSOAPolygons(context.Background(), "1999-01", world); !errors.Is(err, ErrNoRelease) {
		t.Errorf("LSOAPolygons of an absent release = %v, want ErrNoRelease", err)
	}
}

// TestSaveFailsUnchanged: a save that fails while writing the LSOA polygons (one is empty) rolls
// back everything, leaving the file byte-for-byte as it was.
func TestSaveFailsUnchanged(t *testing.T) {
	d := fixture(t)
	path := saved(t, d)
	before := digest(t, path)
	bad := *d
	bad.LSOAPolygons = slices.Clone(d.LSOAPolygons)
	bad.LSOAPolygons[len(bad.LSOAPolygons)-1].Geom = nil
	w, err := Open(context.Background(), path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Save(context.Background(), &bad, time.Now()); err == nil {
		t.Error("Save with an empty LSOA polygon succeeded")
	}
	w.Close()
	if digest(t, path) != before {
		t.Error("a failed Save changed the workspace")
	}
}

// TestMigrateSchema2: a workspace written before the LSOA polygons opens, gains the tables, says it
// has none, and takes them at the next ingest.
func TestMigrateSchema2(t *testing.T) {
	d := fixture(t)
	bare := *d
	bare.LSOAPolygons = nil
	path := saved(t, &bare)
	w := reopenedAfter(t, path, `DROP TABLE lsoa_polygons`, `UPDATE meta SET value = '2' WHERE key = 'schema'`)
	got, err := w.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.LSOAs, d.LSOAs) || got.LSOAPolygons != nil {
		t.Error("the migrated release's LSOAs differ, or Load read LSOA polygons")
	}
	world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
	if _, err := w.LSOAPolygons(context.Background(), "", world); !errors.Is(err, ErrNoLSOAPolygons) {
		t.Errorf("LSOAPolygons after migrating = %v, want ErrNoLSOAPolygons", err)
	}
	if err := w.Save(context.Background(), d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if l, err := w.LSOAPolygons(context.Background(), "", world); err != nil || len(l.Features) != len(d.LSOAPolygons) {
		t.Errorf("LSOAPolygons after re-ingesting into the migrated file = %v, %v; want %d", l, err, len(d.LSOAPolygons))
	}
}

// BenchmarkSaveNational is the save of the national release into a new workspace, with and without
// its LSOA polygons (32,844 of them, 31 MB of WKB): what --lsoa-polygons adds to an ingest's save.
func BenchmarkSaveNational(b *testing.B) {
	d := fixtures.NationalDataset(b)
	bare := *d
	bare.LSOAPolygons = nil
	for name, d := range map[string]*overlap.Dataset{"without": &bare, "lsoa-polygons": d} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				path := filepath.Join(dir, "w.db")
				os.Remove(path)
				if err := Ingest(context.Background(), path, d, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLSOAPolygonsNational reads the LSOA polygons over Greater Manchester (the bound of its
// ten local authorities' areas) from a national workspace.
func BenchmarkLSOAPolygonsNational(b *testing.B) {
	d := fixtures.NationalDataset(b)
	path := filepath.Join(b.TempDir(), "w.db")
	if err := Ingest(context.Background(), path, d, time.Now()); err != nil {
		b.Fatal(err)
	}
	w, err := Open(context.Background(), path, false)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	gm := orb.Bound{Min: orb.Point{-2.73, 53.33}, Max: orb.Point{-1.91, 53.69}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := w.LSOAPolygons(context.Background(), "", gm)
		if err != nil || len(l.Features) < 1000 {
			b.Fatalf("LSOAPolygons(Greater Manchester) = %d features, %v", len(l.Features), err)
		}
	}
}
