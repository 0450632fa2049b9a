package tiles

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb/maptile"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// MBTilesOptions configures WriteMBTiles.
type MBTilesOptions struct {
	Metadata
	// Workers is the number of goroutines rendering tiles; zero means GOMAXPROCS.
	Workers int
	// Progress, when not nil, is called from a single goroutine after each tile is written, with the
	// number of tiles done and the number to do.
	Progress func(done, total int)
}

// MBTilesStats describes a written MBTiles file.
type MBTilesStats struct {
	Tiles     int          // tiles written
	Empty     int          // candidate tiles that had no feature and were left out
	Bytes     int64        // compressed bytes of all tiles
	Largest   int          // uncompressed size of the largest tile
	LargestAt maptile.Tile // where it is
}

// WriteMBTiles renders the layers at zooms opt.Metadata.Zooms (at most MaxZoom) and writes
// them to an MBTiles 1.3 file at path: metadata (name, format pbf, bounds, center, zooms,
// attribution, description, type, version and the json row with vector_layers) and gzip-compressed
// tiles in TMS row order. The candidate tiles of each zoom are those covered by the bound of a
// polygon drawn at that zoom; tiles that come out empty are left out. Tiles are rendered by
// opt.Workers goroutines and written by one, in one transaction, to a temporary file in the same
// directory that is renamed to path at the end, so a failure leaves no partial file behind.
func WriteMBTiles(ctx context.Context, path string, opt MBTilesOptions, layers ...Layer) (MBTilesStats, error) {
	if err := checkLayers(layers); err != nil {
		return MBTilesStats{}, err
	}
	if err := opt.Metadata.Zooms.check(); err != nil {
		return MBTilesStats{}, fmt.Errorf("tiles: mbtiles: %w", err)
	}
	for _, l := range layers {
		for z := int(opt.Metadata.Zooms.Min); z <= min(int(opt.Metadata.Zooms.Max), MaxZoom); z++ {
			if l.Shapes.levels[z] == nil {
				return MBTilesStats{}, fmt.Errorf("tiles: mbtiles: layer %q was not prepared at zoom %d (Options.Zooms)", l.Name, z)
			}
		}
	}
	md := opt.Metadata.resolve(layers)
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return MBTilesStats{}, fmt.Errorf("tiles: mbtiles: %w", err)
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return MBTilesStats{}, fmt.Errorf("tiles: mbtiles: %w", err)
	}
	st, err := writeMBTiles(ctx, tmp, md, opt, layers)
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644) // CreateTemp made it private; the tile set is for publishing
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(tmp + "-journal")
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return MBTilesStats{}, err
		}
		return MBTilesStats{}, fmt.Errorf("tiles: mbtiles %s: %w", base, err)
	}
	return st, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rendered is one tile on its way from a worker to the writer.
type rendered struct {
	tile maptile.Tile
	gz   []byte
	size int
}

func writeMBTiles(ctx context.Context, path string, md Metadata, opt MBTilesOptions, layers []Layer) (st MBTilesStats, err error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return st, err
	}
	defer conn.Close()
	// The file is private until renamed, so it needs no journal and no syncing on the way.
	for _, q := range []string{
		"PRAGMA journal_mode=OFF",
		"PRAGMA synchronous=OFF",
		"PRAGMA page_size=8192",
		"CREATE TABLE metadata (name text, value text)",
		"CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return st, fmt.Errorf("%s: %w", q, err)
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	meta, err := mbtilesMetadata(md, layers)
	if err != nil {
		return st, err
	}
	for _, kv := range meta {
		if _, err := tx.ExecContext(ctx, "INSERT INTO metadata (name, value) VALUES (?, ?)", kv[0], kv[1]); err != nil {
			return st, err
		}
	}

	todo := coverLayers(layers, md.Zooms.Min, md.Zooms.Max)
	ins, err := tx.PrepareContext(ctx, "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)")
	if err != nil {
		return st, err
	}
	defer ins.Close()

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan rendered, 4*workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	var werr error
	var werrOnce sync.Once
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) || wctx.Err() != nil {
					return
				}
				data, err := Render(wctx, todo[i], layers...)
				var gz []byte
				if err == nil && data != nil {
					gz, err = gzipBytes(data)
				}
				if err != nil {
					werrOnce.Do(func() { werr = fmt.Errorf("tile %d/%d/%d: %w", todo[i].Z, todo[i].X, todo[i].Y, err) })
					cancel()
					return
				}
				select {
				case out <- rendered{todo[i], gz, len(data)}:
				case <-wctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	done := 0
	for r := range out {
		done++
		if r.gz == nil {
			st.Empty++
		} else {
			row := (uint32(1) << r.tile.Z) - 1 - r.tile.Y
			if _, err := ins.ExecContext(ctx, int(r.tile.Z), int(r.tile.X), int(row), r.gz); err != nil {
				cancel()
				for range out {
				}
				return st, err
			}
			st.Tiles++
			st.Bytes += int64(len(r.gz))
			if r.size > st.Largest {
				st.Largest, st.LargestAt = r.size, r.tile
			}
		}
		if opt.Progress != nil {
			opt.Progress(done, len(todo))
		}
	}
	if werr != nil {
		return st, werr
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for _, q := range []string{
		"CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)",
		"CREATE UNIQUE INDEX name ON metadata (name)",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return st, fmt.Errorf("%s: %w", q, err)
		}
	}
	return st, tx.Commit()
}

// mbtilesMetadata is the metadata table of an MBTiles 1.3 vector tile set.
func mbtilesMetadata(md Metadata, layers []Layer) ([][2]string, error) {
	js, err := json.Marshal(struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
	}{vectorLayers(md, layers)})
	if err != nil {
		return nil, err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	b := md.Bounds
	name := md.Name
	if name == "" {
		name = "tiles"
	}
	rows := [][2]string{
		{"name", name},
		{"format", "pbf"},
		{"bounds", f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])},
		{"center", f(md.Center[0]) + "," + f(md.Center[1]) + "," + strconv.Itoa(int(md.CenterZoom))},
		{"minzoom", strconv.Itoa(int(md.Zooms.Min))},
		{"maxzoom", strconv.Itoa(int(md.Zooms.Max))},
		{"type", "overlay"},
		{"json", string(js)},
	}
	for _, kv := range [][2]string{{"attribution", md.Attribution}, {"description", md.Description}, {"version", md.Version}} {
		if kv[1] != "" {
			rows = append(rows, kv)
		}
	}
	return rows, nil
}

// coverLayers lists, zoom by zoom, the tiles covered by the box of any polygon drawn at that zoom.
func coverLayers(layers []Layer, minZoom, maxZoom maptile.Zoom) []maptile.Tile {
	var out []maptile.Tile
	var seen []*Shapes
	for z := minZoom; z <= maxZoom; z++ {
		n := uint32(1) << z
		var cells []uint64
		seen = seen[:0]
		for _, l := range layers {
			s := l.Shapes
			if slices.Contains(seen, s) {
				continue
			}
			seen = append(seen, s)
			lev := s.levels[z]
			add := func(b box) {
				x0, x1 := tileSpan(b.minX, b.maxX, n)
				y0, y1 := tileSpan(b.minY, b.maxY, n)
				for x := x0; x <= x1; x++ {
					for y := y0; y <= y1; y++ {
						cells = append(cells, uint64(x)<<32|uint64(y))
					}
				}
			}
			for _, p := range s.polys {
				if rl := lev.rings[p.start]; rl.n > 0 {
					add(rl.box)
				}
			}
			for _, p := range lev.gpolys {
				if gr := lev.grings[p.start]; gr.n > 0 {
					add(gr.box)
				}
			}
		}
		slices.Sort(cells)
		cells = slices.Compact(cells)
		for _, c := range cells {
			out = append(out, maptile.New(uint32(c>>32), uint32(c), z))
		}
	}
	return out
}

// tileSpan is the range of tiles (of n) covering global grid coordinates lo..hi.
func tileSpan(lo, hi int32, n uint32) (uint32, uint32) {
	clamp := func(v int32) uint32 {
		t := int64(v) >> 12 // Extent = 1<<12 units per tile
		return uint32(max(0, min(int64(n)-1, t)))
	}
	return clamp(lo), clamp(hi)
}

// MBTiles is an MBTiles file open for reading. Safe for concurrent use.
type MBTiles struct {
	db   *sql.DB
	get  *sql.Stmt
	meta map[string]string
	name string // the file's base name, for errors
}

// OpenMBTiles opens an MBTiles file read-only and reads its metadata.
func OpenMBTiles(ctx context.Context, path string) (*MBTiles, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("tiles: open mbtiles: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("tiles: open mbtiles: %w", err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&_pragma=query_only(1)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("tiles: open mbtiles %s: %w", filepath.Base(path), err)
	}
	m := &MBTiles{db: db, meta: map[string]string{}, name: filepath.Base(path)}
	if err := m.load(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("tiles: open mbtiles %s: %w", filepath.Base(path), err)
	}
	return m, nil
}

func (m *MBTiles) load(ctx context.Context) error {
	rows, err := m.db.QueryContext(ctx, "SELECT name, value FROM metadata")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		m.meta[k.String] = v.String
	}
	if err := rows.Err(); err != nil {
		return err
	}
	m.get, err = m.db.PrepareContext(ctx, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?")
	return err
}

// Tile returns the stored data of tile t (gzip-compressed, for files WriteMBTiles wrote), or nil
// when the file has no such tile.
func (m *MBTiles) Tile(ctx context.Context, t maptile.Tile) ([]byte, error) {
	if err := checkTile(t); err != nil {
		return nil, err
	}
	row := (uint32(1) << t.Z) - 1 - t.Y
	var data []byte
	err := m.get.QueryRowContext(ctx, int(t.Z), int(t.X), int(row)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tiles: mbtiles tile %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	return data, nil
}

// Metadata returns a copy of the metadata table.
func (m *MBTiles) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// Close closes the file.
func (m *MBTiles) Close() error {
	if m.get != nil {
		m.get.Close()
	}
	return m.db.Close()
}
