package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// ErrAmbiguous is returned by AreaAt when more than one area contains the point (overlapping
// polygons), which only the whole release's index answers the way Load's callers do.
var ErrAmbiguous = errors.New("store: more than one area contains the point")

// AreaAt reads, of release name ("" for the newest), only the area containing p and what answering
// for it takes: its row, its cells (area_pcn) and the PCNs' codes and names. It finds the areas
// whose bound holds p in the index of the areas' bounds, and reads and decodes only their
// geometry: a point lookup on the national workspace reads a few polygons, not the 14 MB of them.
// The Dataset holds that one area (index 0) and every PCN's code and name, indexed as in the release
// (not the PCNs' list sizes, which Load derives from every registration row); ok is false when no
// area contains p.
func (w *Workspace) AreaAt(ctx context.Context, name string, p orb.Point) (d *overlap.Dataset, ok bool, err error) {
	name, err = w.resolve(ctx, name)
	if err != nil {
		return nil, false, err
	}
	d, ok, err = w.areaAt(ctx, name, p)
	if err != nil && !errors.Is(err, ErrAmbiguous) {
		err = fmt.Errorf("store: %s: release %s: %w", w.path, name, err)
	}
	return d, ok, err
}

func (w *Workspace) areaAt(ctx context.Context, name string, p orb.Point) (*overlap.Dataset, bool, error) {
	// The candidates are the areas whose stored bound holds p, read from the index of the bounds,
	// and any area without a bound (one whose geometry the migration to schema 5 could not read):
	// those are decoded, so that a corrupt geometry is reported as before.
	var idxs []int
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT idx FROM areas INDEXED BY areas_bound WHERE release = ? AND minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?`, []any{p[0], p[0], p[1], p[1]}},
		{`SELECT idx FROM areas INDEXED BY areas_bound WHERE release = ? AND minx IS NULL`, nil},
	} {
		if err := query(ctx, w.ro, q.sql, name, func(s scanner) error {
			var i int
			if err := s.Scan(&i); err != nil {
				return err
			}
			idxs = append(idxs, i)
			return nil
		}, q.args...); err != nil {
			return nil, false, fmt.Errorf("areas: %w", err)
		}
	}
	slices.Sort(idxs)
	idxs = slices.Compact(idxs)
	var cands []geo.Feature
	kept := idxs[:0]
	for _, i := range idxs {
		var g []byte
		if err := w.ro.QueryRowContext(ctx, `SELECT geom FROM areas WHERE release = ? AND idx = ?`, name, i).Scan(&g); err != nil {
			return nil, false, fmt.Errorf("areas: %w", err)
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return nil, false, fmt.Errorf("area %d: %w", i, err)
		}
		if b := geom.Bound(); b.Contains(p) {
			cands = append(cands, geo.Feature{Geom: geom, Bound: b})
			kept = append(kept, i)
		}
	}
	idxs = kept
	found := -1
	idx := geo.NewIndex(cands)
	for i := range cands {
		if !idx.Contains(i, p) {
			continue
		}
		if found >= 0 {
			return nil, false, ErrAmbiguous
		}
		found = i
	}
	if found < 0 {
		return nil, false, nil
	}
	kinds := make(map[string]nhs.Kind, overlap.KindCount)
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
	}
	a := overlap.Area{Feature: geo.Feature{Geom: cands[found].Geom, Bound: cands[found].Bound}}
	var units string
	if err := w.ro.QueryRowContext(ctx, `SELECT code, name, registered, in_pcn, units FROM areas WHERE release = ? AND idx = ?`, name, idxs[found]).
		Scan(&a.Code, &a.Name, &a.Registered, &a.InPCN, &units); err != nil {
		return nil, false, fmt.Errorf("areas: %w", err)
	}
	if err := parseUnits(units, kinds, &a.Units); err != nil {
		return nil, false, fmt.Errorf("area %s: %w", a.Code, err)
	}
	d := &overlap.Dataset{Release: name, Areas: []overlap.Area{a}}
	if err := query(ctx, w.ro, `SELECT code, name FROM pcns WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var p overlap.PCN
		if err := s.Scan(&p.Code, &p.Name); err != nil {
			return err
		}
		d.PCNs = append(d.PCNs, p)
		return nil
	}); err != nil {
		return nil, false, fmt.Errorf("pcns: %w", err)
	}
	if err := query(ctx, w.ro, `SELECT pcn, patients FROM area_pcn WHERE release = ? AND area = ? ORDER BY pcn`, name, func(s scanner) error {
		var c overlap.Cell
		if err := s.Scan(&c.PCN, &c.Patients); err != nil {
			return err
		}
		if c.PCN < 0 || int(c.PCN) >= len(d.PCNs) {
			return fmt.Errorf("%w: area %s: cell of PCN %d of %d", ErrCorrupt, a.Code, c.PCN, len(d.PCNs))
		}
		d.Cells = append(d.Cells, c)
		return nil
	}, idxs[found]); err != nil {
		return nil, false, fmt.Errorf("area_pcn: %w", err)
	}
	d.Index()
	return d, true, nil
}

// AreaFeatures reads the areas of release name ("" for the newest) as features (code, name,
// geometry), in their order, and nothing else: what locating many points needs. It returns the
// release's name too.
func (w *Workspace) AreaFeatures(ctx context.Context, name string) (string, []geo.Feature, error) {
	name, err := w.resolve(ctx, name)
	if err != nil {
		return "", nil, err
	}
	var fs []geo.Feature
	if err := query(ctx, w.ro, `SELECT code, name, geom FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var f geo.Feature
		var g []byte
		if err := s.Scan(&f.Code, &f.Name, &g); err != nil {
			return err
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("area %s: %w", f.Code, err)
		}
		f.Geom, f.Bound = geom, geom.Bound()
		fs = append(fs, f)
		return nil
	}); err != nil {
		return "", nil, fmt.Errorf("store: %s: release %s: areas: %w", w.path, name, err)
	}
	return name, fs, nil
}

// wkbBound is the bound of every point of a WKB Polygon or MultiPolygon, read without decoding the
// geometry; ok is false for anything else or anything malformed (the caller then decodes it).
func wkbBound(b []byte) (orb.Bound, bool) {
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	header := func() (binary.ByteOrder, uint32, bool) {
		if len(b) < 5 {
			return nil, 0, false
		}
		var o binary.ByteOrder = binary.LittleEndian
		switch b[0] {
		case 0:
			o = binary.BigEndian
		case 1:
		default:
			return nil, 0, false
		}
		t := o.Uint32(b[1:5])
		b = b[5:]
		return o, t, true
	}
	count := func(o binary.ByteOrder) (int, bool) {
		if len(b) < 4 {
			return 0, false
		}
		n := int(o.Uint32(b))
		b = b[4:]
		return n, true
	}
	polygon := func(o binary.ByteOrder) bool {
		rings, ok := count(o)
		if !ok {
			return false
		}
		for range rings {
			n, ok := count(o)
			if !ok || n < 0 || n > len(b)/16 {
				return false
			}
			for k := 0; k < n; k++ {
				x := math.Float64frombits(o.Uint64(b[16*k:]))
				y := math.Float64frombits(o.Uint64(b[16*k+8:]))
				if x != x || y != y {
					return false // NaN: left to the decoder
				}
				if x < bound.Min[0] {
					bound.Min[0] = x
				}
				if x > bound.Max[0] {
					bound.Max[0] = x
				}
				if y < bound.Min[1] {
					bound.Min[1] = y
				}
				if y > bound.Max[1] {
					bound.Max[1] = y
				}
			}
			b = b[16*n:]
		}
		return true
	}
	o, t, ok := header()
	if !ok {
		return bound, false
	}
	switch t {
	case 3:
		if !polygon(o) {
			return bound, false
		}
	case 6:
		n, ok := count(o)
		if !ok {
			return bound, false
		}
		for range n {
			po, pt, ok := header()
			if !ok || pt != 3 || !polygon(po) {
				return bound, false
			}
		}
	default:
		return bound, false
	}
	return bound, len(b) == 0 && bound.Min[0] <= bound.Max[0] && bound.Min[1] <= bound.Max[1]
}

// addAreaBounds is the migration from schema 4 to 5: it adds the areas' bound columns and their
// index, and fills the bounds of the areas already stored from their geometry. A geometry it cannot
// read keeps a NULL bound, and AreaAt decodes it (and reports it) as a candidate for any point.
func addAreaBounds(ctx context.Context, tx *sql.Tx) error {
	has := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info('areas')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		has[c] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, c := range []string{"minx", "miny", "maxx", "maxy"} {
		if !has[c] {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE areas ADD COLUMN `+c+` REAL`); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, areaBoundIndex); err != nil {
		return err
	}
	type bound struct {
		rowid int64
		b     orb.Bound
	}
	var bounds []bound
	rows, err = tx.QueryContext(ctx, `SELECT rowid, geom FROM areas WHERE minx IS NULL`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var g sql.RawBytes
		if err := rows.Scan(&id, &g); err != nil {
			rows.Close()
			return err
		}
		if b, ok := areaBound(g); ok {
			bounds = append(bounds, bound{id, b})
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, b := range bounds {
		if _, err := tx.ExecContext(ctx, `UPDATE areas SET minx = ?, miny = ?, maxx = ?, maxy = ? WHERE rowid = ?`,
			b.b.Min[0], b.b.Min[1], b.b.Max[0], b.b.Max[1], b.rowid); err != nil {
			return err
		}
	}
	return nil
}

// areaBound is the bound of a stored area geometry, as the save writes it; ok is false for a
// geometry that does not decode or has no point.
func areaBound(g []byte) (orb.Bound, bool) {
	if b, ok := wkbBound(g); ok {
		return b, true
	}
	geom, err := multiPolygon(g)
	if err != nil || !hasPoint(geom) {
		return orb.Bound{}, false
	}
	return geom.Bound(), true
}

// hasPoint reports whether mp has at least one point, so that its Bound is one.
func hasPoint(mp orb.MultiPolygon) bool {
	for _, p := range mp {
		for _, r := range p {
			if len(r) > 0 {
				return true
			}
		}
	}
	return false
}
