package tiles

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb/maptile"

	"pcnmap/fixtures"
)

// goldenTile is a decoded tile, reduced to what the golden files compare.
type goldenTile struct {
	Layers []goldenLayer `json:"layers"`
}

type goldenLayer struct {
	Name     string          `json:"name"`
	Extent   uint32          `json:"extent"`
	Features []goldenFeature `json:"features"`
}

type goldenFeature struct {
	ID         any            `json:"id"`
	Properties map[string]any `json:"properties"`
	// Polygons lists, per polygon, the point count of each ring, negative for clockwise-in-tile
	// (hole) rings.
	Polygons [][]int `json:"polygons"`
	Area     float64 `json:"area"` // total area in square tile units
}

// TestGolden compares decoded fixture tiles with testdata/*.golden.json (refresh with -update).
func TestGolden(t *testing.T) {
	feats, s := fixtureShapes(t)
	tests := map[string]struct {
		tile     maptile.Tile
		coalesce bool
	}{
		"z6-coalesced": {maptile.New(31, 20, 6), true},
		"z8":           {maptile.New(126, 82, 8), false},
		"z10-trafford": {maptile.New(505, 331, 10), false},
		"z10-rutland":  {maptile.New(510, 335, 10), false},
		"z12":          {maptile.New(2021, 1326, 12), false},
		"z14-overzoom": {maptile.New(8085, 5305, 14), false},
		"z5-coalesced": {maptile.New(15, 10, 5), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := Layer{Name: "msoa", Shapes: s, Fields: testFields, Attrs: testAttrs(feats, false), Coalesce: tc.coalesce}
			data, err := Render(context.Background(), tc.tile, l)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenTile
			for _, dl := range decodeTile(t, data) {
				gl := goldenLayer{Name: dl.Name, Extent: dl.Extent, Features: []goldenFeature{}}
				for _, f := range dl.Features {
					gf := goldenFeature{ID: f.ID, Properties: f.Properties}
					for _, p := range polygons(t, f.Geometry) {
						var rings []int
						for _, r := range p {
							a := area2(r) / 2
							gf.Area += a
							if a < 0 {
								rings = append(rings, -len(r))
							} else {
								rings = append(rings, len(r))
							}
						}
						gf.Polygons = append(gf.Polygons, rings)
					}
					gf.Area = math.Round(gf.Area)
					gl.Features = append(gl.Features, gf)
				}
				g.Layers = append(g.Layers, gl)
			}
			got, err := json.MarshalIndent(g, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			fixtures.Golden(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
}
