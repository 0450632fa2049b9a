package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/maptile"

	"pcnmap/layers"
	"pcnmap/overlap"
	"pcnmap/tiles"
)

// tileRequest is a parsed tile address with what the layer depends on.
type tileRequest struct {
	layer     string
	tile      maptile.Tile
	threshold float64 // areas
	variant   string  // the cache variant: the threshold of areas, the PCN code of pcn, the set of teams
	side      bool    // drawn at a threshold other than the server's: kept in the side cache
	pcn       int     // pcn
	team      *teamEntry
}

// query reads one query parameter; handlers pass echo's c.QueryParam.
type query func(name string) string

// parseTile checks a tile request: the layer (404 when unknown), z/x/y.mvt (400 when not a tile of
// the pyramid), and the layer's parameters: ?threshold= for areas (400 outside 0–100%), ?pcn= for
// pcn (404 when missing or unknown), ?set= and ?threshold= for teams (400 when set is missing, 404
// when unknown). Other parameters are ignored.
func (s *Server) parseTile(ctx context.Context, layer, z, x, yFile string, q query) (tileRequest, error) {
	tr := tileRequest{layer: layer}
	if !s.hasLayer(layer) {
		return tr, fmt.Errorf("%w: unknown layer %q (layers: %s)", errNotFound, clip(layer), strings.Join(s.layerList(), ", "))
	}
	y, ok := strings.CutSuffix(yFile, ".mvt")
	if !ok || strings.Contains(y, "/") {
		return tr, fmt.Errorf("%w: tile paths end in .mvt", errNotFound)
	}
	t, err := tiles.ParseZXY(z, x, y)
	if err != nil {
		return tr, err
	}
	tr.tile = t
	if s.mb != nil {
		return tr, nil // pre-built tiles carry whatever they were exported with
	}
	switch layer {
	case layers.Areas:
		tr.threshold, tr.variant, err = s.tileThreshold(q("threshold"))
		tr.side = tr.variant != s.tkey
	case layers.PCN:
		tr.pcn, err = s.pcnParam(q("pcn"))
		if err == nil {
			tr.variant = s.d.PCNs[tr.pcn].Code
		}
	case layers.Teams:
		var tkey string
		if tr.threshold, tkey, err = s.tileThreshold(q("threshold")); err != nil {
			return tr, err
		}
		tr.side = tkey != s.tkey
		if tr.team, err = s.setQuery(ctx, q("set")); err == nil {
			// The generation in the key: a set renamed, deleted or re-imported is drawn afresh.
			tr.variant = tr.team.variantID + "\x00" + tkey
		}
	}
	return tr, err
}

// setQuery finds the set of ?set=.
func (s *Server) setQuery(ctx context.Context, name string) (*teamEntry, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: the teams layer needs ?set=NAME (see /api/teams)", errBadRequest)
	}
	return s.teams.get(ctx, name)
}

// tileThreshold is thresholdParam for a tile or TileJSON: the threshold rounded to the grid of
// thresholdGrid, so that a tile is drawn for at most 1,001 thresholds.
func (s *Server) tileThreshold(v string) (float64, string, error) {
	t, _, err := s.thresholdParam(v)
	if err != nil {
		return 0, "", err
	}
	t = snapThreshold(t)
	if t == s.threshold {
		return t, s.tkey, nil
	}
	return t, thresholdKey(t), nil
}

// thresholdParam parses ?threshold=, defaulting to the server's threshold.
func (s *Server) thresholdParam(v string) (float64, string, error) {
	if v == "" {
		return s.threshold, s.tkey, nil
	}
	t, err := overlap.ParseThreshold(v)
	if err != nil {
		return 0, "", err
	}
	if t == s.threshold {
		return t, s.tkey, nil
	}
	return t, thresholdKey(t), nil
}

// thresholdGrid is the step tile thresholds are rounded to: 0.1 percentage point.
const thresholdGrid = 1000

// snapThreshold rounds t to the nearest multiple of 1/thresholdGrid.
func snapThreshold(t float64) float64 { return math.Round(t*thresholdGrid) / thresholdGrid }

// pcnParam finds the PCN of ?pcn=.
func (s *Server) pcnParam(code string) (int, error) {
	if code == "" {
		return 0, fmt.Errorf("%w: the pcn layer needs ?pcn=CODE", errNotFound)
	}
	p, ok := s.d.PCN(strings.ToUpper(code))
	if !ok {
		return 0, fmt.Errorf("%w: no PCN %q", errNotFound, clip(code))
	}
	return p, nil
}

func (s *Server) hasLayer(name string) bool {
	if s.mb != nil {
		return s.mb.layers[name]
	}
	switch name {
	case layers.Areas, layers.PCN:
		return true
	case layers.Boundaries:
		return s.layers.HasBoundaries()
	case layers.Teams:
		return s.teams != nil
	}
	return false
}

func (s *Server) layerList() []string {
	if s.mb != nil {
		return s.mb.names
	}
	var out []string
	for _, n := range layers.Names {
		if s.hasLayer(n) {
			out = append(out, n)
		}
	}
	return out
}

// tile returns the tile of tr from the cache, rendering it on a miss.
func (s *Server) tile(ctx context.Context, tr tileRequest) (tiles.Entry, error) {
	c, k := s.tileKey(tr)
	return c.Tile(ctx, k, func(ctx context.Context) ([]byte, error) {
		if s.mb != nil {
			return s.mb.tile(ctx, tr.tile)
		}
		return s.render(ctx, tr)
	})
}

// tileKey is the cache that keeps the tile of tr and its key there.
func (s *Server) tileKey(tr tileRequest) (*tiles.Cache, tiles.Key) {
	if s.mb != nil {
		return s.cache, tiles.Key{Layer: "mbtiles", Tile: tr.tile}
	}
	// Tiles at a threshold of the client's choosing go to the side cache, so that a stream of them
	// (the slider moved, or random thresholds) cannot evict the tiles everyone shares.
	if tr.side {
		return s.side, tiles.Key{Layer: tr.layer, Variant: tr.variant, Tile: tr.tile}
	}
	return s.cache, tiles.Key{Layer: tr.layer, Variant: tr.variant, Tile: tr.tile}
}

// render draws the tile of tr.
func (s *Server) render(ctx context.Context, tr tileRequest) ([]byte, error) {
	var l tiles.Layer
	switch tr.layer {
	case layers.Areas:
		counts, err := s.countsAt(tr.threshold)
		if err != nil {
			return nil, err
		}
		l = s.layers.Areas(counts)
	case layers.PCN:
		l = s.layers.PCN(tr.pcn)
	case layers.Boundaries:
		l, _ = s.layers.Boundaries()
	case layers.Teams:
		sh, err := tr.team.shapes()
		if err != nil {
			return nil, err
		}
		if sh.Shapes == nil {
			return nil, nil // a set holding no area draws nothing
		}
		l = layers.TeamsLayer(s.d, sh, tr.team.model.Alignment(tr.threshold))
	default:
		return nil, fmt.Errorf("server: render: no layer %q", tr.layer)
	}
	return tiles.Render(ctx, tr.tile, l)
}

// countsAt returns the number of PCNs serving each area at threshold t, computed once per threshold
// (under a millisecond for England) and kept for the next tiles at that threshold.
func (s *Server) countsAt(t float64) ([]int32, error) {
	return s.counts.get(t, func() ([]int32, error) { return s.d.Counts(nil, t), nil })
}

// handleTile serves /tiles/{layer}/{z}/{x}/{y}.mvt.
func (s *Server) handleTile(c echo.Context) error {
	ctx := c.Request().Context()
	tr, err := s.parseTile(ctx, c.Param("layer"), c.Param("z"), c.Param("x"), c.Param("y"), c.QueryParam)
	if err != nil {
		return err
	}
	e, err := s.tile(ctx, tr)
	if err != nil {
		return err
	}
	if tr.layer == layers.Teams {
		return s.writeTile(c, e, s.hdr.noCache) // team sets change at run time
	}
	return s.writeTile(c, e, s.hdr.cacheControl)
}

// writeTile sends a cached tile with the given Cache-Control: 204 when empty, 304 when If-None-Match names it, the cached gzip
// bytes when the client accepts gzip, and the bytes decompressed on the fly otherwise.
func (s *Server) writeTile(c echo.Context, e tiles.Entry, cacheControl []string) error {
	w := c.Response()
	code, gz := s.tileAnswer(w.Header(), c.Request(), e, cacheControl)
	if code != http.StatusOK {
		return c.NoContent(code)
	}
	w.WriteHeader(http.StatusOK)
	if gz {
		_, err := w.Write(e.Gzip)
		return err
	}
	return gunzipTo(w, e.Gzip)
}

// tileAnswer sets the headers of the answer to r with the cached tile e into h and says its status
// (204 when empty, 304 when If-None-Match names it, else 200) and whether its body is the gzip bytes
// (else the tile decompressed, of Content-Length e.Size). Both tile paths, echo's and the fast one,
// answer through it. It allocates nothing once e's header values are made (tileHeads).
func (s *Server) tileAnswer(h http.Header, r *http.Request, e tiles.Entry, cacheControl []string) (code int, gz bool) {
	h[echo.HeaderCacheControl] = cacheControl
	if e.Gzip == nil {
		return http.StatusNoContent, false
	}
	switch v := h[echo.HeaderVary]; {
	case len(v) == 0:
		h[echo.HeaderVary] = s.hdr.varyEncoding
	case len(v) == 1 && v[0] == echo.HeaderOrigin: // what the CORS middleware sets
		h[echo.HeaderVary] = s.hdr.varyOriginEncoding
	default:
		h[echo.HeaderVary] = append(v, echo.HeaderAcceptEncoding)
	}
	th := s.heads.of(e)
	gz = acceptsGzip(r.Header.Get(echo.HeaderAcceptEncoding))
	etag := th.etag
	if gz {
		etag = th.gzETag
	}
	h[headerETag] = etag
	if etagMatch(r.Header.Get("If-None-Match"), etag[0]) {
		return http.StatusNotModified, gz
	}
	h[echo.HeaderContentType] = s.hdr.mvt
	if gz {
		h[echo.HeaderContentEncoding] = s.hdr.gzip
		h[echo.HeaderContentLength] = th.gzLength
	} else {
		h[echo.HeaderContentLength] = th.length
	}
	return http.StatusOK, gz
}

// handleTileJSON serves /tiles/{layer}.json.
func (s *Server) handleTileJSON(c echo.Context) error {
	doc, err := s.tileJSON(c.Request().Context(), s.baseURL(), c.Param("file"), c.QueryParam)
	if err != nil {
		return err
	}
	if c.Param("file") == layers.Teams+".json" {
		noCache(c)
		return s.writeJSON(c, doc, false)
	}
	return s.writeJSON(c, doc, true)
}

// tileJSON describes the tile set of file ("areas.json") as served from base, with the layer's
// parameters (threshold, pcn, set) carried into its tile URL.
func (s *Server) tileJSON(ctx context.Context, base, file string, q query) (tiles.TileJSONDoc, error) {
	threshold, pcn := q("threshold"), q("pcn")
	name, ok := strings.CutSuffix(file, ".json")
	if !ok || !s.hasLayer(name) {
		return tiles.TileJSONDoc{}, fmt.Errorf("%w: no tile set %q (layers: %s)", errNotFound, clip(file), strings.Join(s.layerList(), ", "))
	}
	u := base + "/tiles/" + name + "/{z}/{x}/{y}.mvt"
	if s.mb != nil {
		return s.mb.tileJSON(u), nil
	}
	params := url.Values{}
	md := tiles.Metadata{Name: "pcnmap " + name, Attribution: layers.Attribution, Version: s.d.Release, Zooms: tiles.AllZooms}
	var l tiles.Layer
	switch name {
	case layers.Areas:
		t, _, err := s.tileThreshold(threshold)
		if err != nil {
			return tiles.TileJSONDoc{}, err
		}
		if threshold != "" { // keep the client's choice explicit, in canonical form
			params.Set("threshold", overlap.FormatThreshold(t))
		}
		l = s.layers.Areas(nil) // TileJSON reads the schema only
		md.Description = fmt.Sprintf("PCN overlap per area, release %s; pcns counts the PCNs holding at least %s of an area's registered patients", s.d.Release, overlap.FormatThreshold(t))
	case layers.PCN:
		p, err := s.pcnParam(pcn)
		if err != nil {
			return tiles.TileJSONDoc{}, err
		}
		params.Set("pcn", s.d.PCNs[p].Code)
		l = s.layers.PCN(p)
		md.Description = fmt.Sprintf("Where the patients of %s (%s) live, release %s", s.d.PCNs[p].Name, s.d.PCNs[p].Code, s.d.Release)
	case layers.Boundaries:
		l, _ = s.layers.Boundaries()
		md.Description = "Context outlines: ingested boundaries, and units dissolved from the areas (dissolved=true)"
	case layers.Teams:
		t, _, err := s.tileThreshold(threshold)
		if err != nil {
			return tiles.TileJSONDoc{}, err
		}
		e, err := s.setQuery(ctx, q("set"))
		if err != nil {
			return tiles.TileJSONDoc{}, err
		}
		sh, err := e.shapes()
		if err != nil {
			return tiles.TileJSONDoc{}, err
		}
		params.Set("set", e.info.Name)
		if threshold != "" {
			params.Set("threshold", overlap.FormatThreshold(t))
		}
		l = layers.TeamsLayer(s.d, sh, nil)
		md.Description = fmt.Sprintf("Team footprint set %q (%s, %d teams), release %s; pcns counts the PCNs holding at least %s of a team's registered patients",
			e.info.Name, e.info.Method, e.info.Teams, s.d.Release, overlap.FormatThreshold(t))
	}
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	return tiles.TileJSON([]string{u}, md, l), nil
}

// baseURL is what TileJSON tile URLs start with: Config.PublicURL when set, else nothing, so that the
// URLs are host-relative (/tiles/…). A URL built from the request's Host or X-Forwarded-Proto would
// let any client write another host into answers that caches keep and call public.
func (s *Server) baseURL() string { return strings.TrimSuffix(s.cfg.PublicURL, "/") }

// WarmStats describes a warm-up.
type WarmStats struct {
	Tiles, Empty int
	Took         time.Duration
}

// Warm renders every tile of the areas layer at the default threshold at zooms 0..maxZoom that
// touches the areas' bounds, GOMAXPROCS at a time, into the cache.
func (s *Server) Warm(ctx context.Context, maxZoom maptile.Zoom) (WarmStats, error) {
	if s.layers == nil {
		return WarmStats{}, nil
	}
	start := time.Now()
	b := s.layers.AreaShapes().Bound()
	var todo []maptile.Tile
	for z := maptile.Zoom(0); z <= maxZoom; z++ {
		lo := maptile.At(b.Min, z) // x at the west edge, y at the south edge
		hi := maptile.At(b.Max, z)
		for x := lo.X; x <= hi.X; x++ {
			for y := hi.Y; y <= lo.Y; y++ {
				todo = append(todo, maptile.New(x, y, z))
			}
		}
	}
	var next, empty atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				tr := tileRequest{layer: layers.Areas, tile: todo[i], threshold: s.threshold, variant: s.tkey}
				e, err := s.tile(ctx, tr)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				if e.Gzip == nil {
					empty.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return WarmStats{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return WarmStats{}, err
	}
	return WarmStats{Tiles: len(todo), Empty: int(empty.Load()), Took: time.Since(start)}, nil
}

// clip shortens user input quoted in errors.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
