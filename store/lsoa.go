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
// the file on each call, through an index of their bounds, and never by Load: England's are ~30 MB
// of WKB, and an import needs those of one ICB or trust. It returns an empty layer when none is near
// b, and an error wrapping ErrNoLSOAPolygons when the release holds none at all. The error text
// names no file path: the server shows it to clients.
func (w *Workspace) LSOAPolygons(ctx context.Context, release string, b orb.Bound) (*geo.Layer, error) {
	release, err := w.resolve(ctx, release)
	if err != nil {
		return nil, err
	}
	var kept bool
	if err := w.ro.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM lsoa_polygons WHERE release = ?)`, release).Scan(&kept); err != nil {
		return nil, fmt.Errorf("store: %s: release %s: lsoa_polygons: %w", w.path, release, err)
	}
	if !kept {
		return nil, fmt.Errorf("%w: release %s was ingested without them; re-ingest it with --lsoa-polygons (the LSOA boundaries, e.g. lsoa2011-england-generalised-clipped.geojson.gz) to apportion LSOAs by area", ErrNoLSOAPolygons, release)
	}
	layer := &geo.Layer{Source: "the LSOA polygons of release " + release, CodeField: "code"}
	q := `SELECT code, minx, miny, maxx, maxy, geom FROM lsoa_polygons INDEXED BY lsoa_polygons_bound
		WHERE release = ? AND minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ? ORDER BY code`
	rows, err := w.ro.QueryContext(ctx, q, release, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
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
