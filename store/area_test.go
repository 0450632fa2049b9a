package store

import (
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

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
	w, err := Open(ctx, saved(t, d), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	full, err := w.Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
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
	w, err := Open(ctx, saved(t, fixture(t)), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	full, err := w.Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
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
