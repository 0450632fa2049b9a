package tiles

import (
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"
)

const testAttribution = "Contains NHS Digital data; contains Office for National Statistics data; contains OS data © Crown copyright and database right. Licensed under the Open Government Licence v3.0."

func TestTileJSON(t *testing.T) {
	_, s := fixtureShapes(t)
	areas := Layer{Name: "areas", Shapes: s, Fields: []Field{{"code", FieldString}, {"pcns", FieldNumber}, {"urban", FieldBool}}}
	pcn := Layer{Name: "pcn", Shapes: s, Fields: []Field{{"share", FieldNumber}}}
	tests := map[string]struct {
		md   Metadata
		want string
	}{
		// The bounds are the fixture's (python's json over fixtures/msoa.geojson: the least and greatest
		// longitude and latitude of every vertex, -2.478333…, 52.524871…, -0.428393…, 53.544588…),
		// the centre their midpoint, at zoom floor(log2(720 / 2.0499°)) = 8.
		"defaults": {
			md: Metadata{Name: "pcnmap", Attribution: testAttribution, Zooms: AllZooms},
			want: `{"tilejson":"3.0.0","name":"pcnmap","attribution":"` + testAttribution + `","scheme":"xyz",` +
				`"tiles":["https://example.org/tiles/areas/{z}/{x}/{y}.mvt"],"minzoom":0,"maxzoom":12,` +
				`"bounds":[-2.4783,52.5249,-0.4284,53.5446],"center":[-1.45336,53.03473,8],` +
				`"vector_layers":[{"id":"areas","minzoom":0,"maxzoom":12,"fields":{"code":"String","pcns":"Number","urban":"Boolean"}},` +
				`{"id":"pcn","minzoom":0,"maxzoom":12,"fields":{"share":"Number"}}]}`,
		},
		"given": {
			md: Metadata{Name: "x", Description: "d", Version: "1.0.0", Bounds: orb.Bound{Min: orb.Point{-6, 49}, Max: orb.Point{2, 56}},
				Center: orb.Point{-2, 53}, CenterZoom: 6, Zooms: Zooms{2, 10}},
			want: `{"tilejson":"3.0.0","name":"x","description":"d","version":"1.0.0","scheme":"xyz",` +
				`"tiles":["https://example.org/tiles/areas/{z}/{x}/{y}.mvt"],"minzoom":2,"maxzoom":10,` +
				`"bounds":[-6,49,2,56],"center":[-2,53,6],` +
				`"vector_layers":[{"id":"areas","minzoom":2,"maxzoom":10,"fields":{"code":"String","pcns":"Number","urban":"Boolean"}},` +
				`{"id":"pcn","minzoom":2,"maxzoom":10,"fields":{"share":"Number"}}]}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			doc := TileJSON([]string{"https://example.org/tiles/areas/{z}/{x}/{y}.mvt"}, tc.md, areas, pcn)
			// Round the bounds so the test does not depend on the last digits of the fixture.
			for i := range doc.Bounds {
				doc.Bounds[i] = roundTo(doc.Bounds[i], 1e4)
			}
			for i := range 2 {
				doc.Center[i] = roundTo(doc.Center[i], 1e5)
			}
			got, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("TileJSON = %s\nwant %s", got, tc.want)
			}
		})
	}
}
