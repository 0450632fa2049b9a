package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
	"pcnmap/overlap"
)

// ErrAmbiguous is returned by AreaAt when more than one area contains the point (overlapping
// polygons), which only the whole release's index answers the way Load's callers do.
var ErrAmbiguous = errors.New("store: more than one area contains the point")

// AreaAt reads, of release name ("" for the newest), only the area containing p and what answering
// for it takes: its row, its cells (area_pcn) and the PCNs' codes and names. It scans the areas'
// stored geometry for bounds without decoding it, and decodes only the areas whose bound holds p:
// a point lookup on the national workspace reads a tenth of what Load reads and decodes one polygon.
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
	var cands []geo.Feature
	var idxs []int
	if err := query(ctx, w.db, `SELECT idx, geom FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var i int
		var g sql.RawBytes // the driver's copy, not copied again: most areas are only looked at
		if err := s.Scan(&i, &g); err != nil {
			return err
		}
		if b, ok := wkbBound(g); ok && !b.Contains(p) {
			return nil
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("area %d: %w", i, err)
		}
		if b := geom.Bound(); b.Contains(p) {
			cands = append(cands, geo.Feature{Geom: geom, Bound: b})
			idxs = append(idxs, i)
		}
		return nil
	}); err != nil {
		return nil, false, fmt.Errorf("areas: %w", err)
	}
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
	if err := query(ctx, w.db, `SELECT code, name FROM pcns WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var p overlap.PCN
		if err := s.Scan(&p.Code, &p.Name); err != nil {
			return err
		}
		d.PCNs = append(d.PCNs, p)
		return nil
	}); err != nil {
		return nil, false, fmt.Errorf("pcns: %w", err)
	}
	if err := query(ctx, w.db, `SELECT pcn, patients FROM area_pcn WHERE release = ? AND area = ? ORDER BY pcn`, name, func(s scanner) error {
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
	if err := query(ctx, w.db, `SELECT code, name, geom FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
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
