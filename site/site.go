// Package site writes a static map of one release: a folder any static web host serves (nginx,
// object storage behind a CDN, GitHub Pages) holding the map page (built into the binary from
// web/site), the tiles as one PMTiles archive the page reads by HTTP range requests, the area × PCN
// table in a compact JSON form from which the page counts every area's PCNs at any threshold with
// the definitions of the API, and the footprint sets as GeoJSON. No server, no JavaScript from a CDN.
package site

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/paulmach/orb/maptile"

	"pcnmap/gis"
	"pcnmap/gpkg"
	"pcnmap/internal/atomicfile"
	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/tiles"
	"pcnmap/web"
)

// ErrNotBuilt reports a binary built without the site page (make build bundles it).
var ErrNotBuilt = errors.New("site: the static map page is not in this binary: build it with make build (needs npm)")

// Options configures Export.
type Options struct {
	// Threshold is the page's starting threshold (the reader can change it).
	Threshold float64
	// MaxZoom is the highest zoom of the tiles; the page over-zooms beyond it.
	MaxZoom uint8
	// Sets are the footprint sets drawn as read-only layers.
	Sets []gis.TeamSet
	// Progress, when set, is called after each tile.
	Progress func(done, total int)
}

// Stats describes a written site.
type Stats struct {
	Files  int
	Bytes  int64            // all files
	Sizes  map[string]int64 // by file, relative to the folder
	Tiles  tiles.PMTilesStats
	MBOpts layers.ExportOptions
}

// Files the page reads, beside its own.
const (
	TilesFile = "tiles.pmtiles"
	DataFile  = "data.json"
	SetsFile  = "sets.geojson"
)

// Export writes the site of d into dir (created if needed; files of an earlier export are replaced).
func Export(ctx context.Context, dir string, d *overlap.Dataset, opt Options) (Stats, error) {
	st := Stats{Sizes: map[string]int64{}}
	page, err := fs.Sub(web.Files, path.Join(web.Dist, "site"))
	if err != nil {
		return st, ErrNotBuilt
	}
	if _, err := fs.Stat(page, "index.html"); err != nil {
		return st, ErrNotBuilt
	}
	if opt.Threshold < 0 || opt.Threshold > 1 {
		return st, fmt.Errorf("site: %w", overlap.ErrThreshold)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("site: %w", err)
	}
	// The page's assets are named by their content: an earlier export's would linger.
	if err := os.RemoveAll(filepath.Join(dir, "assets")); err != nil {
		return st, fmt.Errorf("site: %w", err)
	}
	if err := fs.WalkDir(page, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(page, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return writeFile(out, func(w io.Writer) error { _, err := w.Write(b); return err })
	}); err != nil {
		return st, fmt.Errorf("site: page: %w", err)
	}

	maxZoom := opt.MaxZoom
	if maxZoom == 0 {
		maxZoom = tiles.MaxZoom
	}
	names := []string{layers.Areas}
	if len(d.Boundaries) > 0 || len(layers.BoundaryFeatures(d)) > 0 {
		names = append(names, layers.Boundaries)
	}
	st.MBOpts = layers.ExportOptions{Threshold: opt.Threshold, Zooms: tiles.Zooms{Min: 0, Max: maptile.Zoom(min(maxZoom, tiles.MaxZoom))}, Layers: names, Progress: opt.Progress}
	if _, st.Tiles, err = layers.ExportPMTiles(ctx, filepath.Join(dir, TilesFile), d, st.MBOpts); err != nil {
		return st, err
	}
	if err := writeFile(filepath.Join(dir, DataFile), func(w io.Writer) error { return writeData(w, d, opt, len(opt.Sets) > 0) }); err != nil {
		return st, err
	}
	if len(opt.Sets) > 0 {
		l, err := gis.Teams(gis.Input{Data: d, Threshold: opt.Threshold, Dissolver: layers.NewOutlines(d.Areas), Sets: opt.Sets})
		if err != nil {
			return st, err
		}
		tmp, err := os.MkdirTemp(dir, ".sets-*")
		if err != nil {
			return st, fmt.Errorf("site: %w", err)
		}
		defer os.RemoveAll(tmp)
		if err := gis.WriteGeoJSON(ctx, tmp, []gpkg.Layer{l}); err != nil {
			return st, err
		}
		if err := os.Rename(filepath.Join(tmp, l.Name+".geojson"), filepath.Join(dir, SetsFile)); err != nil {
			return st, fmt.Errorf("site: %w", err)
		}
	} else {
		os.Remove(filepath.Join(dir, SetsFile))
	}
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st.Sizes[filepath.ToSlash(rel)] = fi.Size()
		st.Files++
		st.Bytes += fi.Size()
		return nil
	})
	return st, err
}

// data is data.json. Areas and PCNs are in the workspace's order; cells[i] lists area i's PCNs with
// patients as pairs (index into pcns, patients), in PCN order. A count at threshold t is the number
// of pairs with patients > 0 and patients / registered ≥ t (overlap.Dataset.Serves), which the page
// computes in floating point exactly as Go does.
type data struct {
	Release     string    `json:"release"`
	ExtractDate string    `json:"extract_date"`
	AsOf        string    `json:"as_of"`
	Threshold   float64   `json:"threshold"`
	Attribution string    `json:"attribution"`
	Sets        bool      `json:"sets"`
	PCNs        [][]any   `json:"pcns"`  // code, name, list size
	Areas       [][]any   `json:"areas"` // code, name, registered, [west, south, east, north]
	Cells       [][]int64 `json:"cells"`
}

func writeData(w io.Writer, d *overlap.Dataset, opt Options, sets bool) error {
	out := data{
		Release: d.Release, ExtractDate: d.ExtractDate.Format("2006-01-02"), AsOf: d.AsOf.Format("2006-01-02"),
		Threshold: opt.Threshold, Attribution: layers.Attribution, Sets: sets,
		PCNs: make([][]any, len(d.PCNs)), Areas: make([][]any, len(d.Areas)), Cells: make([][]int64, len(d.Areas)),
	}
	for i, p := range d.PCNs {
		out.PCNs[i] = []any{p.Code, p.Name, p.ListSize}
	}
	r4 := func(v float64) json.Number {
		return json.Number(strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64))
	}
	for i := range d.Areas {
		a := &d.Areas[i]
		b := a.Geom.Bound()
		out.Areas[i] = []any{a.Code, a.Name, a.Registered, []json.Number{r4(b.Min[0]), r4(b.Min[1]), r4(b.Max[0]), r4(b.Max[1])}}
		cells := []int64{}
		for _, c := range d.AreaCells(i) {
			if c.Patients > 0 {
				cells = append(cells, int64(c.PCN), int64(c.Patients))
			}
		}
		out.Cells[i] = cells
	}
	return json.NewEncoder(w).Encode(out)
}

func writeFile(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, func(w *bufio.Writer) error { return write(w) }); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	return nil
}
