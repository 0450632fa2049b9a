package geo

import (
	"math"
	"math/rand"
	"testing"

	"github.com/paulmach/orb"
)

// parity is the even-odd rule for one ring, whatever its shape.
func parity(r orb.Ring, p orb.Point) bool {
	in := false
	for i := 0; i+1 < len(r); i++ {
		a, b := r[i], r[i+1]
		if (a[1] > p[1]) != (b[1] > p[1]) && a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) > p[0] {
			in = !in
		}
	}
	return in
}

// groundContains is Repair's definition of the ground of a possibly invalid multipolygon.
func groundContains(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		if !parity(poly[0], p) {
			continue
		}
		inHole := false
		for _, h := range poly[1:] {
			inHole = inHole || parity(h, p)
		}
		if !inHole {
			return true
		}
	}
	return false
}

// checkRepair asserts that Repair(mp) is valid and covers the same ground, sampled on a grid.
func checkRepair(t *testing.T, name string, mp orb.MultiPolygon) {
	t.Helper()
	in := Normalize(mp.Clone())
	if len(in) == 0 {
		return
	}
	before := in.Clone()
	got, err := Repair(in)
	if !in.Equal(before) {
		t.Errorf("%s: Repair modified its input", name)
	}
	b := in.Bound()
	const n = 60
	mismatch, ground := 0, 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			// Offsets by irrational fractions keep the samples off the edges.
			p := orb.Point{b.Min[0] + (float64(i)+0.5+math.Sqrt2/100)*(b.Max[0]-b.Min[0])/n,
				b.Min[1] + (float64(j)+0.5+math.Pi/100)*(b.Max[1]-b.Min[1])/n}
			want := groundContains(in, p)
			if want {
				ground++
			}
			if err == nil && multiPolygonContains(got, p) != want {
				mismatch++
			}
		}
	}
	if err != nil {
		if ground > 0 {
			t.Errorf("%s: Repair error %v, but the ground holds %d samples", name, err, ground)
		}
		return
	}
	if !Valid(got) {
		t.Errorf("%s: Repair = %v, not valid", name, got)
	}
	checkRings(t, got)
	if mismatch > 0 {
		t.Errorf("%s: Repair covers a different ground: %d of %d samples differ\nin:  %v\nout: %v", name, mismatch, n*n, in, got)
	}
}

// Random rings cross themselves all over; random multipolygons overlap and have holes that stray.
func TestRepairRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("long and single-threaded: it runs in make test's pass without -short and the race detector")
	}
	rng := rand.New(rand.NewSource(7))
	ring := func(n int, cx, cy, size float64) orb.Ring {
		r := make(orb.Ring, 0, n+1)
		for range n {
			r = append(r, orb.Point{cx + size*rng.Float64(), cy + size*rng.Float64()})
		}
		return append(r, r[0])
	}
	for i := range 150 {
		n := 4 + rng.Intn(40)
		checkRepair(t, "random ring", orb.MultiPolygon{{ring(n, 0, 0, 80)}})
		if i%3 == 0 {
			mp := orb.MultiPolygon{
				{ring(3+rng.Intn(8), 0, 0, 60), ring(3+rng.Intn(5), 20, 20, 30)},
				{ring(3+rng.Intn(8), 30, 30, 50)},
			}
			checkRepair(t, "random multipolygon", mp)
		}
	}
	// Lon/lat-sized coordinates, where precision is tighter.
	for range 50 {
		checkRepair(t, "random ring in Trafford", orb.MultiPolygon{{ring(4+rng.Intn(30), -2.3, 53.4, 0.01)}})
	}
}

// Valid polygons come out of Repair unchanged: every national MSOA of the fixture, and star-shaped
// polygons, on which go-spatial's makevalid changed the area by several per cent.
func TestRepairKeepsValidPolygons(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var cases []orb.MultiPolygon
	for _, f := range mustRead(t, fixtureGeoJSON, ReadOptions{}).Features {
		cases = append(cases, f.Geom)
	}
	for n := 10; n <= 320; n *= 2 {
		r := orb.Ring{}
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			rad := 50 + 50*rng.Float64()
			r = append(r, orb.Point{rad * math.Cos(a), rad * math.Sin(a)})
		}
		cases = append(cases, orb.MultiPolygon{{append(r, r[0])}})
	}
	for _, mp := range cases {
		got, err := Repair(mp)
		if err != nil {
			t.Fatalf("Repair error: %v", err)
		}
		var a0, a1 float64
		n0, n1 := 0, 0
		for _, p := range mp {
			for _, r := range p {
				a0 += ringArea(r)
				n0 += len(r)
			}
		}
		for _, p := range got {
			for _, r := range p {
				a1 += ringArea(r)
				n1 += len(r)
			}
		}
		if math.Abs(a1-a0) > 1e-12*math.Abs(a0) || n1 != n0 {
			t.Errorf("Repair of a valid polygon of %d points changed it: area %g → %g, %d points", n0, a0, a1, n1)
		}
	}
}
