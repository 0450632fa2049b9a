package server

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"pcnmap/fixtures"
	"pcnmap/geo"
)

// goldenFeature is a decoded feature as the golden files record it: its id, attributes and a summary
// of its geometry in tile coordinates.
type goldenFeature struct {
	ID         float64        `json:"id"`
	Properties map[string]any `json:"properties"`
	Type       string         `json:"type"`
	Polygons   int            `json:"polygons"`
	Rings      int            `json:"rings"`
	Vertices   int            `json:"vertices"`
	Bound      [4]float64     `json:"bound"`
}

type goldenLayer struct {
	Name     string          `json:"name"`
	Version  uint32          `json:"version"`
	Extent   uint32          `json:"extent"`
	Features []goldenFeature `json:"features"`
}

// TestGoldenTiles compares decoded fixture tiles (every layer) with testdata/*.golden.json;
// go test ./server -update rewrites them. Besides the comparison, every feature's geometry must be
// polygons inside the tile plus its buffer, with exterior rings that enclose their holes.
func TestGoldenTiles(t *testing.T) {
	s := newTestServer(t, Config{})
	pcn := s.d.PCNs[s.d.AreaCells(mustArea(t, s.d, traffordArea))[0].PCN].Code
	tests := map[string]string{
		"areas-z10-trafford":      "/tiles/areas/" + z10Trafford + ".mvt",
		"areas-z8-manchester-5pc": "/tiles/areas/8/126/82.mvt?threshold=5%25",
		"areas-z5-coalesced":      "/tiles/areas/5/15/10.mvt",
		"pcn-z9":                  "/tiles/pcn/9/252/165.mvt?pcn=" + pcn,
		"boundaries-z8":           "/tiles/boundaries/8/126/82.mvt",
	}
	for name, path := range tests {
		t.Run(name, func(t *testing.T) {
			res := get(t, s.Handler(), path, "Accept-Encoding: gzip")
			if res.StatusCode != 200 {
				t.Fatalf("GET %s = %d", path, res.StatusCode)
			}
			layers := decodeTile(t, body(t, res))
			got := summarise(t, layers)
			b, err := json.MarshalIndent(got, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			want, ok := fixtures.GoldenFile(t, filepath.Join("testdata", name+".golden.json"), b)
			if !ok {
				return
			}
			var wantLayers []goldenLayer
			if err := json.Unmarshal(want, &wantLayers); err != nil {
				t.Fatal(err)
			}
			compareGolden(t, path, got, wantLayers)
		})
	}
}

func summarise(tb testing.TB, layers mvt.Layers) []goldenLayer {
	tb.Helper()
	var out []goldenLayer
	for _, l := range layers {
		gl := goldenLayer{Name: l.Name, Version: l.Version, Extent: l.Extent}
		for _, f := range l.Features {
			id, ok := f.ID.(float64)
			if !ok {
				tb.Fatalf("layer %s: feature without an integer id: %v", l.Name, f.ID)
			}
			gf := goldenFeature{ID: id, Properties: f.Properties, Type: f.Geometry.GeoJSONType()}
			var mp orb.MultiPolygon
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				mp = orb.MultiPolygon{g}
			case orb.MultiPolygon:
				mp = g
			default:
				tb.Fatalf("layer %s feature %v: geometry %T, want polygons", l.Name, id, f.Geometry)
			}
			checkPolygons(tb, l.Name, id, mp)
			gf.Polygons = len(mp)
			for _, p := range mp {
				gf.Rings += len(p)
				for _, r := range p {
					gf.Vertices += len(r)
				}
			}
			b := mp.Bound()
			gf.Bound = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
			gl.Features = append(gl.Features, gf)
		}
		slices.SortFunc(gl.Features, func(x, y goldenFeature) int { return int(x.ID - y.ID) })
		out = append(out, gl)
	}
	slices.SortFunc(out, func(x, y goldenLayer) int {
		if x.Name < y.Name {
			return -1
		}
		return 1
	})
	return out
}

// checkPolygons checks decoded polygons: rings of at least four points, vertices within the tile's
// buffer, and holes inside their exterior.
func checkPolygons(tb testing.TB, layer string, id float64, mp orb.MultiPolygon) {
	tb.Helper()
	const lo, hi = -64, 4096 + 64
	for _, p := range mp {
		for i, r := range p {
			if len(r) < 4 {
				tb.Errorf("layer %s feature %v: ring of %d points", layer, id, len(r))
			}
			for _, pt := range r {
				if pt[0] < lo || pt[0] > hi || pt[1] < lo || pt[1] > hi {
					tb.Errorf("layer %s feature %v: vertex %v outside the tile and its buffer", layer, id, pt)
					break
				}
			}
			if i > 0 && geo.InRing(p[0], r[0]) == geo.Outside && geo.InRing(p[0], r[len(r)/2]) == geo.Outside {
				tb.Errorf("layer %s feature %v: hole %d outside its exterior", layer, id, i)
			}
		}
	}
}

func compareGolden(tb testing.TB, path string, got, want []goldenLayer) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d layers, golden %d", path, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Version != w.Version || g.Extent != w.Extent || len(g.Features) != len(w.Features) {
			tb.Errorf("%s: layer %s v%d extent %d with %d features, golden %s v%d extent %d with %d",
				path, g.Name, g.Version, g.Extent, len(g.Features), w.Name, w.Version, w.Extent, len(w.Features))
			continue
		}
		for j := range g.Features {
			gf, wf := g.Features[j], w.Features[j]
			if gf.ID != wf.ID || gf.Type != wf.Type || gf.Polygons != wf.Polygons || gf.Rings != wf.Rings || gf.Vertices != wf.Vertices || gf.Bound != wf.Bound {
				tb.Errorf("%s: layer %s feature %v: %s %d polygons %d rings %d vertices %v, golden %v %s %d %d %d %v",
					path, g.Name, gf.ID, gf.Type, gf.Polygons, gf.Rings, gf.Vertices, gf.Bound, wf.ID, wf.Type, wf.Polygons, wf.Rings, wf.Vertices, wf.Bound)
			}
			if len(gf.Properties) != len(wf.Properties) {
				tb.Errorf("%s: layer %s feature %v: properties %v, golden %v", path, g.Name, gf.ID, gf.Properties, wf.Properties)
				continue
			}
			for k, gv := range gf.Properties {
				wv := wf.Properties[k]
				gn, gok := gv.(float64)
				wn, wok := wv.(float64)
				if gok && wok && math.Abs(gn-wn) <= 1e-9 {
					continue
				}
				if gv != wv {
					tb.Errorf("%s: layer %s feature %v: %s = %v, golden %v", path, g.Name, gf.ID, k, gv, wv)
				}
			}
		}
	}
}
