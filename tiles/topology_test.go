package tiles

import (
	"context"
	"flag"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"pcnmap/geo"
)

var nationalChecks = flag.Bool("national", false, "run the slow checks on the national MSOA file")

// TestNationalTopology reports how much of the national MSOA boundaries is shared between neighbours
// (after snapping), and checks that the unshared rest is the outer boundary (coast, borders with Wales
// and Scotland): no unshared edge lies within 1 m of another area's boundary. Run with -national.
func TestNationalTopology(t *testing.T) {
	if !*nationalChecks {
		t.Skip("run with -national")
	}
	feats := nationalFeatures(t)
	for _, snap := range []float64{-1, 1e-9, DefaultSnap} {
		s, err := Prepare(context.Background(), feats, Options{Snap: snap})
		if err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		t.Logf("snap %g: %d of %d vertices distinct (%d snapped), %d arcs, %d shared, %.2f%% of boundary length shared",
			snap, st.Points, st.Vertices, st.Snapped, st.Arcs, st.SharedArcs, 100*st.SharedLength)
		if snap == DefaultSnap && st.SharedLength < 0.9 {
			t.Errorf("shared length %.3f, want > 0.9", st.SharedLength)
		}
	}
	b := newBuilder(feats, DefaultSnap)
	if err := b.snapping(context.Background(), feats, 0); err != nil {
		t.Fatal(err)
	}
	s := &Shapes{codes: make([]string, len(feats)), feats: make([]shape, len(feats))}
	if err := b.read(context.Background(), s, feats); err != nil {
		t.Fatal(err)
	}
	if err := b.topology(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	// owner feature per ring
	ringOwner := make([]int, len(s.rings))
	for fi, f := range s.feats {
		for p := f.polys.start; p < f.polys.end; p++ {
			for r := s.polys[p].start; r < s.polys[p].end; r++ {
				ringOwner[r] = fi
			}
		}
	}
	arcOwner := make([]int, len(b.arcUses))
	for ri, rs := range s.rings {
		for _, ref := range s.refs[rs.start:rs.end] {
			if ref < 0 {
				ref = ^ref
			}
			arcOwner[ref] = ringOwner[ri]
		}
	}
	var unshared, near float64
	nearArcs := map[int]bool{}
	for a := range b.arcUses {
		if b.arcUses[a] > 1 {
			continue
		}
		seq := b.arcVids[b.arcOff[a]:b.arcOff[a+1]]
		for k := 1; k < len(seq); k++ {
			p, q := b.orig[seq[k-1]], b.orig[seq[k]]
			m := orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
			l := math.Hypot((q[0]-p[0])*math.Cos(m[1]*math.Pi/180), q[1]-p[1]) * 111320
			unshared += l
			for fi, f := range feats {
				if fi == arcOwner[a] || !f.Bound.Pad(1e-4).Contains(m) {
					continue
				}
				for _, poly := range f.Geom {
					for _, r := range poly {
						if d := planar.DistanceFrom(orb.LineString(r), m); d*111320 < 1 {
							near += l
							nearArcs[a] = true
							goto next
						}
					}
				}
			}
		next:
		}
	}
	t.Logf("unshared %.0f km, of which %.1f km within 1 m of another feature's boundary (%d arcs)", unshared/1000, near/1000, len(nearArcs))
	if near > 0.001*unshared {
		t.Errorf("%.1f km of unshared boundary lies within 1 m of another area", near/1000)
	}
}

// TestNationalTileSizes renders every tile z0–12 of the national areas layer and reports the largest
// per zoom: coalesced (as the server draws the areas layer) it must stay under 500 KB. It also reports
// the memory a prepared Shapes holds. Run with -national.
func TestNationalTileSizes(t *testing.T) {
	if !*nationalChecks {
		t.Skip("run with -national")
	}
	feats := nationalFeatures(t)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	s, err := Prepare(context.Background(), feats, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	st := s.Stats()
	t.Logf("Shapes holds about %.1f MB; %+v", float64(m1.HeapAlloc-m0.HeapAlloc)/(1<<20), st)
	if st.Inverted != [MaxZoom + 1]int{} {
		t.Errorf("rings still inside out or figures of eight after refinement: %v", st.Inverted)
	}
	for _, coalesce := range []bool{true, false} {
		l := areasLayer(feats, s)
		l.Coalesce = coalesce
		var largest [MaxZoom + 1]int
		var at [MaxZoom + 1]maptile.Tile
		for _, tile := range coverLayers([]Layer{l}, 0, MaxZoom) {
			data, err := Render(context.Background(), tile, l)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > largest[tile.Z] {
				largest[tile.Z], at[tile.Z] = len(data), tile
			}
		}
		for z := range largest {
			t.Logf("coalesce %v z%d: largest %d KB at %v", coalesce, z, largest[z]/1024, at[z])
			if coalesce && largest[z] > 500*1024 {
				t.Errorf("z%d: tile %v is %d KB, over 500 KB", z, at[z], largest[z]/1024)
			}
		}
	}
}

// TestNationalNoGaps runs the shared-edge and coverage checks of TestNoGaps on national tiles over
// Greater Manchester, Birmingham and London. Run with -national.
func TestNationalNoGaps(t *testing.T) {
	if !*nationalChecks {
		t.Skip("run with -national")
	}
	feats, s := nationalPrepared(t)
	outer := outerEdges(feats)
	tiles := []maptile.Tile{maptile.New(7, 5, 4), maptile.New(15, 10, 5), maptile.New(31, 20, 6), maptile.New(63, 42, 7), maptile.New(127, 85, 8), maptile.New(511, 340, 10)}
	for x := uint32(504); x <= 506; x++ {
		for y := uint32(330); y <= 332; y++ {
			tiles = append(tiles, maptile.New(x, y, 10))
		}
	}
	for _, tile := range tiles {
		tb := tile.Bound()
		b := tb.Pad((tb.Max[0] - tb.Min[0]) * 2 * Buffer / Extent) // the buffer and then some
		var local []geo.Feature
		for _, f := range feats {
			if f.Bound.Intersects(b) {
				local = append(local, f)
			}
		}
		var edges [][2]orb.Point
		for _, e := range outer {
			if b.Contains(e[0]) || b.Contains(e[1]) {
				edges = append(edges, e)
			}
		}
		segs := projectEdges(edges, tile)
		slack := 2*DefaultTolerance + 2
		for _, coalesce := range []bool{false, true} {
			data, err := Render(context.Background(), tile, Layer{Name: "areas", Shapes: s, Coalesce: coalesce})
			if err != nil {
				t.Fatal(err)
			}
			where := fmt.Sprintf("coalesce %v tile %v", coalesce, tile)
			fs := decodeTile(t, data)[0].Features
			checkEdgesPaired(t, where, fs, segs, slack)
			checkCoverage(t, where, fs, local, tile, segs, slack)
		}
	}
}
