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
// report: a few hundred of England's 6,791 polygons, the names in one blob, and none of its 840k
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
	// The counts the rows add up to and the names, as the save derived them. The workspace has one
	// connection, so the statements run one after the other; the Go work on what they return (the
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
	names, err := readNames(ctx, db, name)
	if err != nil {
		return nil, err
	}
	if err := unpackNames(names, d, kinds); err != nil {
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
	if err := readAroundGeometry(ctx, db, name, d.Areas, kept); err != nil {
		return nil, err
	}
	<-aggregated
	if aggErr != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, aggErr)
	}
	return d, nil
}

// readAroundGeometry reads the geometry (and bound) of the kept areas and of those within
// AroundRings steps of neighbours of them into areas; it writes only their Geom and Bound.
func readAroundGeometry(ctx context.Context, db querier, name string, areas []overlap.Area, kept []int32) error {
	near, err := aroundStored(ctx, db, name, areas, kept, AroundRings)
	if err != nil || len(near) == 0 {
		return err
	}
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

// aroundStored is around on the stored bounds of release name's areas, read from the index of the
// bounds: those of from, then, for each ring, those meeting the box of the frontier (widened twice
// by aroundMargin, so that the box holds every bound that meets a widened one whatever the
// rounding), so that only the bounds near from cross into Go, not England's 6,791. The areas
// without a stored bound (without vertices: the store writes the four columns together, NULL or
// not) take their geometry's, as Load's do, and are always candidates. The result is around's on
// every area's bound.
func aroundStored(ctx context.Context, db querier, name string, areas []overlap.Area, from []int32, rings int) ([]int32, error) {
	if len(from) == 0 {
		return nil, nil
	}
	n := len(areas)
	bounds := make([]orb.Bound, n)
	known := make([]bool, n)
	var candidates []int32
	read := func(index, where string, args ...any) error {
		return query(ctx, db, `SELECT idx, minx, miny, maxx, maxy FROM areas INDEXED BY `+index+`
			WHERE release = ? AND minx IS NOT NULL AND miny IS NOT NULL AND maxx IS NOT NULL AND maxy IS NOT NULL AND `+where, name, func(s scanner) error {
			var i int
			var b orb.Bound
			if err := s.Scan(&i, &b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
				return err
			}
			if i < 0 || i >= n {
				return fmt.Errorf("%w: area index %d of %d", ErrCorrupt, i, n)
			}
			if !known[i] {
				bounds[i], known[i] = b, true
				candidates = append(candidates, int32(i))
			}
			return nil
		}, args...)
	}
	var unbound []int
	if err := query(ctx, db, `SELECT idx FROM areas INDEXED BY areas_bound
		WHERE release = ? AND minx IS NULL`, name, func(s scanner) error {
		var i int
		if err := s.Scan(&i); err != nil {
			return err
		}
		if i < 0 || i >= n {
			return fmt.Errorf("%w: area index %d of %d", ErrCorrupt, i, n)
		}
		unbound = append(unbound, i)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	for _, i := range unbound {
		var g []byte
		if err := db.QueryRowContext(ctx, `SELECT geom FROM areas WHERE release = ? AND idx = ?`, name, i).Scan(&g); err != nil {
			return nil, fmt.Errorf("areas: %w", err)
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return nil, fmt.Errorf("area %s: %w", areas[i].Code, err)
		}
		if !known[i] {
			bounds[i], known[i] = geom.Bound(), true
			candidates = append(candidates, int32(i))
		}
	}
	list := make([]string, len(from))
	for i, a := range from {
		list[i] = strconv.Itoa(int(a))
	}
	if err := read("areas_bound_idx", `idx IN (`+strings.Join(list, ",")+`)`); err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	for _, a := range from {
		if !known[a] {
			return nil, fmt.Errorf("%w: area %s has no bound", ErrCorrupt, areas[a].Code)
		}
	}
	in := make([]bool, n)
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
		box := widen(widen(bounds[frontier[0]]))
		for _, a := range frontier[1:] {
			box = box.Union(widen(widen(bounds[a])))
		}
		if err := read("areas_bound", `minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?`, box.Max[0], box.Min[0], box.Max[1], box.Min[1]); err != nil {
			return nil, fmt.Errorf("areas: %w", err)
		}
		var next []int32
		for _, i := range candidates {
			if in[i] {
				continue
			}
			b := widen(bounds[i])
			for _, a := range frontier {
				if b.Intersects(bounds[a]) {
					in[i] = true
					next = append(next, i)
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
	return out, nil
}

func widen(b orb.Bound) orb.Bound {
	return orb.Bound{Min: orb.Point{b.Min[0] - aroundMargin, b.Min[1] - aroundMargin}, Max: orb.Point{b.Max[0] + aroundMargin, b.Max[1] + aroundMargin}}
}
