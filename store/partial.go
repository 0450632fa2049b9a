package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/overlap"
)

// AroundRings is how many steps of neighbours (areas whose bounds meet) LoadAround gives geometry
// beyond the areas it is asked for. A map draws an area from its shared arcs, and an arc's ends, its
// simplification and the refinement of the rings that use it are settled by the areas on either side
// and, through their other arcs, by the areas beyond: two steps make a unit's map the same as one
// prepared from all of England (app's tests compare them byte for byte, on every unit of the fixture
// and on units of every kind of the national release). One step already gave the same bytes for
// every national local authority and CCG; the second is a margin for the refinement of a ring that
// simplification turned inside out, which boosts arcs its neighbours share, round after round.
const AroundRings = 2

// aroundMargin widens each bound, in degrees, before neighbours are looked for: ten times the
// tiles' snap distance, so that an area whose vertices are snapped onto another's counts as meeting
// it even when their bounds are a hair apart.
const aroundMargin = 1e-6

// LoadAround reads release name ("" for the newest) for a document about some of its areas (those
// keep selects, given each area with its row and units but without geometry): every figure is the
// one Load gives, because every area, PCN and practice is read with the counts the registration rows
// add up to (the cells and the no-PCN practices' residents per area, stored beside the rows at the
// save), but it decodes the geometry of only the areas keep selects and of those within AroundRings
// steps of neighbours of them. So it reads a fraction of what Load reads (a local authority's
// report: a few hundred of England's 6,791 polygons, the directory in one blob, and none of its 840k
// registration rows). The Dataset differs from Load's in ways the callers of a document need not
// see: an area outside that neighbourhood has no Geom and an empty Bound; there are no Rows and no
// LSOAs; and Boundaries is empty.
func (w *Workspace) LoadAround(ctx context.Context, name string, keep func(*overlap.Area) bool) (_ *overlap.Dataset, err error) {
	defer markBusy(&err)
	name, err = w.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	tx, err := w.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: %s: begin: %w", w.path, err)
	}
	defer tx.Rollback()
	d, err := loadAround(ctx, tx, name, keep)
	if err != nil {
		return nil, fmt.Errorf("store: %s: release %s: %w", w.path, name, err)
	}
	return d, nil
}

func loadAround(ctx context.Context, db querier, name string, keep func(*overlap.Area) bool) (*overlap.Dataset, error) {
	d, kinds, err := loadRelease(ctx, db, name)
	if err != nil {
		return nil, err
	}
	// The counts the rows add up to and the directory, as the save derived them. The workspace has
	// one connection, so the statements run one after the other; the Go work on what they return (the
	// counts' decoding, then the totals and the index) runs on another core beside the next ones.
	cellBlob, noPCNBlob, err := readCountBlobs(ctx, db, name)
	if errors.Is(err, errNoCounts) {
		return nil, fmt.Errorf("%w: area_counts: the release has no counts", ErrCorrupt)
	}
	if err != nil {
		return nil, err
	}
	var cells []overlap.Cell
	var noPCN []overlap.PracticeCell
	var countsErr error
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		cells, noPCN, countsErr = unpackCounts(cellBlob, noPCNBlob)
	}()
	defer func() { <-counted }() // on an early return too, so that nothing outlives the load
	dir, err := readDirectory(ctx, db, name)
	if err != nil {
		return nil, err
	}
	bounds, bounded, err := unpackDirectory(dir, d, kinds)
	if err != nil {
		return nil, err
	}
	var kept []int32
	for i := range d.Areas {
		if keep(&d.Areas[i]) {
			kept = append(kept, int32(i))
		}
	}
	<-counted
	if countsErr != nil {
		return nil, countsErr
	}
	// The totals and the index from the counts, on another core while the geometry near the kept
	// areas is read: they write the areas' totals, the geometry their Geom and Bound, apart.
	d.Cells, d.NoPCNCells = cells, noPCN
	var aggErr error
	aggregated := make(chan struct{})
	go func() {
		defer close(aggregated)
		aggErr = d.AggregateCells()
	}()
	defer func() { <-aggregated }()
	if err := readAroundGeometry(ctx, db, name, d.Areas, kept, bounds, bounded); err != nil {
		return nil, err
	}
	<-aggregated
	if aggErr != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, aggErr)
	}
	return d, nil
}

// readAroundGeometry reads the geometry (and bound) of the kept areas and of those within
// AroundRings steps of neighbours of them into areas; it writes only their Geom and Bound. The
// neighbours are found from the areas' bounds in the directory (bounds[a] where bounded[a]); an
// area without one (a geometry without vertices) takes its geometry's, as Load's does.
func readAroundGeometry(ctx context.Context, db querier, name string, areas []overlap.Area, kept []int32, bounds []orb.Bound, bounded []bool) error {
	if len(kept) == 0 {
		return nil
	}
	for i, ok := range bounded {
		if ok {
			continue
		}
		var g []byte
		if err := db.QueryRowContext(ctx, `SELECT geom FROM areas WHERE release = ? AND idx = ?`, name, i).Scan(&g); err != nil {
			return fmt.Errorf("areas: area %s: %w", areas[i].Code, err)
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("area %s: %w", areas[i].Code, err)
		}
		bounds[i] = geom.Bound()
	}
	near := around(bounds, kept, AroundRings)
	list := make([]string, len(near))
	for i, a := range near {
		list[i] = strconv.Itoa(int(a))
	}
	if err := query(ctx, db, `SELECT idx, geom FROM areas WHERE release = ? AND idx IN (`+strings.Join(list, ",")+`)`, name, func(s scanner) error {
		var i int
		var g sql.RawBytes
		if err := s.Scan(&i, &g); err != nil {
			return err
		}
		if i < 0 || i >= len(areas) {
			return fmt.Errorf("%w: area index %d of %d", ErrCorrupt, i, len(areas))
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("area %s: %w", areas[i].Code, err)
		}
		areas[i].Geom, areas[i].Bound = geom, geom.Bound()
		return nil
	}); err != nil {
		return fmt.Errorf("areas: %w", err)
	}
	return nil
}

// around returns, ascending, the areas of from and those within rings steps of neighbours of them,
// an area's neighbours being those whose bounds (widened by aroundMargin) meet its own. Each ring
// first checks a candidate against the box of the frontier, which holds every bound it could meet.
func around(bounds []orb.Bound, from []int32, rings int) []int32 {
	in := make([]bool, len(bounds))
	frontier := make([]int32, 0, len(from))
	for _, a := range from {
		if !in[a] {
			in[a] = true
			frontier = append(frontier, a)
		}
	}
	for range rings {
		if len(frontier) == 0 {
			break
		}
		box := bounds[frontier[0]]
		for _, a := range frontier[1:] {
			box = box.Union(bounds[a])
		}
		var next []int32
		for i := range bounds {
			if in[i] {
				continue
			}
			b := widen(bounds[i])
			if !b.Intersects(box) {
				continue
			}
			for _, a := range frontier {
				if b.Intersects(bounds[a]) {
					in[i] = true
					next = append(next, int32(i))
					break
				}
			}
		}
		frontier = next
	}
	var out []int32
	for i, ok := range in {
		if ok {
			out = append(out, int32(i))
		}
	}
	return out
}

func widen(b orb.Bound) orb.Bound {
	return orb.Bound{Min: orb.Point{b.Min[0] - aroundMargin, b.Min[1] - aroundMargin}, Max: orb.Point{b.Max[0] + aroundMargin, b.Max[1] + aroundMargin}}
}
