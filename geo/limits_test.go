package geo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// squareRing is a closed counter-clockwise square; clockwise when cw.
func squareRing(x, y, side float64, cw bool) orb.Ring {
	r := orb.Ring{{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}, {x, y}}
	if cw {
		r = orb.Ring{{x, y}, {x, y + side}, {x + side, y + side}, {x + side, y}, {x, y}}
	}
	return r
}

// gridOfHoles is one square of side 1 at (lon, lat) with n×n square holes in a grid.
func gridOfHoles(lon, lat float64, n int) orb.Polygon {
	p := orb.Polygon{squareRing(lon, lat, 1, false)}
	step := 1 / float64(n+1)
	for i := range n {
		for j := range n {
			p = append(p, squareRing(lon+step*(float64(i)+0.5), lat+step*(float64(j)+0.5), step/2, true))
		}
	}
	return p
}

func geoJSONPolygon(p orb.Polygon) string {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[`)
	for i, r := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j, pt := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%g,%g]", pt[0], pt[1])
		}
		b.WriteByte(']')
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestReadLimits: each cap of ReadOptions refuses a source one over it with ErrLimit naming the
// feature, and accepts one at it.
func TestReadLimits(t *testing.T) {
	three := fc(feat("E02000001"), feat("E02000002"), feat("E02000003"))
	holes := fc(featGeom("E02000001", geoJSONPolygon(gridOfHoles(-2.3, 53.4, 2)))) // 4 holes, 25 vertices
	tests := map[string]struct {
		src     string
		opt     ReadOptions
		wantErr bool
		feature int
	}{
		"features at the cap":   {three, ReadOptions{MaxFeatures: 3}, false, 0},
		"features over the cap": {three, ReadOptions{MaxFeatures: 2}, true, 2},
		"holes at the cap":      {holes, ReadOptions{MaxHoles: 4}, false, 0},
		"holes over the cap":    {holes, ReadOptions{MaxHoles: 3}, true, 0},
		"vertices at the cap":   {holes, ReadOptions{MaxVertices: 25}, false, 0},
		"vertices over the cap": {holes, ReadOptions{MaxVertices: 24}, true, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadGeoJSON(strings.NewReader(tc.src), "caps.geojson", tc.opt)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("ReadGeoJSON(%+v) error: %v", tc.opt, err)
				}
				return
			}
			var re *ReadError
			if !errors.Is(err, ErrLimit) || !errors.As(err, &re) || re.Index != tc.feature {
				t.Fatalf("ReadGeoJSON(%+v) error = %v, want ErrLimit at feature %d", tc.opt, err, tc.feature)
			}
		})
	}
}

// TestValidManyHoles: hole nesting is checked through an index, so twenty thousand holes are judged
// (the pairwise check took seconds for a few thousand), and a hole inside another is still caught
// among them.
func TestValidManyHoles(t *testing.T) {
	if testing.Short() {
		t.Skip("long and single-threaded: it runs in make test's pass without -short and the race detector")
	}
	p := gridOfHoles(0, 0, 141) // 19,881 holes
	if !Valid(orb.MultiPolygon{p}) {
		t.Fatalf("Valid(%d holes in a grid) = false, want true", len(p)-1)
	}
	inner := p[len(p)/2].Bound()
	w := (inner.Max[0] - inner.Min[0]) / 4
	bad := append(p.Clone(), squareRing(inner.Min[0]+w, inner.Min[1]+w, w, true))
	if Valid(orb.MultiPolygon{bad}) {
		t.Errorf("Valid(a hole inside another among %d) = true, want false", len(bad)-1)
	}
	outside := append(p.Clone(), squareRing(5, 5, 0.1, true))
	if Valid(orb.MultiPolygon{outside}) {
		t.Errorf("Valid(a hole outside its ring among %d) = true, want false", len(outside)-1)
	}
	// Polygons: one inside another's ring but in no hole is invalid; one in a hole is fine.
	island := orb.Polygon{squareRing(inner.Min[0]+w, inner.Min[1]+w, w, false)}
	if !Valid(orb.MultiPolygon{p, island}) {
		t.Errorf("Valid(an island in a hole) = false, want true")
	}
	stray := orb.Polygon{squareRing(0.001, 0.001, 0.001, false)}
	if Valid(orb.MultiPolygon{p, stray}) {
		t.Errorf("Valid(a polygon inside another, in no hole) = true, want false")
	}
}

// tangle is a ring of n teeth between y=0 and y=1 at random x, so that nearly every tooth crosses
// every other: about n²/4 crossings.
func tangle(n int) orb.Ring {
	rng := rand.New(rand.NewPCG(7, 8))
	r := make(orb.Ring, 0, n+1)
	for i := range n {
		r = append(r, orb.Point{rng.Float64(), float64(i % 2)})
	}
	return append(r, r[0])
}

// TestRepairBounded: a degenerate ring with millions of crossings is refused instead of being noded
// into memory quadratic in its vertices, and a done context stops the repair.
func TestRepairBounded(t *testing.T) {
	mp := orb.MultiPolygon{{tangle(4000)}}
	if _, err := Repair(mp); !errors.Is(err, ErrInvalidGeometry) {
		t.Errorf("Repair(a ring of 4,000 crossing teeth) error = %v, want ErrInvalidGeometry", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RepairContext(ctx, orb.MultiPolygon{{tangle(600)}}); !errors.Is(err, context.Canceled) {
		t.Errorf("RepairContext(cancelled) error = %v, want context.Canceled", err)
	}
}

// TestReadContext: a done context stops a read with its error.
func TestReadContext(t *testing.T) {
	feats := make([]string, 500)
	for i := range feats {
		feats[i] = feat(fmt.Sprintf("E02%06d", i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadContext(ctx, strings.NewReader(fc(feats...)), "many.geojson", ReadOptions{})
	var re *ReadError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &re) || re.Source != "many.geojson" {
		t.Errorf("ReadContext(cancelled) error = %v, want context.Canceled naming many.geojson", err)
	}
}
