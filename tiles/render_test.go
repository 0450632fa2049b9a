package tiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"pcnmap/geo"
)

// testFields exercises every field type, and Null.
var testFields = []Field{
	{"code", FieldString}, {"name", FieldString}, {"index", FieldNumber}, {"share", FieldNumber},
	{"neg", FieldNumber}, {"odd", FieldBool}, {"maybe", FieldString},
}

// testAttrs fills testFields for feature i; features whose index is a multiple of 7 are skipped when
// skip is set.
func testAttrs(feats []geo.Feature, skip bool) func(int, []Value) bool {
	return func(i int, v []Value) bool {
		if skip && i%7 == 0 {
			return false
		}
		v[0].Str = feats[i].Code
		v[1].Str = feats[i].Name
		v[2].Num = float64(i)
		v[3].Num = float64(i) / 3
		v[4].Num = -float64(i % 5)
		v[5].Bool = i%2 == 1
		v[6].Null = i%3 == 0
		v[6].Str = "present"
		return true
	}
}

// wantProps is what a decoder should find for feature i under testAttrs.
func wantProps(feats []geo.Feature, i int) map[string]any {
	m := map[string]any{
		"code": feats[i].Code, "name": feats[i].Name, "index": float64(i), "share": float64(i) / 3,
		"neg": -float64(i % 5), "odd": i%2 == 1,
	}
	if i%3 != 0 {
		m["maybe"] = "present"
	}
	return m
}

// decodeTile decodes a tile with orb's decoder, independent of the encoder under test.
func decodeTile(tb testing.TB, data []byte) mvt.Layers {
	tb.Helper()
	ls, err := mvt.Unmarshal(data)
	if err != nil {
		tb.Fatalf("mvt.Unmarshal: %v", err)
	}
	return ls
}

// polygons returns a decoded feature's polygons.
func polygons(tb testing.TB, g orb.Geometry) []orb.Polygon {
	tb.Helper()
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	tb.Fatalf("geometry %T, want a polygon", g)
	return nil
}

// area2 is twice the signed area of a closed ring in tile coordinates (y down): positive for an
// exterior as MVT 2.1 defines it.
func area2(r orb.Ring) float64 {
	var s float64
	for i := 1; i < len(r); i++ {
		s += r[i-1][0]*r[i][1] - r[i][0]*r[i-1][1]
	}
	return s
}

// checkGeometry checks what MVT 2.1 asks of polygon geometry: exteriors positive, holes negative,
// closed rings of at least three distinct points, no consecutive duplicates, within the buffer.
func checkGeometry(tb testing.TB, where string, g orb.Geometry) {
	tb.Helper()
	for pi, p := range polygons(tb, g) {
		for ri, r := range p {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				tb.Errorf("%s: polygon %d ring %d: %d points, closed %v", where, pi, ri, len(r), r[0] == r[len(r)-1])
			}
			for k, q := range r {
				if q[0] < -Buffer || q[0] > Extent+Buffer || q[1] < -Buffer || q[1] > Extent+Buffer {
					tb.Errorf("%s: polygon %d ring %d: point %v outside the buffer", where, pi, ri, q)
					break
				}
				if k > 0 && r[k-1] == q {
					tb.Errorf("%s: polygon %d ring %d: consecutive duplicate %v", where, pi, ri, q)
					break
				}
			}
			a := area2(r)
			if (ri == 0) != (a > 0) || a == 0 {
				tb.Errorf("%s: polygon %d ring %d: area %v, want %s", where, pi, ri, a/2, map[bool]string{true: "> 0", false: "< 0"}[ri == 0])
			}
		}
	}
}

// coverTiles lists the tiles at zoom z over bound b.
func coverTiles(b orb.Bound, z maptile.Zoom) []maptile.Tile {
	lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var ts []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			ts = append(ts, maptile.New(x, y, z))
		}
	}
	return ts
}

// TestRenderDecodes renders every tile over the fixture at zooms 0..14 and decodes it with orb: ids,
// attributes and geometry must be what was asked for.
func TestRenderDecodes(t *testing.T) {
	feats, s := fixtureShapes(t)
	tests := map[string]struct {
		skip, coalesce bool
	}{
		"all":      {},
		"skip":     {skip: true},
		"coalesce": {coalesce: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := Layer{Name: "msoa", Shapes: s, Fields: testFields, Attrs: testAttrs(feats, tc.skip), Coalesce: tc.coalesce}
			seen := make(map[int]bool)
			for z := maptile.Zoom(0); z <= 14; z++ {
				for _, tile := range coverTiles(s.Bound(), z) {
					data, err := Render(context.Background(), tile, l)
					if err != nil {
						t.Fatalf("Render(%v): %v", tile, err)
					}
					if data == nil {
						continue
					}
					ls := decodeTile(t, data)
					if len(ls) != 1 || ls[0].Name != "msoa" || ls[0].Version != 2 || ls[0].Extent != Extent {
						t.Fatalf("Render(%v): layers %+v", tile, ls)
					}
					ids := map[int]bool{}
					for _, f := range ls[0].Features {
						id, ok := f.ID.(float64)
						i := int(id) - 1
						if !ok || i < 0 || i >= len(feats) || float64(i+1) != id {
							t.Fatalf("Render(%v): feature id %v", tile, f.ID)
						}
						if ids[i] {
							t.Errorf("Render(%v): id %v twice", tile, f.ID)
						}
						ids[i] = true
						seen[i] = true
						if tc.skip && i%7 == 0 {
							t.Errorf("Render(%v): skipped feature %d drawn", tile, i)
						}
						if got, want := map[string]any(f.Properties), wantProps(feats, i); !reflect.DeepEqual(got, want) {
							t.Errorf("Render(%v) feature %d properties = %v, want %v", tile, i, got, want)
						}
						checkGeometry(t, fmt.Sprintf("Render(%v) feature %d", tile, i), f.Geometry)
					}
				}
			}
			for i := range feats {
				if !seen[i] && !(tc.skip && i%7 == 0) {
					t.Errorf("feature %d (%s) in no tile", i, feats[i].Code)
				}
			}
		})
	}
}

// TestRenderWinding draws a square with a hole, given with either winding, and checks the decoded
// exterior is clockwise on screen (positive area in tile coordinates, y down) and the hole is not.
func TestRenderWinding(t *testing.T) {
	ccw := orb.Ring{{1, 50}, {3, 50}, {3, 52}, {1, 52}, {1, 50}}
	hole := orb.Ring{{1.5, 50.5}, {1.5, 51.5}, {2.5, 51.5}, {2.5, 50.5}, {1.5, 50.5}}
	rev := func(r orb.Ring) orb.Ring {
		c := r.Clone()
		c.Reverse()
		return c
	}
	tests := map[string]orb.Polygon{
		"rfc7946": {ccw, hole},
		"reverse": {rev(ccw), rev(hole)},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Prepare(context.Background(), []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{p}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, z := range []maptile.Zoom{0, 3, 5, 6} {
				tile := maptile.At(orb.Point{2, 51}, z)
				data, err := Render(context.Background(), tile, Layer{Name: "a", Shapes: s})
				if err != nil || data == nil {
					t.Fatalf("Render(%v) = %d bytes, %v", tile, len(data), err)
				}
				f := decodeTile(t, data)[0].Features[0]
				ps := polygons(t, f.Geometry)
				if len(ps) != 1 || len(ps[0]) != 2 {
					t.Fatalf("Render(%v): decoded %v, want one polygon with a hole", tile, f.Geometry)
				}
				if a := area2(ps[0][0]); a <= 0 {
					t.Errorf("Render(%v): exterior area %v, want > 0", tile, a)
				}
				if a := area2(ps[0][1]); a >= 0 {
					t.Errorf("Render(%v): hole area %v, want < 0", tile, a)
				}
			}
		})
	}
}

func TestRenderEmptyAndErrors(t *testing.T) {
	_, s := fixtureShapes(t)
	l := Layer{Name: "msoa", Shapes: s}
	data, err := Render(context.Background(), maptile.New(0, 0, 10), l)
	if data != nil || err != nil {
		t.Errorf("Render(far away) = %d bytes, %v; want nil, nil", len(data), err)
	}
	if data, err := Render(context.Background(), maptile.New(0, 0, 0)); data != nil || err != nil {
		t.Errorf("Render(no layers) = %d bytes, %v; want nil, nil", len(data), err)
	}
	tests := map[string]struct {
		tile   maptile.Tile
		layers []Layer
		want   error
	}{
		"z too big":   {maptile.New(0, 0, OverZoom+1), []Layer{l}, ErrOutOfRange},
		"x too big":   {maptile.New(1024, 0, 10), []Layer{l}, ErrOutOfRange},
		"y too big":   {maptile.New(0, 2, 1), []Layer{l}, ErrOutOfRange},
		"no name":     {maptile.New(0, 0, 0), []Layer{{Shapes: s}}, nil},
		"no shapes":   {maptile.New(0, 0, 0), []Layer{{Name: "x"}}, nil},
		"zero shapes": {maptile.New(0, 0, 0), []Layer{{Name: "x", Shapes: &Shapes{}}}, nil},
		"twice":       {maptile.New(0, 0, 0), []Layer{l, l}, nil},
		"bad field":   {maptile.New(0, 0, 0), []Layer{{Name: "x", Shapes: s, Fields: []Field{{"f", 0}}}}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := Render(context.Background(), tc.tile, tc.layers...)
			if err == nil || data != nil {
				t.Fatalf("Render = %d bytes, %v; want an error", len(data), err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Render error %v, want %v", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Render(ctx, maptile.New(126, 82, 8), l); !errors.Is(err, context.Canceled) {
		t.Errorf("Render(cancelled) error %v, want context.Canceled", err)
	}
}

// TestPrepareReadOnly checks Prepare leaves its input alone.
func TestPrepareReadOnly(t *testing.T) {
	feats, err := readFeatures(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	before := make([]geo.Feature, len(feats))
	for i, f := range feats {
		before[i] = f
		before[i].Geom = f.Geom.Clone()
	}
	if _, err := Prepare(context.Background(), feats, Options{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, feats) {
		t.Error("Prepare modified its input")
	}
}

func TestPrepareBadInput(t *testing.T) {
	tests := map[string]struct {
		feats []geo.Feature
		opt   Options
		err   bool
	}{
		"empty":      {},
		"no geom":    {feats: []geo.Feature{{Code: "A"}}},
		"degenerate": {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{0, 0}, {1, 1}, {0, 0}}}}}}},
		"empty ring": {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{}}}}}},
		"nan":        {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{0, 0}, {1, math.NaN()}, {1, 1}, {0, 0}}}}}}, err: true},
		"inf":        {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{0, 0}, {math.Inf(1), 0}, {1, 1}, {0, 0}}}}}}, err: true},
		"nan option": {opt: Options{Tolerance: math.NaN()}, err: true},
		"poles":      {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{-180, -90}, {180, -90}, {180, 90}, {-180, 90}, {-180, -90}}}}}}},
		"beyond":     {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{170, 0}, {200, 0}, {200, 10}, {170, 0}}}}}}},
		"spike":      {feats: []geo.Feature{{Code: "A", Geom: orb.MultiPolygon{{{{0, 0}, {1, 0}, {2, 0}, {1, 0}, {1, 1}, {0, 0}}}}}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Prepare(context.Background(), tc.feats, tc.opt)
			if (err != nil) != tc.err {
				t.Fatalf("Prepare error %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			for z := maptile.Zoom(0); z <= 3; z++ {
				for x := uint32(0); x < 1<<z; x++ {
					for y := uint32(0); y < 1<<z; y++ {
						data, err := Render(context.Background(), maptile.New(x, y, z), Layer{Name: "a", Shapes: s})
						if err != nil {
							t.Fatalf("Render: %v", err)
						}
						if data != nil {
							decodeTile(t, data)
						}
					}
				}
			}
		})
	}
}

// TestNoGaps checks, on decoded tiles of the fixture, that neighbours still share their edges: every
// edge of every ring (except those along the clip rectangle) is matched by the same edge, reversed,
// in another ring, unless it lies on the outer boundary of the extract. And it rasterises each tile
// and checks that every sample point inside the extract (away from its outer boundary) is covered.
func TestNoGaps(t *testing.T) {
	feats, s := fixtureShapes(t)
	outer := outerEdges(feats)
	for _, z := range []maptile.Zoom{4, 5, 6, 8, 10, 12, 13} {
		for k, tile := range coverTiles(s.Bound(), z) {
			if z == 13 && k%5 != 0 {
				continue // a sample of the over-zoomed tiles is enough
			}
			var areas [2]float64
			for i, coalesce := range []bool{false, true} {
				l := Layer{Name: "msoa", Shapes: s, Coalesce: coalesce}
				data, err := Render(context.Background(), tile, l)
				if err != nil {
					t.Fatal(err)
				}
				if data == nil {
					continue
				}
				where := fmt.Sprintf("coalesce %v tile %v", coalesce, tile)
				fs := decodeTile(t, data)[0].Features
				slack := (2*DefaultTolerance + 2) * float64(int(1)<<max(0, int(z)-MaxZoom))
				segs := projectEdges(outer, tile)
				checkEdgesPaired(t, where, fs, segs, slack)
				if !raceEnabled || k%4 == 0 {
					checkCoverage(t, where, fs, feats, tile, segs, slack)
				}
				for _, f := range fs {
					for _, p := range polygons(t, f.Geometry) {
						for _, r := range p {
							areas[i] += area2(r) / 2
						}
					}
				}
			}
			// Merging features dissolves shared arcs: it moves no boundary, so the area drawn is the
			// same (up to where clipping rounds differently).
			if d := math.Abs(areas[0] - areas[1]); d > 1e-6*areas[0]+8*Buffer {
				t.Errorf("tile %v: area drawn %v, coalesced %v", tile, areas[0], areas[1])
			}
		}
	}
}

// TestRenderConcurrent renders many tiles from many goroutines (run with -race).
func TestRenderConcurrent(t *testing.T) {
	feats, s := fixtureShapes(t)
	l := Layer{Name: "msoa", Shapes: s, Fields: testFields, Attrs: testAttrs(feats, false), Coalesce: true}
	var ts []maptile.Tile
	for z := maptile.Zoom(5); z <= 12; z++ {
		ts = append(ts, coverTiles(s.Bound(), z)...)
	}
	want := make([][]byte, len(ts))
	for i, tile := range ts {
		var err error
		if want[i], err = Render(context.Background(), tile, l); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ts {
				i := (k + g*7) % len(ts)
				got, err := Render(context.Background(), ts[i], l)
				if err != nil || !bytes.Equal(got, want[i]) {
					t.Errorf("Render(%v) concurrently = %d bytes, %v; want %d bytes", ts[i], len(got), err, len(want[i]))
					return
				}
			}
		}()
	}
	wg.Wait()
}

// outerEdges returns the fixture's edges that no other ring shares (matched on coordinates rounded to
// 1e-6 degrees), i.e. the outer boundary of the extract.
func outerEdges(feats []geo.Feature) [][2]orb.Point {
	type key [4]int64
	r := func(v float64) int64 { return int64(math.Round(v * 1e6)) }
	count := map[key]int{}
	norm := func(p, q orb.Point) key {
		a, b := [2]int64{r(p[0]), r(p[1])}, [2]int64{r(q[0]), r(q[1])}
		if a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]) {
			a, b = b, a
		}
		return key{a[0], a[1], b[0], b[1]}
	}
	for _, f := range feats {
		for _, p := range f.Geom {
			for _, ring := range p {
				for i := 1; i < len(ring); i++ {
					count[norm(ring[i-1], ring[i])]++
				}
			}
		}
	}
	var out [][2]orb.Point
	for _, f := range feats {
		for _, p := range f.Geom {
			for _, ring := range p {
				for i := 1; i < len(ring); i++ {
					if count[norm(ring[i-1], ring[i])] == 1 {
						out = append(out, [2]orb.Point{ring[i-1], ring[i]})
					}
				}
			}
		}
	}
	return out
}

// toTile projects a WGS84 point to tile t's coordinates (floating point).
func toTile(p orb.Point, t maptile.Tile) orb.Point {
	q := project(p)
	n := math.Ldexp(Extent, int(t.Z))
	return orb.Point{q[0]*n - float64(t.X)*Extent, q[1]*n - float64(t.Y)*Extent}
}

func projectEdges(es [][2]orb.Point, t maptile.Tile) []orb.LineString {
	out := make([]orb.LineString, 0, len(es))
	for _, e := range es {
		out = append(out, orb.LineString{toTile(e[0], t), toTile(e[1], t)})
	}
	return out
}

func nearAny(p orb.Point, segs []orb.LineString, d float64) bool {
	for _, s := range segs {
		if math.Min(s[0][0], s[1][0])-d > p[0] || math.Max(s[0][0], s[1][0])+d < p[0] ||
			math.Min(s[0][1], s[1][1])-d > p[1] || math.Max(s[0][1], s[1][1])+d < p[1] {
			continue
		}
		if planar.DistanceFrom(s, p) <= d {
			return true
		}
	}
	return false
}

func onClip(a, b orb.Point) bool {
	for _, c := range []float64{-Buffer, Extent + Buffer} {
		if (a[0] == c && b[0] == c) || (a[1] == c && b[1] == c) {
			return true
		}
	}
	return false
}

func checkEdgesPaired(t *testing.T, where string, fs []*geojson.Feature, outer []orb.LineString, slack float64) {
	t.Helper()
	type edge [2]orb.Point
	edges := map[edge]int{}
	each := func(fn func(f int, a, b orb.Point)) {
		for fi, f := range fs {
			for _, p := range polygons(t, f.Geometry) {
				for _, r := range p {
					for i := 1; i < len(r); i++ {
						fn(fi, r[i-1], r[i])
					}
				}
			}
		}
	}
	each(func(_ int, a, b orb.Point) { edges[edge{a, b}]++ })
	bad := 0
	each(func(f int, a, b orb.Point) {
		if onClip(a, b) || edges[edge{b, a}] > 0 {
			return
		}
		if mid := (orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}); nearAny(mid, outer, slack) {
			return
		}
		if bad++; bad <= 5 {
			t.Errorf("%s: feature %v edge %v→%v has no neighbour and is not on the outer boundary", where, fs[f].ID, a, b)
		}
	})
	if bad > 5 {
		t.Errorf("%s: %d unpaired edges in all", where, bad)
	}
}

// checkCoverage rasterises the decoded tile at every 8th unit and checks that every sample inside
// an input feature and further than slack from the extract's outer boundary is covered by a decoded
// feature. Samples covered twice (overlaps where simplification crossed arcs) are only counted.
func checkCoverage(t *testing.T, where string, fs []*geojson.Feature, feats []geo.Feature, tile maptile.Tile, outer []orb.LineString, slack float64) {
	t.Helper()
	const step, n = 8, Extent / 8
	var got, want [n][n]uint8
	// fill adds one feature (even–odd over all its rings) to cover, edge by edge: each edge adds its
	// crossings to the rows it spans.
	var xs [n][]float64
	fill := func(cover *[n][n]uint8, rings []orb.Ring) {
		lo, hi := n, -1
		for _, r := range rings {
			for i := 1; i < len(r); i++ {
				a, b := r[i-1], r[i]
				if a[1] == b[1] {
					continue
				}
				// rows whose sample y = row*step + step/2 + 0.01 lies in [min, max)
				y0, y1 := math.Min(a[1], b[1]), math.Max(a[1], b[1])
				r0 := max(0, int(math.Ceil((y0-0.5*step-0.01)/step)))
				r1 := min(n-1, int(math.Ceil((y1-0.5*step-0.01)/step))-1)
				for row := r0; row <= r1; row++ {
					y := float64(row*step) + 0.5*step + 0.01
					xs[row] = append(xs[row], a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
				}
				lo, hi = min(lo, r0), max(hi, r1)
			}
		}
		for row := lo; row <= hi; row++ {
			x := xs[row]
			slices.Sort(x)
			for k := 0; k+1 < len(x); k += 2 {
				c0 := int(math.Ceil((x[k] - 0.5*step) / step))
				c1 := int(math.Floor((x[k+1] - 0.5*step) / step))
				for c := max(c0, 0); c <= min(c1, n-1); c++ {
					cover[row][c]++
				}
			}
			xs[row] = x[:0]
		}
	}
	for _, f := range fs {
		var rings []orb.Ring
		for _, p := range polygons(t, f.Geometry) {
			rings = append(rings, p...)
		}
		fill(&got, rings)
	}
	for _, f := range feats {
		var rings []orb.Ring
		for _, p := range f.Geom {
			for _, r := range p {
				pr := make(orb.Ring, len(r))
				for i, q := range r {
					pr[i] = toTile(q, tile)
				}
				rings = append(rings, pr)
			}
		}
		fill(&want, rings)
	}
	// Mark the samples within slack of the outer boundary, segment by segment.
	var near [n][n]bool
	for _, sg := range outer {
		c0 := max(0, int(math.Floor((math.Min(sg[0][0], sg[1][0])-slack)/step)))
		c1 := min(n-1, int(math.Ceil((math.Max(sg[0][0], sg[1][0])+slack)/step)))
		r0 := max(0, int(math.Floor((math.Min(sg[0][1], sg[1][1])-slack)/step)))
		r1 := min(n-1, int(math.Ceil((math.Max(sg[0][1], sg[1][1])+slack)/step)))
		for row := r0; row <= r1; row++ {
			for c := c0; c <= c1; c++ {
				p := orb.Point{float64(c*step) + 0.5*step, float64(row*step) + 0.5*step + 0.01}
				if !near[row][c] && planar.DistanceFrom(sg, p) <= slack {
					near[row][c] = true
				}
			}
		}
	}
	gaps, twice := 0, 0
	for row := range n {
		for c := range n {
			if got[row][c] > 1 {
				twice++
			}
			if want[row][c] == 0 || got[row][c] > 0 || near[row][c] {
				continue
			}
			p := orb.Point{float64(c*step) + 0.5*step, float64(row*step) + 0.5*step + 0.01}
			if gaps++; gaps <= 3 {
				t.Errorf("%s: sample %v inside the extract is not covered", where, p)
			}
		}
	}
	if gaps > 3 {
		t.Errorf("%s: %d uncovered samples in all", where, gaps)
	}
	if twice > n*n/1000 {
		t.Errorf("%s: %d samples covered twice", where, twice)
	}
}

func roundTo(v, scale float64) float64 { return math.Round(v*scale) / scale }

func TestCovers(t *testing.T) {
	tests := map[string]struct {
		ring []pt
		want bool
	}{
		"figure of eight": {[]pt{{0, 0}, {2, 2}, {2, 0}, {0, 2}}, true},
		"there and back":  {[]pt{{0, 0}, {1, 1}, {2, 0}, {1, 1}}, false},
		"line":            {[]pt{{0, 0}, {1, 0}, {2, 0}}, false},
		"two points":      {[]pt{{0, 0}, {1, 0}}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := covers(tc.ring); got != tc.want {
				t.Errorf("covers(%v) = %v, want %v", tc.ring, got, tc.want)
			}
		})
	}
}
