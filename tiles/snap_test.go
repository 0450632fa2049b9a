package tiles

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

// readWith reads features as Prepare does, snapping serially (strips 0) or through presnap in
// that many strips, and returns the builder and the shapes read.
func readWith(t *testing.T, feats []geo.Feature, snap float64, workers int) (*builder, *Shapes) {
	t.Helper()
	b := newBuilder(feats, snap)
	if workers == 0 {
		if err := b.snapping(context.Background(), feats, 0); err != nil {
			t.Fatal(err)
		}
	} else if ok, err := b.presnap(context.Background(), feats, workers); err != nil || !ok {
		t.Fatalf("presnap(%d workers) = %v, %v; want it used", workers, ok, err)
	}
	s := &Shapes{codes: make([]string, len(feats)), feats: make([]shape, len(feats)),
		bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}}
	if err := b.read(context.Background(), s, feats); err != nil {
		t.Fatal(err)
	}
	return b, s
}

// crowded makes features whose vertices crowd around the corners and sides of snap cells, closer
// than the snap distance to one, two or more of each other (so that which one a vertex snaps to
// depends on the order), spread over many cell columns (so that strips cut between them); some rings
// collapse to fewer than three vertices, so read skips the holes after them.
func crowded(seed uint64) []geo.Feature {
	r := rand.New(rand.NewPCG(seed, 7))
	const snap = DefaultSnap
	cell := 4 * snap
	var sites []orb.Point
	for range 400 {
		x := float64(r.IntN(60)-30) * cell
		y := float64(r.IntN(8)+130000) * cell
		offs := []float64{0, 0.2 * snap, -0.2 * snap, 0.9 * snap, -0.9 * snap, 1.1 * snap, -1.1 * snap, r.Float64() * cell}
		sites = append(sites, orb.Point{x + offs[r.IntN(len(offs))], y + offs[r.IntN(len(offs))]})
	}
	jitter := func(p orb.Point) orb.Point {
		a, d := r.Float64()*2*math.Pi, r.Float64()*1.5*snap
		if r.IntN(4) == 0 {
			return p // exactly a site
		}
		return orb.Point{p[0] + d*math.Cos(a), p[1] + d*math.Sin(a)}
	}
	ring := func() orb.Ring {
		var rg orb.Ring
		if r.IntN(6) == 0 { // collapses onto one or two vertices
			p := sites[r.IntN(len(sites))]
			for range 3 + r.IntN(3) {
				rg = append(rg, jitter(p))
			}
		} else {
			for range 3 + r.IntN(6) {
				rg = append(rg, jitter(sites[r.IntN(len(sites))]))
			}
		}
		return append(rg, rg[0])
	}
	var feats []geo.Feature
	for range 300 {
		var mp orb.MultiPolygon
		for range 1 + r.IntN(3) {
			poly := orb.Polygon{ring()}
			for range r.IntN(3) {
				poly = append(poly, ring())
			}
			mp = append(mp, poly)
		}
		feats = append(feats, geo.Feature{Code: "x", Geom: mp, Bound: mp.Bound()})
	}
	return feats
}

// TestPresnapSameAsSerial: snapping through presnap gives every vertex the id serial snapping gives
// it, whatever the number of strips, on crowded vertices, on the fixture MSOAs and (not -short) on
// the national MSOAs.
func TestPresnapSameAsSerial(t *testing.T) {
	fixture, err := readFeatures(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]func(*testing.T) []geo.Feature{
		"crowded-1": func(*testing.T) []geo.Feature { return crowded(1) },
		"crowded-2": func(*testing.T) []geo.Feature { return crowded(2) },
		"crowded-3": func(*testing.T) []geo.Feature { return crowded(3) },
		"fixture":   func(*testing.T) []geo.Feature { return fixture },
		"national": func(t *testing.T) []geo.Feature {
			if testing.Short() {
				t.Skip("national data: not with -short")
			}
			return nationalFeatures(t)
		},
	}
	for name, set := range sets {
		t.Run(name, func(t *testing.T) {
			feats := set(t)
			want, ws := readWith(t, feats, DefaultSnap, 0)
			if name != "fixture" && name != "national" && ws.stats.Snapped == 0 {
				t.Fatalf("no vertex snapped: the case tests nothing")
			}
			for _, workers := range []int{1, 2, 3, 5, 8} {
				got, gs := readWith(t, feats, DefaultSnap, workers)
				if got.snapped != want.snapped || !reflect.DeepEqual(got.orig, want.orig) || !reflect.DeepEqual(got.pts, want.pts) ||
					!reflect.DeepEqual(got.ringVids, want.ringVids) || !reflect.DeepEqual(got.ringPts, want.ringPts) ||
					!reflect.DeepEqual(got.ringFeat, want.ringFeat) || !reflect.DeepEqual(got.ringRev, want.ringRev) {
					t.Fatalf("%d workers: %d vertices, %d snapped; serial: %d, %d (or the rings differ)",
						workers, len(got.orig), got.snapped, len(want.orig), want.snapped)
				}
				if !reflect.DeepEqual(gs.stats, ws.stats) || !reflect.DeepEqual(gs.rings, ws.rings) || !reflect.DeepEqual(gs.polys, ws.polys) ||
					!reflect.DeepEqual(gs.feats, ws.feats) || gs.bound != ws.bound {
					t.Fatalf("%d workers: shapes read differ from the serial ones", workers)
				}
			}
			t.Logf("%d vertices, %d distinct, %d snapped", ws.stats.Vertices, ws.stats.Points, ws.stats.Snapped)
		})
	}
}

// TestPresnapDeclines: presnap leaves to the serial path what it cannot cut into cells: a vertex
// that is not a number (read reports it) or one too far out.
func TestPresnapDeclines(t *testing.T) {
	for name, p := range map[string]orb.Point{"NaN": {math.NaN(), 0}, "infinite": {0, math.Inf(1)}, "far out": {1e300, 0}} {
		t.Run(name, func(t *testing.T) {
			mp := orb.MultiPolygon{{{{0, 0}, {1, 0}, p, {0, 0}}}}
			b := newBuilder([]geo.Feature{{Code: "x", Geom: mp}}, DefaultSnap)
			if ok, err := b.presnap(context.Background(), []geo.Feature{{Code: "x", Geom: mp}}, 2); ok || err != nil {
				t.Fatalf("presnap = %v, %v; want false, nil", ok, err)
			}
		})
	}
}
