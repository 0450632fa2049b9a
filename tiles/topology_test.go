package tiles

import (
	"context"
	"flag"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
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
