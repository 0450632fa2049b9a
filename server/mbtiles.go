package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/paulmach/orb/maptile"

	"pcnmap/internal/gzpool"
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
	doc, err := mb.TileJSON()
	if err != nil {
		return nil, err
	}
	src := &mbSource{mb: mb, doc: doc, layers: map[string]bool{}}
	for _, l := range doc.VectorLayers {
		src.layers[l.ID] = true
		src.names = append(src.names, l.ID)
	}
	slices.Sort(src.names)
	return src, nil
}

// tile reads tile t, decompressed (the cache compresses it again, with its ETag); nil when absent.
func (m *mbSource) tile(ctx context.Context, t maptile.Tile) ([]byte, error) {
	data, err := m.mb.Tile(ctx, t)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, err
	}
	out, err := gzpool.Decompress(data)
	if err != nil {
		return nil, fmt.Errorf("server: mbtiles tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	return out, nil
}

func (m *mbSource) tileJSON(url string) tiles.TileJSONDoc {
	doc := m.doc
	doc.Tiles = []string{url}
	return doc
}
