package layers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"pcnmap/overlap"
	"pcnmap/tiles"
)

// ExportPMTiles writes the tiles Export writes as a PMTiles v3 archive at path: it exports them to a
// temporary MBTiles file beside path and converts that, so both formats hold the same tiles.
func ExportPMTiles(ctx context.Context, path string, d *overlap.Dataset, opt ExportOptions) (tiles.MBTilesStats, tiles.PMTilesStats, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.mbtiles")
	if err != nil {
		return tiles.MBTilesStats{}, tiles.PMTilesStats{}, fmt.Errorf("layers: export: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	st, err := Export(ctx, tmp.Name(), d, opt)
	if err != nil {
		return st, tiles.PMTilesStats{}, err
	}
	mb, err := tiles.OpenMBTiles(ctx, tmp.Name())
	if err != nil {
		return st, tiles.PMTilesStats{}, err
	}
	defer mb.Close()
	ps, err := tiles.ConvertMBTiles(ctx, mb, path)
	return st, ps, err
}
