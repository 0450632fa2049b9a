package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"

	"pcnmap/tiles"
)

// mbSource serves a pre-built MBTiles file or PMTiles archive. Each tile holds every layer of the file, so the same tile
// answers /tiles/{layer}/… for each of its layers (and is cached once).
type mbSource struct {
	mb     tiles.Archive
	doc    tiles.TileJSONDoc // without tile URLs
	names  []string
	layers map[string]bool
}

func newMBSource(mb tiles.Archive) (*mbSource, error) {
	md := mb.Metadata()
	src := &mbSource{mb: mb, layers: map[string]bool{}}
	var js struct {
		VectorLayers []tiles.VectorLayer `json:"vector_layers"`
	}
	if err := json.Unmarshal([]byte(md["json"]), &js); err != nil {
		return nil, fmt.Errorf("server: mbtiles: metadata json: %w", err)
	}
	for _, l := range js.VectorLayers {
		if l.ID == "" || strings.ContainsAny(l.ID, "/?#") || src.layers[l.ID] {
			return nil, fmt.Errorf("server: mbtiles: vector layer id %q cannot be served", l.ID)
		}
		src.layers[l.ID] = true
		src.names = append(src.names, l.ID)
	}
	if len(src.names) == 0 {
		return nil, fmt.Errorf("server: mbtiles: no vector_layers in the metadata")
	}
	slices.Sort(src.names)
	atoi := func(k string, def int) int {
		if v, err := strconv.Atoi(strings.TrimSpace(md[k])); err == nil {
			return v
		}
		return def
	}
	floats := func(k string, n int) []float64 {
		parts := strings.Split(md[k], ",")
		if len(parts) != n {
			return nil
		}
		out := make([]float64, n)
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil
			}
			out[i] = v
		}
		return out
	}
	src.doc = tiles.TileJSONDoc{
		TileJSON: "3.0.0", Name: md["name"], Description: md["description"], Version: md["version"],
		Attribution: md["attribution"], Scheme: "xyz",
		MinZoom: atoi("minzoom", 0), MaxZoom: atoi("maxzoom", tiles.MaxZoom),
		Bounds:       [4]float64{-180, -85.0511287798066, 180, 85.0511287798066},
		VectorLayers: js.VectorLayers,
	}
	if b := floats("bounds", 4); b != nil {
		src.doc.Bounds = [4]float64(b)
	}
	if c := floats("center", 3); c != nil {
		src.doc.Center = [3]float64(c)
	} else {
		b := src.doc.Bounds
		src.doc.Center = [3]float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, float64(src.doc.MinZoom)}
	}
	return src, nil
}

// tile reads tile t, decompressed (the cache compresses it again, with its ETag); nil when absent.
func (m *mbSource) tile(ctx context.Context, t maptile.Tile) ([]byte, error) {
	data, err := m.mb.Tile(ctx, t)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, err
	}
	return gunzip(data)
}

func (m *mbSource) tileJSON(url string) tiles.TileJSONDoc {
	doc := m.doc
	doc.Tiles = []string{url}
	return doc
}
