package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// The worked example of the Ordnance Survey's "A guide to coordinate systems in Great Britain" (annex C):
// E 651409.903 N 313177.270 is 52°39′27.2531″N 1°43′4.5177″E on OSGB36.
func TestBNGInverseTransverseMercatorOSExample(t *testing.T) {
	sp, cp, sl, cl := bng.osgb36(651409.903, 313177.270)
	lat := math.Atan2(sp, cp) * 180 / math.Pi
	lon := math.Atan2(sl, cl) * 180 / math.Pi
	wantLat := 52 + 39.0/60 + 27.2531/3600
	wantLon := 1 + 43.0/60 + 4.5177/3600
	// 0.0001″ is 3 mm; the published figures are rounded to it.
	if d := math.Abs(lat-wantLat) * 3600; d > 0.0001 {
		t.Errorf("OSGB36 latitude = %.9f, want %.9f (%.5f″ off)", lat, wantLat, d)
	}
	if d := math.Abs(lon-wantLon) * 3600; d > 0.0001 {
		t.Errorf("OSGB36 longitude = %.9f, want %.9f (%.5f″ off)", lon, wantLon, d)
	}
}

// Reference values from PROJ 9 (cs2cs EPSG:27700 EPSG:4326 without the OSTN15 grid, so through
// "OSGB36 to WGS 84 (6)", the same Helmert as BNGToWGS84).
func TestBNGToWGS84(t *testing.T) {
	cases := map[string]struct {
		bng  orb.Point
		want orb.Point // lon, lat
	}{
		"OS example, Norfolk":   {orb.Point{651409.903, 313177.270}, orb.Point{1.716051990375, 52.657978598580}},
		"Old Trafford":          {orb.Point{379010, 398040}, orb.Point{-2.317736462194, 53.478661372700}},
		"Westminster":           {orb.Point{530000, 180000}, orb.Point{-0.128353940479, 51.503990827634}},
		"Isles of Scilly":       {orb.Point{82680, 5344}, orb.Point{-6.417206051954, 49.864081408226}},
		"North Sea, north-east": {orb.Point{655604, 657534}, orb.Point{2.070987660607, 55.743628256979}},
		"Shetland":              {orb.Point{300000, 1200000}, orb.Point{-3.831945445241, 60.670682711432}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BNGToWGS84(tc.bng)
			d := orbgeo.Distance(got, tc.want)
			t.Logf("off by %.6f m", d)
			if d > 0.001 {
				t.Errorf("BNGToWGS84(%v) = %.9f, want %.9f (%.4f m off)", tc.bng, got, tc.want, d)
			}
		})
	}
}

func BenchmarkBNGToWGS84(b *testing.B) {
	b.ReportAllocs()
	p := orb.Point{379010, 398040}
	var sink orb.Point
	for i := 0; i < b.N; i++ {
		p[0] += 0.001
		sink = BNGToWGS84(p)
	}
	_ = sink
}
