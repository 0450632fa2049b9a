package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb/maptile"

	"pcnmap/app"
	"pcnmap/layers"
	"pcnmap/tiles"
)

func runTiles(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: pcnmap tiles export --db W.db --out FILE.mbtiles [flags]\n\nRun \"pcnmap tiles export --help\" for its flags.")
			return nil
		}
		if len(args) == 0 {
			return fmt.Errorf("%w: no tiles subcommand given; the only one is export", errUsage)
		}
		return unknownCommand("tiles subcommand", args[0], []string{"export"}, "pcnmap tiles --help")
	}
	return runTilesExport(ctx, e, args[1:])
}

func runTilesExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "tiles export", "--db W.db --out FILE.mbtiles|FILE.pmtiles [--format mbtiles|pmtiles] [--release NAME] [--minzoom 0 --maxzoom 12] [--threshold 1%] [--layers areas,boundaries]\n\n"+
		"Writes the tiles `pcnmap serve` would serve as an MBTiles 1.3 file (gzipped MVT, TMS rows, metadata\n"+
		"with vector_layers) for `pcnmap serve --mbtiles`, QGIS or GDAL, or as a PMTiles v3 archive (the same\n"+
		"tiles, identical ones stored once) that browsers read from any static host by range requests and\n"+
		"`pcnmap serve --pmtiles` serves. The format defaults to the --out extension, else mbtiles. Each tile\n"+
		"holds every layer given. The file is written beside --out under a temporary name and renamed at the end.")
	db := fs.String("db", "", "workspace `file`")
	release := fs.String("release", "", "release `name` (default: the newest)")
	out := fs.String("out", "", "MBTiles `file` to write (replaced if it exists)")
	minZoom := fs.Int("minzoom", 0, "lowest `zoom`")
	maxZoom := fs.Int("maxzoom", tiles.MaxZoom, fmt.Sprintf("highest `zoom`, 0 to %d (clients over-zoom beyond it)", tiles.MaxZoom))
	threshold := thresholdFlag(fs, "threshold of the areas layer's pcns attribute")
	layerList := fs.String("layers", "areas", "comma-separated `layers`: areas, boundaries")
	format := fs.String("format", "", "`format`: mbtiles or pmtiles (default: from the --out extension)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required(fs, "db", "out"); err != nil {
		return err
	}
	if *maxZoom > tiles.MaxZoom || *minZoom < 0 || *minZoom > *maxZoom {
		return fmt.Errorf("%w: tiles export: zooms %d-%d: want 0 ≤ minzoom ≤ maxzoom ≤ %d", errUsage, *minZoom, *maxZoom, tiles.MaxZoom)
	}
	if *format == "" {
		*format = "mbtiles"
		if strings.EqualFold(filepath.Ext(*out), ".pmtiles") {
			*format = "pmtiles"
		}
	}
	if *format != "mbtiles" && *format != "pmtiles" {
		return fmt.Errorf("%w: tiles export: --format %q: mbtiles or pmtiles", errUsage, *format)
	}
	t := float64(*threshold)
	var names []string
	for n := range strings.SplitSeq(*layerList, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	start := time.Now()
	d, areas, err := app.LoadTiles(ctx, *db, *release)
	if err != nil {
		return err
	}
	var bar *progress
	last := 0
	opt := layers.ExportOptions{
		Threshold: t, Zooms: tiles.Zooms{Min: maptile.Zoom(*minZoom), Max: maptile.Zoom(*maxZoom)}, Layers: names, Areas: areas,
		Progress: func(done, total int) {
			if bar == nil {
				bar = e.newProgress(int64(total), "tiles")
			}
			bar.add(done - last)
			last = done
		},
	}
	var st tiles.MBTilesStats
	size := 0.0
	if *format == "pmtiles" {
		var ps tiles.PMTilesStats
		st, ps, err = layers.ExportPMTiles(ctx, *out, d, opt)
		size = float64(ps.Bytes) / (1 << 20)
	} else {
		st, err = layers.Export(ctx, *out, d, opt)
		size = float64(st.Bytes) / (1 << 20)
	}
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: release %s, zooms %d-%d, %d tiles (%d empty left out), %.1f MB, largest %d KB at %d/%d/%d, in %s\n",
		*out, d.Release, *minZoom, *maxZoom, st.Tiles, st.Empty, size, st.Largest>>10,
		st.LargestAt.Z, st.LargestAt.X, st.LargestAt.Y, time.Since(start).Round(time.Millisecond))
	return nil
}
