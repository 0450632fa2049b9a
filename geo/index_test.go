package geo

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

func square(code string, x0, y0, x1, y1 float64) Feature {
	return Feature{Code: code, Geom: orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}}
}

func TestIndexLocate(t *testing.T) {
	donut := Feature{Code: "donut", Geom: orb.MultiPolygon{{
		{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		{{3, 3}, {3, 7}, {7, 7}, {7, 3}, {3, 3}}, // hole
	}}}
	islands := Feature{Code: "islands", Geom: orb.MultiPolygon{
		{{{20, 0}, {22, 0}, {22, 2}, {20, 2}, {20, 0}}},
		{{{25, 5}, {27, 5}, {26, 8}, {25, 5}}},
	}}
	filler := square("filler", 3, 3, 7, 7) // fills the donut's hole exactly
	idx := NewIndex([]Feature{donut, islands, filler})
	tests := map[string]struct {
		p    orb.Point
		want string
	}{
		"inside ring":          {orb.Point{1, 1}, "donut"},
		"in the hole":          {orb.Point{5, 5}, "filler"},
		"first island":         {orb.Point{21, 1}, "islands"},
		"second island":        {orb.Point{26, 6}, "islands"},
		"between islands":      {orb.Point{23.5, 3}, ""},
		"outside all":          {orb.Point{-1, -1}, ""},
		"in bound, not inside": {orb.Point{25.1, 7.9}, ""},
		// The edge rule: a point on a shared edge belongs to the area on its right (+x) …
		"hole's left edge":  {orb.Point{3, 5}, "filler"},
		"hole's right edge": {orb.Point{7, 5}, "donut"},
		// … and, on a horizontal edge, to the area above (+y).
		"hole's bottom edge": {orb.Point{5, 3}, "filler"},
		"hole's top edge":    {orb.Point{5, 7}, "donut"},
		"outer left edge":    {orb.Point{0, 5}, "donut"},
		"outer right edge":   {orb.Point{10, 5}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			i, ok := idx.Locate(tc.p)
			got := ""
			if ok {
				got = idx.Feature(i).Code
			}
			if got != tc.want {
				t.Errorf("Locate(%v) = %q, want %q", tc.p, got, tc.want)
			}
		})
	}
}

// TestIndexPartition: on a grid of squares sharing edges and vertices, every point — random, on
// an edge, or on a vertex — inside the grid lies in exactly one square.
func TestIndexPartition(t *testing.T) {
	const n = 8
	// A jittered grid of shared vertices, so shared edges are not axis-aligned.
	jitter := rand.New(rand.NewPCG(3, 4))
	var v [n + 1][n + 1]orb.Point
	for i := range n + 1 {
		for j := range n + 1 {
			v[i][j] = orb.Point{float64(i) + 0.3*jitter.Float64(), float64(j) + 0.3*jitter.Float64()}
		}
	}
	var features []Feature
	for i := range n {
		for j := range n {
			features = append(features, Feature{Code: strconv.Itoa(i*n + j), Geom: orb.MultiPolygon{{{
				v[i][j], v[i+1][j], v[i+1][j+1], v[i][j+1], v[i][j],
			}}}})
		}
	}
	idx := NewIndex(features)
	rng := rand.New(rand.NewPCG(1, 2))
	var points []orb.Point
	for range 20000 {
		points = append(points, orb.Point{1 + rng.Float64()*(n-2), 1 + rng.Float64()*(n-2)})
	}
	// Every vertex and edge midpoint of the interior squares.
	for _, f := range features {
		ring := f.Geom[0][0]
		for k := 0; k+1 < len(ring); k++ {
			a, b := ring[k], ring[k+1]
			if a[0] > 1 && a[0] < n-1 && a[1] > 1 && a[1] < n-1 {
				points = append(points, a, orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2})
			}
		}
	}
	for _, p := range points {
		count := 0
		for i := range features {
			if idx.Contains(i, p) {
				count++
			}
		}
		if count != 1 {
			t.Fatalf("point %v is in %d areas, want exactly 1", p, count)
		}
		if _, ok := idx.Locate(p); !ok {
			t.Fatalf("Locate(%v) found no area", p)
		}
	}
}

func TestIndexZeroValue(t *testing.T) {
	var idx Index
	if _, ok := idx.Locate(orb.Point{0, 0}); ok {
		t.Error("an empty index located a point")
	}
	idx.Insert(square("a", 0, 0, 1, 1))
	if i, ok := idx.Locate(orb.Point{0.5, 0.5}); !ok || idx.Feature(i).Code != "a" {
		t.Errorf("Locate after Insert = %d, %v", i, ok)
	}
	if i, ok := idx.Code("a"); !ok || i != 0 {
		t.Errorf("Code(a) = %d, %v", i, ok)
	}
	found := 0
	idx.Search(orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{0.5, 0.5}}, func(int, *Feature) bool { found++; return true })
	if found != 1 {
		t.Errorf("Search found %d features, want 1", found)
	}
}

func TestLocateDoesNotAllocate(t *testing.T) {
	idx := NewIndex([]Feature{square("a", 0, 0, 1, 1), square("b", 1, 0, 2, 1)})
	p := orb.Point{1.5, 0.5}
	if allocs := testing.AllocsPerRun(100, func() { idx.Locate(p) }); allocs != 0 {
		t.Errorf("Locate allocates %v times a call, want 0", allocs)
	}
}

const nationalMSOA = "../../shared/data/msoa2011-england-generalised-clipped.geojson.gz"

// centroids reads the ONS LSOA population-weighted centroids: real points, where people live.
func centroids(tb testing.TB) []orb.Point {
	f, err := os.Open("../../shared/data/lsoa11-population-weighted-centroids.csv")
	if err != nil {
		tb.Skip("national data absent:", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var pts []orb.Point
	for _, r := range rows[1:] {
		x, err1 := strconv.ParseFloat(r[0], 64)
		y, err2 := strconv.ParseFloat(r[1], 64)
		if err1 == nil && err2 == nil {
			pts = append(pts, orb.Point{x, y})
		}
	}
	return pts
}

// BenchmarkLocate looks up the 34,753 LSOA population-weighted centroids in the national MSOAs;
// points/s is the figure to compare with the 1M/s/core target.
func BenchmarkLocate(b *testing.B) {
	if _, err := os.Stat(nationalMSOA); err != nil {
		b.Skip("national data absent")
	}
	layer, err := ReadFile(nationalMSOA, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	idx := NewIndex(layer.Features)
	pts := centroids(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx.Locate(pts[i%len(pts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkNewIndex(b *testing.B) {
	if _, err := os.Stat(nationalMSOA); err != nil {
		b.Skip("national data absent")
	}
	layer, err := ReadFile(nationalMSOA, ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		NewIndex(layer.Features)
	}
}

// comb is one ring of 2n+2 vertices zig-zagging n times across a band of height 1: every tooth spans
// the whole height, the shape that made the band copies grow with the square of the vertices.
func comb(n int) orb.Ring {
	r := orb.Ring{{0, -0.5}}
	for i := 0; i < n; i++ {
		x := float64(i) / float64(n)
		r = append(r, orb.Point{x, 1}, orb.Point{x + 0.5/float64(n), 0})
	}
	r = append(r, orb.Point{1, -0.5}, orb.Point{0, -0.5})
	return r
}

// TestIndexComb: a comb's edges are held once each (not once per band they span) and the lookups
// agree with the plain crossing test of every edge.
func TestIndexComb(t *testing.T) {
	const teeth = 4000
	g := orb.MultiPolygon{{comb(teeth)}}
	idx := NewIndex([]Feature{{Code: "comb", Geom: g}})
	s := &idx.shapes[0]
	edges := len(g[0][0]) - 1
	if held := len(s.edges) + len(s.long.edges); held > maxSpan*edges {
		t.Errorf("comb of %d edges: shape holds %d edge copies, want at most %d", edges, held, maxSpan*edges)
	}
	if len(s.long.edges) == 0 {
		t.Errorf("comb: no edge went to the interval tree")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		p := orb.Point{rng.Float64()*1.2 - 0.1, rng.Float64()*1.8 - 0.6}
		want := InRing(g[0][0], p) == Inside
		if got := idx.Contains(0, p); got != want {
			t.Fatalf("Contains(comb, %v) = %v, want %v", p, got, want)
		}
	}
}
