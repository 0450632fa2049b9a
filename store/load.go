package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"pcnmap/nhs"
	"pcnmap/overlap"
)

// ErrCorrupt is returned when stored rows do not decode.
var ErrCorrupt = errors.New("store: corrupt workspace")

// Load reads release name ("" for the newest) into memory.
func (w *Workspace) Load(ctx context.Context, name string) (*overlap.Dataset, error) {
	return w.LoadAreasFirst(ctx, name, nil)
}

// LoadAreasFirst is Load that calls areas (when not nil) with the release's areas as soon as they are
// read, before the rest of the release: the tile export prepares their geometry meanwhile. Until
// LoadAreasFirst returns, areas' callee may read only each area's Feature (code, geometry, bound):
// the rest of the load writes the other fields (the totals, in Aggregate). The Dataset returned is
// the one Load returns.
func (w *Workspace) LoadAreasFirst(ctx context.Context, name string, areas func([]overlap.Area)) (_ *overlap.Dataset, err error) {
	defer markBusy(&err)
	name, err = w.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	// One read transaction, so that the release's tables are read as of one moment.
	tx, err := w.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: %s: begin: %w", w.path, err)
	}
	defer tx.Rollback()
	d, err := w.load(ctx, tx, name, areas)
	if err != nil {
		return nil, fmt.Errorf("store: %s: release %s: %w", w.path, name, err)
	}
	return d, nil
}

func (w *Workspace) load(ctx context.Context, db querier, name string, areasRead func([]overlap.Area)) (*overlap.Dataset, error) {
	d, kinds, err := loadRelease(ctx, db, name)
	if err != nil {
		return nil, err
	}
	// The LSOAs of a local authority mostly share one units object: each distinct text is parsed once.
	units := unitsParser{kinds: kinds, seen: map[string][overlap.KindCount]string{}}
	if err := query(ctx, db, `SELECT code, name, registered, in_pcn, units, geom FROM areas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var a overlap.Area
		var text string
		var g []byte
		if err := s.Scan(&a.Code, &a.Name, &a.Registered, &a.InPCN, &text, &g); err != nil {
			return err
		}
		if err := units.parse(text, &a.Units); err != nil {
			return fmt.Errorf("area %s: %w", a.Code, err)
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("area %s: %w", a.Code, err)
		}
		a.Geom, a.Bound = geom, geom.Bound()
		d.Areas = append(d.Areas, a)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	if areasRead != nil {
		areasRead(d.Areas)
	}
	if err := loadMembership(ctx, db, name, d); err != nil {
		return nil, err
	}
	if err := query(ctx, db, `SELECT code, area, units, lon, lat FROM lsoas WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var l overlap.LSOA
		var text string
		var lon, lat sql.NullFloat64
		if err := s.Scan(&l.Code, &l.Area, &text, &lon, &lat); err != nil {
			return err
		}
		if lon.Valid && lat.Valid {
			l.Point, l.HasPoint = orb.Point{lon.Float64, lat.Float64}, true
		}
		if err := units.parse(text, &l.Units); err != nil {
			return fmt.Errorf("lsoa %s: %w", l.Code, err)
		}
		d.LSOAs = append(d.LSOAs, l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("lsoas: %w", err)
	}
	if d.Rows, err = readRows(ctx, db, name); err != nil {
		return nil, err
	}
	if err := query(ctx, db, `SELECT kind, code, name, geom FROM boundaries WHERE release = ? ORDER BY kind, code`, name, func(s scanner) error {
		var b overlap.Boundary
		var g []byte
		if err := s.Scan(&b.Kind, &b.Code, &b.Name, &g); err != nil {
			return err
		}
		geom, err := multiPolygon(g)
		if err != nil {
			return fmt.Errorf("boundary %s %s: %w", b.Kind, b.Code, err)
		}
		b.Geom, b.Bound = geom, geom.Bound()
		d.Boundaries = append(d.Boundaries, b)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("boundaries: %w", err)
	}
	if err := d.Aggregate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return d, nil
}

type scanner interface{ Scan(dest ...any) error }

// query runs q with the release (and any further arguments) and calls row for each row.
// querier is what reads need of a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func query(ctx context.Context, db querier, q, release string, row func(scanner) error, args ...any) error {
	rows, err := db.QueryContext(ctx, q, append([]any{release}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, fmt.Errorf("%w: date %q", ErrCorrupt, s)
	}
	return t, nil
}

func unmarshal(s string, v any) error {
	if s == "" || s == "null" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// unitsParser parses the units objects of a release's rows, remembering each distinct text's result.
type unitsParser struct {
	kinds map[string]nhs.Kind
	seen  map[string][overlap.KindCount]string
}

// parse sets dst, which must be empty, to the units of the JSON object s (parseUnits).
func (p *unitsParser) parse(s string, dst *[overlap.KindCount]string) error {
	if u, ok := p.seen[s]; ok {
		*dst = u
		return nil
	}
	var u [overlap.KindCount]string
	if err := parseUnits(s, p.kinds, &u); err != nil {
		return err
	}
	p.seen[s] = u
	*dst = u
	return nil
}

func parseUnits(s string, kinds map[string]nhs.Kind, dst *[overlap.KindCount]string) error {
	var m map[string]string
	if err := unmarshal(s, &m); err != nil {
		return fmt.Errorf("%w: units: %v", ErrCorrupt, err)
	}
	// dst is written only when every kind is known, and the unknown kind named is the first by name,
	// so that the result does not depend on the map's order.
	var unknown []string
	for kind := range m {
		if _, ok := kinds[kind]; !ok {
			unknown = append(unknown, kind)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%w: unknown unit kind %q", ErrCorrupt, unknown[0])
	}
	for kind, code := range m {
		dst[kinds[kind]] = code
	}
	return nil
}

func multiPolygon(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("%w: geometry: %v", ErrCorrupt, err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("%w: geometry is a %s, not a polygon", ErrCorrupt, g.GeoJSONType())
}

func unpackRows(b []byte) ([]overlap.Row, error) {
	bad := fmt.Errorf("%w: registrations blob is truncated", ErrCorrupt)
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, bad
	}
	b = b[k:]
	rows := make([]overlap.Row, n)
	var prev int64
	for i := range rows {
		delta, k1 := binary.Varint(b)
		if k1 <= 0 {
			return nil, bad
		}
		lsoa, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return nil, bad
		}
		patients, k3 := binary.Uvarint(b[k1+k2:])
		if k3 <= 0 || lsoa > 1<<31-1 || patients > 1<<31-1 {
			return nil, bad
		}
		b = b[k1+k2+k3:]
		prev += delta
		if prev < 0 || prev > 1<<31-1 {
			return nil, bad
		}
		rows[i] = overlap.Row{Practice: int32(prev), LSOA: int32(lsoa), Patients: int32(patients)}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: registrations blob has %d trailing bytes", ErrCorrupt, len(b))
	}
	return rows, nil
}

// loadRelease reads what every load of release name begins with: its row of releases (dates,
// coverage, sources, notes) and its units with their names and aliases. kinds maps the stored kind
// names to their nhs.Kind.
func loadRelease(ctx context.Context, db querier, name string) (d *overlap.Dataset, kinds map[string]nhs.Kind, err error) {
	d = &overlap.Dataset{Release: name}
	var extract, asOf, coverage, sources, notes string
	if err := db.QueryRowContext(ctx, `SELECT extract_date, as_of, coverage, sources, notes FROM releases WHERE name = ?`, name).Scan(&extract, &asOf, &coverage, &sources, &notes); err != nil {
		return nil, nil, err
	}
	if err := unmarshal(sources, &d.Sources); err != nil {
		return nil, nil, fmt.Errorf("%w: sources: %v", ErrCorrupt, err)
	}
	if err := unmarshal(notes, &d.Notes); err != nil {
		return nil, nil, fmt.Errorf("%w: notes: %v", ErrCorrupt, err)
	}
	if d.ExtractDate, err = parseDate(extract); err != nil {
		return nil, nil, err
	}
	if d.AsOf, err = parseDate(asOf); err != nil {
		return nil, nil, err
	}
	if err := unmarshal(coverage, &d.Coverage); err != nil {
		return nil, nil, fmt.Errorf("%w: coverage: %v", ErrCorrupt, err)
	}
	kinds = make(map[string]nhs.Kind, overlap.KindCount)
	for k := range overlap.KindCount {
		kinds[nhs.Kind(k).String()] = nhs.Kind(k)
		d.Units[k] = make(map[string]string)
		d.Aliases[k] = make(map[string]string)
	}
	if err := query(ctx, db, `SELECT kind, code, name FROM units WHERE release = ?`, name, func(s scanner) error {
		var kind, code, unitName string
		if err := s.Scan(&kind, &code, &unitName); err != nil {
			return err
		}
		d.Units[kinds[kind]][code] = unitName
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("units: %w", err)
	}
	if err := query(ctx, db, `SELECT kind, alias, code FROM unit_aliases WHERE release = ?`, name, func(s scanner) error {
		var kind, alias, code string
		if err := s.Scan(&kind, &alias, &code); err != nil {
			return err
		}
		if k, ok := kinds[kind]; ok {
			d.Aliases[k][alias] = code
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("unit aliases: %w", err)
	}
	return d, kinds, nil
}

// loadMembership reads the release's PCNs and its practices with their PCN, in index order, into d,
// from the release's directory.
func loadMembership(ctx context.Context, db querier, name string, d *overlap.Dataset) error {
	s, err := readDirectory(ctx, db, name)
	if err != nil {
		return err
	}
	return (&directoryReader{s: s}).membership(d)
}

// membershipFromRows is loadMembership from the tables' rows, for the migrations that derive what
// the directory (and the counts) hold.
func membershipFromRows(ctx context.Context, db querier, name string, d *overlap.Dataset) error {
	if err := query(ctx, db, `SELECT code, name FROM pcns WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var p overlap.PCN
		if err := s.Scan(&p.Code, &p.Name); err != nil {
			return err
		}
		d.PCNs = append(d.PCNs, p)
		return nil
	}); err != nil {
		return fmt.Errorf("pcns: %w", err)
	}
	if err := query(ctx, db, `SELECT code, name, pcn, list_size FROM practices WHERE release = ? ORDER BY idx`, name, func(s scanner) error {
		var p overlap.Practice
		if err := s.Scan(&p.Code, &p.Name, &p.PCN, &p.ListSize); err != nil {
			return err
		}
		d.Practices = append(d.Practices, p)
		return nil
	}); err != nil {
		return fmt.Errorf("practices: %w", err)
	}
	return nil
}

// readRows reads and decodes the release's registration rows.
func readRows(ctx context.Context, db querier, name string) ([]overlap.Row, error) {
	packed, err := packedRows(ctx, db, name)
	if err != nil {
		return nil, err
	}
	return unpackRows(packed)
}

// packedRows reads the release's registration rows as stored (unpackRows decodes them).
func packedRows(ctx context.Context, db querier, name string) ([]byte, error) {
	var packed []byte
	if err := db.QueryRowContext(ctx, `SELECT rows FROM registrations WHERE release = ?`, name).Scan(&packed); err != nil {
		return nil, fmt.Errorf("registrations: %w", err)
	}
	return packed, nil
}
