package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"pcnmap/geo"
)

// ErrNoLSOAPolygons is returned when a release was ingested without the LSOA polygons (or before
// the workspace could keep them, schema 2 and older).
var ErrNoLSOAPolygons = errors.New("store: the workspace holds no LSOA polygons")

// LSOAPolygons returns the LSOA polygons of release ("" for the newest) whose bound intersects b
// (touching counts), sorted by code: the layer teams.PolygonOptions.LSOAs takes. They are read from
// the file on each call, through an R*Tree of their bounds, and never by Load: England's are ~30 MB
// of WKB, and an import needs those of one ICB or trust. It returns an empty layer when none is near
// b, and an error wrapping ErrNoLSOAPolygons when the release holds none at all. The error text
// names no file path: the server shows it to clients.
func (w *Workspace) LSOAPolygons(ctx context.Context, release string, b orb.Bound) (*geo.Layer, error) {
	release, err := w.resolve(ctx, release)
	if err != nil {
		return nil, err
	}
	var kept bool
	if err := w.db.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM lsoa_polygons WHERE release = ?)`, release).Scan(&kept); err != nil {
		return nil, fmt.Errorf("store: %s: release %s: lsoa_polygons: %w", w.path, release, err)
	}
	if !kept {
		return nil, fmt.Errorf("%w: release %s was ingested without them; re-ingest it with --lsoa-polygons (the LSOA boundaries, e.g. lsoa2011-england-generalised-clipped.geojson.gz) to apportion LSOAs by area", ErrNoLSOAPolygons, release)
	}
	layer := &geo.Layer{Source: "the LSOA polygons of release " + release, CodeField: "code"}
	// The R*Tree's float32 bounds are rounded outwards, so it yields a superset; the exact bounds
	// of lsoa_polygons decide.
	q := `SELECT p.code, p.minx, p.miny, p.maxx, p.maxy, p.geom FROM lsoa_polygon_bounds r JOIN lsoa_polygons p ON p.id = r.id
		WHERE r.minx <= ?1 AND r.maxx >= ?2 AND r.miny <= ?3 AND r.maxy >= ?4
		AND p.release = ?5 AND p.minx <= ?1 AND p.maxx >= ?2 AND p.miny <= ?3 AND p.maxy >= ?4 ORDER BY p.code`
	rows, err := w.db.QueryContext(ctx, q, b.Max[0], b.Min[0], b.Max[1], b.Min[1], release)
	if err != nil {
		return nil, fmt.Errorf("store: %s: release %s: lsoa_polygons: %w", w.path, release, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f geo.Feature
		var g []byte
		if err := rows.Scan(&f.Code, &f.Bound.Min[0], &f.Bound.Min[1], &f.Bound.Max[0], &f.Bound.Max[1], &g); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: lsoa_polygons: %w", w.path, release, err)
		}
		if f.Geom, err = multiPolygon(g); err != nil {
			return nil, fmt.Errorf("store: %s: release %s: LSOA polygon %s: %w", w.path, release, f.Code, err)
		}
		layer.Features = append(layer.Features, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: release %s: lsoa_polygons: %w", w.path, release, err)
	}
	return layer, nil
}
