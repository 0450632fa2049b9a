package layers

import (
	"context"
	"fmt"
	"strings"

	"pcnmap/overlap"
	"pcnmap/tiles"
)

// ExportOptions configures Export.
type ExportOptions struct {
	// Threshold is the threshold of the areas layer's pcns attribute (0 counts every PCN with
	// patients in an area).
	Threshold float64
	// Zooms are the zooms written: tiles.AllZooms for every one; the zero value is zoom 0 alone.
	Zooms tiles.Zooms
	// Layers are the layers each tile holds: "areas" (the default) and/or "boundaries".
	Layers []string
	// Workers renders tiles in parallel; zero means GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each tile with the tiles done and the tiles to do.
	Progress func(done, total int)
	// Areas, when set, are the areas' shapes PrepareAreas made from the dataset's areas (as
	// app.LoadTiles does while the rest of the release loads); nil: Export prepares them.
	Areas *tiles.Shapes
}

// Export writes the tiles the server serves for d as an MBTiles 1.3 file at path (see
// tiles.WriteMBTiles), so that any static host can serve them and `pcnmap serve --mbtiles` can too.
func Export(ctx context.Context, path string, d *overlap.Dataset, opt ExportOptions) (tiles.MBTilesStats, error) {
	if opt.Threshold < 0 || opt.Threshold > 1 {
		return tiles.MBTilesStats{}, fmt.Errorf("layers: export: %w", overlap.ErrThreshold)
	}
	names := opt.Layers
	if len(names) == 0 {
		names = []string{Areas}
	}
	ls, err := newSet(ctx, d, opt.Areas, names)
	if err != nil {
		return tiles.MBTilesStats{}, err
	}
	var layers []tiles.Layer
	for _, n := range names {
		switch n {
		case Areas:
			layers = append(layers, ls.Areas(d.Counts(nil, opt.Threshold)))
		case Boundaries:
			l, ok := ls.Boundaries()
			if !ok {
				return tiles.MBTilesStats{}, fmt.Errorf("layers: export: release %s has no boundaries to draw", d.Release)
			}
			layers = append(layers, l)
		default:
			// The pcn layer needs a PCN per tile set: it is served, not exported.
			return tiles.MBTilesStats{}, fmt.Errorf("layers: export: no layer %q (layers: %s, %s)", n, Areas, Boundaries)
		}
	}
	md := tiles.Metadata{
		Name:        "pcnmap " + strings.Join(names, "+") + " " + d.Release,
		Description: fmt.Sprintf("PCN overlap per area, release %s; pcns counts the PCNs holding at least %s of an area's registered patients", d.Release, overlap.FormatThreshold(opt.Threshold)),
		Attribution: Attribution,
		Version:     d.Release,
		Zooms:       opt.Zooms,
	}
	return tiles.WriteMBTiles(ctx, path, tiles.MBTilesOptions{Metadata: md, Workers: opt.Workers, Progress: opt.Progress}, layers...)
}
