package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"pcnmap/geo"
	"pcnmap/nhs"
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
// report: a few hundred of England's 6,791 polygons, and none of its 840k registration rows). The
// Dataset differs from Load's in ways the callers of a document need not see: an area outside that
// neighbourhood has no Geom and an empty Bound; there are no Rows and no LSOAs (a release saved
// without its counts, which the migration to schema 6 makes none, is read through its rows: then
// the rows are there, and the LSOAs carry their area only, no code, units or point); and Boundaries
// is empty.
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
	// The counts the rows add up to, as the save derived them; a release saved without them (none
	// should be: the migration to schema 6 derives them) is read through its rows. The workspace has
	// one connection, so the queries run one after the other; the Go work on what they return (the
	// blobs' decoding, the totals and the index) runs on another core beside the next ones.
	fromRows := false
	var cells []overlap.Cell
	var noPCN []overlap.PracticeCell
	var countsErr error
	counted := make(chan struct{})
	switch cellBlob, noPCNBlob, err := readCountBlobs(ctx, db, name); {
	case errors.Is(err, errNoCounts):
		fromRows = true
		close(counted)
	case err != nil:
		return nil, err
	default:
		go func() {
			defer close(counted)
			cells, noPCN, countsErr = unpackCounts(cellBlob, noPCNBlob)
		}()
		defer func() { <-counted }() // on an early return too, so that nothing outlives the load
	}
	var rows []overlap.Row
	var rowsErr error
	unpacked := make(chan struct{})
	if fromRows {
		// The registration rows are unpacked on another core while the other tables are read.
		packed, err := packedRows(ctx, db, name)
		if err != nil {
			return nil, err
		}
		go func() {
			defer close(unpacked)
			rows, rowsErr = unpackRows(packed)
		}()
		defer func() { <-unpacked }() // on an early return too, so that nothing outlives the load
	}

	// The areas' rows (their totals are the counts') and which keep selects. The columns read come
	// before the geometry in each row, so that SQLite need not walk the geometry's overflow pages.
	// From the index of the areas' units in one row where it can (its count is then the areas'),
	// else row by row.
	nc, cols, ok, err := concatRows(ctx, db, "areas", "areas_units", []string{"code", "name", "units"}, name)
	if err != nil {
		return nil, err
	}
	nAreas := nc
	if !ok {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM areas WHERE release = ?`, name).Scan(&nAreas); err != nil {
			return nil, fmt.Errorf("areas: %w", err)
		}
	}
	d.Areas = make([]overlap.Area, 0, nAreas)
	var kept []int32
	add := func(a overlap.Area, units string) error {
		if err := parseUnitsFast(units, kinds, &a.Units); err != nil {
			return fmt.Errorf("area %s: %w", a.Code, err)
		}
		if len(d.Areas) >= nAreas {
			return fmt.Errorf("%w: more than %d areas", ErrCorrupt, nAreas)
		}
		d.Areas = append(d.Areas, a)
		if i := len(d.Areas) - 1; keep(&d.Areas[i]) {
			kept = append(kept, int32(i))
		}
		return nil
	}
	// The joined row is parsed on another core while the membership is read.
	var areasErr error
	parsed := make(chan struct{})
	if ok {
		go func() {
			defer close(parsed)
			for i := range nc {
				if err := add(overlap.Area{Feature: geo.Feature{Code: cols[0][i], Name: cols[1][i]}}, cols[2][i]); err != nil {
					areasErr = fmt.Errorf("areas: %w", err)
					return
				}
			}
		}()
		defer func() { <-parsed }()
	} else {
		close(parsed)
		if err := query(ctx, db, `SELECT code, name, units FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
			var a overlap.Area
			var units string
			if err := s.Scan(&a.Code, &a.Name, &units); err != nil {
				return err
			}
			return add(a, units)
		}); err != nil {
			return nil, fmt.Errorf("areas: %w", err)
		}
	}
	membershipErr := loadMembership(ctx, db, name, d)
	<-parsed
	if areasErr != nil {
		return nil, areasErr
	}
	if len(d.Areas) != nAreas {
		return nil, fmt.Errorf("%w: %d areas of %d", ErrCorrupt, len(d.Areas), nAreas)
	}
	if membershipErr != nil {
		return nil, membershipErr
	}

	// The totals and the index from the counts, on another core while the geometry near the kept
	// areas is read: they write the areas' totals, the geometry their Geom and Bound, apart.
	var aggErr error
	aggregated := make(chan struct{})
	if !fromRows {
		<-counted
		if countsErr != nil {
			return nil, countsErr
		}
		d.Cells, d.NoPCNCells = cells, noPCN
		go func() {
			defer close(aggregated)
			aggErr = d.AggregateCells()
		}()
		defer func() { <-aggregated }()
	}
	if err := readAroundGeometry(ctx, db, name, d.Areas, kept); err != nil {
		return nil, err
	}
	if !fromRows {
		<-aggregated
		if aggErr != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, aggErr)
		}
		return d, nil
	}
	// The LSOAs' areas, in one row: 33k rows through database/sql cost several times what SQLite
	// takes to join them into one string. The scan of the table's key gives them in index order,
	// which the indexes joined alongside prove; should they come otherwise, SQLite sorts them.
	var n int
	var idxs, areas sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT count(*), group_concat(idx), group_concat(area) FROM lsoas WHERE release = ?`, name).Scan(&n, &idxs, &areas); err != nil {
		return nil, fmt.Errorf("lsoas: %w", err)
	}
	if !inOrder(n, idxs.String) {
		if err := db.QueryRowContext(ctx, `SELECT group_concat(area, ',' ORDER BY idx) FROM lsoas WHERE release = ?`, name).Scan(&areas); err != nil {
			return nil, fmt.Errorf("lsoas: %w", err)
		}
	}
	if d.LSOAs, err = lsoaAreas(n, areas.String); err != nil {
		return nil, err
	}
	<-unpacked
	if rowsErr != nil {
		return nil, rowsErr
	}
	d.Rows = rows
	if err := d.Aggregate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
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
	if err := read("areas_units", `idx IN (`+strings.Join(list, ",")+`)`); err != nil {
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

// inOrder reports whether s is "0,1,…,n-1".
func inOrder(n int, s string) bool {
	for i := range n {
		if i > 0 {
			if len(s) == 0 || s[0] != ',' {
				return false
			}
			s = s[1:]
		}
		v, rest, ok := leadingInt(s)
		if !ok || v != int64(i) {
			return false
		}
		s = rest
	}
	return s == ""
}

// leadingInt reads the non-negative decimal at the start of s (at most 18 digits, no sign).
func leadingInt(s string) (v int64, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 18 && '0' <= s[i] && s[i] <= '9' {
		v = 10*v + int64(s[i]-'0')
		i++
	}
	if i == 0 || (i < len(s) && '0' <= s[i] && s[i] <= '9') {
		return 0, s, false
	}
	return v, s[i:], true
}

// lsoaAreas makes n LSOAs from their areas, comma-separated in index order.
func lsoaAreas(n int, s string) ([]overlap.LSOA, error) {
	out := make([]overlap.LSOA, n)
	for i := range out {
		if i > 0 {
			if len(s) == 0 || s[0] != ',' {
				return nil, fmt.Errorf("%w: lsoas: %d areas for %d LSOAs", ErrCorrupt, i, n)
			}
			s = s[1:]
		}
		a, rest, ok := leadingInt(s)
		if !ok || a > 1<<31-1 {
			return nil, fmt.Errorf("%w: lsoas: the area of LSOA %d of %d does not read", ErrCorrupt, i, n)
		}
		out[i].Area = int32(a)
		s = rest
	}
	if s != "" {
		return nil, fmt.Errorf("%w: lsoas: more areas than the %d LSOAs", ErrCorrupt, n)
	}
	return out, nil
}

// parseUnitsFast is parseUnits for the JSON the store writes, a flat object of plain strings
// ({"icb":"E54000010","la":"E08000009"}), read without encoding/json, which took most of a partial
// load's time. Anything else (escapes, other values, spaces, bytes outside printable ASCII) goes to
// parseUnits, so the result never depends on which of the two read it.
func parseUnitsFast(s string, kinds map[string]nhs.Kind, dst *[overlap.KindCount]string) error {
	type pair struct {
		k nhs.Kind
		v string
	}
	var pairs [overlap.KindCount]pair
	n := 0
	slow := func() error { return parseUnits(s, kinds, dst) }
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return slow()
	}
	rest := s[1 : len(s)-1]
	str := func() (string, bool) {
		if len(rest) == 0 || rest[0] != '"' {
			return "", false
		}
		for i := 1; i < len(rest); i++ {
			c := rest[i]
			switch {
			case c == '"':
				v := rest[1:i]
				rest = rest[i+1:]
				return v, true
			case c == '\\' || c < 0x20 || c >= 0x7f:
				return "", false
			}
		}
		return "", false
	}
	for len(rest) > 0 {
		key, ok := str()
		if !ok || len(rest) == 0 || rest[0] != ':' {
			return slow()
		}
		rest = rest[1:]
		v, ok := str()
		if !ok {
			return slow()
		}
		k, known := kinds[key]
		if !known || n == len(pairs) {
			return slow() // the error, or a repeated key, as parseUnits has it
		}
		pairs[n] = pair{k, v}
		n++
		if len(rest) > 0 {
			if rest[0] != ',' || len(rest) == 1 {
				return slow()
			}
			rest = rest[1:]
		}
	}
	for _, p := range pairs[:n] {
		dst[p.k] = p.v
	}
	return nil
}
