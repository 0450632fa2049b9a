package tiles_test

import (
	"context"
	"fmt"
	"log"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"pcnmap/geo"
	"pcnmap/tiles"
)

// Two neighbouring areas sharing an edge, drawn as one layer with a count attribute; the east area
// is left out of the layer by its callback.
func ExampleRender() {
	areas := []geo.Feature{
		{Code: "W", Geom: orb.MultiPolygon{{{{-2.4, 53.4}, {-2.3, 53.4}, {-2.3, 53.5}, {-2.4, 53.5}, {-2.4, 53.4}}}}},
		{Code: "E", Geom: orb.MultiPolygon{{{{-2.3, 53.4}, {-2.2, 53.4}, {-2.2, 53.5}, {-2.3, 53.5}, {-2.3, 53.4}}}}},
	}
	shapes, err := tiles.Prepare(context.Background(), areas, tiles.Options{})
	if err != nil {
		log.Fatal(err)
	}
	counts := []float64{3, 5}
	layer := tiles.Layer{
		Name:   "areas",
		Shapes: shapes,
		Fields: []tiles.Field{{Name: "code", Type: tiles.FieldString}, {Name: "pcns", Type: tiles.FieldNumber}},
		Attrs: func(i int, vals []tiles.Value) bool {
			vals[0].Str = areas[i].Code
			vals[1].Num = counts[i]
			return areas[i].Code != "E"
		},
	}
	tile := maptile.At(orb.Point{-2.35, 53.45}, 10)
	data, err := tiles.Render(context.Background(), tile, layer)
	if err != nil {
		log.Fatal(err)
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range layers[0].Features {
		fmt.Println(layers[0].Name, f.ID, f.Properties["code"], f.Properties["pcns"], f.Geometry.GeoJSONType())
	}
	// Output:
	// areas 1 W 3 Polygon
}

// A tile is rendered once however many requests ask for it at the same time, and kept compressed.
func ExampleCache_Tile() {
	areas := []geo.Feature{
		{Code: "A", Geom: orb.MultiPolygon{{{{-2.4, 53.4}, {-2.2, 53.4}, {-2.2, 53.5}, {-2.4, 53.5}, {-2.4, 53.4}}}}},
	}
	shapes, err := tiles.Prepare(context.Background(), areas, tiles.Options{})
	if err != nil {
		log.Fatal(err)
	}
	layer := tiles.Layer{Name: "areas", Shapes: shapes}
	cache := tiles.NewCache(64 << 20)
	t, err := tiles.ParseZXY("10", "505", "331")
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		e, err := cache.Tile(context.Background(), tiles.Key{Layer: "areas", Tile: t}, func(ctx context.Context) ([]byte, error) {
			return tiles.Render(ctx, t, layer)
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Gzip != nil, len(e.ETag))
	}
	st := cache.Stats()
	fmt.Println(st.Hits, st.Misses, st.Renders)
	// Output:
	// true 34
	// true 34
	// 1 1 1
}
